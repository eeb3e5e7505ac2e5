import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { readManifests } from '../../../src/prepare.ts';
import { valueAt } from '../../../src/manifests/object-path.ts';
import type { JsonObject } from '../../../src/manifests/model.ts';
import {
  emulatedNodes,
  placePod,
  schedulingRules,
  ZONE_LABEL,
  type EmulatedNode,
  type PlacedPod,
} from '../../../src/platform/local/nodes.ts';

const LABELS = { app: 'redis' };
const antiTerm = (key = 'kubernetes.io/hostname'): JsonObject => ({
  labelSelector: { matchLabels: LABELS },
  topologyKey: key,
});

/** Places `count` pods one after the other, as a StatefulSet (OrderedReady) creates them. */
function placeAll(spec: JsonObject, nodes: EmulatedNode[], count: number): string[] {
  const rules = schedulingRules(spec);
  const placed: PlacedPod[] = [];
  return Array.from({ length: count }, (_, i) => {
    const where = placePod(rules, LABELS, nodes, placed);
    if ('pending' in where) return `Pending: ${where.pending}`;
    placed.push({ name: `p-${i}`, node: where.node, labels: LABELS });
    return where.node;
  });
}

test("the default manifests' preferred anti-affinity places 6 pods on 3 nodes, 2 on each", async () => {
  const { redis } = await readManifests(path.resolve('manifests'));
  const rules = schedulingRules(valueAt(redis.statefulSet.body, ['spec', 'template', 'spec']));
  const nodes = emulatedNodes(3);
  const placed: PlacedPod[] = [];
  for (let i = 0; i < redis.replicas; i++) {
    const where = placePod(rules, redis.podLabels, nodes, placed);
    if (!('node' in where)) throw new Error(where.pending);
    placed.push({ name: `redis-app-${i}`, node: where.node, labels: redis.podLabels });
  }
  assert.is(placed.length, 6);
  assert.equal(
    placed.map((p) => p.node),
    ['local-worker', 'local-worker2', 'local-worker3', 'local-worker', 'local-worker2', 'local-worker3'],
  );
});

test('required anti-affinity: one pod per node, the rest Pending with the scheduler message', () => {
  const spec = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [antiTerm()] } } };
  const got = placeAll(spec, emulatedNodes(2), 3);
  assert.equal(got.slice(0, 2), ['local-worker', 'local-worker2']);
  assert.is(got[2], "Pending: 0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.");
});

test('nodeSelector and required node affinity filter nodes', () => {
  const nodes = emulatedNodes(3);
  nodes[1]!.labels.disk = 'ssd';
  assert.equal(placeAll({ nodeSelector: { disk: 'ssd' } }, nodes, 2), ['local-worker2', 'local-worker2']);
  const affinity = {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }] }],
        },
      },
    },
  };
  assert.equal(placeAll(affinity, nodes, 2), ['local-worker', 'local-worker3']);
  assert.match(
    placeAll({ nodeSelector: { disk: 'nvme' } }, nodes, 1)[0]!,
    /3 node\(s\) didn't match Pod's node affinity/,
  );
});

test('a hard topology spread constraint holds maxSkew; a node without its key cannot take the pod', () => {
  const spread = (key: string) => ({
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: key, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: LABELS } },
    ],
  });
  const nodes = emulatedNodes(3);
  nodes[0]!.labels[ZONE_LABEL] = 'a';
  nodes[1]!.labels[ZONE_LABEL] = 'a';
  nodes[2]!.labels[ZONE_LABEL] = 'b';
  assert.equal(placeAll(spread(ZONE_LABEL), nodes, 4), [
    'local-worker',
    'local-worker3',
    'local-worker',
    'local-worker3',
  ]);
  assert.match(placeAll(spread('rack'), nodes, 1)[0]!, /missing required label/);
});

test('a lost node takes no pod; with none left the pod is Pending on the unreachable taint', () => {
  const nodes = emulatedNodes(2);
  nodes[0]!.down = true;
  assert.equal(placeAll({}, nodes, 2), ['local-worker2', 'local-worker2']);
  nodes[1]!.down = true;
  assert.match(placeAll({}, nodes, 1)[0]!, /^Pending: 0\/2 nodes are available: 2 node\(s\) had untolerated taint/);
});

test('without rules, the default spreading still spreads a StatefulSet over the nodes', () => {
  assert.equal(placeAll({}, emulatedNodes(3), 4), ['local-worker', 'local-worker2', 'local-worker3', 'local-worker']);
});

test.run();
