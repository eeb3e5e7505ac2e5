import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSlots, mastersOf, myself, parseClusterNodes, replicasOf, slotCount } from '../../../src/redis/cluster-nodes.ts';
import type { ClusterNode } from '../../../src/redis/types.ts';

// Real output captured by test/support/capture-cluster-nodes.ts (see the fixtures' README).
const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../../fixtures/cluster-nodes', name), 'utf8');
const parse = (name: string): ClusterNode[] => parseClusterNodes(fixture(name));
const at = (nodes: ClusterNode[], ip: string): ClusterNode => {
  const n = nodes.find((x) => x.ip === ip);
  assert.ok(n, `no node at ${ip}`);
  return n!;
};
const flags = (n: ClusterNode): string[] => [...n.flags].sort();

test('healthy 3x3 from a master: every field of a master and a replica line', () => {
  const nodes = parse('healthy-3x3-from-master.txt');
  assert.is(nodes.length, 6);
  const me = myself(nodes);
  assert.is(me.id, 'fac1b4523ef92049341b07687d65c66cf2620761');
  assert.is(me.ip, '127.0.40.1');
  assert.is(me.port, 6379);
  assert.is(me.busPort, 16379);
  assert.is(me.hostname, undefined);
  assert.equal(flags(me), ['master', 'myself']);
  assert.is(me.masterId, undefined);
  assert.is(me.pingSent, 0);
  assert.is(me.pongReceived, 1795639581000);
  assert.is(me.configEpoch, 1);
  assert.is(me.linkState, 'connected');
  assert.equal(me.slots, [[0, 5460]]);
  assert.equal(me.migrating, []);
  assert.equal(me.importing, []);
  assert.ok(me.raw.startsWith('fac1b4523ef9') && me.raw.endsWith('connected 0-5460'));

  const replica = at(nodes, '127.0.40.6');
  assert.equal(flags(replica), ['slave']);
  assert.is(replica.masterId, '0c4c1a5419c35905d6bbcdb664d2303890bd3212');
  assert.is(replica.pongReceived, 1795639581854);
  assert.is(replica.configEpoch, 2);
  assert.equal(replica.slots, []);

  assert.equal(mastersOf(nodes).map((n) => n.ip).sort(), ['127.0.40.1', '127.0.40.2', '127.0.40.3']);
  assert.equal(replicasOf(nodes, me.id).map((n) => n.ip), ['127.0.40.5']);
  assert.is(slotCount(nodes), 16384);
  assert.equal(formatSlots(at(nodes, '127.0.40.3').slots), ['10923-16383']);
});

test('healthy 3x3 from a replica: myself,slave with its master', () => {
  const nodes = parse('healthy-3x3-from-replica.txt');
  const me = myself(nodes);
  assert.equal(flags(me), ['myself', 'slave']);
  assert.is(me.masterId, at(nodes, '127.0.40.2').id);
  assert.is(slotCount(mastersOf(nodes)), 16384);
});

test('nodes.conf: same line format, the trailing vars line is ignored', () => {
  const nodes = parse('nodes-conf-healthy.txt');
  assert.is(nodes.length, 6);
  assert.is(myself(nodes).id, 'fac1b4523ef92049341b07687d65c66cf2620761');
  assert.ok(fixture('nodes-conf-healthy.txt').includes('vars currentEpoch 6'));
});

test('migrating and importing slots, next to the owned range', () => {
  const mig = myself(parse('migrating.txt'));
  assert.equal(mig.slots, [[0, 5460]]);
  assert.equal(mig.migrating, [{ slot: 100, to: '0c4c1a5419c35905d6bbcdb664d2303890bd3212' }]);
  assert.equal(mig.importing, []);
  const imp = myself(parse('importing.txt'));
  assert.equal(imp.slots, [[5461, 10922]]);
  assert.equal(imp.importing, [{ slot: 100, from: 'fac1b4523ef92049341b07687d65c66cf2620761' }]);
  assert.equal(imp.migrating, []);
});

test('nofailover replica', () => {
  const n = at(parse('nofailover.txt'), '127.0.40.6');
  assert.equal(flags(n), ['nofailover', 'slave']);
  assert.is(n.masterId, '0c4c1a5419c35905d6bbcdb664d2303890bd3212');
});

