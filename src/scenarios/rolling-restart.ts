import type { PodInfo } from '../platform/platform.ts';
import { required } from '../platform/faults.ts';
import type { Check, PodRestart, ScenarioResult, ShardWrites, WriteStats } from './model.ts';
import type { Topology, ClusterNode } from '../redis/types.ts';
import { messageOf } from '../errors.ts';
import { formatSlots, isMaster, myself } from '../redis/cluster-nodes.ts';
import { replicationOf, type ClusterHealth } from '../redis/health.ts';
import { sleep } from '../util/wait.ts';
import type { Writer } from './writer.ts';
import { clusterHealthy, dataIntact, type Canary } from './failover-checks.ts';
import { thresholdChecks } from './thresholds.ts';
import { driveSteps, type ScenarioEnv, type Step, type StepContext } from './driver.ts';
import { podViews, topologyOf, viewsOfEveryPod } from './cluster-view.ts';
import { healthAfter } from './final-steps.ts';
import { mergeVerdicts } from './history/check.ts';
import { finishWriter, readCanaries, runTag } from './workload.ts';
import { canariesStep, preconditionsStep, shardWritersStep, type LoadTarget, type SetupFacts } from './setup-steps.ts';
import type { ScenarioSettings } from './settings.ts';
import { scenarioResult } from './result.ts';

/** One shard before the restart: its master's pod and NodeID and the slots it owns. */
export interface Shard {
  slots: Array<[number, number]>;
  masterPod: string;
  masterId: string;
  writer?: Writer;
  canaries?: Canary[];
}

/** What the watcher saw of one pod during the rollout (Date.now() times). */
export interface PodWatch {
  pod: PodInfo;
  node: ClusterNode;
  goneAt?: number;
  readyAt?: number;
  after?: PodInfo;
  /** First time its replication link was seen up after it was ready (replicas only). */
  syncedAt?: number;
  roleAfter?: 'master' | 'replica';
  /** The master it replicates from once back (its announced IP), from its replication state. */
  masterHostAfter?: string;
  nodeIdAfter?: string;
}

export interface RollingFacts extends SetupFacts {
  watches: PodWatch[];
  shards: Shard[];
  topologyBefore: Topology;
  /** Slot ranges per master NodeID, as CLUSTER NODES showed them before and after. */
  coverageBefore: string;
  coverageAfter?: string;
  /** Promotions seen: the owner of a shard's first slot changed (old and new NodeID, when). */
  promotions: Array<{ slots: string; from: string; to: string; at: number }>;
  /** A master's pod deleted while its own replica was ready but its replication link not up (the probe lied). */
  unsyncedDeletions: Array<{ deleted: string; unsynced: string; at: number }>;
  rolloutDone: boolean;
  /** When the watch stopped: a replica never seen in sync was out of sync until then at least. */
  watchEndedAt?: number;
  podsAfter?: PodInfo[];
  health?: ClusterHealth;
  shardWrites?: ShardWrites[];
  topologyAfter?: Topology;
  finished: boolean;
}

export const POLL_MS = 100;

/** Every master's slots, as one comparable line (the NodeIDs left out: a failover moves slots between nodes). */
export function coverageOf(nodes: ClusterNode[]): string {
  return nodes
    .filter((n) => isMaster(n) && n.slots.length > 0)
    .map((n) => formatSlots(n.slots).join(','))
    .sort()
    .join(' ');
}

export async function snapshotRolling(env: ScenarioEnv, opts: ScenarioSettings): Promise<RollingFacts> {
  const views = await viewsOfEveryPod(env);
  const podsBefore = views.map((v) => v.pod);
  const watches = views.map((v) => ({ pod: v.pod, node: myself(v.nodes) }));
  const shards = watches
    .filter((w) => isMaster(w.node) && w.node.slots.length > 0)
    .map((w) => ({ slots: w.node.slots, masterPod: w.pod.name, masterId: w.node.id }));
  return {
    opts,
    run: runTag(),
    podsBefore,
    watches,
    shards,
    topologyBefore: topologyOf(views),
    coverageBefore: coverageOf(views[0]!.nodes),
    promotions: [],
    unsyncedDeletions: [],
    rolloutDone: false,
    finished: false,
  };
}

