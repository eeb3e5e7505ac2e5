/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument -- the assertions read Kubernetes objects as the API fixture keeps them: free-form JSON (Obj in test/unit/kube/api-server.ts) */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import * as assert from 'uvu/assert';
import type { Config } from '../../../src/config.ts';
import { KubeApiError, TimeoutError } from '../../../src/errors.ts';
import * as kube from '../../../src/platform/kube.ts';
import { isUnsupported, required } from '../../../src/platform/faults.ts';
import * as api from '../../../src/platform/kube/api.ts';
import * as pvFiles from '../../../src/platform/kube/pv-files.ts';
import type { PlatformContext } from '../../../src/platform/platform.ts';
import { RUN_LABEL } from '../../../src/platform/kube/run-names.ts';
import type { UndoJournal, UndoStep } from '../../../src/platform/undo.ts';
import { EvidenceSink, MAX_EVIDENCE_BYTES } from '../../../src/platform/evidence-sink.ts';
import { defaultExecutors, undoUnsettled } from '../../../src/undo/executors.ts';
import { RecordingJournal, type JournalEntry } from '../../../src/undo/journal.ts';
import { silentLog } from '../../../src/util/log.ts';
import { startApiFixture, type ApiFixture } from './api-fixture.ts';
import { ApiServer, rbacForbidden } from './api-server.ts';
import { dataMount, existingConfig, MANIFESTS, redis, redis2, set, sharedSet } from './redis-app.ts';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import type { ManifestSet } from '../../../src/manifests/model.ts';

let fixture: ApiFixture;

const ctx: PlatformContext = { log: silentLog, workDir: '/nonexistent' };
const config = (extra: Partial<Config> = {}): Config => existingConfig(fixture.kubeconfig, extra);

beforeAll(test, async () => {
  fixture = await startApiFixture();
});
test.after(() => fixture.close());
test.before.each(() => {
  fixture.requests.length = 0;
  fixture.route = () => undefined;
  // n2 was cordoned before the run: the hold must leave it so.
  fixture.server = new ApiServer({ nodes: [{ name: 'n1' }, { name: 'n2', unschedulable: true }] });
});

const unschedulable = () =>
  Object.fromEntries(fixture.server.list('Node').map((n) => [n.metadata.name, n.spec.unschedulable]));
const namespaceNamed = (prefix: string) =>
  fixture.server.list('Namespace').find((n) => n.metadata.name.startsWith(prefix));

/** An undo journal that keeps its steps in memory, to see what was recorded, when, and what is still open. */
function memoryJournal() {
  const steps = new Map<string, UndoStep>();
  const log: Array<{ op: 'record' | 'settle'; step: UndoStep; at: number }> = [];
  let next = 0;
  const journal: UndoJournal = {
    record: async (step) => {
      const id = String(++next);
      steps.set(id, step);
      log.push({ op: 'record', step, at: fixture.requests.length });
      return id;
    },
    settle: async (id) => {
      log.push({ op: 'settle', step: steps.get(id)!, at: fixture.requests.length });
      steps.delete(id);
    },
  };
  return { journal, open: () => [...steps.values()], log };
}

