import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PodInfo } from '../../../src/platform/platform.ts';
import { parseClusterNodes } from '../../../src/redis/cluster-nodes.ts';
import { exposedOn, quorumRisk, shardsOfPlan, shardsOfView } from '../../../src/redis/placement.ts';
import { placementCheck } from '../../../src/scenarios/placement-check.ts';

const pod = (i: number, node: string, zone?: string): PodInfo => ({
  name: `redis-app-${i}`,
  uid: `u${i}`,
  ip: `10.0.0.${i + 1}`,
  node,
  ...(zone ? { zone } : {}),
  ready: true,
  ordinal: i,
});
const id = (i: number) => String(i).repeat(40);
const RANGES = ['0-5460', '5461-10922', '10923-16383'];
/** Three shards as CLUSTER NODES shows them: shard i's master is pod masters[i], its replica pod replicas[i]. */
const threeShards = (masters: number[], replicas: number[]) =>
  parseClusterNodes(
    [
      ...masters.map((m, i) => `${id(m)} 10.0.0.${m + 1}:6379@16379 master - 0 0 ${i + 1} connected ${RANGES[i]!}`),
      ...replicas.map((r, i) => `${id(r)} 10.0.0.${r + 1}:6379@16379 slave ${id(masters[i]!)} 0 0 ${i + 1} connected`),
    ].join('\n'),
  );
/** Three masters (pods 0-2) with one replica each (pod 3 of 0, 4 of 1, 5 of 2). */
const VIEW = threeShards([0, 1, 2], [3, 4, 5]);

test('every shard on two nodes: placement passes', () => {
  const pods = [0, 1, 2, 3, 4, 5].map((i) => pod(i, `n${i % 3}`));
  // replica 3 (n0) follows master 0 (n0): move it to show the pass needs two nodes per shard.
  pods[3] = pod(3, 'n1');
  pods[4] = pod(4, 'n2');
  pods[5] = pod(5, 'n0');
  const check = placementCheck(shardsOfView(VIEW, pods), 'fail', 'after the bootstrap');
  assert.is(check.status, 'pass', check.summary);
  assert.match(check.summary, 'every shard');
});

test('a shard with its master and replica on one node fails, naming the node, the pods and the slots', () => {
  const pods = [0, 1, 2, 3, 4, 5].map((i) => pod(i, `n${i % 3}`)); // 3 on n0 with master 0
  const shards = shardsOfView(VIEW, pods);
  assert.equal(shards.map(exposedOn), ['n0', 'n1', 'n2']);
  const check = placementCheck([shards[0]!], 'fail', 'after node-loss');
  assert.is(check.status, 'fail');
  assert.match(check.summary, 'after node-loss: 1 of 1 shard(s)');
  assert.match(check.summary, 'one node failure takes 5461 slots');
  assert.match(
    check.summary,
    'node n0 holds every copy of slots 0-5460 (5461 slots): redis-app-0 (master), redis-app-3 (replica)',
  );
  const warned = placementCheck([shards[0]!], 'warn', 'after node-loss');
  assert.is(warned.status, 'fail');
  assert.is(warned.evidence.severity, 'warn');
  assert.match(warned.summary, /^\(warning\) /);
});

test('zones: counted where every copy has one', () => {
  const pods = [0, 1, 2, 3, 4, 5].map((i) => pod(i, `n${i}`, i < 3 ? 'a' : 'b'));
  const shards = shardsOfView(VIEW, pods);
  assert.equal(shards[0]!.zones, ['a', 'b']);
  assert.match(placementCheck(shards, 'fail', 'now').summary, '2+ zones');
  const unzoned = shardsOfView(VIEW, [...pods.slice(0, 5), pod(5, 'n5')]);
  assert.is(unzoned[2]!.zones, undefined);
});

test('a plan on one node: every shard exposed', () => {
  const pods = [0, 1, 2, 3].map((i) => pod(i, 'only'));
  const plan = {
    masters: [
      { pod: 'redis-app-0', slots: [0, 8191] as [number, number] },
      { pod: 'redis-app-1', slots: [8192, 16383] as [number, number] },
    ],
    replicas: [
      { pod: 'redis-app-2', master: 'redis-app-0' },
      { pod: 'redis-app-3', master: 'redis-app-1' },
    ],
  };
  assert.equal(shardsOfPlan(plan, pods).map(exposedOn), ['only', 'only']);
});

test('a node running 2 of 3 masters: every shard keeps a copy elsewhere, yet losing it leaves no majority to vote', () => {
  // After a failover: master 0's replica (pod 3, on n1) took over; n1 also runs master 1.
  const view = threeShards([3, 1, 2], [0, 4, 5]);
  const pods = [pod(0, 'n0'), pod(1, 'n1'), pod(2, 'n2'), pod(3, 'n1'), pod(4, 'n2'), pod(5, 'n0')];
  const shards = shardsOfView(view, pods);
  assert.match(quorumRisk(shards) ?? '', 'node n1 runs 2 of the 3 masters');
  const check = placementCheck(shards, 'fail', 'after master-failover');
  assert.is(check.status, 'pass', 'the per-shard rule holds');
  assert.match(check.summary, 'but node n1 runs 2 of the 3 masters');
});

test.run();
