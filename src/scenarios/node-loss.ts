import type { PodInfo } from '../platform/platform.ts';
import { isUnsupported, type NodeLossMode } from '../platform/faults.ts';
import type { ClusterNode } from '../redis/types.ts';
import type { Check, ScenarioResult } from './model.ts';
import { TimeoutError, UnsupportedError } from '../errors.ts';
import { formatSlots, isMaster, isReplica, myself } from '../redis/cluster-nodes.ts';
import { reachOf, withNode } from '../redis/connect.ts';
import { waitFor } from '../util/wait.ts';
import { clusterHealthy, dataIntact } from './failover-checks.ts';
import { thresholdChecks } from './thresholds.ts';
import { driveSteps, type ScenarioEnv, type Step, type StepContext } from './driver.ts';
import { clusterNodesOf, myIdOf, podViews, waitForRole } from './cluster-view.ts';
import { snapshotMaster, victimRecord, type MasterTarget } from './victim.ts';
import type { ScenarioSettings } from './settings.ts';
import { scenarioResult } from './result.ts';
import { canariesStep, preconditionsStep, writerStep } from './setup-steps.ts';
import { endSteps, type EndFacts } from './final-steps.ts';

/** How long the cluster runs degraded (every shard of the lost node failed over) before the node comes back. */
const DEGRADED_MS = 3000;

/** A pod of the lost node, as it was before. */
export interface LostPod {
  pod: PodInfo;
  nodeId: string;
  role: 'master' | 'replica';
  /** A master's slots (the shard the node loss takes its master from). */
  slots: Array<[number, number]>;
  /** A master's replicas on other nodes (the ones that can take over). */
  replicasElsewhere: number;
}

/** A lost master's shard: who took its slots (node id, pod, ms after the loss), if anyone did. */
export interface Takeover {
  from: LostPod;
  by?: { id: string; pod?: string; atMs: number };
}

export interface NodeLossFacts extends EndFacts, MasterTarget {
  mode: NodeLossMode;
  /** The Kubernetes node lost: the one running the victim master. */
  node: string;
  lost: LostPod[];
  survivors: PodInfo[];
  /** Per lost master: the node that took its slots, and when (ms after the loss); undefined: nobody did. */
  takeovers?: Takeover[];
  /** restart: the lost pods as the platform showed them while their node was down; delete: their replacements. */
  whileDown?: PodInfo[];
  /** From every shard failed over to the node back: how long the cluster ran degraded. */
  degradedMs?: number;
  /** After the node's return (restart) or the pods' recreation (delete): each pod's NodeID and role. */
  returned?: Array<{ lost: LostPod; after: PodInfo; myId: string; self: ClusterNode; expected: string; ok: boolean }>;
}

export async function snapshotNodeLoss(env: ScenarioEnv, opts: ScenarioSettings): Promise<NodeLossFacts> {
  const target = await snapshotMaster(env, opts.victim);
  const node = target.victimPod.node;
  if (!node) throw new Error(`pod ${target.victimPod.name} runs on no known node: there is no node to lose`);
  const views = await podViews(reachOf(env.platform), target.podsBefore, (p) => ({ host: p.ip, port: env.redis.port }));
  const onNode = new Set(views.filter((v) => v.pod.node === node).map((v) => v.pod.ip));
  const lost = views
    .filter((v) => v.pod.node === node)
    .map((v): LostPod => {
      const self = myself(v.nodes);
      const elsewhere = v.nodes.filter((n) => n.masterId === self.id && !onNode.has(n.ip)).length;
      return {
        pod: v.pod,
        nodeId: self.id,
        role: isMaster(self) ? 'master' : 'replica',
        slots: self.slots,
        replicasElsewhere: elsewhere,
      };
    });
  env.log.info(
    `Node ${node} holds ${lost.map((l) => `${l.pod.name} (${l.role}${l.slots.length ? ` of ${formatSlots(l.slots).join(',')}` : ''})`).join(', ')}`,
  );
  return {
    ...target,
    opts,
    mode: opts.nodeLossMode ?? 'restart',
    node,
    lost,
    survivors: target.podsBefore.filter((p) => p.node !== node),
    finished: false,
  };
}

