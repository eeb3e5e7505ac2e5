import { messageOf, TimeoutError } from '../errors.ts';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What one probe saw: done with a value, or not yet with a description of the state seen. */
export type ProbeResult<T> = { done: true; value: T } | { done: false; seen: string };

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called about every progressMs while waiting (progress lines for long waits). */
  onProgress?: (elapsedMs: number, seen: string) => void;
  progressMs?: number;
}

/**
 * Polls `probe` until it reports done or the timeout passes. A probe that throws counts as "not yet"
 * with the error as what was seen, so transient connection errors during a failover do not abort a wait.
 */
export async function waitFor<T>(what: string, probe: () => Promise<ProbeResult<T>>, opts: WaitOptions): Promise<T> {
  const start = Date.now();
  const interval = opts.intervalMs ?? 50;
  const progressEvery = opts.progressMs ?? 5000;
  let nextProgress = start + progressEvery;
  let seen = '';
  for (;;) {
    try {
      const r = await probe();
      if (r.done) return r.value;
      seen = r.seen;
    } catch (err) {
      seen = messageOf(err);
    }
    const now = Date.now();
    if (now - start >= opts.timeoutMs) throw new TimeoutError(what, opts.timeoutMs, seen);
    if (opts.onProgress && now >= nextProgress) {
      opts.onProgress(now - start, seen);
      nextProgress = now + progressEvery;
    }
    await sleep(Math.min(interval, Math.max(0, start + opts.timeoutMs - now)));
  }
}
