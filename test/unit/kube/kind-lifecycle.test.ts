import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import * as assert from 'uvu/assert';
import { CancelledError } from '../../../src/errors.ts';
import * as kind from '../../../src/platform/kind.ts';
import { silentLog } from '../../../src/util/log.ts';
import { settleWithin, waitFor } from '../../../src/util/wait.ts';
import { installKindStandIns, type KindStandIns } from './kind-standins.ts';

let standIns: KindStandIns;
let dir = '';
let fakeKind = '';

beforeAll(test, () => {
  standIns = installKindStandIns();
  ({ dir, kind: fakeKind } = standIns);
});
test.after(() => standIns.restore());
test.before.each(() => standIns.reset());

test('create: name, config, wait and a kubeconfig file of its own', async () => {
  const kubeconfigFile = path.join(dir, 'kubeconfig');
  await kind.createKindCluster({ kind: fakeKind, name: 'rr', configFile: '/cfg.yaml', kubeconfigFile, log: silentLog });
  assert.equal(standIns.calls(), [
    'kind get clusters',
    `kind create cluster --name rr --config /cfg.yaml --wait 120s --kubeconfig ${kubeconfigFile}`,
  ]);
  assert.ok(existsSync(kubeconfigFile));
});

test('create, cancelled: kind is stopped and waited for, then CancelledError', async () => {
  const slow = path.join(dir, 'slow-kind');
  writeFileSync(
    slow,
    `#!/bin/sh\ncase "$1 $2" in\n  "get clusters") ;;\n  "create cluster") trap 'kill $!; echo stopped > "${dir}/slow-stopped"; exit 143' TERM; : > "${dir}/slow-trapped"; sleep 30 & wait ;;\nesac\n`,
  );
  chmodSync(slow, 0o755);
  const cancel = new AbortController();
  const created = kind
    .createKindCluster({
      kind: slow,
      name: 'rr',
      configFile: '/c',
      kubeconfigFile: '/k',
      log: silentLog,
      signal: cancel.signal,
    })
    .then(
      () => undefined,
      (e: unknown) => e as Error,
    );
  // Cancel once the stand-in has its TERM trap: a fixed delay raced the shell's start on a loaded machine.
  const trapped = path.join(dir, 'slow-trapped');
  await waitFor(
    'the slow kind stand-in to set its trap',
    async () => (existsSync(trapped) ? { done: true, value: undefined } : { done: false, seen: 'no trap yet' }),
    { timeoutMs: 10_000, intervalMs: 20 },
  );
  cancel.abort('SIGINT');
  const err = await created;
  assert.instance(err, CancelledError);
  assert.is(err!.message, 'cancelled while waiting for kind create cluster --name rr');
  assert.is(
    readFileSync(path.join(dir, 'slow-stopped'), 'utf8'),
    'stopped\n',
    'kind got SIGTERM and exited before the call returned',
  );
});

test('create, cancelled while kind ignores SIGTERM: kind is killed after the grace, then CancelledError', async () => {
  const stubborn = path.join(dir, 'stubborn-kind');
  writeFileSync(
    stubborn,
    `#!/bin/sh\ncase "$1 $2" in\n  "get clusters") ;;\n  "create cluster") trap '' TERM; : > "${dir}/stubborn-trapped"; while :; do sleep 1; done ;;\nesac\n`,
  );
  chmodSync(stubborn, 0o755);
  const cancel = new AbortController();
  const created = kind
    .createKindCluster({
      kind: stubborn,
      name: 'rr',
      configFile: '/c',
      kubeconfigFile: '/k',
      log: silentLog,
      signal: cancel.signal,
    })
    .then(
      () => undefined,
      (e: unknown) => e as Error,
    );
  const trapped = path.join(dir, 'stubborn-trapped');
  await waitFor(
    'the stubborn kind stand-in to ignore TERM',
    async () => (existsSync(trapped) ? { done: true, value: undefined } : { done: false, seen: 'not yet' }),
    { timeoutMs: 10_000, intervalMs: 20 },
  );
  cancel.abort('SIGINT');
  // Bounded: before the grace existed, the call waited for kind forever.
  const err = await settleWithin(created, 20_000, 'createKindCluster did not return after the cancel');
  assert.instance(err, CancelledError);
});

test('create refuses a name already taken', async () => {
  standIns.setClusters(['other', 'rr']);
  const err = await kind
    .createKindCluster({ kind: fakeKind, name: 'rr', configFile: '/c', kubeconfigFile: '/k', log: silentLog })
    .then(
      () => undefined,
      (e: unknown) => e as Error,
    );
  assert.match(err!.message, 'a kind cluster named rr already exists');
  assert.equal(standIns.calls(), ['kind get clusters']);
});

test('undo of a kind-cluster step: deletes the cluster; an already deleted one is fine', async () => {
  standIns.setClusters(['rr']);
  assert.is(await kind.undoKindCluster({ cluster: 'rr', kindPath: fakeKind }, silentLog), 'deleted');
  assert.equal(standIns.calls(), ['kind get clusters', 'kind delete cluster --name rr']);
  assert.is(await kind.undoKindCluster({ cluster: 'rr', kindPath: fakeKind }, silentLog), 'absent');
  assert.equal(standIns.calls().at(-1), 'kind get clusters');
});

test('undo of a kind-cluster step: a missing kind binary throws naming the command to run by hand', async () => {
  standIns.setClusters(['rr']);
  const err = await kind.undoKindCluster({ cluster: 'rr', kindPath: path.join(dir, 'gone') }, silentLog).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.match(err?.message ?? '', 'kind delete cluster --name rr');
  assert.equal(standIns.calls(), []);
});

test('create records the undo only once the name is known to be free', async () => {
  let recorded = 0;
  standIns.setClusters(['rr']);
  const taken = await kind
    .createKindCluster({
      kind: fakeKind,
      name: 'rr',
      configFile: '/c',
      kubeconfigFile: '/k',
      log: silentLog,
      beforeCreate: async () => recorded++,
    })
    .then(
      () => undefined,
      (e: unknown) => e as Error,
    );
  assert.ok(taken);
  assert.is(recorded, 0, "a cluster that was already there is not this run's to delete");
  standIns.setClusters([]);
  await kind.createKindCluster({
    kind: fakeKind,
    name: 'rr',
    configFile: '/c',
    kubeconfigFile: path.join(dir, 'kc'),
    log: silentLog,
    beforeCreate: async () => recorded++,
  });
  assert.is(recorded, 1);
});

test.run();
