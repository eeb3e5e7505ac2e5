import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderJUnit } from '../../../src/report/junit.ts';
import type { Report } from '../../../src/report/model.ts';
import { errorRun, failingRun, passingRun, samples } from '../../fixtures/report/samples.ts';
import { xmllint } from './xmllint.ts';

const SCHEMA = fileURLToPath(new URL('../../fixtures/report/junit-strict.xsd', import.meta.url));

function validate(xml: string) {
  return xmllint(['--noout', '--schema', SCHEMA], xml);
}

function xpath(xml: string, expr: string): string {
  const r = xmllint(['--xpath', expr], xml);
  assert.ok(r.ok, r.output);
  return r.output;
}

for (const [name, report] of Object.entries(samples)) {
  test(`${name}: junit.xml validates against the JUnit schema`, () => {
    const r = validate(renderJUnit(report));
    assert.ok(r.ok, r.output);
  });
}

test('the schema check fails on invalid JUnit (a failure without type, two outcomes, a zoned timestamp)', () => {
  const xml = renderJUnit(failingRun);
  const broken = [
    xml.replace(' type="check-failed"', ''),
    xml.replace('<failure type', '<skipped message="x"/><failure type'),
    xml.replace(/timestamp="([^"]+)"/, 'timestamp="$1Z"'),
    xml.replace('<properties>', '<props>').replace('</properties>', '</props>'),
  ];
  for (const doc of broken) {
    assert.is.not(doc, xml);
    const r = validate(doc);
    assert.not.ok(r.ok, `accepted:\n${doc.slice(0, 400)}`);
    assert.match(r.output, 'fails to validate');
  }
});

test('one testsuite per scenario with a testcase per check; counts match the checks', () => {
  const xml = renderJUnit(failingRun);
  const checks = failingRun.scenarios[0]!.checks;
  const suite = '//testsuite[@name="master-failover"]';
  assert.is(xpath(xml, `string(${suite}/@tests)`), String(checks.length));
  assert.is(xpath(xml, `string(${suite}/@failures)`), String(checks.filter((c) => c.status === 'fail').length));
  assert.is(xpath(xml, `string(${suite}/@skipped)`), '1');
  assert.is(
    xpath(xml, `count(${suite}/testcase[@classname="redis-cluster-resilience.master-failover"])`),
    String(checks.length),
  );
  assert.is(xpath(xml, `string(${suite}/testcase[@name="rejoined-as-replica"]/skipped/@message)`), checks[3]!.summary);
  // The failure carries the evidence.
  assert.match(xpath(xml, `string(${suite}/testcase[@name="data-intact"]/failure)`), '"rcr:{a}:000812"');
  // The scenario's own clock; the lint suite carries the run's start.
  assert.is(xpath(xml, `string(${suite}/@timestamp)`), '2026-11-25T20:43:44');
  assert.is(xpath(xml, `string(${suite}/@time)`), '13.418');
  assert.is(xpath(xml, 'string(//testsuite[@name="lint"]/@timestamp)'), '2026-11-25T20:43:17');
  assert.is(xpath(xml, `string(${suite}/properties/property[@name="writes-skipped"]/@value)`), '296');
  assert.match(xpath(xml, `string(${suite}/system-out)`), '1704 attempted, 296 skipped, 1381 acknowledged');
});

test('a scenario recorded without its own clock: the run start, and the span of its timeline', () => {
  const { startedAt: _s, durationMs: _d, ...unclocked } = failingRun.scenarios[0]!;
  const xml = renderJUnit({ ...failingRun, scenarios: [unclocked] });
  assert.ok(validate(xml).ok);
  assert.is(xpath(xml, 'string(//testsuite[@name="master-failover"]/@timestamp)'), '2026-11-25T20:43:17');
  assert.is(xpath(xml, 'string(//testsuite[@name="master-failover"]/@time)'), '11.703');
});

test('messages survive escaping: | < & " and a line break come back as written', () => {
  const xml = renderJUnit(failingRun);
  const summary = failingRun.scenarios[0]!.checks[2]!.summary;
  assert.match(summary, /[|<&\n]/);
  const message = xpath(xml, 'string(//testcase[@name="node-id-kept"]/failure/@message)');
  assert.is(message, summary);
  assert.match(
    xpath(xml, 'string(//testcase[@name="node-id-kept"]/failure)'),
    'a ``` fence and a </failure> tag & a \\"quote\\"',
  );
});

