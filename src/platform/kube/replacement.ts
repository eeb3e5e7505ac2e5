import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { PodNotServingError } from '../../errors.ts';
import { waitFor } from '../../util/wait.ts';
import type { PodInfo } from '../platform.ts';
import { isPodStarted, toPodInfo, type StatefulSetTarget } from './pods.ts';
import { blockedMessage, blockedPods, diagnosePod } from './rollout.ts';

export interface ReplacementDeps {
  core: CoreV1Api;
  statefulSet: StatefulSetTarget;
  /** The pod, or undefined when there is none by that name. */
  readPod(name: string): Promise<V1Pod | undefined>;
  /** Port-forward reach: the pod's forward listening before its address is handed out. */
  forwardsReady(pods: PodInfo[]): Promise<void>;
  signal?: AbortSignal;
}

/**
 * Least time between two listings of the namespace's Warning events while a new pod is not running: the pod is
 * read every 200 ms (the failover is timed by it), but a whole namespace's events at that pace only loads the
 * API server, and a pod that cannot start says so no sooner.
 */
export const EVENTS_INTERVAL_MS = 2000;

/**
 * Platform.waitForReplacement on Kubernetes: pod `name` back with a UID other than `oldUid`, Running with its IP.
 * A new pod that cannot start ends the wait with the kubelet's word (PodNotServingError); a timeout says why the
 * pod is stuck.
 */
export async function waitForReplacement(
  deps: ReplacementDeps,
  name: string,
  oldUid: string,
  timeoutMs: number,
): Promise<PodInfo> {
  const { core, statefulSet } = deps;
  const { namespace } = statefulSet;
  let eventsAt = -Infinity;
  try {
    const outcome = await waitFor<PodInfo | { blocked: string[] }>(
      `pod ${name} to be recreated (a UID other than ${oldUid}) and running`,
      async () => {
        const pod = await deps.readPod(name);
        if (!pod) return { done: false, seen: 'no such pod yet' };
        if (pod.metadata?.uid === oldUid) return { done: false, seen: 'the old pod is still there' };
        if (isPodStarted(pod)) return { done: true, value: toPodInfo(pod, statefulSet.name) };
        const seen = `new pod ${pod.status?.phase ?? '?'}, not running yet`;
        if (Date.now() - eventsAt < EVENTS_INTERVAL_MS) return { done: false, seen };
        eventsAt = Date.now();
        // A new pod that cannot start (a failed mount, a missing ConfigMap) ends the wait with the kubelet's word.
        const blocked = await blockedPods(core, namespace, [pod]);
        return blocked.length ? { done: true, value: { blocked } } : { done: false, seen };
      },
      { timeoutMs, intervalMs: 200, signal: deps.signal },
    );
    // Recreated, but it will never serve: as a local pod whose container exits (pod-recreated fails, not skipped).
    if ('blocked' in outcome) throw new PodNotServingError(blockedMessage(`pod ${name} (recreated)`, outcome.blocked));
    const back = outcome;
    // Its forward listens before its address is handed out (a cluster client's natMap cannot wait).
    await deps.forwardsReady([back]);
    return back;
  } catch (err) {
    if (err instanceof PodNotServingError) throw err; // it says why already
    // Say why it is stuck (image, scheduling, crash loop) rather than only "not ready".
    const pod = await deps.readPod(name).catch(() => undefined);
    if (pod && pod.metadata?.uid !== oldUid) {
      const why = await diagnosePod(core, namespace, pod).catch(() => '');
      if (why && err instanceof Error) err.message += `\n${why}`;
    }
    throw err;
  }
}
