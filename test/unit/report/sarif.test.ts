import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lintManifests } from '../../../src/manifests/lint/index.ts';
import { loadManifests } from '../../../src/manifests/load.ts';
import type { LintFinding } from '../../../src/report/model.ts';
import { renderSarif } from '../../../src/report/sarif.ts';

// The SARIF 2.1.0 JSON schema (OASIS), from the schemastore devDependency (its $id is the OASIS file,
// sarif-spec/Schemata/sarif-schema-2.1.0.json). ajv checks every file this tool writes against it; the schema's
// `language` pattern (`…{2}]?$`) is not a valid Unicode-mode regular expression, hence unicodeRegExp: false.
const schemaFile = createRequire(import.meta.url).resolve('schemastore/schemas/json/sarif-2.1.0.json');
const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as object;
const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false }).compile(
  schema,
);
const tool = { name: 'redis-cluster-resilience' as const, version: '9.9.9' };

function valid(text: string): Record<string, unknown> {
  const sarif = JSON.parse(text) as Record<string, unknown>;
  assert.ok(validate(sarif), JSON.stringify(validate.errors, null, 2));
  return sarif;
}

test("the seed's lint as SARIF 2.1.0: valid against the schema, one result per finding at its file and line", async () => {
  const findings = lintManifests(await loadManifests('test/fixtures/seed'));
  assert.ok(findings.length > 10);
  const sarif = valid(renderSarif({ lint: findings, tool })) as {
    runs: Array<{
      tool: { driver: { rules: Array<{ id: string; shortDescription: { text: string } }> } };
      results: Array<{
        ruleId: string;
        ruleIndex: number;
        level: string;
        message: { text: string };
        locations?: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }>;
      }>;
    }>;
  };
  const run = sarif.runs[0]!;
  assert.is(run.results.length, findings.length);
  findings.forEach((f, i) => {
    const r = run.results[i]!;
    assert.is(r.ruleId, f.rule);
    assert.is(run.tool.driver.rules[r.ruleIndex]!.id, f.rule, 'ruleIndex points at its rule');
    assert.is(r.level, { error: 'error', warning: 'warning', info: 'note' }[f.severity]);
    assert.ok(r.message.text.includes(f.message) && r.message.text.includes(f.fix));
    if (f.at) {
      assert.is(r.locations![0]!.physicalLocation.artifactLocation.uri, f.at.file);
      assert.is(r.locations![0]!.physicalLocation.region.startLine, f.at.line);
    }
  });
  assert.ok(run.tool.driver.rules.every((r) => r.shortDescription.text.length > 0));
});

test('no findings, a finding without a position, odd paths: still valid; an absolute path is a file URI', () => {
  valid(renderSarif({ lint: [], tool }));
  const odd: LintFinding[] = [
    { rule: 'redis-statefulset', severity: 'error', message: 'no StatefulSet', fix: 'add one' },
    {
      rule: 'probes',
      severity: 'info',
      message: 'm',
      fix: 'f',
      at: { file: 'deploy dir/a#b.yaml', line: 0, column: 0 },
    },
    { rule: 'probes', severity: 'warning', message: 'm', fix: 'f', at: { file: '/abs/x.yaml', line: 3, column: 1 } },
  ];
  const text = renderSarif({ lint: odd, tool });
  valid(text);
  assert.match(text, /"uri": "deploy%20dir\/a%23b.yaml"/);
  assert.match(text, /"startLine": 1,/, 'a line before the first is clamped to 1 (SARIF lines start at 1)');
  assert.match(text, /"uri": "file:\/\/\/abs\/x.yaml"/);
  assert.not.match(text, /"locations"[^]*"locations"[^]*"locations"/, 'the finding without a position has none');
});

test('a schema violation is caught by the validator (the test can fail)', () => {
  const sarif = JSON.parse(renderSarif({ lint: [], tool })) as { runs: Array<{ results: unknown[] }> };
  sarif.runs[0]!.results.push({ ruleId: 'x', level: 'bogus', message: {} });
  assert.not.ok(validate(sarif));
});

test.run();
