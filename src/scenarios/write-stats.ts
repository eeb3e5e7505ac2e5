import type { WriteStats } from '../report/model.ts';

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
  /** Send time of the first failed write. */
  start: number;
  /** Ack time of the first write sent after `start` that succeeded; undefined when none did. */
  end?: number;
}

/** First failed write to the first success after it (issue 5's definition); undefined when no write failed. */
export function unavailableWindow(records: readonly WriteRecord[]): UnavailableWindow | undefined {
  let start: number | undefined;
  for (const r of records) if (r.error !== undefined && (start === undefined || r.sentAt < start)) start = r.sentAt;
  if (start === undefined) return undefined;
  let end: number | undefined;
  for (const r of records) {
    if (r.ackAt !== undefined && r.sentAt >= start && (end === undefined || r.ackAt < end)) end = r.ackAt;
  }
  return { start, end };
}

/** What reading back an acknowledged key found: its value, or null when the key is missing. */
export type ReadBack = ReadonlyMap<string, string | null>;

/** Acknowledged writes whose key is missing or holds something other than what was written. */
export function lostWrites(records: readonly WriteRecord[], readBack: ReadBack): WriteRecord[] {
  return records.filter((r) => r.ackAt !== undefined && readBack.get(r.key) !== r.value);
}

const SAMPLE = 5;

/**
 * The report's WriteStats. A window that never closed (no success after the first failure) runs to
 * `stoppedAt`: writes were still refused when the writer stopped. `skipped` writes were never sent, so they
 * have no record.
 */
export function writeStats(
  records: readonly WriteRecord[],
  readBack: ReadBack,
  info: { mode: WriteStats['mode']; ratePerSecond: number; skipped: number; stoppedAt: number },
): WriteStats {
  const lost = lostWrites(records, readBack);
  const window = unavailableWindow(records);
  const failed = records.filter((r) => r.error !== undefined);
  const errors = [...new Set(failed.map((r) => r.error!))];
  return {
    mode: info.mode,
    ratePerSecond: info.ratePerSecond,
    attempted: records.length,
    skipped: info.skipped,
    acknowledged: records.filter((r) => r.ackAt !== undefined).length,
    failed: failed.length,
    lost: lost.length,
    unavailableMs: window ? (window.end ?? info.stoppedAt) - window.start : 0,
    lostKeys: lost.slice(0, SAMPLE).map((r) => r.key),
    firstErrors: errors.slice(0, SAMPLE),
  };
}
