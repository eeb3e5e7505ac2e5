import { access, constants } from 'node:fs/promises';
import * as core from '@actions/core';
import * as exec from '@actions/exec';
import type { Log } from '../util/log.ts';
import { removePodRoutes, type PodRoute } from './kube/routes.ts';

/** What the action's post step needs to delete the cluster the main step created. */
export interface KindState {
  cluster: string;
  kindPath: string;
  keepCluster: boolean;
  /** Routes to the cluster's pod CIDRs this run added on the runner; removed with the cluster. */
  routes?: PodRoute[];
}

const STATE = { cluster: 'kind-cluster', kindPath: 'kind-path', keepCluster: 'keep-cluster', routes: 'kind-routes' } as const;

/** Records the cluster for the post step (called only when there is one: see PlatformContext.postStep). */
export function saveKindState(state: KindState): void {
  core.saveState(STATE.cluster, state.cluster);
  core.saveState(STATE.kindPath, state.kindPath);
  core.saveState(STATE.keepCluster, String(state.keepCluster));
}

/** Records the pod routes for the post step, which removes them with the cluster. */
export function saveKindRoutes(routes: PodRoute[]): void {
  core.saveState(STATE.routes, JSON.stringify(routes));
}

function parseRoutes(text: string): PodRoute[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? (value as PodRoute[]) : [];
  } catch {
    return [];
  }
}

/** The state the main step saved, or undefined when it created no kind cluster. */
export function loadKindState(): KindState | undefined {
  const cluster = core.getState(STATE.cluster);
  if (!cluster) return undefined;
  const routes = parseRoutes(core.getState(STATE.routes) || '[]');
  return { cluster, kindPath: core.getState(STATE.kindPath), keepCluster: core.getState(STATE.keepCluster) === 'true', ...(routes.length ? { routes } : {}) };
}

/** Names of the kind clusters on this machine. */
export async function kindClusters(kind: string): Promise<string[]> {
  const out = await exec.getExecOutput(kind, ['get', 'clusters'], { silent: true });
  return out.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

/**
 * `kind create cluster`, waiting for the control plane, with the kubeconfig written to `kubeconfigFile` only
 * (never to ~/.kube/config, never printed). Refuses a name that is already taken: that cluster (kept by an
 * earlier run?) mounts another PV directory and holds another run's Redis data.
 */
export async function createKindCluster(opts: {
  kind: string;
  name: string;
  configFile: string;
  kubeconfigFile: string;
  log: Log;
}): Promise<void> {
  if ((await kindClusters(opts.kind)).includes(opts.name)) {
    throw new Error(`a kind cluster named ${opts.name} already exists (kept by an earlier run?); delete it with "kind delete cluster --name ${opts.name}" or set cluster-name to another name`);
  }
  opts.log.info(`Creating kind cluster ${opts.name}`);
  const code = await exec.exec(
    opts.kind,
    ['create', 'cluster', '--name', opts.name, '--config', opts.configFile, '--wait', '120s', '--kubeconfig', opts.kubeconfigFile],
    { ignoreReturnCode: true },
  );
  if (code !== 0) throw new Error(`kind create cluster --name ${opts.name} failed (exit code ${code}); its output is above`);
}

/** Deletes the cluster; 'absent' when there is none by that name (already deleted is not an error). */
export async function deleteKindCluster(kind: string, name: string, log: Log): Promise<'deleted' | 'absent'> {
  if (!(await kindClusters(kind)).includes(name)) {
    log.info(`kind cluster ${name} is already gone`);
    return 'absent';
  }
  const code = await exec.exec(kind, ['delete', 'cluster', '--name', name], { ignoreReturnCode: true });
  if (code !== 0) throw new Error(`kind delete cluster --name ${name} failed (exit code ${code})`);
  log.info(`kind cluster ${name} deleted`);
  return 'deleted';
}

/**
 * The post step's work: delete the cluster and its pod routes unless asked to keep it. A kind binary that is
 * gone (another job cleaned the tool cache) means there is nothing this step can do; it says so instead of failing.
 */
export async function cleanUpKind(state: KindState, log: Log): Promise<'kept' | 'deleted' | 'absent' | 'no-kind'> {
  if (state.keepCluster) {
    log.info(`keep-cluster: leaving kind cluster ${state.cluster} running`);
    return 'kept';
  }
  const usable = await access(state.kindPath, constants.X_OK).then(() => true, () => false);
  if (!usable) {
    log.warn(`kind binary ${state.kindPath} is gone or not executable; cannot delete kind cluster ${state.cluster}`);
    return 'no-kind';
  }
  try {
    return await deleteKindCluster(state.kindPath, state.cluster, log);
  } finally {
    // Even when the deletion failed: a route outliving its cluster would black-hole that address range.
    await removePodRoutes(state.routes ?? [], log);
  }
}
