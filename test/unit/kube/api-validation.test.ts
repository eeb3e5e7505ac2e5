/* eslint-disable @typescript-eslint/no-unsafe-member-access -- objects as the API fixture keeps them: free-form JSON */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse as parseYaml12 } from 'yaml';
import { ApiException } from '@kubernetes/client-node';
import { KubeApiError, TimeoutError } from '../../../src/errors.ts';
import { loadManifests } from '../../../src/manifests/load.ts';
import type { JsonObject } from '../../../src/manifests/model.ts';
import * as api from '../../../src/platform/kube/api.ts';
import { applyObjects } from '../../../src/platform/kube/apply.ts';
import { waitForRollout } from '../../../src/platform/kube/rollout.ts';
import { silentLog } from '../../../src/util/log.ts';
import { kubectlPath } from '../../support/kubectl.ts';
import { sendJson, suiteFixture } from './api-fixture.ts';

// The fixture refuses what the API server refuses (validation.ts, field-managers.ts), with its messages.
const current = suiteFixture(test, ['default', 'ns']);

const clients = () => api.kubeClients(api.loadKubeConfig(current().kubeconfig));
/** The Status body of a refused request. */
async function refusal(p: Promise<unknown>): Promise<{ code: number; body: JsonObject }> {
  try {
    await p;
  } catch (e) {
    const ex = (e instanceof KubeApiError ? e.cause : e) as ApiException<string>;
    assert.instance(ex, ApiException);
    return { code: ex.code, body: JSON.parse(ex.body) as JsonObject };
  }
  throw new Error('expected a refusal');
}
const MODE_MESSAGE = 'must be a number between 0 and 0777 (octal), both inclusive';

async function defaultStatefulSet(): Promise<JsonObject> {
  const set = await loadManifests('manifests');
  return structuredClone(set.objects.find((o) => o.kind === 'StatefulSet')!.body);
}
/** The StatefulSet as the loader read it before it read YAML 1.1: the YAML 1.2 reading, mode 0755 = 755. */
function oldStatefulSetBody(): JsonObject {
  return parseYaml12(readFileSync('manifests/statefulset.yaml', 'utf8')) as JsonObject;
}

test('mode 755 (the body our client sent before the YAML 1.1 loader): every pod of the StatefulSet is refused with the server’s message', async () => {
  const { objects, core } = clients();
  const old = oldStatefulSetBody();
  assert.match(JSON.stringify(old), /"mode":755/);
  await applyObjects(objects, [{ body: old, at: { file: 'manifests/statefulset.yaml', line: 1, column: 1 } }], 'ns', {
    log: silentLog,
  });
  // The StatefulSet itself is accepted (its pod template's spec is not validated: validation.ts), its pods are not.
  assert.ok(current().server.get('StatefulSet', 'ns', 'redis-app'));
  assert.equal(current().server.list('Pod', 'ns'), []);
  const events = current()
    .server.list('Event', 'ns')
    .filter((e) => e.reason === 'FailedCreate');
  assert.is(
    events[0]?.message,
    `create Pod redis-app-0 in StatefulSet redis-app failed error: Pod "redis-app-0" is invalid: spec.volumes[0].configMap.items[1].mode: Invalid value: 755: ${MODE_MESSAGE}`,
  );
  // A run that applied the old body never sees its pods: the rollout wait fails with that message.
  const err = await waitForRollout(
    core,
    { namespace: 'ns', name: 'redis-app', podLabels: { app: 'redis' }, replicas: 6 },
    { timeoutMs: 300, intervalMs: 50, log: silentLog },
  ).catch((e: unknown) => e);
  assert.instance(err, TimeoutError);
  assert.match((err as Error).message, /Invalid value: 755: must be a number between 0 and 0777 \(octal\)/);
});

test('mode 493 (0755 read as kubectl reads it): the pods are created', async () => {
  const { objects } = clients();
  const body = await defaultStatefulSet();
  await applyObjects(objects, [{ body, at: { file: 'manifests/statefulset.yaml', line: 1, column: 1 } }], 'ns', {
    log: silentLog,
  });
  assert.is(current().server.get('Pod', 'ns', 'redis-app-0')?.status?.phase, 'Running');
});

