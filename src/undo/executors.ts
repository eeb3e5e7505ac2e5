import { existsSync } from 'node:fs';
import path from 'node:path';
import { messageOf } from '../errors.ts';
import type { KubeTarget, UndoStep } from '../platform/undo.ts';
import type { Log } from '../util/log.ts';
import { settleWithin } from '../util/wait.ts';
import type { RecordingJournal } from './journal.ts';
import { runDirTrust } from './trust.ts';

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
    case 'partition-rules':
      return `partition rules (iptables chain ${step.chain}${step.node ? ` in process ${step.pid ?? '?'}'s network namespace on ${step.node}` : ''})`;
    case 'node-container-stopped':
      return `stopped kind node container ${step.container}`;
    case 'local-firewall':
      return `local pods' loopback firewall ${step.id}`;
    default:
      return `a step of unknown kind`;
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
    const unknown = unknownStep(entry.step, executors);
    if (unknown) {
      // Never undone, never settled: the journal is kept and says so (another version of the tool may know it).
      failed.push(unknown);
      log.warn(`not undone: ${unknown}`);
      continue;
    }
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

const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 4096;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const target = (t: unknown): boolean =>
  typeof t === 'object' && t !== null && typeof (t as KubeTarget).kubeconfig === 'string';

/** The fields each kind of step must have, as this version records them (see platform/undo.ts). */
const STEP_SHAPES: Record<UndoStep['kind'], (s: Record<string, unknown>) => boolean> = {
  'kind-cluster': (s) => text(s.cluster) && text(s.kindVersion),
  'pod-route': (s) =>
    typeof s.cidr === 'string' &&
    IPV4.test(s.cidr.split('/')[0] ?? '') &&
    /^\d+\.\d+\.\d+\.\d+\/\d{1,2}$/.test(s.cidr) &&
    typeof s.via === 'string' &&
    IPV4.test(s.via),
  'kube-object': (s) =>
    target(s.target) &&
    text(s.apiVersion) &&
    text(s.objectKind) &&
    text(s.name) &&
    (s.namespace === undefined || text(s.namespace)),
  'node-cordon': (s) => target(s.target) && text(s.node) && typeof s.wasUnschedulable === 'boolean',
  'restart-hold': (s) => target(s.target) && text(s.namespace) && text(s.name),
  'local-processes': (s) => text(s.workDir) && path.isAbsolute(s.workDir),
  // A kind node container's name, given to `docker start` as its argument (never an option: no leading dash).
  'node-container-stopped': (s) => typeof s.container === 'string' && /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(s.container),
  // The run's loopback firewall, named only by its id (<pid hex>-<8 hex>, local/loopback-firewall.ts).
  'local-firewall': (s) => typeof s.id === 'string' && /^[0-9a-f]+-[0-9a-f]{8}$/.test(s.id),
  // Only this tool's own chains (packet-filter.ts names them RCR-PART-<hex>), entered from the two hooks it uses;
  // on kind, a node container's name and a process id, which go to docker as arguments (never a program).
  'partition-rules': (s) =>
    typeof s.chain === 'string' &&
    /^RCR-PART-[0-9a-f]{1,20}$/.test(s.chain) &&
    Array.isArray(s.hooks) &&
    s.hooks.every((h) => h === 'INPUT' || h === 'OUTPUT') &&
    (s.node === undefined || (typeof s.node === 'string' && /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(s.node))) &&
    (s.pid === undefined || (typeof s.pid === 'number' && Number.isInteger(s.pid) && s.pid > 1)),
};

/**
 * Why a journal's step is not one this version undoes (a kind it does not know, or fields it does not record:
 * a step written by another version, or by hand), or undefined. Such a step is reported, never run or settled.
 */
function unknownStep(step: UndoStep, executors: UndoExecutors): string | undefined {
  const kind = step.kind.slice(0, 80);
  if (!Object.hasOwn(STEP_SHAPES, kind) || !Object.hasOwn(executors, kind))
    return `a step of unknown kind "${kind}" (written by another version of this tool?): left as it is`;
  if (!STEP_SHAPES[kind as UndoStep['kind']](step))
    return `a ${kind} step with fields this version does not record: left as it is`;
  return undefined;
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
  async 'node-container-stopped'(step) {
    const { commandRunner } = await import('../platform/run-command.ts');
    const r = await commandRunner(60_000)('docker', ['start', step.container]);
    // A container that no longer exists (its cluster deleted since) has nothing left to start.
    if (r.code !== 0 && !/No such container/i.test(r.stderr))
      throw new Error(`docker start ${step.container}: ${r.stderr.trim() || `exit code ${r.code}`}`);
  },
  async 'local-processes'(step, log) {
    // Its pid registry names processes to kill: only from a run dir of this user's own runs (undo/trust.ts). A
    // dir that is gone has no registry left, and so nothing to kill (a post step run again after its cleanup).
    if (!existsSync(step.workDir)) return;
    const trust = await runDirTrust(step.workDir);
    if ('why' in trust) throw new Error(`not killing what ${step.workDir} names: ${trust.why}`);
    const { killStaleProcesses } = await import('../platform/local/process.ts');
    const killed = killStaleProcesses(path.join(step.workDir, 'pids'));
    if (killed.length) log.info(`killed redis-server left by a killed run (pids ${killed.join(', ')})`);
  },
  async 'partition-rules'(step) {
    const { removeCut } = await import('../platform/packet-filter.ts');
    const { hostIptables } = await import('../platform/local/faults/partition.ts');
    const { nodeIptables } = await import('../platform/kube/faults/partition.ts');
    const ipt = step.node && step.pid ? nodeIptables(step.node, step.pid) : hostIptables;
    await removeCut(ipt, step.chain, step.hooks);
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
