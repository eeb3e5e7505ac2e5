import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { messageOf } from '../../../src/errors.ts';
import { loadManifests, parseManifestFile } from '../../../src/manifests/load.ts';
import * as api from '../../../src/platform/kube/api.ts';
import { applyObjects } from '../../../src/platform/kube/apply.ts';
import { silentLog } from '../../../src/util/log.ts';
import { kubectlPath } from '../../support/kubectl.ts';
import { beforeAll } from '../../support/setup.ts';
import { PLAIN_SCALARS } from '../../support/yaml-scalars-table.ts';
import { startApiFixture, type ApiFixture } from './api-fixture.ts';
import { ApiServer } from './api-server.ts';

/*
 * kubectl (an official 1.33 build, test/support/kubectl.ts) as a second client against the API fixture: for every
 * manifest directory, the objects `kubectl apply --server-side` sends must equal the ones our client sends
 * (applyObjects, the step every platform's apply goes through). What the platforms change on purpose before that
 * step (the NFS stand-in on kind, the run label and renames on an existing cluster) is not part of the comparison.
 * The requests kubectl makes on its way (discovery, OpenAPI v3, apply, get, delete) must succeed, which holds the
 * fixture to the real server's answers too.
 */

const NAMESPACE = 'compare';
let fixture: ApiFixture;
let cacheDir: string;

