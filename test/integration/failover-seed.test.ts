/**
 * The seed post's topology (one master with every slot, two replicas): no majority of masters is left to vote,
 * so no replica is ever promoted. The scenario must end within its failover timeout with replica-promoted
 * failed and the reason, and still let the pod come back so the cluster is whole again.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runMasterFailover } from '../../src/scenarios/master-failover.ts';
import { defaultSettings, scenarioSuite, testLog } from './failover-cluster.ts';

const cluster = scenarioSuite(test, 'test/fixtures/manifests/seed-topology', '127.0.74', {
  masters: 1,
  replicasPerMaster: 2,
});

test('one master, two replicas: replica-promoted fails with the majority explanation, in bounded time', async () => {
  const c = cluster();
  const failoverTimeoutMs = 20_000;
  const rejoinTimeoutMs = 30_000;
  const started = Date.now();
  const r = await runMasterFailover(
    { platform: c.platform, redis: c.redis, log: testLog },
    defaultSettings(c, { writeRate: 100, failoverTimeoutMs, rejoinTimeoutMs }),
  );
  const tookMs = Date.now() - started;
  assert.is(r.error, undefined);
  assert.is(r.status, 'fail');
  assert.is(r.path, 'no-failover');
  const promoted = r.checks.find((x) => x.id === 'replica-promoted')!;
  assert.is(promoted.status, 'fail');
  assert.match(
    promoted.summary,
    /as Redis shows: the victim is the only master: a replica needs votes from a majority of the masters/,
  );
  // Said as soon as the survivors suspect the master (~node timeout), not after the 20 s failover timeout.
  const released = r.timeline.find((e) => e.event === 'hold-released')!;
  assert.ok(released.atMs < failoverTimeoutMs / 2, `hold released ${released.atMs} ms after the deletion`);
  assert.is(Object.keys(promoted.evidence)[0], 'quorum', 'the reason comes first in the evidence');
  assert.is(promoted.evidence.mastersWithSlots, 1);
  const lastSeen = promoted.evidence.lastSeenOfVictim as string[];
  assert.is(lastSeen.length, 2, 'both replicas report the victim');
  assert.ok(
    lastSeen.some((l) => l.includes(' master,fail? ')),
    `survivors suspect the master: ${lastSeen.join(' | ')}`,
  );
  // Bounded: the failover wait, then the pod's return and health, each within its own timeout.
  assert.ok(tookMs < failoverTimeoutMs + 2 * rejoinTimeoutMs, `took ${tookMs} ms`);
  assert.ok(
    r.timeline.some((e) => e.event === 'hold-released'),
    'the hold was released',
  );
  // The master came back with its NodeID and its slots, and the cluster is whole again.
  for (const id of ['pod-recreated', 'node-id-kept', 'cluster-healthy', 'data-intact', 'max-lost-writes']) {
    const chk = r.checks.find((x) => x.id === id)!;
    assert.is(chk.status, 'pass', `${id}: ${chk.summary}`);
  }
  // No replica took over: no new master to follow, so not a PASS (its summary says where the node is).
  assert.match(r.checks.find((x) => x.id === 'rejoined-as-replica')!.summary, /back as the master of its slots/);
  assert.is(r.checks.find((x) => x.id === 'rejoined-as-replica')!.status, 'skipped');
  assert.equal(
    r.checks.filter((x) => x.status === 'fail').map((x) => x.id),
    ['replica-promoted'],
  );
});

test.run();
