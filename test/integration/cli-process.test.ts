// The CLI run from its source as a user runs it (`node --import tsx src/cli.ts`), for what only shows at the
// process edge: what is printed on which stream, the exit code, and what was (not) done before refusing.
// Every case uses the seed's manifests, whose lint errors stop a check before any pod starts, so no case can
// start redis-server even when the refusal it tests is broken.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { settleWithin } from '../../src/util/wait.ts';
import { localCheck, runNode } from '../support/run-node.ts';
import { beforeAll } from '../support/setup.ts';

const action = (env: Record<string, string>) => runNode(['--import', 'tsx', 'src/main.ts'], env, 60_000);
const CLI = ['--import', 'tsx', 'src/cli.ts'];
const cli = (args: string[], env: Record<string, string> = {}) => runNode([...CLI, ...args], env, 60_000);
/** `check --platform local` on the seed: its lint errors stop the run before anything is deployed. */
const seedCheck = (reportDir: string) => localCheck('test/fixtures/seed', reportDir);
const checkSeed = (reportDir: string) => cli(seedCheck(reportDir));

let dir = '';
beforeAll(test, async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-cli-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('report-dir that is a file, or under one: exit 2 naming report-dir, before lint or deployment', async () => {
  const file = join(dir, 'a-file');
  await writeFile(file, 'keep me');
  for (const reportDir of [file, join(file, 'sub')]) {
    const r = await checkSeed(reportDir);
    assert.is(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /report-dir .*a-file.*: .*is a file, not a directory/);
    assert.not.match(r.stderr, /Manifests:/); // refused before the manifests were even read
  }
});

test('the verdict is printed even when the reports cannot be written', async () => {
  const reportDir = join(dir, 'blocked');
  await mkdir(join(reportDir, 'report.json'), { recursive: true }); // a directory where the file must go
  const r = await checkSeed(reportDir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /redis-cluster-resilience: FAIL/);
  assert.match(r.stdout, /nothing was deployed/);
  assert.match(r.stderr, /could not write the reports into .*blocked/);
});

test('a reader that goes away (`check | head`): no crash on EPIPE, the run still writes its reports and exits with its own code', async () => {
  const reportDir = join(dir, 'closed-output');
  const child = spawn(process.execPath, [...CLI, ...seedCheck(reportDir)], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Both read ends closed before the first line: every write the run makes fails with EPIPE.
  child.stdout.destroy();
  child.stderr.destroy();
  const code = await settleWithin(
    new Promise<number | null>((resolve) => child.on('close', resolve)),
    60_000,
    'the check with its output closed did not end within 60 s',
  ).finally(() => child.kill('SIGKILL'));
  assert.is(code, 1, "the lint errors' exit code, not a crash");
  const report = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as { verdict: string };
  assert.is(report.verdict, 'fail');
});

test('platform kind without a Docker engine: exit 2 with a hint, and kind is not downloaded', async () => {
  const emptyPath = join(dir, 'no-docker-bin');
  const toolCache = join(dir, 'tool-cache');
  await mkdir(emptyPath);
  await mkdir(toolCache);
  const r = await cli(
    ['check', '--platform', 'kind', '--manifests', 'test/fixtures/seed', '--report-dir', join(dir, 'kind')],
    {
      PATH: emptyPath,
      RUNNER_TOOL_CACHE: toolCache,
      RUNNER_TEMP: join(dir, 'runner-temp'),
    },
  );
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /platform kind needs a running Docker engine/);
  assert.match(r.stderr, /platform local/);
  assert.equal(await readdir(toolCache), []);
});

/** Every file under `root` whose content matches `secret`. */
async function filesHolding(root: string, secret: RegExp): Promise<string[]> {
  const names = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const hits: string[] = [];
  for (const e of names) {
    if (e.isFile() && secret.test(await readFile(join(e.parentPath, e.name), 'utf8'))) hits.push(e.name);
  }
  return hits;
}

const KUBECONFIG_FIXTURE = 'test/fixtures/kubeconfig/yaml-error-with-token.yaml';
const FIXTURE_SECRETS = /fixture-token|fixture-key|fixture-pass/;

test('a kubeconfig with a token and a YAML error: exit 2 naming file and line; the token is in no stream or file', async () => {
  // The default manifests lint clean, so the run gets as far as loading the kubeconfig (nothing is deployed).
  const reportDir = join(dir, 'kubeconfig-cli');
  const r = await cli([
    'check',
    '--platform',
    'existing',
    '--kubeconfig',
    KUBECONFIG_FIXTURE,
    '--report-dir',
    reportDir,
  ]);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /kubeconfig test\/fixtures\/kubeconfig\/yaml-error-with-token\.yaml:12:\d+: not valid YAML/);
  assert.not.match(r.stdout + r.stderr, FIXTURE_SECRETS);
  assert.equal(await filesHolding(reportDir, FIXTURE_SECRETS), []);
});

