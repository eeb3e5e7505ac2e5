import type { Check, ScenarioName, ScenarioResult } from './model.ts';
import type { DriveOutcome, ScenarioEnv } from './driver.ts';

type Body = Omit<ScenarioResult, 'name' | 'status' | 'startedAt' | 'durationMs' | 'checks' | 'timeline' | 'error'>;

/**
 * A scenario's result from the driver's outcome and its checks: cancelled when the run was, else pass only
 * when it finished and no check failed. Logs the failed checks.
 */
export function scenarioResult(
  env: ScenarioEnv,
  name: ScenarioName,
  startedAt: number,
  outcome: DriveOutcome,
  checks: Check[],
  body: Body,
): ScenarioResult {
  // A platform that cannot do the scenario skips it, every check with the reason, instead of failing it.
  if (outcome.unsupported) checks = checks.map((c) => ({ ...c, status: 'skipped', summary: outcome.error! }));
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length) env.log.info(`Failed checks: ${failed.map((c) => `${c.id} (${c.summary})`).join('; ')}`);
  return {
    name,
    status: outcome.cancelled
      ? 'cancelled'
      : outcome.unsupported
        ? 'skipped'
        : outcome.error === undefined && failed.length === 0
          ? 'pass'
          : 'fail',
    ...body,
    startedAt: new Date(startedAt).toISOString(),
    durationMs: Date.now() - startedAt,
    checks,
    timeline: outcome.timeline.entries(),
    ...(outcome.error !== undefined ? { error: outcome.error } : {}),
  };
}
