/**
 * A run that fails leaves its evidence: the seed post's topology (one master with every slot, two replicas)
 * cannot fail over, so the check fails; the report dir must then hold each node's CLUSTER NODES and CLUSTER INFO
 * and every pod incarnation's Redis log (the work dir with the originals is gone after the run), each within
 * the size bound, and summary.md must name them.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULTS, type Config } from '../../src/config.ts';
import { runCheck } from '../../src/pipeline/check.ts';
import { MAX_EVIDENCE_BYTES } from '../../src/platform/evidence-sink.ts';
import { writeReports } from '../../src/report/write.ts';
import { testLog } from './failover-cluster.ts';

let dir = '';
test.after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("seed topology, failing: every pod log and each node's CLUSTER NODES in the report dir, named by the summary", async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-evidence-'));
  const config: Config = {
    ...DEFAULTS,
    command: 'check',
    platform: 'local',
    manifests: 'test/fixtures/manifests/seed-topology',
    reportDir: dir,
    failOnLint: 'never',
    failoverTimeoutMs: 15_000,
    rejoinTimeoutMs: 30_000,
    writeRate: 50,
  };
  const report = await runCheck(config, { log: testLog, addressBase: '127.0.77' });
  await writeReports(report, dir);
  assert.is(report.verdict, 'fail', report.error);
  const evidence = report.evidence ?? [];
  for (const pod of ['redis-app-0', 'redis-app-1', 'redis-app-2']) {
    assert.ok(
      evidence.includes(`evidence/redis/${pod}.cluster-nodes.txt`),
      `${pod} CLUSTER NODES listed: ${evidence.join(', ')}`,
    );
    assert.ok(evidence.includes(`evidence/redis/${pod}.cluster-info.txt`), `${pod} CLUSTER INFO listed`);
    assert.match(await readFile(join(dir, 'evidence/redis', `${pod}.cluster-nodes.txt`), 'utf8'), /myself/);
    assert.ok(
      evidence.some((f) => new RegExp(`^evidence/logs/${pod}\\.\\d+\\.log$`).test(f)),
      `${pod} log listed`,
    );
  }
  // The victim ran twice (deleted, then back after the hold): both incarnations' logs are kept.
  const logs = (await readdir(join(dir, 'evidence/logs'))).sort();
  assert.ok(logs.length >= 4, `one log per incarnation: ${logs.join(', ')}`);
  for (const f of logs) {
    const text = await readFile(join(dir, 'evidence/logs', f), 'utf8');
    assert.ok((await stat(join(dir, 'evidence/logs', f))).size <= MAX_EVIDENCE_BYTES + 200, `${f} bounded`);
    assert.match(text, /Redis|redis/, `${f} is a Redis log`);
  }
  const summary = await readFile(join(dir, 'summary.md'), 'utf8');
  assert.match(summary, /### Evidence/);
  for (const f of evidence) assert.ok(summary.includes(f), `summary names ${f}`);
});

test.run();
