import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPORT_JSON_FILE, reportJson } from '../../../src/report/json.ts';
import type { Report } from '../../../src/report/model.ts';
import { failingRun, samples } from '../../fixtures/report/samples.ts';

/** The same object with every key order reversed, at every depth. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversed(v)]),
  );
}

test('report.json does not depend on the order the report was filled in', () => {
  for (const report of Object.values(samples)) {
    assert.is(reportJson(reversed(report) as Report), reportJson(report));
  }
});

test('it reads back to the same report, 2-space indented, verdict near the top', () => {
  for (const report of Object.values(samples)) {
    const text = reportJson(report);
    assert.equal(JSON.parse(text), JSON.parse(JSON.stringify(report)));
    assert.ok(text.endsWith('}\n'));
  }
  const lines = reportJson(failingRun).split('\n');
  assert.equal(lines.slice(0, 4), [
    '{',
    '  "schemaVersion": 1,',
    '  "tool": {',
    '    "name": "redis-cluster-resilience",',
  ]);
  assert.is(lines[6], '  "verdict": "fail",');
  assert.is(REPORT_JSON_FILE, 'report.json');
});

test('checks list id and status before their evidence', () => {
  const check = reportJson(failingRun)
    .split('\n')
    .findIndex((l) => l.includes('"id": "node-id-kept"'));
  const lines = reportJson(failingRun).split('\n');
  assert.match(lines[check + 1]!, '"status": "fail"');
  assert.match(lines[check + 2]!, '"summary": ');
});

test('dates in evidence are written as JSON.stringify writes them', () => {
  const when = new Date('2026-11-25T20:43:17.512Z');
  const s = failingRun.scenarios[0]!;
  const report: Report = { ...failingRun, scenarios: [{ ...s, checks: [{ ...s.checks[0]!, evidence: { when } }] }] };
  assert.match(reportJson(report), '"when": "2026-11-25T20:43:17.512Z"');
});

test.run();
