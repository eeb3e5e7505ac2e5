import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseClusterNodes } from '../../../src/redis/cluster-nodes.ts';
import type { ClusterNode } from '../../../src/redis/types.ts';
import {
  clusterHealthy,
  dataIntact,
  electionQuorum,
  nodeIdKept,
  podRecreated,
  rejoinedAsReplica,
  replicaPromoted,
  type Victim,
} from '../../../src/scenarios/failover-checks.ts';
import { addressTakenDiagnosis } from '../../../src/scenarios/failover-watch.ts';

// Captured from redis-server 7.0.15 (see test/fixtures/cluster-nodes/README.md): master 9aa0ca13 on .3 fails,
// its replica a0ada010 on .4 takes over 10923-16383.
const fixture = (name: string) =>
  parseClusterNodes(readFileSync(new URL(`../../fixtures/cluster-nodes/${name}`, import.meta.url), 'utf8'));
const before = fixture('healthy-3x3-from-master.txt');
const after = fixture('master-failed-over.txt');
const byId = (nodes: ClusterNode[], prefix: string) => nodes.find((n) => n.id.startsWith(prefix))!;
const victimNode = byId(before, '9aa0ca13');
const victim: Victim = {
  pod: 'redis-app-2',
  nodeId: victimNode.id,
  uid: 'uid-1',
  ip: victimNode.ip,
  slots: victimNode.slots,
  line: victimNode.raw,
  replicaIds: [byId(before, 'a0ada010').id],
};
const NOT_REACHED = 'not reached: boom';

test('quorum: one or two masters cannot elect a replica, three can', () => {
  assert.is(electionQuorum(1).possible, false);
  assert.match(electionQuorum(1).note, /only master/);
  assert.is(electionQuorum(2).possible, false);
  assert.match(electionQuorum(2).note, /only 1 of 2 masters remain/);
  assert.equal({ ...electionQuorum(3), note: '' }, { votesNeeded: 2, votersLeft: 2, possible: true, note: '' });
});

test('replica-promoted passes with the promoted line as evidence', () => {
  const promoted = byId(after, 'a0ada010');
  const c = replicaPromoted({
    path: 'failover',
    victim,
    mastersWithSlots: 3,
    failoverTimeoutMs: 60_000,
    promoted: { node: promoted, atMs: 7100 },
    lastSeen: [],
  });
  assert.is(c.status, 'pass');
  assert.is(c.evidence.promotedLine, promoted.raw);
  assert.match(c.summary, /a0ada010 .*10923-16383 7100 ms/);
});

test('replica-promoted fails with the majority explanation on a one-master cluster, up front in the evidence', () => {
  const c = replicaPromoted({
    path: 'no-failover',
    victim,
    mastersWithSlots: 1,
    failoverTimeoutMs: 20_000,
    lastSeen: ['x master,fail? -'],
  });
  assert.is(c.status, 'fail');
  assert.match(c.summary, /within 20 s: the victim is the only master.*majority/);
  assert.is(Object.keys(c.evidence)[0], 'quorum');
  assert.equal(c.evidence.lastSeenOfVictim, ['x master,fail? -']);
});

test("replica-promoted: a taken victim address (noaddr) is the diagnosis, not the cluster's quorum or a timeout", () => {
  const addressTaken = addressTakenDiagnosis(victim);
  const c = replicaPromoted({
    path: 'no-failover',
    victim,
    mastersWithSlots: 3,
    failoverTimeoutMs: 60_000,
    lastSeen: ['x master,noaddr :0@0'],
    addressTaken,
  });
  assert.is(c.status, 'fail');
  assert.match(c.summary, `noaddr: its address ${victim.ip} was taken by another Redis node`);
  assert.not.match(c.summary, /within 60 s/);
});

test('replica-promoted blames a failover timeout below the floor, not Redis', () => {
  const c = replicaPromoted({
    path: 'no-failover',
    victim,
    mastersWithSlots: 3,
    failoverTimeoutMs: 60_000,
    failoverFloorMs: 91_000,
    lastSeen: [],
  });
  assert.is(c.status, 'fail');
  assert.match(c.summary, /failover timeout is below the 91000 ms Redis may need/);
  assert.not.match(c.summary, /did not elect/);
  assert.is(c.evidence.failoverFloorMs, 91_000);
});