test('action: kubeconfig given as content with a YAML error: refused naming the input, nothing of it printed', async () => {
  const outputFile = join(dir, 'kc-output');
  const summaryFile = join(dir, 'kc-summary.md');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const reportDir = join(dir, 'kubeconfig-action');
  const r = await action({
    INPUT_PLATFORM: 'existing',
    INPUT_KUBECONFIG: await readFile(KUBECONFIG_FIXTURE, 'utf8'),
    'INPUT_REPORT-DIR': reportDir,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
  });
  assert.is(r.code, 1, r.stdout + r.stderr); // an action step fails with 1; the message says bad input
  assert.match(r.stdout, /::error::bad input: kubeconfig \(given as content\):12:\d+: not valid YAML/);
  assert.not.match(r.stdout + r.stderr, FIXTURE_SECRETS);
  assert.equal(await filesHolding(reportDir, FIXTURE_SECRETS), []);
  assert.equal(await filesHolding(dir, FIXTURE_SECRETS), []); // the summary, the outputs, and no kubeconfig copy left
});

test('action: a valid kubeconfig as content: its secrets are masked first and appear nowhere else', async () => {
  const reportDir = join(dir, 'kubeconfig-masked');
  const content = (await readFile(KUBECONFIG_FIXTURE, 'utf8'))
    .replace('   bad: indent: here\n', '')
    .replace('contexts: []', 'contexts:\n  - name: x\n    context: { cluster: c, user: u }\ncurrent-context: x');
  const summaryFile = join(dir, 'masked-summary.md');
  await writeFile(summaryFile, '');
  const r = await action({
    INPUT_PLATFORM: 'existing',
    INPUT_KUBECONFIG: content,
    'INPUT_REPORT-DIR': reportDir,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_OUTPUT: join(dir, 'masked-out'),
  });
  assert.is(r.code, 1, r.stdout + r.stderr); // nothing answers at the server address
  const lines = (r.stdout + r.stderr).split('\n');
  const masks = lines.filter((l) => l.startsWith('::add-mask::'));
  for (const secret of [
    'fixture-token-must-not-leak-7f3a',
    'fixture-key-data-must-not-leak-91c2',
    'fixture-pass-must-not-leak',
  ]) {
    assert.ok(masks.includes(`::add-mask::${secret}`), `${secret} masked`);
  }
  // Masked before anything about the cluster is printed, and never printed outside the mask commands.
  assert.ok(lines.findIndex((l) => l.startsWith('::add-mask::')) < lines.findIndex((l) => l.includes('Deploying')));
  assert.equal(
    lines.filter((l) => !l.startsWith('::add-mask::') && FIXTURE_SECRETS.test(l)),
    [],
  );
  assert.match(r.stdout, /https:\/\/\*\*\*@127\.0\.9\.1:9/); // the server URL, without its credentials
  assert.equal(await filesHolding(reportDir, FIXTURE_SECRETS), []);
  assert.equal(await filesHolding(dir, FIXTURE_SECRETS), []);
});

