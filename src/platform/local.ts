import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ManifestSet, RedisDeployment } from '../manifests/model.ts';
import type { EvidenceSink } from '../report/evidence.ts';
import { TimeoutError, messageOf } from '../errors.ts';
import { containedPath } from '../util/contained-path.ts';
import { waitFor } from '../util/wait.ts';
import type { DeleteOptions, HostPort, Platform, PlatformContext, PodInfo, Target } from './platform.ts';
import { noUndoJournal } from './undo.ts';
import { AddressAllocator } from './local/addresses.ts';
import { guardChildren } from './local/exit-guard.ts';
import { containerEnv } from './local/expand.ts';
import { ping, pingReady } from './local/ping.ts';
import { type PodLayout, podLayout, preparePodFs, toHostPath } from './local/pod-fs.ts';
import { describeExit, killStaleProcesses, startProcess, stopProcess, type Supervised } from './local/process.ts';
import { findExecutable, findRedisServer } from './local/redis-binary.ts';
import { localRedisConf } from './local/redis-conf.ts';

export interface LocalPlatformOptions {
  /** First loopback /24 to take pod addresses from, e.g. '127.0.50' (never 127.0.0.x). */
  addressBase?: string;
  /** Delay before a deleted pod (not held) comes back, like a StatefulSet recreating it. */
  restartDelayMs?: number;
  /** redis-server binary (name on PATH or a path). */
  redisServer?: string;
  /** Bound on a pod starting and answering PING. */
  readyTimeoutMs?: number;
}

/** The local platform, plus what tests and evidence need beyond the seam. */
export interface LocalPlatform extends Platform {
  /** PIDs of the redis-server processes this platform started that have not exited (also after teardown). */
  processIds(): number[];
  /** Host path of a pod's in-container path (its current incarnation's filesystem). */
  hostPath(podName: string, containerPath: string): string;
}

const DEFAULT_ADDRESS_BASE = '127.0.50';
const DEFAULT_GRACE_SECONDS = 30;
/** Teardown is not a test of graceful shutdown: SIGTERM, and SIGKILL after this. */
const TEARDOWN_GRACE_MS = 3000;
const LOG_TAIL_LINES = 15;
/** The kubelet's CrashLoopBackOff: 10 s, doubling, at most 5 min. */
const CRASH_BACKOFF_MS = 10_000;
const CRASH_BACKOFF_MAX_MS = 300_000;

interface Pod {
  name: string;
  ordinal: number;
  layout: PodLayout;
  uid: string;
  ip: string;
  ready: boolean;
  incarnation: number;
  /** Container restarts of this pod (a redis-server that exited by itself), for the crash back-off. */
  restarts: number;
  proc?: Supervised;
  logFile?: string;
  held: boolean;
  deleting: boolean;
  restartTimer?: NodeJS.Timeout;
  starting?: Promise<void>;
  /** Why the latest (re)start failed; cleared when a new one begins. */
  startError?: Error;
}

/**
 * Pods as redis-server processes on their own loopback addresses (DESIGN.md, "local"). Config, args, env and
 * mounts come from the manifests; PVC mounts live in per-claim directories that survive restarts, everything
 * else is wiped; every (re)start gets a new address and UID. Children die with this process: exit and signal
 * handlers kill them by PID, setpriv's parent-death signal covers a hard kill, and a pid registry in workDir
 * lets the next run on the same workDir clean up when neither was possible.
 */