test('replica-promoted gives the reason Redis showed instead of a timeout', () => {
  const c = replicaPromoted({
    path: 'no-failover',
    victim,
    mastersWithSlots: 3,
    failoverTimeoutMs: 60_000,
    lastSeen: [],
    blocked: 'every replica of the victim (a0ada010) is flagged nofailover',
  });
  assert.is(c.status, 'fail');
  assert.match(c.summary, /no replica will take over slots 10923-16383, as Redis shows: every replica .* nofailover/);
  assert.not.match(c.summary, /in time|within/);
});

test('replica-promoted: skipped on the restarted-before-failover path and when not reached', () => {
  assert.is(
    replicaPromoted({
      path: 'restarted-before-failover',
      victim,
      mastersWithSlots: 3,
      failoverTimeoutMs: 1,
      lastSeen: [],
    }).status,
    'skipped',
  );
  const c = replicaPromoted(
    { path: 'no-failover', victim, mastersWithSlots: 3, failoverTimeoutMs: 1, lastSeen: [] },
    NOT_REACHED,
  );
  assert.is(c.status, 'skipped');
  assert.is(c.summary, NOT_REACHED);
});

test('pod-recreated compares UIDs and shows both addresses', () => {
  const pod = { name: 'redis-app-2', uid: 'uid-2', ip: '127.0.70.9', node: 'local', ready: true, ordinal: 2 };
  const c = podRecreated(victim, pod, NOT_REACHED);
  assert.is(c.status, 'pass');
  assert.equal(c.evidence, {
    pod: 'redis-app-2',
    uidBefore: 'uid-1',
    uidAfter: 'uid-2',
    ipBefore: '127.0.40.3',
    ipAfter: '127.0.70.9',
  });
  assert.is(podRecreated(victim, { ...pod, uid: 'uid-1' }, NOT_REACHED).status, 'fail');
  assert.is(podRecreated(victim, undefined, NOT_REACHED).status, 'skipped');
});

test('a pod recreated that never served: pod-recreated and rejoined-as-replica fail with its exit, not skipped', () => {
  const why =
    'pod redis-app-0 was recreated but did not become ready: its container exited with code 1\nUnable to determine Pod IP address!';
  const recreated = podRecreated(victim, undefined, NOT_REACHED, why);
  assert.is(recreated.status, 'fail');
  assert.match(
    recreated.summary,
    /never came back to serve: .*exited with code 1\nUnable to determine Pod IP address!/,
  );
  const rejoined = rejoinedAsReplica(undefined, NOT_REACHED, why);
  assert.is(rejoined.status, 'fail');
  assert.match(rejoined.summary, /never rejoined: .*Unable to determine Pod IP address!/);
  assert.is(rejoinedAsReplica(undefined, NOT_REACHED).status, 'skipped', 'not reached for another reason: skipped');
});

const conf = fixture('nodes-conf-healthy.txt').find((n) => n.flags.has('myself'))!;

test('node-id-kept: same id everywhere passes; a new id fails with both ids and the PV hint', () => {
  const facts = {
    victim: { ...victim, nodeId: conf.id },
    confBefore: conf,
    confAfter: conf,
    myIdAfter: conf.id,
    addressBefore: '127.0.70.3:6379',
    addressAfter: '127.0.70.9:6379',
    clusterConfigFile: '/var/lib/redis/nodes.conf',
    onPersistentVolume: true,
  };
  const ok = nodeIdKept(facts, NOT_REACHED);
  assert.is(ok.status, 'pass');
  assert.is(ok.evidence.nodeIdBefore, ok.evidence.nodeIdAfter);
  assert.is.not(ok.evidence.addressBefore, ok.evidence.addressAfter);
  assert.is(ok.evidence.nodesConfMyselfAfter, conf.raw);

  const fresh = 'f'.repeat(40);
  const lost = nodeIdKept(
    { ...facts, myIdAfter: fresh, confAfter: null, clusterConfigFile: '/data/nodes.conf', onPersistentVolume: false },
    NOT_REACHED,
  );
  assert.is(lost.status, 'fail');
  assert.is(lost.evidence.nodeIdBefore, conf.id);
  assert.is(lost.evidence.nodeIdAfter, fresh);
  assert.match(lost.summary, new RegExp(`was ${conf.id}, now ${fresh}.*/data/nodes.conf is not on a PersistentVolume`));
  assert.is(lost.evidence.nodesConfMyselfAfter, 'not readable from outside the pod');
});