test('lint on a misspelt field: exit 1 naming the field, its file:line and the valid name', async () => {
  const manifests = join(dir, 'typo');
  await mkdir(manifests);
  await writeFile(
    join(manifests, 'redis.yaml'),
    [
      'apiVersion: apps/v1',
      'kind: StatefulSet',
      'metadata: { name: redis-app }',
      'spec:',
      '  replcas: 3',
      '  serviceName: redis',
      '  selector: { matchLabels: { app: redis } }',
      '  template:',
      '    metadata: { labels: { app: redis } }',
      '    spec:',
      '      containers: [{ name: redis, image: "redis:7.2.5", ports: [{ containrPort: 6379 }] }]',
      '',
    ].join('\n'),
  );
  const r = await cli(['lint', '--manifests', manifests]);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /unknown-field +\S*typo\/redis\.yaml:5:3\s+StatefulSet redis-app: spec\.replcas: unknown field "replcas" \(did you mean "replicas"\?\)/,
  );
  assert.match(
    r.stdout,
    /redis\.yaml:11:\d+\s+StatefulSet redis-app: spec\.template\.spec\.containers\[0\]\.ports\[0\]\.containrPort: unknown\s+field "containrPort" \(did you mean "containerPort"\?\)/,
  );
});

/** The value an action step set for `name` in its GITHUB_OUTPUT file (the runner's heredoc format). */
function outputOf(outputs: string, name: string): string | undefined {
  return new RegExp(`^${name}<<(\\S+)\\n([^\\n]*)\\n\\1$`, 'm').exec(outputs)?.[2];
}

