/**
 * master-pause on the default manifests: the master frozen (SIGSTOP) past node timeout + election, then
 * resumed. A client connected to it before the freeze queues writes in its socket (the race): whatever the
 * resumed master acknowledged and then dropped is counted, and the count matches an independent read-back.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openClusterClient } from '../../src/scenarios/cluster-client.ts';
import { runMasterPause } from '../../src/scenarios/master-pause.ts';
import { defaultSettings, scenarioSuite, testLog } from './failover-cluster.ts';

const cluster = scenarioSuite(test, 'manifests', '127.0.82', { masters: 3, replicasPerMaster: 1 });

test('frozen master: a replica is promoted, the resumed node steps down with its NodeID, the WAIT writer loses nothing, queued writes are counted', async () => {
  const c = cluster();
  const r = await runMasterPause({ platform: c.platform, redis: c.redis, log: testLog }, defaultSettings(c));
  const why = r.checks.map((x) => `${x.id} ${x.status}: ${x.summary}`).join('\n');
  assert.is(r.error, undefined, why);
  assert.is(r.path, 'failover');
  for (const id of [
    'replica-promoted',
    'stepped-down',
    'node-id-kept',
    'writer-kept-writing',
    'cluster-healthy',
    'data-intact',
    'max-lost-writes',
  ]) {
    assert.is(r.checks.find((x) => x.id === id)?.status, 'pass', `${id}\n${why}`);
  }
  assert.is(r.status, 'pass');
  assert.is(r.writes!.mode, 'wait');
  const order = ['pod-frozen', 'replica-promoted', 'pod-resumed', 'stepped-down', 'cluster-healthy'];
  const at = order.map((e) => r.timeline.find((x) => x.event === e)?.atMs);
  assert.ok(
    at.every((t, i) => t !== undefined && (i === 0 || t >= at[i - 1]!)),
    JSON.stringify(r.timeline),
  );

  // The race: the checker's lost count is what the final read of the stale client's list misses.
  const loss = r.pauseLoss!;
  assert.ok(loss, 'pause loss measured');
  // Measured here: 306 of the stale client's queued writes acknowledged by the resumed master, then dropped.
  assert.ok(loss.lost > 0, 'the queued writes the resumed master acknowledged are counted');
  assert.is(loss.lost, loss.readBackMissing);
  const reader = await openClusterClient(
    async (a) => a,
    (await c.platform.listPods()).map((p) => ({ host: p.ip, port: 6379 })),
    { commandTimeoutMs: 5000, readyTimeoutMs: 10_000 },
  );
  try {
    for (const s of loss.sample)
      assert.not.ok(
        (await reader.lrange(s.key, 0, -1)).includes(String(s.value)),
        `${s.key} value ${s.value} counted lost and missing`,
      );
  } finally {
    reader.disconnect();
  }
  for (const s of loss.sample)
    assert.ok(
      s.ackAtMs >= at[2]! - 1,
      `lost write acknowledged after the resume (${s.ackAtMs} ms, resumed ${at[2]} ms)`,
    );
  testLog.info(`master-pause: ${loss.lost} acknowledged write(s) of the stale client lost`);
});

test.run();