test('existing cluster: per-run names, claimRefs, quota hold (no node touched), everything recorded and removed', async () => {
  const journal = memoryJournal();
  const platform = kube.createExistingPlatform(config(), { ...ctx, undo: journal.journal });
  await platform.provision();
  await platform.deploy(sharedSet(), redis2);
  const ns = namespaceNamed('redis-resilience-')!.metadata.name;
  const run = ns.slice('redis-resilience-'.length);

  // Cluster-scoped objects: per-run names, the run label, PVs pre-bound to the run's claims, no default class.
  const applies = fixture.requests.filter((r) => r.contentType === 'application/apply-patch+yaml');
  assert.equal(
    applies.map((r) => r.path),
    [
      `/apis/storage.k8s.io/v1/storageclasses/redis-sc-${run}`,
      `/api/v1/persistentvolumes/redis-pv-a-${run}`,
      `/api/v1/persistentvolumes/redis-pv-b-${run}`,
      `/api/v1/namespaces/${ns}/configmaps/redis-conf`,
      `/apis/apps/v1/namespaces/${ns}/statefulsets/redis-app`,
    ],
  );
  const sc = fixture.server.get('StorageClass', undefined, `redis-sc-${run}`)!;
  assert.is(sc.metadata.labels[RUN_LABEL], run);
  assert.is(
    sc.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'],
    undefined,
    'never a default class of the whole cluster',
  );
  const pvA = fixture.server.get('PersistentVolume', undefined, `redis-pv-a-${run}`)!;
  assert.equal(pvA.spec.claimRef, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    namespace: ns,
    name: 'redis-data-redis-app-0',
  });
  assert.is(pvA.spec.storageClassName, `redis-sc-${run}`);
  assert.is(
    fixture.server.get('PersistentVolumeClaim', ns, 'redis-data-redis-app-1')!.spec.volumeName,
    `redis-pv-b-${run}`,
    'each claim bound to its volume',
  );
  assert.is(
    fixture.server.get('StatefulSet', ns, 'redis-app')!.spec.volumeClaimTemplates[0].spec.storageClassName,
    `redis-sc-${run}`,
  );
  assert.equal(platform.notes.length, 1);
  assert.match(platform.notes[0]!, `PersistentVolume redis-pv-a-${run} (from redis-pv-a) has reclaimPolicy Retain`);
  assert.match(platform.notes[0]!, 'stays on the NFS server (nfs.example:/exports/a)');
  // Each change recorded before it was made.
  const recorded = journal.log.filter((e) => e.op === 'record').map((e) => e.step);
  assert.equal(
    recorded.map((st) => (st.kind === 'kube-object' ? `${st.objectKind}/${st.name}` : st.kind)),
    [
      `Namespace/${ns}`,
      `StorageClass/redis-sc-${run}`,
      `PersistentVolume/redis-pv-a-${run}`,
      `PersistentVolume/redis-pv-b-${run}`,
    ],
  );
  for (const e of journal.log.filter((x) => x.op === 'record')) {
    const step = e.step as Extract<UndoStep, { kind: 'kube-object' }>;
    const made = fixture.requests.findIndex(
      (r) => r.method !== 'GET' && (r.path.endsWith(`/${step.name}`) || r.body.includes(`"name":"${step.name}"`)),
    );
    assert.ok(made >= e.at, `${step.name}: recorded (at request ${e.at}) before it was created (request ${made})`);
  }

  const [, victim] = await platform.listPods();
  const deleting = fixture.requests.length;
  let origin = -1;
  await platform.faults.podDelete.delete(victim!.name, {
    hold: true,
    mode: 'kill',
    onDelete: () => (origin = fixture.requests.length - deleting),
  });
  const sent = fixture.requests.slice(deleting);
  const quotaAt = sent.findIndex((r) => r.method === 'POST' && r.path === `/api/v1/namespaces/${ns}/resourcequotas`);
  const deleteAt = sent.findIndex((r) => r.method === 'DELETE' && r.path.endsWith(`/pods/${victim!.name}`));
  assert.ok(quotaAt >= 0 && quotaAt < deleteAt, 'the quota is created before the pod is deleted');
  assert.equal(JSON.parse(sent[quotaAt]!.body).spec.hard, { pods: '1' }, 'N-1 pods');
  assert.ok(
    sent
      .slice(quotaAt, deleteAt)
      .some((r) => r.method === 'GET' && r.path.endsWith('/resourcequotas/redis-cluster-resilience-hold')),
    'waited for the quota to be in force',
  );
  assert.is(
    origin,
    deleteAt,
    'onDelete (the measured origin) once the hold is in force, right before the delete request',
  );
  assert.equal(
    journal.open().filter((st) => st.kind === 'restart-hold'),
    [
      {
        kind: 'restart-hold',
        target: { kubeconfig: fixture.kubeconfig, context: 'fixture' },
        namespace: ns,
        name: 'redis-cluster-resilience-hold',
      },
    ],
  );

  // Held: the StatefulSet controller's create is refused (403 exceeded quota); no replacement appears.
  const held = await platform.waitForReplacement(victim!.name, victim!.uid, 300).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.instance(held, TimeoutError);
  assert.is(fixture.server.get('Pod', ns, victim!.name), undefined, 'no replacement while held');
  const refused = fixture.server.list('Event', ns).find((e) => e.reason === 'FailedCreate')!;
  assert.match(
    refused.message,
    `pods "${victim!.name}" is forbidden: exceeded quota: redis-cluster-resilience-hold, requested: pods=1, used: pods=1, limited: pods=1`,
  );

  await platform.faults.podDelete.releaseHold();
  assert.equal(fixture.server.list('ResourceQuota', ns), [], 'quota removed on release');
  assert.ok(
    fixture.requests.some(
      (r) =>
        r.method === 'PATCH' &&
        r.path === `/apis/apps/v1/namespaces/${ns}/statefulsets/redis-app` &&
        r.contentType === 'application/merge-patch+json',
    ),
    'StatefulSet nudged',
  );
  // Back at once: the nudge re-queued the controller, which had backed off after its refusals.
  const pod = fixture.server.get('Pod', ns, victim!.name);
  assert.ok(pod && pod.metadata.uid !== victim!.uid, 'recreated right after the release');
  const back = await platform.waitForReplacement(victim!.name, victim!.uid, 2000);
  assert.ok(back.ready && back.ip !== '' && back.ip !== victim!.ip);
  assert.is(platform.hold?.mode, 'quota');
  assert.is(platform.hold?.replacementHeld, true);
  assert.match(
    platform.hold!.detail,
    `pod ${victim!.name} was not recreated while held; the StatefulSet controller was refused `,
  );
  assert.not.ok(
    fixture.requests.some((r) => r.path.startsWith('/api/v1/nodes')),
    'the quota hold reads and patches no Node',
  );
  assert.equal(unschedulable(), { n1: undefined, n2: true });

  await platform.teardown();
  await new Promise((resolve) => setImmediate(resolve)); // the namespace controller empties the namespace
  assert.is(fixture.server.get('Namespace', undefined, ns), undefined, 'namespace deleted');
  assert.equal(
    [...fixture.server.list('StorageClass'), ...fixture.server.list('PersistentVolume')],
    [],
    'StorageClass and PVs deleted',
  );
  assert.equal(journal.open(), [], 'every recorded change undone and settled');
  const count = fixture.requests.length;
  await platform.teardown();
  assert.is(fixture.requests.length, count, 'second teardown does nothing');
});

