/**
 * cluster-restart on manifests with no peer re-discovery (the seed's shape: Redis started on its own, nothing
 * introduces the recreated pods to each other): every pod comes back on a new address with its NodeID, none
 * knows another's new address, and cluster-reformed fails naming that cause, within the budget plus the grace.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runClusterRestart } from '../../src/scenarios/cluster-restart.ts';
import { defaultSettings, scenarioSuite, testLog } from './failover-cluster.ts';

const cluster = scenarioSuite(test, 'test/fixtures/manifests/seed-topology', '127.0.113', {
  masters: 1,
  replicasPerMaster: 2,
});

test('every pod deleted at once (kill): recreated on new addresses with their NodeIDs; no re-discovery, so cluster-reformed fails with the cause, bounded', async () => {
  const c = cluster();
  const budget = 4000;
  const started = Date.now();
  const r = await runClusterRestart(
    { platform: c.platform, redis: c.redis, log: testLog },
    defaultSettings(c, { killMode: 'kill', thresholds: { maxLostWrites: 0, maxReformMs: budget } }),
  );
  const elapsed = Date.now() - started;
  const why = r.checks.map((x) => `${x.id}: ${x.status}: ${x.summary}`).join('\n');
  assert.is(r.error, undefined, r.error);
  assert.equal(
    r.checks.map((x) => [x.id, x.status]),
    [
      ['all-pods-recreated', 'pass'],
      ['node-ids-kept', 'pass'],
      ['cluster-reformed', 'fail'],
      ['data-intact', 'skipped'],
      ['max-lost-writes', 'skipped'],
    ],
    why,
  );
  assert.is(r.status, 'fail');
  const recreated = r.checks[0]!.evidence.pods as Array<{ ipBefore: string; ipAfter: string }>;
  assert.ok(
    recreated.every((p) => p.ipAfter !== p.ipBefore),
    'every pod on a new address',
  );
  const reformed = r.checks[2]!;
  assert.match(
    reformed.summary,
    /nodes came back on new addresses and none knows another's: the manifests have no peer re-discovery/,
  );
  assert.match(reformed.summary, /CLUSTER MEET/);
  assert.is(reformed.evidence.nodesKnowingAPeer, 0);
  assert.ok(r.timings.allPodsBackMs !== undefined && r.timings.reformMs === undefined, JSON.stringify(r.timings));
  // Bounded: the wait stops at budget + grace after every pod is back (plus setup and the restarts themselves).
  assert.ok(elapsed < 60_000, `took ${elapsed} ms`);
});

test.run();