const lostMasters = (f: NodeLossFacts): LostPod[] => f.lost.filter((l) => l.role === 'master' && l.slots.length > 0);

/** Who owns `slots` now in `view`, if it is not the lost master itself. */
function takerOf(view: ClusterNode[], from: LostPod): ClusterNode | undefined {
  const first = from.slots[0]![0];
  return view.find((n) => isMaster(n) && n.id !== from.nodeId && n.slots.some(([a, b]) => a <= first && first <= b));
}

/** A survivor's CLUSTER NODES (the first that answers). */
async function survivorView(f: NodeLossFacts, ctx: StepContext): Promise<ClusterNode[]> {
  let last: unknown;
  for (const p of f.survivors) {
    try {
      return await clusterNodesOf(ctx.reach, ctx.addressOf(p));
    } catch (err) {
      last = err;
    }
  }
  throw last instanceof Error ? last : new Error('no surviving pod answered CLUSTER NODES');
}

export const nodeLossSteps: ReadonlyArray<Step<NodeLossFacts>> = [
  preconditionsStep(),
  canariesStep((f) => [{ slots: lostMasters(f).flatMap((l) => l.slots), replicated: true, into: f }]),
  writerStep(),
  {
    stage: (f) => `losing node ${f.node} (${f.mode})`,
    run: async (f, ctx) => {
      const fault = ctx.platform.faults.nodeLoss;
      if (isUnsupported(fault)) throw new UnsupportedError(fault.unsupported);
      // Whatever happens next (a failed wait, a cancel), the node comes back before the run goes on.
      ctx.onCleanup(() => fault.restore(f.node));
      ctx.log.info(`Losing node ${f.node} (${f.mode}): pods ${f.lost.map((l) => l.pod.name).join(', ')}`);
      await fault.lose(f.node, (at) => {
        ctx.timeline.setOrigin(at);
        ctx.timeline.mark('node-lost', at, `${f.node} (${f.mode})`);
      });
      ctx.timeline.mark('pod-gone', Date.now(), f.lost.map((l) => l.pod.name).join(', '));
    },
  },
  {
    stage: (f) => `waiting for every shard of node ${f.node} to fail over`,
    run: async (f, ctx) => {
      const masters = lostMasters(f);
      const takeovers = masters.map((from): Takeover => ({ from }));
      f.takeovers = takeovers;
      const origin = ctx.timeline.originAt ?? Date.now();
      try {
        await waitFor(
          `a replica to take over the slots of ${masters.map((m) => m.pod.name).join(', ')}`,
          async () => {
            const view = await survivorView(f, ctx);
            for (const n of view.filter((x) => f.lost.some((l) => l.nodeId === x.id))) {
              if (n.flags.has('fail?')) ctx.timeline.mark('pfail-seen', Date.now());
              if (n.flags.has('fail')) ctx.timeline.mark('fail-seen', Date.now());
            }
            for (const t of takeovers) {
              const taker = t.by ? undefined : takerOf(view, t.from);
              const pod = taker && f.survivors.find((p) => p.ip === taker.ip)?.name;
              if (taker) t.by = { id: taker.id, atMs: Date.now() - origin, ...(pod ? { pod } : {}) };
            }
            const left = takeovers.filter((t) => !t.by).map((t) => t.from.pod.name);
            return left.length
              ? { done: false, seen: `not taken over yet: ${left.join(', ')}` }
              : { done: true, value: 0 };
          },
          { timeoutMs: f.opts.failoverTimeoutMs, intervalMs: 100, signal: ctx.signal },
        );
      } catch (err) {
        // Not every shard failed over (its every copy was on the node): the check says which; the node still
        // comes back and the rest is measured.
        if (!(err instanceof TimeoutError)) throw err;
        ctx.log.warn(err.message);
        return;
      }
      ctx.timeline.mark('replica-promoted', origin + Math.max(0, ...takeovers.map((t) => t.by!.atMs)));
    },
  },
  {
    stage: (f) => `running degraded without node ${f.node}`,
    run: async (f, ctx) => {
      const names = new Set(f.lost.map((l) => l.pod.name));
      if (f.mode === 'delete') {
        // The Node object deleted once Redis has failed over (a cloud's node controller, an operator): its pods
        // are deleted with it and the StatefulSet recreates them on other nodes.
        const fault = ctx.platform.faults.nodeLoss;
        if (isUnsupported(fault)) return;
        await fault.deleteNode(f.node);
        f.whileDown = [];
        for (const l of f.lost)
          f.whileDown.push(await ctx.platform.waitForReplacement(l.pod.name, l.pod.uid, f.opts.rejoinTimeoutMs));
        ctx.timeline.mark('pod-back', Date.now(), f.whileDown.map((p) => `${p.name} on ${p.node}`).join(', '));
        return;
      }
      // Only unreachable: Kubernetes neither restarts nor replaces the pods (at most one pod per identity).
      const since = Date.now();
      await new Promise((resolve) => setTimeout(resolve, DEGRADED_MS));
      f.whileDown = (await ctx.platform.listPods()).filter((p) => names.has(p.name));
      f.degradedMs = Date.now() - since;
    },
  },
  {
    stage: (f) => `bringing node ${f.node} back`,
    run: async (f, ctx) => {
      const fault = ctx.platform.faults.nodeLoss;
      if (isUnsupported(fault)) return;
      await fault.restore(f.node);
      ctx.timeline.mark('node-back', Date.now(), f.node);
    },
  },
  {
    stage: (f) => `waiting for node ${f.node}'s pods to rejoin`,
    run: async (f, ctx) => {
      f.returned = [];
      for (const l of f.lost) {
        const after = await waitFor(
          `pod ${l.pod.name} running again and answering`,
          async () => {
            const p = (await ctx.platform.listPods()).find((x) => x.name === l.pod.name);
            if (!p?.ip || !p.ready) return { done: false, seen: p ? `ready ${String(p.ready)}` : 'absent' };
            await withNode(ctx.reach, ctx.addressOf(p), (r) => r.ping());
            return { done: true, value: p };
          },
          { timeoutMs: f.opts.rejoinTimeoutMs, intervalMs: 200, signal: ctx.signal },
        );
        const myId = await myIdOf(ctx.reach, ctx.addressOf(after));
        // A failed-over master follows the node that took its slots; a master nobody replaced keeps them.
        const by = f.takeovers?.find((t) => t.from === l)?.by;
        const [expected, ok]: [string, (s: ClusterNode) => boolean] =
          l.role === 'replica'
            ? ['a replica', isReplica]
            : by
              ? [`a replica of ${by.pod ?? by.id.slice(0, 8)}`, (s) => isReplica(s) && s.masterId === by.id]
              : ['the master of its slots again (it was never replaced)', (s) => isMaster(s) && s.slots.length > 0];
        const role = await waitForRole(
          ctx.reach,
          ctx.addressOf(after),
          expected,
          ok,
          myId === l.nodeId ? f.opts.rejoinTimeoutMs : 0,
          ctx.log,
          ctx.signal,
        );
        f.returned.push({ lost: l, after, myId, self: role.self, expected, ok: role.ok });
      }
      ctx.timeline.mark('rejoined', Date.now());
      f.sameNode = f.returned.every((r) => r.myId === r.lost.nodeId);
    },
  },
  ...endSteps<NodeLossFacts>(),
];

