import type { Config } from '../config.ts';
import type { PodInfo } from '../platform/platform.ts';
import type { PlatformWithNotes } from '../platform/select.ts';
import type { Report } from '../report/model.ts';
import { runScenario, type ScenarioSettings } from '../scenarios/index.ts';
import type { Check, ScenarioName, ScenarioResult } from '../scenarios/model.ts';
import { judgePlacement } from '../scenarios/placement-check.ts';
import type { Formed } from './bootstrap.ts';
import type { SideInputs } from './inputs.ts';
import type { Side } from './side-state.ts';

/** The placement check on the live cluster `when` (after the bootstrap, after a scenario); undefined when off. */
export type JudgePlacement = (when: string) => Promise<Check | undefined>;

/**
 * Where the shards run, judged on the live cluster after the bootstrap and after every scenario (a failover or a
 * rescheduled pod can put a master and its replica on one node after a bootstrap that kept them apart).
 */
export function placementJudge(side: Side, platform: PlatformWithNotes, port: number): JudgePlacement {
  const severity = side.config.placement;
  return async (when) => {
    if (severity === 'off') return undefined;
    const check = await judgePlacement(platform, port, severity, when);
    if (check.status === 'fail') side.log.warn(`placement: ${check.summary}`);
    else side.log.info(`placement: ${check.summary}`);
    return check;
  };
}

/**
 * Runs the scenarios in order on the same cluster: each leaves it healthy (its cluster-healthy check says so),
 * and the next one starts from whatever roles the last one left. A cancelled one ends the list.
 */
export async function runScenarios(
  side: Side,
  platform: PlatformWithNotes,
  inputs: SideInputs,
  pods: PodInfo[],
  formed: Formed,
  judge: JudgePlacement,
): Promise<void> {
  const { config, log, signal, report } = side;
  const settings = scenarioSettings(config, formed, pods.length);
  for (const name of inputs.scenarios) {
    side.stage = `running scenario ${name}`;
    log.section?.(`Scenario ${name}`);
    log.info(`Scenario ${name}: hold-restart ${String(config.holdRestart)}, kill-mode ${config.killMode}`);
    const env = { ...scenarioEnv(name, platform, inputs, side), ...(signal ? { signal } : {}) };
    const scenario = await runScenario(name, env, settings);
    report.scenarios.push(scenario);
    if (scenario.status === 'cancelled') break;
    if (scenario.status === 'skipped') continue;
    placeAfter(scenario, await judge(`after ${name}`), config.placement);
  }
}

/** The rollout turns the base deployment into the head one: the scenarios after it run on the head. */
function scenarioEnv(name: ScenarioName, platform: PlatformWithNotes, inputs: SideInputs, side: Side) {
  const { base, set, redis } = inputs;
  const { log } = side;
  return name === 'rollout' && base
    ? { platform, redis: base.redis, log, rollout: { base, head: { set, redis } } }
    : { platform, redis, log };
}

/** The placement check after a scenario joins its checks; at severity fail a failed one fails the scenario. */
function placeAfter(scenario: ScenarioResult, placement: Check | undefined, severity: Config['placement']): void {
  if (!placement) return;
  scenario.checks.push(placement);
  if (placement.status === 'fail' && severity === 'fail') scenario.status = 'fail';
}

function scenarioSettings(config: Config, formed: Formed, nodes: number): ScenarioSettings {
  const { failover, topology } = formed;
  return {
    victim: config.victim,
    restartSpare: config.restartSpare,
    holdRestart: config.holdRestart,
    killMode: config.killMode,
    writeRate: config.writeRate,
    writeWait: config.writeWait,
    failoverTimeoutMs: failover.timeoutMs,
    failoverFloorMs: failover.floorMs,
    rejoinTimeoutMs: config.rejoinTimeoutMs,
    ...(config.partitionMs !== undefined ? { partitionMs: config.partitionMs } : {}),
    nodeLossMode: config.nodeLossMode,
    thresholds: {
      maxFailoverMs: config.maxFailoverMs,
      maxUnavailableMs: config.maxUnavailableMs,
      maxLostWrites: config.maxLostWrites,
      maxReformMs: config.maxReformMs,
    },
    expected: { nodes, masters: topology.masters },
  };
}

/** pass when every scenario passed or was skipped, and the bootstrap's placement did not fail at severity fail. */
export function sideVerdict(report: Report, severity: Config['placement']): 'pass' | 'fail' {
  const bootstrapPlaced = report.bootstrap?.placement?.status !== 'fail' || severity !== 'fail';
  return bootstrapPlaced && report.scenarios.every((s) => s.status === 'pass' || s.status === 'skipped')
    ? 'pass'
    : 'fail';
}
