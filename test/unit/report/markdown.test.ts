import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reportJson } from '../../../src/report/json.ts';
import { cell, renderMarkdown } from '../../../src/report/markdown.ts';
import type { LintFinding, Report } from '../../../src/report/model.ts';
import { errorRun, failingRun, passingRun, samples } from '../../fixtures/report/samples.ts';
import { records, splitRow, tablesByHeading, type Table } from './markdown-tables.ts';

function tableOf(tables: Map<string, Table>, key: string): Table {
  const t = tables.get(key);
  assert.ok(t, `no table under "${key}"; tables: ${[...tables.keys()].join(', ')}`);
  return t;
}

function where(f: LintFinding): string {
  return `${f.at!.file}:${f.at!.line}:${f.at!.column}`;
}

function lintTable(md: string): Table {
  const heading = /^### (Lint findings: .*)$/m.exec(md)?.[1];
  assert.ok(heading, 'no lint heading');
  return tableOf(tablesByHeading(md), heading);
}

/**
 * The lint table read back into one [severity, rule, where, message, fix] per finding: a row's cell holds
 * "place, place: message" lines, or (folded) <details> with a summary of "N findings" over such lines, or of
 * "message (N places)" over one place per line.
 */
function lintFindings(md: string): string[][] {
  if (/^### Lint findings: none$/m.test(md)) return [];
  const place = String.raw`[^\n]*?:\d+:\d+`;
  return records(lintTable(md)).flatMap((r) => {
    const severity = r.Severity!.replace(/^\*\*(.*)\*\*$/, '$1');
    const finding = (at: string, message: string) => [severity, r.Rule!, at, message, r.Fix!];
    const text = r['Where: message']!;
    const folded = /^<details><summary>([^]*?)<\/summary>([^]*)<\/details>$/.exec(text);
    const one = folded && new RegExp(`^([^]*) \\(\\d+ places\\)$`).exec(folded[1]!);
    if (one) return folded[2]!.split('\n').map((at) => finding(at, one[1]!));
    // Each line: places, then ': ' and the message (which may itself hold ': ', and newlines of its own).
    const lines = folded ? folded[2]! : text;
    const entry = new RegExp(`(?:^|\\n)((?:${place}, )*${place}): `, 'g');
    const starts = [...lines.matchAll(entry)];
    return starts.flatMap((m, i) => {
      const message = lines.slice(m.index + m[0].length, starts[i + 1]?.index ?? lines.length);
      return m[1]!.split(', ').map((at) => finding(at, message));
    });
  });
}

/** The number a table cell shows ("7108 ms", "7108"); undefined for "not measured". */
function shownMs(text: string): number | undefined {
  return text === 'not measured' ? undefined : Number(text.replace(/ ms$/, ''));
}

for (const [name, report] of Object.entries(samples)) {
  test(`${name}: the summary shows the same facts as report.json`, () => {
    // Compare with what report.json says, not with the object the renderer was given.
    const json = JSON.parse(reportJson(report)) as Report;
    const md = renderMarkdown(report);
    const tables = tablesByHeading(md);

    const verdict = /\*\*Verdict: (PASS|FAIL|ERROR)\.\*\*/.exec(md)?.[1];
    assert.is(verdict?.toLowerCase(), json.verdict);

    for (const s of json.scenarios) {
      const prefix = `${s.name}: ${s.status.toUpperCase()}`;
      const checks = records(tableOf(tables, `${prefix} / Checks`));
      // Failed checks first (marked), the rest in the order the scenario ran them.
      const failedFirst = [
        ...s.checks.filter((c) => c.status === 'fail'),
        ...s.checks.filter((c) => c.status !== 'fail'),
      ];
      assert.equal(
        checks.map((c) => [c.Check, c.Status!.replace(/^\*\*(.*)\*\*$/, '$1').toLowerCase(), c.Summary]),
        failedFirst.map((c) => [c.id, c.status, c.summary]),
      );

      const took = new RegExp(`^### ${prefix}\\n\\n.*; started (\\S+), took ([\\d.]+) s\\.$`, 'm').exec(md);
      assert.ok(took, 'scenario start and duration');
      assert.equal([took[1], took[2]], [s.startedAt, (s.durationMs! / 1000).toFixed(1)]);

      const [w] = records(tableOf(tables, `${prefix} / Writes`));
      assert.equal(
        [w!.Mode, w!.Attempted, w!.Skipped, w!.Acknowledged, w!.Failed, w!.Lost, w!['Unavailable ms']].map(String),
        [
          s.writes!.mode,
          s.writes!.attempted,
          s.writes!.skipped,
          s.writes!.acknowledged,
          s.writes!.failed,
          s.writes!.lost,
          s.writes!.unavailableMs,
        ].map(String),
      );
      assert.is(
        md.includes(`${s.writes!.skipped} scheduled writes were never sent`),
        s.writes!.skipped > 0,
        'skipped writes explained when there are any',
      );

      const timings = records(tableOf(tables, `${prefix} / Timings`)).map((r) => shownMs(r.Time!));
      assert.equal(timings, [s.timings.failoverMs, s.timings.clusterOkMs, s.timings.rejoinMs]);

      const events = records(tableOf(tables, `${prefix} / Timeline`));
      assert.equal(
        events.map((e) => [e.Event, Number(e['ms after deletion'])]),
        [...s.timeline].sort((a, b) => a.atMs - b.atMs).map((e) => [e.event, e.atMs]),
      );

      for (const [when, topology] of [
        ['before', s.topologyBefore],
        ['after', s.topologyAfter!],
      ] as const) {
        const rows = records(tableOf(tables, `${prefix} / Topology ${when}`));
        assert.equal(
          rows.map((r) => [r.Pod, r.Address, r.Role, r.Slots]),
          topology.nodes.map((n) => [n.pod, n.address, n.role, n.slots.join(' ')]),
        );
      }
    }

    // Every finding is in the lint table once, at its own place, with its own message and fix.
    assert.equal(
      lintFindings(md).sort(),
      json.lint.map((f) => [f.severity, f.rule, where(f), f.message, f.fix]).sort(),
    );
  });
}

test('lint: errors first, then warnings and infos, each by rule; the heading counts each severity', () => {
  const md = renderMarkdown(errorRun);
  assert.match(md, '\n### Lint findings: 7 errors, 5 warnings\n');
  const rows = records(lintTable(md));
  assert.equal(
    rows.map((r) => [r.Severity, r.Rule]),
    [
      ['**error**', 'apiversion-removed'],
      ['**error**', 'no-provisioner'],
      ['**error**', 'single-master'],
      ['**error**', 'statefulset-selector'],
      ['**error**', 'unresolved-placeholder'],
      ['warning', 'image-unsupported'],
      ['warning', 'nodeport-cluster'],
      ['warning', 'reclaim-recycle'],
    ],
  );
  assert.match(renderMarkdown(passingRun), '\n### Lint findings: 1 info\n');
  assert.match(renderMarkdown(failingRun), '\n### Lint findings: none\n');
});

test('lint: one rule with one message and fix at three places is one row naming the three, the text once', () => {
  const md = renderMarkdown(errorRun);
  const row = records(lintTable(md)).find((r) => r.Rule === 'reclaim-recycle')!;
  assert.is(
    row['Where: message'],
    'test/fixtures/seed/pv.yaml:9:1, test/fixtures/seed/pv.yaml:27:1, test/fixtures/seed/pv.yaml:45:1: ' +
      'persistentVolumeReclaimPolicy Recycle is deprecated',
  );
  assert.is(md.split('persistentVolumeReclaimPolicy Recycle is deprecated').length, 2);
  assert.is(md.split('Use Retain (or Delete)').length, 2);
});

test('lint: different messages or fixes of one rule are not merged; one fix is written once for all its messages', () => {
  const pv = (i: number, fix = 'Use Retain'): LintFinding => ({
    rule: 'pv-recycle',
    severity: 'warning',
    message: `PersistentVolume redis-${i}: Recycle`,
    fix,
    at: { file: 'pv.yaml', line: i * 10, column: 3 },
  });
  const md = renderMarkdown({ ...errorRun, lint: [pv(1), pv(2), pv(3, 'Another fix')] });
  assert.equal(
    records(lintTable(md)).map((r) => [r['Where: message'], r.Fix]),
    [
      [
        'pv.yaml:10:3: PersistentVolume redis-1: Recycle\npv.yaml:20:3: PersistentVolume redis-2: Recycle',
        'Use Retain',
      ],
      ['pv.yaml:30:3: PersistentVolume redis-3: Recycle', 'Another fix'],
    ],
  );
});

test('lint: a rule firing at many places stays one table line, the places folded into <details>, none lost', () => {
  const pvs = (n: number, message: (i: number) => string): LintFinding[] =>
    Array.from({ length: n }, (_, i) => ({
      rule: 'pv-recycle',
      severity: 'warning',
      message: message(i),
      fix: 'Use Retain',
      at: { file: 'pv.yaml', line: i * 15 + 1, column: 3 },
    }));
  const distinct = renderMarkdown({ ...errorRun, lint: pvs(40, (i) => `PersistentVolume redis-${i}: Recycle`) });
  const same = renderMarkdown({ ...errorRun, lint: pvs(40, () => 'a PersistentVolume is Recycle') });
  for (const md of [distinct, same]) {
    const rows = lintTable(md).rows;
    assert.is(rows.length, 1);
    assert.match(rows[0]![2]!, /^<details><summary>[^]*<\/summary>[^]*<\/details>$/);
    assert.equal(lintFindings(md).length, 40);
    for (let i = 0; i < 40; i++) assert.ok(rows[0]![2]!.includes(`pv.yaml:${i * 15 + 1}:3`), `place ${i}`);
  }
  assert.match(distinct, '<details><summary>40 findings</summary>pv.yaml:1:3: PersistentVolume redis-0: Recycle<br>');
  assert.match(
    same,
    '<details><summary>a PersistentVolume is Recycle (40 places)</summary>pv.yaml:1:3<br>pv.yaml:16:3<br>',
  );
  assert.is(same.split('a PersistentVolume is Recycle').length, 2, 'the message once');
});

test('lint: hostile messages, fixes and paths cannot break the table, open HTML or close a <details> early', () => {
  const hostile = (i: number): LintFinding => ({
    rule: 'x|y',
    severity: 'error',
    message: `a | b <script>alert(1)</script> \`code\` </details></summary> back\\ \n| next row \u0007${i}`,
    fix: 'fix | <img src=x onerror=alert(1)>\nline',
    at: { file: `dir|<b>/f.yaml`, line: i + 1, column: 1 },
  });
  for (const n of [2, 5]) {
    const lint = Array.from({ length: n }, (_, i) => hostile(i));
    const md = renderMarkdown({ ...errorRun, lint });
    const table = lintTable(md);
    assert.is(table.rows.length, 1, 'one row: no line break or | got through');
    assert.is(table.rows[0]!.length, 4);
    assert.not.match(md, /<script>|<img|<b>|<\/summary> back/);
    // eslint-disable-next-line no-control-regex -- no control character may reach the output: matching them is the point
    assert.not.match(md, /[\u0007]/);
    assert.is(md.split('</details>').length - 1, n > 3 ? 1 : 0, 'only the fold closes a <details>');
    assert.equal(
      lintFindings(md).sort(),
      lint.map((f) => ['error', 'x|y', where(f), f.message.replace('\u0007', '\\u0007'), f.fix]).sort(),
    );
  }
});

test('an error run says why in the verdict line', () => {
  const md = renderMarkdown(errorRun);
  assert.match(md, /\*\*Verdict: ERROR\.\*\* The run stopped before its checks could finish: timed out after 300\.0 s/);
  // Control characters from the error are shown, not passed on (an ESC would start an escape sequence).
  // eslint-disable-next-line no-control-regex -- no control character may reach the output: matching them is the point
  assert.not.match(md, /[\u0007\u001b]/);
  assert.match(md, '\\\\u001b\\[31mred'); // shown as \u001b[31mred once rendered
});

test('pod output in an error or a note cannot forge a section: no heading, table, fold, HTML or fence starts in it', () => {
  const forged = [
    'pod redis-app-0 exited; last lines:',
    '## Redis Cluster resilience check',
    '**Verdict: PASS.** every check passed',
    '| Check | Status |',
    '|---|---|',
    '| data-intact | pass |',
    '</details>',
    '<details><summary>x</summary>',
    '```',
    '> quoted',
    '- [x] listed [link](https://example.com) ![img](https://example.com/a.png)',
  ].join('\n');
  const md = renderMarkdown({ ...errorRun, lint: [], error: forged, notes: [forged] });
  const lines = md.split('\n');
  assert.equal(
    lines.filter((l) => l.startsWith('#')),
    ['## Redis Cluster resilience check', '### Lint findings: none'],
    'only the real headings',
  );
  assert.equal(
    lines.filter((l) => l.startsWith('|')),
    [],
    'no table row',
  );
  assert.not.match(md, /<\/?details>|<summary>|^```|^- |(?<!\\)\]\(/m);
  assert.is(md.match(/\*\*Verdict:/g)?.length, 1, 'one verdict');
  assert.ok(
    lines.some((l) => l.startsWith('**Error:** pod redis-app-0 exited; last lines:<br>')),
    md,
  );
});

test('a run stopped by the lint gate says so in the verdict line', () => {
  const gated: Report = {
    ...errorRun,
    verdict: 'fail',
    error: 'lint found 7 finding(s) at or above --fail-on-lint error; nothing was deployed',
  };
  assert.match(
    renderMarkdown(gated),
    '**Verdict: FAIL.** lint found 7 finding(s) at or above --fail-on-lint error; nothing was deployed.\n',
  );
});

test('a skipped check says why', () => {
  const md = renderMarkdown(failingRun);
  assert.match(md, '| rejoined-as-replica | SKIPPED | Skipped: the pod did not keep its NodeID');
});

test('cells escape |, <, & and line breaks, and the table keeps its columns', () => {
  assert.is(cell('a | b <c> & d\ne'), 'a \\| b &lt;c&gt; &amp; d<br>e');
  assert.is(cell('back\\slash|'), 'back\\\\slash\\|');
  const tables = tablesByHeading(renderMarkdown(failingRun));
  const checks = tables.get('master-failover: FAIL / Checks')!;
  for (const row of checks.rows) assert.is(row.length, 3);
  const nodeIdKept = checks.rows.find((r) => r[0] === 'node-id-kept')!;
  assert.is(nodeIdKept[2], failingRun.scenarios[0]!.checks[2]!.summary);
  assert.equal(splitRow('| a \\| b | c |'), ['a | b', 'c']);
});

test('evidence goes into <details> blocks, fenced so a ``` inside cannot close them', () => {
  const md = renderMarkdown(failingRun);
  assert.match(md, '<details><summary>Evidence: node-id-kept (FAIL)</summary>');
  const block = md.slice(md.indexOf('Evidence: node-id-kept'));
  assert.match(block, /^````json\n[^]*"note": "a ``` fence and a <\/failure> tag & a \\"quote\\""\n}\n````$/m);
});

test('the timeline is a Mermaid gantt GitHub can render, with every event', () => {
  const md = renderMarkdown(passingRun);
  const mermaid = /```mermaid\n([^]*?)\n```/.exec(md)?.[1];
  assert.ok(mermaid, 'no mermaid block');
  const lines = mermaid.split('\n');
  assert.is(lines[0], 'gantt');
  assert.ok(lines.includes('  dateFormat x'));
  // The tickInterval pattern from the Mermaid gantt docs.
  const tick = lines.find((l) => l.startsWith('  tickInterval '))!.slice('  tickInterval '.length);
  assert.match(tick, /^([1-9][0-9]*)(millisecond|second|minute|hour|day|week|month)$/);
  const tasks = lines.filter((l) => l.includes(' : '));
  for (const t of tasks) assert.match(t, /^ {2}[^:#;%]+ : (crit, |milestone, )?[pe]\d+, \d+, (\d+|0ms)$/);
  for (const e of passingRun.scenarios[0]!.timeline.filter((e) => e.atMs >= 0)) {
    assert.ok(
      tasks.some((t) => t.startsWith(`  ${e.event} at ${e.atMs} ms : milestone`)),
      `event ${e.event} missing`,
    );
  }
});

test('the gantt axis starts at the deletion, as its labels count (ms after deletion); earlier events stay in the table', () => {
  const md = renderMarkdown(passingRun);
  const mermaid = /```mermaid\n([^]*?)\n```/.exec(md)![1]!;
  const tasks = mermaid.split('\n').filter((l) => l.includes(' : '));
  // Dates are Unix ms (dateFormat x): the deletion is 0, so the axis' seconds (%s) are seconds after it.
  assert.match(
    tasks.find((t) => t.startsWith('  pod-deleted'))!,
    /, 0, 0ms$/,
  );
  for (const t of tasks.filter((t) => t.includes(' at '))) {
    const [, label, x] = /at (-?\d+) ms : milestone, e\d+, (\d+), 0ms$/.exec(t)!;
    assert.is(x, label, t);
  }
  assert.match(mermaid, /title master-failover - seconds after the pod was deleted/);
  assert.not.match(mermaid, 'writer-started');
  assert.match(md, '| writer-started | -1520 |');
});

test('failed checks stand out: first in the checks table, in bold', () => {
  const table = records(tablesByHeading(renderMarkdown(failingRun)).get('master-failover: FAIL / Checks')!);
  assert.equal(
    table.map((r) => r.Status),
    ['**FAIL**', '**FAIL**', '**FAIL**', 'PASS', 'PASS', 'SKIPPED', 'PASS'],
  );
  assert.equal(
    table.slice(0, 3).map((r) => r.Check),
    ['node-id-kept', 'data-intact', 'max-lost-writes'],
  );
});
test('a failed run names its evidence files and the reach mode', () => {
  const report: Report = {
    ...failingRun,
    platform: 'kind',
    reach: 'port-forward',
    evidence: [
      'evidence/redis/redis-app-0.cluster-nodes.txt',
      'evidence/logs/redis-app-0.1.log',
      'evidence/kind-logs/',
    ],
  };
  const md = renderMarkdown(report);
  assert.match(md, 'Platform kind (reach: port-forward)');
  assert.match(md, '### Evidence (3 files in the report directory)');
  for (const f of report.evidence!) assert.match(md, `- \`${f}\``);
  assert.not.match(renderMarkdown(passingRun), '### Evidence');
});

test.run();
