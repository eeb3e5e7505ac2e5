import type { NodePods } from './faults/node-loss.ts';
import { untilGone } from './pod-gone.ts';
import { updateHosts } from './pod-hosts.ts';
import { runStart } from './pod-start.ts';
import { startSettled } from './pod-table.ts';
import { stopProcess } from './process.ts';
import { requireDeployed, type LocalState } from './state.ts';

/** What a lost emulated node does to its pods (local/faults/node-loss.ts), each pod's part of it. */
export function nodePods(s: LocalState): NodePods {
  return {
    nodes: s.nodes,
    podsOn: (node: string) =>
      s.pods
        .all()
        .filter((p) => p.node === node)
        .map((p) => p.name),
    /** Every process of the pod's group killed at once, as the machine under it stops; nothing restarts it. */
    async stop(name: string): Promise<void> {
      const pod = s.pods.named(name);
      await startSettled(pod);
      pod.lifecycle.fire({ type: 'node-lost' });
      if (pod.proc && !pod.proc.exit) await stopProcess(pod.proc, 'kill', 0);
      await untilGone(pod, requireDeployed(s).port);
    },
    /** The node is back: the pod's container starts again there, same UID, address and volumes. */
    async restart(name: string): Promise<void> {
      const pod = s.pods.named(name);
      if (pod.lifecycle.state.phase !== 'node-down') return;
      pod.lifecycle.fire({ type: 'node-back' });
      await runStart(s, pod, (err) =>
        s.ctx.log.warn(`local platform: pod ${name} did not start again: ${err.message}`),
      );
    },
    /** The node was deleted: the pod with it; the StatefulSet recreates it on a node that is up. */
    evict(name: string): void {
      const pod = s.pods.named(name);
      if (pod.lifecycle.state.phase !== 'node-down') return;
      pod.ip = '';
      pod.node = '';
      updateHosts(s);
      pod.lifecycle.fire({ type: 'evicted', delayMs: s.restartDelayMs });
    },
  };
}
