import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Report } from '../../../src/report/model.ts';
import { actionOutputs } from '../../../src/report/outputs.ts';
import { errorRun, failingRun, passingRun } from '../../fixtures/report/samples.ts';

const paths = {
  report: 'out/report.json',
  summary: 'out/summary.md',
  junit: 'out/junit.xml',
  sarif: 'out/lint.sarif',
};

test('a passing run: every measured number', () => {
  assert.equal(actionOutputs(passingRun, paths), {
    verdict: 'pass',
    'report-path': 'out/report.json',
    'summary-path': 'out/summary.md',
    'junit-path': 'out/junit.xml',
    'sarif-path': 'out/lint.sarif',
    'failover-ms': '7108',
    'unavailable-ms': '7087',
    'lost-writes': '0',
    'node-id-kept': 'true',
    'rejoin-ms': '2641',
    'checks-passed': '7',
    'checks-failed': '0',
    'checks-skipped': '0',
  });
});

test('check counts are truthful: skipped checks are counted as skipped, not passed', () => {
  const out = actionOutputs(failingRun, paths);
  assert.equal([out['checks-passed'], out['checks-failed'], out['checks-skipped']], ['3', '3', '1']);
  assert.equal(
    [actionOutputs(errorRun, paths)['checks-passed'], actionOutputs(errorRun, paths)['checks-skipped']],
    ['0', '0'],
  );
});

test('a failing run: node-id-kept false, rejoin not measured is empty', () => {
  const out = actionOutputs(failingRun, paths);
  assert.is(out.verdict, 'fail');
  assert.is(out['node-id-kept'], 'false');
  assert.is(out['lost-writes'], '1');
  assert.is(out['rejoin-ms'], '');
});

test('an error run: nothing measured, node-id-kept skipped', () => {
  const out = actionOutputs(errorRun, paths);
  assert.is(out.verdict, 'error');
  for (const key of ['failover-ms', 'unavailable-ms', 'lost-writes', 'rejoin-ms']) assert.is(out[key], '', key);
  assert.is(out['node-id-kept'], 'skipped');
});

test('writer off: no write numbers; a skipped node-id-kept reads skipped', () => {
  const s = passingRun.scenarios[0]!;
  const report: Report = {
    ...passingRun,
    scenarios: [
      {
        ...s,
        writes: undefined,
        checks: s.checks.map((c) => (c.id === 'node-id-kept' ? { ...c, status: 'skipped' as const } : c)),
      },
    ],
  };
  const out = actionOutputs(report, paths);
  assert.is(out['unavailable-ms'], '');
  assert.is(out['lost-writes'], '');
  assert.is(out['node-id-kept'], 'skipped');
});

test("a list: the unprefixed figures are master-failover's, each scenario also has its own prefixed", () => {
  const s = passingRun.scenarios[0]!;
  const replica = {
    ...s,
    name: 'replica-loss' as const,
    path: undefined,
    timings: {},
    writes: { ...s.writes!, unavailableMs: 0, lost: 0 },
    failovers: 0,
  };
  const out = actionOutputs({ ...passingRun, scenarios: [replica, s] }, paths);
  assert.is(out['failover-ms'], '7108');
  assert.is(out['unavailable-ms'], '7087');
  assert.is(out['replica-loss-unavailable-ms'], '0');
  assert.is(out['replica-loss-failovers'], '0');
  assert.is(out['replica-loss-status'], 'pass');
  assert.is(out['master-failover-unavailable-ms'], '7087');
  assert.is(out['master-failover-failovers'], '');
  assert.is(out['master-failover-node-id-kept'], 'true');
});

test.run();
