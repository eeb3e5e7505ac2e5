import type { PodInfo } from '../platform/platform.ts';
import type { Check, ScenarioResult, ShardWrites } from './model.ts';
import type { Topology, ClusterNode } from '../redis/types.ts';
import { InputError, TimeoutError } from '../errors.ts';
import { reachOf } from '../redis/connect.ts';
import { isReplica, myself } from '../redis/cluster-nodes.ts';
import { probeCluster, replicationOf, type NodeHealthView, type ReplicationState } from '../redis/health.ts';
import { waitFor } from '../util/wait.ts';
import type { Writer } from './writer.ts';
import { dataIntact, type Canary, type NodeIdFacts } from './failover-checks.ts';
import { thresholdChecks } from './thresholds.ts';
import { driveSteps, type ScenarioEnv, type Step, type StepContext } from './driver.ts';
import { nodesConfSelf, podViews, topologyOf } from './cluster-view.ts';
import { markHistory, readCanaries, runTag } from './workload.ts';
import { canariesStep, preconditionsStep, shardWritersStep, type LoadTarget, type SetupFacts } from './setup-steps.ts';
import { victimOf } from './victim.ts';
import { nodeIdFactsOf, waitForPodBack } from './pod-return.ts';
import type { ScenarioSettings } from './settings.ts';
import { scenarioResult } from './result.ts';
import { aggregateWrites } from './rolling-restart.ts';
import { judgeReform, linkKey, reformCause, shardsOf, type ReformJudgement, type ShardBefore } from './reform.ts';

/** Budget for the re-form when max-reform-ms is not set: far above the 3–12 s measured (docs/design.md). */
export const DEFAULT_MAX_REFORM_MS = 60_000;
/** How long past the budget the scenario still watches, to tell "late" from "never" (bounded: no hang). */
const REFORM_GRACE_MS = 5_000;

interface PodBefore {
  pod: PodInfo;
  self: ClusterNode;
  view: ClusterNode[];
  confBefore: ClusterNode | null;
}

interface ShardLoad extends ShardBefore {
  masterPod: string;
  ranges: Array<[number, number]>;
  writer?: Writer;
  canaries?: Canary[];
}

export interface ClusterRestartFacts extends SetupFacts {
  before: PodBefore[];
  shards: ShardLoad[];
  topologyBefore: Topology;
  podsAfter?: PodInfo[];
  nodeIds?: NodeIdFacts[];
  reform?: { judgement: ReformJudgement; views: NodeHealthView[]; reformedAt?: number; budgetMs: number };
  shardWrites?: ShardWrites[];
  topologyAfter?: Topology;
  finished: boolean;
}

export async function snapshotClusterRestart(env: ScenarioEnv, opts: ScenarioSettings): Promise<ClusterRestartFacts> {
  const pods = await env.platform.listPods();
  if (opts.restartSpare !== undefined && !pods.some((p) => p.name === opts.restartSpare)) {
    throw new InputError(
      `restart-spare ${opts.restartSpare}: no such Redis pod; the pods are ${pods.map((p) => p.name).join(', ')}`,
    );
  }
  const views = await podViews(reachOf(env.platform), pods, (p) => ({ host: p.ip, port: env.redis.port }));
  const before = await Promise.all(
    views.map(async (v) => ({
      pod: v.pod,
      self: myself(v.nodes),
      view: v.nodes,
      confBefore: await nodesConfSelf(env.platform, v.pod.name, env.redis.clusterConfigFile),
    })),
  );
  const first = views[0]!.nodes;
  const shards = shardsOf(first).map((s) => {
    const master = first.find((n) => n.id === s.masterId)!;
    return { ...s, ranges: master.slots, masterPod: before.find((b) => b.self.id === s.masterId)?.pod.name ?? '?' };
  });
  return { opts, run: runTag(), podsBefore: pods, before, shards, topologyBefore: topologyOf(views), finished: false };
}

/** INFO replication of every view whose node is a replica, by view address (unreadable ones left out). */
async function replicaLinks(
  reach: StepContext['reach'],
  views: NodeHealthView[],
): Promise<Map<string, ReplicationState>> {
  const replicas = views.filter((v) => v.nodes?.some((n) => n.flags.has('myself') && isReplica(n)));
  const states = await Promise.all(replicas.map((v) => replicationOf(reach, v.address).catch(() => undefined)));
  return new Map(replicas.flatMap((v, i) => (states[i] ? [[linkKey(v), states[i]] as const] : [])));
}

