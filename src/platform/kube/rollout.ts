import type { CoreV1Api, CoreV1Event, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { TimeoutError } from '../../errors.ts';
import type { Log } from '../../util/log.ts';
import { waitFor } from '../../util/wait.ts';
import { isPodReady, statefulSetPods, type StatefulSetTarget } from './pods.ts';
import { serverLogHint } from '../server-log-hints.ts';

const PULL_ERRORS = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull']);
const LOG_LINES = 20;

const indent = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
const timeOf = (e: CoreV1Event) =>
  new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? 0).getTime();

/** The latest Warning event about an object ("reason: message"), or undefined. */
async function lastWarning(core: CoreV1Api, namespace: string, name: string): Promise<string | undefined> {
  const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` }).then(
    (l) => l.items,
    () => [] as CoreV1Event[],
  );
  const last = events
    .filter((e) => e.type === 'Warning')
    .sort((a, b) => timeOf(a) - timeOf(b))
    .at(-1);
  return last ? `${last.reason ?? 'Warning'}: ${last.message ?? ''}`.trim() : undefined;
}

/** The last log lines of the container's previous run (the one that crashed), else of its current one. */
async function lastLogLines(core: CoreV1Api, namespace: string, pod: string, container: string): Promise<string> {
  const read = (previous: boolean) =>
    core.readNamespacedPodLog({ name: pod, namespace, container, previous, tailLines: LOG_LINES });
  const text = await read(true)
    .catch(() => read(false))
    .catch(() => '');
  if (text.trim() === '') return '(no log output)';
  const hint = serverLogHint(text);
  return hint ? `${hint}\n${text}` : text;
}

/** Why one pod is not ready, in the words a user acts on. */
export async function diagnosePod(core: CoreV1Api, namespace: string, pod: V1Pod): Promise<string> {
  const name = pod.metadata?.name ?? '(unnamed pod)';
  const phase = pod.status?.phase ?? 'Unknown';
  const statuses: V1ContainerStatus[] = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];

  const pull = statuses.find((s) => PULL_ERRORS.has(s.state?.waiting?.reason ?? ''));
  if (pull) {
    const w = pull.state!.waiting!;
    return `${name}: image "${pull.image}" cannot be pulled (${w.reason ?? 'no reason'}): ${w.message ?? 'no message'}`;
  }

  const crash = statuses.find((s) => s.state?.waiting?.reason === 'CrashLoopBackOff');
  if (crash) {
    const t = crash.lastState?.terminated;
    const exit = t ? `, last exit code ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}` : '';
    const logs = await lastLogLines(core, namespace, name, crash.name);
    return `${name}: container ${crash.name} keeps crashing (CrashLoopBackOff, ${crash.restartCount} restarts${exit}); last log lines:\n${indent(logs)}`;
  }

  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (phase === 'Pending' && scheduled?.status === 'False') {
    const why =
      scheduled.message ||
      (await lastWarning(core, namespace, name)) ||
      scheduled.reason ||
      'the scheduler gave no reason';
    return `${name}: Pending, not scheduled: ${why}`;
  }

  const warning = await lastWarning(core, namespace, name);
  const also = warning ? `; last warning: ${warning}` : '';
  const waiting = statuses.find((s) => s.state?.waiting);
  if (waiting) {
    const w = waiting.state!.waiting!;
    return `${name}: ${phase}, container ${waiting.name} waiting (${w.reason ?? 'no reason'}${w.message ? `: ${w.message}` : ''})${also}`;
  }
  if (phase === 'Running') return `${name}: running but not ready${also}`;
  return `${name}: ${phase}${also}`;
}

/** Everything that keeps the StatefulSet from being ready: missing pods and each pod that is not ready. */
export async function diagnoseRollout(core: CoreV1Api, target: StatefulSetTarget, pods: V1Pod[]): Promise<string> {
  const lines: string[] = [];
  if (pods.length < target.replicas) {
    const warning = await lastWarning(core, target.namespace, target.name);
    lines.push(
      `only ${pods.length} of ${target.replicas} pods exist${warning ? ` (StatefulSet ${target.name}: ${warning})` : ''}`,
    );
  }
  for (const pod of pods.filter((p) => !isPodReady(p))) lines.push(await diagnosePod(core, target.namespace, pod));
  return lines.join('\n') || 'every pod ready';
}

const summary = (pods: V1Pod[], replicas: number) =>
  `${pods.filter(isPodReady).length}/${replicas} ready` +
  pods
    .filter((p) => !isPodReady(p))
    .map((p) => `; ${p.metadata?.name ?? '?'}: ${p.status?.phase ?? '?'}`)
    .join('');

/**
 * Container waiting reasons the kubelet cannot get past by retrying: an image reference that does not parse
 * (InvalidImageName), an image the policy forbids pulling and the node does not have (ErrImageNeverPull), and a
 * container config naming a ConfigMap/Secret (or key) that does not exist (CreateContainerConfigError "... not
 * found"). The kubelet retries each on every pod sync, but only a change from outside the pod (an object
 * created, the manifest fixed) can end them, and after apply the run makes none.
 */
const STUCK_WAITING = new Set(['InvalidImageName', 'ErrImageNeverPull']);

/**
 * A FailedMount the kubelet's retries cannot cure. The volume manager retries a failed mount by itself with
 * exponential back-off (nestedpendingoperations: 500 ms doubling to about 2 min), so one FailedMount only says
 * one attempt failed; what makes it final is its cause: the mount command itself failed (`mount failed: exit
 * status 32`: an NFS server that refuses, cannot be resolved or has no such export) or the volume's source does
 * not exist (`configmap "x" not found`, `secret "x" not found`, a claim not found). Left to the timeout: the
 * kubelet's own transient ones (`object "ns"/"x" not registered` while its object cache syncs, a CSI driver "not
 * found in the list of registered CSI drivers" while its node plugin starts, "timed out waiting for the
 * condition").
 */
export function finalMountFailure(message: string): boolean {
  if (/not registered|list of registered CSI drivers|timed out waiting for the condition/i.test(message)) return false;
  return /mount failed: exit status|mount\.nfs|(configmaps?|secrets?|persistentvolumeclaims?) "[^"]+" not found/i.test(
    message,
  );
}

/** Why a pod cannot become ready without a change from outside (see above), from its statuses and events. */
export function unresolvable(pod: V1Pod, events: CoreV1Event[]): string | undefined {
  const name = pod.metadata?.name ?? '?';
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    const w = s.state?.waiting;
    if (!w?.reason) continue;
    if (
      STUCK_WAITING.has(w.reason) ||
      (w.reason === 'CreateContainerConfigError' && (w.message ?? '').includes('not found'))
    )
      return `${name}: container ${s.name} ${w.reason}: ${w.message ?? 'no message'}`;
  }
  const mount = events
    .filter((e) => e.involvedObject.uid === pod.metadata?.uid && e.reason === 'FailedMount')
    .find((e) => finalMountFailure(e.message ?? ''));
  return mount ? `${name}: FailedMount: ${(mount.message ?? '').trim()}` : undefined;
}

/**
 * Why each of `pods` cannot become ready without a change from outside (unresolvable), from their statuses and
 * the namespace's Warning events (field selector type=Warning, one of the Event's selectable fields); a failure
 * to list the events is not an error (the statuses still count).
 */
export async function blockedPods(core: CoreV1Api, namespace: string, pods: V1Pod[]): Promise<string[]> {
  if (pods.length === 0) return [];
  const events = await core.listNamespacedEvent({ namespace, fieldSelector: 'type=Warning' }).then(
    (l) => l.items,
    () => [] as CoreV1Event[],
  );
  return pods.map((p) => unresolvable(p, events)).filter((b): b is string => b !== undefined);
}

/** Error ending a wait for pods before its timeout: a pod that no retry of the kubelet's can make ready. */
export class RolloutBlockedError extends Error {}

/** Why `what` cannot become ready, for `blocked` pods (blockedPods). */
export const blockedMessage = (what: string, blocked: string[]) =>
  `${what} cannot become ready: ${blocked.length === 1 ? 'a pod' : `${blocked.length} pods`} will not start without a change from outside (the kubelet's retries cannot cure it):\n${blocked.map((b) => `  ${b}`).join('\n')}`;

/**
 * Waits until all `replicas` pods of the StatefulSet exist, are ready and have an IP. On timeout the
 * TimeoutError carries the diagnosis of what is stuck (image pulls, scheduling, crash loops with their logs).
 * A pod that cannot become ready without a change from outside (unresolvable: a failed NFS mount, a missing
 * ConfigMap, an invalid image name) ends the wait at once with a RolloutBlockedError carrying the event's
 * message, instead of waiting out the timeout (events are listed only while a pod is not ready).
 */
export async function waitForRollout(
  core: CoreV1Api,
  target: StatefulSetTarget,
  opts: { timeoutMs: number; intervalMs?: number; log: Log; signal?: AbortSignal },
): Promise<V1Pod[]> {
  const what = `StatefulSet ${target.name}: ${target.replicas} pods ready`;
  let last: V1Pod[] = [];
  let outcome: { pods: V1Pod[] } | { blocked: string[] };
  try {
    outcome = await waitFor<{ pods: V1Pod[] } | { blocked: string[] }>(
      what,
      async () => {
        last = await statefulSetPods(core, target);
        const done = last.length === target.replicas && last.every((p) => isPodReady(p) && p.status?.podIP);
        if (done) return { done: true, value: { pods: last } };
        const blocked = await blockedPods(
          core,
          target.namespace,
          last.filter((p) => !isPodReady(p)),
        );
        return blocked.length
          ? { done: true, value: { blocked } }
          : { done: false, seen: summary(last, target.replicas) };
      },
      {
        timeoutMs: opts.timeoutMs,
        intervalMs: opts.intervalMs ?? 2000,
        signal: opts.signal,
        onProgress: (ms, seen) => opts.log.progress(`${Math.round(ms / 1000)} s: ${seen}`),
      },
    );
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    const diagnosis = await statefulSetPods(core, target)
      .then((pods) => diagnoseRollout(core, target, pods))
      .catch(() => diagnoseRollout(core, target, last))
      .catch(() => err.lastSeen);
    throw new TimeoutError(what, opts.timeoutMs, `\n${diagnosis}`);
  }
  if ('pods' in outcome) return outcome.pods;
  throw new RolloutBlockedError(blockedMessage(`StatefulSet ${target.name}`, outcome.blocked));
}
