import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import * as assert from 'uvu/assert';
import { CancelledError } from '../../../src/errors.ts';
import * as kind from '../../../src/platform/kind.ts';
import { silentLog } from '../../../src/util/log.ts';
import { DEFAULTS } from '../../../src/config.ts';
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

/**
 * createKindCluster with a stand-in kind whose `create cluster` runs `create` (which touches "<name>-trapped" once
 * its signal handling is set up), cancelled once that file exists: a fixed delay raced the shell's start on a
 * loaded machine. Resolves with what the call threw, within 20 s.
 */
async function cancelledCreate(name: string, create: string): Promise<Error | undefined> {
  const standIn = path.join(dir, name);
  writeFileSync(standIn, `#!/bin/sh\ncase "$1 $2" in\n  "get clusters") ;;\n  "create cluster") ${create} ;;\nesac\n`);
  chmodSync(standIn, 0o755);
  const cancel = new AbortController();
  const created = kind
    .createKindCluster({
      kind: standIn,
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
  const trapped = path.join(dir, `${name}-trapped`);
  await waitFor(
    `the ${name} stand-in to set up its signal handling`,
    async () => (existsSync(trapped) ? { done: true, value: undefined } : { done: false, seen: 'not yet' }),
    { timeoutMs: 10_000, intervalMs: 20 },
  );
  cancel.abort('SIGINT');
  // Bounded: before the grace existed, a kind that ignores SIGTERM held the call forever.
  return settleWithin(created, 20_000, 'createKindCluster did not return after the cancel');
}

test('create, cancelled: kind is stopped and waited for, then CancelledError', async () => {
  const err = await cancelledCreate(
    'slow-kind',
    `trap 'kill $!; echo stopped > "${dir}/slow-stopped"; exit 143' TERM; : > "${dir}/slow-kind-trapped"; sleep 30 & wait`,
  );
  assert.instance(err, CancelledError);
  assert.is(err!.message, 'cancelled while waiting for kind create cluster --name rr');
  assert.is(
    readFileSync(path.join(dir, 'slow-stopped'), 'utf8'),
    'stopped\n',
    'kind got SIGTERM and exited before the call returned',
  );
});

test('create, cancelled while kind ignores SIGTERM: kind is killed after the grace, then CancelledError', async () => {
  const err = await cancelledCreate(
    'stubborn-kind',
    `trap '' TERM; : > "${dir}/stubborn-kind-trapped"; while :; do sleep 1; done`,
  );
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
  assert.is(await kind.undoKindCluster({ cluster: 'rr', kindVersion: DEFAULTS.kindVersion }, silentLog), 'deleted');
  assert.equal(standIns.calls(), ['kind get clusters', 'kind delete cluster --name rr']);
  assert.is(await kind.undoKindCluster({ cluster: 'rr', kindVersion: DEFAULTS.kindVersion }, silentLog), 'absent');
  assert.equal(standIns.calls().at(-1), 'kind get clusters');
});

test('undo of a kind-cluster step: a kind not in the tool cache throws naming the command to run by hand', async () => {
  standIns.setClusters(['rr']);
  const err = await kind.undoKindCluster({ cluster: 'rr', kindVersion: 'v0.0.1' }, silentLog).then(
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
