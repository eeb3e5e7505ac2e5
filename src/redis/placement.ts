import type { PodInfo } from '../platform/platform.ts';
import type { BootstrapPlan, ClusterNode } from './types.ts';
import { formatSlots, isMaster, rangeSize } from './cluster-nodes.ts';

/**
 * Where each shard's copies run: a shard whose master and every replica sit on one Kubernetes node loses its
 * slots with that node (no replica is left to take over). Kubernetes does not know which pod is a master, so
 * this can hold after a bootstrap that placed them well (a failover promotes the replica that shares a node
 * with another master, a pod rescheduled onto its master's node).
 */

export type PlacementSeverity = 'fail' | 'warn' | 'off';

export interface ShardCopy {
  pod: string;
  role: 'master' | 'replica';
  /** Empty when the pod is not known (an address no pod has) or has no node yet. */
  node: string;
  zone?: string;
}

export interface ShardPlacement {
  slots: string[];
  slotCount: number;
  copies: ShardCopy[];
  /** Distinct nodes holding a copy. */
  nodes: string[];
  /** Distinct zones holding a copy, where every copy's node has a zone; absent otherwise. */
  zones?: string[];
}

/** The shards of a cluster as one node's CLUSTER NODES shows them: each master with slots and its replicas. */
export function shardsOfView(view: ClusterNode[], pods: PodInfo[]): ShardPlacement[] {
  const byIp = new Map(pods.map((p) => [p.ip, p]));
  const copy = (n: ClusterNode, role: ShardCopy['role']): ShardCopy => {
    const pod = byIp.get(n.ip);
    return {
      pod: pod?.name ?? `${n.ip}:${n.port} (no pod)`,
      role,
      node: pod?.node ?? '',
      ...(pod?.zone ? { zone: pod.zone } : {}),
    };
  };
  return view
    .filter((n) => isMaster(n) && n.slots.length > 0)
    .sort((a, b) => a.slots[0]![0] - b.slots[0]![0])
    .map((m) =>
      shard(m.slots, [copy(m, 'master'), ...view.filter((r) => r.masterId === m.id).map((r) => copy(r, 'replica'))]),
    );
}

/** The shards a bootstrap plan would form, with where its pods run. */
export function shardsOfPlan(plan: BootstrapPlan, pods: PodInfo[]): ShardPlacement[] {
  const byName = new Map(pods.map((p) => [p.name, p]));
  const copy = (name: string, role: ShardCopy['role']): ShardCopy => {
    const pod = byName.get(name);
    return { pod: name, role, node: pod?.node ?? '', ...(pod?.zone ? { zone: pod.zone } : {}) };
  };
  return plan.masters.map((m) =>
    shard(
      [m.slots],
      [copy(m.pod, 'master'), ...plan.replicas.filter((r) => r.master === m.pod).map((r) => copy(r.pod, 'replica'))],
    ),
  );
}

function shard(ranges: Array<[number, number]>, copies: ShardCopy[]): ShardPlacement {
  const nodes = [...new Set(copies.map((c) => c.node).filter(Boolean))];
  const zones = copies.every((c) => c.zone) ? [...new Set(copies.map((c) => c.zone!))] : undefined;
  return {
    slots: formatSlots(ranges),
    slotCount: ranges.reduce((s, r) => s + rangeSize(r), 0),
    copies,
    nodes,
    ...(zones ? { zones } : {}),
  };
}

/** A shard one node failure takes whole: every copy on one (known) node. */
export const exposedOn = (s: ShardPlacement): string | undefined =>
  s.nodes.length === 1 && s.copies.every((c) => c.node !== '') ? s.nodes[0] : undefined;

/** One line per exposed shard: the node, the pods and the slots its failure takes. */
export function describeExposed(s: ShardPlacement): string {
  const pods = s.copies.map((c) => `${c.pod} (${c.role})`).join(', ');
  return `node ${exposedOn(s) ?? '?'} holds every copy of slots ${s.slots.join(',')} (${s.slotCount} slots): ${pods}`;
}

/**
 * A node whose loss leaves too few masters to elect any replica (a majority of the masters owning slots must
 * vote): every shard may keep a copy elsewhere and still none fails over. Said, not failed: a failover commonly
 * leaves two masters on one node, and the rule is per shard.
 */
export function quorumRisk(shards: ShardPlacement[]): string | undefined {
  const masters = shards.map((s) => s.copies.find((c) => c.role === 'master')?.node ?? '');
  const n = masters.length;
  const canLose = n - (Math.floor(n / 2) + 1);
  const counts = new Map<string, number>();
  for (const node of masters) if (node) counts.set(node, (counts.get(node) ?? 0) + 1);
  const risky = [...counts].filter(([, k]) => k > canLose);
  if (risky.length === 0 || n < 3) return undefined;
  return risky
    .map(
      ([node, k]) => `node ${node} runs ${k} of the ${n} masters: losing it leaves no majority to elect replacements`,
    )
    .join('; ');
}
