import { UnsupportedError } from '../../../errors.ts';
import type { FreezeFault } from '../../faults.ts';
import type { Runner } from '../../run-command.ts';
import { findNodeProcess, runDocker, signalNodeProcess, type NodeProcess } from '../node-freeze.ts';

export interface KindFreezeDeps {
  /** The pod's node and its Redis container's ID (`<runtime>://<id>`) from its status, where it has them. */
  locate(pod: string): Promise<{ node?: string; containerId?: string }>;
  /** The Redis container's name, for the refusal. */
  container(): string | undefined;
  run?: Runner;
}

/**
 * The freeze on kind: SIGSTOP from the node container to the Redis container's host PID (kube/node-freeze.ts; a
 * container's PID 1 ignores SIGSTOP sent from inside its own PID namespace), SIGCONT to resume it.
 */
export function kindFreeze(deps: KindFreezeDeps): FreezeFault {
  const run = deps.run ?? runDocker;
  /** Pods frozen, with the node process to resume. */
  const frozen = new Map<string, NodeProcess>();
  return {
    async freeze(podName) {
      const { node, containerId } = await deps.locate(podName);
      if (!node || !containerId)
        throw new UnsupportedError(
          `freezing pod ${podName}: it has no node or no running container ${deps.container() ?? ''} in its status`,
        );
      const target = await findNodeProcess(run, podName, node, containerId);
      await signalNodeProcess(run, target, 'STOP');
      frozen.set(podName, target);
    },
    /** Nothing when the pod is not frozen. */
    async resume(podName) {
      const target = frozen.get(podName);
      if (!target) return;
      await signalNodeProcess(run, target, 'CONT');
      frozen.delete(podName);
    },
  };
}
