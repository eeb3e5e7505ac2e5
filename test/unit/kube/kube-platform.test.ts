import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import * as assert from 'uvu/assert';
import { DEFAULTS, type Config } from '../../../src/config.ts';
import { TimeoutError } from '../../../src/errors.ts';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import type { ManifestSet, MountView, RedisDeployment } from '../../../src/manifests/model.ts';
import * as kube from '../../../src/platform/kube.ts';
import * as api from '../../../src/platform/kube/api.ts';
import * as pvFiles from '../../../src/platform/kube/pv-files.ts';
import type { PlatformContext } from '../../../src/platform/platform.ts';
import { silentLog } from '../../../src/util/log.ts';
import { startApiFixture, status, type ApiFixture, type Recorded } from './api-fixture.ts';

let fixture: ApiFixture;

// ---- a small stateful API server: namespaces, nodes, a StatefulSet's pods, claims and volumes ----
interface FakePod { name: string; uid: string; ip: string; scheduled: boolean }
let namespaces: Set<string>;
let nodes: Record<string, boolean | undefined>;
let pods: Map<string, FakePod>;
let claims: Record<string, string>;
let volumes: Record<string, string>;
let uidCounter = 0;
let ipCounter = 10;

const anySchedulable = () => Object.values(nodes).some((u) => u !== true);
const newPod = (name: string): FakePod => ({ name, uid: `uid-${++uidCounter}`, ip: '', scheduled: false });
/** The fake scheduler + kubelet: a pod starts (ready, with an IP) once some node is schedulable. */
function schedule(): void {
  if (!anySchedulable()) return;
  for (const p of pods.values()) if (!p.scheduled) Object.assign(p, { scheduled: true, ip: `10.244.1.${++ipCounter}` });
}
const podJson = (p: FakePod, ns: string) => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: p.name, namespace: ns, uid: p.uid, labels: { app: 'redis' } },
  spec: { containers: [{ name: 'redis', image: 'redis:7.2.5' }], terminationGracePeriodSeconds: 1, ...(p.scheduled ? { nodeName: 'n1' } : {}) },
  status: p.scheduled
    ? { phase: 'Running', podIP: p.ip, conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }] }
    : { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available: 2 node(s) were unschedulable.' }] },
});
const ok = (body: unknown) => ({ status: 200, body });