test('a main step killed during the hold, then the post step: quota, namespace, volumes and class are gone', async () => {
  let saved: JournalEntry[] = [];
  const store = {
    load: async () => structuredClone(saved),
    save: async (_change: unknown, entries: () => JournalEntry[]) => void (saved = entries()),
  };
  const journal = await RecordingJournal.open(store);
  const platform = kube.createExistingPlatform(config(), { ...ctx, undo: journal });
  await platform.provision();
  await platform.deploy(sharedSet(), redis2);
  const ns = namespaceNamed('redis-resilience-')!.metadata.name;
  await platform.faults.podDelete.delete('redis-app-1', { hold: true, mode: 'kill' });
  assert.is(fixture.server.list('ResourceQuota', ns).length, 1, 'held');
  // Killed here: no release, no teardown. The post step opens the saved journal and undoes what is unsettled.
  const post = await RecordingJournal.open(store);
  assert.equal(await undoUnsettled(post, defaultExecutors, silentLog), []);
  await new Promise((resolve) => setImmediate(resolve)); // the namespace controller empties the namespace
  assert.equal(fixture.server.list('ResourceQuota', ns), []);
  assert.is(fixture.server.get('Namespace', undefined, ns), undefined);
  assert.equal([...fixture.server.list('StorageClass'), ...fixture.server.list('PersistentVolume')], []);
  assert.equal((await RecordingJournal.open(store)).unsettled(), []);
  assert.not.ok(
    fixture.requests.some((r) => r.path.startsWith('/api/v1/nodes')),
    'no node touched, by the run or its undo',
  );
});

