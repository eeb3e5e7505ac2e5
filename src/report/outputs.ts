import type { Report } from './model.ts';

function whole(ms: number | undefined): string {
  return ms === undefined ? '' : String(Math.round(ms));
}

/**
 * The action's outputs. Numbers are whole ms or counts; '' when the run did not measure them. Paths are ''
 * when the reports could not be written.
 */
export function actionOutputs(report: Report, paths?: { report: string; summary: string; junit: string }): Record<string, string> {
  const s = report.scenarios.find((r) => r.name === 'master-failover');
  const nodeIdKept = s?.checks.find((c) => c.id === 'node-id-kept')?.status;
  return {
    verdict: report.verdict,
    'report-path': paths?.report ?? '',
    'summary-path': paths?.summary ?? '',
    'junit-path': paths?.junit ?? '',
    'failover-ms': whole(s?.timings.failoverMs),
    'unavailable-ms': whole(s?.writes?.unavailableMs),
    'lost-writes': whole(s?.writes?.lost),
    'node-id-kept': nodeIdKept === 'pass' ? 'true' : nodeIdKept === 'fail' ? 'false' : 'skipped',
    'rejoin-ms': whole(s?.timings.rejoinMs),
  };
}
