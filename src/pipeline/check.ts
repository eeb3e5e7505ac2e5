import type { Config } from '../config.ts';
import type { Report } from '../report/model.ts';
import { applyComparison } from '../report/comparison.ts';
import type { Log } from '../util/log.ts';
import { displayPath } from '../util/paths.ts';
import type { PipelineOptions } from './options.ts';
import { runSide } from './side.ts';

/**
 * The whole check: manifests → lint → platform → bootstrap → scenario → report. Never throws for a failed
 * check or a broken platform (the report says what happened); throws InputError for input it cannot use.
 * With base-manifests and a scenario other than rollout, those scenarios run on the base manifests first (a
 * fresh cluster, the same settings), and the head's report puts the base's figures beside its own.
 */
export async function runCheck(config: Config, options: PipelineOptions): Promise<Report> {
  const compared = config.scenario.filter((n) => n !== 'rollout');
  if (!config.baseManifests || compared.length === 0) return runSide(config, options);
  const { log } = options;
  log.section?.('Base manifests: the same scenarios, for comparison');
  log.info(`Comparison: ${compared.join(', ')} on the base manifests ${displayPath(config.baseManifests)} first`);
  // The base side's kind cluster is deleted at its end whatever keep-cluster says (retain unset): the head side
  // creates its own by the same name, and only that one is the user's to keep.
  const { retain: _headOnly, ...baseOptions } = options;
  const base = await runSide(
    { ...config, manifests: config.baseManifests, baseManifests: undefined, scenario: compared },
    { ...baseOptions, log: prefixedLog(log, 'base: ') },
  );
  if (base.verdict === 'cancelled') return base;
  const head = await runSide(config, options);
  if (head.verdict === 'cancelled' || head.scenarios.length === 0) return head;
  head.comparison = applyComparison({ ...base, manifests: displayPath(config.baseManifests) }, head, config);
  if (head.verdict === 'pass' && head.scenarios.some((s) => s.status === 'fail')) head.verdict = 'fail';
  return head;
}

/** Every line of `log` prefixed (the base side of a comparison). */
function prefixedLog(log: Log, prefix: string): Log {
  return {
    ...log,
    info: (m) => log.info(prefix + m),
    warn: (m) => log.warn(prefix + m),
    progress: (m) => log.progress(prefix + m),
  };
}

/** Exit code of the command-line contract: 0 all passed, 1 a check failed or the run broke (a cancelled run
 * exits by its signal's code instead: see util/termination.ts). */
export function exitCodeOf(report: Report): 0 | 1 {
  return report.verdict === 'pass' ? 0 : 1;
}