/**
 * Polls the pods and the cluster while the rollout runs: when each pod went and came back ready, when a
 * returned replica's link came up, which shard's slots changed owner (a failover), and whether a pod was
 * deleted while another was ready but not yet in sync.
 */
export async function watchRollout(f: RollingFacts, ctx: StepContext, done: () => boolean): Promise<void> {
  const owners = new Map(f.shards.map((s) => [s.slots[0]![0], s.masterId]));
  while (!done()) {
    const now = Date.now();
    const pods = await ctx.platform.listPods().catch(() => undefined);
    for (const p of pods ?? []) {
      const w = f.watches.find((x) => x.pod.name === p.name)!;
      const replaced = p.uid !== w.pod.uid;
      if (w.goneAt === undefined && (replaced || !p.ready)) {
        w.goneAt = now;
        // The hazard: a master going while its own replica is ready (so the rollout moved on) but not in sync.
        for (const other of f.watches) {
          if (
            other !== w &&
            other.readyAt !== undefined &&
            other.syncedAt === undefined &&
            other.masterHostAfter === w.pod.ip
          ) {
            f.unsyncedDeletions.push({ deleted: w.pod.name, unsynced: other.pod.name, at: now });
          }
        }
      }
      if (replaced && p.ready && w.readyAt === undefined) {
        w.readyAt = now;
        w.after = p;
      }
      if (w.readyAt !== undefined && w.syncedAt === undefined && w.after) {
        const r = await replicationOf(ctx.reach, ctx.addressOf(w.after)).catch(() => undefined);
        if (r) w.roleAfter = r.role === 'slave' ? 'replica' : 'master';
        if (r?.masterHost) w.masterHostAfter = r.masterHost;
        if (r && (r.role !== 'slave' || r.masterLinkStatus === 'up')) w.syncedAt = now;
      }
    }
    // The owner of each shard's first slot, from any pod that answers.
    for (const p of pods ?? []) {
      if (!p.ready || !p.ip) continue;
      const view = await podViews(ctx.reach, [p], ctx.addressOf).catch(() => undefined);
      if (!view) continue;
      for (const [slot, owner] of owners) {
        const now2 = view[0]!.nodes.find(
          (n) => isMaster(n) && !n.flags.has('fail') && n.slots.some(([a, b]) => a <= slot && slot <= b),
        );
        if (now2 && now2.id !== owner) {
          f.promotions.push({
            slots: formatSlots(f.shards.find((s) => s.slots[0]![0] === slot)!.slots).join(','),
            from: owner,
            to: now2.id,
            at: Date.now(),
          });
          ctx.timeline.mark('replica-promoted', Date.now(), `${now2.id.slice(0, 8)} took slot ${slot}`);
          owners.set(slot, now2.id);
        }
      }
      break;
    }
    await sleep(POLL_MS, ctx.signal);
  }
}

/** Each shard's slots, its canaries acknowledged by a replica. */
const shardLoad = (f: RollingFacts): LoadTarget[] =>
  f.shards.map((s) => ({ slots: s.slots, replicated: true, into: s }));

/** Before the pods roll: the preconditions, a canary per shard, a writer per shard. */
export const rollingSetupSteps: ReadonlyArray<Step<RollingFacts>> = [
  preconditionsStep(),
  canariesStep(shardLoad),
  // A writer per shard, the rate shared among them: max-unavailable-ms is judged per shard.
  shardWritersStep(shardLoad),
];

const restartStep: Step<RollingFacts> = {
  stage: 'restarting the StatefulSet (rollout restart)',
  run: async (f, ctx) => {
    const t0 = Date.now();
    ctx.timeline.setOrigin(t0);
    ctx.timeline.mark('restart-started', t0, `${f.podsBefore.length} pods`);
    ctx.log.info(`Rollout restart of StatefulSet ${ctx.redis.name} (${f.podsBefore.length} pods)`);
    await rollWatched(f, ctx, () =>
      required(ctx.platform.faults.rollingRestart).restartAll(f.opts.rejoinTimeoutMs * f.podsBefore.length),
    );
  },
};