beforeAll(test, async () => {
  fixture = await startApiFixture();
  cacheDir = mkdtempSync(path.join(os.tmpdir(), 'kubectl-cache-'));
});
test.after(async () => {
  await fixture.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

function freshServer(): void {
  fixture.requests.length = 0;
  fixture.server = new ApiServer({ namespaces: ['default', NAMESPACE] });
}

/** Runs kubectl against the fixture; never throws: the exit code and output are the result. */
function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      kubectlPath(),
      ['--kubeconfig', fixture.kubeconfig, '--cache-dir', cacheDir, ...args],
      { timeout: 60_000, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The apply bodies sent since the fixture was last reset, by request path. */
function sentBodies(): Map<string, unknown> {
  const bodies = new Map<string, unknown>();
  for (const r of fixture.requests.filter((q) => q.method === 'PATCH'))
    bodies.set(r.path, JSON.parse(r.body) as unknown);
  return bodies;
}

async function oursFor(dir: string): Promise<{ bodies: Map<string, unknown>; error?: string }> {
  freshServer();
  try {
    const set = await loadManifests(dir);
    const objects = api.kubeClients(api.loadKubeConfig(fixture.kubeconfig)).objects;
    await applyObjects(
      objects,
      set.objects.map((o) => ({ body: o.body, at: o.at })),
      NAMESPACE,
      { log: silentLog },
    );
    return { bodies: sentBodies() };
  } catch (err) {
    return { bodies: sentBodies(), error: messageOf(err) };
  }
}

async function kubectlFor(
  dir: string,
): Promise<{ bodies: Map<string, unknown>; code: number; stderr: string; unserved: string[] }> {
  freshServer();
  const run = await kubectl(['apply', '--server-side', '-n', NAMESPACE, '-f', dir]);
  return { bodies: sentBodies(), code: run.code, stderr: run.stderr, unserved: unserved() };
}

/** kubectl's reads (discovery, OpenAPI, get) that the fixture did not answer with 2xx. */
const unserved = () =>
  fixture.requests.filter((r) => r.method === 'GET' && (r.status ?? 0) >= 300).map((r) => `${r.method} ${r.path}`);

const DIRS = [
  'manifests',
  'examples/valkey',
  ...readdirSync('test/fixtures/manifests', { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'broken-yaml')
    .map((d) => `test/fixtures/manifests/${d.name}`),
];

for (const dir of DIRS) {
  test(`${dir}: kubectl apply --server-side sends the objects our client sends`, async () => {
    const ours = await oursFor(dir);
    assert.is(ours.error, undefined, `our apply of ${dir} failed: ${ours.error ?? ''}`);
    const theirs = await kubectlFor(dir);
    assert.is(theirs.code, 0, `kubectl apply of ${dir} failed: ${theirs.stderr}`);
    assert.equal(theirs.unserved, []);
    assert.equal([...theirs.bodies.keys()].sort(), [...ours.bodies.keys()].sort());
    for (const [p, body] of ours.bodies) assert.equal(body, theirs.bodies.get(p), p);
  });
}

test('the seed: both send the same bodies for what the cluster serves, and both refuse apps/v1beta1', async () => {
  const ours = await oursFor('test/fixtures/seed');
  assert.match(ours.error ?? '', /does not serve apps\/v1beta1 StatefulSet/);
  const theirs = await kubectlFor('test/fixtures/seed');
  assert.is.not(theirs.code, 0);
  assert.match(theirs.stderr, /redis-statefulset\.yml/);
  // For a kind the server does not serve, kubectl looks for a CRD and falls back to OpenAPI v2 (protobuf only,
  // client-go discovery OpenAPISchema), neither of which the fixture serves: a real server would answer both,
  // and kubectl would then fail on the mapping ("no matches for kind") instead. Either way it refuses.
  assert.equal(theirs.unserved, ['GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions', 'GET /openapi/v2']);
  // Ours stops at the first refusal (objects in dependency order, the StatefulSet last); kubectl goes on.
  assert.ok(ours.bodies.size > 0);
  for (const [p, body] of ours.bodies) assert.equal(body, theirs.bodies.get(p), p);
});

test('broken YAML: both refuse it at the same line', async () => {
  const ours = await oursFor('test/fixtures/manifests/broken-yaml');
  assert.match(ours.error ?? '', /statefulset\.yaml:11:/);
  const theirs = await kubectlFor('test/fixtures/manifests/broken-yaml');
  assert.is.not(theirs.code, 0);
  assert.match(theirs.stderr, /statefulset\.yaml.*line 11/s);
});

test('YAML 1.1 scalars: kubectl sends each as our loader reads it (the table of yaml-scalars.test)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kubectl-scalars-'));
  try {
    const lines = PLAIN_SCALARS.map(([text], i) => `  k${i}: ${text}`).join('\n');
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: scalars\ndata:\n${lines}\n`;
    writeFileSync(path.join(dir, 'scalars.yaml'), text);
    freshServer();
    await kubectl(['apply', '--server-side', '-n', NAMESPACE, '-f', dir]); // refused or not: the body was sent
    const sent = sentBodies().get(`/api/v1/namespaces/${NAMESPACE}/configmaps/scalars`) as { data: unknown };
    const [ours] = parseManifestFile('scalars.yaml', text);
    assert.equal(sent.data, ours!.body.data);
    assert.equal(sent.data, Object.fromEntries(PLAIN_SCALARS.map(([, value], i) => [`k${i}`, value])));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kubectl get and delete succeed against the fixture and see what was applied', async () => {
  freshServer();
  assert.is((await kubectl(['apply', '--server-side', '-n', NAMESPACE, '-f', 'manifests'])).code, 0);
  const got = await kubectl(['get', 'statefulset', 'redis-app', '-n', NAMESPACE, '-o', 'json']);
  assert.is(got.code, 0, got.stderr);
  const sts = JSON.parse(got.stdout) as { metadata: { name: string; uid: string } };
  assert.is(sts.metadata.uid, fixture.server.get('StatefulSet', NAMESPACE, 'redis-app')!.metadata.uid);
  const pods = await kubectl(['get', 'pods', '-n', NAMESPACE, '-l', 'app=redis', '-o', 'name']);
  assert.is(pods.code, 0, pods.stderr);
  const deleted = await kubectl(['delete', '-n', NAMESPACE, '-f', 'manifests', '--wait=false']);
  assert.is(deleted.code, 0, deleted.stderr);
  assert.is(fixture.server.get('StatefulSet', NAMESPACE, 'redis-app'), undefined);
  assert.is(fixture.server.get('ConfigMap', NAMESPACE, 'redis-conf'), undefined);
});

test.run();
