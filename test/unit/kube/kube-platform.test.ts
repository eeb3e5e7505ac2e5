import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import * as assert from 'uvu/assert';
import { DEFAULTS, type Config } from '../../../src/config.ts';
import { KubeApiError, TimeoutError } from '../../../src/errors.ts';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import type { ManifestSet, MountView, RedisDeployment } from '../../../src/manifests/model.ts';
import * as kube from '../../../src/platform/kube.ts';
import * as api from '../../../src/platform/kube/api.ts';
import * as pvFiles from '../../../src/platform/kube/pv-files.ts';
import type { PlatformContext } from '../../../src/platform/platform.ts';
import { silentLog } from '../../../src/util/log.ts';
import { startApiFixture, type ApiFixture } from './api-fixture.ts';
import { ApiServer, rbacForbidden } from './api-server.ts';

let fixture: ApiFixture;

const MANIFESTS = `apiVersion: v1
kind: ConfigMap
metadata: { name: redis-conf }
data: { redis.conf: "cluster-enabled yes" }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: redis-app }
spec:
  replicas: 3
  serviceName: redis-service
  selector: { matchLabels: { app: redis } }
  template:
    metadata: { labels: { app: redis } }
    spec:
      terminationGracePeriodSeconds: 10
      containers: [{ name: redis, image: "redis:7.2.5", ports: [{ containerPort: 6379 }] }]
  volumeClaimTemplates:
    - metadata: { name: redis-data }
      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
`;
const dataMount: MountView = { name: 'redis-data', mountPath: '/var/lib/redis', readOnly: false, source: { type: 'pvc', claimTemplate: 'redis-data' } };
const set = (): ManifestSet => ({ dir: '.', files: ['redis.yaml'], objects: parseManifestFile('redis.yaml', MANIFESTS) });
const redis = { name: 'redis-app', namespace: 'default', replicas: 3, podLabels: { app: 'redis' }, claimTemplates: [{ name: 'redis-data', accessModes: [] }],
  mountFor: (p: string) => (p.startsWith('/var/lib/redis/') ? dataMount : undefined) } as unknown as RedisDeployment;
const ctx: PlatformContext = { log: silentLog, workDir: '/nonexistent' };
const config = (extra: Partial<Config> = {}): Config =>
  ({ ...DEFAULTS, command: 'check', manifests: '.', platform: 'existing', kubeconfig: fixture.kubeconfig, rolloutTimeoutMs: 5000, ...extra });

beforeAll(test, async () => {
  fixture = await startApiFixture();
});
test.after(() => fixture.close());
test.before.each(() => {
  fixture.requests.length = 0;
  // n2 was cordoned before the run: the hold must leave it so.
  fixture.server = new ApiServer({ nodes: [{ name: 'n1' }, { name: 'n2', unschedulable: true }] });
});

const unschedulable = () => Object.fromEntries(fixture.server.list('Node').map((n) => [n.metadata.name, n.spec.unschedulable]));
const namespaceNamed = (prefix: string) => fixture.server.list('Namespace').find((n) => n.metadata.name.startsWith(prefix));

