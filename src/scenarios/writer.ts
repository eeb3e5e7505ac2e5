import type { HostPort } from '../platform/platform.ts';
import type { WriteStats } from './model.ts';
import type { Reach } from '../redis/connect.ts';
import type { Log } from '../util/log.ts';
import { messageOf } from '../errors.ts';
import { waitFor } from '../util/wait.ts';
import { nodeServing, openClusterClient, refreshSlotMapNow } from './cluster-client.ts';
import { startPacer } from './pacer.ts';
import { unavailableWindow, writeStats, type UnavailableWindow } from './write-stats.ts';
import { slotOf } from './keyslot.ts';
import { HistoryRecorder, outcomeOfError, type Op, type Outcome } from './history/model.ts';
import { checkHistory } from './history/check.ts';
import { finalRead, startPeriodicReads } from './history/record.ts';

export interface WriterOptions {
  reach: Reach;
  /** Announced addresses of the cluster's nodes. */
  seeds: HostPort[];
  /** Hash tag (`{…}`) whose slot lies in the victim's ranges: every key is `<tag>:h:<n>`, a list. */
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
  /**
   * The history to record into; default a new one. Share one with another client (the partition's minority
   * side writing the same lists: recordWrite to writer.currentKey()) and verify() reads back and judges every
   * key of it: the stats then count every client's writes, the unavailable window only this writer's.
   */
  history?: HistoryRecorder;
  /** The run's cancel: stops sending at once (the scenario's cleanup then closes the writer). */
  signal?: AbortSignal;
  /** Source address of the writer's connections (a client on one side of a partition). */
  localAddress?: string;
}

export interface Writer {
  readonly mode: WriteStats['mode'];
  /** Every operation of the writer so far (writes, periodic reads, then the final read), bounded. */
  readonly history: HistoryRecorder;
  /** The list being written now (a new one every VALUES_PER_KEY values); undefined before the first write. */
  currentKey(): string | undefined;
  /** Writes acknowledged and not acknowledged so far, and the first error (counted as they complete). */
  progress(): { acknowledged: number; notAcknowledged: number; firstError?: string };
  /** Writes invoked at or after `at` (Date.now()) and acknowledged, among those the history still holds. */
  acknowledgedSince(at: number): number;
  /** Unavailable window so far (Date.now() times), for the timeline. */
  window(): UnavailableWindow | undefined;
  /** Stops sending and reading, and waits (bounded) for the writes in flight to settle. */
  stop(): Promise<void>;
  /**
   * The final read of every key written, through a fresh client on `seeds` (the victim's old address is
   * gone), then the checker's verdict and the stats. Example times are ms from `origin` (the fault). Call after
   * stop().
   */
  verify(seeds: HostPort[], origin?: number): Promise<WriteStats>;
  close(): void;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
const MIN_IN_FLIGHT = 64;
const WAIT_IN_FLIGHT = 2;
/**
 * Values appended to one list before the writer moves to the next key: every read of a key returns at most
 * this many, so the periodic reads cost the same at the end of a long run as at its start (and the history's
 * reads stay linear in its writes), and the recorder's rings (MAX_OPS_PER_KEY) hold a key's whole history.
 */
export const VALUES_PER_KEY = 1000;
/** Periodic reads of the key being written: bounded, whatever the write rate. */
const READ_INTERVAL_MS = 500;

/**
 * Starts appending unique values (RPUSH) to lists in one slot at a steady rate, and reading the list being
 * written twice a second. Writes are scheduled by the clock with a bound on writes in flight (startPacer);
 * every write and read is recorded in the history with its invocation, its completion, its outcome and the
 * node it went to, and the writes skipped at the bound are counted.
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
  // Both clients from the writer's source address, where it has one (a client on one side of a partition).
  const clientOptions = {
    commandTimeoutMs,
    readyTimeoutMs: 5000,
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
  };
  const client = await openClusterClient(opts.reach, opts.seeds, clientOptions);
  // Reads on their own client: in WAIT mode a read queued behind a blocked WAIT would change the writer's pace.
  const readClient = await openClusterClient(opts.reach, opts.seeds, clientOptions).catch((err: unknown) => {
    client.disconnect();
    throw err;
  });
  const history = opts.history ?? new HistoryRecorder();
  const slot = slotOf(opts.tag);
  const nodeOf = (): string | undefined => nodeServing(client, slot);
  /** Due times of the writes skipped at the bound: they count as not acknowledged in the window. */
  const skippedAt: number[] = [];
  let stoppedAt: number | undefined;
  let keyNo = -1;
  let key = '';
  let valuesInKey = VALUES_PER_KEY;
  let acknowledged = 0;
  let notAcknowledged = 0;
  let firstError: string | undefined;

