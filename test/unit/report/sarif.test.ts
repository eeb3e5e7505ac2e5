/**
 * lint.sarif validates against the SARIF 2.1.0 JSON schema (OASIS, sarif-spec sarif-2.1/schema/
 * sarif-schema-2.1.0.json, shipped as test/fixtures/sarif-schema-2.1.0.json), and puts each finding at its
 * file, line and column with its rule's help. The schema is draft-04; ajv (here through
 * @kubernetes-models/validate) reads it as draft-07 once its root `id` and `$schema` are dropped: no other
 * draft-04 keyword (exclusiveMinimum as a boolean, nested `id`) is used in it.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lintManifests, RULES } from '../../../src/manifests/lint/index.ts';
import { loadManifests } from '../../../src/manifests/load.ts';
import { renderSarif } from '../../../src/report/sarif.ts';

const {
  id: _id,
  $schema: _draft,
  ...schema
} = JSON.parse(readFileSync(new URL('../../fixtures/sarif-schema-2.1.0.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

interface SarifLog {
  version: string;
  runs: Array<{
    tool: { driver: { rules: Array<{ id: string; help: { text: string } }> } };
    results: Array<{
      ruleId: string;
      level: string;
      message: { text: string };
      locations?: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }>;
    }>;
  }>;
}

test("the seed's findings: valid SARIF 2.1.0, each at its file and line with its rule's help", async () => {
  const set = await loadManifests('test/fixtures/seed');
  const findings = lintManifests(set, { masters: 1, replicasPerMaster: 2 });
  assert.ok(findings.length > 3, 'the seed has findings');
  const text = renderSarif(findings, { version: '0.1.0', rules: RULES });
  const log = JSON.parse(text) as SarifLog;
  assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
  assert.is(log.version, '2.1.0');
  const run = log.runs[0]!;
  assert.is(run.results.length, findings.length);
  findings.forEach((f, i) => {
    const r = run.results[i]!;
    assert.is(r.ruleId, f.rule);
    assert.is(r.level, f.severity === 'info' ? 'note' : f.severity);
    assert.is(r.locations?.[0]?.physicalLocation.artifactLocation.uri, f.at?.file);
    assert.is(r.locations?.[0]?.physicalLocation.region.startLine, f.at?.line);
    assert.ok(run.tool.driver.rules.find((rule) => rule.id === f.rule)?.help.text, f.rule);
  });
});

test('the validator is not a rubber stamp: a result without a message is refused', () => {
  const log = JSON.parse(
    renderSarif([{ rule: 'x', severity: 'error', message: 'm', fix: 'f' }], { version: '1', rules: [] }),
  ) as {
    runs: Array<{ results: Array<Record<string, unknown>> }>;
  };
  assert.ok(validate(log));
  delete log.runs[0]!.results[0]!.message;
  assert.not.ok(validate(log));
});

test.run();
