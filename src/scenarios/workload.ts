import type { HostPort } from '../platform/platform.ts';
import type { WriteStats } from './model.ts';
import type { Log } from '../util/log.ts';
import { TimeoutError, messageOf } from '../errors.ts';
import { waitFor } from '../util/wait.ts';
import type { Reach } from '../redis/connect.ts';
import { hashTagIn, slotOf } from './keyslot.ts';
import { nodeServing, openClusterClient } from './cluster-client.ts';
import { HistoryRecorder } from './history/model.ts';
import { checkHistory, type ValueClass } from './history/check.ts';
import { finalRead, recordRead } from './history/record.ts';
import { startWriter, type Writer } from './writer.ts';
import type { Canary } from './failover-checks.ts';
import type { StepContext, Timeline } from './driver.ts';

// The load every scenario puts on the cluster the same way: canaries written (and replicated) before the fault,
// a writer into the slots at risk during it, and the read-back of both after it.

const CANARIES = 8;
/** How long to give the writer's client to find a master (and, in WAIT mode, a replica) again. */
const WRITES_RECOVER_TIMEOUT_MS = 15_000;

export interface WriterSettings {
  /** Writes per second; 0 turns the writer off. */
  writeRate: number;
  writeWait: boolean;
  /** Source address of the writer's connections (a client on one side of a partition). */
  localAddress?: string;
}

/** A run-unique word for key names, so that runs on one cluster never read each other's keys. */
export const runTag = (): string => Date.now().toString(36);

/**
 * Canaries in `slots`, each a set holding one value, added (SADD) with WAIT 1 when there is a replica (losing
 * one is then a finding) and read back at once. Their writes and reads are recorded in one history (each
 * canary carries it), so that their final read (readCanaries) is judged by the same checker as the writer's.
 */
export async function writeCanaries(
  reach: Reach,
  seeds: HostPort[],
  slots: Array<[number, number]>,
  run: string,
  replicated: boolean,
): Promise<Canary[]> {
  const client = await openClusterClient(reach, seeds, { commandTimeoutMs: 5000, readyTimeoutMs: 10_000 });
  const history = new HistoryRecorder();
  const nodeOf = (key: string) => nodeServing(client, slotOf(key));
  try {
    const canaries: Canary[] = [];
    for (let i = 0; i < CANARIES; i++) {
      const key = `${hashTagIn(slots, `rcr-canary-${run}-${i}`)}:canary`;
      history.declare(key, 'set');
      const op = history.invokeWrite(key, 'canary');
      const value = String(op.value);
      // WAIT pipelined with its write so it reaches the node that took the write.
      const replies = await client
        .pipeline()
        .sadd(key, value)
        .wait(replicated ? 1 : 0, 2000)
        .exec();
      const failedReply = replies?.find(([err]) => err);
      if (!replies || failedReply) throw new Error(`writing canary ${key} failed: ${messageOf(failedReply?.[0])}`);
      if (replicated && Number(replies[1]?.[1]) < 1)
        throw new Error(`canary ${key} was not acknowledged by a replica within 2 s (WAIT 1)`);
      history.complete(op, 'ok', nodeOf(key));
      const read = await recordRead(history, client, key, 'set', 'canary', nodeOf);
      if (!read.seen?.includes(op.value)) throw new Error(`canary ${key} did not read back right after writing it`);
      canaries.push({ key, value, history });
    }
    return canaries;
  } finally {
    client.disconnect();
  }
}

/**
 * The canaries' final read, judged by the history checker: each canary's readBack is its value when the checker
 * finds it (stable or stale), null when not (lost).
 */
export async function readCanaries(
  reach: Reach,
  seeds: HostPort[],
  canaries: Canary[] | undefined,
): Promise<Canary[] | undefined> {
  const history = canaries?.[0]?.history;
  if (!canaries || !history) return canaries;
  const client = await openClusterClient(reach, seeds, { commandTimeoutMs: 5000, readyTimeoutMs: 10_000 });
  try {
    await finalRead(history, client, (key) => nodeServing(client, slotOf(key)));
  } finally {
    client.disconnect();
  }
  const found = new Map<string, ValueClass>();
  checkHistory(history.keys(), { onValue: (key, _value, cls) => found.set(key, cls) });
  return canaries.map((c) => {
    const cls = found.get(c.key);
    return { ...c, readBack: cls === 'stable' || cls === 'stale' ? c.value : null };
  });
}

/**
 * Starts a writer into `slots` (closed by the driver whatever happens), marks `writer-started` and returns once
 * it has half a second's worth of acknowledged writes: the writer is known to work when it starts failing.
 */
