import type { WriteStats } from './model.ts';

/** One write as the writer saw it. Times are Date.now() values. */
export interface WriteRecord {
  key: string;
  value: string;
  sentAt: number;
  /** Set when the write was acknowledged (and, in WAIT mode, confirmed by a replica). */
  ackAt?: number;
  error?: string;
  errorAt?: number;
}

export interface UnavailableWindow {
  /** Send time of the first write of the outage that was not acknowledged (failed, or skipped: never sent). */
  start: number;
  /** Time of the first acknowledgement after it; undefined while none has come. */
  end?: number;
}

/**
 * The longest outage: the longest stretch with no acknowledged write in which a write was due and not
 * acknowledged (it failed, or it was skipped while earlier writes hung), from that write's send (or due) time
 * to the next acknowledgement. Undefined when every due write was acknowledged.
 *
 * Why every stretch and not the first failure to the first success: with WAIT, a write in flight before the
 * fault can be acknowledged 1 ms after the first failure, and the refusal that follows (seconds) would go
 * unmeasured. Skipped writes count because a writer whose writes all hang sends almost nothing: its few
 * failures would otherwise stand for the whole stretch. A stall shorter than the command timeout in which
 * every write is acknowledged late is latency, not an outage (no write was refused).
 */
export function unavailableWindow(
  records: readonly WriteRecord[],
  skippedAt: readonly number[] = [],
  now = Date.now(),
): UnavailableWindow | undefined {
  const acks = records.flatMap((r) => (r.ackAt !== undefined ? [r.ackAt] : [])).sort((a, b) => a - b);
  const misses = [...records.flatMap((r) => (r.error !== undefined ? [r.sentAt] : [])), ...skippedAt].sort(
    (a, b) => a - b,
  );
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

/** What reading back an acknowledged key found: its value, or null when the key is missing. */
export type ReadBack = ReadonlyMap<string, string | null>;

/** Acknowledged writes whose key is missing or holds something other than what was written. */
export function lostWrites(records: readonly WriteRecord[], readBack: ReadBack): WriteRecord[] {
  return records.filter((r) => r.ackAt !== undefined && readBack.get(r.key) !== r.value);
}

const SAMPLE = 5;

/**
 * The report's WriteStats. A window that never closed (no acknowledgement after it began) runs to
 * `stoppedAt`: writes were still refused when the writer stopped. Skipped writes were never sent, so they have
 * no record: only their due times, which count in the unavailable window.
 */
export function writeStats(
  records: readonly WriteRecord[],
  readBack: ReadBack,
  info: { mode: WriteStats['mode']; ratePerSecond: number; skippedAt: readonly number[]; stoppedAt: number },
): WriteStats {
  const lost = lostWrites(records, readBack);
  const window = unavailableWindow(records, info.skippedAt, info.stoppedAt);
  const failed = records.filter((r) => r.error !== undefined);
  const errors = [...new Set(failed.map((r) => r.error!))];
  return {
    mode: info.mode,
    ratePerSecond: info.ratePerSecond,
    attempted: records.length,
    skipped: info.skippedAt.length,
    acknowledged: records.filter((r) => r.ackAt !== undefined).length,
    failed: failed.length,
    lost: lost.length,
    unavailableMs: window ? (window.end ?? info.stoppedAt) - window.start : 0,
    lostKeys: lost.slice(0, SAMPLE).map((r) => r.key),
    firstErrors: errors.slice(0, SAMPLE),
  };
}
