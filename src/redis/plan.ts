import { InputError } from '../errors.ts';
import type { PodInfo } from '../platform/platform.ts';
import type { BootstrapPlan } from './types.ts';
import { SLOT_COUNT } from './cluster-nodes.ts';

export interface TopologyRequest {
  masters: number;
  replicasPerMaster: number;
}

/**
 * The default layout for `podCount` pods: the most masters (at least 3, so a majority can vote a replica up)
 * that still leave every master at least one replica. With no such layout (fewer than 6 pods, or a prime
 * count), one master with all the others as its replicas: the seed's layout, which lint reports as unable to
 * fail over.
 */
export function defaultTopology(podCount: number): TopologyRequest {
  for (let m = Math.floor(podCount / 2); m >= 3; m--) {
    if (podCount % m === 0) return { masters: m, replicasPerMaster: podCount / m - 1 };
  }
  return { masters: 1, replicasPerMaster: Math.max(0, podCount - 1) };
}

/** How the pods split into masters × (1 + replicas per master), or why they cannot (naming the counts asked for). */
export type TopologyFit = ({ ok: true } & TopologyRequest) | { ok: false; why: string };

/**
 * The one place that splits `podCount` pods into masters with replicas: the counts asked for (either one derives
 * the other), else defaultTopology. They fit when both are whole, there is at least one master, no count is
 * negative and masters × (1 + replicas per master) is every pod. Lint reports a misfit; a run refuses it.
 */
export function fitTopology(podCount: number, asked: Partial<TopologyRequest>): TopologyFit {
  const { masters, replicasPerMaster } = asked;
  if (!Number.isInteger(podCount) || podCount < 1) {
    return { ok: false, why: `the StatefulSet has ${podCount} pods; a Redis Cluster needs at least one` };
  }
  const fit =
    masters === undefined && replicasPerMaster === undefined
      ? defaultTopology(podCount)
      : {
          masters: masters ?? podCount / (1 + (replicasPerMaster ?? 0)),
          replicasPerMaster: replicasPerMaster ?? podCount / (masters ?? 1) - 1,
        };
  const { masters: m, replicasPerMaster: r } = fit;
  if (Number.isInteger(m) && Number.isInteger(r) && m >= 1 && r >= 0 && m * (1 + r) === podCount)
    return { ok: true, ...fit };
  return {
    ok: false,
    why:
      `masters ${masters ?? '(not set)'} and replicas-per-master ${replicasPerMaster ?? '(not set)'} do not fit ` +
      `${podCount} pods: masters × (1 + replicas per master) must equal the StatefulSet's replicas`,
  };
}

/** The topology a run builds: fitTopology, or InputError naming the counts when they do not fit. */
export function chooseTopology(podCount: number, asked: Partial<TopologyRequest>): TopologyRequest {
  const fit = fitTopology(podCount, asked);
  if (!fit.ok) throw new InputError(fit.why);
  return { masters: fit.masters, replicasPerMaster: fit.replicasPerMaster };
}

/**
 * Slot ranges exactly as `redis-cli --cluster create` splits them (clusterManagerCommandCreate): a float
 * cursor advancing by 16384/m, each range ending at lround(cursor + per - 1), the last one at 16383.
 */
export function splitSlots(masters: number): Array<[number, number]> {
  const per = Math.fround(SLOT_COUNT / masters);
  const ranges: Array<[number, number]> = [];
  let first = 0;
  let cursor = 0;
  for (let i = 0; i < masters; i++) {
    let last = Math.round(Math.fround(cursor + per - 1));
    if (last > SLOT_COUNT || i === masters - 1) last = SLOT_COUNT - 1;
    if (last < first) last = first;
    ranges.push([first, last]);
    first = last + 1;
    cursor = Math.fround(cursor + per);
  }
  return ranges;
}

/**
 * Which pod owns which slots and which pods follow which master. Masters are spread over the Kubernetes
 * nodes (pods taken round-robin by node), and each master's replicas go to other nodes than the master (and
 * than each other; then other zones) wherever the pod placement allows it. Where it does not, the shard is
 * exposed (redis/placement.ts says which). Same input, same plan.
 */