test('hold-mode cordon (opt-in): nodes cordoned and recorded, restored; a given namespace is kept, what the run made removed', async () => {
  fixture.server.put({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'staging-redis' },
    status: { phase: 'Active' },
  });
  const journal = memoryJournal();
  const platform = kube.createExistingPlatform(config({ namespace: 'staging-redis', holdMode: 'cordon' }), {
    ...ctx,
    undo: journal.journal,
  });
  await platform.provision();
  await platform.deploy(sharedSet(), redis2);
  await platform.faults.podDelete.delete('redis-app-0', { hold: true, mode: 'graceful' });
  const del = fixture.requests.find((r) => r.method === 'DELETE' && r.path.endsWith('/pods/redis-app-0'))!;
  assert.is(del.query.get('gracePeriodSeconds'), null);
  assert.equal(unschedulable(), { n1: true, n2: true }, 'schedulable node cordoned');
  assert.equal(
    journal.open().filter((st) => st.kind === 'node-cordon'),
    [
      {
        kind: 'node-cordon',
        target: { kubeconfig: fixture.kubeconfig, context: 'fixture' },
        node: 'n1',
        wasUnschedulable: false,
      },
    ],
  );
  const held = await platform.waitForReplacement('redis-app-0', 'old', 300).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.match(
    held!.message,
    'redis-app-0: Pending, not scheduled: 0/2 nodes are available: 2 node(s) were unschedulable.',
  );
  await platform.teardown();
  assert.equal(unschedulable(), { n1: undefined, n2: true }, 'n1 uncordoned, n2 (cordoned before) left cordoned');
  assert.is(platform.hold?.mode, 'cordon');
  assert.ok(
    fixture.server.get('Namespace', undefined, 'staging-redis'),
    'a namespace the run did not create is not deleted',
  );
  const deleted = fixture.requests.filter((r) => r.method === 'DELETE').map((r) => r.path);
  assert.ok(deleted.includes('/apis/apps/v1/namespaces/staging-redis/statefulsets/redis-app'), 'its own objects are');
  assert.ok(
    deleted.includes('/api/v1/namespaces/staging-redis/persistentvolumeclaims/redis-data-redis-app-1'),
    'and the claims it made',
  );
  assert.equal(journal.open(), []);
});

