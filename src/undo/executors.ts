import path from 'node:path';
import { messageOf } from '../errors.ts';
import type { KubeTarget, UndoStep } from '../platform/undo.ts';
import type { Log } from '../util/log.ts';
import { settleWithin } from '../util/wait.ts';
import type { RecordingJournal } from './journal.ts';

type StepOf<K extends UndoStep['kind']> = Extract<UndoStep, { kind: K }>;

/** Bound on one undo (an API server that no longer answers, a hung `kind delete`): it then stays unsettled. */
const UNDO_TIMEOUT_MS = 120_000;

/** How each kind of step is undone. Every one is idempotent: what is already undone (gone, uncordoned) is done. */
export type UndoExecutors = { [K in UndoStep['kind']]: (step: StepOf<K>, log: Log) => Promise<void> };

/** One line naming a step, for logs ("kind cluster rr", "Namespace ns"). */
export function describeStep(step: UndoStep): string {
  switch (step.kind) {
    case 'kind-cluster':
      return `kind cluster ${step.cluster}`;
    case 'pod-route':
      return `route ${step.cidr} via ${step.via}`;
    case 'kube-object':
      return `${step.objectKind} ${step.namespace ? `${step.namespace}/` : ''}${step.name}`;
    case 'node-cordon':
      return `cordon of node ${step.node}`;
    case 'restart-hold':
      return `restart hold ${step.namespace}/${step.name}`;
    case 'local-processes':
      return `local redis-server processes of ${step.workDir}`;
    case 'local-firewall':
      return `local pods' loopback firewall ${step.id}`;
  }
}

/**
 * Undoes every unsettled step of `journal`, newest first (a route before its cluster, a namespace's objects
 * before the namespace), settling each one that worked. A step that fails is left unsettled for the next try
 * and the others still run. Returns what failed, one line each.
 */
export async function undoUnsettled(journal: RecordingJournal, executors: UndoExecutors, log: Log): Promise<string[]> {
  const failed: string[] = [];
  for (const entry of journal.unsettled().reverse()) {
    const what = describeStep(entry.step);
    try {
      const undo = (executors[entry.step.kind] as (s: UndoStep, l: Log) => Promise<void>)(entry.step, log);
      await settleWithin(undo, UNDO_TIMEOUT_MS, `no answer within ${UNDO_TIMEOUT_MS / 1000} s`);
      await journal.settle(entry.id);
      log.info(`undone: ${what}`);
    } catch (err) {
      failed.push(`${what}: ${messageOf(err)}`);
      log.warn(`could not undo ${what}: ${messageOf(err)}`);
    }
  }
  return failed;
}

/** The real executors. Kubernetes client-node and kind are loaded only when a step needs them. */
export const defaultExecutors: UndoExecutors = {
  async 'kind-cluster'(step, log) {
    const { undoKindCluster } = await import('../platform/kind.ts');
    await undoKindCluster(step, log);
  },
  async 'pod-route'(step) {
    const { removePodRoute } = await import('../platform/kube/routes.ts');
    await removePodRoute(step);
  },
  async 'kube-object'(step) {
    const { objects } = await kubeFor(step.target);
    const { isNotFound, kubeError } = await import('../platform/kube/api.ts');
    const metadata = { name: step.name, ...(step.namespace ? { namespace: step.namespace } : {}) };
    // Deleting a namespace deletes what is in it (the API server finishes that in the background).
    await objects.delete({ apiVersion: step.apiVersion, kind: step.objectKind, metadata }).catch((err: unknown) => {
      if (!isNotFound(err)) throw kubeError(`deleting ${describeStep(step)}`, err);
    });
  },
  async 'node-cordon'(step) {
    const { core } = await kubeFor(step.target);
    const { isNotFound, kubeError, mergePatch } = await import('../platform/kube/api.ts');
    if (step.wasUnschedulable) return; // cordoned before the run: it stays as it was
    const node = await core.readNode({ name: step.node }).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw kubeError(`reading node ${step.node}`, err);
    });
    if (node?.spec?.unschedulable !== true) return;
    // null removes the field, which is how an uncordoned node looks.
    await core
      .patchNode({ name: step.node, body: { spec: { unschedulable: null } } }, mergePatch())
      .catch((err: unknown) => {
        throw kubeError(`uncordoning node ${step.node}`, err);
      });
  },
  async 'restart-hold'(step) {
    const { core } = await kubeFor(step.target);
    const { isNotFound, kubeError } = await import('../platform/kube/api.ts');
    await core.deleteNamespacedResourceQuota({ name: step.name, namespace: step.namespace }).catch((err: unknown) => {
      if (!isNotFound(err)) throw kubeError(`lifting ${describeStep(step)}`, err);
    });
  },
  async 'local-processes'(step, log) {
    const { killStaleProcesses } = await import('../platform/local/process.ts');
    const killed = killStaleProcesses(path.join(step.workDir, 'pids'));
    if (killed.length) log.info(`killed redis-server left by a killed run (pids ${killed.join(', ')})`);
  },
  async 'local-firewall'(step) {
    const { removeLoopbackFirewall } = await import('../platform/local/loopback-firewall.ts');
    await removeLoopbackFirewall(step.id);
  },
};

/** Clients for a recorded target (one kubeconfig file, its recorded context), made once per target. */
const clientsByTarget = new Map<string, Promise<import('../platform/kube/api.ts').KubeClients>>();
function kubeFor(target: KubeTarget) {
  const key = `${target.kubeconfig}\n${target.context ?? ''}`;
  let clients = clientsByTarget.get(key);
  if (!clients) {
    clients = import('../platform/kube/api.ts').then(({ kubeClients, loadKubeConfig }) => {
      const kc = loadKubeConfig(target.kubeconfig || undefined);
      if (target.context) kc.setCurrentContext(target.context);
      return kubeClients(kc);
    });
    clientsByTarget.set(key, clients);
  }
  return clients;
}
