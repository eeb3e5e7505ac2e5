import type { HostPort } from '../platform/platform.ts';
import type { WriteStats } from './model.ts';
import type { Reach } from '../redis/connect.ts';
import type { Log } from '../util/log.ts';
import { messageOf } from '../errors.ts';
import { waitFor } from '../util/wait.ts';
import { openClusterClient, readKeys } from './cluster-client.ts';
import { startPacer } from './pacer.ts';
import { unavailableWindow, writeStats, type UnavailableWindow, type WriteRecord } from './write-stats.ts';

export interface WriterOptions {
  reach: Reach;
  /** Announced addresses of the cluster's nodes. */
  seeds: HostPort[];
  /** Hash tag (`{…}`) whose slot lies in the victim's ranges: every key is `<tag>:w:<n>`. */
  tag: string;
  ratePerSecond: number;
  /**
   * Pipeline `WAIT 1` with every write: acknowledged only once a replica has it. Redis serves a client blocked
   * in WAIT nothing else, so WAIT writes on the one connection run one after another: see maxInFlight.
   */
  waitReplicas: boolean;
  /** Bound on one write (redirects included). Default 1000 ms. */
  commandTimeoutMs?: number;
  /**
   * Writes allowed in flight; a write due while the bound is reached is skipped (counted in WriteStats.skipped),
   * not queued. Default, plain: twice what the rate puts in flight while every write waits out its timeout,
   * so only a stalled client skips. WAIT mode: 2, so that while no replica answers (each WAIT blocking its
   * timeout, a quarter of the command timeout) no write times out on the client and leaves a WAIT queued on the
   * server behind it; a backlog there would block every later command on the connection for minutes.
   */
  maxInFlight?: number;
  log: Log;
  /** The run's cancel: stops sending at once (the scenario's cleanup then closes the writer). */
  signal?: AbortSignal;
  /** Source address of the writer's connections (a client on one side of a partition). */
  localAddress?: string;
}

export interface Writer {
  readonly mode: WriteStats['mode'];
  /** Every write so far, in send order. */
  records(): readonly WriteRecord[];
  /** Unavailable window so far (Date.now() times), for the timeline. */
  window(): UnavailableWindow | undefined;
  /** Stops sending and waits (bounded) for the writes in flight to settle. */
  stop(): Promise<void>;
  /**
   * Reads back every acknowledged write through a fresh client on `seeds` (the victim's old address is gone)
   * and returns the stats. Call after stop().
   */
  verify(seeds: HostPort[]): Promise<WriteStats>;
  close(): void;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
const MIN_IN_FLIGHT = 64;
const WAIT_IN_FLIGHT = 2;

/**
 * Starts writing unique keys into one slot at a steady rate. Writes are scheduled by the clock with a bound on
 * writes in flight (startPacer); each is recorded with its send time and its ack time or error, and the writes
 * skipped at the bound are counted.
 */
export async function startWriter(opts: WriterOptions): Promise<Writer> {
  if (!(opts.ratePerSecond > 0)) throw new Error(`writer rate must be positive, got ${opts.ratePerSecond}`);
  const commandTimeoutMs = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const mode: WriteStats['mode'] = opts.waitReplicas ? 'wait' : 'plain';
  const waitTimeoutMs = Math.max(1, Math.floor(commandTimeoutMs / 4));
  const maxInFlight =
    opts.maxInFlight ??
    (opts.waitReplicas
      ? WAIT_IN_FLIGHT
      : Math.max(MIN_IN_FLIGHT, Math.ceil((2 * opts.ratePerSecond * commandTimeoutMs) / 1000)));
  const client = await openClusterClient(opts.reach, opts.seeds, {
    commandTimeoutMs,
    readyTimeoutMs: 5000,
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
  });
  const records: WriteRecord[] = [];
  /** Due times of the writes skipped at the bound: they count as not acknowledged in the window. */
  const skippedAt: number[] = [];
  const run = Date.now().toString(36);
  let stoppedAt: number | undefined;

  const write = async (record: WriteRecord): Promise<void> => {
    try {
      if (opts.waitReplicas) {
        // Pipelined so WAIT goes to the node that took the write (alone it would go to a random node).
        const replies = await client.pipeline().set(record.key, record.value).wait(1, waitTimeoutMs).exec();
        const failed = replies?.find(([err]) => err);
        // ioredis follows a pipeline's MOVED only when every command in it got one, and WAIT (keyless) never
        // does: without a refresh, the client would keep sending to the old master after a failover.
        if (failed && messageOf(failed[0]).startsWith('MOVED ')) client.refreshSlotsCache();
        if (!replies || failed) throw failed?.[0] ?? new Error('pipeline returned nothing');
        const replicas = Number(replies[1]?.[1]);
        if (!(replicas >= 1)) throw new Error(`WAIT 1 saw ${replicas} replicas acknowledge`);
      } else {
        await client.set(record.key, record.value);
      }
      record.ackAt = Date.now();
    } catch (err) {
      record.errorAt = Date.now();
      record.error = messageOf(err);
    }
  };

  const pacer = startPacer({
    ratePerSecond: opts.ratePerSecond,
    maxInFlight,
    send: () => {
      const n = records.length;
      const record: WriteRecord = { key: `${opts.tag}:w:${n}`, value: `${run}:${n}`, sentAt: Date.now() };
      records.push(record);
      return write(record);
    },
    onSkip: (dueAt) => skippedAt.push(dueAt),
  });

  const stopOnAbort = (): void => pacer.stop();
  opts.signal?.addEventListener('abort', stopOnAbort, { once: true });

  return {
    mode,
    records: () => records,
    window: () => unavailableWindow(records, skippedAt, stoppedAt ?? Date.now()),
    async stop() {
      if (stoppedAt !== undefined) return;
      pacer.stop();
      stoppedAt = Date.now();
      await waitFor(
        "the writer's writes in flight to settle",
        async () =>
          pacer.inFlight() === 0
            ? { done: true, value: undefined }
            : { done: false, seen: `${pacer.inFlight()} in flight` },
        { timeoutMs: commandTimeoutMs * 3 + 1000, intervalMs: 10 },
      );
      if (pacer.skipped() > 0)
        opts.log.info(`writer: ${pacer.skipped()} scheduled write(s) skipped while ${maxInFlight} were in flight`);
    },
    async verify(seeds) {
      if (stoppedAt === undefined) throw new Error('writer.verify() called before stop()');
      const acked = records.filter((r) => r.ackAt !== undefined).map((r) => r.key);
      const reader = await openClusterClient(opts.reach, seeds, { commandTimeoutMs: 5000, readyTimeoutMs: 10_000 });
      try {
        const readBack = await readKeys(reader, acked, true);
        return writeStats(records, readBack, { mode, ratePerSecond: opts.ratePerSecond, skippedAt, stoppedAt });
      } finally {
        reader.disconnect();
      }
    },
    close() {
      opts.signal?.removeEventListener('abort', stopOnAbort);
      pacer.stop();
      client.disconnect();
    },
  };
}
