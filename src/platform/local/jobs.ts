import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { InputError, messageOf } from '../../errors.ts';
import type { JsonObject, ManifestObject, ManifestSet } from '../../manifests/model.ts';
import { objectAt, objectsAt, scalarText, stringsAt, valueAt } from '../../manifests/object-path.ts';
import type { Log } from '../../util/log.ts';
import { sleep } from '../../util/wait.ts';
import type { ManifestJobStatus } from '../platform.ts';
import { expandVars } from './expand.ts';
import { jobEnv, prepareVolumes } from './job-inputs.ts';
import { asTemplate, validateJob, type RestartPolicy } from './job-validate.ts';
import { containerSecurity } from './pod-security.ts';
import { describeExit, stopProcess, type Exit, type Supervised } from './process.ts';
import { findExecutable } from './redis-binary.ts';
import { bwrapCommand, prepareRoot, type BwrapCommand, type SandboxBind } from './sandbox.ts';

/**
 * The manifests' Jobs and bare Pods on the local platform, run as Kubernetes runs them, each container in the
 * pod sandbox (sandbox.ts) with the headless Service's DNS names in its /etc/hosts (pod-dns.ts):
 * - restartPolicy Never: every retry is a new pod (new name, new filesystem); OnFailure: the same pod, its
 *   container restarted (emptyDir volumes kept). A Job needs one of the two (the API server refuses Always).
 * - backoffLimit (default 6): the Job fails once that many retries have failed ("BackoffLimitExceeded").
 * - The Job controller's back-off between retries is 10 s, doubling, capped at 6 min (kubernetes.io, Jobs, "Pod
 *   backoff failure policy"); here it is scaled by JOB_BACKOFF_SCALE (1 s, 2 s, 4 s ... capped at 36 s) so a
 *   failing bootstrap is seen in a run's time, not in minutes. A bare Pod restarts on the kubelet's own back-off
 *   (the same scale) under OnFailure/Always.
 * - completions other than 1 are refused (a bootstrap runs once); parallelism is then at most 1, as the
 *   controller caps it at the remaining completions.
 * Volumes: ConfigMap and Secret (items, defaultMode) and emptyDir; any other volume is refused by name.
 */

export const JOB_BACKOFF_MS = 10_000;
export const JOB_BACKOFF_MAX_MS = 360_000;
/** Local scale of the back-off (see above). */
export const JOB_BACKOFF_SCALE = 0.1;
const DEFAULT_BACKOFF_LIMIT = 6;
const LOG_LINES = 10;

export interface LocalJobsDeps {
  /** The manifests the Jobs came with (their ConfigMaps and Secrets). */
  set: ManifestSet;
  workDir: string;
  /** Checks a host path lies inside the work dir (symlinks resolved). */
  inside: (p: string, what: string) => string;
  /** Starts a sandbox as the platform starts its pods' (its firewall cgroup, env on file descriptors). */
  spawn: (cmd: BwrapCommand, logFile: string) => Promise<Supervised>;
  /** setpriv's real path on the host, for a container's runAsUser (sandbox.ts). */
  setpriv?: string;
  log: Log;
  /** The pod's /etc/hosts as the cluster DNS has it now (the Redis pods' names through their Service). */
  hostsText: (podName: string) => string;
  /** Every process started, so the platform's teardown stops it. */
  track: (p: Supervised) => void;
}

interface Run {
  obj: ManifestObject;
  status: ManifestJobStatus;
  stopped: boolean;
  current: Supervised[];
  /** Aborted by stop(): ends a back-off at once. */
  abort: AbortController;
  /** The log of the container running now, while it runs. */
  logFile?: string;
  done: Promise<void>;
}

export interface LocalJobs {
  statuses(): ManifestJobStatus[];
  /** Stops every retry loop and the processes under way; resolves once they have exited. */
  stop(): Promise<void>;
}

