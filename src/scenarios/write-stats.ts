import type { WriteStats } from './model.ts';
import type { Op, WriteTotals } from './history/model.ts';
import type { HistoryVerdict } from './history/check.ts';

/** What the window needs of a write: when it was sent, and when and how it ended (Date.now() times). */
export type WriteTimes = Pick<Op, 'invokeAt' | 'completeAt' | 'outcome'>;

export interface UnavailableWindow {
  /** Send time of the first write of the outage that was not acknowledged (failed, or skipped: never sent). */
  start: number;
  /** Time of the first acknowledgement after it; undefined while none has come. */
  end?: number;
}

/**
 * The longest outage: the longest stretch with no acknowledged write in which a write was due and not
 * acknowledged (it failed or was indeterminate, or it was skipped while earlier writes hung), from that
 * write's send (or due) time to the next acknowledgement. Undefined when every due write was acknowledged.
 *
 * Why every stretch and not the first failure to the first success: with WAIT, a write in flight before the
 * fault can be acknowledged 1 ms after the first failure, and the refusal that follows (seconds) would go
 * unmeasured. Skipped writes count because a writer whose writes all hang sends almost nothing: its few
 * failures would otherwise stand for the whole stretch. A stall shorter than the command timeout in which
 * every write is acknowledged late is latency, not an outage (no write was refused).
 */
export function unavailableWindow(
  writes: readonly WriteTimes[],
  skippedAt: readonly number[] = [],
  now = Date.now(),
): UnavailableWindow | undefined {
  const acks = writes.flatMap((w) => (w.outcome === 'ok' ? [w.completeAt!] : [])).sort((a, b) => a - b);
  const misses = [
    ...writes.flatMap((w) => (w.outcome !== undefined && w.outcome !== 'ok' ? [w.invokeAt] : [])),
    ...skippedAt,
  ].sort((a, b) => a - b);
  let best: UnavailableWindow | undefined;
  let bestMs = -1;
  let i = 0; // acks[i] is the first acknowledgement after the current miss
  for (let m = 0; m < misses.length;) {
    const start = misses[m]!;
    while (i < acks.length && acks[i]! <= start) i++;
    const end = acks[i];
    const ms = (end ?? now) - start;
    if (ms > bestMs) {
      best = end === undefined ? { start } : { start, end };
      bestMs = ms;
    }
    // Later misses before the same acknowledgement belong to this stretch.
    while (m < misses.length && (end === undefined || misses[m]! < end)) m++;
  }
  return best;
}

const SAMPLE = 5;

/**
 * The report's WriteStats, from the writer's writes, the history's write totals (every write, also those its
 * bounds dropped; `verdict.writes` when nothing was dropped) and the checker's verdict: lost is the checker's (acknowledged, then missing from every read that began after, the final read included). A window
 * that never closed (no acknowledgement after it began) runs to `stoppedAt`: writes were still refused when
 * the writer stopped. Skipped writes were never sent, so they have no operation: only their due times, which
 * count in the unavailable window.
 */
export function writeStats(
  writes: readonly Op[],
  verdict: HistoryVerdict,
  info: { mode: WriteStats['mode']; ratePerSecond: number; skippedAt: readonly number[]; stoppedAt: number },
  totals: WriteTotals = verdict.writes,
): WriteStats {
  const window = unavailableWindow(writes, info.skippedAt, info.stoppedAt);
  const errors = new Set<string>();
  for (const w of writes) {
    if (errors.size >= SAMPLE) break;
    if (w.outcome !== 'ok' && w.error !== undefined) errors.add(w.error);
  }
  return {
    mode: info.mode,
    ratePerSecond: info.ratePerSecond,
    attempted: totals.attempted,
    skipped: info.skippedAt.length,
    acknowledged: totals.ok,
    failed: totals.failed + totals.indeterminate,
    lost: verdict.values.lost,
    unavailableMs: window ? (window.end ?? info.stoppedAt) - window.start : 0,
    lostKeys: (verdict.examples.lost ?? []).slice(0, SAMPLE).map((a) => `${a.key} value ${a.value ?? '?'}`),
    firstErrors: [...errors],
    history: verdict,
  };
}
