/**
 * Test support for the failover suites: a Redis Cluster deployed from a manifest directory on the local
 * platform and bootstrapped, torn down by the caller (processes checked gone).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifests } from '../../src/manifests/load.ts';
import { redisDeployment } from '../../src/manifests/deployment.ts';
import type { RedisDeployment } from '../../src/manifests/model.ts';
import { createLocalPlatform, type LocalPlatform, type LocalPlatformOptions } from '../../src/platform/local.ts';
import { bootstrapCluster } from '../../src/redis/bootstrap.ts';
import { planBootstrap, type TopologyRequest } from '../../src/redis/plan.ts';
import type { ScenarioSettings } from '../../src/scenarios/settings.ts';
import { silentLog, stderrLog, type Log } from '../../src/util/log.ts';
import { beforeAll } from '../support/setup.ts';

/** What the scenarios take by default in these suites: hold, graceful, a 200/s writer, 60 s bounds, no lost write. */
export const defaultSettings = (c: DeployedCluster, extra: Partial<ScenarioSettings> = {}): ScenarioSettings => ({
  holdRestart: true,
  killMode: 'graceful',
  writeRate: 200,
  writeWait: false,
  failoverTimeoutMs: 60_000,
  rejoinTimeoutMs: 60_000,
  thresholds: { maxLostWrites: 0 },
  expected: c.expected,
  ...extra,
});

export interface DeployedCluster {
  platform: LocalPlatform;
  redis: RedisDeployment;
  expected: { nodes: number; masters: number };
  /** The platform's work dir (its logs/ holds every pod incarnation's Redis log). */
  workDir: string;
  /** Tears the platform down and removes its work dir; returns PIDs still running (should be none). */
  teardown(): Promise<number[]>;
}

/** Set RCR_TEST_LOG=1 to see the scenario's progress lines while a suite runs. */
export const testLog: Log = process.env.RCR_TEST_LOG ? stderrLog : silentLog;

export async function deployCluster(
  manifestDir: string,
  addressBase: string,
  topology: TopologyRequest,
  restartDelayMs = 1000,
  mode?: LocalPlatformOptions['mode'],
): Promise<DeployedCluster> {
  const set = await loadManifests(manifestDir);
  const redis = redisDeployment(set);
  const workDir = mkdtempSync(join(tmpdir(), 'rcr-failover-'));
  const platform = createLocalPlatform(
    { log: silentLog, workDir },
    { addressBase, restartDelayMs, ...(mode ? { mode } : {}) },
  );
  const teardown = async () => {
    await platform.teardown();
    rmSync(workDir, { recursive: true, force: true });
    return platform.processIds();
  };
  try {
    await platform.provision();
    await platform.deploy(set, redis);
    const pods = await platform.listPods();
    await bootstrapCluster((a) => platform.reach(a), pods, redis.port, planBootstrap(pods, topology), {
      log: silentLog,
      timeoutMs: 60_000,
    });
    return { platform, redis, expected: { nodes: pods.length, masters: topology.masters }, workDir, teardown };
  } catch (err) {
    await teardown();
    throw err;
  }
}

/**
 * A scenario suite's preamble: its cluster deployed before the tests (through beforeAll: a failed deploy fails
 * every test) and torn down after them, failing if any redis-server is left. Returns the cluster for the tests.
 */
export function scenarioSuite(test: Test, ...deploy: Parameters<typeof deployCluster>): () => DeployedCluster {
  let cluster: DeployedCluster | undefined;
  beforeAll(test, async () => {
    cluster = await deployCluster(...deploy);
  });
  test.after(async () => {
    assert.equal(await cluster?.teardown(), [], 'no redis-server left');
  });
  return () => cluster!;
}
