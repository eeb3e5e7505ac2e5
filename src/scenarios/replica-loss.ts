import type { PodInfo } from '../platform/platform.ts';
import type { Check, ScenarioResult, WriteStats } from './model.ts';
import type { Topology, ClusterNode } from '../redis/types.ts';
import { InputError } from '../errors.ts';
import { formatSlots, isMaster, isReplica, myself } from '../redis/cluster-nodes.ts';
import { replicationOf } from '../redis/health.ts';
import { waitFor } from '../util/wait.ts';
import {
  clusterHealthy,
  dataIntact,
  nodeIdKept,
  podRecreated,
  type NodeIdFacts,
  type Victim,
} from './failover-checks.ts';
import { thresholdChecks } from './thresholds.ts';
import { driveSteps, type ScenarioEnv, type Step } from './driver.ts';
import { nodesConfSelf, topologyOf, viewsOfEveryPod, waitForRole, type PodView } from './cluster-view.ts';
import { runTag } from './workload.ts';
import { victimOf, victimRecord } from './victim.ts';
import { nodeIdFactsOf, waitForPodBack } from './pod-return.ts';
import type { ScenarioSettings } from './settings.ts';
import { scenarioResult } from './result.ts';
import { canariesStep, preconditionsStep, writerStep, type SetupFacts } from './setup-steps.ts';
import { endSteps, type EndFacts } from './final-steps.ts';

export interface ReplicaLossFacts extends SetupFacts, EndFacts {
  victimPod: PodInfo;
  /** The replica deleted; its `slots` are its master's (the slots whose writes it protects). */
  victim: Victim;
  master: { pod: PodInfo; node: ClusterNode };
  confBefore: ClusterNode | null;
  topologyBefore: Topology;
  podAfter?: PodInfo;
  nodeId?: NodeIdFacts;
  rejoin?: { self: ClusterNode; ok: boolean };
  resync?: ResyncFacts;
}

export interface ResyncFacts {
  linkStatus: string;
  /** The master's replication offset when the replica came back, and the replica's last seen offset. */
  masterOffset: number;
  replicaOffset: number;
  caughtUp: boolean;
}

/**
 * The replica to delete: `wanted` when it names a replica, a master's first replica when it names a master
 * (InputError for anything else, before anything is touched), else the replica of the master holding slot 0.
 */
export function pickReplica(
  views: PodView[],
  wanted: string | undefined,
): { replicaPod: PodInfo; replica: ClusterNode; masterPod: PodInfo; master: ClusterNode; view: ClusterNode[] } {
  const selves = views.map((v) => ({ pod: v.pod, self: myself(v.nodes), view: v.nodes }));
  const replicas = selves.filter((s) => isReplica(s.self) && s.self.masterId);
  const describe = replicas.map((r) => r.pod.name).join(', ') || 'none';
  let chosen = replicas.find((r) => r.pod.name === wanted);
  if (wanted !== undefined && !chosen) {
    const named = selves.find((s) => s.pod.name === wanted);
    if (!named) throw new InputError(`victim ${wanted}: no such pod; replicas: ${describe}`);
    chosen = isMaster(named.self) ? replicas.find((r) => r.self.masterId === named.self.id) : undefined;
    if (!chosen)
      throw new InputError(`victim ${wanted} is neither a replica nor a master with a replica; replicas: ${describe}`);
  }
  if (!chosen) {
    const slot0 = selves.find((s) => isMaster(s.self) && s.self.slots.some(([a]) => a === 0));
    chosen = replicas.find((r) => r.self.masterId === slot0?.self.id) ?? replicas[0];
  }
  if (!chosen) throw new Error('the cluster has no replica to delete; is it bootstrapped with replicas?');
  const masterSelf = selves.find((s) => s.self.id === chosen.self.masterId);
  if (!masterSelf)
    throw new Error(
      `the master ${chosen.self.masterId ?? '(none)'} of replica ${chosen.pod.name} is no pod of the StatefulSet`,
    );
  return {
    replicaPod: chosen.pod,
    replica: chosen.self,
    masterPod: masterSelf.pod,
    master: masterSelf.self,
    view: chosen.view,
  };
}

export async function snapshotReplicaLoss(env: ScenarioEnv, opts: ScenarioSettings): Promise<ReplicaLossFacts> {
  const views = await viewsOfEveryPod(env);
  const podsBefore = views.map((v) => v.pod);
  const { replicaPod, replica, masterPod, master, view } = pickReplica(views, opts.victim);
  // The replica's Victim carries its master's slots: the ones the writer and canaries use.
  const victim = { ...victimOf(replicaPod, replica, view), slots: master.slots };
  env.log.info(
    `Replica: pod ${replicaPod.name} (${replicaPod.ip}), node ${replica.id}, of master ${masterPod.name} (slots ${formatSlots(master.slots).join(',')})`,
  );
  return {
    opts,
    run: runTag(),
    podsBefore,
    victimPod: replicaPod,
    victim,
    master: { pod: masterPod, node: master },
    confBefore: await nodesConfSelf(env.platform, replicaPod.name, env.redis.clusterConfigFile),
    topologyBefore: topologyOf(views),
    finished: false,
  };
}

