/**
 * replica-loss on the default manifests (6 pods, 3 masters + 3 replicas): the deleted replica's master keeps
 * taking writes, the pod comes back with its NodeID, follows the same master and resyncs, nothing is lost.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../src/errors.ts';
import { runReplicaLoss } from '../../src/scenarios/replica-loss.ts';
import { defaultSettings, scenarioSuite, testLog } from './failover-cluster.ts';

const settings = defaultSettings;

const cluster = scenarioSuite(test, 'manifests', '127.0.80', { masters: 3, replicasPerMaster: 1 });

test('a replica deleted: its master never refuses a write, the pod returns with its NodeID to the same master and resyncs', async () => {
  const c = cluster();
  const r = await runReplicaLoss({ platform: c.platform, redis: c.redis, log: testLog }, settings(c));
  assert.is(r.error, undefined);
  assert.equal(
    r.checks.map((x) => [x.id, x.status]),
    [
      ['pod-recreated', 'pass'],
      ['node-id-kept', 'pass'],
      ['rejoined-as-replica', 'pass'],
      ['replica-resynced', 'pass'],
      ['cluster-healthy', 'pass'],
      ['writes-never-refused', 'pass'],
      ['data-intact', 'pass'],
      ['max-lost-writes', 'pass'],
    ],
    r.checks.map((x) => `${x.id}: ${x.summary}`).join('\n'),
  );
  assert.is(r.status, 'pass');
  assert.is(r.writes!.unavailableMs, 0);
  assert.ok(r.writes!.acknowledged > 0);
  // The pod hit was a replica, and it is one again.
  const before = r.topologyBefore.nodes.find((n) => n.nodeId === r.victim!.nodeId)!;
  const after = r.topologyAfter!.nodes.find((n) => n.nodeId === r.victim!.nodeId)!;
  assert.is(before.role, 'replica');
  assert.is(after.role, 'replica');
  assert.is(after.masterId, before.masterId);
  const resync = r.checks.find((x) => x.id === 'replica-resynced')!.evidence as {
    replicaOffset: number;
    masterOffset: number;
  };
  assert.ok(resync.replicaOffset >= resync.masterOffset);
  const order = ['pod-deleted', 'pod-back', 'redis-up', 'rejoined', 'resynced', 'cluster-healthy'];
  const at = order.map((e) => r.timeline.find((x) => x.event === e)?.atMs);
  assert.ok(
    at.every((t, i) => t !== undefined && (i === 0 || t >= at[i - 1]!)),
    `timeline ${JSON.stringify(r.timeline)}`,
  );
});

test('a --victim that is neither a replica nor a master with one is an input error', async () => {
  const c = cluster();
  const err = await runReplicaLoss(
    { platform: c.platform, redis: c.redis, log: testLog },
    settings(c, { victim: 'redis-app-99' }),
  ).catch((e: unknown) => e);
  assert.instance(err, InputError);
  assert.match((err as Error).message, /victim redis-app-99: no such pod; replicas: redis-app-\d/);
});

test.run();
