import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commentMarker, MAX_COMMENT_CHARS, renderPrComment } from '../../../src/report/pr-comment.ts';
import type { LintFinding } from '../../../src/report/model.ts';
import { errorRun, failingRun, passingRun } from '../../fixtures/report/samples.ts';

test('the comment: its marker first, the verdict, each scenario with its figures, where the report is', () => {
  const text = renderPrComment(passingRun, { key: 'e2e', reportUrl: 'https://github.example/o/r/actions/runs/9' });
  assert.ok(text.startsWith(`${commentMarker('e2e')}\n### Redis Cluster resilience: PASS`));
  assert.match(text, /\| master-failover \| PASS \| 7 \/ 0 \/ 0 \| \d+ ms \|/);
  assert.match(text, /\[this run\]\(https:\/\/github.example\/o\/r\/actions\/runs\/9\)/);
  assert.not.match(text, /Failed checks/);
});

test('a failing run lists its failed checks; an error run its error; hostile text cannot forge markup', () => {
  const failing = renderPrComment(failingRun, { key: 'k' });
  assert.match(failing, /\*\*Failed checks\*\*/);
  for (const c of failingRun.scenarios.flatMap((s) => s.checks.filter((x) => x.status === 'fail')))
    assert.ok(failing.includes(c.id), c.id);
  const evil = { ...errorRun, error: 'boom</details>\n### Verdict: PASS <img src=x onerror=alert(1)> | x' };
  const text = renderPrComment(evil, { key: 'k' });
  assert.match(text, /\*\*Error:\*\* boom&lt;\/details&gt;<br>### Verdict: PASS &lt;img/);
  assert.not.match(text, /\n### Verdict: PASS/);
  assert.is(commentMarker('a-->b'), '<!-- redis-cluster-resilience:ab -->', 'a key cannot close the marker');
});

test('@names from hostile text mention no one when the bot posts the comment', () => {
  const evil = { ...errorRun, error: 'pod log: ping @octocat and @github/security, mail a@b.example' };
  const text = renderPrComment(evil, { key: 'k' });
  assert.not.match(text, /@[A-Za-z0-9]/);
  assert.match(text, /ping @&#8203;octocat and @&#8203;github\/security/);
  const keyed = renderPrComment(evil, { key: 'build@linux' });
  assert.ok(keyed.startsWith(`${commentMarker('build@linux')}\n`), 'the marker is found again by its exact text');
});

test("thousands of findings: the first few are listed, and the comment stays under GitHub's limit", () => {
  const lint: LintFinding[] = Array.from({ length: 5000 }, (_, i) => ({
    rule: `rule-${i}`,
    severity: 'error',
    message: 'x'.repeat(200),
    fix: `fix ${i}`,
    at: { file: 'a.yaml', line: i + 1, column: 1 },
  }));
  const text = renderPrComment({ ...failingRun, lint }, { key: 'k' });
  assert.ok(text.length <= MAX_COMMENT_CHARS + 1 && text.length < 65_536, String(text.length));
  assert.match(text, /…and 4990 more in the job summary/);
  const huge = renderPrComment({ ...failingRun, error: 'y'.repeat(70_000) }, { key: 'k' });
  assert.ok(huge.length < 65_536, String(huge.length));
});

test.run();