/**
 * Runs `roll` (the pods replaced) under watchRollout and any `also` watcher, one more poll round after it (the
 * last pod's ready and link state), then marks the rollout done.
 */
export async function rollWatched(
  f: RollingFacts,
  ctx: StepContext,
  roll: () => Promise<void>,
  also: (done: () => boolean) => Promise<void> = async () => {},
): Promise<void> {
  let over = false;
  const watching = Promise.all([
    watchRollout(f, ctx, () => over).catch((err: unknown) => ctx.log.warn(`rollout watch: ${messageOf(err)}`)),
    also(() => over),
  ]);
  try {
    await roll();
    await sleep(POLL_MS * 3, ctx.signal);
  } finally {
    over = true;
    await watching;
    f.watchEndedAt = Date.now();
  }
  f.rolloutDone = true;
  ctx.timeline.mark('restart-done', Date.now());
}

/** After the pods rolled: the cluster's health, NodeIDs and roles, then the writes and canaries read back. */
export const rollingCheckSteps: ReadonlyArray<Step<RollingFacts>> = [
  {
    stage: 'checking the cluster health',
    run: async (f, ctx) => {
      await healthAfter(f, ctx, f.opts.rejoinTimeoutMs);
      const views = await podViews(ctx.reach, f.podsAfter!, ctx.addressOf);
      f.topologyAfter = topologyOf(views);
      f.coverageAfter = coverageOf(views[0]!.nodes);
      for (const v of views) {
        const w = f.watches.find((x) => x.pod.name === v.pod.name)!;
        const self = myself(v.nodes);
        w.nodeIdAfter = self.id;
        w.roleAfter = isMaster(self) ? 'master' : 'replica';
      }
    },
  },
  {
    stage: 'reading back the writes and canaries',
    run: async (f, ctx) => {
      const seeds = f.podsAfter!.map(ctx.addressOf);
      f.shardWrites = [];
      for (const s of f.shards) {
        if (s.writer)
          f.shardWrites.push({
            slots: formatSlots(s.slots),
            masterPod: s.masterPod,
            writes: await finishWriter(ctx, s.writer, seeds),
          });
        s.canaries = await readCanaries(ctx.reach, seeds, s.canaries);
      }
      f.finished = true;
    },
  },
];

export const rollingSteps: ReadonlyArray<Step<RollingFacts>> = [
  ...rollingSetupSteps,
  restartStep,
  ...rollingCheckSteps,
];

/** Per pod, what the report shows (pure). */
export function podRestarts(f: RollingFacts): PodRestart[] {
  return [...f.watches]
    .sort((a, b) => (a.goneAt ?? Infinity) - (b.goneAt ?? Infinity))
    .map((w) => ({
      pod: w.pod.name,
      ordinal: w.pod.ordinal,
      nodeId: w.node.id,
      uidBefore: w.pod.uid,
      ...(w.after ? { uidAfter: w.after.uid } : {}),
      roleBefore: isMaster(w.node) ? ('master' as const) : ('replica' as const),
      ...(w.roleAfter ? { roleAfter: w.roleAfter } : {}),
      ...(w.goneAt !== undefined && w.readyAt !== undefined ? { restartMs: w.readyAt - w.goneAt } : {}),
      failover: f.promotions.some((p) => p.from === w.node.id),
      ...(w.readyAt !== undefined && w.roleAfter === 'replica'
        ? { unsyncedReadyMs: (w.syncedAt ?? f.watchEndedAt ?? w.readyAt) - w.readyAt }
        : {}),
      ...(w.nodeIdAfter ? { nodeIdKept: w.nodeIdAfter === w.node.id } : {}),
    }));
}

const skipped = (id: Check['id'], why: string): Check => ({ id, status: 'skipped', summary: why, evidence: {} });

