import type { ManifestSet, RedisDeployment } from '../manifests/model.ts';
import { UnsupportedError } from '../errors.ts';

/**
 * The faults a platform can inject, each in its own module per platform (src/platform/local/faults/,
 * src/platform/kube/faults/), reached by scenarios only as `platform.faults.<name>`. A platform that cannot inject
 * one says why: the scenario that needs it is then skipped with that reason.
 */
export interface Unsupported {
  readonly unsupported: string;
}

export type Capability<T> = T | Unsupported;

export function isUnsupported<T extends object>(c: Capability<T>): c is Unsupported {
  return 'unsupported' in c;
}

/** The fault itself, or UnsupportedError with the platform's reason (the driver skips the scenario with it). */
export function required<T extends object>(c: Capability<T>): T {
  if (isUnsupported(c)) throw new UnsupportedError(c.unsupported);
  return c;
}

export interface PlatformFaults {
  /** Every platform can delete a pod. */
  readonly podDelete: PodDeleteFault;
  readonly freeze: Capability<FreezeFault>;
  readonly rollingRestart: Capability<RollingRestartFault>;
  readonly partition: Capability<import('./partition-fault.ts').PartitionFault>;
  readonly nodeLoss: Capability<NodeLossFault>;
  readonly rollout: Capability<RolloutFault>;
}

export interface DeleteOptions {
  /** Keep the pod from coming back until releaseHold() (Kubernetes: a quota, or cordoned nodes). */
  hold: boolean;
  /** Graceful (SIGTERM, the pod's grace period) or immediate (SIGKILL locally; Kubernetes: a 1 s grace period,
   * since 0 force-deletes the pod object while its process still runs). */
  mode: 'graceful' | 'kill';
  /** Called with the time the delete request goes out, after any hold is in force: the fault's moment (the
   * hold's own cost stays out of the measured window). A platform that does not call it deletes at once. */
  onDelete?: (at: number) => void;
}

/** A pod deleted as `kubectl delete pod` does, its return optionally held back. */
export interface PodDeleteFault {
  /** Resolves once the old pod is gone (its process has exited). */
  delete(name: string, opts: DeleteOptions): Promise<void>;
  /** Lets held pods come back. Safe to call when nothing is held. */
  releaseHold(): Promise<void>;
}

/**
 * A pod's Redis process frozen without being killed (a stalled VM, a long pause, a network blackhole): SIGSTOP
 * locally; on kind sent from the node (a container's PID 1 ignores SIGSTOP sent from inside it). A pod whose
 * process cannot be found throws UnsupportedError naming why.
 */
export interface FreezeFault {
  freeze(pod: string): Promise<void>;
  /** SIGCONT; safe to call when the pod is not frozen. */
  resume(pod: string): Promise<void>;
}

/**
 * What `kubectl rollout restart statefulset` does: every pod of the Redis StatefulSet replaced as its controller
 * replaces them (RollingUpdate: highest ordinal first, one at a time, each Running and Ready before the next).
 */
export interface RollingRestartFault {
  /** Resolves once the last pod is ready again; bounded by `timeoutMs`. */
  restartAll(timeoutMs: number): Promise<void>;
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