test('node-id-kept fails when nodes.conf names another node even if MYID matches', () => {
  const other = { ...conf, id: 'e'.repeat(40), raw: conf.raw.replace(conf.id, 'e'.repeat(40)) };
  const c = nodeIdKept(
    {
      victim: { ...victim, nodeId: conf.id },
      confBefore: conf,
      confAfter: other,
      myIdAfter: conf.id,
      addressBefore: 'a',
      addressAfter: 'b',
      clusterConfigFile: 'x',
      onPersistentVolume: true,
    },
    NOT_REACHED,
  );
  assert.is(c.status, 'fail');
  assert.match(c.summary, /now eeee/);
});

test('rejoined-as-replica: replica of the promoted node, or master of its own slots when nothing took over', () => {
  const promotedId = byId(after, 'a0ada010').id;
  // The victim's own view after its return: the captured line, as a replica of the promoted node.
  const self = parseClusterNodes(
    `${victim.nodeId} 127.0.40.9:6379@16379 myself,slave ${promotedId} 0 1795639584368 7 connected`,
  )[0]!;
  assert.is(
    rejoinedAsReplica({ path: 'failover', victim, promotedId, self, view: [self, ...after] }, NOT_REACHED).status,
    'pass',
  );
  const asMaster = byId(before, '9aa0ca13');
  const wrong = rejoinedAsReplica({ path: 'failover', victim, promotedId, self: asMaster, view: before }, NOT_REACHED);
  assert.is(wrong.status, 'fail');
  assert.match(wrong.summary, /a master of 10923-16383, not a replica of the promoted node a0ada010/);
  // Nothing took over: there is no replica role to check, so the check is skipped with what was seen (a PASS
  // of "rejoined as replica" whose evidence says "back as the master" reads as a contradiction).
  const back = rejoinedAsReplica(
    { path: 'restarted-before-failover', victim, self: asMaster, view: before },
    NOT_REACHED,
  );
  assert.is(back.status, 'skipped');
  assert.match(
    back.summary,
    /^no replica took over, so there is no new master to follow; node 9aa0ca13 is back as the master of its slots 10923-16383$/,
  );
  assert.is(rejoinedAsReplica({ path: 'no-failover', victim, self, view: after }, NOT_REACHED).status, 'fail');
  assert.is(rejoinedAsReplica(undefined, NOT_REACHED).status, 'skipped');
});

test('cluster-healthy carries the problems as evidence', () => {
  assert.is(clusterHealthy({ healthy: true, problems: [] }, NOT_REACHED).status, 'pass');
  const c = clusterHealthy(
    { healthy: false, problems: ['a reports cluster_state:fail', 'b knows 5 nodes'] },
    NOT_REACHED,
  );
  assert.is(c.status, 'fail');
  assert.equal(c.evidence.problems, ['a reports cluster_state:fail', 'b knows 5 nodes']);
  assert.match(c.summary, /cluster_state:fail \(\+1 more\)/);
});

test('data-intact: canaries and acknowledged writes', () => {
  const canaries = [
    { key: 'c1', value: 'v1', readBack: 'v1' },
    { key: 'c2', value: 'v2', readBack: 'v2' },
  ];
  const writes = {
    mode: 'plain' as const,
    ratePerSecond: 100,
    attempted: 10,
    skipped: 0,
    acknowledged: 8,
    failed: 2,
    lost: 0,
    unavailableMs: 5,
    lostKeys: [],
    firstErrors: [],
  };
  assert.is(dataIntact(canaries, writes, true, NOT_REACHED).status, 'pass');
  assert.is(dataIntact(canaries, undefined, false, NOT_REACHED).status, 'pass');
  const lost = dataIntact(canaries, { ...writes, lost: 1, lostKeys: ['k7'] }, true, NOT_REACHED);
  assert.is(lost.status, 'fail');
  assert.match(lost.summary, /1 of 8 acknowledged writes lost \(k7\)/);
  const missing = dataIntact([{ key: 'c1', value: 'v1', readBack: null }], writes, true, NOT_REACHED);
  assert.is(missing.status, 'fail');
  assert.equal(missing.evidence.canariesBad, ['c1: expected v1, read (missing)']);
  assert.is(dataIntact(canaries, undefined, true, NOT_REACHED).status, 'skipped');
  assert.is(dataIntact([{ key: 'c1', value: 'v1' }], writes, true, NOT_REACHED).status, 'skipped');
});

test.run();
