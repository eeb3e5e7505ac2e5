import type {
  Check,
  CheckStatus,
  FailoverPath,
  NodeView,
  Report,
  ScenarioResult,
  TimelineEntry,
  TimelineEvent,
  Topology,
  Verdict,
  WriteStats,
} from './model.ts';

// Facts every rendering shows the same way (Markdown, terminal, JUnit, SVG): one place, so they cannot drift.

export const VERDICT_WORD: Record<Verdict, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  error: 'ERROR',
  cancelled: 'CANCELLED',
};
export const SCENARIO_WORD: Record<ScenarioResult['status'], string> = {
  pass: 'PASS',
  fail: 'FAIL',
  cancelled: 'CANCELLED',
  skipped: 'SKIPPED',
};

/**
 * What a scenario did, in sentences every rendering shows: the path taken, the pod hit (or every pod replaced,
 * with what each went through), writes per shard, the writes a pause lost, and the notes the scenario left.
 */
export function scenarioFacts(s: ScenarioResult): string[] {
  const out: string[] = [];
  if (s.path !== undefined)
    out.push(
      `Path taken: ${PATH_TEXT[s.path]} (restart ${s.holdRestart ? 'held until the failover was over' : 'not held'}).`,
    );
  const v = s.victim;
  if (v) {
    out.push(
      `Pod hit: ${v.pod}, node ${shortId(v.nodeId)}, ${v.ip}, slots ${v.slots.join(' ') || 'none'}` +
        `${v.replicas.length > 0 ? `, replicas ${v.replicas.map(shortId).join(', ')}` : ''}.`,
    );
  }
  for (const p of s.pods ?? []) {
    out.push(
      `Pod ${p.pod} (${p.roleBefore}${p.roleAfter && p.roleAfter !== p.roleBefore ? ` -> ${p.roleAfter}` : ''}): ` +
        (p.uidAfter ? `replaced in ${msText(p.restartMs)}` : 'not replaced') +
        (p.failover ? ', a replica took over its slots' : '') +
        (p.nodeIdKept === false ? ', NodeID changed' : '') +
        `${p.unsyncedReadyMs ? `, ready ${msText(p.unsyncedReadyMs)} before its replica link was in sync` : ''}.`,
    );
  }
  if (s.failovers !== undefined) out.push(`Failovers: ${s.failovers}.`);
  for (const sh of s.shards ?? []) {
    out.push(`Shard ${sh.slots.join(' ')}${sh.masterPod ? ` (${sh.masterPod})` : ''}: ${writesText(sh.writes)}.`);
  }
  const loss = s.pauseLoss;
  if (loss) {
    out.push(
      `Acknowledged writes lost in the pause window: ${loss.lost} (independent read-back found ${loss.readBackMissing} missing)` +
        (loss.lastAckByOldMasterMs !== undefined
          ? `; the resumed master's last acknowledgement came ${msText(loss.lastAckByOldMasterMs)} after the freeze`
          : '') +
        `${loss.sample.length ? `; e.g. ${loss.sample.map((x) => `${x.key} acknowledged by ${x.by} at ${msText(x.ackAtMs)}`).join(', ')}` : ''}.`,
    );
  }
  out.push(...(s.notes ?? []));
  return out;
}
export const STATUS_WORD: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', skipped: 'SKIPPED' };

export const PATH_TEXT: Record<FailoverPath, string> = {
  failover: 'failover: a replica took over the slots, then the old pod came back',
  'restarted-before-failover': 'restarted before failover: the pod came back before any replica was promoted',
  'no-failover': 'no failover: no replica took over the slots',
};

export const TIMINGS: ReadonlyArray<{ key: keyof ScenarioResult['timings']; label: string }> = [
  { key: 'failoverMs', label: 'Failover (pod deleted to a replica owning the slots)' },
  { key: 'clusterOkMs', label: 'Cluster ok (pod deleted to cluster_state:ok everywhere)' },
  { key: 'rejoinMs', label: 'Rejoin (hold released, or the pod deleted when not held, to the old pod rejoined)' },
];

export const NOT_MEASURED = 'not measured';

/** "Valkey 8.0.1", "Redis 7.0.15": the server the pods ran. */
export function serverText(server: NonNullable<Report['server']>): string {
  return `${server.name} ${server.version}`;
}

export function msText(ms: number | undefined): string {
  return ms === undefined ? NOT_MEASURED : `${Math.round(ms)} ms`;
}

export function secondsText(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The writer's counts in one line (terminal, JUnit output). */
export function writesText(w: WriteStats): string {
  return (
    `writes (${w.mode}, ${w.ratePerSecond}/s): ${w.attempted} attempted, ${w.skipped} skipped, ${w.acknowledged} acknowledged, ` +
    `${w.failed} failed, ${w.lost} lost; refused for ${Math.round(w.unavailableMs)} ms`
  );
}

/**
 * Why a scenario has no write figures: the writer was off, or it ran (its start is on the timeline) and the
 * scenario stopped before the writes were read back. Never "off" for a writer that ran.
 */
export function noWritesText(s: ScenarioResult): string {
  return s.timeline.some((e) => e.event === 'writer-started')
    ? 'the writer ran, but the scenario stopped before its writes were read back: no write figures'
    : 'writer off (write-rate 0): no writes were measured';
}

/** What skipped writes mean, when there were any: the counts cover fewer writes than the rate asked for. */
export function skippedText(w: WriteStats): string | undefined {
  if (w.skipped === 0) return undefined;
  return (
    `${w.skipped} scheduled write${w.skipped === 1 ? ' was' : 's were'} never sent: earlier writes were still waiting for ` +
    `their replies (the bound on writes in flight), so fewer than ${w.ratePerSecond}/s went out and the counts cover only the writes sent.`
  );
}

/** Drop a trailing period so a summary can sit inside a sentence. */
function clause(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/\.+$/, '');
}