test('control characters become visible text, so the document stays XML', () => {
  const xml = renderJUnit(errorRun);
  assert.ok(xmllint(['--noout'], xml).ok);
  // eslint-disable-next-line no-control-regex -- no control character may reach the output: matching them is the point
  assert.not.match(xml, /[\u0007\u001b]/);
  assert.match(xpath(xml, 'string(//testcase[@name="run-finished"]/error/@message)'), '\\u0007bell \\u001b[31mred');
});

test('lint: one failing testcase per error finding; one passing testcase when there are none', () => {
  const errors = errorRun.lint.filter((f) => f.severity === 'error');
  const xml = renderJUnit(errorRun);
  assert.is(xpath(xml, 'count(//testsuite[@name="lint"]/testcase/failure[@type="lint-error"])'), String(errors.length));
  assert.is(
    xpath(xml, 'string(//testsuite[@name="lint"]/testcase[1]/@name)'),
    'apiversion-removed test/fixtures/seed/statefulset.yaml:1:1',
  );
  const clean = renderJUnit(passingRun);
  assert.is(xpath(clean, 'count(//testsuite[@name="lint"]/testcase)'), '1');
  assert.is(xpath(clean, 'count(//testsuite[@name="lint"]/testcase/*)'), '0');
});

test('a run that broke before any scenario is an error testcase, not a green report', () => {
  const xml = renderJUnit(errorRun);
  assert.is(xpath(xml, 'string(//testsuite[@name="run"]/@errors)'), '1');
  const gated: Report = {
    ...errorRun,
    verdict: 'fail',
    error: 'lint found 7 finding(s) at or above --fail-on-lint error; nothing was deployed',
  };
  const gatedXml = renderJUnit(gated);
  assert.is(xpath(gatedXml, 'string(//testsuite[@name="run"]/@failures)'), '1');
  assert.ok(validate(gatedXml).ok);
});

test('a run cancelled before any scenario is an error of type run-cancelled, not a failure', () => {
  const cancelled: Report = {
    ...errorRun,
    verdict: 'cancelled',
    error: 'cancelled by SIGTERM while bootstrapping the Redis Cluster',
  };
  const xml = renderJUnit(cancelled);
  assert.ok(validate(xml).ok);
  assert.is(xpath(xml, 'string(//testsuite[@name="run"]/testcase/error/@type)'), 'run-cancelled');
  assert.is(xpath(xml, 'string(//testsuite[@name="run"]/@failures)'), '0');
});

test('a scenario that stopped early shows an error even when no check failed', () => {
  const s = passingRun.scenarios[0]!;
  const stopped: Report = {
    ...passingRun,
    verdict: 'fail',
    scenarios: [
      {
        ...s,
        status: 'fail',
        error: 'timed out after 30.0 s waiting for a replica to own 0-5460',
        checks: [s.checks[0]!],
      },
    ],
  };
  const xml = renderJUnit(stopped);
  assert.ok(validate(xml).ok);
  assert.is(xpath(xml, 'string(//testsuite[@name="master-failover"]/@errors)'), '1');
});

test('each check testcase carries the time its scenario took to decide it (ms after the fault), not 0', () => {
  const xml = renderJUnit(passingRun);
  const time = (name: string) =>
    xpath(xml, `string(//testsuite[@name="master-failover"]/testcase[@name="${name}"]/@time)`);
  assert.is(time('replica-promoted'), '7.108');
  assert.is(time('pod-recreated'), '9.870');
  assert.is(time('rejoined-as-replica'), '10.061');
  assert.is(time('cluster-healthy'), '10.183');
  // Budgets and read-backs have no event of their own: the scenario's end, its last event.
  assert.is(time('max-lost-writes'), '10.183');
});

test('lint testcases carry file and line, so annotation actions can place them', () => {
  const xml = renderJUnit(errorRun);
  assert.ok(validate(xml).ok, validate(xml).output);
  assert.is(xpath(xml, 'string(//testsuite[@name="lint"]/testcase[1]/@file)'), 'test/fixtures/seed/statefulset.yaml');
  assert.is(xpath(xml, 'string(//testsuite[@name="lint"]/testcase[1]/@line)'), '1');
  assert.is(xpath(xml, 'string(//testsuite[@name="lint"]/testcase[last()]/@line)'), '7');
});

test('properties are named in one style (kebab-case)', () => {
  for (const report of Object.values(samples)) {
    const names = [...renderJUnit(report).matchAll(/<property name="([^"]+)"/g)].map((m) => m[1]!);
    for (const name of names) assert.match(name, /^[a-z]+(-[a-z]+)*$/, name);
  }
  assert.match(renderJUnit(passingRun), '<property name="failover-ms" value="7108"/>');
});

test.run();
