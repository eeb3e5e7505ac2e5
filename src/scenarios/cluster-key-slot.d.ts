// cluster-key-slot (the slot function ioredis routes with) ships no types.
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot (CRC16 mod 16384) of a key, hash tags honoured. */
  function calculateSlot(key: string | Buffer): number;
  export default calculateSlot;
}
