import type { LintFinding } from './rule.ts';

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

/** The group's messages, one per line; the others each say where they are. */
export function groupMessages(group: FindingGroup): string[] {
  const [first, ...others] = group.findings;
  return [first.message, ...others.map((f) => `${f.message} (${whereText(f)})`)];
}
