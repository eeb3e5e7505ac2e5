import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toTopology } from '../../../src/redis/topology.ts';
import { parseClusterNodes } from '../../../src/redis/cluster-nodes.ts';

const fixture = (name: string): string =>
  readFileSync(join(import.meta.dirname, '../../fixtures/cluster-nodes', name), 'utf8');

test('toTopology: masters by slot then replicas, pods named by IP, raw kept', () => {
  const raw = fixture('master-failed-over.txt');
  const podByIp = new Map([1, 2, 3, 4, 5, 6].map((i) => [`127.0.40.${i}`, `redis-${i - 1}`]));
  const t = toTopology(parseClusterNodes(raw), podByIp, raw);
  assert.is(t.clusterNodes, raw);
  assert.equal(
    t.nodes.map((n) => n.pod),
    ['redis-0', 'redis-1', 'redis-3', 'redis-2', 'redis-4', 'redis-5'],
  );
  assert.equal(t.nodes[2], {
    nodeId: 'a0ada010544e8b7b4d9796f98f3189361e78f243',
    pod: 'redis-3',
    address: '127.0.40.4:6379',
    role: 'master',
    slots: ['10923-16383'],
    flags: ['master'],
  });
  assert.equal(t.nodes[3]!.flags, ['master', 'fail']);
  assert.equal(t.nodes[3]!.slots, []);
  const replica = t.nodes.find((n) => n.pod === 'redis-5')!;
  assert.is(replica.role, 'replica');
  assert.is(replica.masterId, '0c4c1a5419c35905d6bbcdb664d2303890bd3212');
});

test('toTopology: a pod with its Kubernetes node and zone, where known', () => {
  const raw = fixture('master-failed-over.txt');
  const t = toTopology(
    parseClusterNodes(raw),
    new Map([['127.0.40.1', { name: 'redis-0', node: 'kind-worker', zone: 'eu-1a' }]]),
  );
  const n = t.nodes.find((x) => x.pod === 'redis-0')!;
  assert.equal([n.kubeNode, n.zone], ['kind-worker', 'eu-1a']);
});

test('toTopology: a node with no address and no pod', () => {
  const t = toTopology(parseClusterNodes(fixture('noaddr.txt')), new Map());
  const ghost = t.nodes.find((n) => n.flags.includes('noaddr'))!;
  assert.is(ghost.address, '');
  assert.is(ghost.pod, undefined);
  assert.is(t.clusterNodes, undefined);
});

test.run();
