/**
 * The same check on Redis and on Valkey, in one run of the suite: `check --platform local` from source on the
 * default manifests (redis-server) and on examples/valkey (valkey-server), each a real cluster of 6 processes
 * through master-failover. Every check must pass, and each report must name the server and version that ran, as
 * the server binary itself reports it. Valkey also runs replica-loss, rolling-restart and master-pause in one check.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Report } from '../../src/report/model.ts';
import { FAILOVER_CHECKS } from '../support/failover-checks.ts';
import { localCheck, runNode } from '../support/run-node.ts';
import { beforeAll } from '../support/setup.ts';

const SERVERS = [
  { manifests: 'manifests', name: 'Redis', program: 'redis-server' },
  { manifests: 'examples/valkey', name: 'Valkey', program: 'valkey-server' },
] as const;
const CHECKS = [
  ...FAILOVER_CHECKS,
  // judged by the pipeline after every scenario: the default manifests on 3 emulated nodes keep every shard on two
  'placement',
];

let dir = '';
beforeAll(test, async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-servers-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** "7.0.15" from "Redis server v=7.0.15 sha=…", "8.0.1" from "Valkey server v=8.0.1 sha=…". */
async function versionOf(program: string): Promise<string> {
  const { stdout } = await promisify(execFile)(program, ['--version'], { timeout: 10_000 });
  const v = /v=(\d+\.\d+\.\d+)/.exec(stdout)?.[1];
  assert.ok(v, stdout);
  return v;
}

/** `check --platform local` from source on `manifests`, its reports into `reportDir`. */
const check = (manifests: string, reportDir: string, extra: string[]) =>
  runNode(['--import', 'tsx', 'src/cli.ts', ...localCheck(manifests, reportDir, ...extra)]);

for (const s of SERVERS) {
  test(`check --manifests ${s.manifests}: master-failover passes on real ${s.program}, and every report names ${s.name} and its version`, async () => {
    const version = await versionOf(s.program);
    const ran = `${s.name} ${version}`;
    const reportDir = join(dir, s.name);
    const r = await check(s.manifests, reportDir, ['--write-rate', '100', '--max-lost-writes', '0']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as Report;
    assert.is(report.verdict, 'pass');
    assert.equal(report.server, { name: s.name, version });
    assert.equal(
      report.scenarios[0]!.checks.map((c) => `${c.id}:${c.status}`),
      CHECKS.map((id) => `${id}:pass`),
    );
    assert.ok(r.stdout.split('\n').includes(`server: ${ran} (platform local)`), r.stdout);
    // "Platform local (local-mode sandbox), Valkey 8.0.1, manifests examples/valkey": the mode depends on bwrap.
    const summary = await readFile(join(reportDir, 'summary.md'), 'utf8');
    assert.ok(
      summary.includes(`, ${ran}, manifests ${s.manifests}`) && /Platform local[ ,]/.test(summary),
      summary.slice(0, 600),
    );
    assert.match(await readFile(join(reportDir, 'junit.xml'), 'utf8'), `<property name="server" value="${ran}"/>`);
  });
}

test('check --manifests examples/valkey --scenario replica-loss,rolling-restart,master-pause: every scenario passes on real valkey-server', async () => {
  const reportDir = join(dir, 'valkey-scenarios');
  const scenarios = ['replica-loss', 'rolling-restart', 'master-pause'];
  const r = await check('examples/valkey', reportDir, ['--scenario', scenarios.join(',')]);
  const report = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as Report;
  const failed = report.scenarios.flatMap((sc) =>
    sc.checks.filter((c) => c.status !== 'pass').map((c) => `${sc.name} ${c.id}:${c.status}: ${c.summary}`),
  );
  assert.is(r.code, 0, failed.join('\n') + r.stderr);
  assert.is(report.server?.name, 'Valkey');
  assert.equal(
    report.scenarios.map((sc) => `${sc.name}:${sc.status}`),
    scenarios.map((n) => `${n}:pass`),
  );
  assert.equal(failed, []);
});

test.run();