export function rollingChecks(f: RollingFacts, error: string | undefined): Check[] {
  const notReached = `not reached: ${error ?? 'the scenario stopped early'}`;
  const pods = podRestarts(f);
  const replaced = pods.filter((p) => p.uidAfter && p.uidAfter !== p.uidBefore);
  const checks: Check[] = [];
  checks.push(
    !f.rolloutDone
      ? skipped('pods-replaced', notReached)
      : replaced.length === pods.length
        ? {
            id: 'pods-replaced',
            status: 'pass',
            summary: `all ${pods.length} pods replaced once (new UIDs), in the order ${pods.map((p) => p.pod).join(', ')}`,
            evidence: { pods },
          }
        : {
            id: 'pods-replaced',
            status: 'fail',
            summary: `${pods.length - replaced.length} of ${pods.length} pods kept their UID: ${pods
              .filter((p) => !replaced.includes(p))
              .map((p) => p.pod)
              .join(', ')}`,
            evidence: { pods },
          },
  );
  checks.push(nodeIdsCheck(f, pods, notReached));
  checks.push(clusterHealthy(f.health, notReached));
  checks.push(coverageCheck(f, notReached));
  checks.push(failoversSafeCheck(f, pods, notReached));
  checks.push(...writeChecks(f, notReached));
  return checks;
}

/** Every pod back with its NodeID; `cause` says what explains a loss (a rollout names the change). */
export function nodeIdsCheck(
  f: RollingFacts,
  pods: PodRestart[],
  notReached: string,
  cause?: (changed: PodRestart[]) => string | undefined,
): Check {
  const changed = pods.filter((p) => p.nodeIdKept === false);
  const why = changed.length ? cause?.(changed) : undefined;
  return !f.health
    ? skipped('node-id-kept', notReached)
    : changed.length === 0
      ? {
          id: 'node-id-kept',
          status: 'pass',
          summary: `every pod came back with its NodeID`,
          evidence: { pods: pods.map((p) => ({ pod: p.pod, nodeId: p.nodeId })) },
        }
      : {
          id: 'node-id-kept',
          status: 'fail',
          summary: `NodeID changed on ${changed.map((p) => p.pod).join(', ')}${why ? `: ${why}` : ''}`,
          evidence: { changed, ...(why ? { cause: why } : {}) },
        };
}

export function coverageCheck(f: RollingFacts, notReached: string): Check {
  return f.coverageAfter === undefined
    ? skipped('slot-coverage-kept', notReached)
    : f.coverageAfter === f.coverageBefore
      ? {
          id: 'slot-coverage-kept',
          status: 'pass',
          summary: `the same ${f.shards.length} slot ranges are owned by masters as before`,
          evidence: { before: f.coverageBefore, after: f.coverageAfter },
        }
      : {
          id: 'slot-coverage-kept',
          status: 'fail',
          summary: `slot ownership changed: before ${f.coverageBefore}, after ${f.coverageAfter}`,
          evidence: { before: f.coverageBefore, after: f.coverageAfter },
        };
}

/** A rolling restart should need no failover; one that happens, or a master deleted while its replica was ready
 * but out of sync (the readiness probe says ready too early), is the risk users must see. */
export function failoversSafeCheck(f: RollingFacts, pods: PodRestart[], notReached: string): Check {
  const risky = f.unsyncedDeletions;
  const unsynced = pods.filter((p) => (p.unsyncedReadyMs ?? 0) > 0);
  const evidence = {
    failovers: f.promotions,
    unsyncedDeletions: risky,
    unsyncedReady: unsynced.map((p) => ({ pod: p.pod, ms: p.unsyncedReadyMs })),
  };
  return !f.rolloutDone
    ? skipped('failovers-safe', notReached)
    : f.promotions.length === 0 && risky.length === 0
      ? {
          id: 'failovers-safe',
          status: 'pass',
          summary:
            'no failover during the rollout, and no master was deleted while its replica was ready but out of sync',
          evidence,
        }
      : {
          id: 'failovers-safe',
          status: 'fail',
          summary:
            `${f.promotions.length} failover(s) during the rollout` +
            (risky.length
              ? `; ${risky.map((r) => `${r.deleted} deleted while its replica ${r.unsynced} was ready but not in sync`).join('; ')} (the readiness probe reports ready before the replica has synced)`
              : ''),
          evidence,
        };
}

