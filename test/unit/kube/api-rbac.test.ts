import { readFileSync } from 'node:fs';
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { beforeAll } from '../../support/setup.ts';
import { startApiFixture, type ApiFixture } from './api-fixture.ts';
import { forbiddenMessage, Rbac, requestAttributes } from './api-rbac.ts';

// The fixture's RBAC answers as the API server does (test/unit/kube/api-rbac.ts cites the sources).
const q = (s = '') => new URLSearchParams(s);

test('request attributes: verb from method and collection, namespace, subresource; a namespace read is in that namespace', () => {
  assert.equal(requestAttributes('GET', '/api/v1/namespaces/team/pods', q()), {
    verb: 'list',
    group: '',
    resource: 'pods',
    subresource: '',
    namespace: 'team',
    name: '',
  });
  assert.is(requestAttributes('GET', '/api/v1/namespaces/team/pods', q('watch=true'))!.verb, 'watch');
  assert.equal(requestAttributes('GET', '/api/v1/namespaces/team/pods/p-0/log', q()), {
    verb: 'get',
    group: '',
    resource: 'pods',
    subresource: 'log',
    namespace: 'team',
    name: 'p-0',
  });
  assert.equal(requestAttributes('GET', '/api/v1/namespaces/team', q()), {
    verb: 'get',
    group: '',
    resource: 'namespaces',
    subresource: '',
    namespace: 'team',
    name: 'team',
  });
  assert.equal(requestAttributes('POST', '/api/v1/namespaces', q()), {
    verb: 'create',
    group: '',
    resource: 'namespaces',
    subresource: '',
    namespace: '',
    name: '',
  });
  assert.is(requestAttributes('PATCH', '/apis/apps/v1/namespaces/t/statefulsets/r', q())!.group, 'apps');
  assert.is(requestAttributes('DELETE', '/api/v1/namespaces/t/pods', q())!.verb, 'deletecollection');
  assert.is(requestAttributes('GET', '/apis/apps/v1', q()), undefined, 'discovery is not a resource request');
  assert.is(requestAttributes('GET', '/version', q()), undefined);
});

test('the 403 message, as forbiddenMessage words it (namespaced, cluster scope, subresource)', () => {
  const a = { verb: 'create', group: '', resource: 'pods', subresource: 'portforward', namespace: 't', name: 'p' };
  assert.is(
    forbiddenMessage('u', a),
    'User "u" cannot create resource "pods/portforward" in API group "" in the namespace "t"',
  );
  assert.is(
    forbiddenMessage('u', {
      ...a,
      resource: 'storageclasses',
      group: 'storage.k8s.io',
      subresource: '',
      namespace: '',
    }),
    'User "u" cannot create resource "storageclasses" in API group "storage.k8s.io" at the cluster scope',
  );
});

let fixture: ApiFixture;
beforeAll(test, async () => {
  fixture = await startApiFixture();
  const rbac = new Rbac().addUser('fixture-token', 'team-user', [
    { namespace: 'default', rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] },
  ]);
  fixture.authorize = (req, auth) => rbac.authorize(req, auth);
});
test.after(() => fixture.close());

const request = (method: string, path: string, token = 'fixture-token', body?: string) =>
  fetch(`${/server: "([^"]+)"/.exec(readKubeconfig())![1]}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body ? { body } : {}),
  });
const readKubeconfig = () => readFileSync(fixture.kubeconfig, 'utf8');

test('over HTTP: allowed, refused with the Status body, 401 for an unknown token, access reviews answered', async () => {
  assert.is((await request('GET', '/api/v1/namespaces/default/pods')).status, 200);
  const refused = await request('DELETE', '/api/v1/namespaces/default/pods/p-0');
  assert.is(refused.status, 403);
  assert.equal(await refused.json(), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message:
      'pods "p-0" is forbidden: User "team-user" cannot delete resource "pods" in API group "" in the namespace "default"',
    reason: 'Forbidden',
    details: { name: 'p-0', kind: 'pods' },
    code: 403,
  });
  assert.is((await request('GET', '/api/v1/namespaces/other/pods')).status, 403, 'a Role binds in its namespace only');
  assert.is((await request('GET', '/api/v1/namespaces/default/pods', 'stolen')).status, 401);
  assert.is((await request('GET', '/apis/apps/v1')).status, 200, 'discovery for every authenticated user');
  const review = async (verb: string) =>
    (
      (await (
        await request(
          'POST',
          '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
          'fixture-token',
          JSON.stringify({ spec: { resourceAttributes: { namespace: 'default', verb, resource: 'pods' } } }),
        )
      ).json()) as { status: { allowed: boolean } }
    ).status.allowed;
  assert.is(await review('list'), true);
  assert.is(await review('delete'), false);
  const rules = async (namespace: string) =>
    (
      (await (
        await request(
          'POST',
          '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
          'fixture-token',
          JSON.stringify({ spec: { namespace } }),
        )
      ).json()) as { status: { resourceRules: unknown[]; incomplete: boolean } }
    ).status;
  assert.equal(await rules('default'), {
    resourceRules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
    nonResourceRules: [],
    incomplete: false,
  });
  assert.equal((await rules('other')).resourceRules, [], 'what kubectl auth can-i --list shows in another namespace');
});

test('a port-forward upgrade without pods/portforward: the 403 Status, no switch of protocols', async () => {
  const { host, port } = new URL(/server: "([^"]+)"/.exec(readKubeconfig())![1]!);
  const socket = net.connect(Number(port), host.split(':')[0]);
  socket.write(
    'GET /api/v1/namespaces/default/pods/p-0/portforward?ports=6379 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer fixture-token\r\n' +
      'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  const answer = await new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve(text));
  });
  assert.match(answer, /^HTTP\/1\.1 403 /);
  assert.match(answer, 'cannot get resource \\"pods/portforward\\" in API group \\"\\" in the namespace \\"default\\"');
});

test.run();
