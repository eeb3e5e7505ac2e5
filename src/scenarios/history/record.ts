import type { Cluster, Redis } from 'ioredis';
import { messageOf } from '../../errors.ts';
import { outcomeOfError, type HistoryRecorder, type KeyKind, type Op } from './model.ts';

// Operations run and recorded in one call: what a scenario's clients use to feed a HistoryRecorder.

/** A cluster client or a single node's connection: either reads a list or a set. */
export type ReadConn = Pick<Redis | Cluster, 'lrange' | 'smembers'>;
/** A cluster client or a single node's connection: either appends to a list or adds to a set. */
export type WriteConn = Pick<Redis | Cluster, 'rpush' | 'sadd'>;

/** Names the node a client sends a key's commands to (its slot map, or the one address it talks to). */
export type NodeOf = (key: string) => string | undefined;

/**
 * One write of a new value to `key` (RPUSH to a list, SADD to a set), recorded with its outcome. The write is
 * invoked before this returns its promise (so calls made in order are invoked in order). Never throws.
 */
export async function recordWrite(
  history: HistoryRecorder,
  conn: WriteConn,
  key: string,
  kind: KeyKind,
  client: string,
  nodeOf: NodeOf,
): Promise<Op> {
  const op = history.invokeWrite(key, client);
  try {
    if (kind === 'list') await conn.rpush(key, String(op.value));
    else await conn.sadd(key, String(op.value));
    history.complete(op, 'ok', nodeOf(key));
  } catch (err) {
    history.complete(op, outcomeOfError(err), nodeOf(key), messageOf(err));
  }
  return op;
}

/** One read of `key`, recorded (the values seen, or how it failed). Never throws; returns the read. */
export async function recordRead(
  history: HistoryRecorder,
  conn: ReadConn,
  key: string,
  kind: KeyKind,
  client: string,
  nodeOf: NodeOf,
): Promise<Op> {
  const op = history.invokeRead(key, client);
  try {
    const members = kind === 'list' ? await conn.lrange(key, 0, -1) : await conn.smembers(key);
    history.completeRead(op, members, nodeOf(key));
  } catch (err) {
    history.complete(op, outcomeOfError(err), nodeOf(key), messageOf(err));
  }
  return op;
}

/**
 * The final read: every key of the history, once, after the fault has healed (set-full judges a value by the
 * reads that began after it was known; without this one, the last writes would only be "never read"). Throws,
 * naming the key, when a read fails: a verdict without the end of a key would call its losses "never read".
 */
export async function finalRead(
  history: HistoryRecorder,
  conn: ReadConn,
  nodeOf: NodeOf,
  keys: (key: string) => boolean = () => true,
): Promise<void> {
  for (const k of history.keys()) {
    if (!keys(k.key)) continue;
    const op = await recordRead(history, conn, k.key, k.kind, 'final-read', nodeOf);
    if (op.outcome !== 'ok') throw new Error(`the final read of ${k.key} failed: ${op.error ?? 'no reply'}`);
  }
}

export interface PeriodicReads {
  /** Stops reading and waits for the read in flight (bounded by the connection's command timeout). */
  stop(): Promise<void>;
}

/**
 * Reads the key `key()` names (the one being written) every `intervalMs`, one read at a time: a read due while
 * the last is pending is skipped, so a hung node costs one read, not a queue. These are the reads that show a
 * value missing during the run (stale), or a list that two masters grew apart (divergence).
 */
export function startPeriodicReads(opts: {
  history: HistoryRecorder;
  conn: ReadConn;
  key: () => string | undefined;
  kind: KeyKind;
  intervalMs: number;
  client: string;
  nodeOf: NodeOf;
}): PeriodicReads {
  let pending: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    const key = opts.key();
    if (pending || key === undefined) return;
    pending = recordRead(opts.history, opts.conn, key, opts.kind, opts.client, opts.nodeOf).finally(() => {
      pending = undefined;
    });
  }, opts.intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
    },
  };
}
