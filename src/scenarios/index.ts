import type { ScenarioName, ScenarioResult } from './model.ts';
import type { ScenarioEnv } from './driver.ts';
import type { ScenarioSettings } from './settings.ts';
import { runMasterFailover } from './master-failover.ts';
import { runReplicaLoss } from './replica-loss.ts';
import { runRollingRestart } from './rolling-restart.ts';
import { runMasterPause } from './master-pause.ts';
import { runClusterRestart } from './cluster-restart.ts';
import { runMasterPartition } from './master-partition.ts';
import { runNodeLoss } from './node-loss.ts';
import { runRollout } from './rollout.ts';

export type { ScenarioSettings };

type Runner = (env: ScenarioEnv, s: ScenarioSettings) => Promise<ScenarioResult>;

const RUNNERS: Record<ScenarioName, Runner> = {
  'master-failover': runMasterFailover,
  'replica-loss': runReplicaLoss,
  'rolling-restart': runRollingRestart,
  'master-pause': runMasterPause,
  'cluster-restart': runClusterRestart,
  'master-partition': runMasterPartition,
  'node-loss': runNodeLoss,
  rollout: runRollout,
};

export function runScenario(name: ScenarioName, env: ScenarioEnv, settings: ScenarioSettings): Promise<ScenarioResult> {
  return RUNNERS[name](env, settings);
}
