import type { HostPort, PodInfo } from '../platform/platform.ts';
import type { ClusterNode } from '../redis/types.ts';
import type { Log } from '../util/log.ts';
import { formatAddress, type Reach } from '../redis/connect.ts';
import { viewOf } from '../redis/health.ts';
import { NodePool } from '../redis/node-pool.ts';
import { CancelledError, TimeoutError } from '../errors.ts';
import { waitFor } from '../util/wait.ts';
import type { FailoverPath, TimelineEvent } from './model.ts';
import type { Victim } from './failover-checks.ts';
import { failoverBlocker } from './failover-blocker.ts';
import { waitForRole } from './cluster-view.ts';
import type { StepContext, Timeline } from './driver.ts';

export interface WatchEvents {
  pfailSeen?: number;
  failSeen?: number;
  promotedAt?: number;
  clusterOkAt?: number;
  /** Without the hold: when the survivors first saw the victim's NodeID back, unflagged, at a new address. */
  backBeforeFailoverAt?: number;
  /** When a survivor first flagged the victim `noaddr` (its address answered as another node: see addressTaken). */
  noaddrAt?: number;
}

export interface WatchResult {
  events: WatchEvents;
  promoted?: ClusterNode;
  /** What the survivors said about the victim's NodeID on the last round. */
  lastSeen: string[];
  timedOut: boolean;
  /** Set when the watch ended because the victim's address was taken: what that means, for the report. */
  addressTaken?: string;
  /** Why Redis will not fail over, as the survivors showed it (failover-blocker.ts); the watch stopped there. */
  blocked?: string;
}

export interface WatchOptions {
  reach: Reach;
  survivors: HostPort[];
  victim: Victim;
  /** Without the hold the pod may return before any failover; that also ends the watch. */
  holdRestart: boolean;
  timeoutMs: number;
  /** Masters owning slots before the fault: whether a majority is left to elect a replica. */
  mastersWithSlots: number;
  intervalMs?: number;
  /** Ends the watch early (the scenario failed elsewhere): nothing keeps polling behind its back. */
  signal?: AbortSignal;
  log: Log;
}

/** Every victim slot range lies inside one of the node's ranges. */
const ownsAll = (n: ClusterNode, ranges: Array<[number, number]>): boolean =>
  ranges.every(([a, b]) => n.slots.some(([c, d]) => c <= a && b <= d));

/**
 * What `noaddr` on the victim means. A survivor that reaches the victim's address and is answered by a node with
 * another NodeID forgets that address (Redis cluster.c, cluster_legacy.c from 7.2, clusterProcessPacket: "PONG contains mismatching
 * sender ID", the node is flagged CLUSTER_NODE_NOADDR and its ip cleared). Without an address nobody pings the
 * victim, so it is never marked PFAIL/FAIL and its replica is never elected: waiting out the timeout would only
 * end in a failure blamed on the cluster.
 */
export function addressTakenDiagnosis(victim: Victim): string {
  return (
    `the survivors flag ${victim.pod} (${victim.nodeId.slice(0, 8)}) noaddr: its address ${victim.ip} was taken by another Redis node, ` +
    'so they stopped pinging it and will never mark it failed or promote its replica. The check cannot say anything about ' +
    'failover on this run; the address was reused (locally: another process bound it; on Kubernetes: the pod IP was handed to another pod)'
  );
}

/**
 * Watches the failover from the surviving nodes only (asking the dead pod would just time out): polls CLUSTER
 * NODES and CLUSTER INFO on each survivor and notes when the victim is first suspected (fail?), failed (fail),
 * a node owns all its slots (promoted), and every survivor says cluster_state:ok. Ends when all of those have
 * happened, when the victim is back without a failover (no hold), when its address was taken (noaddr: it never
 * will fail over; see addressTakenDiagnosis), or at the timeout (timedOut, not an error: a cluster that cannot
 * fail over is a finding).
 */
