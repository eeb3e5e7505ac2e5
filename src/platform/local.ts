import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ManifestSet, RedisDeployment } from '../manifests/model.ts';
import type { EvidenceSink } from './evidence-sink.ts';
import { CancelledError, InputError, PodNotServingError, TimeoutError, messageOf } from '../errors.ts';
import { containedPath, readContainedTail } from '../util/contained-path.ts';
import { settleWithin, waitFor } from '../util/wait.ts';
import type { DeleteOptions } from './faults.ts';
import type { Deployed, HostPort, ManifestJobStatus, Platform, PlatformContext, PodInfo, Target } from './platform.ts';
import { noUndoJournal } from './undo.ts';
import { AddressAllocator } from './local/addresses.ts';
import { guardChildren } from './local/exit-guard.ts';
import { containerEnv, expandVars } from './local/expand.ts';
import { addressAnswers, infoServer, serving } from './local/server-probe.ts';
import { readinessProbeSpec, waitProbeReady, type ProbeAttempt } from './local/probes.ts';
import { type PodLayout, podLayout, preparePodFs, toHostPath } from './local/pod-fs.ts';
import { listenerHeldBy } from './local/listener-owner.ts';
import {
  describeExit,
  killStaleProcesses,
  processGroupOf,
  startProcess,
  stopProcess,
  type StartOptions,
  type Supervised,
  within,
} from './local/process.ts';
import { describeState, PodLifecycle, type PodEvent, type PodState } from './local/pod-lifecycle.ts';
import { findExecutable, findServerBinary } from './local/redis-binary.ts';
import { localRedisConf } from './local/redis-conf.ts';
import {
  bwrapCommand,
  type BwrapCommand,
  findBwrap,
  mainProcessOf,
  podShims,
  prepareRoot,
  rewriteInPlace,
  type SandboxBind,
} from './local/sandbox.ts';
import { governingService, podHostsText, type GoverningService } from './local/pod-dns.ts';
import { directModeRediscoveryGap } from './local/direct-gaps.ts';
import { isJobOrPod, startLocalJobs, type LocalJobs } from './local/jobs.ts';
import { POST_START_TIMEOUT_MS, postStartCommand } from './local/post-start.ts';
import { localPartition } from './local/faults/partition.ts';
import { emulatedNodes, placePod, schedulingRules } from './local/nodes.ts';
import { localNodeLoss } from './local/faults/node-loss.ts';
import { PodConfinement } from './local/pod-confinement.ts';
import { PROBE_OUTPUT_BYTES } from './local/bounded-read.ts';
import { containerSecurity, refuseHostAccess } from './local/pod-security.ts';
import { refuseTooManyPods } from './local/pod-limits.ts';
import { serverLogHint } from './server-log-hints.ts';
import { unenforcedSizeLimits } from './local/size-limits.ts';
import { effectiveArgv, REDIS_IMAGE_WORKDIR } from '../manifests/deployment.ts';
import { serverOfImage } from '../manifests/server.ts';
import { valueAt } from '../manifests/object-path.ts';
import type { ContainerView } from '../manifests/model.ts';
import { templateRevision } from '../manifests/rollout-changes.ts';
import { localRolloutFault } from './local/faults/rollout.ts';

/** The official Redis and Valkey images' `redis` user, which owns their /data. */
const REDIS_IMAGE_UID = 999;

export interface LocalPlatformOptions {
  /** First loopback /24 to take pod addresses from, e.g. '127.0.50' (never 127.0.0.x). */
  addressBase?: string;
  /** Delay before a deleted pod (not held) comes back, like a StatefulSet recreating it. */
  restartDelayMs?: number;
  /** Server binary (name on PATH or a path) instead of the deployment's own program (redis-server, valkey-server). */
  serverBinary?: string;
  /** Bound on a pod starting and answering PING. */
  readyTimeoutMs?: number;
  /** sandbox: every pod's init containers and container run in a bubblewrap sandbox with the pod's own view
   * (wrapper scripts, init containers, probes run as written); direct: redis-server runs with a config the
   * platform writes from the manifests; auto: sandbox where bwrap works. */
  mode?: 'auto' | 'sandbox' | 'direct';
  /** Emulated Kubernetes nodes the pods are scheduled on (the workers setting, as on kind); default 3. */
  nodes?: number;
}

/** The local platform, plus what tests and evidence need beyond the seam. */
export interface LocalPlatform extends Platform {
  /** PIDs of the redis-server processes this platform started that have not exited (also after teardown). */
  processIds(): number[];
  /**
   * Runs a command in a pod's container view (sandbox mode): its root, volumes, hosts file, hostname and env, in
   * a sandbox of its own beside the container's (as `kubectl exec`, minus the shared PID namespace).
   */
  exec(podName: string, argv: string[], timeoutMs?: number): Promise<{ code: number | null; output: string }>;
  /** The mode the pods run in (decided by provision()). */
  localMode(): 'sandbox' | 'direct' | undefined;
  /** Host path of a pod's in-container path (its current incarnation's filesystem). */
  hostPath(podName: string, containerPath: string): string;
  /** What the report must say about this run's emulation (e.g. what direct mode did not run). */
  notes: string[];
}

const DEFAULT_ADDRESS_BASE = '127.0.50';
const DEFAULT_GRACE_SECONDS = 30;
/** Teardown is not a test of graceful shutdown: SIGTERM, and SIGKILL after this. */
const TEARDOWN_GRACE_MS = 3000;
const LOG_TAIL_LINES = 15;
/** A log tail reads at most this much of the file's end (a pod decides how large its log grows). */
const LOG_TAIL_BYTES = 64 * 1024;
/** nodes.conf and other volume files the tool reads back: far above a real nodes.conf (~200 bytes a node). */
const MAX_PERSISTENT_FILE_BYTES = 4 * 1024 * 1024;
/** A new pod whose address turns out to be bound by a process outside any run tries this many addresses. */
const BIND_ATTEMPTS = 3;
/** Bound on a deleted pod's address to stop answering once its processes are gone. */
const GONE_TIMEOUT_MS = 10_000;

/** redis-server could not bind its address: something outside this run (and outside any run's claim) holds it. */
class AddressTakenError extends Error {}

interface Pod {
  name: string;
  ordinal: number;
  layout: PodLayout;
  uid: string;
  ip: string;
  /** The emulated node it is bound to (local/nodes.ts); empty while it has none (Pending, or deleted). */
  node: string;
  incarnation: number;
  proc?: Supervised;
  logFile?: string;
  /** What happens to the pod next (local/pod-lifecycle.ts): every change of state goes through it. */
  lifecycle: PodLifecycle;
  /** The start under way (or the last one), awaited before a deletion and by teardown. */
  starting?: Promise<void>;
  startedAt?: number;
  /** The StatefulSet revision (pod template) this incarnation of the pod was created from. */
  revision?: string;
}