/** The pods the scenario deletes: every one but the spare, when there is one. */
const restartedOf = (f: ClusterRestartFacts) => f.before.filter((b) => b.pod.name !== f.opts.restartSpare);
/** "all 6 pods" or "5 of 6 pods (redis-app-0 spared)". */
function howMany(f: ClusterRestartFacts): string {
  const n = restartedOf(f).length;
  return f.opts.restartSpare === undefined
    ? `all ${n} pods`
    : `${n} of ${f.before.length} pods (${f.opts.restartSpare} spared)`;
}

/** Each shard's slot ranges, its canaries acknowledged by a replica when the shard has one. */
const shardLoad = (f: ClusterRestartFacts): LoadTarget[] =>
  f.shards.map((s) => ({ slots: s.ranges, replicated: s.memberIds.length > 1, into: s }));

export const clusterRestartSteps: ReadonlyArray<Step<ClusterRestartFacts>> = [
  preconditionsStep(),
  canariesStep(shardLoad),
  // A writer per shard, the rate shared among them.
  shardWritersStep(shardLoad),
  {
    stage: 'deleting the Redis pods at once',
    run: async (f, ctx) => {
      const t0 = Date.now();
      ctx.timeline.setOrigin(t0);
      ctx.timeline.mark('pod-deleted', t0, `${howMany(f)}, ${f.opts.killMode}`);
      ctx.log.info(`Deleting ${howMany(f)} at once (${f.opts.killMode})`);
      await Promise.all(
        restartedOf(f).map((b) =>
          ctx.platform.faults.podDelete.delete(b.pod.name, { hold: false, mode: f.opts.killMode }),
        ),
      );
      ctx.timeline.mark('pod-gone', Date.now());
      // A cluster client whose every address changed never finds the cluster again (docs/design.md): the
      // writers stop here; what they had acknowledged is read back once the cluster is back.
      for (const s of f.shards) await s.writer?.stop();
    },
  },
  {
    stage: 'waiting for every pod to come back',
    run: async (f, ctx) => {
      const listed = await ctx.platform.listPods();
      // The spare stays as it is (all-pods-recreated checks it kept its UID).
      const after = async (b: PodBefore) =>
        b.pod.name === f.opts.restartSpare
          ? (listed.find((p) => p.name === b.pod.name) ?? b.pod)
          : waitForPodBack(ctx, victimOf(b.pod, b.self, b.view), f.opts.rejoinTimeoutMs);
      f.podsAfter = await Promise.all(f.before.map(after));
      ctx.timeline.mark('all-pods-back', Date.now(), 'every deleted pod recreated and answering PING');
      f.nodeIds = await Promise.all(
        f.before.map((b, i) =>
          nodeIdFactsOf(ctx, victimOf(b.pod, b.self, b.view), b.pod, f.podsAfter![i]!, b.confBefore),
        ),
      );
    },
  },
  {
    stage: 'waiting for the cluster to re-form',
    run: async (f, ctx) => {
      const budgetMs = f.opts.thresholds.maxReformMs ?? DEFAULT_MAX_REFORM_MS;
      const currentIp = new Map(f.nodeIds!.map((n, i) => [n.myIdAfter, f.podsAfter![i]!.ip]));
      const addresses = f.podsAfter!.map(ctx.addressOf);
      const shards = f.shards.map(({ slots, masterId, memberIds }) => ({ slots, masterId, memberIds }));
      let last: ClusterRestartFacts['reform'];
      try {
        await waitFor(
          'the cluster to re-form (every node ok, the same shards, every peer at its new address)',
          async () => {
            const probe = await probeCluster(ctx.reach, addresses, f.opts.expected);
            const judgement = judgeReform(
              probe.views,
              probe.problems,
              shards,
              currentIp,
              await replicaLinks(ctx.reach, probe.views),
            );
            last = { judgement, views: probe.views, budgetMs };
            return judgement.ok
              ? { done: true, value: undefined }
              : { done: false, seen: judgement.problems.slice(0, 2).join('; ') };
          },
          {
            timeoutMs: budgetMs + REFORM_GRACE_MS,
            intervalMs: 200,
            signal: ctx.signal,
            onProgress: (ms, seen) => ctx.log.progress(`re-form, ${(ms / 1000).toFixed(0)} s: ${seen}`),
          },
        );
        last!.reformedAt = Date.now();
        ctx.timeline.mark('cluster-reformed', last!.reformedAt);
      } catch (err) {
        if (!(err instanceof TimeoutError) || !last) throw err;
        ctx.log.warn(err.message);
      } finally {
        f.reform = last;
      }
    },
  },
  {
    stage: 'reading back the writes and canaries',
    run: async (f, ctx) => {
      // Nothing serves the keys unless the cluster re-formed, or only replicas' links are still wrong (the
      // masters serve every slot): data-intact says why it was not read.
      if (f.reform?.reformedAt === undefined && !f.reform?.judgement.onlyReplicationLinks) return;
      const after = f.podsAfter!.map(ctx.addressOf);
      f.shardWrites = [];
      for (const s of f.shards) {
        if (s.writer) {
          const writes = await s.writer.verify(after, ctx.timeline.originAt);
          markHistory(ctx.timeline, writes);
          f.shardWrites.push({ slots: s.slots, masterPod: s.masterPod, writes });
        }
        s.canaries = await readCanaries(ctx.reach, after, s.canaries);
      }
      f.topologyAfter = topologyOf(await podViews(ctx.reach, f.podsAfter!, ctx.addressOf));
      f.finished = true;
    },
  },
];

