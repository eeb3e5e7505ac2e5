import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redisDeployment } from '../../../src/manifests/deployment.ts';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import type { ManifestSet, RedisDeployment } from '../../../src/manifests/model.ts';
import { templateRevision } from '../../../src/manifests/rollout-changes.ts';
import { ApplyRefusedError } from '../../../src/platform/faults.ts';
import { localRolloutFault, type LocalRolloutHost } from '../../../src/platform/local/faults/rollout.ts';

const FILES = ['statefulset.yaml', 'configmap.yaml'];
function manifests(edit: (t: string) => string = (t) => t): { set: ManifestSet; redis: RedisDeployment } {
  const objects = FILES.flatMap((f) => {
    const text = readFileSync(`manifests/${f}`, 'utf8');
    return parseManifestFile(`manifests/${f}`, f === 'statefulset.yaml' ? edit(text) : text);
  });
  const set = { dir: 'manifests', files: FILES, objects };
  return { set, redis: redisDeployment(set) };
}

/** A host that records what the fault asks of the platform: the pods' revisions follow the replacements. */
function host(base: { set: ManifestSet; redis: RedisDeployment }) {
  let current = base;
  const revisions: Record<string, string> = Object.fromEntries(
    Array.from({ length: 6 }, (_, i) => [`redis-app-${i}`, templateRevision(base.redis)]),
  );
  const batches: string[][] = [];
  const h: LocalRolloutHost = {
    deployed: () => current,
    update: async (set, redis) => {
      current = { set, redis };
    },
    revisions: () => ({ ...revisions }),
    replace: async (b) => {
      batches.push(...b);
      for (const name of b.flat()) revisions[name] = templateRevision(current.redis);
    },
  };
  return { h, batches, revisions };
}

const withStrategy = (strategy: string) => (t: string) =>
  t.replace('image: redis:7.2.5', 'image: valkey/valkey:8.0').replace('  replicas: 6\n', `  replicas: 6\n${strategy}`);

test('RollingUpdate: highest ordinal first, one at a time, every pod on the new revision', async () => {
  const base = manifests();
  const { h, batches, revisions } = host(base);
  const fault = localRolloutFault(h);
  const u = await fault.apply(manifests(withStrategy('')).set, manifests(withStrategy('')).redis);
  assert.equal([u.strategy, u.partition, u.maxUnavailable], ['RollingUpdate', 0, 1]);
  assert.equal(u.changed, ['StatefulSet redis-app']);
  await fault.waitRolledOut(1000);
  assert.equal(batches, [
    ['redis-app-5'],
    ['redis-app-4'],
    ['redis-app-3'],
    ['redis-app-2'],
    ['redis-app-1'],
    ['redis-app-0'],
  ]);
  assert.ok(Object.values(revisions).every((r) => r === u.updateRevision));
});

test('partition and maxUnavailable: pods below the partition kept, two at a time above it', async () => {
  const head = manifests(
    withStrategy(
      '  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate:\n      partition: 2\n      maxUnavailable: 2\n',
    ),
  );
  const { h, batches } = host(manifests());
  const fault = localRolloutFault(h);
  await fault.apply(head.set, head.redis);
  await fault.waitRolledOut(1000);
  assert.equal(batches, [
    ['redis-app-5', 'redis-app-4'],
    ['redis-app-3', 'redis-app-2'],
  ]);
});

test('OnDelete: the apply replaces nothing', async () => {
  const head = manifests(withStrategy('  updateStrategy:\n    type: OnDelete\n'));
  const { h, batches } = host(manifests());
  const fault = localRolloutFault(h);
  assert.is((await fault.apply(head.set, head.redis)).strategy, 'OnDelete');
  await fault.waitRolledOut(1000);
  assert.equal(batches, []);
});

test('a refused change leaves the deployment as it was', async () => {
  const base = manifests();
  const { h } = host(base);
  const head = manifests((t) => t.replace('serviceName: redis-service', 'serviceName: other'));
  const err = await localRolloutFault(h)
    .apply(head.set, head.redis)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.instance(err, ApplyRefusedError);
  assert.is((err as ApplyRefusedError).field, 'spec.serviceName');
  assert.is(h.deployed(), base);
});

test.run();
