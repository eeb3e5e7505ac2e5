import type { PodInfo } from '../platform/platform.ts';
import type { Check, FailoverPath, ScenarioResult } from './model.ts';
import type { ClusterNode } from '../redis/types.ts';
import { formatSlots, isMaster } from '../redis/cluster-nodes.ts';
import { PodNotServingError } from '../errors.ts';
import { settleWatch, watchFailover, type WatchFacts, type WatchResult } from './failover-watch.ts';
import {
  clusterHealthy,
  dataIntact,
  electionQuorum,
  nodeIdKept,
  podRecreated,
  rejoinedAsReplica,
  promotionCheck,
  type NodeIdFacts,
  type RejoinFacts,
  type Victim,
} from './failover-checks.ts';
import { thresholdChecks } from './thresholds.ts';
import { driveSteps, type DriveOutcome, type ScenarioEnv, type Step } from './driver.ts';
import { nodesConfSelf, waitForRole } from './cluster-view.ts';
import { waitForWritesRecovered } from './workload.ts';
import { snapshotMaster, type MasterTarget } from './victim.ts';
import { nodeIdFactsOf, waitForPodBack } from './pod-return.ts';
import { scenarioResult } from './result.ts';
import { canariesStep, preconditionsStep, shardPods, victimLoad, writerStep } from './setup-steps.ts';
import { endSteps, type EndFacts } from './final-steps.ts';
import type { ScenarioSettings } from './settings.ts';

/** Everything observed so far; what is still undefined was not reached. */
export interface FailoverFacts extends MasterTarget, WatchFacts, EndFacts {
  /** `victim`: the master to delete (default: the master holding slot 0). */
  opts: ScenarioSettings;
  confBefore: ClusterNode | null;
  /** The watch started at the deletion; awaited by the next step. */
  watching?: Promise<WatchResult>;
  podAfter?: PodInfo;
  /** The pod was recreated but never served (its exit and last log lines). */
  returnFailed?: string;
  nodeId?: NodeIdFacts;
  rejoin?: RejoinFacts;
}

/**
 * Snapshot before anything destructive (a bad --victim is an input error and throws): every pod's view, the
 * victim with its slots and replicas, its nodes.conf `myself` line, the topology.
 */
export async function snapshotFailover(env: ScenarioEnv, opts: ScenarioSettings): Promise<FailoverFacts> {
  const target = await snapshotMaster(env, opts.victim);
  const { victim, mastersWithSlots } = target;
  const facts: FailoverFacts = {
    ...target,
    opts,
    confBefore: await nodesConfSelf(env.platform, victim.pod, env.redis.clusterConfigFile),
    path: 'no-failover',
    finished: false,
  };
  env.log.info(
    `Victim: pod ${victim.pod} (${victim.ip}), node ${victim.nodeId}, slots ${formatSlots(victim.slots).join(',')}, ` +
      `${victim.replicaIds.length} replica(s); ${mastersWithSlots} master(s) own slots`,
  );
  const quorum = electionQuorum(mastersWithSlots);
  if (!quorum.possible)
    env.log.warn(
      `${quorum.note}; expect no failover within the ${(opts.failoverTimeoutMs / 1000).toFixed(0)} s failover timeout`,
    );
  return facts;
}

/** What the returned node must be: a replica of the promoted node, or (nothing took over) the master of its slots. */
export function isRejoined(self: ClusterNode, promotedId: string | undefined, victim: Victim): boolean {
  if (promotedId) return self.flags.has('slave') && self.masterId === promotedId;
  return isMaster(self) && JSON.stringify(self.slots) === JSON.stringify(victim.slots);
}

