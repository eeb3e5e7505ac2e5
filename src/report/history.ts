import type { Anomaly, AnomalyKind, HistoryVerdict, OpView } from '../scenarios/history/check.ts';

// The history checker's verdict in words (summary.md, terminal): what was written and read, how every value
// ended, and the first examples of each anomaly with their operations.

const KIND_WORD: Record<AnomalyKind, string> = {
  lost: 'lost',
  'unacknowledged-lost': 'seen, then gone (never acknowledged)',
  stale: 'stale read',
  'never-read': 'never read',
  'failed-seen': 'refused, yet read',
  unexpected: 'unexpected value',
  divergence: 'divergent reads',
  duplicate: 'duplicate',
  reorder: 'reordered',
};

/** The verdict in two or three sentences, after `label` (default "History"). */
export function historyText(v: HistoryVerdict, label = 'History'): string {
  const c = v.values;
  const parts = [
    `${label}: ${v.writes.attempted} writes (${v.writes.ok} acknowledged, ${v.writes.failed} refused, ` +
      `${v.writes.indeterminate} indeterminate) and ${v.reads.attempted} reads of ${v.keys} key${v.keys === 1 ? '' : 's'}.`,
    `Every written value, as Jepsen's set-full checker classifies it: ${c.stable} stable, ${c.stale} stale, ` +
      `${c.lost} lost, ${c['never-read']} never read, ${c.indeterminate} indeterminate (present or absent, both allowed), ` +
      `${c.failed} refused.`,
  ];
  const anomalies = [
    v.divergence &&
      `${v.divergence} read${v.divergence === 1 ? '' : 's'} diverging from an earlier one (two masters took writes for the same slots: split brain as clients saw it)`,
    v.duplicates && `${v.duplicates} value${v.duplicates === 1 ? '' : 's'} read twice`,
    v.reordered && `${v.reordered} value${v.reordered === 1 ? '' : 's'} out of real-time order`,
    v.unacknowledgedLost &&
      `${v.unacknowledgedLost} value${v.unacknowledgedLost === 1 ? '' : 's'} never acknowledged that a read saw and later reads did not (a state clients saw, then rolled back; set-full would count ${v.unacknowledgedLost === 1 ? 'it' : 'them'} lost)`,
    v.failedSeen && `${v.failedSeen} refused write${v.failedSeen === 1 ? '' : 's'} found in a read`,
    v.unexpected && `${v.unexpected} value${v.unexpected === 1 ? '' : 's'} no write wrote`,
  ].filter((x): x is string => typeof x === 'string');
  if (anomalies.length > 0) parts.push(`Also: ${anomalies.join('; ')}.`);
  if (v.keysWithoutFinalRead > 0)
    parts.push(
      `${v.keysWithoutFinalRead} key(s) had no read after their last write: their last values count as never read.`,
    );
  if (v.dropped.ops > 0)
    parts.push(
      `The history kept in memory is bounded: ${v.dropped.ops} earliest operation(s)${v.dropped.keys ? ` (${v.dropped.keys} whole key(s))` : ''} were dropped and their values not classified.`,
    );
  return parts.join(' ');
}

function opText(op: OpView | undefined): string {
  if (!op) return '';
  const when =
    op.completeMs === undefined
      ? `invoked ${Math.round(op.invokeMs)} ms, no reply`
      : `${Math.round(op.invokeMs)}→${Math.round(op.completeMs)} ms`;
  const what =
    op.kind === 'write'
      ? `${op.client} wrote ${op.value ?? '?'}`
      : `${op.client} read ${op.size ?? 0} value${op.size === 1 ? '' : 's'}`;
  return `${what}, ${when}, ${op.outcome}${op.node ? ` via ${op.node}` : ''}`;
}

/** The examples as table rows: anomaly, key, value, write, read, detail (times in ms from the fault). */
export function historyExampleRows(v: HistoryVerdict): string[][] {
  const rows: string[][] = [];
  for (const [kind, list] of Object.entries(v.examples) as Array<[AnomalyKind, Anomaly[]]>)
    for (const a of list)
      rows.push([
        KIND_WORD[kind],
        a.key,
        a.value === undefined ? '' : String(a.value),
        opText(a.write),
        [opText(a.read), a.other ? `(vs ${opText(a.other)})` : ''].filter(Boolean).join(' '),
        a.detail,
      ]);
  return rows;
}
