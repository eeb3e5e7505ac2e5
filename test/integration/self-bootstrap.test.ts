/**
 * Clusters that form themselves: the manifests' own Job runs `redis-cli --cluster create` on the pods' IPs (found
 * with getent through the headless Service), run by the local platform in the pod sandbox as Kubernetes runs a
 * Job; the check waits for the formed cluster and runs master-failover on it. A Job that cannot form the cluster
 * ends the wait with its own log line as the cause; `bootstrap: tool` does not run the Job. Real redis-server.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../src/config.ts';
import { runCheck } from '../../src/pipeline/check.ts';
import type { Report } from '../../src/report/model.ts';
import { writeReports } from '../../src/report/write.ts';
import type { Log } from '../../src/util/log.ts';
import { beforeAll } from '../support/setup.ts';

let dir = '';
beforeAll(test, async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-selfboot-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function check(manifests: string, addressBase: string, flags: Record<string, string> = {}) {
  const lines: string[] = [];
  const log: Log = { info: (m) => lines.push(m), warn: (m) => lines.push(m), progress: (m) => lines.push(m) };
  const reportDir = join(dir, addressBase);
  const config = parseConfig(
    'check',
    { platform: 'local', 'local-mode': 'sandbox', manifests, 'write-rate': '100', 'report-dir': reportDir, ...flags },
    'flag',
    'manifests',
  );
  const report: Report = await runCheck(config, { log, addressBase });
  await writeReports(report, reportDir);
  const summary = await readFile(join(reportDir, 'summary.md'), 'utf8');
  // Nothing of the run is left: no Redis pod, no Job sandbox on its addresses.
  const left = execFileSync('sh', ['-c', `pgrep -af '${addressBase.replaceAll('.', '\\.')}\\.' || true`], {
    encoding: 'utf8',
  }).trim();
  assert.is(left, '', `processes left on ${addressBase}`);
  return { report, lines, summary };
}

test('a Job that creates the cluster on the pods IPs: the run waits for it, reports it and passes master-failover', async () => {
  const r = await check('test/fixtures/manifests/job-bootstrap', '127.0.161');
  assert.is(r.report.verdict, 'pass', `${r.report.error ?? ''}\n${r.lines.join('\n')}`);
  assert.is(r.report.bootstrap?.source, 'by the manifests (Job redis-cluster-create)');
  // The topology is the formed cluster's: redis-cli --cluster create --cluster-replicas 1 on six pods.
  assert.is(r.report.bootstrap?.masters, 3);
  assert.is(r.report.bootstrap?.replicasPerMaster, 1);
  assert.ok(r.summary.includes('Bootstrap by the manifests (Job redis-cluster-create)'), r.summary.slice(0, 800));
  assert.ok(
    r.lines.some((l) => l.includes('Job redis-cluster-create succeeded')),
    r.lines.join('\n'),
  );
  // The tool sent no bootstrap command of its own.
  assert.not.ok(r.lines.some((l) => l.includes('Bootstrapping Redis Cluster')));
});

test('a Job that cannot form the cluster: the run fails at once with the Job log line as the cause, and what each node showed', async () => {
  const started = Date.now();
  const r = await check('test/fixtures/manifests/job-bootstrap-fails', '127.0.162');
  assert.is(r.report.verdict, 'error');
  const error = r.report.error ?? '';
  assert.match(error, /Job redis-cluster-create failed: BackoffLimitExceeded: 2 failed pod\(s\), backoffLimit 1/);
  assert.match(error, /Could not connect to Redis at 127\.0\.162\.\d+:6390: Connection refused/);
  assert.match(error, /127\.0\.162\.1:6379: cluster_state:fail, cluster_known_nodes:1, cluster_slots_assigned:0/);
  assert.equal(r.report.scenarios, []);
  // Ended by the Job's failure (two pods, a 1 s back-off), not by the 180 s bound.
  assert.ok(Date.now() - started < 90_000, `took ${Date.now() - started} ms`);
});

test('bootstrap tool: the Job is not run, the tool forms the cluster, and the report says so', async () => {
  const r = await check('test/fixtures/manifests/job-bootstrap', '127.0.163', { bootstrap: 'tool' });
  assert.is(r.report.verdict, 'pass', `${r.report.error ?? ''}\n${r.lines.join('\n')}`);
  assert.is(r.report.bootstrap?.source, 'by the tool');
  assert.ok(
    r.report.notes?.includes(
      'bootstrap tool: Job redis-cluster-create forms the cluster itself and is not run (the tool forms it instead)',
    ),
    JSON.stringify(r.report.notes),
  );
  assert.not.ok(
    r.lines.some((l) => l.includes('running Job redis-cluster-create')),
    r.lines.join('\n'),
  );
});

test('a postStart hook of the Redis container that creates the cluster: run in the pod, waited for, passes', async () => {
  const r = await check('test/fixtures/manifests/poststart-bootstrap', '127.0.164');
  assert.is(r.report.verdict, 'pass', `${r.report.error ?? ''}\n${r.lines.join('\n')}`);
  assert.is(r.report.bootstrap?.source, 'by the manifests (postStart hook of container redis (StatefulSet redis-app))');
  assert.is(r.report.bootstrap?.masters, 3);
});

test.run();