const skipped = (id: Check['id'], why: string): Check => ({ id, status: 'skipped', summary: why, evidence: {} });

export function allPodsRecreated(f: ClusterRestartFacts, notReached: string): Check {
  if (!f.podsAfter) return skipped('all-pods-recreated', notReached);
  const pods = f.before.map((b, i) => ({
    pod: b.pod.name,
    uidBefore: b.pod.uid,
    uidAfter: f.podsAfter![i]!.uid,
    ipBefore: b.pod.ip,
    ipAfter: f.podsAfter![i]!.ip,
  }));
  const spare = f.opts.restartSpare;
  const restarted = pods.filter((p) => p.pod !== spare);
  const sameUid = restarted.filter((p) => p.uidAfter === p.uidBefore);
  const newIp = restarted.filter((p) => p.ipAfter !== p.ipBefore).length;
  const evidence = { pods, restarted: restarted.length, ...(spare !== undefined ? { spare } : {}) };
  if (sameUid.length)
    return {
      id: 'all-pods-recreated',
      status: 'fail',
      summary: `not recreated (same UID): ${sameUid.map((p) => p.pod).join(', ')}`,
      evidence,
    };
  const spared = pods.find((p) => p.pod === spare);
  if (spared && spared.uidAfter !== spared.uidBefore) {
    return {
      id: 'all-pods-recreated',
      status: 'fail',
      summary: `the spare ${spared.pod} was recreated too (new UID): this was not an all-but-one restart`,
      evidence,
    };
  }
  const what = spared
    ? `${restarted.length} of ${pods.length} pods recreated with new UIDs (${spared.pod} spared, still running at ${spared.ipAfter})`
    : `all ${pods.length} pods recreated with new UIDs`;
  return { id: 'all-pods-recreated', status: 'pass', summary: `${what}, ${newIp} of them on new addresses`, evidence };
}

export function nodeIdsKept(f: ClusterRestartFacts, notReached: string): Check {
  if (!f.nodeIds) return skipped('node-ids-kept', notReached);
  const pods = f.nodeIds.map((n) => ({
    pod: n.victim.pod,
    before: n.victim.nodeId,
    after: n.myIdAfter,
    addressBefore: n.addressBefore,
    addressAfter: n.addressAfter,
    confAfter: n.confAfter?.raw ?? null,
  }));
  const changed = pods.filter((p) => p.after !== p.before);
  if (changed.length === 0)
    return {
      id: 'node-ids-kept',
      status: 'pass',
      summary: `every pod kept its NodeID (${pods.length} of ${pods.length})`,
      evidence: { pods },
    };
  const where = f.nodeIds[0]!;
  const why = where.onPersistentVolume ? '' : `: ${where.clusterConfigFile} is not on a PersistentVolume`;
  return {
    id: 'node-ids-kept',
    status: 'fail',
    summary: `${changed.length} pod(s) came back as new nodes: ${changed.map((p) => `${p.pod} ${p.before.slice(0, 8)} -> ${p.after.slice(0, 8)}`).join(', ')}${why}`,
    evidence: { pods },
  };
}