test('handshake entry: random id, no master, zero times, disconnected', () => {
  const n = at(parse('handshake.txt'), '127.0.40.99');
  assert.equal(flags(n), ['handshake']);
  assert.is(n.masterId, undefined);
  assert.is(n.pingSent, 0);
  assert.is(n.pongReceived, 0);
  assert.is(n.configEpoch, 0);
  assert.is(n.linkState, 'disconnected');
});

test('frozen master: fail? then fail, keeps its slots until a replica is promoted', () => {
  const pfail = at(parse('master-pfail.txt'), '127.0.40.3');
  assert.equal(flags(pfail), ['fail?', 'master']);
  assert.is(pfail.pingSent, 1795639582558);
  assert.equal(pfail.slots, [[10923, 16383]]);
  const fail = at(parse('master-fail.txt'), '127.0.40.3');
  assert.equal(flags(fail), ['fail', 'master']);
  assert.equal(fail.slots, [[10923, 16383]]);

  const after = parse('master-failed-over.txt');
  assert.equal(at(after, '127.0.40.3').slots, []);
  const promoted = at(after, '127.0.40.4');
  assert.equal(flags(promoted), ['master']);
  assert.is(promoted.configEpoch, 7);
  assert.equal(promoted.slots, [[10923, 16383]]);
});

test('noaddr: empty address :0@0', () => {
  const n = parse('noaddr.txt').find((x) => x.flags.has('noaddr'))!;
  assert.is(n.id, '9aa0ca13cb96b67e099f4a70da340ea2b14b9314');
  assert.is(n.ip, '');
  assert.is(n.port, 0);
  assert.is(n.busPort, 0);
  assert.equal(flags(n), ['fail', 'master', 'noaddr']);
  assert.is(n.linkState, 'disconnected');
});

test('announced hostnames, in CLUSTER NODES and nodes.conf', () => {
  for (const file of ['hostnames.txt', 'nodes-conf-hostnames.txt']) {
    const nodes = parse(file);
    const me = myself(nodes);
    assert.is(me.ip, '127.0.40.11');
    assert.is(me.port, 6379);
    assert.is(me.busPort, 16379);
    assert.is(me.hostname, 'redis-0.redis.default.svc.cluster.local');
    assert.is(at(nodes, '127.0.40.13').hostname, 'redis-2.redis.default.svc.cluster.local');
  }
});

// Shapes the captures do not contain (noflags, single slots, IPv6): written from the documented format.
test('noflags, single slots and an IPv6 address', () => {
  const [n] = parseClusterNodes('67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 [::1]:30002@31002 noflags - 0 1426238316232 2 connected 5 7-9 16383\n');
  assert.equal(flags(n!), ['noflags']);
  assert.is(n!.ip, '[::1]');
  assert.is(n!.port, 30002);
  assert.equal(n!.slots, [[5, 5], [7, 9], [16383, 16383]]);
  assert.equal(formatSlots(n!.slots), ['5', '7-9', '16383']);
  const [v6] = parseClusterNodes('67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 fe80::1:6379@16379 master - 0 0 1 connected');
  assert.is(v6!.ip, 'fe80::1');
});

test('malformed lines throw and quote the line', () => {
  const good = 'fac1b4523ef92049341b07687d65c66cf2620761 127.0.40.1:6379@16379 myself,master - 0 0 1 connected 0-5460';
  const cases: Array<[string, RegExp]> = [
    ['fac1b4523ef92049341b07687d65c66cf2620761 127.0.40.1:6379@16379 master -', /at least 8 fields/],
    [good.replace('fac1b4523ef9', 'xyz'), /not 40 hex digits/],
    [good.replace('127.0.40.1:6379@16379', '127.0.40.1'), /address/],
    [good.replace('myself,master', 'myself,boss'), /unknown flag "boss"/],
    [good.replace(' - ', ' 42 '), /master "42"/],
    [good.replace('connected', 'linked'), /link state/],
    [good.replace('0-5460', '0-16384'), /out of range/],
    [good.replace('0-5460', '10-5'), /backwards/],
    [good.replace('0-5460', '[100->-abc]'), /slot field/],
  ];
  for (const [line, why] of cases) {
    assert.throws(() => parseClusterNodes(`${good}\n${line}\n`), (e: Error) => why.test(e.message) && e.message.includes(`"${line}"`));
  }
  assert.throws(() => myself(parseClusterNodes(good.replace('myself,', ''))), /no "myself" line/);
});

test.run();
