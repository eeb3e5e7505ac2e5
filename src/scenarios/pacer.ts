/** Calls made at a steady rate with a bound on those in flight; see startPacer. */
export interface Pacer {
  /** Calls whose promise has not settled yet. */
  inFlight(): number;
  /** Calls that fell due while `maxInFlight` were in flight, and were never made. */
  skipped(): number;
  /** Makes no more calls; those in flight go on. */
  stop(): void;
}

export interface PacerOptions {
  ratePerSecond: number;
  maxInFlight: number;
  /** One call; it records its own outcome (a rejection is not caught here). */
  send: () => Promise<void>;
  /** Told the due time (Date.now() scale) of each call skipped at the bound. */
  onSkip?: (dueAt: number) => void;
}

/**
 * Calls `send` at a steady rate scheduled by the clock, so a slow reply does not slow the rate down. A call
 * that falls due while `maxInFlight` are unsettled is skipped, not queued (a queue would only fire a burst
 * when the hang ends), and counted, so that a report can say how much less than the rate was sent.
 */
export function startPacer(opts: PacerOptions): Pacer {
  if (!(opts.ratePerSecond > 0)) throw new Error(`rate must be positive, got ${opts.ratePerSecond}`);
  let inFlight = 0;
  let skipped = 0;
  let scheduled = 0;
  const started = Date.now();
  const tick = (): void => {
    const due = Math.floor(((Date.now() - started) * opts.ratePerSecond) / 1000);
    for (; scheduled < due; scheduled++) {
      if (inFlight >= opts.maxInFlight) {
        skipped++;
        opts.onSkip?.(started + Math.ceil(((scheduled + 1) * 1000) / opts.ratePerSecond));
        continue;
      }
      inFlight++;
      void opts.send().finally(() => {
        inFlight--;
      });
    }
  };
  const timer = setInterval(tick, Math.max(1, Math.min(20, Math.floor(1000 / opts.ratePerSecond))));
  return {
    inFlight: () => inFlight,
    skipped: () => skipped,
    stop: () => clearInterval(timer),
  };
}