export const replicaLossSteps: ReadonlyArray<Step<ReplicaLossFacts>> = [
  preconditionsStep((f) => [f.master.pod, f.victimPod]),
  // The replica's Victim carries its master's slots: the canaries go there, acknowledged by a replica.
  canariesStep((f) => [{ slots: f.victim.slots, replicated: true, into: f }]),
  writerStep(),
  {
    // Not held: the point is what the master does while its replica is away and after it is back.
    stage: (f) => `deleting pod ${f.victim.pod}`,
    run: async (f, ctx) => {
      const t0 = Date.now();
      ctx.timeline.setOrigin(t0);
      ctx.timeline.mark('pod-deleted', t0, `${f.victim.pod} (replica, ${f.opts.killMode})`);
      ctx.log.info(`Deleting replica pod ${f.victim.pod} (${f.opts.killMode})`);
      await ctx.platform.faults.podDelete.delete(f.victim.pod, { hold: false, mode: f.opts.killMode });
      ctx.timeline.mark('pod-gone', Date.now());
    },
  },
  {
    stage: (f) => `waiting for pod ${f.victim.pod} to come back`,
    run: async (f, ctx) => {
      f.podAfter = await waitForPodBack(ctx, f.victim, f.opts.rejoinTimeoutMs);
    },
  },
  {
    stage: (f) => `checking pod ${f.victim.pod}'s NodeID and rejoin`,
    run: async (f, ctx) => {
      const address = ctx.addressOf(f.podAfter!);
      f.nodeId = await nodeIdFactsOf(ctx, f.victim, f.victimPod, f.podAfter!, f.confBefore);
      f.sameNode = f.nodeId.myIdAfter === f.victim.nodeId;
      const masterId = f.master.node.id;
      const role = await waitForRole(
        ctx.reach,
        address,
        `a replica of ${masterId}`,
        (s) => isReplica(s) && s.masterId === masterId,
        f.sameNode ? f.opts.rejoinTimeoutMs : 0,
        ctx.log,
        ctx.signal,
      );
      f.rejoin = { self: role.self, ok: role.ok };
      if (role.ok) ctx.timeline.mark('rejoined', Date.now(), `replica of ${masterId.slice(0, 8)}`);
    },
  },
  {
    // Caught up: link up and the replica's offset at least the master's offset read once it was back.
    stage: (f) => `waiting for pod ${f.victim.pod} to resync`,
    run: async (f, ctx) => {
      if (!f.rejoin?.ok) return;
      const replica = ctx.addressOf(f.podAfter!);
      const masterOffset = (await replicationOf(ctx.reach, ctx.addressOf(f.master.pod))).replOffset ?? 0;
      let last: ResyncFacts = { linkStatus: 'unknown', masterOffset, replicaOffset: 0, caughtUp: false };
      try {
        await waitFor(
          `pod ${f.victim.pod} to sync (master_link_status:up, offset ${masterOffset} reached)`,
          async () => {
            const r = await replicationOf(ctx.reach, replica);
            last = {
              linkStatus: r.masterLinkStatus ?? 'none',
              masterOffset,
              replicaOffset: r.replOffset ?? 0,
              caughtUp: false,
            };
            last.caughtUp = last.linkStatus === 'up' && last.replicaOffset >= masterOffset;
            return last.caughtUp
              ? { done: true, value: undefined }
              : { done: false, seen: `link ${last.linkStatus}, offset ${last.replicaOffset}` };
          },
          { timeoutMs: f.opts.rejoinTimeoutMs, intervalMs: 100, signal: ctx.signal },
        );
        ctx.timeline.mark('resynced', Date.now(), `offset ${last.replicaOffset}`);
      } finally {
        f.resync = last;
      }
    },
  },
  ...endSteps<ReplicaLossFacts>(),
];

const skipped = (id: Check['id'], why: string): Check => ({ id, status: 'skipped', summary: why, evidence: {} });

export function rejoinedSameMaster(f: ReplicaLossFacts, notReached: string): Check {
  if (!f.rejoin) return skipped('rejoined-as-replica', notReached);
  const masterId = f.master.node.id;
  const evidence = { selfLine: f.rejoin.self.raw, expectedMaster: masterId, masterPod: f.master.pod.name };
  return f.rejoin.ok
    ? {
        id: 'rejoined-as-replica',
        status: 'pass',
        summary: `pod ${f.victim.pod} rejoined as a replica of the same master ${f.master.pod.name} (${masterId.slice(0, 8)})`,
        evidence,
      }
    : {
        id: 'rejoined-as-replica',
        status: 'fail',
        summary: `pod ${f.victim.pod} is not a replica of its master ${f.master.pod.name} (${masterId.slice(0, 8)}): ${f.rejoin.self.raw}`,
        evidence,
      };
}

