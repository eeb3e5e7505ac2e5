import { UnsupportedError } from '../../../errors.ts';
import type { PartitionFault, PartitionPlan } from '../../partition-fault.ts';
import { chainCut, dropPeers, iptablesProblem, type Iptables } from '../../packet-filter.ts';
import type { Runner } from '../../run-command.ts';
import type { UndoJournal } from '../../undo.ts';
import { findNodeProcess, runDocker } from '../node-freeze.ts';

/**
 * The partition on kind: the rules go into the victim pod's own network namespace, entered from its node
 * container (`docker exec <node> nsenter -t <host pid> -n iptables …`), the PID found through crictl as
 * master-pause finds it (kube/node-freeze.ts). They DROP traffic from and to every other Redis pod's IP only, so
 * the runner's own connections (routed through the node from the runner's address) stay up: the run keeps
 * watching the cut-off node. Clients have no address of their own here: both come from the runner, which
 * reaches both sides.
 */

/** iptables in the network namespace of `pid` of kind node container `node`. */
export function nodeIptables(node: string, pid: number, run: Runner = runDocker): Iptables {
  return (args) => run('docker', ['exec', node, 'nsenter', '-t', String(pid), '-n', 'iptables', ...args]);
}

export interface KindPartitionDeps {
  /** The pod's node and its Redis container's ID (`<runtime>://<id>`) from its status, where it has them. */
  locate(pod: string): Promise<{ node?: string; containerId?: string }>;
  undo: UndoJournal;
  run?: Runner;
}

/** The kind partition fault, and healAll() for the platform's teardown. */
export function kindPartition(deps: KindPartitionDeps): PartitionFault & { healAll(): Promise<void> } {
  const run = deps.run ?? runDocker;
  const active = new Set<PartitionPlan>();
  return {
    async prepare(pod) {
      const { node, containerId } = await deps.locate(pod);
      if (!node || !containerId)
        throw new UnsupportedError(
          `cutting off pod ${pod}: it has no node or no running Redis container in its status`,
        );
      const target = await findNodeProcess(run, pod, node, containerId, 'cutting off');
      const ipt = nodeIptables(node, target.pid, run);
      const problem = await iptablesProblem(ipt);
      if (problem)
        throw new UnsupportedError(
          `cutting off pod ${pod}: in its network namespace (host PID ${target.pid} on ${node}): ${problem}`,
        );
      const cut = chainCut(ipt, ['INPUT', 'OUTPUT'], deps.undo, { node, pid: target.pid });
      const plan: PartitionPlan = {
        get describe() {
          return `iptables chain ${cut.chain() ?? '(none)'} in pod ${pod}'s network namespace on ${node} (INPUT and OUTPUT): DROP from and to every other Redis pod; the runner's connections and both clients (the runner's address) are not cut`;
        },
        async cut(others) {
          active.add(plan);
          await cut.cut(dropPeers(others));
        },
        async heal() {
          await cut.heal();
          active.delete(plan);
        },
      };
      return plan;
    },
    async healAll() {
      for (const plan of [...active]) await plan.heal();
    },
  };
}
