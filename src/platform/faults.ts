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
}