const skipped = (id: Check['id'], why: string): Check => ({ id, status: 'skipped', summary: why, evidence: {} });

export function shardsFailedOver(f: NodeLossFacts, notReached: string): Check {
  if (!f.takeovers) return skipped('shards-failed-over', notReached);
  if (f.takeovers.length === 0)
    return {
      id: 'shards-failed-over',
      status: 'pass',
      summary: `node ${f.node} held no master: no shard had to fail over`,
      evidence: {},
    };
  const evidence = {
    node: f.node,
    shards: f.takeovers.map((t) => ({
      slots: formatSlots(t.from.slots),
      master: t.from.pod.name,
      takenOverBy: t.by ? `${t.by.pod ?? t.by.id} after ${t.by.atMs} ms` : null,
    })),
  };
  const missing = f.takeovers.filter((t) => !t.by);
  // A replica is elected by a majority of the masters that own slots: the lost node's masters cannot vote.
  const n = f.mastersWithSlots;
  const left = n - f.takeovers.length;
  const why =
    left < Math.floor(n / 2) + 1
      ? `node ${f.node} held ${f.takeovers.length} of the ${n} masters: the ${left} left are no majority, so no replica could be elected (Redis Cluster needs the votes of a majority of masters)`
      : missing.some((t) => t.from.replicasElsewhere === 0)
        ? 'no replica of theirs ran on another node'
        : 'their replicas on other nodes were not promoted';
  if (missing.length === 0)
    return {
      id: 'shards-failed-over',
      status: 'pass',
      summary: `every shard of node ${f.node} failed over: ${f.takeovers.map((t) => `${formatSlots(t.from.slots).join(',')} to ${t.by!.pod ?? t.by!.id.slice(0, 8)} in ${t.by!.atMs} ms`).join('; ')}`,
      evidence,
    };
  return {
    id: 'shards-failed-over',
    status: 'fail',
    summary:
      `${missing.length} shard(s) of node ${f.node} did not fail over within ${f.opts.failoverTimeoutMs} ms: slots ` +
      `${missing.map((t) => formatSlots(t.from.slots).join(',')).join(', ')} went down with the node: ${why}`,
    evidence: { ...evidence, mastersOwningSlots: n },
  };
}

