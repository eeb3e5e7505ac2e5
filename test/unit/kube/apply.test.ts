/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return, @typescript-eslint/restrict-template-expressions -- the assertions read Kubernetes objects as the API fixture keeps them: free-form JSON (Obj in test/unit/kube/api-server.ts) */
import { test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import * as assert from 'uvu/assert';
import { ApiException } from '@kubernetes/client-node';
import { InputError, KubeApiError } from '../../../src/errors.ts';
import { loadManifests, parseManifestFile } from '../../../src/manifests/load.ts';
import { nfsStandIn } from '../../../src/manifests/nfs-standin.ts';
import * as api from '../../../src/platform/kube/api.ts';
import { applyObjects, type AppliedRef } from '../../../src/platform/kube/apply.ts';
import { RUN_LABEL } from '../../../src/platform/kube/run-names.ts';
import { silentLog } from '../../../src/util/log.ts';
import { startApiFixture, status, type ApiFixture } from './api-fixture.ts';
import { ApiServer, pageNotFound, rbacForbidden, unauthorized } from './api-server.ts';

let fixture: ApiFixture;

const MANIFESTS = `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: redis-app, namespace: somewhere-else }
spec:
  { replicas: 6, serviceName: redis, selector: { matchLabels: { app: redis } }, template: { metadata: { labels: { app: redis } }, spec: { containers: [{ name: redis, image: redis }] } } }
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: redis-sc, namespace: ignored }
provisioner: kubernetes.io/no-provisioner
---
apiVersion: v1
kind: PersistentVolume
metadata: { name: redis-0 }
spec:
  capacity: { storage: 1Gi }
  claimRef: { namespace: default, name: redis-data-redis-app-0 }
  hostPath: { path: /pv/redis-0 }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: redis-conf }
data: { redis.conf: "cluster-enabled yes" }
`;
const items = () => parseManifestFile('deploy/redis.yaml', MANIFESTS).map((o) => ({ body: o.body, at: o.at }));

beforeAll(test, async () => {
  fixture = await startApiFixture();
});
test.after(() => fixture.close());
test.before.each(() => {
  fixture.requests.length = 0;
  fixture.route = () => undefined;
  fixture.server = new ApiServer({ namespaces: ['default', 'run-ns'] });
});

const objectApi = () => api.kubeClients(api.loadKubeConfig(fixture.kubeconfig)).objects;

test('server-side apply: apply-patch content type, field manager, never force; cluster-scoped without namespace', async () => {
  const applied = await applyObjects(objectApi(), items(), 'run-ns', { log: silentLog });
  const patches = fixture.requests.filter((r) => r.method === 'PATCH');
  assert.equal(
    patches.map((r) => r.path),
    [
      '/apis/storage.k8s.io/v1/storageclasses/redis-sc',
      '/api/v1/persistentvolumes/redis-0',
      '/api/v1/namespaces/run-ns/configmaps/redis-conf',
      '/apis/apps/v1/namespaces/run-ns/statefulsets/redis-app',
    ],
  );
  for (const r of patches) {
    assert.is(r.contentType, 'application/apply-patch+yaml');
    assert.is(r.query.get('fieldManager'), 'redis-cluster-resilience');
    assert.is(r.query.get('force'), null, 'no force: a field another manager owns is a conflict, not taken over');
    assert.is(r.query.get('fieldValidation'), 'Strict');
  }
  const bodies = patches.map((r) => JSON.parse(r.body));
  assert.is(bodies[0].metadata.namespace, undefined, 'StorageClass body has no namespace');
  assert.is(bodies[1].metadata.namespace, undefined, 'PV body has no namespace');
  assert.is(bodies[1].spec.claimRef.namespace, 'run-ns', 'claimRef follows the claims into the run namespace');
  assert.is(bodies[3].metadata.namespace, 'run-ns');
  assert.is(fixture.server.get('StatefulSet', 'run-ns', 'redis-app')?.spec.replicas, 6, 'created in the run namespace');
  assert.equal(
    applied.map((a) => [a.kind, a.namespace]),
    [
      ['StorageClass', undefined],
      ['PersistentVolume', undefined],
      ['ConfigMap', 'run-ns'],
      ['StatefulSet', 'run-ns'],
    ],
  );
});

test('the default manifests with the NFS stand-in apply as hostPath volumes, StatefulSet last', async () => {
  const set = await loadManifests(new URL('../../../manifests', import.meta.url).pathname);
  const { objects } = nfsStandIn(set, '/var/local/redis-resilience-pv');
  await applyObjects(
    objectApi(),
    objects.map((body, i) => ({ body, at: set.objects[i]!.at })),
    'default',
    { log: silentLog },
  );
  const patches = fixture.requests.filter((r) => r.method === 'PATCH');
  assert.is(patches.length, set.objects.length);
  const pvs = patches.filter((r) => r.path.startsWith('/api/v1/persistentvolumes/')).map((r) => JSON.parse(r.body));
  assert.ok(pvs.length > 0);
  for (const pv of pvs) {
    assert.is(pv.spec.nfs, undefined);
    assert.is(pv.spec.hostPath.path, `/var/local/redis-resilience-pv/${pv.metadata.name}`);
  }
  assert.match(patches.at(-1)!.path, '/statefulsets/');
});

test('ownership: guarded objects are read first; absent ones are announced before creation, ours are re-applied', async () => {
  fixture.server.put({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'redis-sc', labels: { [RUN_LABEL]: 'r1' } },
    provisioner: 'kubernetes.io/no-provisioner',
  });
  const announced: string[] = [];
  const ownership = {
    runId: 'r1',
    guarded: (namespaced: boolean) => !namespaced,
    beforeCreate: async (ref: AppliedRef) => {
      // Announced before the object exists (its undo is recorded there).
      assert.is(fixture.server.get(ref.kind, ref.namespace, ref.name), undefined, `${ref.name} not created yet`);
      announced.push(`${ref.kind}/${ref.name}`);
    },
  };
  const applied = await applyObjects(objectApi(), items(), 'run-ns', { log: silentLog, ownership });
  assert.equal(announced, ['PersistentVolume/redis-0']);
  assert.equal(
    applied.map((a) => [a.kind, a.created]),
    [
      ['StorageClass', false],
      ['PersistentVolume', true],
      ['ConfigMap', false],
      ['StatefulSet', false],
    ],
  );
  assert.not.ok(
    fixture.requests.some((r) => r.method === 'GET' && r.path.includes('/configmaps/')),
    'namespaced objects not guarded here',
  );
});

