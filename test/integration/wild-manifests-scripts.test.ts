/**
 * Manifests in the shapes found in the wild, each through the whole check on the local platform with real
 * redis-server: a wrapper script that rewrites nodes.conf then execs Redis (and the sandbox's walls around it),
 * a config an init container renders, a config the container writes itself, a wrapper that needs an env var the
 * pod never sets, an init container of the Redis image. The rest: wild-manifests.test.ts. Each run has its own
 * loopback /24.
 */
import { existsSync, statSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runMasterFailover } from '../../src/scenarios/master-failover.ts';
import { waitFor } from '../../src/util/wait.ts';
import { assertPassed, checkRuns } from '../support/check-runs.ts';
import { deployCluster, testLog } from './failover-cluster.ts';

const check = checkRuns(test);

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
    // The headless Service lists a pod once it is ready (its readiness probe polled, not the server's start), as
    // the cluster DNS does: wait for the recreated pod's record before looking (seen missing under load).
    await waitFor(
      "redis-cluster-0's DNS record at its new address, seen from redis-cluster-1",
      async () => {
        const r = await c.platform.exec('redis-cluster-1', [
          'sh',
          '-c',
          'getent hosts redis-cluster-0.redis-cluster.default.svc.cluster.local | cut -d" " -f1',
        ]);
        return r.output.trim() === after.ip ? { done: true, value: undefined } : { done: false, seen: r.output.trim() };
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
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

test.run();
