import type { ManifestSet, RedisDeployment } from '../../manifests/model.ts';
import type { NfsRewrite } from '../../manifests/nfs-standin.ts';
import type { EvidenceSink } from '../evidence-sink.ts';
import type { KubeTarget } from '../undo.ts';
import type { KubeClients } from './api.ts';
import type { ApplyItem } from './apply.ts';

/** What differs between a kind cluster this run creates (kind-flavor.ts) and a cluster it is given (existing-flavor.ts). */
export interface Flavor {
  kind: 'kind' | 'existing';
  connect(): Promise<KubeClients>;
  /** How the post step / cleanup reaches this cluster again (see undo.ts). */
  target(): KubeTarget;
  /** A cluster shared with others: per-run names and claimRefs, no object taken over, everything recorded. */
  shared: boolean;
  /** The namespace for the run, once the manifests are known. */
  namespace(redis: RedisDeployment): string;
  /** The objects to apply, in set order (kind: with the NFS stand-in, whose directories it creates). */
  prepare(set: ManifestSet): Promise<PreparedSet>;
  /** Runner directory behind KIND_PV_MOUNT, when the stand-in is in use. */
  hostPvDir?: string;
  /** kind: its own logs of every node into the evidence (kind export logs). */
  exportLogs?(sink: EvidenceSink): Promise<void>;
  /** Last step of teardown (kind outside GitHub Actions: delete the cluster, as no post step will). */
  finish?(): Promise<void>;
}

export interface PreparedSet {
  bodies: Array<ApplyItem['body']>;
  rewrites: NfsRewrite[];
  notes?: string[];
}

/** The manifests' objects as they are written. */
export const untouched = async (set: ManifestSet): Promise<PreparedSet> => ({
  bodies: set.objects.map((o) => structuredClone(o.body)),
  rewrites: [],
});