test('a run starts by removing the files an earlier run wrote in report-dir, and nothing else', async () => {
  const reportDir = join(dir, 'stale');
  await mkdir(join(reportDir, 'evidence', 'logs'), { recursive: true });
  // An earlier failed run: its report lists its evidence; it drew a timeline for a scenario this run will not reach.
  const earlier = {
    tool: { name: 'redis-cluster-resilience' },
    evidence: ['evidence/logs/redis-0.log', 'evidence/kind-logs/'],
  };
  await writeFile(join(reportDir, 'report.json'), JSON.stringify(earlier));
  await writeFile(join(reportDir, 'timeline-master-failover.svg'), '<svg/>');
  await writeFile(join(reportDir, 'evidence', 'logs', 'redis-0.log'), 'old log');
  await mkdir(join(reportDir, 'evidence', 'kind-logs', 'node'), { recursive: true });
  await writeFile(join(reportDir, 'evidence', 'kind-logs', 'node', 'kubelet.log'), 'old');
  // The user's own files, named like ours or not: kept.
  await writeFile(join(reportDir, 'notes.md'), 'mine');
  await writeFile(join(reportDir, 'timeline-mine.svg'), 'mine');
  await writeFile(join(reportDir, 'evidence', 'README'), 'mine');
  const r = await checkSeed(reportDir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  const left = (await readdir(reportDir, { recursive: true })).sort();
  assert.equal(left, [
    'evidence',
    'evidence/README',
    'junit.xml',
    'lint.sarif',
    'notes.md',
    'pr-comment.md',
    'report.json',
    'summary.md',
    'timeline-mine.svg',
  ]);
});

test('the lint gate names the flag in a CLI run and the input in an action run', async () => {
  const r = await checkSeed(join(dir, 'gate-cli'));
  assert.match(r.stdout, /at or above --fail-on-lint error; nothing was deployed/);
  const outputFile = join(dir, 'gate-output');
  await writeFile(outputFile, '');
  const a = await action({
    INPUT_PLATFORM: 'local',
    INPUT_MANIFESTS: 'test/fixtures/seed',
    'INPUT_REPORT-DIR': join(dir, 'gate-action'),
    GITHUB_OUTPUT: outputFile,
  });
  assert.match(a.stdout, /at or above input fail-on-lint error; nothing was deployed/);
  assert.not.match(a.stdout, /--fail-on-lint/);
});

test('action: a bad input still sets verdict=error and writes a short job summary naming the input', async () => {
  const outputFile = join(dir, 'bad-output');
  const summaryFile = join(dir, 'bad-summary.md');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const r = await action({ 'INPUT_KILL-MODE': 'sigterm', GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.is(outputOf(await readFile(outputFile, 'utf8'), 'verdict'), 'error');
  const summary = await readFile(summaryFile, 'utf8');
  assert.match(summary, /Verdict: ERROR/);
  assert.match(summary, /input kill-mode: "sigterm" is not valid; expected one of graceful, kill/);
  // The verdict line is the last line of the step's log.
  assert.match(r.stdout.trimEnd().split('\n').at(-1)!, /^::error::bad input: input kill-mode/);
});

test("-h and --help: usage with each flag's default and the duration syntax", async () => {
  const short = await cli(['-h']);
  assert.is(short.code, 0, short.stderr);
  const long = await cli(['--help']);
  assert.is(long.stdout, short.stdout);
  assert.match(long.stdout, /--write-rate +.*\(default 200\)/);
  assert.match(long.stdout, /--rejoin-timeout +.*\(default 2m\)/);
  assert.match(long.stdout, /--failover-timeout +.*default: from cluster-node-timeout/);
  // Every flag says what it is when not given.
  for (const line of long.stdout.split('\n').filter((l) => l.startsWith('  --')))
    assert.match(line, /default|not set/, line);
  assert.match(long.stdout, /durations take ms or a unit: 30s, 2m/i);
});

test('the end of a CLI run lists where each report file is', async () => {
  const reportDir = join(dir, 'paths');
  const r = await checkSeed(reportDir);
  const tail = r.stdout
    .trimEnd()
    .split('\n')
    .slice(-5)
    .map((l) => l.trim());
  assert.equal(tail, [
    `reports: ${join(reportDir, 'report.json')}`,
    join(reportDir, 'summary.md'),
    join(reportDir, 'junit.xml'),
    join(reportDir, 'lint.sarif'),
    join(reportDir, 'pr-comment.md'),
  ]);
});

test('action: the log ends with the verdict line', async () => {
  const outputFile = join(dir, 'end-output');
  await writeFile(outputFile, '');
  const a = await action({
    INPUT_PLATFORM: 'local',
    INPUT_MANIFESTS: 'test/fixtures/seed',
    'INPUT_REPORT-DIR': join(dir, 'end-action'),
    GITHUB_OUTPUT: outputFile,
  });
  assert.is(a.code, 1);
  assert.match(
    a.stdout.trimEnd().split('\n').at(-1)!,
    /^::error::verdict fail: lint found \d+ finding\(s\) at or above input fail-on-lint error; nothing was deployed/,
  );
});

test('lint assumes no node count: no anti-affinity note on the defaults; sibling findings with one fix are one entry', async () => {
  const defaults = await cli(['lint']);
  assert.is(defaults.code, 0, defaults.stdout + defaults.stderr);
  assert.not.match(defaults.stdout, /anti-affinity|1-node/);
  const seed = await cli(['lint', '--manifests', 'test/fixtures/seed']);
  // pv-recycle on redis-0, redis-1 and redis-2: one entry naming the three, its fix printed once.
  assert.is(seed.stdout.match(/Recycle runs `rm -rf`/g)?.length, 1, seed.stdout);
  const text = seed.stdout.replace(/\s+/g, ' '); // the table wraps long lines
  assert.match(text, /PersistentVolume redis-0: reclaim policy Recycle is deprecated/);
  assert.match(
    text,
    /PersistentVolume redis-1: reclaim policy Recycle is deprecated \(test\/fixtures\/seed\/redis-pv\.yml:26:36\)/,
  );
  assert.match(
    text,
    /PersistentVolume redis-2: reclaim policy Recycle is deprecated \(test\/fixtures\/seed\/redis-pv\.yml:41:36\)/,
  );
  // The count still counts every finding.
  assert.match(seed.stdout, /lint: 11 errors, 8 warnings/);
});

test.run();
