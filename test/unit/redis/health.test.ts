import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assessViews, type NodeHealthView } from '../../../src/redis/health.ts';
import { infoFields } from '../../../src/redis/connect.ts';
import { parseClusterNodes } from '../../../src/redis/cluster-nodes.ts';

// Real CLUSTER NODES / CLUSTER INFO captured by test/support/capture-cluster-nodes.ts.
const fixture = (name: string): string =>
  readFileSync(join(import.meta.dirname, '../../fixtures/cluster-nodes', name), 'utf8');
const okInfo = infoFields(fixture('master-failed-over-info.txt'));
const view = (file: string, host: string, info = okInfo): NodeHealthView => ({
  address: { host, port: 6379 },
  nodes: parseClusterNodes(fixture(file)),
  info,
});
const expected = { nodes: 6, masters: 3 };

test('infoFields reads CLUSTER INFO and skips INFO section headers', () => {
  assert.is(okInfo.cluster_state, 'ok');
  assert.is(okInfo.cluster_known_nodes, '6');
  assert.is(okInfo['cluster_stats_messages_auth-ack_sent'], '1');
  assert.equal(infoFields('# Replication\r\nrole:slave\r\nmaster_host:10.0.0.1\r\n\r\n'), {
    role: 'slave',
    master_host: '10.0.0.1',
  });
});

test('a healthy 3x3 cluster seen from a master and a replica has no problems', () => {
  assert.equal(
    assessViews(
      [view('healthy-3x3-from-master.txt', '127.0.40.1'), view('healthy-3x3-from-replica.txt', '127.0.40.6')],
      expected,
    ),
    [],
  );
});

test('a node that does not answer is named', () => {
  const problems = assessViews(
    [
      view('healthy-3x3-from-master.txt', '127.0.40.1'),
      { address: { host: '127.0.40.3', port: 6379 }, error: 'cannot connect' },
    ],
    expected,
  );
  assert.equal(problems, ['127.0.40.3:6379 does not answer: cannot connect']);
});

test('fail? and fail entries are problems even while cluster_state is ok', () => {
  const pfail = assessViews([view('master-pfail.txt', '127.0.40.1')], expected);
  assert.equal(pfail, ['127.0.40.1:6379 sees node 9aa0ca13 (127.0.40.3:6379) as fail?']);
  const fail = assessViews([view('master-fail.txt', '127.0.40.1')], expected);
  assert.equal(fail, ['127.0.40.1:6379 sees node 9aa0ca13 (127.0.40.3:6379) as fail']);
});

test('after a failover the old master is a failed ghost master with no slots', () => {
  const problems = assessViews([view('master-failed-over.txt', '127.0.40.1')], expected);
  assert.equal(problems, [
    '127.0.40.1:6379 sees node 9aa0ca13 (127.0.40.3:6379) as fail',
    '127.0.40.1:6379 sees master 9aa0ca13 (127.0.40.3:6379) with no slots (a ghost or extra master)',
  ]);
});

test('noaddr and handshake entries, wrong node count, cluster_state and slot counts are reported', () => {
  assert.ok(
    assessViews([view('noaddr.txt', '127.0.40.1')], expected).includes(
      '127.0.40.1:6379 sees node 9aa0ca13 (no address) as fail,noaddr',
    ),
  );
  const hs = assessViews([view('handshake.txt', '127.0.40.1', { ...okInfo, cluster_known_nodes: '7' })], expected);
  assert.equal(hs, [
    '127.0.40.1:6379 knows 7 nodes (expected 6)',
    '127.0.40.1:6379 sees node 21068178 (127.0.40.99:6379) as handshake',
  ]);
  const bad = assessViews(
    [
      view('healthy-3x3-from-master.txt', '127.0.40.1', {
        ...okInfo,
        cluster_state: 'fail',
        cluster_slots_ok: '10923',
      }),
    ],
    expected,
  );
  assert.equal(bad, [
    '127.0.40.1:6379 reports cluster_state:fail',
    '127.0.40.1:6379 reports cluster_slots_ok:10923 (expected 16384)',
  ]);
});

test('two nodes that disagree on slot ownership are one inconsistent view', () => {
  const problems = assessViews(
    [view('healthy-3x3-from-master.txt', '127.0.40.1'), view('master-failed-over.txt', '127.0.40.2')],
    expected,
  );
  assert.ok(
    problems.some((p) => p.startsWith('127.0.40.2:6379 sees a different slot ownership than 127.0.40.1:6379')),
    problems.join('\n'),
  );
});

test('the seed topology (one master) is not the expected 3 masters', () => {
  const problems = assessViews([view('hostnames.txt', '127.0.40.11')], { nodes: 6, masters: 1 });
  assert.ok(problems.includes('127.0.40.11:6379 sees 3 masters owning slots (expected 1)'));
});

test.run();
