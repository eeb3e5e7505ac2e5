/**
 * A manifest whose cluster-config-file lies on an emptyDir instead of the PVC: the recreated pod loses
 * nodes.conf and comes back as a new node. node-id-kept must fail and show both NodeIDs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runMasterFailover } from '../../src/scenarios/master-failover.ts';
import { runReplicaLoss } from '../../src/scenarios/replica-loss.ts';
import { defaultSettings, scenarioSuite, testLog } from './failover-cluster.ts';

const cluster = scenarioSuite(test, 'test/fixtures/manifests/nodes-conf-off-pvc', '127.0.75', {
  masters: 3,
  replicasPerMaster: 1,
});

test('nodes.conf off the PVC: node-id-kept fails with both NodeIDs in evidence', async () => {
  const c = cluster();
  const r = await runMasterFailover(
    { platform: c.platform, redis: c.redis, log: testLog },
    defaultSettings(c, { writeRate: 0, rejoinTimeoutMs: 30_000 }),
  );
  assert.is(r.error, undefined);
  assert.is(r.status, 'fail');
  assert.is(r.path, 'failover');
  const kept = r.checks.find((x) => x.id === 'node-id-kept')!;
  assert.is(kept.status, 'fail');
  const { nodeIdBefore, nodeIdAfter } = kept.evidence as { nodeIdBefore: string; nodeIdAfter: string };
  assert.is(nodeIdBefore, r.victim.nodeId);
  assert.match(nodeIdAfter, /^[0-9a-f]{40}$/);
  assert.is.not(nodeIdAfter, nodeIdBefore);
  assert.match(kept.summary, `was ${nodeIdBefore}, now ${nodeIdAfter}`);
  assert.match(kept.summary, 'is not on a PersistentVolume');
  assert.is(kept.evidence.onPersistentVolume, false);
  // The stranger cannot rejoin, and the cluster keeps the old NodeID as a failed entry.
  assert.is(r.checks.find((x) => x.id === 'replica-promoted')!.status, 'pass');
  assert.is(r.checks.find((x) => x.id === 'rejoined-as-replica')!.status, 'fail');
  assert.is(r.checks.find((x) => x.id === 'cluster-healthy')!.status, 'fail');
  assert.is(r.checks.find((x) => x.id === 'max-lost-writes')!.status, 'skipped');
});

test('then replica-loss on the same cluster: the replica comes back as a stranger, node-id-kept fails', async () => {
  const c = cluster();
  const r = await runReplicaLoss(
    { platform: c.platform, redis: c.redis, log: testLog },
    defaultSettings(c, { holdRestart: false, writeRate: 0, rejoinTimeoutMs: 30_000 }),
  );
  assert.is(r.error, undefined);
  assert.is(r.status, 'fail');
  const kept = r.checks.find((x) => x.id === 'node-id-kept')!;
  assert.is(kept.status, 'fail');
  assert.is((kept.evidence as { nodeIdBefore: string }).nodeIdBefore, r.victim!.nodeId);
  assert.match(kept.summary, 'is not on a PersistentVolume');
  assert.is(r.checks.find((x) => x.id === 'rejoined-as-replica')!.status, 'fail');
});

test.run();
