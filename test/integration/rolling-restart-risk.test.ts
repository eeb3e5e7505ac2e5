/**
 * rolling-restart with a readiness probe that says ready as soon as Redis answers (before a replica has
 * synced) and a slow pod restart (12 s, past node timeout + election): the rollout causes failovers and moves
 * on while replicas are still syncing. The report must show that risk (failover count, unsynced-ready time)
 * and fail, not pass silently.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRollingRestart } from '../../src/scenarios/rolling-restart.ts';
import { defaultSettings, scenarioSuite, testLog } from './failover-cluster.ts';

const cluster = scenarioSuite(
  test,
  'test/fixtures/manifests/probe-ready-before-sync',
  '127.0.83',
  { masters: 3, replicasPerMaster: 1 },
  12_000,
);

test('slow restarts and an early readiness probe: failovers counted, unsynced-ready time shown, failovers-safe fails', async () => {
  const c = cluster();
  const r = await runRollingRestart(
    { platform: c.platform, redis: c.redis, log: testLog },
    defaultSettings(c, { writeRate: 100 }),
  );
  const why = r.checks.map((x) => `${x.id} ${x.status}: ${x.summary}`).join('\n');
  assert.is(r.error, undefined, why);
  assert.is(r.status, 'fail', why);
  const safe = r.checks.find((x) => x.id === 'failovers-safe')!;
  assert.is(safe.status, 'fail', why);
  assert.ok(r.failovers! >= 1, `failovers ${r.failovers}`);
  assert.match(safe.summary, `${r.failovers} failover(s) during the rollout`);
  assert.ok(
    r.pods!.some((p) => p.failover),
    'a pod whose slots a replica took over',
  );
  assert.ok(
    r.pods!.some((p) => (p.unsyncedReadyMs ?? 0) > 0),
    `ready before in sync: ${JSON.stringify(r.pods)}`,
  );
  assert.ok(
    r.notes?.some((n) => n.startsWith('Ready before in sync:')),
    String(r.notes),
  );
  for (const id of ['pods-replaced', 'node-id-kept', 'slot-coverage-kept'])
    assert.is(r.checks.find((x) => x.id === id)?.status, 'pass', `${id}\n${why}`);
});

test.run();