test('existing cluster: own namespace, apply, pods, held delete, release restores nodes, teardown deletes the namespace', async () => {
  const platform = kube.createExistingPlatform(config(), ctx);
  assert.is(platform.kind, 'existing');
  await platform.provision();
  await platform.deploy(set(), redis);
  const ns = namespaceNamed('redis-resilience-')?.metadata.name;
  assert.ok(ns, 'a generated namespace was created');
  const applies = fixture.requests.filter((r) => r.contentType === 'application/apply-patch+yaml');
  assert.equal(applies.map((r) => r.path), [`/api/v1/namespaces/${ns}/configmaps/redis-conf`, `/apis/apps/v1/namespaces/${ns}/statefulsets/redis-app`]);

  const before = await platform.listPods();
  assert.equal(before.map((p) => [p.name, p.ordinal, p.ready]), [['redis-app-0', 0, true], ['redis-app-1', 1, true], ['redis-app-2', 2, true]]);
  const victim = before[1]!;

  await platform.deletePod(victim.name, { hold: true, mode: 'kill' });
  const del = fixture.requests.find((r) => r.method === 'DELETE' && r.path.endsWith(`/pods/${victim.name}`))!;
  assert.is(del.query.get('gracePeriodSeconds'), '1', 'kill is the shortest grace, not a force delete (0)');
  assert.equal(unschedulable(), { n1: true, n2: true }, 'schedulable node cordoned');

  const held = await platform.waitForReplacement(victim.name, victim.uid, 300).then(() => undefined, (e: Error) => e);
  assert.instance(held, TimeoutError);
  assert.match(held!.message, `${victim.name}: Pending, not scheduled: 0/2 nodes are available: 2 node(s) were unschedulable.`);

  await platform.releaseHold();
  assert.equal(unschedulable(), { n1: undefined, n2: true }, 'n1 uncordoned, n2 (cordoned before) left cordoned');
  const back = await platform.waitForReplacement(victim.name, victim.uid, 2000);
  assert.is.not(back.uid, victim.uid);
  assert.ok(back.ready && back.ip !== '' && back.ip !== victim.ip);

  await platform.teardown();
  assert.ok(fixture.server.get('Namespace', undefined, ns!)?.metadata.deletionTimestamp ?? !fixture.server.get('Namespace', undefined, ns!), 'namespace deleted (Terminating, then gone)');
  const count = fixture.requests.length;
  await platform.teardown();
  assert.is(fixture.requests.length, count, 'second teardown does nothing');
});

test('graceful delete sends no grace period; teardown releases a hold still in place; a given namespace is kept', async () => {
  fixture.server.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'staging-redis' }, status: { phase: 'Active' } });
  const platform = kube.createExistingPlatform(config({ namespace: 'staging-redis' }), ctx);
  await platform.provision();
  await platform.deploy(set(), redis);
  await platform.deletePod('redis-app-0', { hold: true, mode: 'graceful' });
  const del = fixture.requests.find((r) => r.method === 'DELETE' && r.path.endsWith('/pods/redis-app-0'))!;
  assert.is(del.query.get('gracePeriodSeconds'), null);
  await platform.teardown();
  assert.equal(unschedulable(), { n1: undefined, n2: true });
  assert.ok(fixture.server.get('Namespace', undefined, 'staging-redis'), 'a namespace the run did not create is not deleted');
  const deleted = fixture.requests.filter((r) => r.method === 'DELETE').map((r) => r.path);
  assert.ok(deleted.includes('/apis/apps/v1/namespaces/staging-redis/statefulsets/redis-app'), 'its own objects are');
  assert.ok(deleted.includes('/api/v1/namespaces/staging-redis/persistentvolumeclaims/redis-data-redis-app-2'), 'and the claims');
});

test('delete waits while the pod is Terminating (graceful deletion) and returns once its process has exited', async () => {
  let exit!: () => void;
  fixture.server.processExit = () => new Promise<void>((resolve) => (exit = resolve));
  const platform = kube.createExistingPlatform(config({ namespace: 'default' }), ctx);
  await platform.provision();
  await platform.deploy(set(), redis);
  const victim = (await platform.listPods())[0]!;
  let settled = false;
  const deleting = platform.deletePod(victim.name, { hold: false, mode: 'graceful' }).finally(() => (settled = true));
  // Poll the server (no timing): the pod turns Terminating and stays, with the grace of its spec.
  let pod = fixture.server.get('Pod', 'default', victim.name);
  while (!pod?.metadata.deletionTimestamp) {
    await new Promise((resolve) => setImmediate(resolve));
    pod = fixture.server.get('Pod', 'default', victim.name);
  }
  assert.is(pod.metadata.uid, victim.uid);
  assert.is(pod.metadata.deletionGracePeriodSeconds, 10);
  const listed = await platform.listPods();
  assert.is(listed[0]!.ready, false, 'a Terminating pod is not ready');
  assert.is(settled, false, 'deletePod has not returned while the old pod is still there');
  exit();
  await deleting;
  const back = await platform.waitForReplacement(victim.name, victim.uid, 2000);
  assert.is.not(back.uid, victim.uid, 'the StatefulSet controller recreated it, a new object');
  await platform.teardown();
});

