import type { CoreV1Api } from '@kubernetes/client-node';
import type { NodeLossFault } from '../../faults.ts';
import type { UndoJournal } from '../../undo.ts';
import type { Log } from '../../../util/log.ts';
import type { Runner } from '../../run-command.ts';
import { waitFor } from '../../../util/wait.ts';
import { isNotFound, kubeError } from '../api.ts';

/** Bound on a node's Ready condition changing after its container stops or starts: the node lifecycle
 * controller waits node-monitor-grace-period (40 s by default) for a silent kubelet; a started one posts at once. */
const NODE_READY_TIMEOUT_MS = 120_000;

export interface KindNodeLossDeps {
  run: Runner;
  core: () => CoreV1Api;
  undo: UndoJournal;
  log: Log;
  signal?: AbortSignal;
}

const said = (r: { stdout: string; stderr: string; code: number }): string =>
  (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-2).join(' | ') || `exit code ${r.code}`;

/**
 * A kind node lost as a whole: a kind node is a Docker container named after the Kubernetes node, so `docker stop
 * -t 0` stops the machine at once (every pod on it, and the kubelet, which then stops reporting: the node turns
 * NotReady/Unknown after the node monitor grace period and its pods Ready False). Kubernetes does not replace
 * those pods while the node is only unreachable: "StatefulSet Pods ... will not be deleted until the node is
 * confirmed gone" and the controller keeps at most one pod per identity (kubernetes.io, "Force Delete StatefulSet
 * Pods"). mode delete: the Node object is deleted as well (what a cloud's node lifecycle controller does for a
 * vanished VM), so pod garbage collection deletes its pods and the StatefulSet recreates them elsewhere.
 * `docker start` brings the node back (its kubelet registers the Node again after a delete). The stop is recorded
 * in the undo journal before it is made (undo: docker start), and settled once the node is back.
 */
export function kindNodeLoss(deps: KindNodeLossDeps): NodeLossFault {
  const { run, log } = deps;
  const stopped = new Map<string, string>(); // node container -> undo id
  const running = async (node: string): Promise<boolean> => {
    const r = await run('docker', ['inspect', '--format', '{{.State.Running}}', node]);
    if (r.code !== 0) throw new Error(`kind node container ${node}: docker inspect failed: ${said(r)}`);
    return r.stdout.trim() === 'true';
  };
  /** Waits until the Node's Ready condition is True (`ready`) or no longer True; a deleted Node is not Ready. */
  const nodeReady = (node: string, ready: boolean): Promise<void> =>
    waitFor(
      `kind node ${node} to ${ready ? 'report Ready after docker start' : 'turn NotReady after docker stop'}`,
      async () => {
        const n = await deps
          .core()
          .readNode({ name: node })
          .catch((err: unknown) => {
            if (isNotFound(err)) return undefined; // deleted: its kubelet registers it again once started
            throw kubeError(`reading node ${node}`, err);
          });
        const status = n?.status?.conditions?.find((c) => c.type === 'Ready')?.status;
        return (status === 'True') === ready
          ? { done: true, value: undefined }
          : { done: false, seen: n ? `Ready ${status ?? 'not reported'}` : 'not registered' };
      },
      { timeoutMs: NODE_READY_TIMEOUT_MS, intervalMs: 1000, ...(deps.signal ? { signal: deps.signal } : {}) },
    );
  return {
    async lose(node: string, onLost?: (at: number) => void): Promise<void> {
      if (!(await running(node))) throw new Error(`kind node container ${node} is not running: nothing to lose`);
      stopped.set(node, await deps.undo.record({ kind: 'node-container-stopped', container: node }));
      onLost?.(Date.now());
      const stop = await run('docker', ['stop', '-t', '0', node]);
      if (stop.code !== 0) throw new Error(`docker stop ${node} failed: ${said(stop)}`);
      if (await running(node)) throw new Error(`kind node container ${node} still runs after docker stop`);
      log.info(`kind: node ${node} stopped (docker stop): its pods and kubelet stopped with it`);
      await nodeReady(node, false);
      log.info(`kind: node ${node} is NotReady (its kubelet stopped posting status)`);
    },
    async deleteNode(node: string): Promise<void> {
      if (!stopped.has(node)) throw new Error(`kind node ${node} is not lost; only a lost node is deleted`);
      await deps
        .core()
        .deleteNode({ name: node })
        .catch((err: unknown) => {
          if (!isNotFound(err)) throw kubeError(`deleting node ${node}`, err);
        });
      log.info(`kind: Node ${node} deleted: its pods are garbage-collected and recreated on other nodes`);
    },
    async restore(node: string): Promise<void> {
      const id = stopped.get(node);
      if (id === undefined) return;
      const start = await run('docker', ['start', node]);
      if (start.code !== 0) throw new Error(`docker start ${node} failed: ${said(start)}`);
      await deps.undo.settle(id);
      stopped.delete(node);
      await nodeReady(node, true);
      log.info(`kind: node ${node} is back and Ready`);
    },
  };
}