test('403 on any call fails at once, naming what was refused; what was made before is removed', async () => {
  const journal = memoryJournal();
  // The quota hold without the right to create ResourceQuotas: no pod is deleted without the hold.
  fixture.route = (r) =>
    r.method === 'POST' && r.path.endsWith('/resourcequotas')
      ? rbacForbidden('create', 'ResourceQuota', r.path.split('/')[4])
      : undefined;
  let platform = kube.createExistingPlatform(config(), { ...ctx, undo: journal.journal });
  await platform.provision();
  await platform.deploy(sharedSet(), redis2);
  const err = await platform.faults.podDelete.delete('redis-app-1', { hold: true, mode: 'kill' }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.match(
    err!.message,
    /^creating ResourceQuota redis-cluster-resilience-hold \(pods: 1\) in namespace redis-resilience-\w+ for the restart hold: resourcequotas is forbidden: User "system:serviceaccount:ci:runner" cannot create resource "resourcequotas" in API group "" in the namespace "redis-resilience-\w+" \(HTTP 403\); the kubeconfig's user lacks the RBAC rule apiGroups: \[""\], resources: \["resourcequotas"\], verbs: \["create"\] \(a Role in namespace "redis-resilience-\w+", or a ClusterRole\): grant it/,
  );
  assert.not.ok(fixture.requests.some((r) => r.method === 'DELETE' && r.path.endsWith('/pods/redis-app-1')));
  await platform.faults.podDelete.releaseHold();
  await platform.teardown();

  // Applying a volume: what was created before the refusal (and the refused one, in case) is removed.
  fixture.route = (r) =>
    r.method === 'PATCH' && r.path.includes('/persistentvolumes/redis-pv-b-')
      ? rbacForbidden('patch', 'PersistentVolume', undefined, r.path.split('/').at(-1))
      : undefined;
  platform = kube.createExistingPlatform(config(), { ...ctx, undo: journal.journal });
  await platform.provision();
  const applyErr = await platform.deploy(sharedSet(), redis2).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.match(
    applyErr!.message,
    /^redis\.yaml:17: PersistentVolume redis-pv-b-\w+ could not be applied: cannot patch persistentvolumes "redis-pv-b-\w+": .* \(HTTP 403\); the kubeconfig's user lacks the RBAC rule apiGroups: \[""\], resources: \["persistentvolumes"\], verbs: \["patch"\] \(a ClusterRole: cluster scope\)/,
  );
  await platform.teardown();
  assert.equal([...fixture.server.list('StorageClass'), ...fixture.server.list('PersistentVolume')], []);
  assert.equal(journal.open(), [], 'every recorded change undone and settled');
});

test('delete waits while the pod is Terminating (graceful deletion) and returns once its process has exited', async () => {
  let exit!: () => void;
  fixture.server.processExit = () => new Promise<void>((resolve) => (exit = resolve));
  const platform = kube.createExistingPlatform(config({ namespace: 'default' }), ctx);
  await platform.provision();
  await platform.deploy(set(), redis);
  const victim = (await platform.listPods())[0]!;
  let settled = false;
  const deleting = platform.faults.podDelete
    .delete(victim.name, { hold: false, mode: 'graceful' })
    .finally(() => (settled = true));
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

test('rollout restart: the restartedAt annotation rolls every pod, highest ordinal first, one at a time', async () => {
  const stopped: string[] = [];
  const readyWhenStopped: number[] = [];
  fixture.server.processExit = (pod) => {
    stopped.push(pod.metadata.name);
    // One at a time: when a pod is stopped, every other pod is Running and Ready.
    readyWhenStopped.push(
      fixture.server
        .list('Pod', 'default')
        .filter((p) => p.metadata.name !== pod.metadata.name && !p.metadata.deletionTimestamp).length,
    );
    return Promise.resolve();
  };
  const platform = kube.createExistingPlatform(config({ namespace: 'default' }), ctx);
  await platform.provision();
  await platform.deploy(set(), redis);
  const before = await platform.listPods();
  await required(platform.faults.rollingRestart).restartAll(10_000);
  const after = await platform.listPods();
  assert.equal(stopped, ['redis-app-2', 'redis-app-1', 'redis-app-0']);
  assert.equal(readyWhenStopped, [2, 2, 2]);
  for (const [i, p] of after.entries()) {
    assert.is.not(p.uid, before[i]!.uid, `${p.name} is a new pod`);
    assert.ok(p.ready);
  }
  const sts = fixture.server.get('StatefulSet', 'default', 'redis-app')!;
  assert.match(
    String(sts.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']),
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
  );
  assert.is(sts.status.updatedReplicas, 3);
  await platform.teardown();
});

test('rollout fault: the head applied over the deployment, the controller rolls every pod to the new revision', async () => {
  const platform = kube.createExistingPlatform(config({ namespace: 'default' }), ctx);
  await platform.provision();
  const base = set();
  const deployment = (m: ManifestSet) => ({ ...redis, statefulSet: m.objects[1]! });
  await platform.deploy(base, deployment(base));
  const head: ManifestSet = {
    ...base,
    objects: parseManifestFile('redis.yaml', MANIFESTS.replace('image: "redis:7.2.5"', 'image: "valkey/valkey:8.0"')),
  };
  const rollout = platform.faults.rollout;
  if (isUnsupported(rollout)) throw new Error(rollout.unsupported);
  const before = await rollout.podRevisions();
  const u = await rollout.apply(head, deployment(head));
  assert.is.not(u.updateRevision, u.currentRevision);
  assert.equal(u.changed, ['StatefulSet redis-app']);
  assert.is(u.strategy, 'RollingUpdate');
  assert.equal(Object.values(before), [u.currentRevision, u.currentRevision, u.currentRevision]);
  await rollout.waitRolledOut(10_000);
  const after = await rollout.podRevisions();
  assert.equal(Object.values(after), [u.updateRevision, u.updateRevision, u.updateRevision]);
  const sts = fixture.server.get('StatefulSet', 'default', 'redis-app')!;
  assert.is(sts.spec.template.spec.containers[0].image, 'valkey/valkey:8.0');
  await platform.teardown();
});

test('403 while waiting for the rollout ends the wait at once, naming what was refused (no poll until the timeout)', async () => {
  fixture.route = (r) =>
    r.method === 'GET' && r.path === '/api/v1/namespaces/default/pods'
      ? rbacForbidden('list', 'Pod', 'default')
      : undefined;
  try {
    const platform = kube.createExistingPlatform(
      config({ namespace: 'default', rolloutTimeoutMs: 600_000, quotaHoldShared: true }),
      ctx,
    );
    await platform.provision();
    const err = await platform.deploy(set(), redis).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    assert.instance(err, KubeApiError);
    assert.match(
      err!.message,
      'cannot list pods in namespace default: pods is forbidden: User "system:serviceaccount:ci:runner" cannot list resource "pods" in API group "" in the namespace "default" (HTTP 403)',
    );
    assert.is(fixture.requests.filter((r) => r.path === '/api/v1/namespaces/default/pods').length, 1, 'asked once');
    await platform.teardown();
  } finally {
    fixture.route = () => undefined;
  }
});

test('evidence: every container log (current and previous), the events and a status line per pod and claim, each bounded', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'evidence-'));
  try {
    const platform = kube.createExistingPlatform(config({ namespace: 'default' }), ctx);
    await platform.provision();
    await platform.deploy(set(), redis);
    const [p0, p1] = await platform.listPods();
    const long =
      Array.from({ length: 20_000 }, (_, i) => `line ${i} of a long redis log ${'x'.repeat(100)}`).join('\n') + '\n';
    fixture.server.logs.set(p0!.uid, { current: long });
    fixture.server.logs.set(p1!.uid, {
      current: 'Ready to accept connections\n',
      previous: "Fatal error, can't open config file\n",
    });
    const sink = new EvidenceSink(dir);
    await platform.collectEvidence!(sink);
    assert.equal(
      sink.files.filter((f) => f.startsWith('evidence/logs/')).sort(),
      [
        'evidence/logs/redis-app-0.redis.log',
        'evidence/logs/redis-app-1.redis.log',
        'evidence/logs/redis-app-1.redis.previous.log',
        'evidence/logs/redis-app-2.redis.log',
      ],
      'a previous log only where a container ran before',
    );
    const first = readFileSync(path.join(dir, 'evidence/logs/redis-app-0.redis.log'), 'utf8');
    assert.ok(Buffer.byteLength(first) <= MAX_EVIDENCE_BYTES, 'bounded');
    assert.match(first, /^\[\.\.\. first \d+ bytes left out/);
    assert.match(first, /line 19999 of a long redis log x+\n$/, 'the tail is kept');
    assert.is(
      readFileSync(path.join(dir, 'evidence/logs/redis-app-1.redis.previous.log'), 'utf8'),
      "Fatal error, can't open config file\n",
    );
    const events = readFileSync(path.join(dir, 'evidence/kubernetes/events.txt'), 'utf8');
    assert.match(
      events,
      /Normal StatefulSet\/redis-app SuccessfulCreate: create Pod redis-app-0 in StatefulSet redis-app successful/,
    );
    const status = readFileSync(path.join(dir, 'evidence/kubernetes/status.txt'), 'utf8').trim().split('\n');
    assert.is(status.length, 6, '3 pods and 3 claims');
    assert.match(
      status[0]!,
      /^pod redis-app-0 Running uid=\S+ node=n1 ip=10\.244\.0\.\d+ \[redis: ready=true restarts=0\]$/,
    );
    assert.match(status[3]!, /^pvc redis-data-redis-app-0 Pending volume=- class=-$/);
    await platform.teardown();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('port-forward path: pods listed once and watched, not read per connection; a recreated pod is mapped at once', async () => {
  const platform = kube.createExistingPlatform(config({ namespace: 'default' }), ctx);
  await platform.provision();
  await platform.deploy(set(), { ...redis, port: 6379 });
  const podCalls = () =>
    fixture.requests.filter(
      (r) => r.method === 'GET' && /\/namespaces\/default\/pods(\/|$)/.test(r.path) && r.query.get('watch') !== 'true',
    ).length;
  const pods = await platform.listPods();
  const before = podCalls();
  const targets = [];
  for (let round = 0; round < 3; round++)
    for (const p of pods) targets.push(await platform.reach({ host: p.ip, port: 6379 }));
  assert.is(podCalls() - before, 1, 'one list for the cache, then nothing per reach');
  assert.ok(
    fixture.requests.some((r) => r.query.get('watch') === 'true' && r.path === '/api/v1/namespaces/default/pods'),
    'watched',
  );
  assert.equal(
    platform.reachNow!({ host: pods[0]!.ip, port: 6379 }),
    targets[0],
    'the synchronous form knows the same forward',
  );

  const victim = pods[1]!;
  const oldLocal = await platform.reach({ host: victim.ip, port: 6379 });
  await platform.faults.podDelete.delete(victim.name, { hold: false, mode: 'kill' });
  const back = await platform.waitForReplacement(victim.name, victim.uid, 2000);
  const quiet = podCalls();
  // The forward for the new IP listens before waitForReplacement hands the address out (ioredis' natMap
  // cannot wait for it): no waiting here.
  const mapped = platform.reachNow!({ host: back.ip, port: 6379 });
  assert.ok(mapped, 'the new address is mapped the moment it is known');
  assert.is.not(mapped.port, oldLocal.port, 'a new forward for the new incarnation');
  assert.is(platform.reachNow!({ host: victim.ip, port: 6379 }), undefined, 'the old IP maps to nothing');
  // A connection to the old incarnation's forward is closed at once, judged from the cache (no API read).
  await new Promise<void>((resolve) =>
    net
      .connect(oldLocal.port, '127.0.0.1')
      .on('close', () => resolve())
      .on('error', () => {}),
  );
  assert.is(podCalls(), quiet, 'no pod list or read after the recreation: the watch told');
  await platform.teardown();
});

test('port-forward path with the watch failing: a recreated pod is still mapped before its address is handed out', async () => {
  // Every watch answered 500: the cache never becomes fresh, so only the platform's own ordering can map the
  // new IP (before: reachNow looked the IP up in the watched cache and found nothing).
  fixture.route = (r) => (r.query.get('watch') === 'true' ? { status: 500, body: 'watch refused' } : undefined);
  const platform = kube.createExistingPlatform(config({ namespace: 'default', quotaHoldShared: true }), ctx);
  await platform.provision();
  await platform.deploy(set(), { ...redis, port: 6379 });
  const pods = await platform.listPods();
  for (const p of pods) assert.ok(platform.reachNow!({ host: p.ip, port: 6379 }), `${p.name} mapped once listed`);
  const victim = pods[0]!;
  await platform.faults.podDelete.delete(victim.name, { hold: false, mode: 'kill' });
  const back = await platform.waitForReplacement(victim.name, victim.uid, 2000);
  const mapped = platform.reachNow!({ host: back.ip, port: 6379 });
  assert.ok(mapped, 'mapped when waitForReplacement returns');
  assert.is.not(mapped.port, platform.reachNow!({ host: pods[1]!.ip, port: 6379 })!.port);
  await platform.teardown();
});

test('one keep-alive connection pool for API requests (client-node made a new connection per request)', async () => {
  const clients = api.kubeClients(api.loadKubeConfig(fixture.kubeconfig));
  const before = fixture.connections;
  for (let i = 0; i < 20; i++) await clients.core.readNamespace({ name: 'default' });
  const opened = fixture.connections - before;
  assert.ok(opened <= 2, `20 sequential requests opened ${opened} connections`);
});

test('pod files through the stand-in: claim -> volume -> hostPath -> runner dir', async () => {
  const hostDir = mkdtempSync(path.join(os.tmpdir(), 'pv-'));
  try {
    mkdirSync(path.join(hostDir, 'redis-1'));
    writeFileSync(path.join(hostDir, 'redis-1', 'nodes.conf'), 'abc myself,master - 0 0 1 connected 0-5460\n');
    fixture.server.put({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'redis-data-redis-app-0', namespace: 'default' },
      spec: { volumeName: 'redis-1' },
    });
    fixture.server.put({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'redis-1' },
      spec: { hostPath: { path: '/var/local/redis-resilience-pv/redis-1' } },
    });
    const core = api.kubeClients(api.loadKubeConfig(fixture.kubeconfig)).core;
    const read = (podName: string, containerPath = '/var/lib/redis/nodes.conf') =>
      pvFiles.readStandInFile(core, {
        namespace: 'default',
        podName,
        mount: dataMount,
        containerPath,
        hostDir,
        nodeDir: '/var/local/redis-resilience-pv',
      });
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
  assert.is(
    pvFiles.runnerPathFor({
      ...base,
      pvHostPath: '/var/local/pv/redis-0',
      mount: { mountPath: '/data', subPath: 'r0' },
    }),
    '/run/pv/redis-0/r0/nodes.conf',
  );
  assert.is(pvFiles.runnerPathFor({ ...base, pvHostPath: '/mnt/elsewhere', mount: { mountPath: '/data' } }), undefined);
});

test.run();
