import type { NodeView, Topology, ClusterNode } from './types.ts';
import { formatSlots, nodeAddress } from './cluster-nodes.ts';

/** A pod as the topology names it: by name, with where it runs when known. */
export interface PodPlace {
  name: string;
  node?: string;
  zone?: string;
}

/** The report's view of a cluster: one entry per node, named by pod (and its Kubernetes node) where its address
 * belongs to one. */
export function toTopology(nodes: ClusterNode[], podByIp: Map<string, string | PodPlace>, raw?: string): Topology {
  const views = nodes.map((n): NodeView => {
    const found = podByIp.get(n.ip);
    const place = typeof found === 'string' ? { name: found } : found;
    return {
      nodeId: n.id,
      ...(place !== undefined ? { pod: place.name } : {}),
      ...(place?.node ? { kubeNode: place.node } : {}),
      ...(place?.zone ? { zone: place.zone } : {}),
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
