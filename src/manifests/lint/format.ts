import { groupFindings, groupMessages, severityTotals, whereText } from './group.ts';
import type { LintFinding } from './rule.ts';

const WIDTH = 100;
const SEVERITY_W = 9;
const RULE_W = 27;
const INDENT = ' '.repeat(SEVERITY_W);

/** Greedy word wrap; a word longer than the width gets a line of its own. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Findings as a terminal table that reads at 100 columns: severity, rule and file:line:column on one row, the
 * message and the fix wrapped beneath it, a totals line at the end. Siblings with the same fix share one entry
 * (groupFindings): each message listed once (with every place it was found at), the fix once.
 */
export function formatFindings(findings: LintFinding[]): string {
  if (findings.length === 0) return 'lint: no findings';
  const out = [`${'SEVERITY'.padEnd(SEVERITY_W)}${'RULE'.padEnd(RULE_W)}WHERE`];
  for (const group of groupFindings(findings)) {
    const f = group.findings[0];
    const more = group.findings.length - 1;
    const where = `${whereText(f)}${more > 0 ? ` (+${more} more)` : ''}`;
    const row = `${f.severity.padEnd(SEVERITY_W)}${f.rule.padEnd(RULE_W - 1)} ${where}`;
    // A deep path does not fit beside the rule: it gets a line of its own rather than overflowing.
    out.push(...(row.length <= WIDTH ? [row] : [`${f.severity.padEnd(SEVERITY_W)}${f.rule}`, INDENT + where]));
    for (const message of groupMessages(group)) out.push(...wrap(message, WIDTH - SEVERITY_W).map((l) => INDENT + l));
    // Continuation lines of the fix hang under its text, past `fix: `.
    out.push(...wrap(`fix: ${f.fix}`, WIDTH - SEVERITY_W - 5).map((l, i) => INDENT + (i === 0 ? l : `     ${l}`)));
    out.push('');
  }
  out.push(`lint: ${severityTotals(findings)}`);
  return out.join('\n');
}