/** restart: the node's pods kept their UIDs and were not Ready while it was down; delete: recreated elsewhere. */
export function podsWhileDown(f: NodeLossFacts, notReached: string): Check {
  if (!f.whileDown) return skipped('pods-not-replaced', notReached);
  const evidence = {
    mode: f.mode,
    pods: f.lost.map((l) => {
      const now = f.whileDown!.find((p) => p.name === l.pod.name);
      return { pod: l.pod.name, uidBefore: l.pod.uid, uidNow: now?.uid, ready: now?.ready, node: now?.node };
    }),
  };
  if (f.mode === 'delete') {
    const wrong = f.whileDown.filter((p) => p.node === f.node || f.lost.some((l) => l.pod.uid === p.uid));
    return {
      id: 'pod-recreated',
      status: wrong.length ? 'fail' : 'pass',
      summary: wrong.length
        ? `with Node ${f.node} deleted, pods ${wrong.map((p) => p.name).join(', ')} were not recreated on another node`
        : `with Node ${f.node} deleted, its pods were recreated elsewhere: ${f.whileDown.map((p) => `${p.name} on ${p.node}`).join(', ')}`,
      evidence,
    };
  }
  const replaced = f.lost.filter((l) => {
    const now = f.whileDown!.find((p) => p.name === l.pod.name);
    return now?.uid !== l.pod.uid || now.ready;
  });
  return {
    id: 'pods-not-replaced',
    status: replaced.length ? 'fail' : 'pass',
    summary: replaced.length
      ? `while node ${f.node} was unreachable, pods ${replaced.map((l) => l.pod.name).join(', ')} were replaced or shown Ready: Kubernetes keeps at most one pod per StatefulSet identity and cannot tell a dead node from an unreachable one`
      : `while node ${f.node} was unreachable (${Math.round((f.degradedMs ?? 0) / 1000)} s), its pods kept their UIDs and were not Ready: the StatefulSet does not replace them (at most one pod per identity), so the cluster ran degraded until the node came back`,
    evidence,
  };
}

export function nodeIdsKeptOnReturn(f: NodeLossFacts, notReached: string): Check {
  if (!f.returned) return skipped('node-ids-kept', notReached);
  const changed = f.returned.filter((r) => r.myId !== r.lost.nodeId);
  const evidence = { pods: f.returned.map((r) => ({ pod: r.lost.pod.name, before: r.lost.nodeId, after: r.myId })) };
  return changed.length
    ? {
        id: 'node-ids-kept',
        status: 'fail',
        summary: `pods ${changed.map((r) => r.lost.pod.name).join(', ')} came back with a new NodeID`,
        evidence,
      }
    : {
        id: 'node-ids-kept',
        status: 'pass',
        summary: `every pod of node ${f.node} came back with its NodeID (${f.returned.map((r) => r.lost.pod.name).join(', ')})`,
        evidence,
      };
}

