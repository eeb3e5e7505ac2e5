// Two default `check` runs started together on one machine, as two CI jobs on one runner would: both take their
// pod addresses from the same default /24, so only the per-address claims keep them apart (before claims, the
// second adopted the first's redis-server processes, and a restarted pod could take the other run's deleted
// master's address). Both must pass, each on addresses of its own. Real redis-server, through the CLI.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { beforeAll } from '../support/setup.ts';

let dir = '';
beforeAll(test, () => {
  dir = mkdtempSync(join(tmpdir(), 'rcr-concurrent-'));
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

const check = (name: string): Promise<{ code: number; stderr: string; report: string }> =>
  new Promise((resolve) => {
    const reportDir = join(dir, name);
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'check', '--platform', 'local', '--report-dir', reportDir],
      { timeout: 300_000 },
      (err, _stdout, stderr) =>
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : -1) : 0,
          stderr,
          report: join(reportDir, 'report.json'),
        }),
    );
  });

/** The addresses a run's pods were first ready on (its log lines). */
const firstAddresses = (stderr: string): string[] =>
  [...stderr.matchAll(/pod redis-app-\d ready on (127\.[\d.]+):/g)].map((m) => m[1]!).slice(0, 6);

test('two default check runs at once on the local platform both pass, on addresses of their own', async () => {
  const [a, b] = await Promise.all([check('a'), check('b')]);
  assert.is(a.code, 0, a.stderr.slice(-3000));
  assert.is(b.code, 0, b.stderr.slice(-3000));
  for (const r of [a, b])
    assert.is((JSON.parse(readFileSync(r.report, 'utf8')) as { verdict: string }).verdict, 'pass');
  const [ipsA, ipsB] = [firstAddresses(a.stderr), firstAddresses(b.stderr)];
  assert.is(ipsA.length, 6);
  assert.is(ipsB.length, 6);
  assert.equal(
    ipsA.filter((ip) => ipsB.includes(ip)),
    [],
    `a: ${ipsA.join(' ')}; b: ${ipsB.join(' ')}`,
  );
});

test.run();
