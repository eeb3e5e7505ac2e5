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
