import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import * as assert from 'uvu/assert';
import * as kind from '../../../src/platform/kind.ts';
import { silentLog } from '../../../src/util/log.ts';
import { installFakeIp } from './fake-ip.ts';

let dir = '';
let fakeKind = '';
const calls = () => readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n').filter(Boolean);
const setClusters = (names: string[]) => writeFileSync(path.join(dir, 'clusters'), names.map((n) => `${n}\n`).join(''));

// A stand-in for the kind binary: records its arguments, keeps a list of clusters in a file.
const SCRIPT = `#!/bin/sh
dir=$(dirname "$0")
echo "$*" >> "$dir/calls"
case "$1 $2" in
  "get clusters") cat "$dir/clusters" ;;
  "create cluster") echo "$4" >> "$dir/clusters"; echo "apiVersion: v1" > "\${10}" ;;
  "delete cluster") grep -vx "$4" "$dir/clusters" > "$dir/c2"; mv "$dir/c2" "$dir/clusters" ;;
esac
`;

beforeAll(test, () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fake-kind-'));
  fakeKind = path.join(dir, 'kind');
  writeFileSync(fakeKind, SCRIPT);
  chmodSync(fakeKind, 0o755);
});
test.after(() => rmSync(dir, { recursive: true, force: true }));
test.before.each(() => {
  writeFileSync(path.join(dir, 'calls'), '');
  setClusters([]);
});

test('create: name, config, wait and a kubeconfig file of its own', async () => {
  const kubeconfigFile = path.join(dir, 'kubeconfig');
  await kind.createKindCluster({ kind: fakeKind, name: 'rr', configFile: '/cfg.yaml', kubeconfigFile, log: silentLog });
  assert.equal(calls(), ['get clusters', `create cluster --name rr --config /cfg.yaml --wait 120s --kubeconfig ${kubeconfigFile}`]);
  assert.ok(existsSync(kubeconfigFile));
});

test('create refuses a name already taken', async () => {
  setClusters(['other', 'rr']);
  const err = await kind.createKindCluster({ kind: fakeKind, name: 'rr', configFile: '/c', kubeconfigFile: '/k', log: silentLog })
    .then(() => undefined, (e: Error) => e);
  assert.match(err!.message, 'a kind cluster named rr already exists');
  assert.equal(calls(), ['get clusters']);
});

test('post: deletes the cluster; an already deleted one is fine', async () => {
  setClusters(['rr']);
  assert.is(await kind.cleanUpKind({ cluster: 'rr', kindPath: fakeKind, keepCluster: false }, silentLog), 'deleted');
  assert.equal(calls(), ['get clusters', 'delete cluster --name rr']);
  assert.is(await kind.cleanUpKind({ cluster: 'rr', kindPath: fakeKind, keepCluster: false }, silentLog), 'absent');
  assert.equal(calls().at(-1), 'get clusters');
});

test('post: the pod routes go with the cluster, and stay with a kept one', async () => {
  const ip = installFakeIp();
  const getuid = process.getuid;
  process.getuid = () => 0;
  const routes = [{ node: 'rr-worker', cidr: '10.244.1.0/24', via: '172.18.0.2' }];
  try {
    setClusters(['rr']);
    assert.is(await kind.cleanUpKind({ cluster: 'rr', kindPath: fakeKind, keepCluster: true, routes }, silentLog), 'kept');
    assert.equal(ip.calls(), []);
    assert.is(await kind.cleanUpKind({ cluster: 'rr', kindPath: fakeKind, keepCluster: false, routes }, silentLog), 'deleted');
    assert.equal(ip.calls(), ['ip route del 10.244.1.0/24 via 172.18.0.2']);
  } finally {
    process.getuid = getuid;
    ip.restore();
  }
});

test('post: keep-cluster leaves it; a missing kind binary is reported, not thrown', async () => {
  setClusters(['rr']);
  assert.is(await kind.cleanUpKind({ cluster: 'rr', kindPath: fakeKind, keepCluster: true }, silentLog), 'kept');
  assert.is(await kind.cleanUpKind({ cluster: 'rr', kindPath: path.join(dir, 'gone'), keepCluster: false }, silentLog), 'no-kind');
  assert.equal(calls(), []);
});

test('state round trip through the runner\'s state file variables', async () => {
  // saveState writes to GITHUB_STATE; the runner hands it back to the post step as STATE_<name>.
  const stateFile = path.join(dir, 'state');
  writeFileSync(stateFile, '');
  Object.assign(process.env, { GITHUB_STATE: stateFile });
  try {
    kind.saveKindState({ cluster: 'rr', kindPath: '/tools/kind', keepCluster: true });
    const text = readFileSync(stateFile, 'utf8');
    for (const name of ['kind-cluster', 'kind-path', 'keep-cluster']) assert.match(text, `${name}<<`);
    Object.assign(process.env, { 'STATE_kind-cluster': 'rr', 'STATE_kind-path': '/tools/kind', 'STATE_keep-cluster': 'true' });
    assert.equal(kind.loadKindState(), { cluster: 'rr', kindPath: '/tools/kind', keepCluster: true });
    const routes = [{ node: 'rr-worker', cidr: '10.244.1.0/24', via: '172.18.0.2' }];
    kind.saveKindRoutes(routes);
    assert.match(readFileSync(stateFile, 'utf8'), 'kind-routes<<');
    process.env['STATE_kind-routes'] = JSON.stringify(routes);
    assert.equal(kind.loadKindState()?.routes, routes);
  } finally {
    for (const k of ['GITHUB_STATE', 'STATE_kind-cluster', 'STATE_kind-path', 'STATE_keep-cluster', 'STATE_kind-routes']) delete process.env[k];
  }
  assert.is(kind.loadKindState(), undefined);
});

test.run();