/** Starts every Job and bare Pod of `objects`; one that cannot run here as written is left out with why. */
export function startLocalJobs(objects: ManifestObject[], deps: LocalJobsDeps): LocalJobs {
  const runs: Run[] = objects.map((obj) => {
    const run: Run = {
      obj,
      status: { name: `${obj.kind} ${obj.name}`, state: 'running', detail: 'starting', lastLog: '' },
      stopped: false,
      current: [],
      abort: new AbortController(),
      done: Promise.resolve(),
    };
    let policy: RestartPolicy;
    try {
      policy = validateJob(obj);
    } catch (err) {
      // Not run, said, and the run goes on: the object may have nothing to do with the cluster (a bootstrap by
      // it then ends its wait at once with this reason).
      run.status = { ...run.status, state: 'not-run', detail: messageOf(err) };
      deps.log.warn(`local platform: ${run.status.name} is not run: ${run.status.detail}`);
      return run;
    }
    run.done = runLoop(run, policy, deps).catch((err: unknown) => {
      run.status = { ...run.status, state: 'failed', detail: messageOf(err) };
    });
    return run;
  });
  const started = runs.filter((r) => r.status.state === 'running');
  if (started.length)
    deps.log.info(
      `local platform: running ${started.map((r) => r.status.name).join(', ')} (Job back-off scaled by ${JOB_BACKOFF_SCALE}: ${JOB_BACKOFF_MS * JOB_BACKOFF_SCALE} ms doubling)`,
    );
  return {
    // A pod still running shows its log so far.
    statuses: () =>
      runs.map((r) => ({
        ...r.status,
        ...(r.logFile ? { lastLog: `--- ${path.basename(r.logFile)}\n${tail(r.logFile)}` } : {}),
      })),
    stop: async () => {
      for (const r of runs) {
        r.stopped = true;
        r.abort.abort();
      }
      await Promise.allSettled(runs.flatMap((r) => r.current.map((p) => stopProcess(p, 'kill', 0))));
      await Promise.allSettled(runs.map((r) => r.done));
    },
  };
}

/** Read through a call: stop() sets it while a loop awaits. */
const stopped = (run: Run): boolean => run.stopped;

async function runLoop(run: Run, policy: RestartPolicy, deps: LocalJobsDeps): Promise<void> {
  const { obj } = run;
  const isJob = obj.kind === 'Job';
  const limit = isJob ? Number(valueAt(obj.body, ['spec', 'backoffLimit']) ?? DEFAULT_BACKOFF_LIMIT) : Infinity;
  let failures = 0;
  let podName = '';
  for (let attempt = 1; !run.stopped; attempt++) {
    // Never: a new pod per retry; OnFailure/Always: the same pod, its containers restarted.
    const newPod = attempt === 1 || policy === 'Never';
    if (newPod) podName = isJob ? `${obj.name}-${randomBytes(3).toString('hex').slice(0, 5)}` : obj.name;
    const failed = await runPod(run, podName, newPod, attempt, deps);
    if (stopped(run)) return;
    if (!failed && policy !== 'Always') {
      run.status = { ...run.status, state: 'succeeded', detail: `pod ${podName} completed (attempt ${attempt})` };
      deps.log.info(`local platform: ${run.status.name} succeeded (pod ${podName})`);
      return;
    }
    if (failed) failures++;
    if (failed && (failures > limit || (!isJob && policy === 'Never'))) {
      run.status = {
        ...run.status,
        state: 'failed',
        detail: isJob
          ? `BackoffLimitExceeded: ${failures} failed pod(s), backoffLimit ${limit}; the last: ${failed}`
          : `pod ${podName} ${failed}`,
      };
      deps.log.warn(`local platform: ${run.status.name} failed: ${run.status.detail}\n${run.status.lastLog}`);
      return;
    }
    const delay = Math.min(JOB_BACKOFF_MS * 2 ** Math.max(0, failures - 1), JOB_BACKOFF_MAX_MS) * JOB_BACKOFF_SCALE;
    run.status = {
      ...run.status,
      detail: `${failed ? `pod ${podName} ${failed}` : 'restarting'}; retry in ${delay} ms`,
    };
    deps.log.info(`local platform: ${run.status.name}: ${run.status.detail}`);
    await sleep(delay, run.abort.signal);
  }
}

/** One start of the pod: its init containers in order (a new pod only), then its containers together.
 * Returns why it failed (the first container that exited non-zero), or undefined when every one exited 0. */