  const settle = (op: Op, outcome: Outcome, error?: string): void => {
    history.complete(op, outcome, nodeOf(), error);
    if (outcome === 'ok') acknowledged++;
    else {
      notAcknowledged++;
      firstError ??= error;
    }
  };

  const write = async (k: string, op: Op): Promise<void> => {
    try {
      if (opts.waitReplicas) {
        // Pipelined so WAIT goes to the node that took the write (alone it would go to a random node).
        const replies = await client.pipeline().rpush(k, String(op.value)).wait(1, waitTimeoutMs).exec();
        if (!replies) throw new Error('pipeline returned nothing');
        const failed = replies.find(([err]) => err);
        // ioredis follows a pipeline's MOVED only when every command in it got one, and WAIT (keyless) never
        // does: without a refresh, the client would keep sending to the old master after a failover.
        // The refresh is bounded (cluster-client.ts): at once when the redirect names a node the map does not.
        const moved = failed ? /^MOVED \d+ (\S+)/.exec(messageOf(failed[0])) : null;
        if (moved) {
          if (moved[1] !== nodeOf()) refreshSlotMapNow(client);
          else client.refreshSlotsCache();
        }
        // The RPUSH refused: not applied. The RPUSH taken but WAIT failed or unconfirmed: applied on the master,
        // maybe not kept: indeterminate.
        if (replies[0]?.[0]) throw replies[0][0];
        const replicas = Number(replies[1]?.[1]);
        if (failed || !(replicas >= 1)) {
          settle(op, 'indeterminate', failed ? messageOf(failed[0]) : `WAIT 1 saw ${replicas} replicas acknowledge`);
          return;
        }
      } else {
        await client.rpush(k, String(op.value));
      }
      settle(op, 'ok');
    } catch (err) {
      settle(op, outcomeOfError(err), messageOf(err));
    }
  };

  const currentKey = (): string | undefined => (keyNo < 0 ? undefined : key);
  const pacer = startPacer({
    ratePerSecond: opts.ratePerSecond,
    maxInFlight,
    send: () => {
      if (valuesInKey >= VALUES_PER_KEY) {
        key = `${opts.tag}:h:${++keyNo}`;
        history.declare(key, 'list');
        valuesInKey = 0;
      }
      valuesInKey++;
      return write(key, history.invokeWrite(key, 'writer'));
    },
    onSkip: (dueAt) => skippedAt.push(dueAt),
  });
  const reads = startPeriodicReads({
    history,
    conn: readClient,
    key: currentKey,
    kind: 'list',
    intervalMs: READ_INTERVAL_MS,
    client: 'reader',
    nodeOf: () => nodeServing(readClient, slot),
  });

  const writes = (): Op[] =>
    history.keys().flatMap((k) => k.ops.filter((op) => op.kind === 'write' && op.client === 'writer'));
  const stopOnAbort = (): void => {
    pacer.stop();
    void reads.stop();
  };
  opts.signal?.addEventListener('abort', stopOnAbort, { once: true });

  return {
    mode,
    history,
    currentKey,
    progress: () => ({ acknowledged, notAcknowledged, ...(firstError !== undefined ? { firstError } : {}) }),
    acknowledgedSince: (at) => writes().filter((w) => w.outcome === 'ok' && w.invokeAt >= at).length,
    window: () => unavailableWindow(writes(), skippedAt, stoppedAt ?? Date.now()),
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
      await reads.stop();
      if (pacer.skipped() > 0)
        opts.log.info(`writer: ${pacer.skipped()} scheduled write(s) skipped while ${maxInFlight} were in flight`);
    },
    async verify(seeds, origin) {
      if (stoppedAt === undefined) throw new Error('writer.verify() called before stop()');
      const reader = await openClusterClient(opts.reach, seeds, { commandTimeoutMs: 5000, readyTimeoutMs: 10_000 });
      try {
        await finalRead(history, reader, () => nodeServing(reader, slot));
      } finally {
        reader.disconnect();
      }
      const verdict = checkHistory(history.keys(), {
        dropped: history.dropped,
        ...(origin !== undefined ? { origin } : {}),
      });
      return writeStats(
        writes(),
        verdict,
        { mode, ratePerSecond: opts.ratePerSecond, skippedAt, stoppedAt },
        history.writeTotals,
      );
    },
    close() {
      opts.signal?.removeEventListener('abort', stopOnAbort);
      pacer.stop();
      void reads.stop();
      client.disconnect();
      readClient.disconnect();
    },
  };
}
