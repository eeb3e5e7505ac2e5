// Hostile manifests on the local platform, run as a user runs the tool (the CLI as a child process): names, a
// ConfigMap items path, a subPath and a relative logfile that would reach outside the run's directory are bad
// input (exit 2, file:line), nothing is created outside the run's own temp dir, and a planted file next to it
// survives. TMPDIR points into a test directory so that everything the run creates can be seen.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { localCheck, runNode } from '../support/run-node.ts';
import { beforeAll } from '../support/setup.ts';

let base = '';
beforeAll(test, () => {
  base = mkdtempSync(join(tmpdir(), 'rcr-traversal-'));
});
test.after(() => rmSync(base, { recursive: true, force: true }));

const CASES: Array<{ name: string; file: string; from: string; to: string; says: RegExp }> = [
  {
    name: 'StatefulSet name',
    file: 'statefulset.yaml',
    from: '  name: redis-app',
    to: '  name: ../../../planted',
    says: /statefulset\.yaml:\d+: StatefulSet name/,
  },
  {
    name: 'items path',
    file: 'statefulset.yaml',
    from: '                path: redis.conf',
    to: '                path: ../../../../planted/redis.conf',
    says: /statefulset\.yaml:\d+: configMap items path/,
  },
  {
    name: 'subPath',
    file: 'statefulset.yaml',
    from: '              mountPath: /var/lib/redis',
    to: '              mountPath: /var/lib/redis\n              subPath: ../../../../planted',
    says: /statefulset\.yaml:\d+: volumeMount subPath/,
  },
  {
    name: 'relative logfile',
    file: 'configmap.yaml',
    from: '    appendonly yes',
    to: '    appendonly yes\n    logfile ../../../../../planted/evil.log',
    says: /configmap\.yaml:\d+: logfile .* climbs above/,
  },
];

for (const c of CASES) {
  test(`a traversal through the ${c.name} is exit 2 with file:line; nothing outside the run dir is touched`, async () => {
    const dir = join(base, c.name.replace(/\W+/g, '-'));
    const manifests = join(dir, 'manifests');
    const runTmp = join(dir, 'tmp');
    const planted = join(dir, 'planted');
    cpSync('manifests', manifests, { recursive: true });
    mkdirSync(runTmp);
    mkdirSync(planted);
    writeFileSync(join(planted, 'keep.txt'), 'planted');
    const file = join(manifests, c.file);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes(`${c.from}\n`), `the fixture line ${JSON.stringify(c.from)} is in ${c.file}`);
    writeFileSync(file, text.replace(`${c.from}\n`, `${c.to}\n`));
    const before = readdirSync(dir).sort();

    const run = await runNode(
      ['--import', 'tsx', 'src/cli.ts', ...localCheck(manifests, join(runTmp, 'report'))],
      { TMPDIR: runTmp },
      60_000,
    );
    assert.is(run.code, 2, run.stderr);
    assert.match(run.stderr, c.says);
    assert.not.match(run.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(readdirSync(dir).sort(), before, 'nothing created next to the run directory');
    assert.equal(readdirSync(planted), ['keep.txt'], 'nothing created in the planted directory');
    assert.is(readFileSync(join(planted, 'keep.txt'), 'utf8'), 'planted');
    assert.not.ok(
      existsSync(join(runTmp, 'report', 'report.json')),
      'bad input: no report of a run that never started',
    );
  });
}

test.run();
