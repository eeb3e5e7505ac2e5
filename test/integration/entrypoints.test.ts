// The built entry points, run as the user and the runner run them: `node dist/cli.js` and `node dist/index.js`
// with INPUT_* variables. Proves that flags, inputs, outputs, the summary and exit codes are wired.
// dist/ is built by `npm run build` (.ci/run builds it before the tests and fails when it is stale).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import type { Report } from '../../src/report/model.ts';
import { assertChecksPassed } from '../support/failover-checks.ts';
import { localCheck, runNode } from '../support/run-node.ts';
import { beforeAll } from '../support/setup.ts';
import * as assert from 'uvu/assert';

let dir = '';
beforeAll(test, async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-entry-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('cli: an unknown flag is bad input: exit 2, the flag named, no stack trace', async () => {
  const r = await runNode(['dist/cli.js', 'check', '--wirte-rate', '10']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /--wirte-rate/);
  assert.match(r.stderr, /--write-rate/);
  assert.not.match(r.stderr, /\n\s+at /);
});

test('cli: a bad value names the flag and what is valid', async () => {
  const r = await runNode(['dist/cli.js', 'check', '--platform', 'docker']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /--platform: "docker" is not valid; expected one of auto, kind, existing, local/);
});

test('cli: malformed YAML is bad input naming file and line', async () => {
  const r = await runNode([
    'dist/cli.js',
    'check',
    '--platform',
    'local',
    '--manifests',
    'test/fixtures/manifests/broken-yaml',
  ]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /broken-yaml\/statefulset\.yaml:11/);
});

test('cli: lint of the seed finds errors (exit 1); of the defaults none (exit 0)', async () => {
  const seed = await runNode(['dist/cli.js', 'lint', '--manifests', 'test/fixtures/seed']);
  assert.is(seed.code, 1);
  assert.match(seed.stdout, /api-removed/);
  const defaults = await runNode(['dist/cli.js', 'lint']);
  assert.is(defaults.code, 0, defaults.stdout + defaults.stderr);
  assert.not.match(defaults.stdout, /\berror\b|\bwarning\b/);
});

test('cli: check on the seed stops at lint before deploying anything (exit 1)', async () => {
  const reportDir = join(dir, 'seed');
  const r = await runNode(['dist/cli.js', ...localCheck('test/fixtures/seed', reportDir)]);
  assert.is(r.code, 1, r.stderr);
  const report = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as Report;
  assert.is(report.verdict, 'fail');
  assert.match(report.error ?? '', /nothing was deployed/);
  assert.is(report.scenarios.length, 0);
});

test('cli: check on the default manifests passes (exit 0) and writes every report file', async () => {
  const reportDir = join(dir, 'cli');
  const r = await runNode([
    'dist/cli.js',
    'check',
    '--platform',
    'local',
    '--write-rate',
    '100',
    '--report-dir',
    reportDir,
  ]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /PASS/);
  const report = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as Report;
  assert.is(report.verdict, 'pass');
  assertChecksPassed(report.scenarios[0]!.checks);
  for (const f of ['summary.md', 'junit.xml', 'timeline-master-failover.svg']) await readFile(join(reportDir, f));
});

test('action: node dist/index.js with INPUT_* set as the runner does; an unmeetable threshold fails the step', async () => {
  const outputFile = join(dir, 'github-output');
  const summaryFile = join(dir, 'step-summary.md');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const reportDir = join(dir, 'action');
  const r = await runNode(['dist/index.js'], {
    INPUT_PLATFORM: 'local',
    'INPUT_REPORT-DIR': reportDir,
    'INPUT_WRITE-RATE': '100',
    'INPUT_MAX-FAILOVER-MS': '1',
    'INPUT_HOLD-RESTART': 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
  });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /::error::/);
  const outputs = await readFile(outputFile, 'utf8');
  const output = (name: string) => new RegExp(`${name}<<(\\S+)\\n([^\\n]*)\\n\\1`).exec(outputs)?.[2];
  assert.is(output('verdict'), 'fail');
  assert.is(output('node-id-kept'), 'true');
  assert.ok(Number(output('failover-ms')) > 1, `failover-ms ${output('failover-ms')}`);
  assert.is(output('report-path'), join(reportDir, 'report.json'));
  const summary = await readFile(summaryFile, 'utf8');
  assert.match(summary, /FAIL/);
  assert.match(summary, /max-failover-ms/);
});

test('action: a bad input fails the step naming the input', async () => {
  const r = await runNode(['dist/index.js'], { 'INPUT_KILL-MODE': 'sigterm', GITHUB_OUTPUT: join(dir, 'out2') });
  assert.is(r.code, 1);
  assert.match(r.stdout, /::error::bad input: input kill-mode: "sigterm" is not valid; expected one of graceful, kill/);
});

test.run();
