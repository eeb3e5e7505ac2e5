import type { Config } from '../config.ts';
import { InputError } from '../errors.ts';
import type { ManifestSet, RedisDeployment } from '../manifests/model.ts';
import type { RedisAuth } from '../platform/platform.ts';
import { manifestsSource, readManifests } from '../prepare.ts';
import { redisAuth } from '../redis/auth.ts';
import { failoverTimeout, nodeTimeoutOf, type FailoverTimeout } from '../redis/failover-timing.ts';
import { chooseTopology, type TopologyRequest } from '../redis/plan.ts';
import type { ScenarioName } from '../scenarios/model.ts';
import type { Log } from '../util/log.ts';
import { displayPath } from '../util/paths.ts';
import { addNote, type Side } from './side-state.ts';

/** Manifests and the Redis StatefulSet read from them. */
export interface Manifests {
  set: ManifestSet;
  redis: RedisDeployment;
}

/** The base manifests a rollout deploys first, and their directory. */
export interface RolloutBase extends Manifests {
  dir: string;
}

/** What a side knows before anything starts: read, checked and logged then, so bad input stops it at once. */
export interface SideInputs extends Manifests {
  base: RolloutBase | undefined;
  /** In the order they run (rollout first: it deploys the base). */
  scenarios: ScenarioName[];
  topology: TopologyRequest;
  failover: FailoverTimeout;
  auth: RedisAuth | undefined;
}

export async function readInputs(side: Side): Promise<SideInputs> {
  const { config, log, signal } = side;
  const { set, redis } = await readManifests(config, signal);
  log.info(`Manifests: ${set.objects.length} objects from ${set.files.length} files of ${manifestsSource(config)}`);
  // rollout: the base manifests are what is deployed and bootstrapped; the head ones are applied over them.
  const base = await rolloutBase(config, side.optionName, log);
  const scenarios = base ? ['rollout' as const, ...config.scenario.filter((n) => n !== 'rollout')] : config.scenario;
  // Checked before anything starts: a topology that cannot fit the StatefulSet is bad input (exit 2).
  const topology = chooseTopology((base?.redis ?? redis).replicas, config);
  // Known before anything is deleted: a wait shorter than Redis needs is said now, not after a failed check.
  const failover = failoverFor(side, redis, topology.replicasPerMaster);
  if (failover.source === 'node-timeout')
    log.info(
      `Failover timeout: ${failover.timeoutMs} ms (cluster-node-timeout ${failover.nodeTimeoutMs}: Redis may need up to ${failover.floorMs} ms)`,
    );
  if (failover.warning) {
    log.warn(failover.warning);
    addNote(side.report, failover.warning);
  }
  const auth = authOf(config, redis, log);
  return { set, redis, base, scenarios, topology, failover, auth };
}

/**
 * The base manifests when scenario rollout is asked for (it must then come first: it deploys them); InputError
 * when it is asked for without them.
 */
async function rolloutBase(
  config: Config,
  optionName: (name: string) => string,
  log: Log,
): Promise<RolloutBase | undefined> {
  if (!config.scenario.includes('rollout')) return undefined;
  if (!config.baseManifests)
    throw new InputError(
      `${optionName('scenario')} rollout needs ${optionName('base-manifests')}: the manifests as on the pull request's base, deployed first`,
    );
  const { set, redis } = await readManifests(config.baseManifests);
  log.info(
    `Base manifests: ${set.objects.length} objects from ${set.files.length} files in ${displayPath(config.baseManifests)}`,
  );
  if (config.scenario[0] !== 'rollout')
    log.info('Scenario rollout runs first: it deploys the base manifests; the other scenarios run on the head');
  return { dir: config.baseManifests, set, redis };
}

/** The failover timeout for this many replicas per master (their election ranks set Redis' floor), reported. */
export function failoverFor(side: Side, redis: RedisDeployment, replicasPerMaster: number): FailoverTimeout {
  const failover = failoverTimeout(
    side.config.failoverTimeoutMs,
    nodeTimeoutOf(redis),
    replicasPerMaster,
    side.optionName('failover-timeout'),
  );
  side.report.config.failoverTimeoutMs = failover.timeoutMs;
  return failover;
}

/** The password is looked up before anything starts: one the manifests set but do not hold is bad input. */
function authOf(config: Config, redis: RedisDeployment, log: Log): RedisAuth | undefined {
  const auth = redisAuth(
    redis,
    config.redisPassword ? { password: config.redisPassword, source: 'the redis-password input' } : undefined,
  );
  if (auth) log.info(`Redis password: from ${auth.source}${auth.username ? `, user ${auth.username}` : ''}`);
  return auth;
}