/** The steps of DESIGN's master-failover, in order; each reads and extends the facts. */
export const failoverSteps: ReadonlyArray<Step<FailoverFacts>> = [
  preconditionsStep(shardPods),
  canariesStep(victimLoad),
  writerStep(),
  {
    // Delete, watching from the survivors from the moment of deletion.
    stage: (f) => `deleting pod ${f.victim.pod}`,
    run: async (f, ctx) => {
      const { opts, victim } = f;
      const survivors = f.podsBefore.filter((p) => p.name !== victim.pod).map(ctx.addressOf);
      // The origin is the delete request itself: a platform taking a hold first says when it sends it (onDelete),
      // so the hold's cost is not counted as failover time; one that does not deletes at once.
      const requested = Date.now();
      const deleted = (at: number) => {
        ctx.timeline.setOrigin(at);
        ctx.timeline.mark(
          'pod-deleted',
          at,
          `${victim.pod} (${opts.killMode}${opts.holdRestart ? ', restart held' : ''})`,
        );
      };
      ctx.log.info(
        `Deleting pod ${victim.pod} (${opts.killMode}, ${opts.holdRestart ? 'restart held' : 'restart not held'})`,
      );
      const stopWatch = new AbortController();
      // A cancel ends the watch whenever it comes, the deletion included: a watch left running after teardown
      // polls the old pod addresses (another run's, once reused) until its timeout and keeps the process alive.
      const watching = watchFailover({
        reach: ctx.reach,
        survivors,
        victim,
        holdRestart: opts.holdRestart,
        timeoutMs: opts.failoverTimeoutMs,
        mastersWithSlots: f.mastersWithSlots,
        signal: ctx.signal ? AbortSignal.any([ctx.signal, stopWatch.signal]) : stopWatch.signal,
        log: ctx.log,
      });
      ctx.holding(opts.holdRestart);
      try {
        await ctx.platform.faults.podDelete.delete(victim.pod, {
          hold: opts.holdRestart,
          mode: opts.killMode,
          onDelete: deleted,
        });
        deleted(requested); // no effect when onDelete came first (the first origin and mark stand)
      } catch (err) {
        stopWatch.abort();
        await watching;
        throw err;
      }
      ctx.timeline.mark('pod-gone', Date.now());
      // The watch ends by itself (done, timed out) or on a cancel.
      f.watching = watching;
    },
  },
  {
    stage: 'watching the failover',
    run: async (f, ctx) => {
      const watch = await settleWatch(f, ctx, 'the failover');
      ctx.log.info(describeWatch(watch, f.path, ctx.timeline.originAt!, f.mastersWithSlots));
      if (f.writer && watch.promoted && !f.opts.writeWait) await waitForWritesRecovered(f.writer, ctx.log, ctx.signal);
    },
  },
  {
    stage: (f) => `waiting for pod ${f.victim.pod} to come back`,
    run: async (f, ctx) => {
      if (f.opts.holdRestart) {
        await ctx.platform.faults.podDelete.releaseHold();
        ctx.holding(false);
        ctx.timeline.mark('hold-released', Date.now());
      }
      f.podAfter = await waitForPodBack(ctx, f.victim, f.opts.rejoinTimeoutMs).catch((err: unknown) => {
        if (err instanceof PodNotServingError) f.returnFailed = err.message;
        throw err;
      });
    },
  },
  {
    // A node that lost its nodes.conf comes back as a stranger with a new NodeID: it cannot rejoin, so the
    // rejoin and health are looked at once instead of waited for.
    stage: (f) => `checking pod ${f.victim.pod}'s NodeID and rejoin`,
    run: async (f, ctx) => {
      const { victim, opts } = f;
      const address = ctx.addressOf(f.podAfter!);
      f.nodeId = await nodeIdFactsOf(ctx, victim, f.victimPod, f.podAfter!, f.confBefore);
      f.sameNode = f.nodeId.myIdAfter === victim.nodeId;
      const promotedId = f.watch?.promoted?.id;
      const expected = promotedId
        ? `a replica of ${promotedId}`
        : `the master of ${formatSlots(victim.slots).join(',')}`;
      const self = await waitForRole(
        ctx.reach,
        address,
        expected,
        (s) => isRejoined(s, promotedId, victim),
        f.sameNode ? opts.rejoinTimeoutMs : 0,
        ctx.log,
        ctx.signal,
      );
      if (self.ok)
        ctx.timeline.mark(
          'rejoined',
          Date.now(),
          promotedId ? `replica of ${promotedId.slice(0, 8)}` : 'master of its slots',
        );
      f.rejoin = { path: f.path, victim, ...(promotedId ? { promotedId } : {}), self: self.self, view: self.view };
    },
  },
  ...endSteps<FailoverFacts>(),
];

