import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultTopology, planBootstrap, splitSlots } from '../../../src/redis/plan.ts';
import { InputError } from '../../../src/errors.ts';
import type { PodInfo } from '../../../src/platform/platform.ts';
import type { BootstrapPlan } from '../../../src/redis/types.ts';

const pods = (count: number, nodeOf: (ordinal: number) => string): PodInfo[] =>
  Array.from({ length: count }, (_, i) => ({
    name: `redis-${i}`,
    uid: `uid-${i}`,
    ip: `10.0.0.${i + 1}`,
    node: nodeOf(i),
    ready: true,
    ordinal: i,
  }));
const nodeOfPod =
  (list: PodInfo[]) =>
  (name: string): string =>
    list.find((p) => p.name === name)!.node;

function assertComplete(plan: BootstrapPlan, list: PodInfo[]): void {
  const used = [...plan.masters.map((m) => m.pod), ...plan.replicas.map((r) => r.pod)].sort();
  assert.equal(used, list.map((p) => p.name).sort(), 'every pod used exactly once');
  let next = 0;
  for (const m of plan.masters) {
    assert.is(m.slots[0], next, 'slot ranges are contiguous');
    next = m.slots[1] + 1;
  }
  assert.is(next, 16384, 'all 16384 slots assigned');
}

test('defaultTopology: most masters >= 3 with at least one replica each, else the seed layout', () => {
  assert.equal(defaultTopology(6), { masters: 3, replicasPerMaster: 1 });
  assert.equal(defaultTopology(8), { masters: 4, replicasPerMaster: 1 });
  assert.equal(defaultTopology(9), { masters: 3, replicasPerMaster: 2 });
  assert.equal(defaultTopology(12), { masters: 6, replicasPerMaster: 1 });
  assert.equal(defaultTopology(3), { masters: 1, replicasPerMaster: 2 });
  assert.equal(defaultTopology(7), { masters: 1, replicasPerMaster: 6 });
});

test('slots split as redis-cli --cluster create does', () => {
  // What redis-cli 7.0.15 printed here ("Master[i] -> Slots a - b") for 3, 4, 5, 6 and 7 masters.
  assert.equal(splitSlots(3), [
    [0, 5460],
    [5461, 10922],
    [10923, 16383],
  ]);
  assert.equal(splitSlots(1), [[0, 16383]]);
  assert.equal(splitSlots(4), [
    [0, 4095],
    [4096, 8191],
    [8192, 12287],
    [12288, 16383],
  ]);
  assert.equal(splitSlots(5), [
    [0, 3276],
    [3277, 6553],
    [6554, 9829],
    [9830, 13106],
    [13107, 16383],
  ]);
  assert.equal(splitSlots(7), [
    [0, 2340],
    [2341, 4680],
    [4681, 7021],
    [7022, 9361],
    [9362, 11702],
    [11703, 14042],
    [14043, 16383],
  ]);
  assert.equal(splitSlots(6), [
    [0, 2730],
    [2731, 5460],
    [5461, 8191],
    [8192, 10922],
    [10923, 13652],
    [13653, 16383],
  ]);
});

test('6 pods on one node: 3 masters (first ordinals), one replica each', () => {
  const list = pods(6, () => 'local');
  const plan = planBootstrap(list, { masters: 3, replicasPerMaster: 1 });
  assertComplete(plan, list);
  assert.equal(plan.masters, [
    { pod: 'redis-0', slots: [0, 5460] },
    { pod: 'redis-1', slots: [5461, 10922] },
    { pod: 'redis-2', slots: [10923, 16383] },
  ]);
  assert.equal(plan.replicas, [
    { pod: 'redis-3', master: 'redis-0' },
    { pod: 'redis-4', master: 'redis-1' },
    { pod: 'redis-5', master: 'redis-2' },
  ]);
});

