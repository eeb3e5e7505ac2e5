import path from 'node:path';
import { stringify } from 'yaml';

/** Where the runner's PV directory (the NFS stand-in) appears inside every kind node. */
export const KIND_PV_MOUNT = '/var/local/redis-resilience-pv';

export interface KindConfigOptions {
  workers: number;
  /** Runner directory mounted into every node at KIND_PV_MOUNT. */
  hostPvDir: string;
  /** Node image for every node; kind's own default when absent. */
  nodeImage?: string;
}

/**
 * A kind cluster config: one control-plane and `workers` workers, all mounting the same runner directory so
 * a PV's data stays in one place whichever node runs the pod (what the seed's NFS export gave it).
 */
export function kindConfig(opts: KindConfigOptions): string {
  if (!Number.isInteger(opts.workers) || opts.workers < 0) {
    throw new Error(`kind workers must be a whole number of at least 0, got ${opts.workers}`);
  }
  // kind resolves relative host paths against its own working directory; pin it to ours.
  const extraMounts = [{ hostPath: path.resolve(opts.hostPvDir), containerPath: KIND_PV_MOUNT }];
  const node = (role: 'control-plane' | 'worker') => ({
    role,
    ...(opts.nodeImage ? { image: opts.nodeImage } : {}),
    extraMounts,
  });
  const config = {
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    nodes: [node('control-plane'), ...Array.from({ length: opts.workers }, () => node('worker'))],
  };
  // No anchors/aliases: kind's YAML decoder should see every node spelled out.
  return stringify(config, { aliasDuplicateObjects: false });
}