/** Timeline entries in time order (entries recorded out of order by parallel watchers included). */
export function sortedTimeline(scenario: ScenarioResult): TimelineEntry[] {
  return [...scenario.timeline].sort((a, b) => a.atMs - b.atMs);
}

export interface Phase {
  label: string;
  fromMs: number;
  toMs: number;
  /** The phase users lose something in (writes refused): drawn emphasised. */
  critical: boolean;
}

const PHASES: ReadonlyArray<{ label: string; from: TimelineEvent[]; to: TimelineEvent; critical?: true }> = [
  { label: 'writes refused', from: ['first-write-failed'], to: 'writes-recovered', critical: true },
  { label: 'failure detection', from: ['pod-deleted'], to: 'fail-seen' },
  { label: 'failover', from: ['pod-deleted'], to: 'replica-promoted' },
  { label: 'restart held', from: ['pod-deleted'], to: 'hold-released' },
];

/**
 * Spans between timeline events, for the charts; only those whose both ends were recorded. The rejoin bar is
 * the scenario's own rejoin time (timings.rejoinMs, ending at `rejoined`): one definition for every rendering.
 */
export function phases(s: Pick<ScenarioResult, 'timeline' | 'timings'>): Phase[] {
  const at = (event: TimelineEvent) => s.timeline.find((e) => e.event === event)?.atMs;
  const spans = PHASES.flatMap((p) => {
    const fromMs = p.from.map(at).find((ms) => ms !== undefined);
    const toMs = at(p.to);
    if (fromMs === undefined || toMs === undefined || toMs < fromMs) return [];
    return [{ label: p.label, fromMs, toMs, critical: p.critical === true }];
  });
  const rejoined = at('rejoined');
  if (rejoined !== undefined && s.timings.rejoinMs !== undefined) {
    spans.push({ label: 'rejoin', fromMs: rejoined - s.timings.rejoinMs, toMs: rejoined, critical: false });
  }
  return spans;
}

export function shortId(nodeId: string): string {
  return nodeId.slice(0, 8);
}

/** A node's master as people know it: its pod name, else its short NodeID. */
export function masterOf(node: NodeView, topology: Topology): string {
  if (!node.masterId) return '';
  return topology.nodes.find((n) => n.nodeId === node.masterId)?.pod ?? shortId(node.masterId);
}

export function checkCounts(checks: Check[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { pass: 0, fail: 0, skipped: 0 };
  for (const c of checks) counts[c.status] += 1;
  return counts;
}

/** One sentence (without the verdict word) saying why the verdict is what it is. */
export function verdictReason(report: Report): string {
  const placed = report.bootstrap?.placement;
  const checks = [...(placed ? [placed] : []), ...report.scenarios.flatMap((s) => s.checks)];
  // A check failed as a warning (placement: warn) is said, not counted against the verdict.
  const warned = checks.filter((c) => c.status === 'fail' && c.evidence.severity === 'warn');
  const failed = checks.filter((c) => c.status === 'fail' && !warned.includes(c));
  const stopped = report.scenarios.find((s) => s.error !== undefined);
  if (report.verdict === 'cancelled') {
    return `The run was cancelled before its checks could finish: ${clause(report.error ?? stopped?.error ?? 'no reason was recorded')}.`;
  }
  if (report.verdict === 'error') {
    return `The run stopped before its checks could finish: ${clause(report.error ?? stopped?.error ?? 'no reason was recorded')}.`;
  }
  if (report.verdict === 'fail') {
    if (failed.length > 0) {
      const names = failed.map((c) => c.id).join(', ');
      return `${failed.length} of ${checks.length} checks failed (${names}); first: ${clause(failed[0]!.summary)}.`;
    }
    const why =
      report.error ??
      (stopped ? `${stopped.name} did not finish: ${stopped.error ?? 'no error recorded'}` : 'a scenario failed');
    return `${clause(why)}.`;
  }
  const s = report.scenarios[0];
  if (!s) return 'Nothing failed (no scenario ran).';
  const skipped = checks.filter((c) => c.status === 'skipped');
  // A skipped check did not pass: never "all N passed" when some were not run.
  const facts = [
    skipped.length + warned.length === 0
      ? `all ${checks.length} checks passed`
      : `${checks.length - skipped.length - warned.length} of ${checks.length} checks passed` +
        (skipped.length ? `, ${skipped.length} skipped (${skipped.map((c) => c.id).join(', ')})` : '') +
        (warned.length ? `, ${warned.length} failed as warnings (${warned.map((c) => c.id).join(', ')})` : ''),
  ];
  if (s.timings.failoverMs !== undefined) facts.push(`failover took ${msText(s.timings.failoverMs)}`);
  if (s.writes) facts.push(`${s.writes.lost} of ${s.writes.acknowledged} acknowledged writes lost`);
  const sentence = facts.join(', ');
  return `${sentence[0]!.toUpperCase()}${sentence.slice(1)}.`;
}

/** A control character shown as `\uXXXX`, so untrusted text cannot break a document or a terminal. */
export function escapedChar(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

// Control characters (an ANSI colour code in a Redis error) are shown, never passed on to a terminal or page.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F]/g;

export function showControls(text: string): string {
  return text.replace(CONTROL, escapedChar);
}
