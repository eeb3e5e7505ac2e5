import { CancelledError, PodNotServingError } from '../../errors.ts';
import { waitFor } from '../../util/wait.ts';
import type { PodInfo } from '../platform.ts';
import { describePod, podInfo } from './pod-table.ts';
import type { LocalState } from './state.ts';

/** Waits for pod `name` to be recreated (a UID other than `oldUid`) and running, or for its start to fail. */
export async function waitForReplacement(
  s: LocalState,
  name: string,
  oldUid: string,
  timeoutMs: number,
): Promise<PodInfo> {
  const { ctx } = s;
  const pod = s.pods.named(name);
  const result = await waitFor<PodInfo | Error>(
    `pod ${name} to be recreated (UID other than ${oldUid}) and ready`,
    async () => {
      const st = pod.lifecycle.state;
      if (pod.uid !== oldUid) {
        const error = st.phase === 'failed' || st.phase === 'back-off' ? st.error : undefined;
        if (error) return { done: true, value: error };
        if (st.phase === 'running' || st.phase === 'ready') return { done: true, value: podInfo(pod) };
      }
      return { done: false, seen: describePod(pod) };
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
