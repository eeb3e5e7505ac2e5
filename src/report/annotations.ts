import type { AnnotationProperties } from '@actions/core';
import { groupFindings, groupMessages } from '../manifests/lint/group.ts';
import { SEVERITIES } from '../manifests/lint/rule.ts';
import type { LintFinding, Report, Severity } from './model.ts';

type Annotate = (message: string, properties?: AnnotationProperties) => void;

/** The part of @actions/core that annotates (passed in, so tests can record the calls). */
export interface AnnotationSink {
  error: Annotate;
  warning: Annotate;
  notice: Annotate;
}

/** GitHub shows at most this many annotations of each type per step; the rest are dropped silently. */
export const ANNOTATIONS_PER_TYPE = 10;

const SINK: Record<Severity, keyof AnnotationSink> = { error: 'error', warning: 'warning', info: 'notice' };

/**
 * Lint findings as annotations on the manifest lines: errors, warnings and notices, siblings with the same fix
 * as one annotation at the first (groupFindings), the first ANNOTATIONS_PER_TYPE of each in the order given (lintManifests sorts by file and line). The last one shown of a
 * type says how many more there are, since GitHub would drop them without a word; the job summary lists all.
 */
export function annotateFindings(findings: LintFinding[], core: AnnotationSink): { shown: number; hidden: number } {
  let shown = 0;
  let hidden = 0;
  for (const severity of SEVERITIES) {
    const all = groupFindings(findings.filter((f) => f.severity === severity));
    const first = all.slice(0, ANNOTATIONS_PER_TYPE);
    const more = all.length - first.length;
    first.forEach((group, i) => {
      const f = group.findings[0];
      const tail =
        more > 0 && i === first.length - 1
          ? `\n(+${more} more ${severity} finding${more === 1 ? '' : 's'} not annotated: see the lint table in the job summary)`
          : '';
      const n = group.findings.length;
      const properties: AnnotationProperties = { title: n > 1 ? `${f.rule} (${n} objects)` : f.rule };
      if (f.at) Object.assign(properties, { file: f.at.file, startLine: f.at.line, startColumn: f.at.column });
      core[SINK[severity]](`${groupMessages(group).join('\n')}\n${f.fix}${tail}`, properties);
    });
    shown += first.length;
    hidden += more;
  }
  return { shown, hidden };
}

/** A run error that points at a manifest line (a field the API server refused) as an error annotation there. */
export function annotateRunError(report: Report, core: AnnotationSink): void {
  if (!report.error || !report.errorAt) return;
  const { file, line, column } = report.errorAt;
  core.error(report.error, { title: 'refused by the cluster', file, startLine: line, startColumn: column });
}