test('403 while waiting for the rollout ends the wait at once, naming what was refused (no poll until the timeout)', async () => {
  fixture.route = (r) => (r.method === 'GET' && r.path === '/api/v1/namespaces/default/pods' ? rbacForbidden('list', 'Pod', 'default') : undefined);
  try {
    const platform = kube.createExistingPlatform(config({ namespace: 'default', rolloutTimeoutMs: 600_000 }), ctx);
    await platform.provision();
    const err = await platform.deploy(set(), redis).then(() => undefined, (e: Error) => e);
    assert.instance(err, KubeApiError);
    assert.match(err!.message, 'cannot list pods in namespace default: pods is forbidden: User "system:serviceaccount:ci:runner" cannot list resource "pods" in API group "" in the namespace "default" (HTTP 403)');
    assert.is(fixture.requests.filter((r) => r.path === '/api/v1/namespaces/default/pods').length, 1, 'asked once');
    await platform.teardown();
  } finally {
    fixture.route = () => undefined;
  }
});

test('pod files through the stand-in: claim -> volume -> hostPath -> runner dir', async () => {
  const hostDir = mkdtempSync(path.join(os.tmpdir(), 'pv-'));
  try {
    mkdirSync(path.join(hostDir, 'redis-1'));
    writeFileSync(path.join(hostDir, 'redis-1', 'nodes.conf'), 'abc myself,master - 0 0 1 connected 0-5460\n');
    fixture.server.put({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'redis-data-redis-app-0', namespace: 'default' }, spec: { volumeName: 'redis-1' } });
    fixture.server.put({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'redis-1' }, spec: { hostPath: { path: '/var/local/redis-resilience-pv/redis-1' } } });
    const core = api.kubeClients(api.loadKubeConfig(fixture.kubeconfig)).core;
    const read = (podName: string, containerPath = '/var/lib/redis/nodes.conf') =>
      pvFiles.readStandInFile(core, { namespace: 'default', podName, mount: dataMount, containerPath, hostDir, nodeDir: '/var/local/redis-resilience-pv' });
    assert.is(await read('redis-app-0'), 'abc myself,master - 0 0 1 connected 0-5460\n');
    assert.is(await read('redis-app-1'), undefined, 'no claim');
    assert.is(await read('redis-app-0', '/var/lib/redis/../../etc/passwd'), undefined, 'outside the mount');
  } finally {
    rmSync(hostDir, { recursive: true, force: true });
  }
});

test('stand-in directories: created on the runner open to every user (a non-root Redis must write nodes.conf)', async () => {
  const hostDir = mkdtempSync(path.join(os.tmpdir(), 'pv-'));
  const umask = process.umask(0o022);
  try {
    mkdirSync(path.join(hostDir, 'redis-1'), { mode: 0o700 });
    await pvFiles.createStandInDirs(hostDir, ['redis-0', 'redis-1']);
    for (const name of ['redis-0', 'redis-1']) {
      const st = statSync(path.join(hostDir, name));
      assert.ok(st.isDirectory(), name);
      assert.is((st.mode & 0o777).toString(8), '777', `${name} mode`);
    }
  } finally {
    process.umask(umask);
    rmSync(hostDir, { recursive: true, force: true });
  }
});

test('runnerPathFor: subPath honoured, paths outside the stand-in refused', () => {
  const base = { hostDir: '/run/pv', nodeDir: '/var/local/pv', containerPath: '/data/nodes.conf' };
  assert.is(pvFiles.runnerPathFor({ ...base, pvHostPath: '/var/local/pv/redis-0', mount: { mountPath: '/data', subPath: 'r0' } }), '/run/pv/redis-0/r0/nodes.conf');
  assert.is(pvFiles.runnerPathFor({ ...base, pvHostPath: '/mnt/elsewhere', mount: { mountPath: '/data' } }), undefined);
});

test.run();
