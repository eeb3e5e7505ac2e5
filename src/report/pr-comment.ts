import { checkCounts, msText, VERDICT_WORD, verdictReason } from './facts.ts';
import { groupFindings, groupMessages, severityTotals, whereText } from '../manifests/lint/group.ts';
import { cell, comparisonSection, html, rolloutSection, table } from './markdown.ts';
import type { Report } from './model.ts';

export const PR_COMMENT_FILE = 'pr-comment.md';
/** GitHub refuses an issue comment body over 65,536 characters; the comment stays well under it. */
export const MAX_COMMENT_CHARS = 60_000;
/** Findings listed by name in the comment (the job summary lists every one). */
const FINDINGS_SHOWN = 10;

/** The hidden line that finds this job's comment again on the next push (one sticky comment per key). */
export function commentMarker(key: string): string {
  return `<!-- redis-cluster-resilience:${key.replace(/-->/g, '')} -->`;
}

/**
 * The pull-request comment: the verdict and why, each scenario's checks and figures in one table, the failed
 * checks, the lint errors and warnings (the first few), and where the full report is. Short by design; when a
 * part would take it over MAX_COMMENT_CHARS it is cut with a line saying so.
 */
export function renderPrComment(report: Report, opts: { key: string; reportUrl?: string }): string {
  const head = [
    commentMarker(opts.key),
    `### Redis Cluster resilience: ${VERDICT_WORD[report.verdict]}`,
    '',
    html(verdictReason(report)),
    '',
  ];
  const scenarios = report.scenarios.length
    ? [
        ...table(
          [
            'Scenario',
            'Status',
            'Checks (pass / fail / skipped)',
            'Failover',
            'Writes refused for',
            'Lost writes',
            'Rejoin',
          ],
          report.scenarios.map((s) => {
            const c = checkCounts(s.checks);
            const lost = s.pauseLoss?.lost ?? s.writes?.lost;
            return [
              s.name,
              s.status.toUpperCase(),
              `${c.pass} / ${c.fail} / ${c.skipped}`,
              msText(s.timings.failoverMs),
              msText(s.writes?.unavailableMs),
              lost ?? '—',
              msText(s.timings.rejoinMs),
            ];
          }),
        ),
        '',
      ]
    : [];
  const failed = report.scenarios.flatMap((s) =>
    s.checks.filter((c) => c.status === 'fail').map((c) => `- **${cell(s.name)} / ${cell(c.id)}**: ${cell(c.summary)}`),
  );
  const failedPart = failed.length ? ['**Failed checks**', '', ...failed, ''] : [];
  const error = report.error ? [`**Error:** ${cell(report.error)}`, ''] : [];
  const groups = groupFindings(report.lint.filter((f) => f.severity !== 'info'));
  const lint = report.lint.length
    ? [
        `**Lint:** ${severityTotals(report.lint)}`,
        '',
        ...groups.slice(0, FINDINGS_SHOWN).map((g) => {
          const [f] = g.findings;
          return `- ${f.severity} ${cell(f.rule)} at ${cell(whereText(f))}: ${cell(groupMessages(g).join('; '))}`;
        }),
        ...(groups.length > FINDINGS_SHOWN ? [`- …and ${groups.length - FINDINGS_SHOWN} more in the job summary`] : []),
        '',
      ]
    : [];
  const where = [
    opts.reportUrl
      ? `Full report: the job summary and the report artifact of [this run](${opts.reportUrl}).`
      : 'Full report: the job summary and the report artifact of this run.',
    '',
  ];
  // With base-manifests: base against head side by side; with the rollout scenario: its per-pod table.
  const comparison = comparisonSection(report);
  const rollouts = report.scenarios.flatMap((s) => rolloutSection(s));
  let text = noMentions(
    [...head, ...error, ...scenarios, ...comparison, ...failedPart, ...rollouts, ...lint, ...where].join('\n'),
  );
  if (text.length > MAX_COMMENT_CHARS) {
    // The failed checks and findings are what can grow without bound: keep the head, cut the lists.
    const parts = [
      ...head,
      ...error,
      ...scenarios,
      ...comparison,
      "*(Failed checks and lint findings cut: the comment would pass GitHub's size limit; see the job summary.)*",
      '',
      ...where,
    ];
    text = noMentions(parts.join('\n')).slice(0, MAX_COMMENT_CHARS);
  }
  return `${text.trimEnd()}\n`;
}

/**
 * `@name` in text from the manifests, the pods or the server (a lint message, a check's log lines) would notify
 * that user or team when the bot posts the comment: a zero-width space after the `@` shows the same text and
 * mentions no one (as Renovate does in its pull-request bodies).
 */
function noMentions(text: string): string {
  // The marker line stays as commentMarker() writes it: the next run looks for it by exact text.
  const nl = text.indexOf('\n');
  return text.slice(0, nl + 1) + text.slice(nl + 1).replace(/@(?=[A-Za-z0-9])/g, '@&#8203;');
}
