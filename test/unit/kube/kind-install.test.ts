import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import * as assert from 'uvu/assert';
import { installKind } from '../../../src/platform/kind-install.ts';

const GOOD = '#!/bin/sh\necho "kind v9.9.9 (fixture)"\n';
const sum = (s: string) => createHash('sha256').update(s).digest('hex');

// Release layout as kind publishes it: the binary and "<binary>.sha256sum" beside it.
const files: Record<string, string> = {
  '/v9.9.9/kind-linux-amd64': GOOD,
  '/v9.9.9/kind-linux-amd64.sha256sum': `${sum(GOOD)}  kind-linux-amd64\n`,
  '/v6.6.6/kind-linux-amd64': `${GOOD}# tampered\n`,
  '/v6.6.6/kind-linux-amd64.sha256sum': `${sum(GOOD)}  kind-linux-amd64\n`,
};
const requests: string[] = [];
let server: Server;
let baseUrl = '';
let root = '';
/** Passed in, as the platform does: installKind reads no RUNNER_* variable and writes none. */
const dirs = () => ({ toolCache: path.join(root, 'cache'), tempDir: path.join(root, 'temp') });

beforeAll(test, async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'kind-install-'));
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = files[req.url ?? ''];
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/octet-stream' });
    res.end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

test.after(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

test('a binary matching its published sha256 is installed, executable and cached', async () => {
  const envBefore = { ...process.env };
  const kind = await installKind('v9.9.9', { baseUrl, arch: 'amd64', ...dirs() });
  assert.is(readFileSync(kind, 'utf8'), GOOD);
  assert.ok(statSync(kind).mode & 0o100, 'executable');
  assert.ok(kind.startsWith(path.join(root, 'cache', 'kind', '9.9.9', 'amd64')), kind);
  assert.equal(requests, ['/v9.9.9/kind-linux-amd64', '/v9.9.9/kind-linux-amd64.sha256sum']);

  requests.length = 0;
  assert.is(await installKind('v9.9.9', { baseUrl, arch: 'amd64', ...dirs() }), kind);
  assert.equal(requests, [], 'second install comes from the cache');
  assert.ok(
    existsSync(path.join(root, 'cache', 'kind', '9.9.9', 'amd64.complete')),
    'marked complete as @actions/tool-cache does',
  );
  for (const v of ['RUNNER_TOOL_CACHE', 'RUNNER_TEMP'])
    assert.is(process.env[v], envBefore[v], `${v} not written into process.env`);
});

test('a checksum mismatch is refused, names both sums and caches nothing', async () => {
  const err = await installKind('v6.6.6', { baseUrl, arch: 'amd64', ...dirs() }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.instance(err, Error);
  assert.match(err!.message, sum(GOOD));
  assert.match(err!.message, sum(`${GOOD}# tampered\n`));
  assert.not.ok(existsSync(path.join(root, 'cache', 'kind', '6.6.6')), 'nothing cached');
  assert.equal(readdirSync(path.join(root, 'temp')), [], 'downloads removed');
});

test('a missing release is an error naming the URL', async () => {
  const err = await installKind('v0.0.1', { baseUrl, arch: 'amd64', ...dirs() }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.instance(err, Error);
  assert.match(err!.message, '404');
});

test('a pinned release: checked against the pinned sha256 (no .sha256sum fetched); a mismatch is refused even when the published sum agrees', async () => {
  requests.length = 0;
  const warnings: string[] = [];
  const releases = {
    'v9.9.9': { nodeKubernetes: '1.99', sha256: { amd64: sum(GOOD) } },
    'v6.6.6': { nodeKubernetes: '1.66', sha256: { amd64: sum(GOOD) } },
  };
  const cache = { toolCache: path.join(root, 'cache-pinned'), tempDir: path.join(root, 'temp') };
  await installKind('v9.9.9', { baseUrl, arch: 'amd64', releases, warn: (l) => warnings.push(l), ...cache });
  assert.equal(requests, ['/v9.9.9/kind-linux-amd64']);
  assert.equal(warnings, []);
  // A server that serves a tampered binary and a checksum file to match it: only the pin catches it.
  files['/v6.6.6/kind-linux-amd64.sha256sum'] = `${sum(`${GOOD}# tampered\n`)}  kind-linux-amd64\n`;
  try {
    const err = await installKind('v6.6.6', { baseUrl, arch: 'amd64', releases, ...cache }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    assert.match(
      err?.message ?? '',
      `the sha256 pinned in this action is ${sum(GOOD)}, the downloaded file has ${sum(`${GOOD}# tampered\n`)}; refusing to run it`,
    );
    assert.not.ok(existsSync(path.join(root, 'cache-pinned', 'kind', '6.6.6')), 'nothing cached');
  } finally {
    files['/v6.6.6/kind-linux-amd64.sha256sum'] = `${sum(GOOD)}  kind-linux-amd64\n`;
  }
});

test('a release without a pin: the published sum is used, and a warning says so; no ::debug:: line reaches stdout', async () => {
  const warnings: string[] = [];
  const written: string[] = [];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back onto process.stdout after the test, never called detached
  const write = process.stdout.write;
  process.stdout.write = (chunk: string) => (written.push(chunk), true);
  try {
    await installKind('v9.9.9', {
      baseUrl,
      arch: 'amd64',
      releases: {},
      warn: (l) => warnings.push(l),
      toolCache: path.join(root, 'cache-unpinned'),
      tempDir: path.join(root, 'temp'),
    });
  } finally {
    process.stdout.write = write;
  }
  assert.match(
    warnings.join('\n'),
    'kind v9.9.9 (amd64) has no sha256 pinned in this action; checking it against the published',
  );
  assert.equal(
    written.filter((w) => w.includes('::debug::')),
    [],
  );
});

test('every pinned checksum is a sha256 and the default kind version is a known release', async () => {
  const { KIND_RELEASES } = await import('../../../src/platform/kind-install.ts');
  const { DEFAULTS } = await import('../../../src/config.ts');
  assert.ok(DEFAULTS.kindVersion in KIND_RELEASES);
  for (const [v, r] of Object.entries(KIND_RELEASES)) {
    assert.match(r.nodeKubernetes, /^1\.\d+$/, v);
    for (const h of Object.values(r.sha256)) assert.match(h, /^[0-9a-f]{64}$/, v);
  }
});

test.run();
