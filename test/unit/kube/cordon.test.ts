/* eslint-disable @typescript-eslint/no-unsafe-member-access -- the assertions read Kubernetes objects as the API fixture keeps them: free-form JSON (Obj in test/unit/kube/api-server.ts) */
import { test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import * as assert from 'uvu/assert';
import * as api from '../../../src/platform/kube/api.ts';
import { CordonHold } from '../../../src/platform/kube/cordon.ts';
import { silentLog } from '../../../src/util/log.ts';
import { startApiFixture, status, type ApiFixture } from './api-fixture.ts';

let fixture: ApiFixture;

/** Node name → spec.unschedulable as the fixture API server stores it. */
let nodes: Record<string, boolean | undefined>;
/** Nodes whose uncordon the fixture refuses (500). */
let refuseUncordon = new Set<string>();
/** Nodes whose cordon the fixture refuses (403). */
let refuseCordon = new Set<string>();

beforeAll(test, async () => {
  fixture = await startApiFixture((r) => {
    const node = (name: string) => ({
      metadata: { name },
      spec: nodes[name] === undefined ? {} : { unschedulable: nodes[name] },
    });
    if (r.method === 'GET' && r.path === '/api/v1/nodes') {
      return { status: 200, body: { kind: 'NodeList', apiVersion: 'v1', items: Object.keys(nodes).map(node) } };
    }
    const m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(r.path);
    if (r.method === 'PATCH' && m) {
      assert.is(r.contentType, 'application/merge-patch+json');
      const v = JSON.parse(r.body).spec.unschedulable as boolean | null;
      if (v === null && refuseUncordon.has(m[1]!)) return status(500, 'etcdserver: request timed out');
      if (v === true && refuseCordon.has(m[1]!)) return status(403, `nodes "${m[1]}" is forbidden`);
      nodes[m[1]!] = v ?? undefined;
      return { status: 200, body: { kind: 'Node', apiVersion: 'v1', ...node(m[1]!) } };
    }
    return undefined;
  });
});
test.after(() => fixture.close());
test.before.each(() => {
  fixture.requests.length = 0;
  refuseUncordon = new Set();
  refuseCordon = new Set();
  nodes = {
    'kind-control-plane': undefined,
    'kind-worker': undefined,
    'kind-worker2': true,
    'kind-worker3': undefined,
  };
});

const hold = () => new CordonHold(api.kubeClients(api.loadKubeConfig(fixture.kubeconfig)).core, silentLog);

test('hold cordons the schedulable nodes; release restores each as it was (already cordoned stays cordoned)', async () => {
  const before = { ...nodes };
  const h = hold();
  await h.hold();
  assert.equal(nodes, { 'kind-control-plane': true, 'kind-worker': true, 'kind-worker2': true, 'kind-worker3': true });
  assert.ok(h.held);
  await h.release();
  assert.equal(nodes, before);
  assert.not.ok(h.held);
  assert.not.ok(
    fixture.requests.some((r) => r.path === '/api/v1/nodes/kind-worker2' && r.method === 'PATCH'),
    'worker2 never touched',
  );
});

test('a cordon that fails stops the hold, and release still uncordons the nodes that were cordoned', async () => {
  const before = { ...nodes };
  refuseCordon = new Set(['kind-worker']);
  const h = hold();
  const err = await h.hold().then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.match(err?.message ?? '', 'cordoning node kind-worker: nodes "kind-worker" is forbidden (HTTP 403)');
  assert.ok(h.held, 'the nodes cordoned before the failure are remembered');
  await h.release();
  assert.equal(nodes, before);
});

test('holding twice does not mistake our own cordons for earlier ones', async () => {
  const before = { ...nodes };
  const h = hold();
  await h.hold();
  await h.hold();
  assert.is(fixture.requests.filter((r) => r.method === 'PATCH').length, 3, 'the second hold cordons nothing more');
  await h.release();
  assert.equal(nodes, before);
});

test('a node that cannot be uncordoned is named; the others are released; a retry finishes the job', async () => {
  const h = hold();
  await h.hold();
  refuseUncordon = new Set(['kind-worker']);
  const err = await h.release().then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.is(
    err?.message,
    'could not uncordon 1 node(s) after the hold: uncordoning node kind-worker: etcdserver: request timed out (HTTP 500)',
  );
  assert.equal(nodes, {
    'kind-control-plane': undefined,
    'kind-worker': true,
    'kind-worker2': true,
    'kind-worker3': undefined,
  });
  refuseUncordon = new Set();
  refuseCordon = new Set();
  await h.release();
  assert.equal(nodes, {
    'kind-control-plane': undefined,
    'kind-worker': undefined,
    'kind-worker2': true,
    'kind-worker3': undefined,
  });
});

test('release with nothing held sends nothing', async () => {
  await hold().release();
  assert.is(fixture.requests.length, 0);
});

test.run();
