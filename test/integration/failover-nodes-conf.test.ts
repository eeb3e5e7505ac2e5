/**
 * A manifest whose cluster-config-file lies on an emptyDir instead of the PVC: the recreated pod loses
 * nodes.conf and comes back as a new node. node-id-kept must fail and show both NodeIDs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runMasterFailover } from '../../src/scenarios/master-failover.ts';
import { runReplicaLoss } from '../../src/scenarios/replica-loss.ts';
import { deployCluster, testLog, type DeployedCluster } from './failover-cluster.ts';

let cluster: DeployedCluster | undefined;

test.after(async () => {
  assert.equal(await cluster?.teardown(), [], 'no redis-server left');
});

test('nodes.conf off the PVC: node-id-kept fails with both NodeIDs in evidence', async () => {
  cluster = await deployCluster('test/fixtures/manifests/nodes-conf-off-pvc', '127.0.75', {
    masters: 3,
    replicasPerMaster: 1,
  });
  const c = cluster;
  const r = await runMasterFailover(c.platform, c.redis, {
    holdRestart: true,
    killMode: 'graceful',
    writeRate: 0,
    writeWait: false,
    failoverTimeoutMs: 60_000,
    rejoinTimeoutMs: 30_000,
    thresholds: { maxLostWrites: 0 },
    expected: c.expected,
    log: testLog,
  });
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
  const c = cluster!;
  const r = await runReplicaLoss(
    { platform: c.platform, redis: c.redis, log: testLog },
    {
      holdRestart: false,
      killMode: 'graceful',
      writeRate: 0,
      writeWait: false,
      failoverTimeoutMs: 60_000,
      rejoinTimeoutMs: 30_000,
      thresholds: { maxLostWrites: 0 },
      expected: c.expected,
    },
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
