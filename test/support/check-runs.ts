// A whole `check` on the local platform with real redis-server, its log lines and every report file kept, for the
// wild-manifests suites (split in files that run side by side: each case is a run of its own).
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../src/config.ts';
import { runCheck } from '../../src/pipeline/check.ts';
import type { Report } from '../../src/report/model.ts';
import { writeReports } from '../../src/report/write.ts';
import type { Log } from '../../src/util/log.ts';
import { assertChecksPassed } from './failover-checks.ts';
import { beforeAll } from './setup.ts';

export interface Run {
  report: Report;
  /** Every log line, as the log saw it (the CLI's stderr redacts on top of this). */
  lines: string[];
  /** Every report file's text. */
  files: Record<string, string>;
}

/** A suite's checks, each with its report dir in a temporary dir made before the tests and removed after them. */
export function checkRuns(
  test: Test,
): (manifests: string, addressBase: string, flags?: Record<string, string>) => Promise<Run> {
  let dir = '';
  beforeAll(test, async () => {
    dir = await mkdtemp(join(tmpdir(), 'rcr-wild-'));
  });
  test.after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return async (manifests, addressBase, flags = {}) => {
    const lines: string[] = [];
    const log: Log = { info: (m) => lines.push(m), warn: (m) => lines.push(m), progress: (m) => lines.push(m) };
    const reportDir = join(dir, addressBase);
    const config = parseConfig(
      'check',
      { platform: 'local', manifests, 'write-rate': '100', 'report-dir': reportDir, ...flags },
      'flag',
      'manifests',
    );
    const report = await runCheck(config, { log, addressBase });
    await writeReports(report, reportDir);
    const files: Record<string, string> = {};
    // Every file, evidence included (pod logs, CLUSTER NODES, nodes.conf copies).
    for (const f of await readdir(reportDir, { recursive: true })) {
      if ((await stat(join(reportDir, f))).isFile()) files[f] = await readFile(join(reportDir, f), 'utf8');
    }
    return { report, lines, files };
  };
}

/** The run passed master-failover with every check of the failover and the data. */
export function assertPassed(r: Run): void {
  assert.is(r.report.verdict, 'pass', `${r.report.error ?? ''}\n${r.lines.join('\n')}`);
  assertChecksPassed(r.report.scenarios[0]!.checks);
}
