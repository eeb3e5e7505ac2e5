import type { ManifestSet, RedisDeployment } from '../manifests/model.ts';

/**
 * Faults a platform can inject beyond deleting a pod, each in its own module per platform
 * (src/platform/local/faults/, src/platform/kube/faults/). A platform that cannot inject one says why: the
 * scenario that needs it is then skipped with that reason.
 */
export interface Unsupported {
  readonly unsupported: string;
}

export type Capability<T> = T | Unsupported;

export function isUnsupported<T extends object>(c: Capability<T>): c is Unsupported {
  return 'unsupported' in c;
}

export interface PlatformFaults {
  readonly partition: Capability<import('./partition-fault.ts').PartitionFault>;
  readonly nodeLoss: Capability<NodeLossFault>;
  readonly rollout: Capability<RolloutFault>;
}

/**
 * What becomes of a lost node: restart (its machine stops and comes back: its pods stay bound to it, unreachable,
 * and return with it) or delete (its Node object is deleted as well once Redis has failed over: its pods are
 * deleted and the StatefulSet recreates them on the other nodes, their claims following them).
 */
export type NodeLossMode = 'restart' | 'delete';

/** A node lost as a whole: every pod on it stops at once (kind: its container stopped; local: every pod's group killed). */
export interface NodeLossFault {
  /**
   * Stops node `node` and every pod on it at once; its pods stay bound to it, neither restarted nor replaced.
   * Resolves once they have stopped; `onLost` gets the moment the node went. Recorded (undo journal) first.
   */
  lose(node: string, onLost?: (at: number) => void): Promise<void>;
  /** Deletes the lost node's Node object: its pods are deleted with it and the StatefulSet recreates them elsewhere. */
  deleteNode(node: string): Promise<void>;
  /** Brings the node back (its pods, if still bound to it, start again there with their UIDs; a deleted node
   * rejoins empty). Safe to call when the node is up. */
  restore(node: string): Promise<void>;
}

/** What the API server said when it refused an applied object: the PR would not deploy. */
export class ApplyRefusedError extends Error {
  constructor(
    /** `StatefulSet redis` */
    readonly object: string,
    /** The field the change touched (`spec.volumeClaimTemplates[0].spec.resources.requests.storage`). */
    readonly field: string,
    /** The API server's message, as it sends it. */
    readonly serverMessage: string,
  ) {
    super(`${object}: ${field} cannot be changed in place; the API server refuses the update: ${serverMessage}`);
  }
}

/** The StatefulSet after the head manifests were applied: what its controller will do next. */
export interface AppliedUpdate {
  /** The revision (pod template) the pods ran before, and the one the update asks for. Equal: no pod restarts. */
  currentRevision: string;
  updateRevision: string;
  strategy: 'RollingUpdate' | 'OnDelete';
  /** RollingUpdate: pods with an ordinal below it keep the current revision. */
  partition: number;
  /** RollingUpdate: how many pods the controller takes down at once. */
  maxUnavailable: number;
  /** The objects the apply changed (`ConfigMap redis-conf`, `StatefulSet redis`), unchanged ones left out. */
  changed: string[];
}

/**
 * `kubectl apply` of new manifests over the running deployment (same object names; changed objects updated in
 * place) and the StatefulSet controller's rollout that follows.
 */
export interface RolloutFault {
  /** Applies every object of `manifests`; throws ApplyRefusedError when the API server refuses one (nothing of
   * the StatefulSet changed then). */
  apply(manifests: ManifestSet, redis: RedisDeployment): Promise<AppliedUpdate>;
  /** RollingUpdate: resolves once the controller has replaced every pod at or above the partition with the update
   * revision, each Running and Ready (bounded; honours the run's cancel). OnDelete: resolves at once. */
  waitRolledOut(timeoutMs: number): Promise<void>;
  /** The revision each pod runs, by pod name. */
  podRevisions(): Promise<Record<string, string>>;
}
