import { CancelledError, KubeApiError, messageOf, TimeoutError } from '../errors.ts';

/**
 * Node's largest timer: a setTimeout delay above 2^31-1 ms (24.8 days) is taken as 1 ms (Node's timers docs), so
 * a grace period or probe timeout the manifests make that long would fire at once. Waits are capped here.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` as a timer can wait it: capped at MAX_TIMER_MS (at most 24.8 days instead of 1 ms). */
export const timerMs = (ms: number): number => Math.min(Math.max(0, ms), MAX_TIMER_MS);

/** Resolves after `ms`, or at once when `signal` is aborted (the caller then sees signal.aborted). */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, timerMs(ms));
    signal?.addEventListener('abort', done, { once: true });
  });

/** What one probe saw: done with a value, or not yet with a description of the state seen. */
export type ProbeResult<T> = { done: true; value: T } | { done: false; seen: string };

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called about every progressMs while waiting (progress lines for long waits). */
  onProgress?: (elapsedMs: number, seen: string) => void;
  progressMs?: number;
  /** A single probe gets at least this long (default 10 s), so a wait of timeoutMs 0 (look once) still looks. */
  minProbeMs?: number;
  /** Ends the wait with CancelledError as soon as it is aborted (the run was cancelled). */
  signal?: AbortSignal;
}

/** One probe, abandoned (counted as "not yet") when it does not settle in time: a call with no timeout of its
 * own (an API request to a dead server) must not hang the wait. Also abandoned at once on abort: a cancelled
 * run must reach its cleanup within GitHub's 7.5 s, not after a slow probe. */
function boundedProbe<T>(probe: () => Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T> {
  return settleWithin(probe(), ms, `no answer within ${(ms / 1000).toFixed(1)} s`, signal);
}

/** `work`, or a rejection with `late` once `ms` pass (or 'cancelled' once `signal` aborts) before it settles.
 * `work` itself is abandoned, not stopped. */
export function settleWithin<T>(work: Promise<T>, ms: number, late: string, signal?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const lateness = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(late)), timerMs(ms));
    onAbort = () => reject(new Error('cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, lateness]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  });
}

/**
 * Polls `probe` until it reports done or the timeout passes. A probe that throws counts as "not yet"
 * with the error as what was seen, so transient connection errors during a failover do not abort a wait;
 * a Kubernetes API error that asking again cannot cure (401, 403, 400, ...) ends the wait at once.
 */
export async function waitFor<T>(what: string, probe: () => Promise<ProbeResult<T>>, opts: WaitOptions): Promise<T> {
  const start = Date.now();
  const interval = opts.intervalMs ?? 50;
  const progressEvery = opts.progressMs ?? 5000;
  let nextProgress = start + progressEvery;
  let seen: string;
  let lastError: unknown;
  for (;;) {
    if (opts.signal?.aborted) throw new CancelledError(what);
    try {
      const r = await boundedProbe(
        probe,
        Math.max(start + opts.timeoutMs - Date.now(), opts.minProbeMs ?? 10_000),
        opts.signal,
      );
      if (r.done) return r.value;
      seen = r.seen;
      lastError = undefined;
    } catch (err) {
      if (opts.signal?.aborted) throw new CancelledError(what);
      if (err instanceof KubeApiError && !err.retryable) throw err;
      seen = messageOf(err);
      lastError = err;
    }
    const now = Date.now();
    if (now - start >= opts.timeoutMs)
      throw new TimeoutError(what, opts.timeoutMs, seen, lastError === undefined ? undefined : { cause: lastError });
    if (opts.onProgress && now >= nextProgress) {
      opts.onProgress(now - start, seen);
      nextProgress = now + progressEvery;
    }
    await sleep(Math.min(interval, Math.max(0, start + opts.timeoutMs - now)), opts.signal);
  }
}
