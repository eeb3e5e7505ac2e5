import type { LintFinding, Severity } from '../manifests/lint/rule.ts';

export const SARIF_FILE = 'lint.sarif';

/** SARIF's levels for our severities (SARIF 2.1.0 §3.27.10: error, warning, note). */
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

/**
 * Lint findings as a SARIF 2.1.0 log for code scanning: one run of this tool, a rule per rule id that fired (its
 * summary as the description, the first finding's fix as its help), a result per finding at its file, line and
 * column. Paths are as the report shows them: relative to the working directory, which in a workflow is the
 * repository's root, the base code scanning resolves them against.
 */
export function renderSarif(
  findings: LintFinding[],
  tool: { version: string; rules: ReadonlyArray<{ id: string; summary: string }> },
): string {
  const ids = [...new Set(findings.map((f) => f.rule))];
  const rules = ids.map((id) => {
    const first = findings.find((f) => f.rule === id)!;
    const summary = tool.rules.find((r) => r.id === id)?.summary ?? id;
    return {
      id,
      shortDescription: { text: summary },
      help: { text: first.fix },
      defaultConfiguration: { level: LEVEL[first.severity] },
    };
  });
  const results = findings.map((f) => ({
    ruleId: f.rule,
    ruleIndex: ids.indexOf(f.rule),
    level: LEVEL[f.severity],
    message: { text: `${f.message}\n${f.fix}` },
    ...(f.at
      ? {
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.at.file.split('\\').join('/') },
                region: { startLine: Math.max(1, f.at.line), startColumn: Math.max(1, f.at.column) },
              },
            },
          ],
        }
      : {}),
  }));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'redis-cluster-resilience',
            version: tool.version,
            rules,
          },
        },
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
