import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import * as assert from 'uvu/assert';
import { reportJson } from '../../../src/report/json.ts';
import { renderJUnit } from '../../../src/report/junit.ts';
import { renderMarkdown } from '../../../src/report/markdown.ts';
import { renderTimelineSvg } from '../../../src/report/svg.ts';
import { OPTIONS } from '../../../src/config.ts';
import { timelineSvgFile } from '../../../src/report/svg.ts';
import { checkReportDir, clearReportDir, writeReports } from '../../../src/report/write.ts';
import { errorRun, passingRun } from '../../fixtures/report/samples.ts';

let dir = '';
beforeAll(test, async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-report-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('writes report.json, summary.md, junit.xml and a timeline SVG per scenario into a new nested dir', async () => {
  const out = join(dir, 'a', 'b');
  const files = await writeReports(passingRun, out);
  assert.equal(files, {
    report: join(out, 'report.json'),
    summary: join(out, 'summary.md'),
    junit: join(out, 'junit.xml'),
    sarif: join(out, 'lint.sarif'),
    prComment: join(out, 'pr-comment.md'),
    svg: [join(out, 'timeline-master-failover.svg')],
  });
  assert.is(await readFile(files.report, 'utf8'), reportJson(passingRun));
  assert.is(await readFile(files.summary, 'utf8'), renderMarkdown(passingRun));
  assert.is(await readFile(files.junit, 'utf8'), renderJUnit(passingRun));
  assert.is(await readFile(files.svg[0]!, 'utf8'), renderTimelineSvg(passingRun.scenarios[0]!));
});

test('a run without scenarios writes no SVG; writing twice overwrites', async () => {
  const files = await writeReports(errorRun, dir);
  assert.equal(files.svg, []);
  await writeReports(errorRun, dir);
  assert.is(await readFile(files.report, 'utf8'), reportJson(errorRun));
});

test('checkReportDir: a missing dir under a writable one passes and is not created; a file is refused', async () => {
  const missing = join(dir, 'not', 'yet');
  await checkReportDir(missing);
  assert.is(await stat(join(dir, 'not')).catch(() => undefined), undefined);
  await checkReportDir(dir);
  const file = join(dir, 'plain-file');
  await writeFile(file, '');
  const refusal = (p: string) =>
    checkReportDir(p).then(
      () => 'accepted',
      (err: unknown) => `${(err as Error).name}: ${(err as Error).message}`,
    );
  assert.match(await refusal(file), /^InputError: report-dir .*plain-file: is a file, not a directory/);
  assert.match(
    await refusal(join(file, 'x', 'y')),
    /^InputError: report-dir .*: .*plain-file is a file, not a directory/,
  );
});

test('clearReportDir: a symlink in report-dir (a checked-out repository can hold one) never leads it outside', async () => {
  const outside = join(dir, 'outside');
  await mkdir(join(outside, 'empty'), { recursive: true });
  await writeFile(join(outside, 'precious'), 'not ours');
  const listing = (evidence: string[]) => JSON.stringify({ tool: { name: 'redis-cluster-resilience' }, evidence });
  // evidence/link -> outside, and a report.json listing a path through it.
  const inner = join(dir, 'inner-link');
  await mkdir(join(inner, 'evidence'), { recursive: true });
  await symlink(outside, join(inner, 'evidence', 'link'));
  await writeFile(join(inner, 'report.json'), listing(['evidence/link/precious', 'evidence/link/empty']));
  await clearReportDir(inner);
  // evidence/ itself -> outside.
  const whole = join(dir, 'whole-link');
  await mkdir(whole);
  await symlink(outside, join(whole, 'evidence'));
  await writeFile(join(whole, 'report.json'), listing(['evidence/precious']));
  await clearReportDir(whole);
  assert.equal((await readdir(outside)).sort(), ['empty', 'precious']);
  assert.is(await readFile(join(outside, 'precious'), 'utf8'), 'not ours');
  // What the report lists inside report-dir still goes.
  const plain = join(dir, 'plain');
  await mkdir(join(plain, 'evidence', 'logs'), { recursive: true });
  await writeFile(join(plain, 'evidence', 'logs', 'redis-0.log'), 'old');
  await writeFile(join(plain, 'report.json'), listing(['evidence/logs/redis-0.log']));
  await clearReportDir(plain);
  assert.equal(await readdir(plain), []);
});

test('the docs name the timeline files as they are written: timeline-<scenario>.svg, one per scenario', () => {
  assert.is(timelineSvgFile({ name: 'replica-loss' }), 'timeline-replica-loss.svg');
  const docs = {
    'action.yml': readFileSync(new URL('../../../action.yml', import.meta.url), 'utf8'),
    'README.md': readFileSync(new URL('../../../README.md', import.meta.url), 'utf8'),
    '--report-dir': OPTIONS['report-dir']!.description,
  };
  for (const [where, text] of Object.entries(docs)) {
    const named = text.match(/timeline[^\s`"',)]*\.svg/g) ?? [];
    assert.ok(named.length > 0, `${where} names no timeline file`);
    for (const name of named) assert.is(name, 'timeline-<scenario>.svg', where);
  }
});

test.run();
