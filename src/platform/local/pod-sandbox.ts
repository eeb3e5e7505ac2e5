import fs from 'node:fs';
import path from 'node:path';
import { CancelledError, TimeoutError } from '../../errors.ts';
import { REDIS_IMAGE_WORKDIR } from '../../manifests/container.ts';
import type { ContainerView } from '../../manifests/model.ts';
import { serverOfImage } from '../../manifests/server.ts';
import { settleWithin } from '../../util/wait.ts';
import { PROBE_OUTPUT_BYTES } from './bounded-read.ts';
import { containerEnv, expandVars } from './expand.ts';
import { missingProgramHint, tailOrNote } from './pod-logs.ts';
import { containerSecurity } from './pod-security.ts';
import type { Pod } from './pod-table.ts';
import { describeExit, startProcess, stopProcess, type StartOptions, type Supervised, within } from './process.ts';
import { bwrapCommand, type BwrapCommand, podShims, prepareRoot, type SandboxBind } from './sandbox.ts';
import { requireDeployed, track, type LocalState } from './state.ts';

/** The official Redis and Valkey images' `redis` user, which owns their /data. */
const REDIS_IMAGE_UID = 999;

/** The sandbox of one container of a pod: its own root, the pod's volumes, hosts file, shims, env and security. */
export function sandboxSpec(
  s: LocalState,
  pod: Pod,
  c: ContainerView,
  rootfs: string,
  env: Map<string, string>,
  argv: string[],
  kind: 'containers' | 'initContainers' = 'containers',
): BwrapCommand {
  const { inside } = s;
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
      path: s.binary!,
      name: requireDeployed(s).server.program,
      aliases: requireDeployed(s).server.aliases,
    }),
  );
  return bwrapCommand({
    security: containerSecurity(requireDeployed(s).statefulSet, kind, c.name),
    ...(s.setpriv ? { setpriv: fs.realpathSync(s.setpriv) } : {}),
    hostname: pod.name,
    rootfs,
    binds,
    env,
    cwd: c.workingDir,
    argv: argv.map((a) => expandVars(a, (n) => env.get(n))),
  });
}

/**
 * Starts a sandbox: its env and seccomp filter on file descriptors (never in the process list), inside the
 * run's firewall cgroup when there is one, with an environment of its own (bwrap clears it for the container).
 */
export function spawnSandbox(s: LocalState, cmd: BwrapCommand, output: StartOptions['output']): Promise<Supervised> {
  return startProcess(s.bwrap!, cmd.args, {
    cwd: s.workDir,
    output,
    registryDir: s.inside(s.registryDir),
    setpriv: s.setpriv,
    fds: cmd.fds,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    ...(s.confinement?.procs ? { cgroupProcs: s.confinement.procs } : {}),
  });
}

/** A command in the pod's container view, in a sandbox of its own beside the container's (`kubectl exec`). */
export async function execInPod(
  s: LocalState,
  pod: Pod,
  argv: string[],
  timeoutMs = 10_000,
): Promise<{ code: number | null; output: string }> {
  const r = requireDeployed(s);
  if (s.mode !== 'sandbox') throw new Error('local platform: exec needs sandbox mode');
  const env = containerEnv(
    r.container.env,
    { name: pod.name, namespace: r.namespace, uid: pod.uid, ip: pod.ip, labels: r.podLabels },
    s.warnOnce,
  );
  // Its output is kept as the kubelet keeps an exec probe's: the first PROBE_OUTPUT_BYTES, in memory.
  const proc = await spawnSandbox(s, sandboxSpec(s, pod, r.container, pod.layout.rootfs, env, argv), {
    captureBytes: PROBE_OUTPUT_BYTES,
  });
  track(s, proc);
  const exit = await within(proc.exited, timeoutMs);
  if (!exit) await stopProcess(proc, 'kill', 0);
  const output = proc.captured!();
  return { code: exit ? exit.code : null, output: exit ? output : `${output}(killed after ${timeoutMs} ms)` };
}

/** Runs a pod's init containers in order, each to completion, as the kubelet does before the containers. */
export async function runInitContainers(s: LocalState, pod: Pod): Promise<void> {
  const { ctx, workDir, readyTimeoutMs } = s;
  const r = requireDeployed(s);
  for (const ic of r.initContainers) {
    const env = containerEnv(
      ic.env,
      { name: pod.name, namespace: r.namespace, uid: pod.uid, ip: pod.ip, labels: r.podLabels },
      s.warnOnce,
    );
    const argv = ic.command.length ? [...ic.command, ...ic.args] : ic.args;
    if (argv.length === 0)
      throw new Error(
        `init container ${ic.name} of pod ${pod.name} has no command: its image's entrypoint only exists in the image; use platform kind`,
      );
    const logFile = s.inside(
      path.join(workDir, 'logs', `${pod.name}.${pod.incarnation}.init-${ic.name}.log`),
      `init container ${ic.name}'s log`,
    );
    const proc = await spawnSandbox(
      s,
      sandboxSpec(s, pod, ic, path.join(pod.layout.podDir, 'init', ic.name), env, argv, 'initContainers'),
      { logFile },
    );
    track(s, proc);
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
