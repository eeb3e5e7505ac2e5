/**
 * Manifests in the shapes found in the wild, each through the whole check on the local platform with real
 * redis-server: a password from a Secret (and in no output, report or log line). Each run is the pipeline the
 * CLI runs, with its own loopback /24.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../src/config.ts';
import { runCheck } from '../../src/pipeline.ts';
import type { Report } from '../../src/report/model.ts';
import { writeReports } from '../../src/report/write.ts';
import type { Log } from '../../src/util/log.ts';
import { beforeAll } from '../support/setup.ts';

const PASSWORD = 'rcr-test-password-7f3a'; // test/fixtures/manifests/password-secret/secret.yaml, base64-decoded

let dir = '';
beforeAll(test, async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-wild-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  report: Report;
  /** Every log line, as the log saw it (the CLI's stderr redacts on top of this). */
  lines: string[];
  /** Every report file's text. */
  files: Record<string, string>;
}

async function check(manifests: string, addressBase: string, flags: Record<string, string> = {}): Promise<Run> {
  const lines: string[] = [];
  const log: Log = { info: (m) => lines.push(m), warn: (m) => lines.push(m), progress: (m) => lines.push(m) };
  const reportDir = join(dir, addressBase);
  const config = parseConfig('check', { platform: 'local', manifests, 'write-rate': '100', 'report-dir': reportDir, ...flags }, 'flag', 'manifests');
  const report = await runCheck(config, { log, addressBase });
  await writeReports(report, reportDir);
  const files: Record<string, string> = {};
  for (const f of await readdir(reportDir)) files[f] = await readFile(join(reportDir, f), 'utf8');
  return { report, lines, files };
}

function assertPassed(r: Run): void {
  assert.is(r.report.verdict, 'pass', `${r.report.error ?? ''}\n${r.lines.join('\n')}`);
  const checks = r.report.scenarios[0]!.checks.map((c) => `${c.id}:${c.status}`);
  for (const id of ['replica-promoted', 'pod-recreated', 'node-id-kept', 'rejoined-as-replica', 'cluster-healthy', 'data-intact']) {
    assert.ok(checks.includes(`${id}:pass`), `${id} in ${checks.join(', ')}`);
  }
}

test('a password from a Secret: every connection logs in with it, and it appears in no log line or report file', async () => {
  const r = await check('test/fixtures/manifests/password-secret', '127.0.91');
  assertPassed(r);
  assert.ok(r.lines.some((l) => /Redis password: from redis-server argument --requirepass .* via env REDIS_PASSWORD from Secret redis-auth key password/.test(l)), r.lines.join('\n'));
  // Not even the raw log lines (before the CLI's and the action's redaction) carry it.
  assert.not.ok(r.lines.join('\n').includes(PASSWORD), 'log lines');
  assert.ok(Object.keys(r.files).length >= 4, Object.keys(r.files).join(', '));
  for (const [name, text] of Object.entries(r.files)) assert.not.ok(text.includes(PASSWORD), `${name} shows the password`);
});

test('a wrong password is a clear error naming where it came from, without the password', async () => {
  const r = await check('test/fixtures/manifests/password-secret', '127.0.92', { 'redis-password': 'not-the-password' });
  assert.is(r.report.verdict, 'error');
  assert.match(r.report.error!, /Redis refused the password from the redis-password input/);
  for (const [name, text] of Object.entries(r.files)) assert.not.ok(text.includes('not-the-password'), `${name} shows the password`);
});

test.run();
