/**
 * A network partition: one pod (and a client on its side) cut off from every other Redis pod (and a client on
 * their side), in both directions, until heal(). The runner's own connections to the pods stay up, so the run
 * can still watch both sides.
 */
export interface PartitionFault {
  /**
   * Checks, at run time, that this machine lets the run cut (privileges, the packet filter tool) and claims the
   * client addresses: throws UnsupportedError with the reason when it cannot.
   */
  prepare(pod: string): Promise<PartitionPlan>;
}

export interface PartitionPlan {
  /** Source address for the client on the pod's side (reaches the pod only once cut); undefined: the platform
   * cannot place a client there, and the runner's own address (on neither side) is used. */
  readonly minorityClient?: string;
  /** Source address for the client on the other side (reaches every pod but the cut one). */
  readonly majorityClient?: string;
  /** What the cut is, in words, for the report ("iptables chain RCR-… in the host's OUTPUT"). */
  readonly describe: string;
  /** Cuts `pod` and the minority client off from `others` (pod IPs) and the majority client. Recorded in the undo
   * journal before any rule goes in. */
  cut(others: string[]): Promise<void>;
  /** Removes every rule of the cut and settles its journal entry; idempotent, also without a cut. */
  heal(): Promise<void>;
}
