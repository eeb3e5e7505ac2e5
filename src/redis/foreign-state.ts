import type { PodInfo } from '../platform/platform.ts';
import type { ClusterNode } from './types.ts';

/** A pod's Redis holds cluster state that is not this run's (another cluster's, or a previous run's). */
export class ForeignClusterStateError extends Error {
  override name = 'ForeignClusterStateError';
}

/** One pod as bootstrap reads it: its CLUSTER NODES. */
export interface PodView {
  pod: PodInfo;
  nodes: ClusterNode[];
}

/**
 * What, in the pods' own cluster state, cannot have been made by this run: an entry for a node that is none of
 * the pods (its NodeID is not one they have), or an entry for one of them at an address that no pod has now.
 * Both come from a nodes.conf that was on the volume before the pods started (a previous run's, with
 * reclaimPolicy Retain, or another cluster's): a node that starts on a fresh volume knows only itself, and
 * nodes of this run only ever meet at the pods' current addresses. Handshake entries (a MEET in flight) and
 * the node's own line are not evidence. One line per pod that holds such state.
 */
export function foreignState(views: PodView[]): string[] {
  const ids = new Set(views.map((v) => v.nodes.find((n) => n.flags.has('myself'))?.id).filter(Boolean));
  const ips = new Set(views.map((v) => v.pod.ip));
  const findings: string[] = [];
  for (const { pod, nodes } of views) {
    const strangers = nodes.filter((n) => !n.flags.has('myself') && !n.flags.has('handshake') && !ids.has(n.id));
    const stale = nodes.filter((n) => !n.flags.has('myself') && ids.has(n.id) && n.ip !== '' && !ips.has(n.ip));
    if (strangers.length === 0 && stale.length === 0) continue;
    const addr = (n: ClusterNode) => (n.ip ? `${n.ip}:${n.port}` : 'no address');
    const parts = [
      ...(strangers.length
        ? [
            `${strangers.length} node(s) that are none of the pods (${strangers
              .slice(0, 3)
              .map((n) => `${n.id.slice(0, 8)} at ${addr(n)}`)
              .join(', ')})`,
          ]
        : []),
      ...(stale.length
        ? [
            `pods at addresses no pod has now (${stale
              .slice(0, 3)
              .map((n) => `${n.id.slice(0, 8)} at ${addr(n)}`)
              .join(', ')})`,
          ]
        : []),
    ];
    findings.push(`${pod.name} (${pod.ip}) knows ${parts.join(' and ')}`);
  }
  return findings;
}

/** The error that stops the run before bootstrap changes anything, saying where the state comes from. */
export function foreignStateError(findings: string[]): ForeignClusterStateError {
  return new ForeignClusterStateError(
    "the pods' volumes already hold the state of another Redis Cluster, so this run stops before bootstrap and changes nothing:\n" +
      findings.map((f) => `- ${f}`).join('\n') +
      '\nA node on a fresh volume knows only itself. This nodes.conf (and its AOF) was on the volume before the pods started: most ' +
      'likely a previous run on the same storage, whose PersistentVolumes had reclaimPolicy Retain (the data stays on the NFS ' +
      'export after the volume object is deleted), or another cluster using the same export. Empty those directories (or point ' +
      'the PersistentVolumes at fresh ones) and run again.',
  );
}
