/**
 * master-partition on real servers: the master holding slot 0 and a client on its side cut off from every other
 * Redis node by iptables rules between the pods' loopback addresses, then healed. Plain writes: the writes the
 * cut-off master acknowledged are lost and fail the default budget with their count and cause; WAIT 1: none lost,
 * PASS; min-replicas-to-write 1 with min-replicas-max-lag 1: the minority stops taking writes well before the
 * node timeout. Redis and Valkey. No rule is left behind after any test.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runMasterPartition } from '../../src/scenarios/master-partition.ts';
import { openClusterClient } from '../../src/scenarios/cluster-client.ts';
import type { ScenarioResult } from '../../src/scenarios/model.ts';
import { hostIptables } from '../../src/platform/local/faults/partition.ts';
import { CHAIN_PREFIX, iptablesProblem } from '../../src/platform/packet-filter.ts';
import { defaultSettings, deployCluster, scenarioSuite, testLog, type DeployedCluster } from './failover-cluster.ts';

const NODE_TIMEOUT_MS = 5000; // manifests/configmap.yaml and examples/valkey
const TOPOLOGY = { masters: 3, replicasPerMaster: 1 };
const cluster = scenarioSuite(test, 'manifests', '127.0.130', TOPOLOGY);

/** This file's partition rules: the chains whose rules name its pods' addresses (127.0.130-139: the bases below,
 * and the next /24s a claim may move to), never another run's beside it. */
async function partitionRules(): Promise<string[]> {
  const lines = (await hostIptables(['-w', '5', '-S'])).stdout.split('\n').filter((l) => l.includes(CHAIN_PREFIX));
  const chains = new Set(lines.filter((l) => /127\.0\.13\d\./.test(l)).map((l) => l.split(' ')[1]));
  return lines.filter((l) => [...chains].some((c) => c !== undefined && l.includes(c)));
}

test.after.each(async () => {
  assert.equal(await partitionRules(), [], 'no partition rule left behind');
});

test('iptables works here (root, installed): otherwise every case below would only see the scenario skipped', async () => {
  assert.is(await iptablesProblem(hostIptables), undefined);
});

const why = (r: ScenarioResult): string =>
  `${r.error ?? ''}\n${r.checks.map((x) => `${x.id} ${x.status}: ${x.summary}`).join('\n')}`;
const check = (r: ScenarioResult, id: string) => r.checks.find((c) => c.id === id);

async function partitioned(c: DeployedCluster, writeWait: boolean): Promise<ScenarioResult> {
  const r = await runMasterPartition(
    { platform: c.platform, redis: c.redis, log: testLog },
    defaultSettings(c, { writeWait }),
  );
  assert.is(r.error, undefined, why(r));
  for (const id of [
    'replica-promoted',
    'minority-stopped-writes',
    'rejoined-as-replica',
    'cluster-healthy',
    'data-intact',
  ])
    assert.is(check(r, id)?.status, 'pass', `${id}\n${why(r)}`);
  const order = [
    'partition-cut',
    'minority-refused',
    'replica-promoted',
    'partition-healed',
    'rejoined',
    'cluster-healthy',
  ];
  const at = order.map((e) => r.timeline.find((x) => x.event === e)?.atMs);
  assert.ok(
    at.every((t, i) => t !== undefined && (i === 0 || i === 2 || t >= at[i - 1]!)),
    JSON.stringify(r.timeline),
  );
  return r;
}

/** Each sampled lost value, read straight from its list now: it is not there (independent of the checker). */
async function assertAbsent(c: DeployedCluster, r: ScenarioResult): Promise<void> {
  const reader = await openClusterClient(
    async (a) => a,
    (await c.platform.listPods()).map((p) => ({ host: p.ip, port: c.redis.port })),
    { commandTimeoutMs: 5000, readyTimeoutMs: 10_000 },
  );
  try {
    for (const s of r.partitionLoss!.sample) {
      const [, key, value] = /^(\S+) value (\d+)$/.exec(s.key)!;
      assert.not.ok((await reader.lrange(key!, 0, -1)).includes(value!), `${s.key} counted lost and absent`);
    }
  } finally {
    reader.disconnect();
  }
}

