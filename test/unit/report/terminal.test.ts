import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderMarkdown } from '../../../src/report/markdown.ts';
import { renderReportPaths, renderTerminal } from '../../../src/report/terminal.ts';
import { errorRun, failingRun, passingRun } from '../../fixtures/report/samples.ts';

test('verdict, every check with status and summary, timings, writes and the path taken', () => {
  const text = renderTerminal(failingRun);
  const lines = text.split('\n');
  assert.is(lines[0], 'redis-cluster-resilience: FAIL');
  assert.ok(lines.includes('master-failover: FAIL (3 passed, 3 failed, 1 skipped) in 13.4 s'), lines.join('\n'));
  assert.match(lines[1]!, /^3 of 7 checks failed \(node-id-kept, data-intact, max-lost-writes\); first: /);
  for (const c of failingRun.scenarios[0]!.checks) {
    const line = lines.find((l) => l.includes(` ${c.id} `));
    assert.ok(line, c.id);
    assert.match(line, new RegExp(`^  ${c.status.toUpperCase()} +${c.id} +`));
  }
  assert.match(text, '  timings: failover 7108 ms, cluster ok 7150 ms, rejoin not measured');
  assert.match(
    text,
    '  writes (plain, 200/s): 1704 attempted, 296 skipped, 1381 acknowledged, 323 failed, 1 lost; refused for 7087 ms\n',
  );
  assert.match(text, '\n    296 scheduled writes were never sent: earlier writes were still waiting for their replies');
  assert.match(text, 'Path taken: failover: a replica took over the slots');
  // A multi-line summary continues under its column.
  assert.match(text, `(nodes.conf is <not> on a PVC & was wiped)\n${' '.repeat(31)}see evidence`);
});

test('a cancelled run: CANCELLED, the signal and the stage, checks skipped with that reason (terminal and summary)', () => {
  const error = 'cancelled by SIGINT while watching the failover';
  const s = failingRun.scenarios[0]!;
  const run = {
    ...failingRun,
    verdict: 'cancelled' as const,
    error,
    scenarios: [
      {
        ...s,
        status: 'cancelled' as const,
        error,
        checks: s.checks.map((c) => ({
          ...c,
          status: 'skipped' as const,
          summary: `not reached: ${error}`,
          evidence: {},
        })),
      },
    ],
  };
  const text = renderTerminal(run);
  assert.match(
    text,
    /^redis-cluster-resilience: CANCELLED\nThe run was cancelled before its checks could finish: cancelled by SIGINT while watching the failover\./,
  );
  assert.match(text, `master-failover: CANCELLED (0 passed, 0 failed, ${s.checks.length} skipped)`);
  assert.match(text, `SKIPPED replica-promoted     not reached: ${error}`);
  const md = renderMarkdown(run);
  assert.match(md, '**Verdict: CANCELLED.**');
  assert.match(md, '### master-failover: CANCELLED');
});

test('no skipped writes: the count is shown without the explanation', () => {
  const text = renderTerminal(passingRun);
  assert.match(text, '1704 attempted, 0 skipped, 1381 acknowledged');
  assert.not.match(text, 'never sent');
});

test('where the report files are', () => {
  const text = renderReportPaths({
    report: 'r/report.json',
    summary: 'r/summary.md',
    junit: 'r/junit.xml',
    sarif: 'r/lint.sarif',
    prComment: 'r/pr-comment.md',
    svg: ['r/timeline-master-failover.svg'],
  });
  assert.is(
    text,
    'reports: r/report.json\n         r/summary.md\n         r/junit.xml\n         r/lint.sarif\n         r/pr-comment.md\n         r/timeline-master-failover.svg',
  );
});

test('an error run: the reason, lint counts, and no raw control characters', () => {
  const text = renderTerminal(errorRun);
  assert.match(text, /^redis-cluster-resilience: ERROR\nThe run stopped before its checks could finish: timed out/);
  assert.match(text, 'lint: 7 errors, 5 warnings');
  const infos = errorRun.lint.slice(0, 2).map((f) => ({ ...f, severity: 'info' as const }));
  // The lint command's count, and the summary's heading: "info" has no plural.
  assert.match(renderTerminal({ ...errorRun, lint: infos }), '\nlint: 2 info (all listed in the reports)');
  // eslint-disable-next-line no-control-regex -- no control character may reach the output: matching them is the point
  assert.not.match(text, /[\u0007\u001b]/);
});

test('no write figures: "writer off" only when it was; a writer that ran and was not read back says so', () => {
  const base = passingRun.scenarios[0]!;
  const { writes: _, ...stoppedEarly } = {
    ...base,
    status: 'fail' as const,
    error: 'checking the cluster health: timed out',
  };
  const ran = { ...passingRun, verdict: 'fail' as const, scenarios: [stoppedEarly] };
  for (const text of [renderTerminal(ran), renderMarkdown(ran)]) {
    assert.not.match(text, /writer off/i);
    assert.match(text, 'the writer ran, but the scenario stopped before its writes were read back');
  }
  const off = {
    ...passingRun,
    scenarios: [{ ...stoppedEarly, timeline: base.timeline.filter((e) => e.event !== 'writer-started') }],
  };
  assert.match(renderTerminal(off), 'writes: writer off (write-rate 0)');
  assert.match(renderMarkdown(off), 'Writes: writer off (write-rate 0)');
});

test('a pass with skipped checks counts them truthfully (terminal and summary), never "all N passed"', () => {
  const s = passingRun.scenarios[0]!;
  const skipped = new Set(['data-intact', 'max-lost-writes']);
  const run = {
    ...passingRun,
    scenarios: [{ ...s, checks: s.checks.map((c) => (skipped.has(c.id) ? { ...c, status: 'skipped' as const } : c)) }],
  };
  for (const text of [renderTerminal(run), renderMarkdown(run)]) {
    assert.not.match(text, /all 7 checks passed/i);
    assert.match(text, /5 of 7 checks passed, 2 skipped \(data-intact, max-lost-writes\)/);
  }
  assert.match(renderTerminal(passingRun), /All 7 checks passed, failover took 7108 ms/);
});

test('Kubernetes: the restart hold (mode, and a hold that failed) and the notes, in the terminal and the summary', () => {
  const run = {
    ...passingRun,
    hold: {
      mode: 'quota' as const,
      heldMs: 8100,
      replacementHeld: false,
      detail: 'the hold FAILED: pod redis-app-1 was recreated (uid u2) while the quota was in force',
    },
    notes: [
      'PersistentVolume redis-pv-a-abc123 (from redis-pv-a) has reclaimPolicy Retain: the Redis data stays on the NFS server',
    ],
  };
  const text = renderTerminal(run);
  assert.ok(text.includes('hold: quota: the hold FAILED: pod redis-app-1 was recreated'), text);
  assert.ok(text.includes('note: PersistentVolume redis-pv-a-abc123 (from redis-pv-a) has reclaimPolicy Retain'), text);
  const md = renderMarkdown(run);
  assert.match(
    md,
    'Restart hold: quota: the hold FAILED: pod redis-app-1 was recreated (uid u2) while the quota was in force. **The hold failed.**',
  );
  assert.match(md, '> PersistentVolume redis-pv-a-abc123 (from redis-pv-a) has reclaimPolicy Retain');
  assert.not.match(renderMarkdown(passingRun), 'Restart hold');
});

test.run();
