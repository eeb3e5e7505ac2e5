import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatSlots,
  mastersOf,
  myself,
  parseClusterNodes,
  replicasOf,
  slotCount,
  warnUnknownFlags,
} from '../../../src/redis/cluster-nodes.ts';
import type { ClusterNode } from '../../../src/redis/types.ts';

// Real output captured by test/support/capture-cluster-nodes.ts (see the fixtures' README).
const FIXTURES = join(import.meta.dirname, '../../fixtures/cluster-nodes');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const parse = (name: string): ClusterNode[] => parseClusterNodes(fixture(name));
const at = (nodes: ClusterNode[], ip: string): ClusterNode => {
  const n = nodes.find((x) => x.ip === ip);
  assert.ok(n, `no node at ${ip}`);
  return n;
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

  assert.equal(
    mastersOf(nodes)
      .map((n) => n.ip)
      .sort(),
    ['127.0.40.1', '127.0.40.2', '127.0.40.3'],
  );
  assert.equal(
    replicasOf(nodes, me.id).map((n) => n.ip),
    ['127.0.40.5'],
  );
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
  const [n] = parseClusterNodes(
    '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 [::1]:30002@31002 noflags - 0 1426238316232 2 connected 5 7-9 16383\n',
  );
  assert.equal(flags(n!), ['noflags']);
  assert.is(n!.ip, '[::1]');
  assert.is(n!.port, 30002);
  assert.equal(n!.slots, [
    [5, 5],
    [7, 9],
    [16383, 16383],
  ]);
  assert.equal(formatSlots(n!.slots), ['5', '7-9', '16383']);
  const [v6] = parseClusterNodes(
    '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 fe80::1:6379@16379 master - 0 0 1 connected',
  );
  assert.is(v6!.ip, 'fe80::1');
});

test('malformed lines throw and quote the line', () => {
  const good = 'fac1b4523ef92049341b07687d65c66cf2620761 127.0.40.1:6379@16379 myself,master - 0 0 1 connected 0-5460';
  const cases: Array<[string, RegExp]> = [
    ['fac1b4523ef92049341b07687d65c66cf2620761 127.0.40.1:6379@16379 master -', /at least 8 fields/],
    [good.replace('fac1b4523ef9', 'xyz'), /not 40 hex digits/],
    [good.replace('127.0.40.1:6379@16379', '127.0.40.1'), /address/],
    [good.replace('myself,master', 'myself,,master'), /empty flag/],
    [good.replace(' - ', ' 42 '), /master "42"/],
    [good.replace('connected', 'linked'), /link state/],
    [good.replace('0-5460', '0-16384'), /out of range/],
    [good.replace('0-5460', '10-5'), /backwards/],
    [good.replace('0-5460', '[100->-abc]'), /slot field/],
  ];
  for (const [line, why] of cases) {
    assert.throws(
      () => parseClusterNodes(`${good}\n${line}\n`),
      (e: Error) => why.test(e.message) && e.message.includes(`"${line}"`),
    );
  }
  assert.throws(() => myself(parseClusterNodes(good.replace('myself,', ''))), /no "myself" line/);
});

test('an unknown flag is kept and warned about once per flag, never a parse failure', () => {
  // A newer server's flag on a real Valkey 8 capture: everything else on the line must still be read.
  const text = fixture('valkey-8/healthy-3x3-from-master.txt')
    .replace('myself,master', 'myself,master,shiny')
    .replace(/ slave /g, ' slave,shiny,odd? ');
  const warnings: string[] = [];
  const stop = warnUnknownFlags({ warn: (m) => warnings.push(m) });
  let nodes: ClusterNode[];
  try {
    nodes = parseClusterNodes(text);
    parseClusterNodes(text);
  } finally {
    stop();
  }
  const me = myself(nodes);
  assert.equal(flags(me), ['master', 'myself']);
  assert.equal(me.otherFlags, ['shiny']);
  assert.equal(me.slots, [[0, 5460]]);
  const replicas = nodes.filter((n) => n.flags.has('slave'));
  assert.is(replicas.length, 3);
  for (const r of replicas) assert.equal(r.otherFlags, ['shiny', 'odd?']);
  assert.is(warnings.length, 2, warnings.join('\n'));
  // Each warning quotes the first line that had its flag (a replica line comes first in this capture).
  const firstLine = (flag: string) => text.split('\n').find((l) => l.split(' ')[2]!.split(',').includes(flag))!;
  for (const flag of ['shiny', 'odd?']) {
    const w = warnings.filter((x) => x.includes(`flag "${flag}"`));
    assert.is(w.length, 1, flag);
    assert.ok(w[0]!.includes(firstLine(flag)), w[0]);
  }
  // Once stopped, nothing more is reported (the flag is still kept).
  parseClusterNodes(text);
  assert.is(warnings.length, 2);
});

// Valkey 8.0.1, captured the same way (valkey-8/ in the fixtures' README).
test('Valkey 8: CLUSTER NODES and nodes.conf (aux fields tls-port and shard-id after an empty hostname)', () => {
  const live = fixture('valkey-8/healthy-3x3-from-master.txt');
  const nodes = parseClusterNodes(live);
  assert.is(nodes.length, 6);
  assert.is(slotCount(mastersOf(nodes)), 16384);
  for (const n of nodes) assert.equal(n.otherFlags, []);
  const conf = parse('valkey-8/nodes-conf-healthy.txt');
  assert.ok(fixture('valkey-8/nodes-conf-healthy.txt').includes(',,tls-port=0,shard-id='));
  assert.is(conf.length, 6);
  for (const n of conf) {
    assert.is(n.hostname, undefined);
    assert.is(n.aux?.['tls-port'], '0');
    assert.match(n.aux?.['shard-id'] ?? '', /^[0-9a-f]{40}$/);
    const same = nodes.find((x) => x.id === n.id)!;
    assert.is(n.ip, same.ip);
    assert.is(n.busPort, same.busPort);
    assert.equal(n.slots, same.slots);
  }
  // A master and its replica are one shard.
  const master = conf.find((n) => n.flags.has('myself'))!;
  const replica = conf.find((n) => n.masterId === master.id)!;
  assert.is(replica.aux?.['shard-id'], master.aux?.['shard-id']);
  const named = parse('valkey-8/nodes-conf-hostnames.txt');
  assert.is(myself(named).hostname, 'valkey-0.valkey.default.svc.cluster.local');
  assert.match(myself(named).aux?.['shard-id'] ?? '', /^[0-9a-f]{40}$/);
});

test('every Valkey 8 capture parses with no unknown flag', () => {
  for (const name of readdirSync(join(FIXTURES, 'valkey-8'))) {
    if (!name.endsWith('.txt') || name.endsWith('-info.txt')) continue;
    const nodes = parse(`valkey-8/${name}`);
    assert.ok(nodes.length > 0, name);
    for (const n of nodes) assert.equal(n.otherFlags, [], `${name}: ${n.raw}`);
  }
});

test.run();
