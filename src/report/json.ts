import type { Report } from './model.ts';

export const REPORT_JSON_FILE = 'report.json';

// What a reader looks for first in any object; every other key follows alphabetically, so the file does not
// depend on the order in which the pipeline happened to fill the report (diffs between runs stay small).
const LEADING_KEYS = [
  'schemaVersion',
  'tool',
  'verdict',
  'error',
  'name',
  'id',
  'event',
  'atMs',
  'status',
  'severity',
  'rule',
  'summary',
  'message',
  'path',
  'holdRestart',
  'startedAt',
  'durationMs',
];

function keyOrder(a: string, b: string): number {
  const ia = LEADING_KEYS.indexOf(a);
  const ib = LEADING_KEYS.indexOf(b);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? Infinity : ia) - (ib === -1 ? Infinity : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (value === null || typeof value !== 'object') return value;
  // Dates and the like in evidence: serialise them as JSON.stringify would.
  const { toJSON } = value as { toJSON?: () => unknown };
  if (typeof toJSON === 'function') return ordered(toJSON.call(value));
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => keyOrder(a, b));
  return Object.fromEntries(entries.map(([k, v]) => [k, ordered(v)]));
}

/** report.json: 2-space indented, keys in a fixed order, newline at the end. */
export function reportJson(report: Report): string {
  return `${JSON.stringify(ordered(report), null, 2)}\n`;
}