export function planBootstrap(pods: PodInfo[], topo: TopologyRequest): BootstrapPlan {
  const { masters: m, replicasPerMaster: r } = topo;
  if (!Number.isInteger(m) || m < 1) throw new InputError(`masters must be a whole number >= 1, got ${m}`);
  if (!Number.isInteger(r) || r < 0) throw new InputError(`replicas per master must be a whole number >= 0, got ${r}`);
  if (m * (1 + r) !== pods.length) {
    throw new InputError(
      `${m} masters with ${r} replicas each need ${m * (1 + r)} pods, but there are ${pods.length}; ` +
        `choose masters x (1 + replicas per master) = ${pods.length} (default for ${pods.length} pods: ` +
        `${defaultTopology(pods.length).masters} masters, ${defaultTopology(pods.length).replicasPerMaster} replicas each)`,
    );
  }
  const order = interleaveByNode(pods);
  const masters = order.slice(0, m);
  let rest = order.slice(m);
  const replicasOf = new Map<string, PodInfo[]>(masters.map((p) => [p.name, []]));
  for (let round = 0; round < r; round++) {
    const picks = pickReplicas(masters, rest, replicasOf);
    masters.forEach((master, i) => replicasOf.get(master.name)!.push(picks[i]!));
    rest = rest.filter((p) => !picks.includes(p));
  }
  const ranges = splitSlots(m);
  return {
    masters: masters.map((p, i) => ({ pod: p.name, slots: ranges[i]! })),
    replicas: masters.flatMap((master) =>
      replicasOf.get(master.name)!.map((p) => ({ pod: p.name, master: master.name })),
    ),
  };
}

/** Pods by ordinal, grouped by node, taken one per node in turn: the first m are masters on distinct nodes. */
function interleaveByNode(pods: PodInfo[]): PodInfo[] {
  const byNode = new Map<string, PodInfo[]>();
  for (const p of [...pods].sort((a, b) => a.ordinal - b.ordinal || a.name.localeCompare(b.name))) {
    byNode.set(p.node, [...(byNode.get(p.node) ?? []), p]);
  }
  const groups = [...byNode.values()];
  const out: PodInfo[] = [];
  for (let i = 0; out.length < pods.length; i++) for (const g of groups) if (g[i]) out.push(g[i]!);
  return out;
}

/**
 * One replica for every master from `candidates`: a bipartite matching (augmenting paths) under the strictest
 * placement rule that still gives every master one; when no rule can be met (all pods on one node), the
 * candidates in order, as redis-cli pairs them.
 */
function pickReplicas(masters: PodInfo[], candidates: PodInfo[], replicasOf: Map<string, PodInfo[]>): PodInfo[] {
  const apart = (master: PodInfo, pod: PodInfo) =>
    pod.node !== master.node && !replicasOf.get(master.name)!.some((x) => x.node === pod.node);
  const zonesApart = (master: PodInfo, pod: PodInfo) =>
    master.zone !== undefined && pod.zone !== undefined && master.zone !== pod.zone;
  // Another node, then also another zone than the master's where the nodes carry zones (one zone's outage
  // leaves every shard a copy), as redis-cli --cluster create keeps a replica off its master's host.
  const rules: Array<(master: PodInfo, pod: PodInfo) => boolean> = [
    (master, pod) => apart(master, pod) && zonesApart(master, pod),
    apart,
    (master, pod) => pod.node !== master.node,
  ];
  for (const allowed of rules) {
    const matchOf = new Map<PodInfo, number>(); // candidate -> master index
    const tryAssign = (i: number, seen: Set<PodInfo>): boolean => {
      for (const pod of candidates) {
        if (seen.has(pod) || !allowed(masters[i]!, pod)) continue;
        seen.add(pod);
        const holder = matchOf.get(pod);
        if (holder === undefined || tryAssign(holder, seen)) {
          matchOf.set(pod, i);
          return true;
        }
      }
      return false;
    };
    if (masters.every((_, i) => tryAssign(i, new Set()))) {
      const picks: PodInfo[] = [];
      for (const [pod, i] of matchOf) picks[i] = pod;
      return picks;
    }
  }
  return candidates.slice(0, masters.length);
}
