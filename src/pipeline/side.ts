import type { Config } from '../config.ts';
import { InputError } from '../errors.ts';
import { resolvePlatformKind } from '../platform/select.ts';
import { warnUnknownFlags } from '../redis/cluster-nodes.ts';
import type { Report } from '../report/model.ts';
import { checkReportDir, clearReportDir } from '../report/write.ts';
import { bootstrap, whoBootstraps } from './bootstrap.ts';
import { createSidePlatform, deploy, provision } from './deploy.ts';
import { readInputs } from './inputs.ts';
import { lintStops } from './lint.ts';
import type { PipelineOptions } from './options.ts';
import { placementJudge, runScenarios, sideVerdict } from './scenarios.ts';
import { finishSide, recordError, startSide } from './side-state.ts';
import { closeSide } from './teardown.ts';

/**
 * One side of a check (the whole check without base-manifests): read and lint the manifests, then on a platform
 * of its own provision, deploy, bootstrap, run the scenarios and judge placement, and always tear down.
 */
export async function runSide(config: Config, options: PipelineOptions): Promise<Report> {
  const { log } = options;
  const startedAt = new Date();
  await checkReportDir(config.reportDir);
  // What an earlier run left there must not ship with this run's report (e.g. its timeline SVG).
  await clearReportDir(config.reportDir);
  const kind = await resolvePlatformKind(config, { inAction: options.inAction, log });
  const side = startSide(config, options, kind, startedAt);

  const inputs = await readInputs(side);
  if (await lintStops(side, inputs.set, inputs.topology, kind)) return finishSide(side);
  if (side.signal?.aborted) return finishSide(side); // nothing was started yet
  const decision = whoBootstraps(side, inputs);
  const { platform, run } = await createSidePlatform(side, kind, options, inputs.auth);
  const stopFlagWarnings = warnUnknownFlags(log);
  // Once the platform is up, every error ends in a report (verdict error), bad input the server refused included.
  let platformUp = false;
  try {
    await provision(side, platform, kind);
    platformUp = true;
    const pods = await deploy(side, platform, inputs, decision);
    const formed = await bootstrap(side, platform, pods, inputs, decision);
    const judge = placementJudge(side, platform, inputs.redis.port);
    const afterBootstrap = await judge('after the bootstrap');
    if (afterBootstrap && side.report.bootstrap) side.report.bootstrap.placement = afterBootstrap;
    await runScenarios(side, platform, inputs, pods, formed, judge);
    side.report.verdict = sideVerdict(side.report, config.placement);
  } catch (err) {
    if (err instanceof InputError && !side.signal?.aborted && !platformUp) throw err;
    recordError(side, err);
  } finally {
    stopFlagWarnings();
    await closeSide(side, platform, run, kind, inputs.redis.port, options.retain);
  }
  return finishSide(side);
}
