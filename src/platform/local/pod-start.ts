import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { messageOf, TimeoutError } from '../../errors.ts';
import { effectiveArgv } from '../../manifests/container.ts';
import { valueAt } from '../../manifests/object-path.ts';
import { templateRevision } from '../../manifests/rollout-changes.ts';
import { waitFor } from '../../util/wait.ts';
import { containerEnv } from './expand.ts';
import { listenerHeldBy } from './listener-owner.ts';
import { placePod, schedulingRules } from './nodes.ts';
import { preparePodFs, toHostPath } from './pod-fs.ts';
import { GONE_TIMEOUT_MS } from './pod-gone.ts';
import { updateHosts } from './pod-hosts.ts';
import { describeState } from './pod-lifecycle.ts';
import { LOG_TAIL_LINES, logTail, missingProgramHint } from './pod-logs.ts';
import { execInPod, runInitContainers, sandboxSpec, spawnSandbox } from './pod-sandbox.ts';
import { tornDown, type Pod } from './pod-table.ts';
import { POST_START_TIMEOUT_MS, postStartCommand } from './post-start.ts';
import { describeExit, processGroupOf, startProcess, stopProcess, type Supervised, within } from './process.ts';
import { waitProbe } from './readiness.ts';
import { localRedisConf } from './redis-conf.ts';
import { mainProcessOf } from './sandbox.ts';
import { infoServer, serving } from './server-probe.ts';
import { requireDeployed, track, type LocalState } from './state.ts';

/** A new pod whose address turns out to be bound by a process outside any run tries this many addresses. */
const BIND_ATTEMPTS = 3;

/** redis-server could not bind its address: something outside this run (and outside any run's claim) holds it. */
class AddressTakenError extends Error {}

/** Carries out a start the pod's machine has entered; its failure is the machine's next event. */
export function runStart(s: LocalState, pod: Pod, onError: (err: Error) => void): Promise<void> {
  pod.starting = startPod(s, pod).catch((err: unknown) => {
    const error = err instanceof Error ? err : new Error(String(err));
    pod.lifecycle.fire({ type: 'start-failed', error });
    onError(error);
  });
  return pod.starting;
}

/**
 * Starts redis-server for a pod and waits until it answers PING. A new pod (first start, or recreated after a
 * delete) gets a fresh filesystem, a new address and a new UID; a restarted container (its redis-server
 * exited by itself) keeps the pod's address, UID and volumes, as a Kubernetes container restart does.
 */
async function startPod(s: LocalState, pod: Pod, attempt = 1): Promise<void> {
  const { ctx, workDir, inside } = s;
  const r = requireDeployed(s);
  const state = pod.lifecycle.state;
  if (state.phase !== 'starting')
    throw new Error(`local platform: pod ${pod.name} started while ${describeState(state)}`);
  const what = state.what;
  // nodes.conf is locked while the old process lives (it has exited already after a back-off or a deletion).
  const old = pod.proc;
  if (old && !old.exit && !(await within(old.exited, GONE_TIMEOUT_MS)))
    throw new TimeoutError(`pod ${pod.name}'s previous process (pid ${old.pid}) to exit`, GONE_TIMEOUT_MS, 'running');
  if (tornDown(pod)) return;
  if (what === 'pod') pod.node = bindNode(s, pod);
  pod.incarnation++;
  if (what === 'pod') {
    pod.uid = randomUUID();
    pod.ip = await s.allocator!.next();
    await s.confinement?.allow(pod.ip);
    pod.revision = templateRevision(r);
  }
  await preparePodFs(pod.layout, r, s.warnOnce, what);
  const env = containerEnv(
    r.container.env,
    { name: pod.name, namespace: r.namespace, uid: pod.uid, ip: pod.ip, labels: r.podLabels },
    s.warnOnce,
  );
  fs.mkdirSync(inside(path.join(workDir, 'logs')), { recursive: true });
  pod.logFile = inside(path.join(workDir, 'logs', `${pod.name}.${pod.incarnation}.log`), `pod ${pod.name}'s log`);
  const proc = s.mode === 'sandbox' ? await startSandboxed(s, pod, what, env) : await startDirect(s, pod, env);
  if (!proc) return;
  pod.proc = proc;
  pod.startedAt = Date.now();
  track(s, proc);
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
    await waitReady(s, pod, proc, r.port);
  } catch (err) {
    if (!(err instanceof AddressTakenError) || what !== 'pod' || attempt >= BIND_ATTEMPTS || tornDown(pod)) throw err;
    // Not a crash of the pod's own: no container restart (the back-off its exit began is left), a new pod on
    // the next address.
    ctx.log.warn(`local platform: ${err.message.split('\n')[0]!}; trying the next address`);
    pod.lifecycle.fire({ type: 'start', what: 'pod', gated: state.gated });
    return startPod(s, pod, attempt + 1);
  }
  pod.lifecycle.fire({ type: 'answered' });
  await waitProbe(s, pod, proc);
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
function bindNode(s: LocalState, pod: Pod): string {
  const r = requireDeployed(s);
  const rules = schedulingRules(valueAt(r.statefulSet.body, ['spec', 'template', 'spec']));
  for (const what of rules.unmodelled) s.warnOnce(`scheduling: ${what} not modelled; the pod is placed without it`);
  const placed = s.pods
    .all()
    .filter((p) => p !== pod && p.node !== '')
    .map((p) => ({ name: p.name, node: p.node, labels: r.podLabels }));
  const where = placePod(rules, r.podLabels, s.nodes, placed);
  if ('pending' in where) throw new Error(`pod ${pod.name} stays Pending: ${where.pending}`);
  return where.node;
}

