import type { RedisDeployment } from '../../manifests/model.ts';
import { valueAt } from '../../manifests/object-path.ts';

/**
 * emptyDir sizeLimits, which this platform does not enforce: on Kubernetes the kubelet evicts a pod whose emptyDir
 * grows past its sizeLimit (its eviction manager measures the volume); here the volume is a plain directory and
 * nothing measures it. Said in the log and the report's notes rather than silently ignored.
 */
export function unenforcedSizeLimits(r: Pick<RedisDeployment, 'statefulSet'>): string[] {
  const volumes = valueAt(r.statefulSet.body, ['spec', 'template', 'spec', 'volumes']);
  if (!Array.isArray(volumes)) return [];
  return volumes.flatMap((v) => {
    const limit = valueAt(v, ['emptyDir', 'sizeLimit']);
    if (limit === undefined || limit === null) return [];
    const name = valueAt(v, ['name']);
    return [
      `local platform: emptyDir ${typeof name === 'string' ? name : '?'} sizeLimit ${JSON.stringify(limit)} is not enforced (the kubelet would evict the pod past it; here the volume is a plain directory)`,
    ];
  });
}