export async function startSlotWriter(
  ctx: StepContext,
  seeds: HostPort[],
  slots: Array<[number, number]>,
  run: string,
  s: WriterSettings,
  name = 'writes',
): Promise<Writer> {
  const writer = await startWriter({
    reach: ctx.reach,
    seeds,
    tag: hashTagIn(slots, `rcr-${name}-${run}`),
    ratePerSecond: s.writeRate,
    waitReplicas: s.writeWait,
    ...(s.localAddress ? { localAddress: s.localAddress } : {}),
    log: ctx.log,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  ctx.onCleanup(() => writer.close());
  ctx.timeline.mark('writer-started', Date.now(), `${s.writeRate}/s${s.writeWait ? ' with WAIT 1' : ''}`);
  await waitForSteadyWrites(writer, s.writeRate, ctx.signal);
  return writer;
}

/**
 * A writer per shard, `s.writeRate` shared among them (at least 1/s each), so that each shard's unavailable
 * window is judged on its own; none when the rate is 0. Returns them in the order of `shardSlots`.
 */
export async function startShardWriters(
  ctx: StepContext,
  seeds: HostPort[],
  shardSlots: Array<Array<[number, number]>>,
  run: string,
  s: WriterSettings,
): Promise<Writer[]> {
  if (s.writeRate <= 0) return [];
  const settings = { writeRate: Math.max(1, Math.ceil(s.writeRate / shardSlots.length)), writeWait: s.writeWait };
  const writers: Writer[] = [];
  for (const [i, slots] of shardSlots.entries())
    writers.push(await startSlotWriter(ctx, seeds, slots, run, settings, `writes-${i}`));
  return writers;
}

async function waitForSteadyWrites(writer: Writer, rate: number, signal?: AbortSignal): Promise<void> {
  const wanted = Math.max(1, Math.ceil(rate / 2));
  await waitFor(
    `the writer's first ${wanted} acknowledged writes`,
    async () => {
      const p = writer.progress();
      return p.acknowledged >= wanted
        ? { done: true, value: undefined }
        : {
            done: false,
            seen: `${p.acknowledged} acknowledged, ${p.notAcknowledged} failed${p.firstError !== undefined ? ` (${p.firstError})` : ''}`,
          };
    },
    { timeoutMs: 10_000, intervalMs: 20, signal },
  );
}

/** Waits (bounded) until the writer gets a write through again; a timeout leaves the window open and goes on. */
export async function waitForWritesRecovered(writer: Writer, log: Log, signal?: AbortSignal): Promise<void> {
  try {
    await waitFor(
      'the writer to get a write acknowledged again',
      async () => {
        const w = writer.window();
        return !w || w.end !== undefined
          ? { done: true, value: undefined }
          : { done: false, seen: 'writes still refused' };
      },
      { timeoutMs: WRITES_RECOVER_TIMEOUT_MS, intervalMs: 50, signal },
    );
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    log.warn(`${err.message} (going on; the unavailable window stays open)`);
  }
}

/**
 * Ends the writer: gives its writes the chance to recover (so the window closes instead of being cut off by
 * the stop), stops it, reads every acknowledged write back and marks the unavailable window on the timeline.
 */
export async function finishWriter(ctx: StepContext, writer: Writer, seeds: HostPort[]): Promise<WriteStats> {
  await waitForWritesRecovered(writer, ctx.log, ctx.signal);
  await writer.stop();
  const stats = await writer.verify(seeds, ctx.timeline.originAt);
  const window = writer.window();
  if (window) ctx.timeline.mark('first-write-failed', window.start);
  if (window?.end !== undefined) ctx.timeline.mark('writes-recovered', window.end);
  markHistory(ctx.timeline, stats);
  return stats;
}

/**
 * The checker's findings on the timeline: when the first lost value was acknowledged (of the examples kept),
 * when the first stale and the first divergent read began. Example times are ms from the timeline's origin.
 */
export function markHistory(timeline: Timeline, stats: WriteStats): void {
  const v = stats.history;
  if (!v) return;
  const origin = timeline.originAt ?? 0;
  const lost = (v.examples.lost ?? []).flatMap((a) => (a.write?.completeMs !== undefined ? [a] : []));
  const first = lost.sort((a, b) => a.write!.completeMs! - b.write!.completeMs!)[0];
  if (first)
    timeline.mark(
      'lost-write-acked',
      origin + first.write!.completeMs!,
      `${v.values.lost} acknowledged value(s) lost; ${first.key} value ${first.value ?? '?'} via ${first.write!.node ?? '?'}`,
    );
  const stale = v.examples.stale?.[0]?.read;
  if (stale) timeline.mark('stale-read', origin + stale.invokeMs, `${v.values.stale} stale value(s)`);
  const divergent = v.examples.divergence?.[0]?.read;
  if (divergent) timeline.mark('divergent-read', origin + divergent.invokeMs, `${v.divergence} divergent read(s)`);
}