/** The six checks and the budgets, as pure functions of the facts and the driver's outcome. */
export function failoverChecks(
  f: FailoverFacts,
  outcome: Pick<DriveOutcome, 'error' | 'timeline'>,
  timings: ScenarioResult['timings'],
): Check[] {
  const notReached = `not reached: ${outcome.error ?? 'the scenario stopped early'}`;
  const t0 = outcome.timeline.originAt;
  return [
    promotionCheck(f, t0, notReached),
    podRecreated(f.victim, f.podAfter, notReached, f.returnFailed),
    nodeIdKept(f.nodeId, notReached),
    rejoinedAsReplica(f.rejoin, notReached, f.returnFailed),
    clusterHealthy(f.health, notReached),
    dataIntact(f.finished ? f.canaries : undefined, f.writes, f.opts.writeRate > 0, notReached),
    ...thresholdChecks(
      f.opts.thresholds,
      {
        path: f.path,
        failoverMs: timings.failoverMs,
        writes: f.writes,
        writerOn: f.opts.writeRate > 0,
        finished: f.finished,
      },
      notReached,
    ),
  ];
}

/** Failover, cluster ok and rejoin times from the timeline (rejoin counted from the hold's release when held). */
export function failoverTimings(outcome: Pick<DriveOutcome, 'timeline'>): ScenarioResult['timings'] {
  const tl = outcome.timeline;
  const timings: ScenarioResult['timings'] = {};
  if (tl.originAt === undefined) return timings;
  const failoverMs = tl.since('replica-promoted');
  const clusterOkMs = tl.since('cluster-ok');
  if (failoverMs !== undefined) timings.failoverMs = failoverMs;
  if (clusterOkMs !== undefined) timings.clusterOkMs = clusterOkMs;
  const rejoined = tl.at('rejoined');
  if (rejoined !== undefined) timings.rejoinMs = rejoined - (tl.at('hold-released') ?? tl.originAt);
  return timings;
}

/** A master-failover result always names its victim and path. */
export type FailoverResult = ScenarioResult & Required<Pick<ScenarioResult, 'victim' | 'path'>>;

/**
 * Deletes a master pod and proves what the design's scenario promises: a replica takes over, the pod comes back
 * with its NodeID and follows the new master, the cluster is whole, no acknowledged write is lost. Throws only
 * before anything is touched (bad --victim); afterwards a failure becomes status fail with `error` set, and the
 * hold is always released (the driver's `finally`).
 */
export async function runMasterFailover(env: ScenarioEnv, opts: ScenarioSettings): Promise<FailoverResult> {
  const startedAt = Date.now();
  const facts = await snapshotFailover(env, opts);
  const outcome = await driveSteps('master-failover', failoverSteps, facts, env);
  const timings = failoverTimings(outcome);
  if (timings.rejoinMs !== undefined) {
    env.log.info(
      `Rejoined ${timings.rejoinMs} ms after the ${outcome.timeline.has('hold-released') ? 'hold was released' : 'deletion'}`,
    );
  }
  const v = facts.victim;
  const result = scenarioResult(env, 'master-failover', startedAt, outcome, failoverChecks(facts, outcome, timings), {
    path: facts.path,
    holdRestart: opts.holdRestart,
    victim: { pod: v.pod, nodeId: v.nodeId, uid: v.uid, ip: v.ip, slots: formatSlots(v.slots), replicas: v.replicaIds },
    timings,
    ...(facts.writes ? { writes: facts.writes } : {}),
    topologyBefore: facts.topologyBefore,
    ...(facts.topologyAfter ? { topologyAfter: facts.topologyAfter } : {}),
  });
  return { ...result, path: facts.path, victim: result.victim! };
}

function describeWatch(w: WatchResult, path: FailoverPath, t0: number, masters: number): string {
  const ms = (t?: number) => (t === undefined ? 'not seen' : `${t - t0} ms`);
  const e = w.events;
  const base = `PFAIL ${ms(e.pfailSeen)}, FAIL ${ms(e.failSeen)}, promoted ${ms(e.promotedAt)}, cluster ok ${ms(e.clusterOkAt)}`;
  if (path === 'restarted-before-failover')
    return `Path: the pod came back before any failover (${ms(e.backBeforeFailoverAt)}); ${base}`;
  if (path === 'no-failover' && w.addressTaken) return `Path: no failover: ${w.addressTaken}; ${base}`;
  if (path === 'no-failover' && w.blocked) return `Path: no failover (${w.blocked}); ${base}`;
  if (path === 'no-failover')
    return `Path: no failover within the timeout (${masters} master(s) owning slots); ${base}`;
  return `Path: failover; ${base}`;
}
