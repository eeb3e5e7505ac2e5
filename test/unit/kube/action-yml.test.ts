import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import { SCENARIO_NAMES } from '../../../src/report/model.ts';
import { PER_SCENARIO_OUTPUTS } from '../../../src/report/outputs.ts';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { DEFAULTS, OPTIONS } from '../../../src/config.ts';

interface ActionInput {
  description: string;
  required?: boolean;
  default?: string;
}
const action = parse(readFileSync(new URL('../../../action.yml', import.meta.url), 'utf8')) as {
  inputs: Record<string, ActionInput>;
  outputs: Record<string, { description: string }>;
  runs: Record<string, string>;
};

test('inputs are exactly the OPTIONS table', () => {
  assert.equal(Object.keys(action.inputs).sort(), Object.keys(OPTIONS).sort());
});

test('each input carries its option description and the DEFAULTS value', () => {
  for (const [name, spec] of Object.entries(OPTIONS)) {
    const input = action.inputs[name]!;
    assert.ok(input.description.startsWith(spec.description), `${name}: description`);
    assert.is(input.required ?? false, false, `${name}: never required`);
    // A list default is written as the action input takes it: comma-separated.
    const d = (DEFAULTS as Record<string, string | number | boolean | string[] | undefined>)[spec.key];
    assert.is(
      input.default,
      d === undefined ? undefined : Array.isArray(d) ? d.join(',') : String(d),
      `${name}: default`,
    );
  }
});

test('manifests has no static default (resolved to the action dir at run time)', () => {
  assert.is(action.inputs.manifests!.default, undefined);
});

test('outputs and runs', () => {
  const perScenario = SCENARIO_NAMES.flatMap((n) => PER_SCENARIO_OUTPUTS.map((o) => `${n}-${o}`));
  assert.equal(
    Object.keys(action.outputs).sort(),
    [
      'failover-ms',
      'junit-path',
      'sarif-path',
      'lost-writes',
      'node-id-kept',
      'rejoin-ms',
      'report-path',
      'summary-path',
      'unavailable-ms',
      'verdict',
      'checks-passed',
      'checks-failed',
      'checks-skipped',
      ...perScenario,
    ].sort(),
  );
  assert.equal(action.runs, { using: 'node24', main: 'dist/index.js', post: 'dist/post.js', 'post-if': 'always()' });
});

test('every value an output can take is documented: node-id-kept true/false/skipped, empty when not measured', () => {
  for (const [name, { description }] of Object.entries(action.outputs)) {
    if (name.endsWith('node-id-kept')) assert.match(description, /true.*false.*skipped/, name);
    if (/-ms$|lost-writes$|failovers$/.test(name)) assert.match(description, /empty when not measured/, name);
    if (name.endsWith('-path')) assert.match(description, /empty when the reports could not be written/, name);
  }
  assert.match(action.outputs['rejoin-ms']!.description, /hold.*or.*delet/);
});

test.run();