export async function watchFailover(opts: WatchOptions): Promise<WatchResult> {
  const events: WatchEvents = {};
  let promoted: ClusterNode | undefined;
  let lastSeen: string[] = [];
  let blocked: string | undefined;
  const start = Date.now();
  const since = (t: number | undefined): string => (t === undefined ? '-' : `${t - start} ms`);
  // Survivors are asked every round over connections kept open (on an existing cluster each new connection is
  // a new port-forward stream through the API server).
  const pool = new NodePool(opts.reach);

  const round = async () => {
    const now = Date.now();
    const answers = await Promise.all(opts.survivors.map((a) => viewOf(opts.reach, a, pool)));
    const views = answers.flatMap((a) => (a.nodes && a.info ? [{ nodes: a.nodes, state: a.info.cluster_state }] : []));
    const victimLines = views
      .map((v) => v.nodes.find((n) => n.id === opts.victim.nodeId))
      .filter((n) => n !== undefined);
    lastSeen = victimLines.map((n) => n.raw);
    if (events.pfailSeen === undefined && victimLines.some((n) => n.flags.has('fail?'))) events.pfailSeen = now;
    if (events.failSeen === undefined && victimLines.some((n) => n.flags.has('fail'))) {
      events.failSeen = now;
      // A FAIL seen in one round may skip its PFAIL (both happened between polls): PFAIL comes no later.
      events.pfailSeen ??= now;
    }
    if (!promoted) {
      for (const v of views) {
        promoted = v.nodes.find(
          (n) => n.id !== opts.victim.nodeId && n.flags.has('master') && ownsAll(n, opts.victim.slots),
        );
        if (promoted) {
          events.promotedAt = now;
          break;
        }
      }
    }
    const allOk = views.length === opts.survivors.length && views.every((v) => v.state === 'ok');
    if (promoted && events.clusterOkAt === undefined && allOk) events.clusterOkAt = now;
    if (!opts.holdRestart && !promoted && events.backBeforeFailoverAt === undefined) {
      const back = victimLines.find(
        (n) =>
          n.ip !== opts.victim.ip &&
          n.ip !== '' &&
          !n.flags.has('fail') &&
          !n.flags.has('fail?') &&
          n.flags.has('master') &&
          ownsAll(n, opts.victim.slots),
      );
      if (back) events.backBeforeFailoverAt = now;
    }
    const failures = answers.flatMap((a) => (a.error !== undefined ? [`${formatAddress(a.address)}: ${a.error}`] : []));
    const seen =
      `PFAIL ${since(events.pfailSeen)}, FAIL ${since(events.failSeen)}, promoted ${since(events.promotedAt)}, ` +
      `cluster ok ${since(events.clusterOkAt)}; survivors see the victim as ${[...new Set(victimLines.map((n) => [...n.flags].join(',')))].join(' / ') || 'nothing'}` +
      (failures.length ? `; unreachable: ${failures.join('; ')}` : '');
    if (events.noaddrAt === undefined && !promoted && victimLines.some((n) => n.flags.has('noaddr')))
      events.noaddrAt = now;
    // Where Redis already shows that it will not fail over, waiting out the timeout would only add time.
    if (!promoted && events.backBeforeFailoverAt === undefined)
      blocked = failoverBlocker(
        views.map((v) => v.nodes),
        opts.victim,
        opts.mastersWithSlots,
      );
    const done =
      events.clusterOkAt !== undefined ||
      events.backBeforeFailoverAt !== undefined ||
      events.noaddrAt !== undefined ||
      blocked !== undefined ||
      opts.signal?.aborted === true;
    return done ? { done: true as const, value: undefined } : { done: false as const, seen };
  };

  try {
    await waitFor(
      `a replica of ${opts.victim.pod} to take over its slots and cluster_state:ok on every survivor`,
      round,
      {
        timeoutMs: opts.timeoutMs,
        intervalMs: opts.intervalMs ?? 75,
        onProgress: (ms, seen) => opts.log.progress(`failover, ${(ms / 1000).toFixed(0)} s: ${seen}`),
      },
    );
    if (events.noaddrAt !== undefined) {
      const addressTaken = addressTakenDiagnosis(opts.victim);
      opts.log.warn(`failover: ${addressTaken}`);
      return { events, promoted, lastSeen, timedOut: false, addressTaken };
    }
    if (blocked !== undefined) opts.log.warn(`no failover will happen: ${blocked}`);
    return { events, promoted, lastSeen, timedOut: false, ...(blocked !== undefined ? { blocked } : {}) };
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    opts.log.progress(err.message);
    return { events, promoted, lastSeen, timedOut: true };
  } finally {
    pool.close();
  }
}

/** The watch's events on a scenario's timeline. */
export function markWatch(timeline: Timeline, watch: WatchResult): void {
  const ev = watch.events;
  if (ev.pfailSeen !== undefined) timeline.mark('pfail-seen', ev.pfailSeen);
  if (ev.failSeen !== undefined) timeline.mark('fail-seen', ev.failSeen);
  if (ev.promotedAt !== undefined)
    timeline.mark(
      'replica-promoted',
      ev.promotedAt,
      watch.promoted && `${watch.promoted.id.slice(0, 8)} at ${watch.promoted.ip}`,
    );
  if (ev.clusterOkAt !== undefined) timeline.mark('cluster-ok', ev.clusterOkAt);
}

/** The path a watch shows: a replica promoted, the pod back before that (no hold), or neither. */
export function pathOf(watch: WatchResult): FailoverPath {
  return watch.promoted
    ? 'failover'
    : watch.events.backBeforeFailoverAt !== undefined
      ? 'restarted-before-failover'
      : 'no-failover';
}

/** What a scenario watching a failover keeps of it: the watch under way, its result, the path it shows. */
export interface WatchFacts {
  watching?: Promise<WatchResult>;
  watch?: WatchResult;
  path: FailoverPath;
}

/**
 * Awaits the watch started at the fault and puts what it saw on the facts and the timeline. The watch ends early
 * on a cancel: what it saw is then not the failover's outcome (CancelledError, waiting for `what`).
 */
export async function settleWatch(f: WatchFacts, ctx: StepContext, what: string): Promise<WatchResult> {
  const watch = await f.watching!;
  if (ctx.signal?.aborted) throw new CancelledError(what);
  f.watch = watch;
  markWatch(ctx.timeline, watch);
  f.path = pathOf(watch);
  return watch;
}

/**
 * Once a master that outlived the fault in place (frozen, cut off) is back: waits until it follows the node
 * promoted in its stead (`event` marked then); what it is at the timeout is for the check. Undefined when no
 * replica was promoted.
 */
export async function waitForFollower(
  f: WatchFacts & { victimPod: PodInfo; opts: { rejoinTimeoutMs: number } },
  ctx: StepContext,
  event: TimelineEvent,
): Promise<{ node: ClusterNode; ok: boolean } | undefined> {
  const promotedId = f.watch?.promoted?.id;
  if (!promotedId) return undefined;
  const role = await waitForRole(
    ctx.reach,
    ctx.addressOf(f.victimPod),
    `a replica of ${promotedId}`,
    (s) => s.flags.has('slave') && s.masterId === promotedId,
    f.opts.rejoinTimeoutMs,
    ctx.log,
    ctx.signal,
  );
  if (role.ok) ctx.timeline.mark(event, Date.now(), `replica of ${promotedId.slice(0, 8)}`);
  return { node: role.self, ok: role.ok };
}
