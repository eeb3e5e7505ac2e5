import type { RedisDeployment } from '../../../manifests/model.ts';
import { valueAt } from '../../../manifests/object-path.ts';
import type { RollingRestartFault } from '../../faults.ts';

/** What the local platform lends its rolling restart. */
export interface LocalRollingRestartHost {
  /** The deployment; throws while nothing is deployed. */
  deployed(): RedisDeployment;
  pods(): Array<{ name: string; ordinal: number }>;
  /** The StatefulSet controller's replacement of pods (faults/replace-pods.ts). */
  replace(batches: string[][], timeoutMs: number): Promise<void>;
}

/**
 * `kubectl rollout restart statefulset` as the StatefulSet controller carries it out with the RollingUpdate
 * strategy (the default): "The StatefulSet controller will delete and recreate each Pod in the StatefulSet.
 * It will proceed in the same order as Pod termination (from the largest ordinal to the smallest), updating
 * each Pod one at a time. The Kubernetes control plane waits until an updated Pod is Running and Ready prior
 * to updating its predecessor" (kubernetes.io, StatefulSets, Rolling Updates); pods below
 * rollingUpdate.partition are left alone, podManagementPolicy does not change this order, and OnDelete
 * replaces nothing. Ready follows the container's readinessProbe as the kubelet runs it (local/probes.ts:
 * schedule, timeout, thresholds), with its exec command run in the pod's sandbox (local/readiness.ts).
 */
export function localRollingRestart(host: LocalRollingRestartHost): RollingRestartFault {
  return {
    async restartAll(timeoutMs: number): Promise<void> {
      const r = host.deployed();
      const strategy = valueAt(r.statefulSet.body, ['spec', 'updateStrategy', 'type']) ?? 'RollingUpdate';
      if (strategy === 'OnDelete') {
        throw new Error(
          `StatefulSet ${r.name} has updateStrategy OnDelete: a rollout restart changes its template but replaces no pod until each is deleted by hand`,
        );
      }
      const partition = Number(
        valueAt(r.statefulSet.body, ['spec', 'updateStrategy', 'rollingUpdate', 'partition']) ?? 0,
      );
      const order = host
        .pods()
        .filter((p) => p.ordinal >= partition)
        .sort((a, b) => b.ordinal - a.ordinal);
      await host.replace(
        order.map((p) => [p.name]),
        timeoutMs,
      );
    },
  };
}