export function clusterReformed(f: ClusterRestartFacts, backAt: number | undefined, notReached: string): Check {
  const r = f.reform;
  if (!r) return skipped('cluster-reformed', notReached);
  const j = r.judgement;
  const evidence: Record<string, unknown> = {
    budgetMs: r.budgetMs,
    problems: j.problems.slice(0, 20),
    swapped: j.swapped,
    nodesKnowingAPeer: j.nodesKnowingAPeer,
  };
  const swaps = j.swapped.length
    ? `; roles swapped in ${j.swapped.map((s) => `${s.slots} (${s.from.slice(0, 8)} -> ${s.to.slice(0, 8)})`).join(', ')}`
    : '';
  if (r.reformedAt === undefined) {
    const cause = reformCause(j, r.views);
    const waited = r.budgetMs + REFORM_GRACE_MS;
    return {
      id: 'cluster-reformed',
      status: 'fail',
      summary: cause
        ? `not re-formed ${waited} ms after every pod was back: ${cause.cause}. Fix: ${cause.fix}`
        : `not re-formed ${waited} ms after every pod was back: ${j.problems.slice(0, 3).join('; ')}`,
      evidence: { ...evidence, ...(cause ?? {}) },
    };
  }
  const ms = backAt === undefined ? undefined : r.reformedAt - backAt;
  evidence.reformAfterBackMs = ms;
  if (ms !== undefined && ms > r.budgetMs) {
    return {
      id: 'cluster-reformed',
      status: 'fail',
      summary: `re-formed ${ms} ms after every pod was back > budget ${r.budgetMs} ms${swaps}`,
      evidence,
    };
  }
  return {
    id: 'cluster-reformed',
    status: 'pass',
    summary: `re-formed ${ms ?? '?'} ms after every pod was back (budget ${r.budgetMs} ms): every node ok at the new addresses, the same shards and NodeIDs${swaps}`,
    evidence,
  };
}

export function clusterRestartChecks(
  f: ClusterRestartFacts,
  error: string | undefined,
  backAt: number | undefined,
): Check[] {
  const notReached = `not reached: ${error ?? 'the scenario stopped early'}`;
  const writerOn = f.opts.writeRate > 0;
  const total = aggregateWrites(f.shardWrites);
  const noReform =
    f.reform && f.reform.reformedAt === undefined
      ? 'the cluster did not re-form: nothing serves the keys to read back'
      : notReached;
  return [
    allPodsRecreated(f, notReached),
    nodeIdsKept(f, notReached),
    clusterReformed(f, backAt, notReached),
    dataIntact(f.finished ? f.shards.flatMap((s) => s.canaries ?? []) : undefined, total, writerOn, noReform),
    // Writes are refused from the deletion until the re-form by design: only losses are judged.
    ...thresholdChecks(
      { maxLostWrites: f.opts.thresholds.maxLostWrites },
      { path: 'no-failover', writes: total, writerOn, finished: f.finished },
      noReform,
    ),
  ];
}

/**
 * Every Redis pod deleted at once (a node pool upgrade, a power loss): they come back, on new addresses where
 * the platform gives them, with their NodeIDs; the cluster must re-form as it was, with its data. With
 * `restartSpare` one pod is left running (the all-but-one case, which Redis re-forms on its own: docs/design.md).
 */
export async function runClusterRestart(env: ScenarioEnv, opts: ScenarioSettings): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const facts = await snapshotClusterRestart(env, opts);
  const outcome = await driveSteps('cluster-restart', clusterRestartSteps, facts, env);
  const t = outcome.timeline;
  const origin = t.originAt;
  const backAt = t.at('all-pods-back');
  const notes = [
    ...(opts.restartSpare !== undefined ? [`${howMany(facts)} deleted at once: the all-but-one case`] : []),
    ...(facts.reform?.judgement.swapped ?? []).map(
      (s) =>
        `slots ${s.slots}: roles swapped within the shard, ${s.from.slice(0, 8)} was master before, ${s.to.slice(0, 8)} is now`,
    ),
  ];
  return scenarioResult(
    env,
    'cluster-restart',
    startedAt,
    outcome,
    clusterRestartChecks(facts, outcome.error, backAt),
    {
      holdRestart: false,
      timings: {
        ...(origin !== undefined && backAt !== undefined ? { allPodsBackMs: backAt - origin } : {}),
        ...(origin !== undefined && facts.reform?.reformedAt !== undefined
          ? { reformMs: facts.reform.reformedAt - origin }
          : {}),
      },
      ...(facts.shardWrites ? { shards: facts.shardWrites } : {}),
      ...(facts.shardWrites?.length ? { writes: aggregateWrites(facts.shardWrites)! } : {}),
      ...(notes.length ? { notes } : {}),
      topologyBefore: facts.topologyBefore,
      ...(facts.topologyAfter ? { topologyAfter: facts.topologyAfter } : {}),
    },
  );
}
