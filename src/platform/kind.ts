import { spawn } from 'node:child_process';
import { CancelledError, messageOf } from '../errors.ts';
import * as exec from '@actions/exec';
import { cachedKind, kindDirs } from './kind-install.ts';
import type { Log } from '../util/log.ts';
import { settleWithin } from '../util/wait.ts';

/** A whole `kind create cluster`, node image pull included: a generous bound (kind never ran on our machines). */
const CREATE_TIMEOUT_MS = 10 * 60_000;
/** After a cancel: how long kind gets to stop on SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 5_000;

/** Names of the kind clusters on this machine. */
export async function kindClusters(kind: string): Promise<string[]> {
  const out = await exec.getExecOutput(kind, ['get', 'clusters'], { silent: true });
  return out.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
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
  /** Called once the name is known to be free, before creating: where the run records the cluster's undo (a
   * cluster that was already there is not this run's to delete). */
  beforeCreate?: () => Promise<unknown>;
  /** The run's cancel: kind is stopped (SIGTERM) and waited for, then CancelledError; the undo deletes the rest. */
  signal?: AbortSignal;
}): Promise<void> {
  if ((await kindClusters(opts.kind)).includes(opts.name)) {
    throw new Error(
      `a kind cluster named ${opts.name} already exists (kept by an earlier run?); delete it with "kind delete cluster --name ${opts.name}" or set cluster-name to another name`,
    );
  }
  await opts.beforeCreate?.();
  opts.log.info(`Creating kind cluster ${opts.name}`);
  const args = [
    'create',
    'cluster',
    '--name',
    opts.name,
    '--config',
    opts.configFile,
    '--wait',
    '120s',
    '--kubeconfig',
    opts.kubeconfigFile,
  ];
  // spawn, not @actions/exec: only spawn stops the child on an abort (SIGTERM) or at the timeout (the node
  // image pull has no bound of its own; --wait bounds only the control plane). Its output goes to the log.
  const started = Date.now();
  const child = spawn(opts.kind, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    signal: opts.signal,
    timeout: CREATE_TIMEOUT_MS,
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const code = await Promise.race([exited, new Promise<never>((_, reject) => child.once('error', reject))]).catch(
    async (err: unknown) => {
      if (!opts.signal?.aborted) throw new Error(`cannot run ${opts.kind}: ${messageOf(err)}`, { cause: err });
      // A kind still creating containers would outrun the undo that deletes the cluster: wait for it, within
      // GitHub's 7.5 s between cancel and kill; a kind that ignores SIGTERM is killed.
      await settleWithin(exited, STOP_GRACE_MS, 'kind ignored SIGTERM').catch(() => {
        child.kill('SIGKILL');
        return exited;
      });
      throw new CancelledError(`kind create cluster --name ${opts.name}`);
    },
  );
  if (code !== 0) {
    const how =
      code !== null
        ? `exit code ${code}`
        : Date.now() - started >= CREATE_TIMEOUT_MS
          ? `stopped after ${CREATE_TIMEOUT_MS / 60_000} min`
          : 'ended by a signal';
    throw new Error(`kind create cluster --name ${opts.name} failed (${how}); its output is above`);
  }
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
 * Undoes a 'kind-cluster' step (platform/undo.ts): deletes the cluster; one already gone is fine. kind is the
 * tool cache's binary of the recorded version, found as the run found it (no program path is taken from a
 * journal). One that is gone (another job cleaned the tool cache) means this cannot be done here: that throws,
 * naming the command that would do it.
 */
export async function undoKindCluster(
  step: { cluster: string; kindVersion: string },
  log: Log,
): Promise<'deleted' | 'absent'> {
  const kind = await cachedKind(step.kindVersion, kindDirs('').toolCache);
  if (!kind) {
    throw new Error(
      `kind ${step.kindVersion} is not in the tool cache (${kindDirs('').toolCache}) any more; delete the cluster with "kind delete cluster --name ${step.cluster}"`,
    );
  }
  return deleteKindCluster(kind, step.cluster, log);
}
