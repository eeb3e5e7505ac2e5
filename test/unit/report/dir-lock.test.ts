// One run at a time in a report dir: two runs writing one report dir at once mixed their files (issue 25).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTime } from '../../../src/platform/local/process.ts';
import { lockReportDir, REPORT_LOCK_FILE } from '../../../src/report/dir-lock.ts';
import { inputErrorOf } from '../../support/input-error.ts';
import { localCheck, runNode } from '../../support/run-node.ts';
import { beforeAll } from '../../support/setup.ts';

let base = '';
beforeAll(test, () => {
  base = mkdtempSync(join(tmpdir(), 'rcr-lock-'));
});
test.after(() => rmSync(base, { recursive: true, force: true }));

test('a second lock while the first is held is refused naming the holder; released, the dir is free again', () => {
  const dir = join(base, 'a');
  const release = lockReportDir(dir);
  assert.match(
    inputErrorOf(() => lockReportDir(dir)),
    new RegExp(`in use by another run \\(pid ${process.pid}`),
  );
  release();
  assert.not.ok(existsSync(join(dir, REPORT_LOCK_FILE)));
  lockReportDir(dir)();
});

test('a stale lock (its process is gone) is taken over; a link planted as the lock is removed, not followed', () => {
  const dir = join(base, 'b');
  mkdirSync(dir);
  writeFileSync(join(dir, REPORT_LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 1, start: '1' }));
  lockReportDir(dir)();
  const victim = join(base, 'victim');
  writeFileSync(victim, 'untouched');
  symlinkSync(victim, join(dir, REPORT_LOCK_FILE));
  const release = lockReportDir(dir);
  assert.is(readFileSync(victim, 'utf8'), 'untouched');
  release();
});

test('the CLI refuses a report dir another live run holds (exit 2), before anything runs', async () => {
  const dir = join(base, 'c');
  mkdirSync(dir);
  writeFileSync(join(dir, REPORT_LOCK_FILE), JSON.stringify({ pid: process.pid, start: startTime(process.pid) }));
  const run = await runNode(['--import', 'tsx', 'src/cli.ts', ...localCheck('manifests', dir)], {}, 60_000);
  assert.is(run.code, 2, run.stderr);
  assert.match(run.stderr, /report-dir .* is in use by another run/);
  assert.ok(existsSync(join(dir, REPORT_LOCK_FILE)), "the other run's lock stays");
});

test.run();