export function replicaResynced(f: ReplicaLossFacts, notReached: string): Check {
  if (!f.resync)
    return skipped(
      'replica-resynced',
      f.rejoin && !f.rejoin.ok ? 'the pod did not rejoin its master: nothing to sync from' : notReached,
    );
  const r = f.resync;
  const evidence = { ...r };
  return r.caughtUp
    ? {
        id: 'replica-resynced',
        status: 'pass',
        summary: `master_link_status:up, replica offset ${r.replicaOffset} reached the master's ${r.masterOffset}`,
        evidence,
      }
    : {
        id: 'replica-resynced',
        status: 'fail',
        summary: `not synced: master_link_status:${r.linkStatus}, replica offset ${r.replicaOffset} of the master's ${r.masterOffset}`,
        evidence,
      };
}

/** Losing a replica must not cost its master a single write: window 0, or within max-unavailable-ms when set. */
export function writesNeverRefused(
  writes: WriteStats | undefined,
  writerOn: boolean,
  budgetMs: number | undefined,
  notReached: string,
): Check {
  if (!writerOn) return skipped('writes-never-refused', 'writer off (write rate 0): availability was not measured');
  if (!writes) return skipped('writes-never-refused', notReached);
  const ms = Math.round(writes.unavailableMs);
  const evidence = {
    unavailableMs: ms,
    failed: writes.failed,
    budgetMs: budgetMs ?? 0,
    mode: writes.mode,
    firstErrors: writes.firstErrors,
  };
  if (ms === 0)
    return {
      id: 'writes-never-refused',
      status: 'pass',
      summary: `the master's slots took every write (${writes.acknowledged} acknowledged, none refused)`,
      evidence,
    };
  const waitNote =
    writes.mode === 'wait' ? ' (WAIT 1 needs a replica: with the only one gone, writes are refused by design)' : '';
  if (budgetMs !== undefined && ms <= budgetMs) {
    return {
      id: 'writes-never-refused',
      status: 'pass',
      summary: `writes refused for ${ms} ms <= budget ${budgetMs} ms${waitNote}`,
      evidence,
    };
  }
  return {
    id: 'writes-never-refused',
    status: 'fail',
    summary: `the master's slots refused writes for ${ms} ms (${writes.failed} failed)${waitNote}`,
    evidence,
  };
}

export function replicaLossChecks(f: ReplicaLossFacts, error: string | undefined): Check[] {
  const notReached = `not reached: ${error ?? 'the scenario stopped early'}`;
  const writerOn = f.opts.writeRate > 0;
  return [
    podRecreated(f.victim, f.podAfter, notReached),
    nodeIdKept(f.nodeId, notReached),
    rejoinedSameMaster(f, notReached),
    replicaResynced(f, notReached),
    clusterHealthy(f.health, notReached),
    writesNeverRefused(f.writes, writerOn, f.opts.thresholds.maxUnavailableMs, notReached),
    dataIntact(f.finished ? f.canaries : undefined, f.writes, writerOn, notReached),
    // max-unavailable-ms is judged by writes-never-refused; no failover is expected, so no failover budget.
    ...thresholdChecks(
      { maxLostWrites: f.opts.thresholds.maxLostWrites },
      { path: 'no-failover', writes: f.writes, writerOn, finished: f.finished },
      notReached,
    ),
  ];
}

/**
 * Deletes a replica pod: its master keeps every write, the pod comes back with its NodeID as a replica of the
 * same master and resyncs, the cluster is whole, no acknowledged write is lost.
 */
export async function runReplicaLoss(env: ScenarioEnv, opts: ScenarioSettings): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const facts = await snapshotReplicaLoss(env, opts);
  const outcome = await driveSteps('replica-loss', replicaLossSteps, facts, env);
  const rejoined = outcome.timeline.at('rejoined');
  return scenarioResult(env, 'replica-loss', startedAt, outcome, replicaLossChecks(facts, outcome.error), {
    holdRestart: false,
    victim: victimRecord(facts.victim, []),
    timings:
      rejoined !== undefined && outcome.timeline.originAt !== undefined
        ? { rejoinMs: rejoined - outcome.timeline.originAt }
        : {},
    ...(facts.writes ? { writes: facts.writes } : {}),
    topologyBefore: facts.topologyBefore,
    ...(facts.topologyAfter ? { topologyAfter: facts.topologyAfter } : {}),
  });
}
