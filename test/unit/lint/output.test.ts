import type { AnnotationProperties } from '@actions/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatFindings } from '../../../src/manifests/lint/format.ts';
import { annotateFindings, ANNOTATIONS_PER_TYPE } from '../../../src/report/annotations.ts';
import type { LintFinding, Severity } from '../../../src/report/model.ts';

const finding = (severity: Severity, line: number, rule = 'pv-recycle'): LintFinding => ({
  rule,
  severity,
  message: `PersistentVolume redis-${line}: reclaim policy Recycle is deprecated`,
  fix:
    'Recycle runs rm -rf on the volume once its claim is released, so a re-created claim finds no nodes.conf and ' +
    'the Redis node comes back with a new NodeID and no data; use Retain (and delete data deliberately).',
  at: { file: 'manifests/pv.yaml', line, column: 36 },
});

test('table: one row per finding, message and fix beneath, nothing wider than 100 columns, totals', () => {
  const text = formatFindings([
    finding('error', 3, 'unresolved-placeholder'),
    finding('warning', 11),
    finding('info', 12),
  ]);
  const lines = text.split('\n');
  assert.ok(
    lines.every((l) => l.length <= 100),
    lines.find((l) => l.length > 100),
  );
  assert.match(lines[0]!, /^SEVERITY\s+RULE\s+WHERE$/);
  assert.match(text, /^error\s+unresolved-placeholder\s+manifests\/pv\.yaml:3:36$/m);
  assert.match(text, /^\s+fix: Recycle runs/m);
  assert.is(lines.at(-1), 'lint: 1 error, 1 warning, 1 info');
  assert.is(formatFindings([]), 'lint: no findings');
  const deep = { ...finding('error', 7), at: { file: `${'very/deep/'.repeat(8)}pv.yaml`, line: 7, column: 3 } };
  assert.ok(
    formatFindings([deep])
      .split('\n')
      .every((l) => l.length <= 100),
    'a long path wraps',
  );
});

test('annotations: error/warning/notice with file, line, column and the rule as title', () => {
  const calls: Array<[string, string, AnnotationProperties | undefined]> = [];
  const rec = (kind: string) => (m: string, p?: AnnotationProperties) => void calls.push([kind, m, p]);
  const result = annotateFindings(
    [finding('error', 1), finding('warning', 2), finding('info', 3), { ...finding('info', 4, 'other'), at: undefined }],
    {
      error: rec('error'),
      warning: rec('warning'),
      notice: rec('notice'),
    },
  );
  assert.equal(result, { shown: 4, hidden: 0 });
  assert.equal(
    calls.map((c) => c[0]),
    ['error', 'warning', 'notice', 'notice'],
  );
  assert.equal(calls[0]![2], { title: 'pv-recycle', file: 'manifests/pv.yaml', startLine: 1, startColumn: 36 });
  assert.equal(calls[3]![2], { title: 'other' });
  assert.ok(calls[0]![1].includes('Recycle runs'), 'the fix is in the message');
});

test('annotations: at most 10 of each type; the last one says how many more are in the summary', () => {
  const calls: Array<[string, string]> = [];
  const rec = (kind: string) => (m: string) => void calls.push([kind, m]);
  // Distinct rules: findings that share a rule and a fix would be one annotation.
  const many = [
    ...Array.from({ length: 13 }, (_, i) => finding('warning', i + 1, `w${i}`)),
    ...Array.from({ length: 10 }, (_, i) => finding('error', i + 1, `e${i}`)),
  ];
  const result = annotateFindings(many, { error: rec('error'), warning: rec('warning'), notice: rec('notice') });
  assert.equal(result, { shown: 20, hidden: 3 });
  const warnings = calls.filter((c) => c[0] === 'warning');
  assert.is(warnings.length, ANNOTATIONS_PER_TYPE);
  assert.match(warnings.at(-1)![1], /\+3 more warning findings not annotated: see the lint table in the job summary/);
  assert.ok(warnings.slice(0, -1).every((c) => !c[1].includes('more warning')));
  assert.ok(
    calls.filter((c) => c[0] === 'error').every((c) => !c[1].includes('not annotated')),
    'exactly 10 errors: no note',
  );
});

test('sibling objects with the same fix: one annotation (and one table entry) listing each, the fix once', () => {
  const siblings = [
    finding('warning', 11),
    finding('warning', 26),
    finding('warning', 41),
    finding('error', 5, 'unresolved-placeholder'),
  ];
  const calls: Array<[string, string, AnnotationProperties | undefined]> = [];
  const rec = (kind: string) => (m: string, p?: AnnotationProperties) => void calls.push([kind, m, p]);
  const result = annotateFindings(siblings, { error: rec('error'), warning: rec('warning'), notice: rec('notice') });
  assert.equal(result, { shown: 2, hidden: 0 });
  const [, message, props] = calls.find((c) => c[0] === 'warning')!;
  assert.equal(props, { title: 'pv-recycle (3 objects)', file: 'manifests/pv.yaml', startLine: 11, startColumn: 36 });
  assert.is(message.match(/Recycle runs/g)?.length, 1);
  for (const line of [11, 26, 41])
    assert.match(message, `PersistentVolume redis-${line}: reclaim policy Recycle is deprecated`);
  assert.match(message, 'PersistentVolume redis-26: reclaim policy Recycle is deprecated (manifests/pv.yaml:26:36)');
  const text = formatFindings(siblings);
  assert.is(text.match(/fix: Recycle runs/g)?.length, 2, text); // the placeholder error has the same fix text but another rule
  assert.match(text, /^warning\s+pv-recycle\s+manifests\/pv\.yaml:11:36 \(\+2 more\)$/m);
  assert.is(text.split('\n').at(-1), 'lint: 1 error, 3 warnings');
});

test('one message at several places: written once with every place (table and annotation)', () => {
  const same = [5, 20, 35].map((line) => ({ ...finding('warning', line), message: 'a PersistentVolume is Recycle' }));
  const text = formatFindings([...same, finding('warning', 50)]);
  assert.is(text.match(/a PersistentVolume is Recycle/g)?.length, 1, text);
  assert.match(text, 'a PersistentVolume is Recycle (also manifests/pv.yaml:20:36, manifests/pv.yaml:35:36)');
  assert.match(text, 'PersistentVolume redis-50: reclaim policy Recycle is deprecated (manifests/pv.yaml:50:36)');
  const calls: string[] = [];
  annotateFindings(same, { error: assert.unreachable, warning: (m) => void calls.push(m), notice: assert.unreachable });
  assert.is(calls.length, 1);
  assert.is(calls[0]!.match(/a PersistentVolume is Recycle/g)?.length, 1, calls[0]);
});

test.run();