/**
 * Pods as redis-server processes on their own loopback addresses (docs/design.md, "local"). Config, args, env and
 * mounts come from the manifests; PVC mounts live in per-claim directories that survive restarts, everything
 * else is wiped; every (re)start gets a new address and UID. Children die with this process: exit and signal
 * handlers kill them by PID, setpriv's parent-death signal covers a hard kill, and a pid registry in workDir
 * lets the next run on the same workDir clean up when neither was possible.
 */
export function createLocalPlatform(ctx: PlatformContext, opts: LocalPlatformOptions = {}): LocalPlatform {
  const workDir = path.resolve(ctx.workDir);
  /** Every host path the platform touches, checked to lie inside workDir (symlinks resolved) before use. */
  const inside = (p: string, what?: string, leaf?: 'nofollow'): string =>
    containedPath(workDir, p, { ...(what ? { what } : {}), ...(leaf ? { leaf } : {}) });
  const registryDir = path.join(workDir, 'pids');
  const createdDirs = ['pods', 'pv', 'logs', 'pids'].map((d) => path.join(workDir, d));
  const restartDelayMs = opts.restartDelayMs ?? 1000;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const pods = new Map<string, Pod>();
  const nodes = emulatedNodes(opts.nodes ?? 3);
  const said = new Set<string>();
  const notes: string[] = [];
  let redis: RedisDeployment | undefined;
  /** The manifests `redis` was read from (the last apply's): what a rollout's apply is compared with. */
  let applied: ManifestSet | undefined;
  /** The StatefulSet's governing Service, whose DNS records every pod's /etc/hosts holds (sandbox mode). */
  let service: GoverningService | undefined;
  let allocator: AddressAllocator | undefined;
  let provisioned = false;
  /** The deployment's server program on this host, found by deploy(). */
  let binary: string | undefined;
  let setpriv: string | undefined;
  let bwrap: string | undefined;
  /** The sandboxes' loopback firewall (sandbox mode). */
  let confinement: PodConfinement | undefined;
  let mode: 'sandbox' | 'direct' | undefined;
  let createdWorkDir = false;
  let unguard: (() => void) | undefined;
  /** The manifests' Jobs and bare Pods, started by deploy() (sandbox mode). */
  let jobs: LocalJobs | undefined;
  /** Direct mode: the Jobs and Pods it does not run, as their status. */
  let notRun: ManifestJobStatus[] = [];
  /** The journal entry of this platform's processes, settled once teardown leaves none running. */
  let undoId: string | undefined;

  // Every incarnation of every pod would repeat the same notes about the manifests: say each once.
  const once =
    (say: (m: string) => void) =>
    (message: string): void => {
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
    if (provisioned) return;
    createdWorkDir ||= !fs.existsSync(workDir);
    fs.mkdirSync(workDir, { recursive: true });
    // Before any process starts: a run killed outright leaves its pid registry for the cleanup (undo/executors.ts).
    undoId ??= await (ctx.undo ?? noUndoJournal).record({ kind: 'local-processes', workDir });
    const stale = killStaleProcesses(registryDir);
    if (stale.length)
      ctx.log.warn(`local platform: killed redis-server left by an earlier run (pids ${stale.join(', ')})`);
    setpriv = findExecutable('setpriv');
    if (!setpriv)
      ctx.log.info('local platform: setpriv not found; children of a hard-killed run are cleaned by the next run');
    // With a run signal the caller owns SIGINT/SIGTERM and tears down in order; the exit guard stays.
    unguard ??= guardChildren(livePids, !ctx.signal);
    const wanted = opts.mode ?? 'auto';
    const sandboxTool = wanted === 'direct' ? undefined : await findBwrap();
    if (sandboxTool && 'path' in sandboxTool) {
      bwrap = sandboxTool.path;
      mode = 'sandbox';
    } else if (wanted === 'sandbox') {
      throw new Error(
        `local platform: local-mode sandbox, but ${sandboxTool && 'missing' in sandboxTool ? sandboxTool.missing : 'no sandbox tool'}`,
      );
    } else {
      mode = 'direct';
      if (sandboxTool && 'missing' in sandboxTool) ctx.log.info(`local platform: direct mode (${sandboxTool.missing})`);
    }
    ctx.log.info(`local platform: pods run in ${mode} mode`);
    if (mode === 'sandbox') {
      confinement ??= await PodConfinement.open(ctx.undo, ctx.log);
      if (confinement.skipped) ctx.log.warn(`local platform: ${confinement.skipped}`);
    }
    provisioned = true;
  }

  /**
   * Every pod's /etc/hosts, rewritten in place: the headless Service's DNS records at the current addresses and
   * readiness (local/pod-dns.ts). Called whenever a pod's address or readiness changes.
   */
  function updateHosts(): void {
    if (mode !== 'sandbox' || !service) return;
    const svc = service;
    const dns = dnsPods();
    for (const p of pods.values()) {
      const file = path.join(p.layout.podDir, 'hosts');
      if (fs.existsSync(p.layout.podDir))
        rewriteInPlace(
          inside(file, `pod ${p.name}'s /etc/hosts`),
          podHostsText(
            dns.find((d) => d.name === p.name)!,
            dns,
            svc,
          ),
        );
    }
  }

  const dnsPods = () => [...pods.values()].map((p) => ({ name: p.name, ip: p.ip, ready: info(p).ready }));

  /** The sandbox of one container of a pod: its own root, the pod's volumes, hosts file, shims, env and security. */
  function sandboxSpec(
    pod: Pod,
    c: ContainerView,
    rootfs: string,
    env: Map<string, string>,
    argv: string[],
    kind: 'containers' | 'initContainers' = 'containers',
  ): BwrapCommand {
    fs.mkdirSync(inside(rootfs, `pod ${pod.name}'s root`), { recursive: true });
    prepareRoot(rootfs);
    // What the image has whether or not a volume is mounted there: its working directory (the Redis and Valkey
    // images' WORKDIR /data, owned by their redis user 999) and the container's workingDir, which the runtime
    // creates when the image lacks it. Without them an init container that mounts no /data cannot start.
    const imageDirs = serverOfImage(c.image) ? [REDIS_IMAGE_WORKDIR] : [];
    for (const dir of new Set([...imageDirs, c.workingDir])) {
      const at = inside(path.join(rootfs, dir), `the working directory ${dir} of container ${c.name}`);
      if (fs.existsSync(at)) continue;
      fs.mkdirSync(at, { recursive: true, mode: 0o755 });
      if (dir === REDIS_IMAGE_WORKDIR && process.getuid?.() === 0) fs.chownSync(at, REDIS_IMAGE_UID, REDIS_IMAGE_UID);
    }
    const binds: SandboxBind[] = c.mounts.map((m) => ({
      host: inside(path.join(pod.layout.volumeDir(m), m.subPath ?? ''), `volume ${m.name} of pod ${pod.name}`),
      container: m.mountPath,
      // ConfigMap and Secret volumes are always read-only in Kubernetes.
      readOnly: m.readOnly || m.source.type === 'configMap' || m.source.type === 'secret',
    }));
    binds.push({ host: path.join(pod.layout.podDir, 'hosts'), container: '/etc/hosts', readOnly: true });
    binds.push(
      ...podShims(inside(path.join(pod.layout.podDir, 'shim'), `pod ${pod.name}'s shims`), pod.ip, {
        path: binary!,
        name: requireDeployed().server.program,
        aliases: requireDeployed().server.aliases,
      }),
    );
    return bwrapCommand({
      security: containerSecurity(requireDeployed().statefulSet, kind, c.name),
      ...(setpriv ? { setpriv: fs.realpathSync(setpriv) } : {}),
      hostname: pod.name,
      rootfs,
      binds,
      env,
      cwd: c.workingDir,
      argv: argv.map((a) => expandVars(a, (n) => env.get(n))),
    });
  }

  async function execInPod(
    pod: Pod,
    argv: string[],
    timeoutMs = 10_000,
  ): Promise<{ code: number | null; output: string }> {
    const r = requireDeployed();
    if (mode !== 'sandbox') throw new Error('local platform: exec needs sandbox mode');
    const env = containerEnv(
      r.container.env,
      { name: pod.name, namespace: r.namespace, uid: pod.uid, ip: pod.ip, labels: r.podLabels },
      warnOnce,
    );
    // Its output is kept as the kubelet keeps an exec probe's: the first PROBE_OUTPUT_BYTES, in memory.
    const proc = await spawnSandbox(sandboxSpec(pod, r.container, pod.layout.rootfs, env, argv), {
      captureBytes: PROBE_OUTPUT_BYTES,
    });
    running.add(proc);
    void proc.exited.then(() => running.delete(proc));
    const exit = await within(proc.exited, timeoutMs);
    if (!exit) await stopProcess(proc, 'kill', 0);
    const output = proc.captured!();
    return { code: exit ? exit.code : null, output: exit ? output : `${output}(killed after ${timeoutMs} ms)` };
  }

  /**
   * The readiness probe's exec command, run in the pod's view until it succeeds (sandbox mode only), each attempt
   * bounded by its timeoutSeconds (readinessAttempt); polled, not on the kubelet's schedule (rolloutRestart is).
   */
  async function waitProbe(pod: Pod, proc: Supervised): Promise<void> {
    const r = requireDeployed();
    const command = r.container.readinessExec;
    if (mode !== 'sandbox' || !command) return;
    const what = `pod ${pod.name}'s readiness probe (${command.join(' ')})`;
    const attempt = readinessAttempt(pod);
    const { timeoutMs } = readinessProbeSpec(r.statefulSet.body, r.container.name);
    await waitFor(
      what,
      async () => {
        if (proc.exit) return { done: true, value: undefined };
        const probe = await attempt(timeoutMs);
        return probe.ok ? { done: true, value: undefined } : { done: false, seen: probe.said };
      },
      {
        timeoutMs: readyTimeoutMs,
        intervalMs: 500,
        signal: ctx.signal,
        onProgress: (ms, seen) => ctx.log.progress(`${what}: ${seen} (${ms} ms)`),
      },
    );
  }

  /**
   * One readiness probe attempt (src/platform/local/probes.ts runs them on the kubelet's schedule): the probe's
   * exec command in the pod's sandbox, bounded by timeoutSeconds. Where it cannot run (direct mode, or a probe
   * that is not exec) the probe is taken to be "Redis answers", and the log says so once.
   */
  function readinessAttempt(pod: Pod): ProbeAttempt {
    const r = requireDeployed();
    const command = r.container.readinessExec;
    if (mode === 'sandbox' && command) {
      return async (timeoutMs) => {
        const p = await execInPod(pod, command, timeoutMs);
        return { ok: p.code === 0, said: `exit ${p.code ?? 'none'}: ${p.output.trim().slice(-300)}` };
      };
    }
    infoOnce(
      `local platform: readiness probes are taken as "Redis answers" (${mode === 'sandbox' ? 'the readiness probe has no exec command' : "direct mode cannot run the probe's command in the pod"})`,
    );
    return async (timeoutMs) => {
      const answer = await infoServer(pod.ip, r.port, timeoutMs);
      return { ok: serving(answer), said: answer.reply };
    };
  }

  /** Runs a pod's init containers in order, each to completion, as the kubelet does before the containers. */
  async function runInitContainers(pod: Pod): Promise<void> {
    const r = requireDeployed();
    for (const ic of r.initContainers) {
      const env = containerEnv(
        ic.env,
        { name: pod.name, namespace: r.namespace, uid: pod.uid, ip: pod.ip, labels: r.podLabels },
        warnOnce,
      );
      const argv = ic.command.length ? [...ic.command, ...ic.args] : ic.args;
      if (argv.length === 0)
        throw new Error(
          `init container ${ic.name} of pod ${pod.name} has no command: its image's entrypoint only exists in the image; use platform kind`,
        );
      const logFile = inside(
        path.join(workDir, 'logs', `${pod.name}.${pod.incarnation}.init-${ic.name}.log`),
        `init container ${ic.name}'s log`,
      );
      const proc = await spawnSandbox(
        sandboxSpec(pod, ic, path.join(pod.layout.podDir, 'init', ic.name), env, argv, 'initContainers'),
        { logFile },
      );
      running.add(proc);
      void proc.exited.then(() => running.delete(proc));
      // Bounded, and ended at once by the run's cancellation (SIGINT/SIGTERM must not wait for an init container).
      const exit = await settleWithin(proc.exited, readyTimeoutMs, 'late', ctx.signal).catch(() => undefined);
      if (!exit && ctx.signal?.aborted) {
        await stopProcess(proc, 'kill', 0);
        throw new CancelledError(`init container ${ic.name} of pod ${pod.name} to finish`);
      }
      if (!exit) {
        await stopProcess(proc, 'kill', 0);
        throw new TimeoutError(
          `init container ${ic.name} of pod ${pod.name} to finish`,
          readyTimeoutMs,
          tailOrNote(workDir, logFile),
        );
      }
      if (exit.code !== 0) {
        throw new Error(
          `init container ${ic.name} of pod ${pod.name} ${describeExit(exit)}${missingProgramHint(tailOrNote(workDir, logFile))}\n${tailOrNote(workDir, logFile)}`,
        );
      }
    }
  }

  function logTail(pod: Pod): string {
    const files = [pod.logFile];
    const logfile = redis?.directive('logfile');
    if (logfile) files.push(toHostPath(logfile, redis!, pod.layout, redis!.dataDir)); // relative: from the final `dir`
    const parts: string[] = [];
    for (const f of files) {
      if (!f) continue;
      const lines = tail(workDir, f);
      parts.push(
        Array.isArray(lines)
          ? `--- ${path.basename(f)} (last ${lines.length} lines)\n${lines.join('\n')}`
          : `--- ${path.basename(f)}: ${lines.why}`,
      );
    }
    const hint = serverLogHint(parts.join('\n'));
    return hint ? `${hint}\n${parts.join('\n')}` : parts.join('\n');
  }

  /**
   * Starts redis-server for a pod and waits until it answers PING. A new pod (first start, or recreated after a
   * delete) gets a fresh filesystem, a new address and a new UID; a restarted container (its redis-server
   * exited by itself) keeps the pod's address, UID and volumes, as a Kubernetes container restart does.
   */
  async function startPod(pod: Pod, attempt = 1): Promise<void> {
    const r = requireDeployed();
    const state = pod.lifecycle.state;
    if (state.phase !== 'starting')
      throw new Error(`local platform: pod ${pod.name} started while ${describeState(state)}`);
    const what = state.what;
    // nodes.conf is locked while the old process lives (it has exited already after a back-off or a deletion).
    const old = pod.proc;
    if (old && !old.exit && !(await within(old.exited, GONE_TIMEOUT_MS)))
      throw new TimeoutError(`pod ${pod.name}'s previous process (pid ${old.pid}) to exit`, GONE_TIMEOUT_MS, 'running');
    if (tornDown(pod)) return;
    if (what === 'pod') pod.node = bindNode(pod);
    pod.incarnation++;
    if (what === 'pod') {
      pod.uid = randomUUID();
      pod.ip = await allocator!.next();
      await confinement?.allow(pod.ip);
      pod.revision = templateRevision(r);
    }
    await preparePodFs(pod.layout, r, warnOnce, what);
    const env = containerEnv(
      r.container.env,
      { name: pod.name, namespace: r.namespace, uid: pod.uid, ip: pod.ip, labels: r.podLabels },
      warnOnce,
    );
    fs.mkdirSync(inside(path.join(workDir, 'logs')), { recursive: true });
    pod.logFile = inside(path.join(workDir, 'logs', `${pod.name}.${pod.incarnation}.log`), `pod ${pod.name}'s log`);
    const proc = mode === 'sandbox' ? await startSandboxed(pod, what, env) : await startDirect(pod, env);
    if (!proc) return;
    pod.proc = proc;
    pod.startedAt = Date.now();
    running.add(proc);
    void proc.exited.then(() => running.delete(proc));
    // The machine decides what the exit means: expected while terminating or torn down, else a crash to back off.
    void proc.exited
      .then((exit) => {
        if (pod.proc === proc) pod.lifecycle.fire({ type: 'process-exited', exit });
      })
      .catch((err: unknown) => ctx.log.warn(messageOf(err)));
    if (tornDown(pod)) {
      await stopProcess(proc, 'kill', 0);
      return;
    }
    try {
      await waitReady(pod, proc, r.port);
    } catch (err) {
      if (!(err instanceof AddressTakenError) || what !== 'pod' || attempt >= BIND_ATTEMPTS || tornDown(pod)) throw err;
      // Not a crash of the pod's own: no container restart (the back-off its exit began is left), a new pod on
      // the next address.
      ctx.log.warn(`local platform: ${err.message.split('\n')[0]!}; trying the next address`);
      pod.lifecycle.fire({ type: 'start', what: 'pod', gated: state.gated });
      return startPod(pod, attempt + 1);
    }
    pod.lifecycle.fire({ type: 'answered' });
    await waitProbe(pod, proc);
    const now = pod.lifecycle.state;
    if (now.phase !== 'running') return; // exited or torn down meanwhile: the machine has taken that in
    // A gated start (a rollout's replacement) is made Ready by the rollout's own readiness schedule.
    if (!now.gated) pod.lifecycle.fire({ type: 'probe-passed' });
    ctx.log.info(
      `local platform: pod ${pod.name} ${now.gated ? 'answering' : 'ready'} on ${pod.ip}:${r.port} (pid ${proc.pid})`,
    );
  }

  /**
   * The node the scheduler binds a new pod to, by the rules of the StatefulSet's pod template and the pods
   * already bound (local/nodes.ts); a pod no node can take stays Pending, and its start fails with the reason.
   */
  function bindNode(pod: Pod): string {
    const r = requireDeployed();
    const rules = schedulingRules(valueAt(r.statefulSet.body, ['spec', 'template', 'spec']));
    for (const what of rules.unmodelled) warnOnce(`scheduling: ${what} not modelled; the pod is placed without it`);
    const placed = [...pods.values()]
      .filter((p) => p !== pod && p.node !== '')
      .map((p) => ({ name: p.name, node: p.node, labels: r.podLabels }));
    const where = placePod(rules, r.podLabels, nodes, placed);
    if ('pending' in where) throw new Error(`pod ${pod.name} stays Pending: ${where.pending}`);
    return where.node;
  }

  /** Carries out a start the pod's machine has entered; its failure is the machine's next event. */
  function runStart(pod: Pod, onError: (err: Error) => void): Promise<void> {
    pod.starting = startPod(pod).catch((err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      pod.lifecycle.fire({ type: 'start-failed', error });
      onError(error);
    });
    return pod.starting;
  }

  /**
   * What follows a pod's change of state, in one place: the hook point for anything that tracks pods (the
   * Service's DNS records, logs). A pod's own address changes with its start and deletion.
   */
  function onPodTransition(pod: Pod, from: PodState, to: PodState, event: PodEvent): void {
    // Readiness changed: the Service's DNS lists ready pods (local/pod-dns.ts). Teardown rewrites nothing.
    if ((from.phase === 'ready') !== (to.phase === 'ready') && to.phase !== 'exited') updateHosts();
    if (to.phase === 'back-off' && event.type === 'process-exited') {
      // A start that fails reports itself; a running server that exits is news.
      if (from.phase === 'ready')
        ctx.log.warn(
          `local platform: pod ${pod.name} (pid ${pod.proc?.pid ?? 'unknown'}) ${describeExit(event.exit)} unexpectedly\n${logTail(pod)}`,
        );
      ctx.log.info(
        `local platform: restarting pod ${pod.name}'s container in ${to.delayMs / 1000} s (restart ${pod.lifecycle.restarts})`,
      );
    }
  }

  /** redis-server on the host with a redis.conf written from the manifests' directives (paths mapped). */
  async function startDirect(pod: Pod, env: Map<string, string>): Promise<Supervised | undefined> {
    const r = requireDeployed();
    const cwd = r.container.workingDir;
    const conf = localRedisConf(r, {
      ip: pod.ip,
      hostPath: (p) => inside(toHostPath(p, r, pod.layout, cwd), `${p} in pod ${pod.name}`),
      env,
      info: infoOnce,
    });
    const confFile = inside(path.join(pod.layout.podDir, 'redis.conf'), `pod ${pod.name}'s redis.conf`);
    fs.writeFileSync(confFile, conf);
    if (tornDown(pod)) return undefined;
    return startProcess(binary!, [confFile], {
      cwd: inside(toHostPath(cwd, r, pod.layout), `pod ${pod.name}'s working directory`),
      output: { logFile: pod.logFile! },
      registryDir: inside(registryDir),
      setpriv,
    });
  }

  /** The pod's init containers (a new pod only, as the kubelet does), then its container, each sandboxed. */
  async function startSandboxed(
    pod: Pod,
    what: 'pod' | 'container',
    env: Map<string, string>,
  ): Promise<Supervised | undefined> {
    const r = requireDeployed();
    updateHosts();
    if (what === 'pod') await runInitContainers(pod);
    if (tornDown(pod)) return undefined;
    const argv = effectiveArgv(r.container.command, r.container.args, r.server.program);
    const proc = await spawnSandbox(sandboxSpec(pod, r.container, pod.layout.rootfs, env, argv), {
      logFile: pod.logFile!,
    });
    proc.mainPid = () => mainProcessOf(proc.pid);
    const hook = postStartCommand(r);
    if (hook)
      void execInPod(pod, hook, POST_START_TIMEOUT_MS)
        .then(async ({ code, output }) => {
          if (code === 0 || proc.exit) return;
          ctx.log.warn(
            `local platform: pod ${pod.name}'s postStart hook exited ${code ?? 'by timeout'}: the container is killed, as the kubelet does\n${output.trim().split('\n').slice(-LOG_TAIL_LINES).join('\n')}`,
          );
          await stopProcess(proc, 'kill', 0);
        })
        .catch((err: unknown) => ctx.log.warn(`local platform: pod ${pod.name}'s postStart hook: ${messageOf(err)}`));
    return proc;
  }

  /**
   * Starts a sandbox: its env and seccomp filter on file descriptors (never in the process list), inside the
   * run's firewall cgroup when there is one, with an environment of its own (bwrap clears it for the container).
   */
  function spawnSandbox(cmd: BwrapCommand, output: StartOptions['output']): Promise<Supervised> {
    return startProcess(bwrap!, cmd.args, {
      cwd: workDir,
      output,
      registryDir: inside(registryDir),
      setpriv,
      fds: cmd.fds,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      ...(confinement?.procs ? { cgroupProcs: confinement.procs } : {}),
    });
  }

  async function waitReady(pod: Pod, proc: Supervised, port: number): Promise<void> {
    const what = `pod ${pod.name} (pid ${proc.pid}) to answer INFO on ${pod.ip}:${port}`;
    // Ours: the child itself or a process in its group (a wrapper script's redis-server), by INFO's process_id;
    // else (a PID namespace, an auth demand) by who holds the listening socket.
    const ours = (pid: number | undefined) =>
      (pid !== undefined && (pid === proc.pid || processGroupOf(pid) === proc.pid)) ||
      listenerHeldBy(proc.pid, pod.ip, port);
    let outcome: 'ready' | 'exited';
    try {
      outcome = await waitFor(
        what,
        async () => {
          if (proc.exit) return { done: true, value: 'exited' as const };
          const answer = await infoServer(pod.ip, port, 1000);
          if (!serving(answer)) return { done: false, seen: answer.reply };
          return ours(answer.pid)
            ? { done: true, value: 'ready' as const }
            : {
                done: false,
                seen: `answered by ${answer.pid === undefined ? 'a process' : `pid ${answer.pid}`} outside this pod`,
              };
        },
        {
          timeoutMs: readyTimeoutMs,
          intervalMs: 25,
          signal: ctx.signal,
          onProgress: (ms, seen) => ctx.log.progress(`${what}: ${seen} (${ms} ms)`),
        },
      );
    } catch (err) {
      if (err instanceof TimeoutError)
        throw new TimeoutError(err.what, err.timeoutMs, `${err.lastSeen}\n${logTail(pod)}`, { cause: err });
      throw err;
    }
    if (outcome === 'exited') {
      const logs = logTail(pod);
      if (logs.includes('Address already in use')) {
        throw new AddressTakenError(
          `pod ${pod.name}: ${pod.ip}:${port} is bound by a process outside this run\n${logs}`,
        );
      }
      throw new Error(
        `pod ${pod.name}: ${mode === 'sandbox' ? 'its container' : 'redis-server'} ${describeExit(proc.exit!)} before answering on ${pod.ip}:${port}${missingProgramHint(logs)}\n${logs}`,
      );
    }
  }

  async function deploy(manifests: ManifestSet, deployment: RedisDeployment): Promise<Deployed> {
    if (redis) throw new Error(`local platform: ${redis.name} is already deployed; teardown() before deploying again`);
    await provision();
    notes.length = 0;
    if (confinement?.skipped) notes.push(confinement.skipped);
    await adopt(manifests, deployment);
    allocator = new AddressAllocator(opts.addressBase ?? DEFAULT_ADDRESS_BASE, () => [
      deployment.port,
      deployment.busPort,
    ]);
    for (let i = 0; i < deployment.replicas; i++) {
      const name = `${deployment.name}-${i}`;
      const pod: Pod = {
        name,
        ordinal: i,
        layout: podLayout(workDir, deployment, name, i),
        uid: '',
        ip: '',
        node: '',
        incarnation: 0,
        lifecycle: new PodLifecycle(name, {
          recreateDelayMs: restartDelayMs,
          onStart: () =>
            void runStart(pod, (err) =>
              ctx.log.warn(`local platform: pod ${pod.name} did not come back: ${err.message}`),
            ).catch((err: unknown) => ctx.log.warn(messageOf(err))),
          onTransition: (from, to, event) => onPodTransition(pod, from, to, event),
        }),
      };
      pods.set(name, pod);
    }
    const all = [...pods.values()];
    const failures: string[] = [];
    const start = (pod: Pod): Promise<void> => {
      pod.lifecycle.fire({ type: 'start', what: 'pod' });
      return runStart(pod, (err) => failures.push(`${pod.name}: ${err.message}`));
    };
    if (valueAt(deployment.statefulSet.body, ['spec', 'podManagementPolicy']) === 'Parallel')
      await Promise.all(all.map(start));
    // OrderedReady: stop at the first failure, or at the run's cancellation
    else for (const pod of all) if (!failures.length && !ctx.signal?.aborted) await start(pod);
    if (ctx.signal?.aborted) throw new CancelledError(`the pods of ${deployment.name} to start`);
    if (failures.length)
      throw new Error(`local platform: deploying ${deployment.name} failed:\n${failures.join('\n')}`);
    // As on Kubernetes, the manifests' Jobs and Pods start alongside the StatefulSet's pods (local/jobs.ts).
    const others = manifests.objects.filter(isJobOrPod);
    if (others.length && mode === 'sandbox')
      jobs = startLocalJobs(others, {
        set: manifests,
        workDir,
        inside,
        spawn: (cmd, logFile) => spawnSandbox(cmd, { logFile }),
        ...(setpriv ? { setpriv: fs.realpathSync(setpriv) } : {}),
        log: ctx.log,
        hostsText: (name) => (service ? podHostsText({ name, ip: '', ready: false }, dnsPods(), service) : ''),
        track: (p) => {
          running.add(p);
          void p.exited.then(() => running.delete(p));
        },
      });
    else if (others.length) {
      notRun = others.map((o) => ({
        name: `${o.kind} ${o.name}`,
        state: 'not-run' as const,
        detail: 'direct mode runs no Job or Pod of the manifests (install bubblewrap)',
        lastLog: '',
      }));
      warnOnce(
        `direct mode does not run ${others.map((o) => `${o.kind} ${o.name}`).join(', ')} (install bubblewrap to run them)`,
      );
    }
    return { nfsRewrites: [] }; // no NFS stand-in: PersistentVolumes are directories here
  }

  /** Makes `deployment` what pods start from (deploy, and a rollout's apply over a running deployment). */
  async function adopt(manifests: ManifestSet, deployment: RedisDeployment): Promise<void> {
    refuseHostAccess(deployment.statefulSet);
    refuseTooManyPods(deployment);
    if (mode === 'direct') {
      refuseWhatNeedsSandbox(deployment, warnOnce);
      const gap = directModeRediscoveryGap(deployment);
      if (gap) {
        warnOnce(gap);
        notes.push(gap);
      }
    } else {
      service = governingService(manifests, deployment);
      if (service.note) warnOnce(service.note);
    }
    for (const note of unenforcedSizeLimits(deployment)) {
      warnOnce(note);
      notes.push(note);
    }
    // A Valkey StatefulSet runs valkey-server, a Redis one redis-server (manifests/server.ts decides which).
    binary = (await findServerBinary(deployment.server, opts.serverBinary)).path;
    redis = deployment;
    applied = manifests;
  }

  async function deletePod(name: string, options: DeleteOptions): Promise<void> {
    const r = requireDeployed();
    const pod = podNamed(name);
    // A start under way finishes first, its readiness probe included.
    do await pod.starting;
    while (pod.lifecycle.state.phase === 'starting');
    pod.lifecycle.fire({ type: 'delete', hold: options.hold });
    if (pod.proc && !pod.proc.exit) await stopProcess(pod.proc, options.mode, graceSeconds(r) * 1000);
    await untilGone(pod);
    pod.ip = '';
    pod.node = '';
    updateHosts();
    pod.lifecycle.fire({ type: 'gone' });
  }

  /** Gone means the pod's address no longer answers, not only that the process it started has exited. */
  async function untilGone(pod: Pod): Promise<void> {
    const ip = pod.ip;
    const port = requireDeployed().port;
    await waitFor(
      `${ip}:${port} to stop answering once pod ${pod.name}'s processes are gone`,
      async () =>
        (await addressAnswers(ip, port)) ? { done: false, seen: 'still answering' } : { done: true, value: undefined },
      { timeoutMs: GONE_TIMEOUT_MS, intervalMs: 25 },
    );
  }

  /** What a lost emulated node does to its pods (local/faults/node-loss.ts), each pod's part of it. */
  const nodePods = {
    nodes,
    podsOn: (node: string) => [...pods.values()].filter((p) => p.node === node).map((p) => p.name),
    /** Every process of the pod's group killed at once, as the machine under it stops; nothing restarts it. */
    async stop(name: string): Promise<void> {
      const pod = podNamed(name);
      do await pod.starting;
      while (pod.lifecycle.state.phase === 'starting');
      pod.lifecycle.fire({ type: 'node-lost' });
      if (pod.proc && !pod.proc.exit) await stopProcess(pod.proc, 'kill', 0);
      await untilGone(pod);
    },
    /** The node is back: the pod's container starts again there, same UID, address and volumes. */
    async restart(name: string): Promise<void> {
      const pod = podNamed(name);
      if (pod.lifecycle.state.phase !== 'node-down') return;
      pod.lifecycle.fire({ type: 'node-back' });
      await runStart(pod, (err) => ctx.log.warn(`local platform: pod ${name} did not start again: ${err.message}`));
    },
    /** The node was deleted: the pod with it; the StatefulSet recreates it on a node that is up. */
    evict(name: string): void {
      const pod = podNamed(name);
      if (pod.lifecycle.state.phase !== 'node-down') return;
      pod.ip = '';
      pod.node = '';
      updateHosts();
      pod.lifecycle.fire({ type: 'evicted', delayMs: restartDelayMs });
    },
  };

  async function releaseHold(): Promise<void> {
    for (const pod of pods.values())
      if (pod.lifecycle.state.phase === 'held') pod.lifecycle.fire({ type: 'release', delayMs: 0 });
  }

  async function waitForReplacement(name: string, oldUid: string, timeoutMs: number): Promise<PodInfo> {
    const pod = podNamed(name);
    const result = await waitFor<PodInfo | Error>(
      `pod ${name} to be recreated (UID other than ${oldUid}) and ready`,
      async () => {
        const s = pod.lifecycle.state;
        if (pod.uid !== oldUid) {
          const error = s.phase === 'failed' || s.phase === 'back-off' ? s.error : undefined;
          if (error) return { done: true, value: error };
          if (s.phase === 'running' || s.phase === 'ready') return { done: true, value: info(pod) };
        }
        return { done: false, seen: describe(pod) };
      },
      {
        timeoutMs,
        signal: ctx.signal,
        onProgress: (ms, seen) =>
          ctx.log.progress(`waiting for ${name} to come back (${Math.round(ms / 1000)} s): ${seen}`),
      },
    );
    // A start cut short by the run's cancellation is the cancellation, not a pod that failed to start.
    if (result instanceof CancelledError) throw result;
    if (result instanceof Error)
      throw new PodNotServingError(`pod ${name} was recreated but did not become ready: ${result.message}`);
    return result;
  }

  function signalPod(name: string, sig: 'SIGSTOP' | 'SIGCONT'): void {
    const pod = podNamed(name);
    if (!pod.proc || pod.proc.exit)
      throw new Error(
        `local platform: pod ${name} has no running process to ${sig === 'SIGSTOP' ? 'freeze' : 'resume'}`,
      );
    // The whole process group: in sandbox mode the child is bwrap, and Redis runs below it (stopping bwrap alone
    // froze nothing: the scenario then saw no failover and blamed Redis).
    process.kill(-pod.proc.pid, sig);
  }

  /**
   * `kubectl rollout restart statefulset` as the StatefulSet controller carries it out with the RollingUpdate
   * strategy (the default): "The StatefulSet controller will delete and recreate each Pod in the StatefulSet.
   * It will proceed in the same order as Pod termination (from the largest ordinal to the smallest), updating
   * each Pod one at a time. The Kubernetes control plane waits until an updated Pod is Running and Ready prior
   * to updating its predecessor" (kubernetes.io, StatefulSets, Rolling Updates); pods below
   * rollingUpdate.partition are left alone, podManagementPolicy does not change this order, and OnDelete
   * replaces nothing. Ready follows the container's readinessProbe as the kubelet runs it (local/probes.ts:
   * schedule, timeout, thresholds), with its exec command run in the pod's sandbox (readinessAttempt).
   */
  async function rolloutRestart(timeoutMs: number): Promise<void> {
    const r = requireDeployed();
    const strategy = valueAt(r.statefulSet.body, ['spec', 'updateStrategy', 'type']) ?? 'RollingUpdate';
    if (strategy === 'OnDelete') {
      throw new Error(
        `StatefulSet ${r.name} has updateStrategy OnDelete: a rollout restart changes its template but replaces no pod until each is deleted by hand`,
      );
    }
    const partition = Number(
      valueAt(r.statefulSet.body, ['spec', 'updateStrategy', 'rollingUpdate', 'partition']) ?? 0,
    );
    const order = [...pods.values()].filter((p) => p.ordinal >= partition).sort((a, b) => b.ordinal - a.ordinal);
    await replacePods(
      order.map((p) => [p.name]),
      timeoutMs,
    );
  }

  /**
   * The StatefulSet controller's replacement of pods: each batch's pods deleted (graceful) and recreated at once,
   * every one Running and Ready (its readiness probe on the kubelet's schedule) before the next batch.
   */
  async function replacePods(batches: string[][], timeoutMs: number): Promise<void> {
    const r = requireDeployed();
    const probe = readinessProbeSpec(r.statefulSet.body, r.container.name);
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(0, deadline - Date.now());
    const replace = async (pod: Pod): Promise<void> => {
      const oldUid = pod.uid;
      await deletePod(pod.name, { hold: true, mode: 'graceful' });
      // Recreated as after any deletion (restartDelayMs stands for the controller, scheduler and kubelet), gated:
      // Ready follows the readiness probe's schedule below, not the start.
      pod.lifecycle.fire({ type: 'release', delayMs: restartDelayMs, gated: true });
      await waitForReplacement(pod.name, oldUid, left());
      await waitProbeReady(`pod ${pod.name}'s readiness probe`, probe, readinessAttempt(pod), {
        startedAt: pod.startedAt!,
        timeoutMs: left(),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      pod.lifecycle.fire({ type: 'probe-passed' });
      ctx.log.info(`local platform: rollout: pod ${pod.name} replaced and ready`);
    };
    for (const batch of batches) await Promise.all(batch.map((name) => replace(podNamed(name))));
  }

  async function readPersistentFile(podName: string, containerPath: string): Promise<string | undefined> {
    const r = requireDeployed();
    const pod = podNamed(podName);
    const p = path.posix.resolve(r.dataDir, containerPath);
    if (!r.isPersistent(p)) return undefined;
    try {
      const file = readContainedTail(
        workDir,
        toHostPath(p, r, pod.layout),
        MAX_PERSISTENT_FILE_BYTES,
        `${p} of pod ${podName}`,
      );
      return file.skipped ? undefined : file.text; // a cut nodes.conf would be misread: unreadable instead
    } catch {
      return undefined;
    }
  }

  const partition = localPartition({
    podIp: (name) => podNamed(name).ip,
    claimAddress: () => {
      if (!allocator) throw new Error('local platform: nothing deployed yet');
      return allocator.next();
    },
    undo: ctx.undo ?? noUndoJournal,
  });

  async function teardown(): Promise<void> {
    // A partition still in place is lifted first: its rules name this run's addresses, soon given to others.
    await partition
      .healAll()
      .catch((err: unknown) => ctx.log.warn(`local platform: lifting a partition: ${messageOf(err)}`));
    try {
      for (const pod of pods.values()) pod.lifecycle.fire({ type: 'teardown' });
      await jobs?.stop();
      jobs = undefined;
      notRun = [];
      const stopAll = (): Promise<unknown> =>
        Promise.allSettled([...running].map((p) => stopProcess(p, 'graceful', TEARDOWN_GRACE_MS)));
      await stopAll();
      // A start that was under way may have spawned after the first sweep (startPod then kills it itself).
      await Promise.allSettled([...pods.values()].flatMap((p) => (p.starting ? [p.starting] : [])));
      await stopAll();
      const left = livePids();
      if (left.length) ctx.log.warn(`local platform: processes still running after teardown: ${left.join(', ')}`);
      else {
        unguard?.();
        unguard = undefined;
        if (undoId !== undefined) await (ctx.undo ?? noUndoJournal).settle(undoId);
        undoId = undefined;
        allocator?.release(); // the addresses are free for other runs once nothing of ours listens on them
        await confinement?.close();
        confinement = undefined;
      }
      for (const d of createdDirs) fs.rmSync(inside(d, undefined, 'nofollow'), { recursive: true, force: true });
      if (createdWorkDir) fs.rmSync(workDir, { recursive: true, force: true });
    } catch (err) {
      ctx.log.warn(`local platform: teardown: ${messageOf(err)}`);
    }
    pods.clear();
    redis = undefined;
    applied = undefined;
    service = undefined;
    binary = undefined;
    provisioned = false;
  }

  /**
   * Evidence of a failed run, read before teardown removes the work dir: the log of every incarnation of every
   * pod (each start of its redis-server writes its own), the current incarnation's redis.conf `logfile` when the
   * manifests set one, and a status line per pod.
   */
  async function collectEvidence(sink: EvidenceSink): Promise<void> {
    const logsDir = path.join(workDir, 'logs');
    for (const name of (await fs.promises.readdir(logsDir).catch(() => [] as string[])).sort()) {
      await sink.copy(`logs/${name}`, workDir, path.join(logsDir, name));
    }
    const logfile = redis?.directive('logfile');
    for (const pod of pods.values()) {
      if (logfile && redis)
        await sink.copy(
          `logs/${pod.name}.${pod.incarnation}.logfile.log`,
          workDir,
          toHostPath(logfile, redis, pod.layout, redis.dataDir),
        );
    }
    await sink.write(
      'local/status.txt',
      [...pods.values()].map((p) => `pod ${p.name} incarnation ${p.incarnation}: ${describe(p)}`).join('\n') + '\n',
    );
  }

  return {
    kind: 'local',
    provision,
    collectEvidence,
    deploy,
    listPods: async () => [...pods.values()].sort((a, b) => a.ordinal - b.ordinal).map(info),
    reach: async (announced: HostPort): Promise<Target> => (ctx.auth ? { ...announced, auth: ctx.auth } : announced),
    waitForReplacement,
    faults: {
      podDelete: { delete: deletePod, releaseHold },
      // SIGSTOP/SIGCONT: the process keeps its sockets and state, it only stops running, as a paused VM does.
      freeze: {
        freeze: async (name) => signalPod(name, 'SIGSTOP'),
        resume: async (name) => signalPod(name, 'SIGCONT'),
      },
      rollingRestart: { restartAll: rolloutRestart },
      partition,
      nodeLoss: localNodeLoss(nodePods, ctx.log),
      rollout: localRolloutFault({
        deployed: () => {
          const r = requireDeployed();
          return { set: applied!, redis: r };
        },
        update: adopt,
        revisions: () => Object.fromEntries([...pods.values()].map((p) => [p.name, p.revision ?? ''])),
        replace: replacePods,
      }),
    },
    readPersistentFile,
    manifestJobs: async () => jobs?.statuses() ?? notRun,
    teardown,
    processIds: livePids,
    localMode: () => mode,
    notes,
    exec: (podName, argv, timeoutMs) => execInPod(podNamed(podName), argv, timeoutMs),
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
    node: pod.node,
    ready: pod.lifecycle.state.phase === 'ready' && !!pod.proc && !pod.proc.exit,
    ordinal: pod.ordinal,
  };
}

/** Whether teardown has ended the pod's life (a start under way then stops where it is). */
function tornDown(pod: Pod): boolean {
  return pod.lifecycle.state.phase === 'exited';
}

function describe(pod: Pod): string {
  return `uid ${pod.uid || 'none'}, ip ${pod.ip || 'none'}, node ${pod.node || 'none'}, ${describeState(pod.lifecycle.state)}`;
}

function graceSeconds(r: RedisDeployment): number {
  const v = valueAt(r.statefulSet.body, ['spec', 'template', 'spec', 'terminationGracePeriodSeconds']);
  return typeof v === 'number' && v >= 0 ? v : DEFAULT_GRACE_SECONDS;
}

/** A sandboxed program that is not on this host (an image's own script or binary): say what to use instead. */
function missingProgramHint(log: string): string {
  // bwrap's own words, or the shell's that execs the command inside (local/sandbox.ts)
  const m = /bwrap: execvp (\S+): No such file or directory|exec: (\S+): not found/.exec(log);
  return m
    ? `: ${m[1] ?? m[2]!} exists only in the container image, not on this host; use platform kind to run the image itself`
    : '';
}

/**
 * The last lines of a log file under the run's dir, read as readContainedTail reads a pod's files (no link
 * followed, no FIFO waited on, only the tail read), or undefined when it cannot be read that way. A refused
 * link or FIFO reads as "not written": what it leads to is never shown.
 */
function tail(workDir: string, file: string): string[] | { why: string } {
  try {
    const { text, skipped } = readContainedTail(workDir, file, LOG_TAIL_BYTES);
    const lines = text.trimEnd().split('\n');
    // A cut first line is dropped unless it is all there is.
    return (skipped && lines.length > 1 ? lines.slice(1) : lines).slice(-LOG_TAIL_LINES);
  } catch (err) {
    // Why it was refused (a FIFO, a device, a link), never what a link leads to: the refusal's last clause.
    if (err instanceof InputError) return { why: `not read: ${err.message.split(': ').at(-1) ?? 'refused'}` };
    return { why: 'not written' };
  }
}

/** tail() for an error message: the lines, or why there are none. */
function tailOrNote(workDir: string, file: string): string {
  const t = tail(workDir, file);
  return Array.isArray(t) ? t.join('\n') : `(${path.basename(file)} ${t.why})`;
}

/**
 * Direct mode runs redis-server itself with a config written from what the manifests show: what only the running
 * container knows (a config an init container renders, values a script computes) needs the sandbox.
 */
function refuseWhatNeedsSandbox(r: RedisDeployment, warn: (m: string) => void): void {
  const needs = r.launch.config !== 'static' || r.launch.gaps.length > 0 || r.launch.redisArgv.length === 0;
  if (needs) {
    const why =
      r.launch.gaps.map((g) => `${g.at.file}:${g.at.line}: ${g.message}`).join('; ') ||
      "redis-server's invocation is not in the manifests";
    throw new Error(
      `local platform (direct mode) cannot run StatefulSet ${r.name}: ${why}. Install bubblewrap (apt-get install -y bubblewrap) ` +
        'so the local platform runs the pods as sandboxes with their own scripts and init containers, or use platform kind',
    );
  }
  if (r.launch.wrapper)
    warn(
      `direct mode: ${r.launch.wrapper.description} is not run; redis-server starts with the arguments it would exec (install bubblewrap to run the script)`,
    );
  if (r.initContainers.length)
    warn(
      `direct mode: init containers ${r.initContainers.map((c) => c.name).join(', ')} are not run (install bubblewrap to run them)`,
    );
}
