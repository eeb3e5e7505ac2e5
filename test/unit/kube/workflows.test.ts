import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { OPTIONS } from '../../../src/config.ts';

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
  id?: string;
}
interface Workflow {
  permissions?: unknown;
  jobs: Record<string, { permissions?: unknown; steps: Step[] }>;
}

const dir = new URL('../../../.github/workflows/', import.meta.url);
const workflows = readdirSync(dir)
  .filter((f) => f.endsWith('.yml'))
  .map((f) => {
    const text = readFileSync(new URL(f, dir), 'utf8');
    return { file: f, text, wf: parse(text) as Workflow };
  });
const action = parse(readFileSync(new URL('../../../action.yml', import.meta.url), 'utf8')) as {
  outputs: Record<string, unknown>;
};

test('ci, e2e, the nightly and the pull-request examples exist', () => {
  assert.equal(workflows.map((w) => w.file).sort(), ['ci.yml', 'e2e.yml', 'nightly-example.yml', 'pr-example.yml']);
});

test('least privilege: contents read at the top; only the pull-request example widens a job, to write its comment and its SARIF', () => {
  for (const { file, wf } of workflows) {
    assert.equal(wf.permissions, { contents: 'read' }, file);
    for (const [name, job] of Object.entries(wf.jobs))
      assert.equal(
        job.permissions,
        file === 'pr-example.yml'
          ? { contents: 'read', 'pull-requests': 'write', 'security-events': 'write' }
          : undefined,
        `${file} ${name}`,
      );
  }
});

test('third-party actions are pinned to a full commit SHA with the tag noted', () => {
  for (const { file, wf, text } of workflows) {
    for (const step of Object.values(wf.jobs).flatMap((j) => j.steps)) {
      if (!step.uses || step.uses.startsWith('./')) continue;
      assert.match(step.uses, /^[\w.-]+\/[\w.-]+(?:\/[\w.-]+)*@[0-9a-f]{40}$/, `${file}: ${step.uses}`);
      assert.match(text, new RegExp(`${step.uses} # v\\d`), `${file}: tag comment for ${step.uses}`);
    }
  }
});

test('uses: ./ passes only real inputs and reads only real outputs', () => {
  for (const { file, wf, text } of workflows) {
    for (const step of Object.values(wf.jobs).flatMap((j) => j.steps)) {
      if (step.uses !== './') continue;
      for (const input of Object.keys(step.with ?? {})) assert.ok(input in OPTIONS, `${file}: unknown input ${input}`);
    }
    for (const m of text.matchAll(/steps\.check\.outputs\.([\w-]+)/g))
      assert.ok((m[1] ?? '') in action.outputs, `${file}: unknown output ${m[1]}`);
  }
});

test.run();