/** Plain writes: a positive count of acknowledged-then-lost minority writes fails max-lost-writes with its cause. */
function assertLost(r: ScenarioResult, server: string): void {
  const loss = r.partitionLoss!;
  assert.ok(loss, 'the partition loss is reported');
  assert.ok(loss.lost > 0, `the cut-off master's acknowledged writes are lost (${why(r)})`);
  // The history checker's lost values are these acknowledged ones and those only seen by a read (never acknowledged).
  assert.is(loss.lost + loss.seenThenLost, loss.minority.history!.values.lost, JSON.stringify(loss.minority.history));
  assert.ok(loss.sample.length > 0);
  assert.is(r.status, 'fail');
  const budget = check(r, 'max-lost-writes')!;
  assert.is(budget.status, 'fail');
  assert.match(budget.summary, `acknowledged writes lost: ${loss.lost + r.writes!.lost} > budget 0`);
  assert.match(budget.summary, /while it was cut off from the majority/);
  // Every lost write was acknowledged after the cut and no later than the master's refusal (the probe's next
  // write after it, 50 ms apart, plus the time a write takes). The cut's origin is taken when its last iptables
  // call returns, a few ms after the rule is in: measured acknowledgements at -7 to -1 ms (docs/design.md).
  assert.ok(
    loss.lostWindow!.firstAckMs >= -100 && loss.lostWindow!.lastAckMs <= loss.refusedAtMs! + 500,
    JSON.stringify(loss),
  );
  // Without min-replicas, the node timeout bounds the window: PFAIL of the majority after it, then CLUSTERDOWN.
  assert.ok(loss.refusedAtMs! >= NODE_TIMEOUT_MS - 500, `refused at ${loss.refusedAtMs} ms`);
  assert.ok(r.notes!.some((n) => n.includes('What narrows the window: min-replicas-to-write 1')));
  testLog.info(
    `master-partition (${server}): ${loss.lost} of ${loss.minority.acknowledged} minority writes lost, acknowledged ${loss.lostWindow!.firstAckMs}-${loss.lostWindow!.lastAckMs} ms after the cut; refused from ${loss.refusedAtMs} ms`,
  );
}

test('Redis, plain writes: the minority acknowledged writes and lost them; the default max-lost-writes 0 fails with the count and the cause', async () => {
  const r = await partitioned(cluster(), false);
  assertLost(r, 'Redis');
  await assertAbsent(cluster(), r);
});

test('Redis, --write-wait: zero lost, PASS, and the report says why (WAIT cannot be satisfied from the minority side)', async () => {
  const r = await partitioned(cluster(), true);
  assert.is(r.partitionLoss!.lost, 0, why(r));
  assert.is(r.status, 'pass', why(r));
  assert.ok(r.notes!.some((n) => n.includes('WAIT cannot be satisfied from the minority side')));
});

test('min-replicas-to-write 1, min-replicas-max-lag 1: the minority stops taking writes well before the node timeout, and the window is shorter', async () => {
  const c = await deployCluster('test/fixtures/manifests/min-replicas', '127.0.131', TOPOLOGY);
  try {
    const r = await partitioned(c, false);
    const loss = r.partitionLoss!;
    assert.is(loss.minReplicasToWrite, 1);
    assert.is(loss.minReplicasMaxLagS, 1);
    assert.match(loss.refusal!, /NOREPLICAS/);
    assert.ok(loss.refusedAtMs! < NODE_TIMEOUT_MS - 1000, `refused at ${loss.refusedAtMs} ms`);
    if (loss.lostWindow) assert.ok(loss.lostWindow.lastAckMs < NODE_TIMEOUT_MS - 1000, JSON.stringify(loss));
    assert.match(check(r, 'minority-stopped-writes')!.summary, /min-replicas-to-write 1 with min-replicas-max-lag 1 s/);
    testLog.info(`master-partition (min-replicas): ${loss.lost} lost; refused from ${loss.refusedAtMs} ms`);
  } finally {
    assert.equal(await c.teardown(), [], 'no redis-server left');
  }
});

test('Valkey, plain writes: the same loss, counted and failed', async () => {
  const c = await deployCluster('examples/valkey', '127.0.132', TOPOLOGY);
  try {
    const r = await partitioned(c, false);
    assertLost(r, 'Valkey');
    await assertAbsent(c, r);
  } finally {
    assert.equal(await c.teardown(), [], 'no valkey-server left');
  }
});

test.run();