export function rejoinedAsReplicas(f: NodeLossFacts, notReached: string): Check {
  if (!f.returned) return skipped('rejoined-as-replica', notReached);
  const not = f.returned.filter((r) => !r.ok);
  const evidence = { selves: f.returned.map((r) => `${r.lost.pod.name} (expected ${r.expected}): ${r.self.raw}`) };
  return not.length
    ? {
        id: 'rejoined-as-replica',
        status: 'fail',
        summary: `not back as expected: ${not.map((r) => `${r.lost.pod.name} is not ${r.expected} (${r.self.raw})`).join('; ')}`,
        evidence,
      }
    : {
        id: 'rejoined-as-replica',
        status: 'pass',
        summary: `every pod of node ${f.node} rejoined: ${f.returned.map((r) => `${r.lost.pod.name} as ${r.expected}`).join(', ')}`,
        evidence,
      };
}

/** The loss to the last lost master's slots taken over; undefined when one never was. */
function failoverMsOf(f: NodeLossFacts): number | undefined {
  const t = f.takeovers;
  return t?.every((x) => x.by) ? Math.max(0, ...t.map((x) => x.by!.atMs)) : undefined;
}

export function nodeLossChecks(f: NodeLossFacts, error: string | undefined): Check[] {
  const notReached = `not reached: ${error ?? 'the scenario stopped early'}`;
  const writerOn = f.opts.writeRate > 0;
  const failoverMs = failoverMsOf(f);
  return [
    shardsFailedOver(f, notReached),
    podsWhileDown(f, notReached),
    nodeIdsKeptOnReturn(f, notReached),
    rejoinedAsReplicas(f, notReached),
    clusterHealthy(f.health, notReached),
    dataIntact(f.finished ? f.canaries : undefined, f.writes, writerOn, notReached),
    ...thresholdChecks(
      f.opts.thresholds,
      {
        path: lostMasters(f).length ? 'failover' : 'no-failover',
        ...(failoverMs !== undefined ? { failoverMs } : {}),
        writes: f.writes,
        writerOn,
        finished: f.finished,
      },
      notReached,
    ),
  ];
}

/**
 * Loses the node of the victim master as a whole (every pod on it at once): every master on it fails over,
 * its pods are neither restarted nor replaced while it is unreachable (restart) or are recreated elsewhere
 * once its Node object is deleted (delete), then they come back with their NodeIDs and rejoin as replicas.
 */
export async function runNodeLoss(env: ScenarioEnv, opts: ScenarioSettings): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const facts = await snapshotNodeLoss(env, opts);
  const outcome = await driveSteps('node-loss', nodeLossSteps, facts, env);
  const failoverMs = failoverMsOf(facts);
  const notes = [
    facts.mode === 'restart'
      ? `node ${facts.node} was stopped as a whole and brought back; Kubernetes does not replace a StatefulSet's pods on an unreachable node, so the cluster ran without them until the node returned`
      : `node ${facts.node} was stopped and its Node object deleted: its pods were recreated on other nodes`,
  ];
  return scenarioResult(env, 'node-loss', startedAt, outcome, nodeLossChecks(facts, outcome.error), {
    holdRestart: false,
    victim: victimRecord(
      facts.victim,
      facts.replicaPods.map((p) => p.name),
    ),
    path: lostMasters(facts).length && failoverMs !== undefined ? 'failover' : 'no-failover',
    failovers: facts.takeovers?.filter((t) => t.by).length ?? 0,
    notes,
    timings: failoverMs !== undefined ? { failoverMs } : {},
    ...(facts.writes ? { writes: facts.writes } : {}),
    topologyBefore: facts.topologyBefore,
    ...(facts.topologyAfter ? { topologyAfter: facts.topologyAfter } : {}),
  });
}