/** redis-server on the host with a redis.conf written from the manifests' directives (paths mapped). */
async function startDirect(s: LocalState, pod: Pod, env: Map<string, string>): Promise<Supervised | undefined> {
  const { inside } = s;
  const r = requireDeployed(s);
  const cwd = r.container.workingDir;
  const conf = localRedisConf(r, {
    ip: pod.ip,
    hostPath: (p) => inside(toHostPath(p, r, pod.layout, cwd), `${p} in pod ${pod.name}`),
    env,
    info: s.infoOnce,
  });
  const confFile = inside(path.join(pod.layout.podDir, 'redis.conf'), `pod ${pod.name}'s redis.conf`);
  fs.writeFileSync(confFile, conf);
  if (tornDown(pod)) return undefined;
  return startProcess(s.binary!, [confFile], {
    cwd: inside(toHostPath(cwd, r, pod.layout), `pod ${pod.name}'s working directory`),
    output: { logFile: pod.logFile! },
    registryDir: inside(s.registryDir),
    setpriv: s.setpriv,
  });
}

/** The pod's init containers (a new pod only, as the kubelet does), then its container, each sandboxed. */
async function startSandboxed(
  s: LocalState,
  pod: Pod,
  what: 'pod' | 'container',
  env: Map<string, string>,
): Promise<Supervised | undefined> {
  const { ctx } = s;
  const r = requireDeployed(s);
  updateHosts(s);
  if (what === 'pod') await runInitContainers(s, pod);
  if (tornDown(pod)) return undefined;
  const argv = effectiveArgv(r.container.command, r.container.args, r.server.program);
  const proc = await spawnSandbox(s, sandboxSpec(s, pod, r.container, pod.layout.rootfs, env, argv), {
    logFile: pod.logFile!,
  });
  proc.mainPid = () => mainProcessOf(proc.pid);
  const hook = postStartCommand(r);
  if (hook)
    void execInPod(s, pod, hook, POST_START_TIMEOUT_MS)
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

async function waitReady(s: LocalState, pod: Pod, proc: Supervised, port: number): Promise<void> {
  const { ctx } = s;
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
        timeoutMs: s.readyTimeoutMs,
        intervalMs: 25,
        signal: ctx.signal,
        onProgress: (ms, seen) => ctx.log.progress(`${what}: ${seen} (${ms} ms)`),
      },
    );
  } catch (err) {
    if (err instanceof TimeoutError)
      throw new TimeoutError(err.what, err.timeoutMs, `${err.lastSeen}\n${logTail(s.workDir, s.redis, pod)}`, {
        cause: err,
      });
    throw err;
  }
  if (outcome === 'exited') {
    const logs = logTail(s.workDir, s.redis, pod);
    if (logs.includes('Address already in use')) {
      throw new AddressTakenError(`pod ${pod.name}: ${pod.ip}:${port} is bound by a process outside this run\n${logs}`);
    }
    throw new Error(
      `pod ${pod.name}: ${s.mode === 'sandbox' ? 'its container' : 'redis-server'} ${describeExit(proc.exit!)} before answering on ${pod.ip}:${port}${missingProgramHint(logs)}\n${logs}`,
    );
  }
}