async function runPod(
  run: Run,
  podName: string,
  newPod: boolean,
  attempt: number,
  deps: LocalJobsDeps,
): Promise<string | undefined> {
  const { obj } = run;
  const specPath = obj.kind === 'Job' ? ['spec', 'template', 'spec'] : ['spec'];
  const spec = objectAt(obj.body, specPath);
  const podDir = deps.inside(path.join(deps.workDir, 'jobs', podName), `${obj.kind} ${obj.name}'s pod`);
  if (newPod) fs.rmSync(podDir, { recursive: true, force: true });
  fs.mkdirSync(podDir, { recursive: true });
  const hosts = path.join(podDir, 'hosts');
  fs.writeFileSync(hosts, deps.hostsText(podName));
  const volumes = prepareVolumes(spec, podDir, deps);
  const phases: Array<{ kind: ContainerKind; group: JsonObject[] }> = [
    ...(newPod
      ? objectsAt(spec, ['initContainers']).map((c) => ({ kind: 'initContainers' as const, group: [c] }))
      : []),
    { kind: 'containers', group: objectsAt(spec, ['containers']) },
  ];
  for (const { kind, group } of phases) {
    const exits = await Promise.all(
      group.map(async (c) => {
        const name = scalarText(c.name);
        const logFile = deps.inside(
          path.join(deps.workDir, 'logs', `${podName}.${attempt}.${name}.log`),
          `${podName}'s log`,
        );
        fs.mkdirSync(path.dirname(logFile), { recursive: true });
        const exit = await runContainer(run, obj, podName, podDir, { c, kind }, volumes, hosts, logFile, deps);
        return { name, exit, logFile };
      }),
    );
    const bad = exits.find((e) => e.exit.code !== 0);
    const shown = bad ?? exits[exits.length - 1];
    if (shown) run.status = { ...run.status, lastLog: `--- ${path.basename(shown.logFile)}\n${tail(shown.logFile)}` };
    if (bad) return `container ${bad.name} ${describeExit(bad.exit)}`;
    if (run.stopped) return undefined;
  }
  return undefined;
}

async function runContainer(
  run: Run,
  obj: ManifestObject,
  podName: string,
  podDir: string,
  { c, kind }: { c: JsonObject; kind: ContainerKind },
  volumes: Map<string, string>,
  hosts: string,
  logFile: string,
  deps: LocalJobsDeps,
): Promise<Exit> {
  const name = scalarText(c.name);
  const rootfs = deps.inside(path.join(podDir, 'containers', name), `${podName}'s root`);
  fs.rmSync(rootfs, { recursive: true, force: true }); // a restarted container gets a new writable layer
  for (const d of ['tmp', 'data', 'usr/local/bin']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  prepareRoot(rootfs);
  const binds: SandboxBind[] = objectsAt(c, ['volumeMounts']).map((m) => {
    const host = volumes.get(scalarText(m.name));
    if (host === undefined)
      throw new InputError(
        `${obj.kind} ${obj.name}: container ${name} mounts volume ${scalarText(m.name)}, which the pod does not define`,
      );
    return {
      host: deps.inside(path.join(host, scalarText(m.subPath)), `subPath of volume ${scalarText(m.name)}`),
      container: path.posix.resolve('/', scalarText(m.mountPath)),
      // ConfigMap and Secret volumes are always read-only in Kubernetes.
      readOnly: m.readOnly === true || volumes.has(`${scalarText(m.name)}:ro`),
    };
  });
  binds.push({ host: hosts, container: '/etc/hosts', readOnly: true });
  // The images keep their CLIs in /usr/local/bin: the host's stand in there too.
  for (const cli of ['redis-cli', 'valkey-cli']) {
    const found = findExecutable(cli);
    if (found) binds.push({ host: fs.realpathSync(found), container: `/usr/local/bin/${cli}`, readOnly: true });
  }
  const env = jobEnv(deps.set, obj, c, podName);
  const argv = [...stringsAt(c, ['command']), ...stringsAt(c, ['args'])].map((a) => expandVars(a, (n) => env.get(n)));
  const proc = await deps.spawn(
    bwrapCommand({
      security: containerSecurity(asTemplate(obj), kind, name),
      ...(deps.setpriv ? { setpriv: deps.setpriv } : {}),
      hostname: podName,
      rootfs,
      binds,
      env,
      cwd: scalarText(c.workingDir) || '/',
      argv,
    }),
    logFile,
  );
  deps.track(proc);
  run.current.push(proc);
  run.logFile = logFile;
  run.status = { ...run.status, detail: `pod ${podName} container ${name} running` };
  try {
    if (run.stopped) await stopProcess(proc, 'kill', 0);
    return await proc.exited;
  } finally {
    run.current = run.current.filter((p) => p !== proc);
    if (run.logFile === logFile) delete run.logFile;
  }
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-LOG_LINES).join('\n');
  } catch {
    return '(no log written)';
  }
}

type ContainerKind = 'containers' | 'initContainers';

/** The objects this module runs: batch Jobs and bare Pods. */
export function isJobOrPod(o: ManifestObject): boolean {
  return (o.kind === 'Job' && o.apiVersion.startsWith('batch/')) || (o.kind === 'Pod' && o.apiVersion === 'v1');
}
