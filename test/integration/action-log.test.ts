// The action's job log as the runner shows it: `node --import tsx src/main.ts` with INPUT_* set, on the local
// platform with the default manifests (real redis-server). Long phases fold into groups; the verdict ends it.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runNode } from '../support/run-node.ts';
import { beforeAll } from '../support/setup.ts';

let dir = '';
beforeAll(test, async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-action-log-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('action: each long phase is a ::group::, the verdict is the last line, the outputs say pass', async () => {
  const outputFile = join(dir, 'output');
  await writeFile(outputFile, '');
  const r = await runNode(['--import', 'tsx', 'src/main.ts'], {
    INPUT_PLATFORM: 'local',
    'INPUT_REPORT-DIR': join(dir, 'report'),
    'INPUT_WRITE-RATE': '50',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
  });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  const groups = lines.filter((l) => l.startsWith('::group::')).map((l) => l.slice('::group::'.length));
  assert.equal(groups, [
    'Platform local: provision and deploy',
    'Bootstrap',
    'Scenario master-failover',
    'Evidence and teardown',
  ]);
  // Closed before the next opens (groups do not nest), the last one before the verdict.
  const marks = lines.filter((l) => l.startsWith('::group::') || l === '::endgroup::');
  assert.equal(
    marks,
    groups.flatMap((g) => [`::group::${g}`, '::endgroup::']),
  );
  assert.ok(
    lines.indexOf('::endgroup::', lines.indexOf('::group::Evidence and teardown')) <
      lines.indexOf('redis-cluster-resilience: PASS'),
  );
  assert.match(lines.at(-1)!, /^verdict pass: All \d+ checks passed, failover took \d+ ms/);
  assert.match(await readFile(outputFile, 'utf8'), /^verdict<<(\S+)\npass\n\1$/m);
});

test.run();
