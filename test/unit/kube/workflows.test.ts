import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { OPTIONS } from '../../../src/config.ts';
import type { Report } from '../../../src/report/model.ts';
import { actionOutputs } from '../../../src/report/outputs.ts';
import { SCENARIO_NAMES } from '../../../src/scenarios/model.ts';

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
  id?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Job {
  permissions?: unknown;
  strategy?: { matrix?: Record<string, unknown> };
  steps: Step[];
}
interface Workflow {
  permissions?: unknown;
  jobs: Record<string, Job>;
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

const e2e = workflows.find((w) => w.file === 'e2e.yml')!;

test('every artifact upload fails when it finds no files (a missing report is an error, not a warning)', () => {
  for (const { file, wf } of workflows) {
    for (const step of Object.values(wf.jobs).flatMap((j) => j.steps)) {
      if (!step.uses?.startsWith('actions/upload-artifact@')) continue;
      assert.is(step.with?.['if-no-files-found'], 'error', `${file}: ${String(step.with?.name)}`);
    }
  }
});

test('e2e: a matrix runs every scenario on kind, each job asserting its own checks with the repo-tested script', () => {
  const jobs = Object.values(e2e.wf.jobs).filter((j) => j.strategy?.matrix?.scenario);
  assert.is(jobs.length, 1, 'one matrix job over the scenarios');
  const job = jobs[0]!;
  assert.equal([...(job.strategy!.matrix!.scenario as string[])].sort(), [...SCENARIO_NAMES].sort());
  const check = job.steps.find((s) => s.uses === './')!;
  assert.is(check.with?.platform, 'kind');
  assert.is(check.with?.scenario, '${{ matrix.scenario }}');
  const asserting = job.steps.find((s) => s.run?.includes('.github/e2e/assert-run.sh'));
  assert.ok(asserting, 'the assertions are the tested script (test/unit/kube/e2e-assert.test.ts)');
  assert.is(asserting.env?.EXPECT_REACH, 'routed', 'on kind the pods are reached through routes');
  assert.is(asserting.env?.SCENARIO, '${{ matrix.scenario }}');
  assert.ok(asserting.env?.NODE_ID_KEPT && asserting.env.LOST, "the job's own node-id-kept and lost-writes");
  // Every output the job reads is one the action sets when it runs one scenario (the `<scenario>-<output>`
  // names are set only for a list: reading them here would assert on empty values).
  for (const scenario of SCENARIO_NAMES) {
    const set = actionOutputs({
      verdict: 'pass',
      scenarios: [{ name: scenario, status: 'pass', checks: [], timings: {} }],
    } as unknown as Report);
    for (const value of Object.values(asserting.env ?? {})) {
      const read = /steps\.check\.outputs(?:\.([\w-]+)|\[)/.exec(value);
      if (!read) continue;
      assert.ok(read[1], `${value}: an output named outright`);
      assert.ok(read[1] in set, `${scenario}: ${read[1]} is set for a one-scenario run`);
    }
  }
});

test('e2e: no run step accepts a port-forward fall back on kind, and none chains assertions with && (bash -e ignores a failure before the last &&)', () => {
  for (const step of Object.values(e2e.wf.jobs).flatMap((j) => j.steps)) {
    if (!step.run) continue;
    assert.not.match(step.run, '"port-forward"', step.run);
    assert.not.match(step.run, '&&', step.run);
  }
});

test.run();
