import { findingAt, type KubernetesVersion, type LintRule } from './rule.ts';

export interface Removal {
  /** Minor version of Kubernetes 1.x that stopped serving it. */
  removedIn: number;
  /** apiVersion to use instead, or undefined when the kind is gone altogether. */
  use?: string;
  note?: string;
}

// Removed APIs by release, from the Kubernetes deprecated API migration guide:
// https://kubernetes.io/docs/reference/using-api/deprecation-guide/
// Keyed `apiVersion kind`; `apiVersion *` covers every kind of a group version that was removed whole.
const REMOVALS: Record<string, Removal> = {
  // v1.16
  'apps/v1beta1 *': { removedIn: 16, use: 'apps/v1' },
  'apps/v1beta2 *': { removedIn: 16, use: 'apps/v1' },
  'extensions/v1beta1 Deployment': { removedIn: 16, use: 'apps/v1' },
  'extensions/v1beta1 DaemonSet': { removedIn: 16, use: 'apps/v1' },
  'extensions/v1beta1 ReplicaSet': { removedIn: 16, use: 'apps/v1' },
  'extensions/v1beta1 NetworkPolicy': { removedIn: 16, use: 'networking.k8s.io/v1' },
  'extensions/v1beta1 PodSecurityPolicy': { removedIn: 16, use: 'policy/v1beta1', note: 'itself removed in 1.25' },
  // v1.22
  'extensions/v1beta1 Ingress': { removedIn: 22, use: 'networking.k8s.io/v1' },
  'networking.k8s.io/v1beta1 *': { removedIn: 22, use: 'networking.k8s.io/v1' },
  'admissionregistration.k8s.io/v1beta1 *': { removedIn: 22, use: 'admissionregistration.k8s.io/v1' },
  'apiextensions.k8s.io/v1beta1 *': { removedIn: 22, use: 'apiextensions.k8s.io/v1' },
  'apiregistration.k8s.io/v1beta1 *': { removedIn: 22, use: 'apiregistration.k8s.io/v1' },
  'authentication.k8s.io/v1beta1 *': { removedIn: 22, use: 'authentication.k8s.io/v1' },
  'authorization.k8s.io/v1beta1 *': { removedIn: 22, use: 'authorization.k8s.io/v1' },
  'certificates.k8s.io/v1beta1 *': { removedIn: 22, use: 'certificates.k8s.io/v1' },
  'coordination.k8s.io/v1beta1 *': { removedIn: 22, use: 'coordination.k8s.io/v1' },
  'rbac.authorization.k8s.io/v1beta1 *': { removedIn: 22, use: 'rbac.authorization.k8s.io/v1' },
  'scheduling.k8s.io/v1beta1 *': { removedIn: 22, use: 'scheduling.k8s.io/v1' },
  'storage.k8s.io/v1beta1 CSIDriver': { removedIn: 22, use: 'storage.k8s.io/v1' },
  'storage.k8s.io/v1beta1 CSINode': { removedIn: 22, use: 'storage.k8s.io/v1' },
  'storage.k8s.io/v1beta1 StorageClass': { removedIn: 22, use: 'storage.k8s.io/v1' },
  'storage.k8s.io/v1beta1 VolumeAttachment': { removedIn: 22, use: 'storage.k8s.io/v1' },
  // v1.25
  'batch/v1beta1 CronJob': { removedIn: 25, use: 'batch/v1' },
  'discovery.k8s.io/v1beta1 EndpointSlice': { removedIn: 25, use: 'discovery.k8s.io/v1' },
  'events.k8s.io/v1beta1 Event': { removedIn: 25, use: 'events.k8s.io/v1' },
  'autoscaling/v2beta1 HorizontalPodAutoscaler': { removedIn: 25, use: 'autoscaling/v2' },
  'policy/v1beta1 PodDisruptionBudget': { removedIn: 25, use: 'policy/v1' },
  'policy/v1beta1 PodSecurityPolicy': { removedIn: 25, note: 'replaced by Pod Security Admission' },
  'node.k8s.io/v1beta1 RuntimeClass': { removedIn: 25, use: 'node.k8s.io/v1' },
  // v1.26
  'flowcontrol.apiserver.k8s.io/v1beta1 *': { removedIn: 26, use: 'flowcontrol.apiserver.k8s.io/v1' },
  'autoscaling/v2beta2 HorizontalPodAutoscaler': { removedIn: 26, use: 'autoscaling/v2' },
  // v1.27
  'storage.k8s.io/v1beta1 CSIStorageCapacity': { removedIn: 27, use: 'storage.k8s.io/v1' },
  // v1.29, v1.32
  'flowcontrol.apiserver.k8s.io/v1beta2 *': { removedIn: 29, use: 'flowcontrol.apiserver.k8s.io/v1' },
  'flowcontrol.apiserver.k8s.io/v1beta3 *': { removedIn: 32, use: 'flowcontrol.apiserver.k8s.io/v1' },
};

/** The removal of this apiVersion and kind in some release, if it was ever removed. */
export function removalRecord(apiVersion: string, kind: string): Removal | undefined {
  return REMOVALS[`${apiVersion} ${kind}`] ?? REMOVALS[`${apiVersion} *`];
}

/** The removal that applies to this apiVersion and kind on the target version, if any. */
export function removalOf(apiVersion: string, kind: string, target: KubernetesVersion): Removal | undefined {
  const r = removalRecord(apiVersion, kind);
  return r && (target.major > 1 || target.minor >= r.removedIn) ? r : undefined;
}

export const apiRemoved: LintRule = {
  id: 'api-removed',
  summary: 'apiVersion no longer served by the target Kubernetes version',
  check({ set, kubernetes }) {
    return set.objects.flatMap((obj) => {
      const r = removalOf(obj.apiVersion, obj.kind, kubernetes);
      if (!r) return [];
      const instead = r.use
        ? `use apiVersion ${r.use}${r.note ? ` (${r.note})` : ''}`
        : `${obj.kind} is gone (${r.note ?? 'no replacement'})`;
      return [
        findingAt(
          'api-removed',
          'error',
          obj,
          ['apiVersion'],
          `${obj.kind} ${obj.name}: ${obj.apiVersion} was removed in Kubernetes 1.${r.removedIn} (target ${kubernetes.text})`,
          `The API server rejects the object, so nothing of the Redis Cluster gets created; ${instead}, and ` +
            'check the fields the newer version requires (apps/v1 StatefulSets need spec.selector).',
        ),
      ];
    });
  },
};
