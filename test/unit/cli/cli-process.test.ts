// The CLI run from its source as a user runs it (`node --import tsx src/cli.ts`), for what only shows at the
// process edge: what is printed on which stream, the exit code, and what was (not) done before refusing.
// Every case uses the seed's manifests, whose lint errors stop a check before any pod starts, so no case can
// start redis-server even when the refusal it tests is broken.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runNode } from '../../support/run-node.ts';
import { beforeAll } from '../../support/setup.ts';

const cli = (args: string[], env: Record<string, string> = {}) => runNode(['--import', 'tsx', 'src/cli.ts', ...args], env, 60_000);

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
    const r = await cli(['check', '--platform', 'local', '--manifests', 'test/fixtures/seed', '--report-dir', reportDir]);
    assert.is(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /report-dir .*a-file.*: .*is a file, not a directory/);
    assert.not.match(r.stderr, /Manifests:/); // refused before the manifests were even read
  }
});

test('the verdict is printed even when the reports cannot be written', async () => {
  const reportDir = join(dir, 'blocked');
  await mkdir(join(reportDir, 'report.json'), { recursive: true }); // a directory where the file must go
  const r = await cli(['check', '--platform', 'local', '--manifests', 'test/fixtures/seed', '--report-dir', reportDir]);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /redis-cluster-resilience: FAIL/);
  assert.match(r.stdout, /nothing was deployed/);
  assert.match(r.stderr, /could not write the reports into .*blocked/);
});

test('platform kind without a Docker engine: exit 2 with a hint, and kind is not downloaded', async () => {
  const emptyPath = join(dir, 'no-docker-bin');
  const toolCache = join(dir, 'tool-cache');
  await mkdir(emptyPath);
  await mkdir(toolCache);
  const r = await cli(['check', '--platform', 'kind', '--manifests', 'test/fixtures/seed', '--report-dir', join(dir, 'kind')], {
    PATH: emptyPath,
    RUNNER_TOOL_CACHE: toolCache,
    RUNNER_TEMP: join(dir, 'runner-temp'),
  });
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /platform kind needs a running Docker engine/);
  assert.match(r.stderr, /platform local/);
  assert.equal(await readdir(toolCache), []);
});

test.run();
