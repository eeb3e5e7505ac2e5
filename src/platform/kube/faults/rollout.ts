import type { Capability, RolloutFault } from '../../faults.ts';

/**
 * The rollout on Kubernetes (kind, existing): not carried out yet. Applying the head manifests needs the run's
 * own renames (kube/run-names.ts) and NFS rewrites applied to them as to the base, and the wait on the
 * StatefulSet's status (updateRevision, updatedReplicas) needs the API fixture's controller to move it: until
 * both are in, the scenario is skipped on these platforms with this reason.
 */
export function kubeRolloutFault(platform: 'kind' | 'existing'): Capability<RolloutFault> {
  return {
    unsupported: `the rollout scenario is not implemented on the ${platform} platform yet (run it with --platform local)`,
  };
}
