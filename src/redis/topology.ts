import type { NodeView, Topology, ClusterNode } from './types.ts';
import { formatSlots, nodeAddress } from './cluster-nodes.ts';

/** The report's view of a cluster: one entry per node, named by pod where its address belongs to one. */
export function toTopology(nodes: ClusterNode[], podByIp: Map<string, string>, raw?: string): Topology {
  const views = nodes.map((n): NodeView => {
    const pod = podByIp.get(n.ip);
    return {
      nodeId: n.id,
      ...(pod !== undefined ? { pod } : {}),
      address: n.ip ? nodeAddress(n) : '',
      role: n.flags.has('slave') ? 'replica' : 'master',
      ...(n.masterId !== undefined ? { masterId: n.masterId } : {}),
      slots: formatSlots(n.slots),
      flags: [...n.flags],
    };
  });
  // Masters first by their first slot, then replicas by address: a stable order for reports and diffs.
  const firstSlot = (v: NodeView): number => (v.slots[0] ? Number(v.slots[0].split('-')[0]) : Infinity);
  views.sort(
    (a, b) =>
      Number(a.role === 'replica') - Number(b.role === 'replica') ||
      firstSlot(a) - firstSlot(b) ||
      a.address.localeCompare(b.address),
  );
  return { nodes: views, ...(raw !== undefined ? { clusterNodes: raw } : {}) };
}
