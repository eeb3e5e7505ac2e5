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
  readonly nodeLoss: Capability<NodeLossFault>;
}

/**
 * What becomes of a lost node: restart (its machine stops and comes back: its pods stay bound to it, unreachable,
 * and return with it) or delete (its Node object is removed as well: its pods are deleted and the StatefulSet
 * recreates them on the other nodes, their claims following them).
 */
export type NodeLossMode = 'restart' | 'delete';

/** A node lost as a whole: every pod on it stops at once (kind: its container stopped; local: every pod's group killed). */
export interface NodeLossFault {
  /**
   * Stops node `node` and every pod on it at once. Resolves once every pod of the node has stopped answering;
   * `onLost` gets the moment the node went. The loss is recorded (undo journal) before it is made.
   */
  lose(node: string, mode: NodeLossMode, onLost?: (at: number) => void): Promise<void>;
  /** Brings the node back (restart: its pods start again on it, same UIDs; delete: it rejoins empty). Safe to call
   * when the node is up. */
  restore(node: string): Promise<void>;
}