/** data-intact and the write budgets, over every shard's writer. */
export function writeChecks(f: RollingFacts, notReached: string): Check[] {
  const writerOn = f.opts.writeRate > 0;
  const checks: Check[] = [];
  const canaries = f.finished ? f.shards.flatMap((s) => s.canaries ?? []) : undefined;
  const total = aggregateWrites(f.shardWrites);
  checks.push(dataIntact(canaries, total, writerOn, notReached));
  const worst = total && f.shardWrites!.find((s) => s.writes.unavailableMs === total.unavailableMs);
  checks.push(
    ...thresholdChecks(
      { maxUnavailableMs: f.opts.thresholds.maxUnavailableMs, maxLostWrites: f.opts.thresholds.maxLostWrites },
      { path: 'no-failover', writes: total, writerOn, finished: f.finished },
      notReached,
    ).map((c) =>
      c.id === 'max-unavailable-ms' && worst
        ? {
            ...c,
            summary: `${c.summary} (worst shard ${worst.slots.join(',')}, ${worst.masterPod ?? 'master unknown'})`,
          }
        : c,
    ),
  );
  return checks;
}

/**
 * All shards' writes as one WriteStats: counts summed, the unavailable window the worst shard's (a budget in
 * max-unavailable-ms applies per shard: what one shard's clients live through).
 */
export function aggregateWrites(shards: ShardWrites[] | undefined): WriteStats | undefined {
  if (!shards?.length) return undefined;
  const ws = shards.map((s) => s.writes);
  const total = (k: 'attempted' | 'skipped' | 'acknowledged' | 'failed' | 'lost' | 'ratePerSecond') =>
    ws.reduce((n, w) => n + w[k], 0);
  return {
    mode: ws[0]!.mode,
    ratePerSecond: total('ratePerSecond'),
    attempted: total('attempted'),
    skipped: total('skipped'),
    acknowledged: total('acknowledged'),
    failed: total('failed'),
    lost: total('lost'),
    unavailableMs: Math.max(...ws.map((w) => w.unavailableMs)),
    lostKeys: ws.flatMap((w) => w.lostKeys).slice(0, 5),
    firstErrors: [...new Set(ws.flatMap((w) => w.firstErrors))].slice(0, 5),
    ...(ws.every((w) => w.history) ? { history: mergeVerdicts(ws.map((w) => w.history!)) } : {}),
  };
}

/**
 * `kubectl rollout restart statefulset`: every pod replaced one at a time; each must come back with its
 * NodeID, the cluster whole with the same slot coverage and no acknowledged write lost; reported per pod.
 */
export async function runRollingRestart(env: ScenarioEnv, opts: ScenarioSettings): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const facts = await snapshotRolling(env, opts);
  const outcome = await driveSteps('rolling-restart', rollingSteps, facts, env);
  const pods = podRestarts(facts);
  const notes: string[] = [];
  const unsynced = pods.filter((p) => (p.unsyncedReadyMs ?? 0) > 0);
  if (unsynced.length) {
    notes.push(
      `Ready before in sync: ${unsynced.map((p) => `${p.pod} ${p.unsyncedReadyMs ?? 0} ms`).join(', ')} (a readiness probe that checks master_link_status would hold the rollout until the replica has synced).`,
    );
  }
  return scenarioResult(
    env,
    'rolling-restart',
    startedAt,
    outcome,
    rollingChecks(facts, outcome.error),
    rollingBody(facts, pods, notes),
  );
}

/** What a scenario that rolls the pods reports besides its checks: per pod, per shard, the topology. */
export function rollingBody(facts: RollingFacts, pods: PodRestart[], notes: string[]) {
  return {
    holdRestart: false,
    pods,
    failovers: facts.promotions.length,
    ...(facts.shardWrites ? { shards: facts.shardWrites } : {}),
    ...(facts.shardWrites?.length ? { writes: aggregateWrites(facts.shardWrites)! } : {}),
    timings: {},
    topologyBefore: facts.topologyBefore,
    ...(facts.topologyAfter ? { topologyAfter: facts.topologyAfter } : {}),
    ...(notes.length ? { notes } : {}),
  };
}
