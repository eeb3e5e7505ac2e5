import type { RedisDeployment } from '../../manifests/model.ts';
import { objectsAt, stringsAt } from '../../manifests/object-path.ts';

/**
 * The Redis container's postStart hook (exec only), which the kubelet runs in the container right after creating
 * it; "if a PostStart hook fails, it kills the Container" (kubernetes.io, Container Lifecycle Hooks), and the
 * container is then restarted as after a crash. The local platform runs it in the pod's view (as `kubectl exec`)
 * once the container has started; it does not hold the pod's readiness until it ends.
 */
export function postStartCommand(r: RedisDeployment): string[] | undefined {
  const c = objectsAt(r.statefulSet.body, ['spec', 'template', 'spec', 'containers']).find(
    (x) => x.name === r.container.name,
  );
  const command = c ? stringsAt(c, ['lifecycle', 'postStart', 'exec', 'command']) : [];
  return command.length ? command : undefined;
}

/** Bound on one run of the hook (Kubernetes sets none; a hook that never ends must not outlive the run's waits). */
export const POST_START_TIMEOUT_MS = 300_000;
