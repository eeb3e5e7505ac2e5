import type { NodeLossFault } from '../../faults.ts';
import type { Log } from '../../../util/log.ts';
import type { EmulatedNode } from '../nodes.ts';

/** The local platform's hands on the pods of an emulated node (local.ts owns the pods). */
export interface NodePods {
  nodes: EmulatedNode[];
  podsOn(node: string): string[];
  /** Kills every process of the pod's group and resolves once its address no longer answers; nothing restarts it. */
  stop(pod: string): Promise<void>;
  /** Starts the pod's container again on its node (same UID, address, volumes). */
  restart(pod: string): Promise<void>;
  /** Deletes the pod with its node: the StatefulSet recreates it on a node that is up. */
  evict(pod: string): void;
}

/**
 * A whole emulated node lost at once: every pod on it gets SIGKILL to its process group in the same moment, as
 * when the machine stops. The node is then not Ready: the scheduler places nothing on it (local/nodes.ts), and its
 * pods are neither restarted nor replaced: Kubernetes cannot tell a dead node from an unreachable one, and a
 * StatefulSet keeps at most one pod per identity, so it waits until the node returns or its Node object is
 * deleted ("StatefulSet Pods ... will not be deleted until the node is confirmed gone", kubernetes.io, "Force
 * Delete StatefulSet Pods"). mode delete: the Node object is deleted too, so its pods are deleted (pod garbage
 * collection of pods bound to a node that no longer exists) and the StatefulSet recreates them elsewhere.
 * Nothing here outlives the run: the processes are the platform's own (undone by its teardown).
 */
export function localNodeLoss(pods: NodePods, log: Log): NodeLossFault {
  const nodeNamed = (name: string): EmulatedNode => {
    const node = pods.nodes.find((n) => n.name === name);
    if (!node)
      throw new Error(`local platform: no emulated node ${name} (nodes: ${pods.nodes.map((n) => n.name).join(', ')})`);
    return node;
  };
  return {
    async lose(name: string, onLost?: (at: number) => void): Promise<void> {
      const node = nodeNamed(name);
      if (node.down) throw new Error(`local platform: node ${name} is already lost`);
      const victims = pods.podsOn(name);
      node.down = true;
      onLost?.(Date.now());
      const stopped = await Promise.allSettled(victims.map((p) => pods.stop(p)));
      const failed = stopped.flatMap((s, i) =>
        s.status === 'rejected' ? [`${victims[i]!}: ${String(s.reason)}`] : [],
      );
      if (failed.length) throw new Error(`local platform: node ${name}'s pods did not all stop: ${failed.join('; ')}`);
      log.info(`local platform: node ${name} lost: pods ${victims.join(', ') || '(none)'} stopped at once`);
    },
    async deleteNode(name: string): Promise<void> {
      if (!nodeNamed(name).down)
        throw new Error(`local platform: node ${name} is not lost; only a lost node is deleted`);
      const bound = pods.podsOn(name);
      for (const p of bound) pods.evict(p);
      log.info(`local platform: Node ${name} deleted: pods ${bound.join(', ') || '(none)'} deleted with it`);
    },
    async restore(name: string): Promise<void> {
      const node = nodeNamed(name);
      if (!node.down) return;
      node.down = false;
      log.info(`local platform: node ${name} is back`);
      await Promise.all(pods.podsOn(name).map((p) => pods.restart(p)));
    },
  };
}