test("ownership: an object that exists and is not this run's is refused, never applied over", async () => {
  fixture.server.put({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'redis-sc' },
    provisioner: 'example.com/theirs',
  });
  const ownership = { runId: 'r1', guarded: () => true, beforeCreate: async () => {} };
  const err = await applyObjects(objectApi(), items(), 'run-ns', { log: silentLog, ownership }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.is(
    err?.message,
    `deploy/redis.yaml:7: StorageClass redis-sc already exists on the cluster and is not this run's (no label ${RUN_LABEL}=r1); ` +
      'the run does not take over objects it did not create. Use another namespace, or remove or rename that object.',
  );
  assert.is(fixture.requests.filter((r) => r.method === 'PATCH').length, 0, 'nothing applied');
  assert.is(
    fixture.server.get('StorageClass', undefined, 'redis-sc')?.provisioner,
    'example.com/theirs',
    'theirs, untouched',
  );
});

async function applyFailure(code: number, message: string, causes?: Array<{ field: string; message: string }>) {
  fixture.route = (r) =>
    r.method === 'PATCH' && r.path.endsWith('/statefulsets/redis-app') ? status(code, message, causes) : undefined;
  return applyObjects(objectApi(), items(), 'run-ns', { log: silentLog }).then(
    () => {
      throw new Error('apply should fail');
    },
    (e: unknown) => e as Error,
  );
}

