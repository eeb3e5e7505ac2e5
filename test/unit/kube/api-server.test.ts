import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiException, PatchStrategy } from '@kubernetes/client-node';
import { KubeApiError } from '../../../src/errors.ts';
import * as api from '../../../src/platform/kube/api.ts';
import { sendJson, suiteFixture } from './api-fixture.ts';

// The fixture's own promises: what the Kubernetes tests rely on it to answer as a real API server does.
const current = suiteFixture(test, ['default', 'ns']);

const core = () => api.kubeClients(api.loadKubeConfig(current().kubeconfig)).core;
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('should fail');
    },
    (e: unknown) => {
      assert.instance(e, KubeApiError);
      const ex = (e as KubeApiError).cause as ApiException<string>;
      assert.instance(ex, ApiException, "the client's exception is kept as the cause");
      return { code: ex.code, body: JSON.parse(ex.body) as { message: string; reason: string; details?: unknown } };
    },
  );
const pod = (name: string) => ({ metadata: { name }, spec: { containers: [{ name: 'redis', image: 'redis:7.2.5' }] } });

/** Creates a pods quota and waits (bounded) until the quota controller has put it in force (status.hard). */
async function quotaInForce(pods: string): Promise<void> {
  await core().createNamespacedResourceQuota({
    namespace: 'ns',
    body: { metadata: { name: 'hold' }, spec: { hard: { pods } } },
  });
  for (let i = 0; i < 100; i++) {
    const q = await core().readNamespacedResourceQuota({ namespace: 'ns', name: 'hold' });
    if (q.status?.hard?.pods === pods) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the quota was not in force within 2 s');
}

test('create answers 201 with the stored object; a second create is 409 AlreadyExists; a missing object 404 NotFound', async () => {
  const created = await core().createNamespacedPod({ namespace: 'ns', body: pod('p') });
  assert.ok(created.metadata?.uid);
  assert.is(current().requests.at(-1)!.method, 'POST');
  const again = await failure(core().createNamespacedPod({ namespace: 'ns', body: pod('p') }));
  assert.equal(again, {
    code: 409,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "p" already exists',
      reason: 'AlreadyExists',
      details: { name: 'p', kind: 'pods' },
      code: 409,
    },
  });
  const missing = await failure(core().readNamespacedPod({ namespace: 'ns', name: 'q' }));
  assert.is(missing.body.message, 'pods "q" not found');
  assert.is(missing.body.reason, 'NotFound');
  const noNs = await failure(core().createNamespacedPod({ namespace: 'nope', body: pod('p') }));
  assert.equal([noNs.code, noNs.body.message], [404, 'namespaces "nope" not found']);
});

test('ResourceQuota pods: creation over the quota is 403 exceeded quota; terminal pods are not counted', async () => {
  await quotaInForce('1');
  await core().createNamespacedPod({ namespace: 'ns', body: pod('a') });
  const over = await failure(core().createNamespacedPod({ namespace: 'ns', body: pod('b') }));
  assert.equal(
    [over.code, over.body.reason, over.body.message],
    [403, 'Forbidden', 'pods "b" is forbidden: exceeded quota: hold, requested: pods=1, used: pods=1, limited: pods=1'],
  );
  const a = current().server.get('Pod', 'ns', 'a')!;
  current().server.put({ ...a, status: { phase: 'Succeeded' } });
  await core().createNamespacedPod({ namespace: 'ns', body: pod('b') });
});

test('a new ResourceQuota is not in force at once: the quota controller fills its status in later (what admission reads)', async () => {
  const server = current().server;
  // The controller's delay held long while the quota is read and a pod created, so that "not yet" holds however
  // slowly this process is scheduled; then let it run.
  const syncMs = server.quotaSyncMs;
  server.quotaSyncMs = 60_000;
  try {
    const created = await core().createNamespacedResourceQuota({
      namespace: 'ns',
      body: { metadata: { name: 'hold' }, spec: { hard: { pods: '0' } } },
    });
    assert.is(created.status, undefined, 'created without status');
    const read = await core().readNamespacedResourceQuota({ namespace: 'ns', name: 'hold' });
    assert.is(read.status, undefined, 'still without status right after');
    // Not in force yet: a pod over the quota is admitted.
    await core().createNamespacedPod({ namespace: 'ns', body: pod('early') });
  } finally {
    server.quotaSyncMs = syncMs;
  }
  await new Promise((r) => setTimeout(r, syncMs + 50));
  server.reconcile();
  const synced = await core().readNamespacedResourceQuota({ namespace: 'ns', name: 'hold' });
  assert.equal(JSON.parse(JSON.stringify(synced.status)), { hard: { pods: '0' }, used: { pods: '1' } });
  const over = await failure(core().createNamespacedPod({ namespace: 'ns', body: pod('late') }));
  assert.is(over.code, 403);
});

