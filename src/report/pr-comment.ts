import { verdictReason, VERDICT_WORD } from './facts.ts';
import { cell, comparisonSection, rolloutSection } from './markdown.ts';
import type { Report } from './model.ts';

export const PR_COMMENT_FILE = 'pr-comment.md';

/** GitHub refuses an issue comment body over 65536 characters; the comment stays under it with room to spare. */
export const PR_COMMENT_LIMIT = 60_000;

/** The hidden line that finds this job's comment again (one sticky comment per job). */
export function commentMarker(job: string): string {
  return `<!-- redis-cluster-resilience:${job.replace(/-->/g, '')} -->`;
}

/**
 * The pull request's comment: the verdict, base against head side by side, the new lint findings, the rollout's
 * per-pod table, each scenario's checks in one line, and where the full report is. Cut at PR_COMMENT_LIMIT with
 * a line saying so (the job summary and report.json have everything).
 */
export function renderPrComment(report: Report, opts: { marker: string; reportWhere: string }): string {
  const head = [
    opts.marker,
    `## Redis Cluster resilience: ${VERDICT_WORD[report.verdict]}`,
    '',
    cell(verdictReason(report)),
    '',
  ];
  const body: string[] = [...comparisonSection(report)];
  for (const s of report.scenarios) {
    const failed = s.checks.filter((c) => c.status === 'fail');
    body.push(
      `### ${s.name}: ${s.status}`,
      '',
      ...(failed.length ? failed.map((c) => `- **${c.id}**: ${cell(c.summary)}`) : ['Every check passed.']),
      '',
      ...rolloutSection(s),
    );
  }
  const tail = ['', `Full report: ${cell(opts.reportWhere)}.`];
  const budget = PR_COMMENT_LIMIT - [...head, ...tail].join('\n').length - 200;
  let text = body.join('\n');
  if (text.length > budget) {
    const cut = text.lastIndexOf('\n', budget);
    text = `${text.slice(0, cut > 0 ? cut : budget)}\n\n…cut here to stay under GitHub's comment limit: the rest is in the job summary and report.json.`;
  }
  return [...head, text, ...tail].join('\n') + '\n';
}