test('a Pod with mode 755, a defaultMode of -1 and a container port 0: one 422 listing each, as NewInvalid words it', async () => {
  const { core } = clients();
  const refused = await refusal(
    core.createNamespacedPod({
      namespace: 'ns',
      body: {
        metadata: { name: 'p' },
        spec: {
          containers: [{ name: 'redis', image: 'redis', ports: [{ containerPort: 0 }] }],
          volumes: [
            { name: 'a', configMap: { name: 'c', items: [{ key: 'k', path: 'k', mode: 755 }] } },
            { name: 'b', secret: { secretName: 's', defaultMode: -1 } },
          ],
        },
      },
    }),
  );
  assert.is(refused.code, 422);
  assert.is(
    refused.body.message,
    `Pod "p" is invalid: [spec.volumes[0].configMap.items[0].mode: Invalid value: 755: ${MODE_MESSAGE}, spec.volumes[1].secret.defaultMode: Invalid value: -1: ${MODE_MESSAGE}, spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive]`,
  );
  assert.is(refused.body.reason, 'Invalid');
  assert.equal((refused.body.details as JsonObject).causes, [
    {
      reason: 'FieldValueInvalid',
      message: `Invalid value: 755: ${MODE_MESSAGE}`,
      field: 'spec.volumes[0].configMap.items[0].mode',
    },
    {
      reason: 'FieldValueInvalid',
      message: `Invalid value: -1: ${MODE_MESSAGE}`,
      field: 'spec.volumes[1].secret.defaultMode',
    },
    {
      reason: 'FieldValueInvalid',
      message: 'Invalid value: 0: must be between 1 and 65535, inclusive',
      field: 'spec.containers[0].ports[0].containerPort',
    },
  ]);
});

test('Services: port range, nodePort range and type, DNS-1035 names', async () => {
  const { objects } = clients();
  const service = (name: string, spec: JsonObject) =>
    refusal(objects.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns' }, spec }));
  const port = await service('redis', { ports: [{ port: 70000 }] });
  assert.is(
    port.body.message,
    'Service "redis" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
  );
  const nodePort = await service('redis', { type: 'NodePort', ports: [{ port: 6379, nodePort: 6379 }] });
  assert.is(
    nodePort.body.message,
    'Service "redis" is invalid: spec.ports[0].nodePort: Invalid value: 6379: provided port is not in the valid range. The range of valid ports is 30000-32767',
  );
  const clusterIP = await service('redis', { ports: [{ port: 6379, nodePort: 30001 }] });
  assert.is(
    clusterIP.body.message,
    'Service "redis" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is \'ClusterIP\'',
  );
  const name = await service('0redis', { ports: [{ port: 6379 }] });
  assert.is(
    name.body.message,
    `Service "0redis" is invalid: metadata.name: Invalid value: "0redis": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
  );
});

test('names, label values, config keys and quantities', async () => {
  const { objects } = clients();
  const cm = (metadata: JsonObject, data: JsonObject = {}) =>
    refusal(objects.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns', ...metadata }, data }));
  assert.match(
    (await cm({ name: 'redis_conf' })).body.message as string,
    /^ConfigMap "redis_conf" is invalid: metadata.name: Invalid value: "redis_conf": a lowercase RFC 1123 subdomain must consist of/,
  );
  assert.match(
    (await cm({ name: 'r', labels: { app: 'redis cluster' } })).body.message as string,
    /^ConfigMap "r" is invalid: metadata.labels: Invalid value: "redis cluster": a valid label must be an empty string or consist of alphanumeric characters/,
  );
  assert.match(
    (await cm({ name: 'r' }, { 'redis conf': 'x' })).body.message as string,
    /^ConfigMap "r" is invalid: data\[redis conf\]: Invalid value: "redis conf": a valid config key must consist of/,
  );
  const sts = await defaultStatefulSet();
  (sts.spec as any).volumeClaimTemplates[0].spec.resources.requests.storage = '1 Gi'; // eslint-disable-line @typescript-eslint/no-explicit-any -- a deep edit of a fixture
  const quantity = await refusal(
    objects.apply({ ...sts, metadata: { ...(sts.metadata as JsonObject), namespace: 'ns' } }),
  );
  assert.equal(
    [quantity.code, quantity.body.message],
    [
      400,
      `StatefulSet in version "v1" cannot be handled as a StatefulSet: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    ],
  );
});