test('6 pods on 3 nodes, in any placement: masters on distinct nodes, no replica beside its master', () => {
  const placements: Array<(i: number) => string> = [
    (i) => `node-${i % 3}`,
    (i) => `node-${Math.floor(i / 2)}`,
    (i) => ['a', 'a', 'b', 'c', 'b', 'c'][i]!,
  ];
  for (const place of placements) {
    const list = pods(6, place);
    const plan = planBootstrap(list, { masters: 3, replicasPerMaster: 1 });
    assertComplete(plan, list);
    const node = nodeOfPod(list);
    assert.is(new Set(plan.masters.map((m) => node(m.pod))).size, 3, 'masters spread over the nodes');
    for (const r of plan.replicas)
      assert.is.not(node(r.pod), node(r.master), `${r.pod} shares a node with its master ${r.master}`);
    assert.equal(planBootstrap(list, { masters: 3, replicasPerMaster: 1 }), plan, 'deterministic');
  }
});

test('9 pods on 3 nodes, 2 replicas each: a master and its two replicas on three different nodes', () => {
  const list = pods(9, (i) => `node-${i % 3}`);
  const plan = planBootstrap(list, { masters: 3, replicasPerMaster: 2 });
  assertComplete(plan, list);
  const node = nodeOfPod(list);
  for (const m of plan.masters) {
    const group = [m.pod, ...plan.replicas.filter((r) => r.master === m.pod).map((r) => r.pod)];
    assert.is(group.length, 3);
    assert.is(new Set(group.map(node)).size, 3, `group of ${m.pod}`);
  }
});

test('3 pods: one master with all slots and two replicas (the seed layout)', () => {
  const list = pods(3, () => 'local');
  const plan = planBootstrap(list, defaultTopology(3));
  assert.equal(plan.masters, [{ pod: 'redis-0', slots: [0, 16383] }]);
  assert.equal(plan.replicas, [
    { pod: 'redis-1', master: 'redis-0' },
    { pod: 'redis-2', master: 'redis-0' },
  ]);
});

test('pod order in the input does not change the plan', () => {
  const list = pods(6, (i) => `node-${i % 2}`);
  assert.equal(
    planBootstrap([...list].reverse(), { masters: 3, replicasPerMaster: 1 }),
    planBootstrap(list, { masters: 3, replicasPerMaster: 1 }),
  );
});

test('counts that do not fit the pods are an InputError naming the numbers', () => {
  const list = pods(6, () => 'local');
  assert.throws(
    () => planBootstrap(list, { masters: 4, replicasPerMaster: 1 }),
    (e: Error) =>
      e instanceof InputError && e.message.includes('4 masters with 1 replicas each need 8 pods, but there are 6'),
  );
  assert.throws(
    () => planBootstrap(list, { masters: 0, replicasPerMaster: 5 }),
    (e: Error) => e instanceof InputError && e.message.includes('masters must be'),
  );
  assert.throws(
    () => planBootstrap(list, { masters: 3, replicasPerMaster: -1 }),
    (e: Error) => e instanceof InputError && e.message.includes('replicas per master'),
  );
});

test('nodes in zones: each replica in another zone than its master where the nodes allow it', () => {
  // Zone a: n0, n2, n4; zone b: n1, n3. Masters 0 (a), 1 (b), 2 (a); the first spare pod (3) is in zone a, so a
  // node-only rule gives it to master 0, in master 0's zone.
  const nodeOf = (i: number) => ['n0', 'n1', 'n2', 'n4', 'n3', 'n1'][i]!;
  const zoneOf = (node: string) => (['n1', 'n3'].includes(node) ? 'b' : 'a');
  const list = pods(6, nodeOf).map((p) => ({ ...p, zone: zoneOf(p.node) }));
  const plan = planBootstrap(list, { masters: 3, replicasPerMaster: 1 });
  assertComplete(plan, list);
  const zone = (name: string) => zoneOf(nodeOfPod(list)(name));
  for (const r of plan.replicas)
    assert.is.not(zone(r.pod), zone(r.master), `${r.pod} in another zone than ${r.master}`);
  // Without zones the same pods only need other nodes.
  const plain = planBootstrap(pods(6, nodeOf), { masters: 3, replicasPerMaster: 1 });
  for (const r of plain.replicas) assert.is.not(nodeOfPod(list)(r.pod), nodeOfPod(list)(r.master));
});

test.run();
