/**
 * Manifests in the shapes found in the wild, each through the whole check on the local platform with real
 * redis-server: a wrapper script that rewrites nodes.conf then execs Redis, a config an init container renders,
 * a password from a Secret (and in no output, report or log line), claims without a storage class; the default
 * manifests in both local modes; and the sandbox's walls. Each run has its own loopback /24.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, statSync } from 'node:fs';
import { parseConfig } from '../../src/config.ts';
import { runMasterFailover } from '../../src/scenarios/master-failover.ts';
import { deployCluster, testLog } from './failover-cluster.ts';
import { redisDeployment } from '../../src/manifests/deployment.ts';
import { loadManifests } from '../../src/manifests/load.ts';
import { objectAt } from '../../src/manifests/object-path.ts';
import { createLocalPlatform } from '../../src/platform/local.ts';
import { silentLog } from '../../src/util/log.ts';
import { runCheck } from '../../src/pipeline/check.ts';
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
}

function assertPassed(r: Run): void {
  assert.is(r.report.verdict, 'pass', `${r.report.error ?? ''}\n${r.lines.join('\n')}`);
  const checks = r.report.scenarios[0]!.checks.map((c) => `${c.id}:${c.status}`);
  for (const id of [
    'replica-promoted',
    'pod-recreated',
    'node-id-kept',
    'rejoined-as-replica',
    'cluster-healthy',
    'data-intact',
  ]) {
    assert.ok(checks.includes(`${id}:pass`), `${id} in ${checks.join(', ')}`);
  }
}

test('a password from a Secret: every connection logs in with it, and it appears in no log line or report file', async () => {
  const r = await check('test/fixtures/manifests/password-secret', '127.0.91', { 'local-mode': 'sandbox' });
  assertPassed(r);
  assert.is(r.report.localMode, 'sandbox');
  assert.ok(
    r.lines.some((l) =>
      /Redis password: from redis-server argument --requirepass .* via env REDIS_PASSWORD from Secret redis-auth key password/.test(
        l,
      ),
    ),
    r.lines.join('\n'),
  );
  // Not even the raw log lines (before the CLI's and the action's redaction) carry it.
  assert.not.ok(r.lines.join('\n').includes(PASSWORD), 'log lines');
  assert.ok(Object.keys(r.files).length >= 4, Object.keys(r.files).join(', '));
  for (const [name, text] of Object.entries(r.files))
    assert.not.ok(text.includes(PASSWORD), `${name} shows the password`);
});

test('a wrong password is a clear error naming where it came from, without the password', async () => {
  const r = await check('test/fixtures/manifests/password-secret', '127.0.92', {
    'redis-password': 'not-the-password',
  });
  assert.is(r.report.verdict, 'error');
  assert.match(r.report.error!, /Redis refused the password from the redis-password input/);
  for (const [name, text] of Object.entries(r.files))
    assert.not.ok(text.includes('not-the-password'), `${name} shows the password`);
});

test('a wrapper script (ConfigMap, defaultMode 0755) rewrites nodes.conf and execs redis-server: failover passes in the sandbox; the pods cannot see or write outside their own view', async () => {
  const c = await deployCluster(
    'test/fixtures/manifests/wrapper-script',
    '127.0.93',
    { masters: 3, replicasPerMaster: 1 },
    1000,
    'sandbox',
  );
  try {
    assert.is(c.platform.localMode(), 'sandbox');
    const hostsFile = c.platform.hostPath('redis-cluster-1', '/').replace(/\/rootfs\/?$/, '/hosts');
    const hostsInode = statSync(hostsFile).ino;
    const r = await runMasterFailover(
      { platform: c.platform, redis: c.redis, log: testLog },
      {
        holdRestart: true,
        killMode: 'graceful',
        writeRate: 100,
        writeWait: false,
        failoverTimeoutMs: 60_000,
        rejoinTimeoutMs: 60_000,
        thresholds: { maxLostWrites: 0 },
        expected: c.expected,
        victim: 'redis-cluster-0',
      },
    );
    assert.is(
      r.status,
      'pass',
      `${r.error ?? ''} ${r.checks.map((x) => `${x.id}:${x.status} ${x.summary}`).join('\n')}`,
    );
    const after = (await c.platform.listPods()).find((p) => p.name === r.victim.pod)!;
    // The script ran on the restart: it found the old address on the myself line and wrote the new one.
    const log = await c.platform.readPersistentFile(r.victim.pod, '/data/update-node.log');
    assert.ok(log?.includes(`${r.victim.pod} myself ${r.victim.ip} -> ${after.ip}`), `update-node.log: ${log}`);
    const myself = String(await c.platform.readPersistentFile(r.victim.pod, '/data/nodes.conf'))
      .split('\n')
      .find((l) => l.includes('myself'));
    assert.ok(myself?.startsWith(`${r.victim.nodeId} ${after.ip}:6379@16379 myself`), `myself line: ${myself}`);

    // The other pods' /etc/hosts was rewritten in place (a running sandbox's bind mount keeps the inode).
    assert.is(statSync(hostsFile).ino, hostsInode);
    const view = await c.platform.exec('redis-cluster-1', [
      'sh',
      '-c',
      [
        'hostname',
        'getent hosts redis-cluster-0.redis-cluster.default.svc.cluster.local | cut -d" " -f1',
        'redis-cli -h "$(hostname)" ping',
        `test -e ${JSON.stringify(c.platform.hostPath('redis-cluster-0', '/data'))} && echo sees-other-pod-volume`,
        `test -e ${JSON.stringify(hostsFile)} && echo sees-host-work-dir`,
        'touch /usr/bin/rcr-probe 2>/dev/null && echo wrote-usr',
        '(echo x >> /etc/passwd) 2>/dev/null && echo wrote-etc-passwd',
        'touch /conf/x 2>/dev/null && echo wrote-configmap',
        'echo mine > /rcr-probe && echo wrote-own-root',
        'echo mine > /data/rcr-probe && echo wrote-own-volume',
      ].join('; '),
    ]);
    assert.is(view.code, 0, view.output);
    assert.equal(view.output.trim().split('\n'), [
      'redis-cluster-1',
      after.ip,
      'PONG',
      'wrote-own-root',
      'wrote-own-volume',
    ]);
    // What it wrote landed in its own directories, nowhere else.
    assert.ok(existsSync(c.platform.hostPath('redis-cluster-1', '/rcr-probe')));
    assert.ok(existsSync(c.platform.hostPath('redis-cluster-1', '/data/rcr-probe')));
    assert.not.ok(existsSync(c.platform.hostPath('redis-cluster-0', '/data/rcr-probe')));
    assert.not.ok(existsSync('/usr/bin/rcr-probe'));
  } finally {
    assert.equal(await c.teardown(), [], 'no process left');
  }
});

test('a config an init container renders from a template: passes in sandbox mode; direct mode refuses it naming bubblewrap', async () => {
  const r = await check('test/fixtures/manifests/init-config', '127.0.94', { 'local-mode': 'sandbox' });
  assertPassed(r);
  assert.is(r.report.localMode, 'sandbox');
  const direct = await check('test/fixtures/manifests/init-config', '127.0.95', { 'local-mode': 'direct' });
  assert.is(direct.report.verdict, 'error');
  assert.match(
    direct.report.error!,
    /direct mode\) cannot run StatefulSet redis-app: .*init container config writes at start.*Install bubblewrap .*or use platform kind/,
  );
});

test('a config the container writes itself (a here-document in sh -c, then exec through a wrapper): read for its directives, no refusal, failover passes in the sandbox', async () => {
  const r = await check('test/fixtures/manifests/heredoc-config', '127.0.101', { 'local-mode': 'sandbox' });
  assertPassed(r);
  assert.ok(
    r.report.lint.some((f) => f.rule === 'redis-launch' && f.message.includes('own script writes at start')),
    'lint says where the config comes from',
  );
  assert.not.ok(
    r.report.lint.some((f) => f.severity === 'error'),
    'no refusal, no error finding',
  );
});

test('a wrapper script that needs an env var the pod never sets (POD_IP): lint warns at its line; the restarted pod exits, and pod-recreated and rejoined-as-replica fail naming the exit and its last log line', async () => {
  const r = await check('test/fixtures/manifests/wrapper-needs-env', '127.0.102', { 'local-mode': 'sandbox' });
  const lint = r.report.lint.find((f) => f.rule === 'env-undefined');
  assert.ok(lint, 'env-undefined finding');
  assert.match(`${lint.at?.file ?? ''}:${lint.at?.line ?? 0}`, /wrapper-needs-env\/configmap\.yaml:13$/);
  assert.is(r.report.verdict, 'fail');
  const checks = Object.fromEntries(r.report.scenarios[0]!.checks.map((c) => [c.id, c]));
  for (const id of ['pod-recreated', 'rejoined-as-replica'] as const) {
    assert.is(checks[id]?.status, 'fail', `${id}: ${checks[id]?.summary ?? ''}`);
    assert.match(checks[id]!.summary, /exited with code 1[\s\S]*Unable to determine Pod IP address!/);
  }
});

test("an init container of the Redis image that mounts no /data starts in the image's WORKDIR /data; failover passes", async () => {
  // Before: bwrap: Can't chdir to /data (the sandbox's root had no /data), and every pod failed to start.
  assertPassed(await check('test/fixtures/manifests/init-redis-image', '127.0.103', { 'local-mode': 'sandbox' }));
});

test('claims without storageClassName and no PersistentVolumes: a directory per claim, kept across the restart', async () => {
  const r = await check('test/fixtures/manifests/dynamic-claims', '127.0.96');
  assertPassed(r);
  assert.ok(
    r.report.lint.some((f) => f.rule === 'pv-binding' && f.severity === 'info'),
    'lint reasons about dynamic provisioning',
  );
});

test('a command only the image has (its own entrypoint script): the sandbox says so and points to platform kind', async () => {
  const set = await loadManifests('test/fixtures/manifests/wrapper-script');
  const sts = set.objects.find((o) => o.kind === 'StatefulSet')!;
  const body = structuredClone(sts.body);
  objectAt(body, ['spec', 'template', 'spec', 'containers', 0]).command = [
    '/opt/bitnami/scripts/redis-cluster/entrypoint.sh',
    '/run.sh',
  ];
  const imageOnly = { ...set, objects: set.objects.map((o) => (o === sts ? { ...o, body } : o)) };
  const workDir = await mkdtemp(join(tmpdir(), 'rcr-wild-image-'));
  const platform = createLocalPlatform({ log: silentLog, workDir }, { addressBase: '127.0.98', mode: 'sandbox' });
  try {
    const err = await platform.deploy(imageOnly, { ...redisDeployment(imageOnly), replicas: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.match(
      String(err),
      /\/opt\/bitnami\/scripts\/redis-cluster\/entrypoint\.sh exists only in the container image, not on this host; use platform kind/,
    );
  } finally {
    await platform.teardown();
    assert.equal(platform.processIds(), []);
    await rm(workDir, { recursive: true, force: true });
  }
});

test('a password from a Secret: the peer re-discovery logs in with it, and the cluster re-forms after a whole restart', async () => {
  const r = await check('test/fixtures/manifests/password-secret', '127.0.99', {
    'local-mode': 'sandbox',
    scenario: 'cluster-restart',
    'kill-mode': 'kill',
    // Every pod rescheduled at once: one StatefulSet's preferred anti-affinity may put a master and its replica
    // on one emulated node (docs/design.md, Placement); what this case checks is the password and the re-form.
    placement: 'warn',
  });
  const s = r.report.scenarios[0]!;
  const why = `${r.report.error ?? ''}\n${s.checks.map((c) => `${c.id} ${c.status}: ${c.summary}`).join('\n')}`;
  assert.is(r.report.verdict, 'pass', why);
  assert.ok(
    s.checks.some((c) => c.id === 'cluster-reformed' && c.status === 'pass'),
    why,
  );
  for (const [name, text] of Object.entries(r.files))
    assert.not.ok(text.includes(PASSWORD), `${name} shows the password`);
  assert.not.ok(r.lines.join('\n').includes(PASSWORD), 'log lines');
});

test('the default manifests pass in direct mode too (and the report says which mode ran)', async () => {
  const r = await check('manifests', '127.0.97', { 'local-mode': 'direct' });
  assertPassed(r);
  assert.is(r.report.localMode, 'direct');
});

test.run();
