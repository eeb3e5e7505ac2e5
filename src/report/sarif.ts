import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RULES, REDIS_STATEFULSET_RULE } from '../manifests/lint/index.ts';
import type { LintFinding, Report, Severity } from './model.ts';

/** The lint findings for code scanning (github/codeql-action/upload-sarif), beside the other reports. */
export const SARIF_FILE = 'lint.sarif';

const INFORMATION_URI = 'https://github.com/redis-cluster-resilience/redis-cluster-resilience';
/** SARIF's result levels (SARIF 2.1.0 §3.27.10): lint's info is a note. */
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

/**
 * SARIF 2.1.0 (OASIS): one run of this tool's lint, one result per finding at its file, line and column, the fix
 * in its message, the rule's summary as the rule's description. Paths stay as the findings give them (relative to
 * the working directory, which in a workflow is the repository: code scanning resolves them from there); an
 * absolute path becomes a file:// URI.
 */
export function renderSarif(report: Pick<Report, 'lint' | 'tool'>): string {
  const summaries = new Map<string, string>(RULES.map((r) => [r.id, r.summary]));
  summaries.set(
    REDIS_STATEFULSET_RULE,
    'one StatefulSet runs redis-server (or valkey-server) with its config file among the manifests',
  );
  const ids = [...new Set(report.lint.map((f) => f.rule))].sort();
  const index = new Map(ids.map((id, i) => [id, i]));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            informationUri: INFORMATION_URI,
            rules: ids.map((id) => ({
              id,
              shortDescription: { text: summaries.get(id) ?? id },
              defaultConfiguration: { level: LEVEL[worst(report.lint, id)] },
            })),
          },
        },
        results: report.lint.map((f) => result(f, index.get(f.rule)!)),
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

function result(f: LintFinding, ruleIndex: number) {
  return {
    ruleId: f.rule,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: `${f.message}\n\n${f.fix}` },
    ...(f.at
      ? {
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: uriOf(f.at.file) },
                region: { startLine: Math.max(1, f.at.line), startColumn: Math.max(1, f.at.column) },
              },
            },
          ],
        }
      : {}),
  };
}

/** A relative path as a relative URI reference (each segment escaped); an absolute one as a file:// URI. */
function uriOf(file: string): string {
  if (isAbsolute(file)) return pathToFileURL(file).href;
  return file.split(/[\\/]/).map(encodeURIComponent).join('/');
}

function worst(findings: LintFinding[], rule: string): Severity {
  const severities = new Set(findings.filter((f) => f.rule === rule).map((f) => f.severity));
  return severities.has('error') ? 'error' : severities.has('warning') ? 'warning' : 'info';
}
