import { InputError } from '../../errors.ts';
import type { RedisDeployment } from '../../manifests/model.ts';

/**
 * The most pods the local platform starts for one StatefulSet. Each local pod is a real server process with its
 * own sandbox (and a readiness probe sandbox every period) on this one machine, and pods start one at a time
 * under OrderedReady: a manifest asking for hundreds would take this machine's memory and PIDs and keep the run
 * busy for minutes before any scenario. A Redis Cluster needs 3 masters, and a replica each for failover: the
 * published manifests use 6; 32 leaves room for 16 masters with a replica each, or 8 with three.
 */
export const MAX_LOCAL_PODS = 32;

/** Refuses a StatefulSet with more replicas than MAX_LOCAL_PODS, naming file and line. */
export function refuseTooManyPods(r: RedisDeployment): void {
  if (r.replicas <= MAX_LOCAL_PODS) return;
  const at = r.statefulSet.locate(['spec', 'replicas']);
  throw new InputError(
    `${at.file}:${at.line}: spec.replicas is ${r.replicas}; the local platform starts at most ${MAX_LOCAL_PODS} pods ` +
      '(each one a server process and sandbox on this machine). Lower it, or use platform kind or an existing cluster',
  );
}
