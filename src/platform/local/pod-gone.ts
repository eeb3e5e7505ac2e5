import { waitFor } from '../../util/wait.ts';
import type { Pod } from './pod-table.ts';
import { addressAnswers } from './server-probe.ts';

/** Bound on a deleted pod's address to stop answering once its processes are gone. */
export const GONE_TIMEOUT_MS = 10_000;

/** Gone means the pod's address no longer answers, not only that the process it started has exited. */
export async function untilGone(pod: Pod, port: number): Promise<void> {
  const ip = pod.ip;
  await waitFor(
    `${ip}:${port} to stop answering once pod ${pod.name}'s processes are gone`,
    async () =>
      (await addressAnswers(ip, port)) ? { done: false, seen: 'still answering' } : { done: true, value: undefined },
    { timeoutMs: GONE_TIMEOUT_MS, intervalMs: 25 },
  );
}
