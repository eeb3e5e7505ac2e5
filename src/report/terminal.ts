import {
  checkCounts,
  msText,
  noWritesText,
  SCENARIO_WORD,
  scenarioFacts,
  secondsText,
  serverText,
  showControls,
  skippedText,
  sortedTimeline,
  STATUS_WORD,
  TIMINGS,
  VERDICT_WORD,
  verdictReason,
  writesText,
} from './facts.ts';
import { severityTotals } from '../manifests/lint/group.ts';
import type { Report, ScenarioResult } from './model.ts';
import type { ReportFiles } from './write.ts';

/** Continuation lines of a multi-line text indented under its first line. */
function indented(text: string, indent: string): string {
  return showControls(text).replace(/\r?\n/g, `\n${indent}`);
}

function scenarioLines(s: ScenarioResult): string[] {
  const counts = checkCounts(s.checks);
  const width = Math.max(...s.checks.map((c) => c.id.length), 0);
  const out = [
    `${s.name}: ${SCENARIO_WORD[s.status]} (${counts.pass} passed, ${counts.fail} failed, ${counts.skipped} skipped)` +
      (s.durationMs !== undefined ? ` in ${secondsText(s.durationMs)}` : ''),
    ...scenarioFacts(s).map((line) => `  ${indented(line, '    ')}`),
  ];
  if (s.error) out.push(`  stopped early: ${indented(s.error, '    ')}`);
  const pad = ' '.repeat(2 + 8 + width + 2);
  for (const c of s.checks) {
    out.push(`  ${STATUS_WORD[c.status].padEnd(8)}${c.id.padEnd(width)}  ${indented(c.summary, pad)}`);
  }
  out.push(
    `  timings: ${TIMINGS.map((t) => `${t.label.split(' (')[0]!.toLowerCase()} ${msText(s.timings[t.key])}`).join(', ')}`,
  );
  const w = s.writes;
  out.push(`  ${w ? writesText(w) : `writes: ${noWritesText(s)}`}`);
  const skipped = w && skippedText(w);
  if (skipped) out.push(`    ${skipped}`);
  const events = sortedTimeline(s);
  if (events.length > 0)
    out.push(`  timeline (ms after deletion): ${events.map((e) => `${e.event} ${Math.round(e.atMs)}`).join(', ')}`);
  return out;
}

/** The CLI's closing summary; the action prints it into its log. */
export function renderTerminal(report: Report): string {
  const out = [`redis-cluster-resilience: ${VERDICT_WORD[report.verdict]}`, indented(verdictReason(report), ''), ''];
  if (report.server) out.push(`server: ${serverText(report.server)} (platform ${report.platform})`, '');
  if (report.error) out.push(`error: ${indented(report.error, '  ')}`, '');
  for (const s of report.scenarios) out.push(...scenarioLines(s), '');
  if (report.hold) out.push(`hold: ${report.hold.mode}: ${indented(report.hold.detail, '  ')}`, '');
  if (report.reach) out.push(`reach: ${report.reach}`, '');
  if (report.evidence?.length)
    out.push(
      `evidence: ${report.evidence.length} files under evidence/ in the report directory (listed in summary.md)`,
      '',
    );
  for (const note of report.notes ?? []) out.push(`note: ${indented(note, '  ')}`);
  if (report.notes?.length) out.push('');
  out.push(`lint: ${severityTotals(report.lint)}${report.lint.length > 0 ? ' (all listed in the reports)' : ''}`);
  return out.join('\n');
}

/** Where the reports were written (from writeReports): the last lines of a CLI run. */
export function renderReportPaths(files: ReportFiles): string {
  return [
    `reports: ${files.report}`,
    ...[files.summary, files.junit, files.sarif, files.prComment, ...files.svg].map((f) => `         ${f}`),
  ].join('\n');
}