export function createLocalPlatform(ctx: PlatformContext, opts: LocalPlatformOptions = {}): LocalPlatform {
  const workDir = path.resolve(ctx.workDir);
  /** Every host path the platform touches, checked to lie inside workDir (symlinks resolved) before use. */
  const inside = (p: string, what?: string, leaf?: 'nofollow'): string => containedPath(workDir, p, { ...(what ? { what } : {}), ...(leaf ? { leaf } : {}) });
  const registryDir = path.join(workDir, 'pids');
  const createdDirs = ['pods', 'pv', 'logs', 'pids'].map((d) => path.join(workDir, d));
  const restartDelayMs = opts.restartDelayMs ?? 1000;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const pods = new Map<string, Pod>();
  const said = new Set<string>();
  let redis: RedisDeployment | undefined;
  let allocator: AddressAllocator | undefined;
  let binary: string | undefined;
  let setpriv: string | undefined;
  let createdWorkDir = false;
  let unguard: (() => void) | undefined;
  /** The journal entry of this platform's processes, settled once teardown leaves none running. */
  let undoId: string | undefined;
  let tornDown = false;

  // Every incarnation of every pod would repeat the same notes about the manifests: say each once.
  const once = (say: (m: string) => void) => (message: string): void => {
    if (!said.has(message)) {
      said.add(message);
      say(`local platform: ${message}`);
    }
  };
  const warnOnce = once((m) => ctx.log.warn(m));
  const infoOnce = once((m) => ctx.log.info(m));
  /** Every child not yet exited, kept apart from the pods so that nothing is forgotten, even after teardown. */
  const running = new Set<Supervised>();
  const livePids = (): number[] => [...running].map((p) => p.pid);
  const requireDeployed = (): RedisDeployment => {
    if (!redis) throw new Error('local platform: nothing deployed yet');
    return redis;
  };
  const podNamed = (name: string): Pod => {
    const pod = pods.get(name);
    if (!pod) throw new Error(`local platform: no pod '${name}' (pods: ${[...pods.keys()].join(', ') || 'none'})`);
    return pod;
  };

  async function provision(): Promise<void> {
    if (binary) return;
    tornDown = false;
    const found = await findRedisServer(opts.redisServer ?? 'redis-server');
    createdWorkDir ||= !fs.existsSync(workDir);
    fs.mkdirSync(workDir, { recursive: true });
    // Before any process starts: a run killed outright leaves its pid registry for the cleanup (undo/executors.ts).
    undoId ??= await (ctx.undo ?? noUndoJournal).record({ kind: 'local-processes', workDir });
    const stale = killStaleProcesses(registryDir);
    if (stale.length) ctx.log.warn(`local platform: killed redis-server left by an earlier run (pids ${stale.join(', ')})`);
    setpriv = findExecutable('setpriv');
    if (!setpriv) ctx.log.info('local platform: setpriv not found; children of a hard-killed run are cleaned by the next run');
    // With a run signal the caller owns SIGINT/SIGTERM and tears down in order; the exit guard stays.
    unguard ??= guardChildren(livePids, !ctx.signal);
    binary = found.path;
  }

  function logTail(pod: Pod): string {
    const files = [pod.logFile];
    const logfile = redis?.directive('logfile');
    if (logfile) files.push(toHostPath(logfile, redis!, pod.layout, redis!.dataDir)); // relative: from the final `dir`
    const parts: string[] = [];
    for (const f of files) {
      if (!f) continue;
      try {
        const lines = fs.readFileSync(f, 'utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES);
        parts.push(`--- ${path.basename(f)} (last ${lines.length} lines)\n${lines.join('\n')}`);
      } catch {
        parts.push(`--- ${path.basename(f)}: not written`);
      }
    }
    return parts.join('\n');
  }

  /**
   * Starts redis-server for a pod and waits until it answers PING. A new pod (first start, or recreated after a
   * delete) gets a fresh filesystem, a new address and a new UID; a restarted container (its redis-server
   * exited by itself) keeps the pod's address, UID and volumes, as a Kubernetes container restart does.
   */
  async function startPod(pod: Pod, what: 'pod' | 'container' = 'pod'): Promise<void> {
    const r = requireDeployed();
    if (pod.proc && !pod.proc.exit) await pod.proc.exited; // nodes.conf is locked while the old process lives
    if (tornDown) return;
    pod.startError = undefined;
    pod.incarnation++;
    pod.ready = false;
    if (what === 'pod') {
      pod.uid = randomUUID();
      pod.restarts = 0;
      pod.ip = await allocator!.next();
    }
    await preparePodFs(pod.layout, r, warnOnce, what);
    const env = containerEnv(
      r.container.env,
      { name: pod.name, namespace: r.namespace, uid: pod.uid, ip: pod.ip, labels: r.podLabels },
      warnOnce,
    );
    const cwd = r.container.workingDir;
    const conf = localRedisConf(r, {
      ip: pod.ip,
      hostPath: (p) => inside(toHostPath(p, r, pod.layout, cwd), `${p} in pod ${pod.name}`),
      env,
      info: infoOnce,
    });
    const confFile = inside(path.join(pod.layout.podDir, 'redis.conf'), `pod ${pod.name}'s redis.conf`);
    fs.writeFileSync(confFile, conf);
    fs.mkdirSync(inside(path.join(workDir, 'logs')), { recursive: true });
    pod.logFile = inside(path.join(workDir, 'logs', `${pod.name}.${pod.incarnation}.log`), `pod ${pod.name}'s log`);
    if (tornDown) return;
    const proc = await startProcess(binary!, [confFile], {
      cwd: inside(toHostPath(cwd, r, pod.layout), `pod ${pod.name}'s working directory`),
      logFile: pod.logFile,
      registryDir: inside(registryDir),
      setpriv,
    });
    pod.proc = proc;
    running.add(proc);
    void proc.exited.then(() => running.delete(proc));
    void proc.exited.then((exit) => {
      if (pod.proc !== proc || pod.deleting || tornDown) return;
      // A start that fails reports itself; a running server that exits is news.
      if (pod.ready) ctx.log.warn(`local platform: pod ${pod.name} (pid ${proc.pid}) ${describeExit(exit)} unexpectedly\n${logTail(pod)}`);
      pod.ready = false;
      const backoff = Math.min(CRASH_BACKOFF_MS * 2 ** pod.restarts, CRASH_BACKOFF_MAX_MS);
      pod.restarts++;
      ctx.log.info(`local platform: restarting pod ${pod.name}'s container in ${backoff / 1000} s (restart ${pod.restarts})`);
      scheduleStart(pod, backoff, 'container');
    });
    if (tornDown) {
      await stopProcess(proc, 'kill', 0);
      return;
    }
    await waitReady(pod, proc, r.port);
    ctx.log.info(`local platform: pod ${pod.name} ready on ${pod.ip}:${r.port} (pid ${proc.pid})`);
  }

  async function waitReady(pod: Pod, proc: Supervised, port: number): Promise<void> {
    const what = `pod ${pod.name} (pid ${proc.pid}) to answer PING on ${pod.ip}:${port}`;
    let outcome: 'ready' | 'exited';
    try {
      outcome = await waitFor(
        what,
        async () => {
          if (proc.exit) return { done: true, value: 'exited' as const };
          const reply = await ping(pod.ip, port, 1000);
          return pingReady(reply) ? { done: true, value: 'ready' as const } : { done: false, seen: reply };
        },
        { timeoutMs: readyTimeoutMs, intervalMs: 25, signal: ctx.signal, onProgress: (ms, seen) => ctx.log.progress(`${what}: ${seen} (${ms} ms)`) },
      );
    } catch (err) {
      if (err instanceof TimeoutError) throw new TimeoutError(err.what, err.timeoutMs, `${err.lastSeen}\n${logTail(pod)}`);
      throw err;
    }
    if (outcome === 'exited') {
      throw new Error(`pod ${pod.name}: redis-server ${describeExit(proc.exit!)} before answering PING\n${logTail(pod)}`);
    }
    pod.ready = true;
  }

  function scheduleStart(pod: Pod, delayMs: number, what: 'pod' | 'container' = 'pod'): void {
    clearTimeout(pod.restartTimer);
    pod.restartTimer = setTimeout(() => {
      pod.restartTimer = undefined;
      pod.starting = startPod(pod, what).catch((err: unknown) => {
        pod.startError = err instanceof Error ? err : new Error(String(err));
        ctx.log.warn(`local platform: pod ${pod.name} did not come back: ${messageOf(err)}`);
      });
    }, delayMs);
  }

  async function deploy(_manifests: ManifestSet, deployment: RedisDeployment): Promise<void> {
    if (redis) throw new Error(`local platform: ${redis.name} is already deployed; teardown() before deploying again`);
    await provision();
    redis = deployment;
    allocator = new AddressAllocator(opts.addressBase ?? DEFAULT_ADDRESS_BASE, () => [deployment.port, busPort(deployment)]);
    for (let i = 0; i < deployment.replicas; i++) {
      const name = `${deployment.name}-${i}`;
      const pod: Pod = {
        name,
        ordinal: i,
        layout: podLayout(workDir, deployment, name, i),
        uid: '',
        ip: '',
        ready: false,
        incarnation: 0,
        restarts: 0,
        held: false,
        deleting: false,
      };
      pods.set(name, pod);
    }
    const all = [...pods.values()];
    const failures: string[] = [];
    const start = (pod: Pod): Promise<void> =>
      (pod.starting = startPod(pod).catch((err: unknown) => {
        pod.startError = err instanceof Error ? err : new Error(String(err));
        failures.push(`${pod.name}: ${messageOf(err)}`);
      }));
    if (dig(deployment.statefulSet.body, 'spec', 'podManagementPolicy') === 'Parallel') await Promise.all(all.map(start));
    else for (const pod of all) if (!failures.length) await start(pod); // OrderedReady: stop at the first failure
    if (failures.length) throw new Error(`local platform: deploying ${deployment.name} failed:\n${failures.join('\n')}`);
  }

  async function deletePod(name: string, options: DeleteOptions): Promise<void> {
    const r = requireDeployed();
    const pod = podNamed(name);
    clearTimeout(pod.restartTimer);
    pod.restartTimer = undefined;
    await pod.starting;
    pod.deleting = true;
    try {
      if (pod.proc && !pod.proc.exit) await stopProcess(pod.proc, options.mode, graceSeconds(r) * 1000);
    } finally {
      pod.deleting = false;
    }
    pod.ready = false;
    pod.ip = '';
    pod.held = options.hold;
    if (!options.hold && !tornDown) scheduleStart(pod, restartDelayMs);
  }

  async function releaseHold(): Promise<void> {
    for (const pod of pods.values()) {
      if (pod.held && !tornDown) {
        pod.held = false;
        scheduleStart(pod, 0);
      }
    }
  }

  async function waitForReplacement(name: string, oldUid: string, timeoutMs: number): Promise<PodInfo> {
    const pod = podNamed(name);
    const result = await waitFor<PodInfo | Error>(
      `pod ${name} to be recreated (UID other than ${oldUid}) and ready`,
      async () => {
        if (pod.startError && pod.uid !== oldUid) return { done: true, value: pod.startError };
        if (pod.uid !== oldUid && pod.ready) return { done: true, value: info(pod) };
        return { done: false, seen: describe(pod) };
      },
      { timeoutMs, signal: ctx.signal, onProgress: (ms, seen) => ctx.log.progress(`waiting for ${name} to come back (${Math.round(ms / 1000)} s): ${seen}`) },
    );
    if (result instanceof Error) throw new Error(`pod ${name} was recreated but did not become ready: ${result.message}`);
    return result;
  }

  async function readPersistentFile(podName: string, containerPath: string): Promise<string | undefined> {
    const r = requireDeployed();
    const pod = podNamed(podName);
    const p = path.posix.resolve(r.dataDir, containerPath);
    if (!r.isPersistent(p)) return undefined;
    try {
      return fs.readFileSync(toHostPath(p, r, pod.layout), 'utf8');
    } catch {
      return undefined;
    }
  }

  async function teardown(): Promise<void> {
    tornDown = true;
    try {
      for (const pod of pods.values()) {
        clearTimeout(pod.restartTimer);
        pod.restartTimer = undefined;
      }
      const stopAll = (): Promise<unknown> => Promise.allSettled([...running].map((p) => stopProcess(p, 'graceful', TEARDOWN_GRACE_MS)));
      await stopAll();
      // A start that was under way may have spawned after the first sweep (startPod then kills it itself).
      await Promise.allSettled([...pods.values()].map((p) => p.starting));
      await stopAll();
      const left = livePids();
      if (left.length) ctx.log.warn(`local platform: processes still running after teardown: ${left.join(', ')}`);
      else {
        unguard?.();
        unguard = undefined;
        if (undoId !== undefined) await (ctx.undo ?? noUndoJournal).settle(undoId);
        undoId = undefined;
      }
      for (const d of createdDirs) fs.rmSync(inside(d, undefined, 'nofollow'), { recursive: true, force: true });
      if (createdWorkDir) fs.rmSync(workDir, { recursive: true, force: true });
    } catch (err) {
      ctx.log.warn(`local platform: teardown: ${messageOf(err)}`);
    }
    pods.clear();
    redis = undefined;
    binary = undefined;
  }

  /**
   * Evidence of a failed run, read before teardown removes the work dir: the log of every incarnation of every
   * pod (each start of its redis-server writes its own), the current incarnation's redis.conf `logfile` when the
   * manifests set one, and a status line per pod.
   */
  async function collectEvidence(sink: EvidenceSink): Promise<void> {
    const logsDir = path.join(workDir, 'logs');
    for (const name of (await fs.promises.readdir(logsDir).catch(() => [] as string[])).sort()) {
      await sink.copy(`logs/${name}`, path.join(logsDir, name));
    }
    const logfile = redis?.directive('logfile');
    for (const pod of pods.values()) {
      if (logfile && redis) await sink.copy(`logs/${pod.name}.${pod.incarnation}.logfile.log`, toHostPath(logfile, redis, pod.layout, redis.dataDir));
    }
    await sink.write('local/status.txt', [...pods.values()].map((p) => `pod ${p.name} incarnation ${p.incarnation}: ${describe(p)}`).join('\n') + '\n');
  }

  return {
    kind: 'local',
    provision,
    collectEvidence,
    deploy,
    listPods: async () => [...pods.values()].sort((a, b) => a.ordinal - b.ordinal).map(info),
    reach: async (announced: HostPort): Promise<Target> => (ctx.auth ? { ...announced, auth: ctx.auth } : announced),
    deletePod,
    releaseHold,
    waitForReplacement,
    readPersistentFile,
    teardown,
    processIds: livePids,
    hostPath: (podName, containerPath) => {
      const r = requireDeployed();
      return toHostPath(containerPath, r, podNamed(podName).layout, r.container.workingDir);
    },
  };
}

function info(pod: Pod): PodInfo {
  return {
    name: pod.name,
    uid: pod.uid,
    ip: pod.ip,
    node: 'local',
    ready: pod.ready && !!pod.proc && !pod.proc.exit,
    ordinal: pod.ordinal,
  };
}

function describe(pod: Pod): string {
  const state = pod.held
    ? 'held (releaseHold() not called)'
    : pod.restartTimer
      ? pod.restarts > 0 && pod.proc?.exit
        ? `container restarting after its redis-server ${describeExit(pod.proc.exit)} (restart ${pod.restarts})`
        : 'restart scheduled'
      : pod.proc?.exit
        ? `process ${describeExit(pod.proc.exit)}`
        : pod.ready
          ? 'ready'
          : 'starting';
  return `uid ${pod.uid || 'none'}, ip ${pod.ip || 'none'}, ${state}`;
}

function busPort(r: RedisDeployment): number {
  const configured = Number(r.directive('cluster-port'));
  return configured > 0 ? configured : r.port + 10000;
}

function graceSeconds(r: RedisDeployment): number {
  const v = dig(r.statefulSet.body, 'spec', 'template', 'spec', 'terminationGracePeriodSeconds');
  return typeof v === 'number' && v >= 0 ? v : DEFAULT_GRACE_SECONDS;
}

function dig(value: unknown, ...keys: string[]): unknown {
  let v = value;
  for (const k of keys) v = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}