function route(r: Recorded) {
  schedule();
  let m: RegExpExecArray | null;
  if (r.method === 'GET' && (m = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(r.path))) {
    return namespaces.has(m[1]!) ? ok({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: m[1] } }) : status(404, `namespaces "${m[1]}" not found`);
  }
  if (r.method === 'POST' && r.path === '/api/v1/namespaces') {
    const body = JSON.parse(r.body);
    namespaces.add(body.metadata.name);
    return { status: 201, body: { apiVersion: 'v1', kind: 'Namespace', ...body } };
  }
  if (r.method === 'DELETE' && (m = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(r.path))) {
    namespaces.delete(m[1]!);
    return ok({ apiVersion: 'v1', kind: 'Status', status: 'Success' });
  }
  if (r.method === 'PATCH' && r.contentType === 'application/apply-patch+yaml') {
    const body = JSON.parse(r.body);
    if (body.kind === 'StatefulSet') for (let i = 0; i < body.spec.replicas; i++) pods.set(`redis-app-${i}`, newPod(`redis-app-${i}`));
    schedule();
    return ok(body);
  }
  if (r.method === 'GET' && r.path === '/api/v1/nodes') {
    return ok({ apiVersion: 'v1', kind: 'NodeList', items: Object.entries(nodes).map(([name, u]) => ({ metadata: { name }, spec: u ? { unschedulable: u } : {} })) });
  }
  if (r.method === 'PATCH' && (m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(r.path))) {
    const u = JSON.parse(r.body).spec.unschedulable;
    nodes[m[1]!] = u === null ? undefined : u;
    return ok({ apiVersion: 'v1', kind: 'Node', metadata: { name: m[1] } });
  }
  if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(r.path))) {
    return ok({ apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [...pods.values()].map((p) => podJson(p, m![1]!)) });
  }
  if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(r.path))) {
    const p = pods.get(m[2]!);
    if (!p) return status(404, `pods "${m[2]}" not found`);
    if (r.method === 'GET') return ok(podJson(p, m[1]!));
    if (r.method === 'DELETE') {
      const replacement = newPod(p.name); // the StatefulSet controller recreates it at once
      pods.set(p.name, replacement);
      schedule();
      return ok(podJson(p, m[1]!));
    }
  }
  if (r.method === 'GET' && (m = /^\/api\/v1\/namespaces\/[^/]+\/persistentvolumeclaims\/([^/]+)$/.exec(r.path))) {
    const v = claims[m[1]!];
    return v ? ok({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: m[1] }, spec: { volumeName: v } }) : status(404, 'no claim');
  }
  if (r.method === 'GET' && (m = /^\/api\/v1\/persistentvolumes\/([^/]+)$/.exec(r.path))) {
    const p = volumes[m[1]!];
    return p ? ok({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: m[1] }, spec: { hostPath: { path: p } } }) : status(404, 'no pv');
  }
  return undefined;
}

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
`;
const dataMount: MountView = { name: 'redis-data', mountPath: '/var/lib/redis', readOnly: false, source: { type: 'pvc', claimTemplate: 'redis-data' } };
const set = (): ManifestSet => ({ dir: '.', files: ['redis.yaml'], objects: parseManifestFile('redis.yaml', MANIFESTS) });
const redis = { name: 'redis-app', namespace: 'default', replicas: 3, podLabels: { app: 'redis' }, claimTemplates: [{ name: 'redis-data', accessModes: [] }],
  mountFor: (p: string) => (p.startsWith('/var/lib/redis/') ? dataMount : undefined) } as unknown as RedisDeployment;
const ctx: PlatformContext = { log: silentLog, workDir: '/nonexistent' };
const config = (extra: Partial<Config> = {}): Config =>
  ({ ...DEFAULTS, command: 'check', manifests: '.', platform: 'existing', kubeconfig: fixture.kubeconfig, rolloutTimeoutMs: 5000, ...extra });

beforeAll(test, async () => {
  fixture = await startApiFixture(route);
});
test.after(() => fixture.close());
test.before.each(() => {
  fixture.requests.length = 0;
  namespaces = new Set(['default']);
  nodes = { n1: undefined, n2: true };
  pods = new Map();
  claims = {};
  volumes = {};
});

test('existing cluster: own namespace, apply, pods, held delete, release restores nodes, teardown deletes the namespace', async () => {
  const platform = kube.createExistingPlatform(config(), ctx);
  assert.is(platform.kind, 'existing');
  await platform.provision();
  await platform.deploy(set(), redis);
  const ns = [...namespaces].find((n) => n.startsWith('redis-resilience-'));
  assert.ok(ns, 'a generated namespace was created');
  const applies = fixture.requests.filter((r) => r.contentType === 'application/apply-patch+yaml');
  assert.equal(applies.map((r) => r.path), [`/api/v1/namespaces/${ns}/configmaps/redis-conf`, `/apis/apps/v1/namespaces/${ns}/statefulsets/redis-app`]);

  const before = await platform.listPods();
  assert.equal(before.map((p) => [p.name, p.ordinal, p.ready]), [['redis-app-0', 0, true], ['redis-app-1', 1, true], ['redis-app-2', 2, true]]);
  const victim = before[1]!;

  await platform.deletePod(victim.name, { hold: true, mode: 'kill' });
  const del = fixture.requests.find((r) => r.method === 'DELETE' && r.path.endsWith(`/pods/${victim.name}`))!;
  assert.is(del.query.get('gracePeriodSeconds'), '1', 'kill is the shortest grace, not a force delete (0)');
  assert.equal(nodes, { n1: true, n2: true }, 'schedulable node cordoned');

  const held = await platform.waitForReplacement(victim.name, victim.uid, 300).then(() => undefined, (e: Error) => e);
  assert.instance(held, TimeoutError);
  assert.match(held!.message, `${victim.name}: Pending, not scheduled: 0/2 nodes are available: 2 node(s) were unschedulable.`);

  await platform.releaseHold();
  assert.equal(nodes, { n1: undefined, n2: true }, 'n1 uncordoned, n2 (cordoned before) left cordoned');
  const back = await platform.waitForReplacement(victim.name, victim.uid, 2000);
  assert.is.not(back.uid, victim.uid);
  assert.ok(back.ready && back.ip !== '' && back.ip !== victim.ip);

  await platform.teardown();
  assert.not.ok(namespaces.has(ns!), 'namespace deleted');
  const count = fixture.requests.length;
  await platform.teardown();
  assert.is(fixture.requests.length, count, 'second teardown does nothing');
});

test('graceful delete sends no grace period; teardown releases a hold still in place; a given namespace is kept', async () => {
  namespaces.add('staging-redis');
  const platform = kube.createExistingPlatform(config({ namespace: 'staging-redis' }), ctx);
  await platform.provision();
  await platform.deploy(set(), redis);
  await platform.deletePod('redis-app-0', { hold: true, mode: 'graceful' });
  const del = fixture.requests.find((r) => r.method === 'DELETE' && r.path.endsWith('/pods/redis-app-0'))!;
  assert.is(del.query.get('gracePeriodSeconds'), null);
  await platform.teardown();
  assert.equal(nodes, { n1: undefined, n2: true });
  assert.ok(namespaces.has('staging-redis'), 'a namespace the run did not create is not deleted');
  const deleted = fixture.requests.filter((r) => r.method === 'DELETE').map((r) => r.path);
  assert.ok(deleted.includes('/apis/apps/v1/namespaces/staging-redis/statefulsets/redis-app'), 'its own objects are');
  assert.ok(deleted.includes('/api/v1/namespaces/staging-redis/persistentvolumeclaims/redis-data-redis-app-2'), 'and the claims');
});

test('pod files through the stand-in: claim -> volume -> hostPath -> runner dir', async () => {
  const hostDir = mkdtempSync(path.join(os.tmpdir(), 'pv-'));
  try {
    mkdirSync(path.join(hostDir, 'redis-1'));
    writeFileSync(path.join(hostDir, 'redis-1', 'nodes.conf'), 'abc myself,master - 0 0 1 connected 0-5460\n');
    claims = { 'redis-data-redis-app-0': 'redis-1' };
    volumes = { 'redis-1': '/var/local/redis-resilience-pv/redis-1' };
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
