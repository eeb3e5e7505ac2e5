import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import * as assert from 'uvu/assert';
import { DEFAULTS, type Config } from '../../../src/config.ts';
import { InputError } from '../../../src/errors.ts';
import { kindNodeKubernetesVersion } from '../../../src/platform/kind-install.ts';
import { serverKubernetesVersion } from '../../../src/platform/kube/api.ts';
import { resolvePlatformKind } from '../../../src/platform/select.ts';
import type { Log } from '../../../src/util/log.ts';
import { startApiFixture, type ApiFixture } from './api-fixture.ts';

// No Docker engine answers on PATH here: an empty PATH makes that so on any machine.
let fixture: ApiFixture;
let dir = '';
const savedPath = process.env.PATH;
beforeAll(test, async () => {
  fixture = await startApiFixture();
  dir = mkdtempSync(path.join(os.tmpdir(), 'no-docker-'));
  writeFileSync(path.join(dir, 'placeholder'), '');
});
test.after(async () => {
  process.env.PATH = savedPath;
  rmSync(dir, { recursive: true, force: true });
  await fixture.close();
});

const config = (platform: Config['platform']): Config => ({ ...DEFAULTS, command: 'check', manifests: '.', platform });

test('platform auto without Docker: the action fails with a hint; the CLI picks local and says so in one line', async () => {
  process.env.PATH = dir;
  try {
    const err = await resolvePlatformKind(config('auto'), { inAction: true }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    assert.instance(err, InputError);
    assert.match(err!.message, 'platform auto: this runner has no Docker engine');
    assert.match(err!.message, 'use a runner with Docker (ubuntu-latest has it), or say which platform you mean');
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), progress: () => {} } as Log;
    assert.is(await resolvePlatformKind(config('auto'), { log }), 'local');
    assert.equal(lines, [
      'platform auto: no Docker engine answered, so platform local (redis-server processes on loopback addresses, no Kubernetes)',
    ]);
  } finally {
    process.env.PATH = savedPath;
  }
});

test("kubernetes-version default on kind: the node image tag, else the kind release's default node", () => {
  assert.is(kindNodeKubernetesVersion('v0.32.0'), '1.36');
  assert.is(kindNodeKubernetesVersion('v0.32.0', 'kindest/node:v1.33.1@sha256:0123'), '1.33');
  assert.is(kindNodeKubernetesVersion('v0.30.0', 'kindest/node:v1.31.0'), '1.31');
  assert.is(kindNodeKubernetesVersion('v9.9.9'), undefined, "an unknown release: lint's own default");
});

test("kubernetes-version default on existing: the server's version (GET /version); unreachable says why", async () => {
  fixture.server.version = { ...fixture.server.version, minor: '34', gitVersion: 'v1.34.2+k3s1' };
  assert.equal(await serverKubernetesVersion(fixture.kubeconfig), { version: '1.34' });
  const none = await serverKubernetesVersion(path.join(dir, 'missing-kubeconfig'));
  assert.is(none.version, undefined);
  assert.match(none.why ?? '', 'missing-kubeconfig: no such file');
  // Content (a secret pasted into the input) is neither loaded nor echoed here.
  const content = await serverKubernetesVersion('apiVersion: v1\nusers: [{ user: { token: secret-token-x } }]\n');
  assert.equal(content, { why: 'the kubeconfig is given as content, read later' });
  const pasted = await serverKubernetesVersion('secret-token-y');
  assert.not.match(pasted.why ?? '', 'secret-token-y');
});

test.run();
