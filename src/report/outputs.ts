import { checkCounts } from './facts.ts';
import type { Report, ScenarioResult } from './model.ts';

function whole(ms: number | undefined): string {
  return ms === undefined ? '' : String(Math.round(ms));
}

/** The outputs that describe one scenario. */
function scenarioOutputs(s: ScenarioResult | undefined): Record<string, string> {
  const nodeIdKept = s?.checks.find((c) => c.id === 'node-id-kept' || c.id === 'node-ids-kept')?.status;
  return {
    'failover-ms': whole(s?.timings.failoverMs),
    'unavailable-ms': whole(s?.writes?.unavailableMs),
    'lost-writes': whole(s?.pauseLoss?.lost ?? s?.writes?.lost),
    'node-id-kept': nodeIdKept === 'pass' ? 'true' : nodeIdKept === 'fail' ? 'false' : 'skipped',
    'rejoin-ms': whole(s?.timings.rejoinMs),
  };
}

/** Every scenario's checks counted by status: a skipped check is never counted as passed. */
function checkCountOutputs(report: Report): Record<string, string> {
  const counts = checkCounts(report.scenarios.flatMap((s) => s.checks));
  return {
    'checks-passed': String(counts.pass),
    'checks-failed': String(counts.fail),
    'checks-skipped': String(counts.skipped),
  };
}

/** Per-scenario output names, for each scenario of a list (`<scenario>-<output>`). */
export const PER_SCENARIO_OUTPUTS = ['status', 'unavailable-ms', 'lost-writes', 'node-id-kept', 'failovers'] as const;

/**
 * The action's outputs. Numbers are whole ms or counts; '' when the run did not measure them. Paths are ''
 * when the reports could not be written. The unprefixed figures describe master-failover (or the only
 * scenario run); with a list, each scenario's own figures are also given as `<scenario>-<output>`.
 */
export function actionOutputs(
  report: Report,
  paths?: { report: string; summary: string; junit: string; sarif?: string },
): Record<string, string> {
  const main =
    report.scenarios.find((r) => r.name === 'master-failover') ??
    (report.scenarios.length === 1 ? report.scenarios[0] : undefined);
  const out: Record<string, string> = {
    verdict: report.verdict,
    'report-path': paths?.report ?? '',
    'summary-path': paths?.summary ?? '',
    'junit-path': paths?.junit ?? '',
    'sarif-path': paths?.sarif ?? '',
    ...scenarioOutputs(main),
    ...checkCountOutputs(report),
  };
  if (report.scenarios.length > 1) {
    for (const s of report.scenarios) {
      const own = scenarioOutputs(s);
      const values: Record<(typeof PER_SCENARIO_OUTPUTS)[number], string> = {
        status: s.status,
        'unavailable-ms': own['unavailable-ms']!,
        'lost-writes': own['lost-writes']!,
        'node-id-kept': own['node-id-kept']!,
        failovers: s.failovers === undefined ? '' : String(s.failovers),
      };
      for (const key of PER_SCENARIO_OUTPUTS) out[`${s.name}-${key}`] = values[key];
    }
  }
  return out;
}