test('server-side apply: a field another manager owns is a 409 conflict without force; with force it changes hands', async () => {
  const { objects } = clients();
  const sts: JsonObject = { ...(await defaultStatefulSet()), metadata: { name: 'redis-app', namespace: 'ns' } };
  await objects.apply(sts); // manager redis-cluster-resilience
  const stored = current().server.get('StatefulSet', 'ns', 'redis-app')!;
  const managed = stored.metadata.managedFields as JsonObject[];
  assert.equal(
    managed.map((m) => [m.manager, m.operation]),
    [['redis-cluster-resilience', 'Apply']],
  );
  assert.equal(((managed[0]!.fieldsV1 as JsonObject)['f:spec'] as JsonObject)['f:replicas'], {});
  const other = (force: boolean, replicas: number) =>
    sendJson(
      current(),
      'PATCH',
      `/apis/apps/v1/namespaces/ns/statefulsets/redis-app?fieldManager=helm&force=${String(force)}`,
      'application/apply-patch+yaml',
      { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'redis-app' }, spec: { replicas } },
    );
  const same = await other(false, 6);
  assert.is(same.status, 200, 'the same value is no conflict (both own it)');
  const conflict = await other(false, 3);
  assert.is(conflict.status, 409);
  assert.equal(await conflict.json(), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Apply failed with 1 conflict: conflict with "redis-cluster-resilience": .spec.replicas',
    reason: 'Conflict',
    details: {
      causes: [
        {
          reason: 'FieldManagerConflict',
          message: 'conflict with "redis-cluster-resilience"',
          field: '.spec.replicas',
        },
      ],
    },
    code: 409,
  });
  assert.is((await other(true, 3)).status, 200);
  assert.is(current().server.get('StatefulSet', 'ns', 'redis-app')!.spec.replicas, 3);
  // Now helm owns replicas: our apply of 6 is the conflict, reported naming the object.
  const ours = await applyObjects(
    objects,
    [{ body: sts, at: { file: 'manifests/statefulset.yaml', line: 1, column: 1 } }],
    'ns',
    {
      log: silentLog,
    },
  ).catch((e: unknown) => e);
  assert.match(
    (ours as Error).message,
    /^manifests\/statefulset\.yaml:1: StatefulSet redis-app could not be applied: conflict \(409\): Apply failed with 1 conflict: conflict with "helm": \.spec\.replicas/,
  );
});

test('kubectl meets the same conflict and prints the server’s message', async () => {
  const { objects } = clients();
  const sts: JsonObject = { ...(await defaultStatefulSet()), metadata: { name: 'redis-app', namespace: 'ns' } };
  (sts.spec as JsonObject).replicas = 3;
  await objects.apply(sts);
  const cache = mkdtempSync(path.join(os.tmpdir(), 'kubectl-cache-'));
  try {
    const run = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        kubectlPath(),
        [
          '--kubeconfig',
          current().kubeconfig,
          '--cache-dir',
          cache,
          'apply',
          '--server-side',
          '-n',
          'ns',
          '-f',
          'manifests/statefulset.yaml',
        ],
        { timeout: 60_000 },
        (err, _out, stderr) => resolve({ code: err ? 1 : 0, stderr }),
      ),
    );
    assert.is(run.code, 1);
    assert.match(
      run.stderr,
      /Apply failed with 1 conflict: conflict with "redis-cluster-resilience": \.spec\.replicas/,
      run.stderr,
    );
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('StatefulSet: only the mutable spec fields change on update; anything else is Forbidden with the server’s message', async () => {
  const { objects } = clients();
  const sts: JsonObject = { ...(await defaultStatefulSet()), metadata: { name: 'redis-app', namespace: 'ns' } };
  await objects.apply(sts);
  await objects.apply({ ...sts, spec: { ...(sts.spec as JsonObject), replicas: 3 } }); // mutable: fine
  const refused = await refusal(objects.apply({ ...sts, spec: { ...(sts.spec as JsonObject), serviceName: 'other' } }));
  assert.equal(
    [refused.code, refused.body.message],
    [
      422,
      "StatefulSet.apps \"redis-app\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ],
  );
  assert.is(current().server.get('StatefulSet', 'ns', 'redis-app')!.spec.serviceName, 'redis-service');
});

test.run();