test('the StatefulSet controller: a refused creation is a FailedCreate event, and the pod comes once the quota allows', async () => {
  await quotaInForce('0');
  const objects = api.kubeClients(api.loadKubeConfig(current().kubeconfig)).objects;
  await objects.apply({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'r', namespace: 'ns' },
    spec: {
      replicas: 1,
      serviceName: 'r',
      selector: { matchLabels: { app: 'r' } },
      template: { metadata: { labels: { app: 'r' } }, spec: pod('x').spec },
    },
  });
  const events = await core().listNamespacedEvent({ namespace: 'ns', fieldSelector: 'involvedObject.name=r' });
  assert.equal(
    events.items.map((e) => [e.type, e.reason, e.message]),
    [
      [
        'Warning',
        'FailedCreate',
        'create Pod r-0 in StatefulSet r failed error: pods "r-0" is forbidden: exceeded quota: hold, requested: pods=1, used: pods=0, limited: pods=0',
      ],
    ],
  );
  await core().deleteNamespacedResourceQuota({ namespace: 'ns', name: 'hold' });
  // Backed off after the refusal: an update of the StatefulSet re-queues it at once.
  await objects.patch(
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'r', namespace: 'ns', annotations: { nudge: '1' } },
    },
    undefined,
    undefined,
    'test',
    undefined,
    PatchStrategy.MergePatch,
  );
  const p = await core().readNamespacedPod({ namespace: 'ns', name: 'r-0' });
  assert.is(p.status?.phase, 'Running');
});

test('the StatefulSet controller backs off after a refusal: no new attempt before its delay or an update', async () => {
  await quotaInForce('0');
  const objects = api.kubeClients(api.loadKubeConfig(current().kubeconfig)).objects;
  const sts = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'r', namespace: 'ns' },
    spec: {
      replicas: 1,
      serviceName: 'r',
      selector: { matchLabels: { app: 'r' } },
      template: { metadata: { labels: { app: 'r' } }, spec: pod('x').spec },
    },
  };
  await objects.apply(sts);
  const refusals = async () =>
    (await core().listNamespacedEvent({ namespace: 'ns', fieldSelector: 'involvedObject.name=r' })).items[0]!.count;
  const first = await refusals();
  // Requests keep coming (each one a controller pass here), but the retry waits for the doubling delay.
  for (let i = 0; i < 20; i++) await core().readNamespacedResourceQuota({ namespace: 'ns', name: 'hold' });
  assert.ok((await refusals())! < first! + 20, 'not retried on every pass');
  await core().deleteNamespacedResourceQuota({ namespace: 'ns', name: 'hold' });
  await objects.patch(
    { ...sts, metadata: { ...sts.metadata, annotations: { nudge: '1' } } },
    undefined,
    undefined,
    'test',
    undefined,
    PatchStrategy.MergePatch,
  );
  assert.is((await core().readNamespacedPod({ namespace: 'ns', name: 'r-0' })).status?.phase, 'Running');
});

test('POST with fieldValidation=Strict: an unknown field is 400 BadRequest (strict decoding error)', async () => {
  const res = await sendJson(
    current(),
    'POST',
    '/api/v1/namespaces/ns/pods?fieldValidation=Strict',
    'application/json',
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'r', image: 'i', portz: [] }] },
    },
  );
  assert.is(res.status, 400);
  const body = (await res.json()) as { reason: string; message: string };
  assert.equal(
    [body.reason, body.message],
    ['BadRequest', 'strict decoding error: unknown field "spec.containers[0].portz"'],
  );
});

test.run();
