import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SCENARIO_NAMES } from '../../../src/scenarios/model.ts';

// The e2e workflow's assertions (.github/e2e/assert-run.sh) run against a good report.json and outputs, then
// against ones lacking each value in turn: each must fail, so no e2e job passes by accident.
const script = fileURLToPath(new URL('../../../.github/e2e/assert-run.sh', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-assert-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Each scenario's checks as the script lists them (its `case`), the one place they are written. */
const CHECKS: Record<string, string[]> = Object.fromEntries(
  [...readFileSync(script, 'utf8').matchAll(/^ {2}([a-z-]+)\) checks=\(([a-z -]+)\) ;;$/gm)].map((m) => [
    m[1]!,
    m[2]!.split(' '),
  ]),
);

test('the script lists the checks of every scenario', () => {
  assert.equal(Object.keys(CHECKS).sort(), [...SCENARIO_NAMES].sort());
  for (const [scenario, ids] of Object.entries(CHECKS)) {
    assert.ok(ids.length >= 4, scenario);
    assert.ok(ids.includes('data-intact'), `${scenario}: data-intact`);
  }
});

type Json = Record<string, unknown>;
const goodReport = (scenario: string): Json => ({
  verdict: 'pass',
  reach: 'routed',
  scenarios: [
    {
      name: scenario,
      status: 'pass',
      checks: [...CHECKS[scenario]!, 'max-lost-writes'].map((id) => ({ id, status: 'pass', summary: 'ok' })),
    },
  ],
});
const goodEnv = (scenario: string): Record<string, string> => ({
  VERDICT: 'pass',
  NODE_ID_KEPT: scenario === 'master-partition' ? 'skipped' : 'true',
  LOST: '0',
  EXPECT_REACH: 'routed',
  JUNIT: path.join(dir, 'junit.xml'),
  ...(scenario === 'master-failover' ? { FAILOVER_MS: '6100', REJOIN_MS: '2400' } : {}),
});
writeFileSync(path.join(dir, 'junit.xml'), '<testsuites/>');

function runAssert(scenario: string, report: Json | undefined, env: Record<string, string>) {
  const file = path.join(dir, 'report.json');
  rmSync(file, { force: true });
  if (report) writeFileSync(file, JSON.stringify(report));
  const r = spawnSync('bash', [script, scenario, file], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stderr: r.stderr };
}

for (const scenario of Object.keys(CHECKS)) {
  test(`${scenario}: a good run passes; the same run lacking any one value fails`, () => {
    const ok = runAssert(scenario, goodReport(scenario), goodEnv(scenario));
    assert.is(ok.code, 0, ok.stderr);

    const broken: Array<[string, Json | undefined, Record<string, string>]> = [];
    for (const name of Object.keys(goodEnv(scenario))) {
      const env = goodEnv(scenario);
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- one output missing at a time
      delete env[name];
      broken.push([`output ${name} empty`, goodReport(scenario), env]);
    }
    broken.push(['no report.json', undefined, goodEnv(scenario)]);
    broken.push(['junit missing', goodReport(scenario), { ...goodEnv(scenario), JUNIT: path.join(dir, 'none.xml') }]);
    broken.push(['verdict fail', goodReport(scenario), { ...goodEnv(scenario), VERDICT: 'fail' }]);
    const mutate = (what: string, change: (r: Json & { scenarios: Json[] }) => void) => {
      const report = goodReport(scenario) as Json & { scenarios: Json[] };
      change(report);
      broken.push([what, report, goodEnv(scenario)]);
    };
    mutate('report verdict missing', (r) => delete r.verdict);
    mutate('report reach missing', (r) => delete r.reach);
    mutate('reach fell back to port-forward', (r) => (r.reach = 'port-forward'));
    mutate('report error set', (r) => (r.error = 'apply refused'));
    mutate('scenario error set', (r) => (r.scenarios[0]!.error = 'timeout'));
    mutate('scenario status fail', (r) => (r.scenarios[0]!.status = 'fail'));
    mutate('scenario status missing', (r) => delete r.scenarios[0]!.status);
    mutate('no scenarios', (r) => (r.scenarios = []));
    mutate('another scenario', (r) => (r.scenarios[0]!.name = 'other'));
    for (const id of CHECKS[scenario]!) {
      mutate(`check ${id} missing`, (r) => {
        r.scenarios[0]!.checks = (r.scenarios[0]!.checks as Json[]).filter((c) => c.id !== id);
      });
      mutate(`check ${id} skipped`, (r) => {
        for (const c of r.scenarios[0]!.checks as Json[]) if (c.id === id) c.status = 'skipped';
      });
    }
    mutate('an extra check failed', (r) => {
      (r.scenarios[0]!.checks as Json[]).at(-1)!.status = 'fail';
    });
    for (const [what, report, env] of broken) {
      const r = runAssert(scenario, report, env);
      assert.is.not(r.code, 0, `${scenario}: ${what} must fail`);
      assert.match(
        r.stderr,
        /e2e assertion failed|must be set|No such file|Could not open/,
        `${scenario}: ${what}: ${r.stderr}`,
      );
    }
  });
}

test('the old inline assertion passed with FAILOVER_MS empty under bash -e (why the assertions live in the script)', () => {
  const old = `set -e\n[[ "$FAILOVER_MS" =~ ^[0-9]+$ ]] && [[ "$REJOIN_MS" =~ ^[0-9]+$ ]]\ntrue\n`;
  const r = spawnSync('bash', ['-c', old], { env: { FAILOVER_MS: '', REJOIN_MS: '12' }, encoding: 'utf8' });
  assert.is(r.status, 0, 'bash -e does not stop on a failure before the last && of a list');
  const now = runAssert('master-failover', goodReport('master-failover'), {
    ...goodEnv('master-failover'),
    FAILOVER_MS: '',
  });
  assert.is(now.code, 1);
  assert.match(now.stderr, 'failover-ms is "", expected a whole number');
});

test.run();
