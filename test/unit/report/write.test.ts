import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
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
import { checkReportDir, writeReports } from '../../../src/report/write.ts';
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
