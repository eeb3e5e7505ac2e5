import type { CoreV1Api } from '@kubernetes/client-node';
import { waitFor } from '../../../util/wait.ts';
import type { RollingRestartFault } from '../../faults.ts';
import { kubeError, type ObjectApi } from '../api.ts';
import { isPodReady, statefulSetPods, type StatefulSetTarget } from '../pods.ts';

/** What the rolling restart takes from the Kubernetes platform (read when it runs: after deploy()). */
export interface KubeRollingRestartDeps {
  core(): CoreV1Api;
  objects(): ObjectApi;
  statefulSet(): StatefulSetTarget;
  signal?: AbortSignal;
}

/**
 * `kubectl rollout restart`: kubectl merge-patches the pod template's `kubectl.kubernetes.io/restartedAt`
 * annotation with the time (RFC 3339); the changed template is a new revision, which the StatefulSet
 * controller rolls out under its updateStrategy (RollingUpdate: highest ordinal first, one at a time, each
 * Running and Ready before the next). restartAll resolves when every pod is a new one (new UID) and ready.
 */
export function kubeRollingRestart(deps: KubeRollingRestartDeps): RollingRestartFault {
  return {
    async restartAll(timeoutMs) {
      const core = deps.core();
      const objects = deps.objects();
      const sts = deps.statefulSet();
      const { name, namespace } = sts;
      const before = new Set((await statefulSetPods(core, sts)).map((p) => p.metadata?.uid));
      const body = {
        metadata: { name, namespace },
        spec: {
          template: {
            metadata: {
              annotations: {
                'kubectl.kubernetes.io/restartedAt': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
              },
            },
          },
        },
      };
      await objects.mergePatch({ apiVersion: 'apps/v1', kind: 'StatefulSet', ...body }).catch((err: unknown) => {
        throw kubeError(`patching StatefulSet ${name}'s pod template (rollout restart)`, err);
      });
      await waitFor(
        `StatefulSet ${name}: every pod replaced (new UID) and ready`,
        async () => {
          const pods = await statefulSetPods(core, sts);
          const old = pods.filter((p) => before.has(p.metadata?.uid)).map((p) => p.metadata?.name);
          const done =
            old.length === 0 &&
            pods.length === sts.replicas &&
            pods.every((p) => isPodReady(p) && !p.metadata?.deletionTimestamp);
          return done
            ? { done: true, value: undefined }
            : {
                done: false,
                seen: `${old.length} old pod(s) left (${old.join(', ')}), ${pods.filter(isPodReady).length}/${sts.replicas} ready`,
              };
        },
        { timeoutMs, intervalMs: 200, signal: deps.signal },
      );
    },
  };
}
