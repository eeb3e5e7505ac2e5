import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareLint, regressionChecks, type ComparedFigure } from '../../../src/report/comparison.ts';
import type { LintFinding } from '../../../src/report/model.ts';

const finding = (rule: string, file: string, line: number, message = `${rule} on StatefulSet redis`): LintFinding => ({
  rule,
  severity: 'warning',
  message,
  fix: 'fix it',
  at: { file, line, column: 1 },
});

test('lint: matched by rule, file name and message, not by line or directory', () => {
  const base = [finding('probes', 'base/statefulset.yaml', 10), finding('pv-recycle', 'base/pv.yaml', 3)];
  const head = [finding('probes', 'head/statefulset.yaml', 42), finding('anti-affinity', 'head/statefulset.yaml', 7)];
  const c = compareLint(base, head);
  assert.equal(
    c.new.map((f) => f.rule),
    ['anti-affinity'],
  );
  assert.equal(
    c.fixed.map((f) => f.rule),
    ['pv-recycle'],
  );
  assert.is(c.unchanged, 1);
});

const failover = (base: number, head: number): ComparedFigure[] => [
  {
    figure: 'failoverMs',
    label: 'failover (ms)',
    base,
    head,
    changePct: Math.round(((head - base) / base) * 1000) / 10,
  },
];

test('a failover regression over the budget fails with both figures; within it passes', () => {
  const [over] = regressionChecks(failover(7400, 20100), { maxFailoverRegressionPct: 20 });
  assert.is(over!.status, 'fail');
  assert.is(over!.summary, 'failover: 7400 ms on base, 20100 ms on head (+171.6 %), over the 20 % budget');
  const [within] = regressionChecks(failover(7400, 8000), { maxFailoverRegressionPct: 20 });
  assert.is(within!.status, 'pass');
});

test('no budget, no check; a figure measured on one side only: skipped', () => {
  assert.equal(regressionChecks(failover(7400, 20100), {}), []);
  const [one] = regressionChecks([{ figure: 'failoverMs', label: 'failover (ms)', head: 9000 }], {
    maxFailoverRegressionPct: 20,
  });
  assert.is(one!.status, 'skipped');
});

test.run();
