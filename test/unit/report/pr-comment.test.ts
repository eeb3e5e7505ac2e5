import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commentMarker, PR_COMMENT_LIMIT, renderPrComment } from '../../../src/report/pr-comment.ts';
import type { LintFinding, Report } from '../../../src/report/model.ts';
import { passingRun } from '../../fixtures/report/samples.ts';

const opts = { marker: commentMarker('check'), reportWhere: 'https://github.example/o/r/actions/runs/1' };

test('the verdict, the marker first, where the full report is', () => {
  const text = renderPrComment(passingRun, opts);
  assert.ok(
    text.startsWith('<!-- redis-cluster-resilience:check -->\n## Redis Cluster resilience: PASS'),
    text.slice(0, 200),
  );
  assert.match(text, 'Full report: https://github.example/o/r/actions/runs/1.');
  assert.match(text, '### master-failover: pass');
});

test('base against head side by side, and the new lint findings', () => {
  const finding: LintFinding = {
    rule: 'probes',
    severity: 'warning',
    message: 'no readiness probe',
    fix: 'add one',
    at: { file: 'k8s/sts.yaml', line: 9, column: 3 },
  };
  const report: Report = {
    ...passingRun,
    comparison: {
      baseManifests: 'base/k8s',
      baseVerdict: 'pass',
      scenarios: [
        {
          name: 'master-failover',
          figures: [{ figure: 'failoverMs', label: 'failover (ms)', base: 7400, head: 20100, changePct: 171.6 }],
        },
      ],
      lint: { new: [finding], fixed: [], unchanged: 2 },
    },
  };
  const text = renderPrComment(report, opts);
  assert.match(text, '| master-failover | failover (ms) | 7400 | 20100 | +171.6 % |');
  assert.match(text, 'Lint: 1 new in head, 0 fixed by head, 2 unchanged.');
  assert.match(text, '| probes | warning | k8s/sts.yaml:9 | no readiness probe |');
});

test("a huge report stays under GitHub's comment limit and says where the rest is", () => {
  const many: LintFinding[] = Array.from({ length: 5000 }, (_, i) => ({
    rule: 'probes',
    severity: 'warning',
    message: `finding number ${i} with some words`,
    fix: 'x',
    at: { file: 'a.yaml', line: i + 1, column: 1 },
  }));
  const report: Report = {
    ...passingRun,
    comparison: {
      baseManifests: 'b',
      baseVerdict: 'pass',
      scenarios: [],
      lint: { new: many, fixed: [], unchanged: 0 },
    },
  };
  const text = renderPrComment(report, opts);
  assert.ok(text.length <= PR_COMMENT_LIMIT && text.length < 65_536, String(text.length));
  assert.match(text, "cut here to stay under GitHub's comment limit");
  assert.match(text, 'Full report:');
});

test.run();