test('404 names the object, its file:line and the server message', async () => {
  const err = await applyObjects(objectApi(), items(), 'no-such-ns', { log: silentLog }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.is(
    err?.message,
    'deploy/redis.yaml:20: ConfigMap redis-conf could not be applied: not found (404): namespaces "no-such-ns" not found',
  );
});

test('409 is a conflict error naming the object', async () => {
  const err = await applyFailure(409, 'Apply failed with 1 conflict: conflict with "kubectl"');
  assert.match(
    err.message,
    /^deploy\/redis\.yaml:1: StatefulSet redis-app could not be applied: conflict \(409\): Apply failed/,
  );
});

test("an unknown field: the server's Strict validation answers 400, bad input naming file:line and the field", async () => {
  const typo = parseManifestFile(
    'deploy/typo.yaml',
    'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: { name: redis-app }\nspec:\n  replcas: 6\n',
  );
  const err = await applyObjects(
    objectApi(),
    typo.map((o) => ({ body: o.body, at: o.at })),
    'run-ns',
    { log: silentLog },
  ).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.instance(err, InputError);
  assert.is(
    err!.message,
    'deploy/typo.yaml:1: StatefulSet redis-app was rejected by the API server (400): failed to create typed patch object (run-ns/redis-app; apps/v1, Kind=StatefulSet): .spec.replcas: field not declared in schema',
  );
  assert.is(fixture.server.get('StatefulSet', 'run-ns', 'redis-app'), undefined, 'nothing was created');
});

test('422 is bad input listing the rejected fields', async () => {
  const err = await applyFailure(422, 'StatefulSet.apps "redis-app" is invalid', [
    { field: 'spec.replicas', message: 'Invalid value: -1: must be greater than or equal to 0' },
  ]);
  assert.instance(err, InputError);
  assert.is(
    err.message,
    'deploy/redis.yaml:1: StatefulSet redis-app was rejected as invalid (422): StatefulSet.apps "redis-app" is invalid\n  - spec.replicas: Invalid value: -1: must be greater than or equal to 0',
  );
});

test('403: refused at once, naming the verb, resource, object and namespace; the client exception kept as cause', async () => {
  fixture.route = (r) =>
    r.method === 'PATCH' && r.path.endsWith('/statefulsets/redis-app')
      ? rbacForbidden('patch', 'StatefulSet', 'run-ns', 'redis-app')
      : undefined;
  const err = await applyObjects(objectApi(), items(), 'run-ns', { log: silentLog }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.instance(err, KubeApiError);
  const e = err as KubeApiError;
  assert.is(e.code, 403);
  assert.equal(e.request, {
    verb: 'patch',
    resource: 'statefulsets',
    group: 'apps',
    name: 'redis-app',
    namespace: 'run-ns',
  });
  assert.is(
    e.message,
    'deploy/redis.yaml:1: StatefulSet redis-app could not be applied: cannot patch statefulsets "redis-app" in namespace run-ns: ' +
      'statefulsets.apps "redis-app" is forbidden: User "system:serviceaccount:ci:runner" cannot patch resource "statefulsets" in API group "apps" in the namespace "run-ns" (HTTP 403)' +
      '; the kubeconfig\'s user lacks the RBAC rule apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["patch"] (a Role in namespace "run-ns", or a ClusterRole): grant it (docs/rbac-existing.yaml) or use a kubeconfig that has it',
  );
  assert.instance((e.cause as KubeApiError).cause, ApiException);
  assert.is(
    fixture.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/statefulsets/redis-app')).length,
    1,
    'not retried',
  );
});

test('401: the credentials are named as the problem', async () => {
  fixture.route = () => unauthorized();
  const err = await applyObjects(objectApi(), items(), 'run-ns', { log: silentLog }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.instance(err, KubeApiError);
  assert.is((err as KubeApiError).code, 401);
  assert.match(err!.message, "Unauthorized (HTTP 401); the API server did not accept the kubeconfig's credentials");
});

test('404 for a path the server does not serve (kind gone since discovery): bad input naming the apiVersion', async () => {
  fixture.route = (r) =>
    r.method === 'PATCH' && r.path.endsWith('/statefulsets/redis-app') ? pageNotFound() : undefined;
  const err = await applyObjects(objectApi(), items(), 'run-ns', { log: silentLog }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.instance(err, InputError);
  assert.match(
    err!.message,
    'deploy/redis.yaml:1: StatefulSet redis-app: this cluster does not serve apps/v1 StatefulSet (404)',
  );
  assert.instance(err!.cause, KubeApiError);
});

test('a kind the cluster does not serve is bad input before anything is sent', async () => {
  const old = parseManifestFile(
    'old.yaml',
    'apiVersion: apps/v1beta1\nkind: StatefulSet\nmetadata: { name: redis-app }\n',
  );
  const err = await applyObjects(
    objectApi(),
    old.map((o) => ({ body: o.body, at: o.at })),
    'ns',
    { log: silentLog },
  ).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.instance(err, InputError);
  assert.match(err!.message, 'old.yaml:1: StatefulSet redis-app: this cluster does not serve apps/v1beta1 StatefulSet');
  assert.is(fixture.requests.filter((r) => r.method === 'PATCH').length, 0);
});

test.run();
