/**
 * Manifests as most teams keep them, rendered by the real tools before the check: a Helm chart of the tests' own
 * (3 masters, a password from the Secret the chart makes) and a kustomize overlay of the default manifests, each
 * through master-failover on the local platform with real redis-server, as the CLI runs them.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Report } from '../../src/report/model.ts';
import { helmPath, kubectlPath } from '../support/kubectl.ts';
import { runNode } from '../support/run-node.ts';
import { kustomizeOverlay } from '../support/kustomize.ts';

const PASSWORD = 'rcr-chart-password-41c9';
const PATH = [path.dirname(helmPath()), path.dirname(kubectlPath()), process.env.PATH ?? ''].join(path.delimiter);

let dir = '';
test.before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rcr-rendered-'));
});
test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function check(name: string, ...flags: string[]) {
  const reportDir = path.join(dir, name);
  const run = await runNode(
    [
      '--import',
      'tsx',
      'src/cli.ts',
      'check',
      '--platform',
      'local',
      '--report-dir',
      reportDir,
      '--write-rate',
      '100',
      ...flags,
    ],
    { PATH },
    300_000,
  );
  const report = JSON.parse(readFileSync(path.join(reportDir, 'report.json'), 'utf8')) as Report;
  return { run, report, reportDir };
}

test('a Helm chart with values (3 masters, password from its Secret): rendered, kept with the report, master-failover passes, the password in no output', async () => {
  const { run, report, reportDir } = await check(
    'chart',
    '--chart',
    'test/fixtures/charts/redis-cluster',
    '--set',
    `password=${PASSWORD}`,
    '--release',
    'ci',
  );
  assert.is(run.code, 0, `${run.stderr}\n${report.error ?? ''}`);
  assert.is(report.verdict, 'pass');
  assert.match(report.manifests, /chart test\/fixtures\/charts\/redis-cluster \(release ci, rendered by helm\)/);
  assert.ok(readdirSync(path.join(reportDir, 'rendered')).includes('templates__statefulset.yaml'));
  for (const f of ['report.json', 'summary.md', 'junit.xml']) {
    assert.not.ok(readFileSync(path.join(reportDir, f), 'utf8').includes(PASSWORD), `${f} shows the password`);
  }
  assert.not.ok(run.stdout.includes(PASSWORD) || run.stderr.includes(PASSWORD), 'the terminal shows the password');
});

test('a kustomize overlay of the default manifests: rendered by kubectl kustomize, master-failover passes', async () => {
  const overlay = kustomizeOverlay(path.join(dir, 'kustomize-src'));
  const { run, report } = await check('kustomize', '--kustomize', overlay);
  assert.is(run.code, 0, `${run.stderr}\n${report.error ?? ''}`);
  assert.is(report.verdict, 'pass');
  assert.match(report.manifests, /kustomization .*overlay \(rendered by kubectl\)/);
});

test.run();
