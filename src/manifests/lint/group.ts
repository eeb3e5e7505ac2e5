import { SEVERITIES, type LintFinding } from './rule.ts';

/** Findings of one rule with one fix on sibling objects (three PersistentVolumes, each Recycle). */
export interface FindingGroup {
  /** The first of them (where the group is placed), then the others in order. */
  findings: [LintFinding, ...LintFinding[]];
}

/**
 * Findings sharing rule, severity and fix text, grouped in the order first met, so a reader sees the fix once
 * with every object it applies to instead of the same paragraph per object. Each finding keeps its own message
 * and place (report.json and JUnit keep one entry per finding).
 */
export function groupFindings(findings: LintFinding[]): FindingGroup[] {
  const groups = new Map<string, FindingGroup>();
  for (const f of findings) {
    const key = JSON.stringify([f.rule, f.severity, f.fix]);
    const group = groups.get(key);
    if (group) group.findings.push(f);
    else groups.set(key, { findings: [f] });
  }
  return [...groups.values()];
}

export function whereText(f: LintFinding): string {
  return f.at ? `${f.at.file}:${f.at.line}:${f.at.column}` : '(manifests)';
}

/** A group's findings by message: each distinct message once (in the order first met) with the findings that
 * say it, so one message found at several places is read once with every place. */
export function byMessage(group: FindingGroup): Array<{ message: string; findings: LintFinding[] }> {
  const messages = new Map<string, LintFinding[]>();
  for (const f of group.findings) messages.set(f.message, [...(messages.get(f.message) ?? []), f]);
  return [...messages].map(([message, findings]) => ({ message, findings }));
}

/** The group's messages, one per line (byMessage), each saying where it is besides the group's own place. */
export function groupMessages(group: FindingGroup): string[] {
  const [first] = group.findings;
  return byMessage(group).map(({ message, findings }) => {
    const elsewhere = findings.filter((f) => f !== first).map(whereText);
    if (elsewhere.length === 0) return message;
    return `${message} (${findings.includes(first) ? 'also ' : ''}${elsewhere.join(', ')})`;
  });
}

/** "2 errors, 5 warnings, 1 info" (the severities present, most severe first), or "no findings". */
export function severityTotals(findings: LintFinding[]): string {
  const totals = SEVERITIES.map((severity) => {
    const n = findings.filter((f) => f.severity === severity).length;
    return n === 0 ? '' : `${n} ${severity === 'info' ? 'info' : `${severity}${n === 1 ? '' : 's'}`}`;
  }).filter(Boolean);
  return totals.length === 0 ? 'no findings' : totals.join(', ');
}
