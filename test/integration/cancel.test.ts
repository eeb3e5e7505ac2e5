// The CLI cancelled as a user or GitHub cancels it: SIGINT (Ctrl-C, a cancelled job) or SIGTERM (GitHub, 7.5 s
// after its SIGINT) at each stage of a real run on the local platform. Each must end with the signal's exit
// code, a report saying `cancelled`, none of the run's redis-server processes left and no run dir; SIGKILL
// leaves a run dir that `cleanup` or the next run finishes; a run after them passes.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { processRunning } from '../../src/platform/local/process.ts';
import type { Report } from '../../src/report/model.ts';
import { waitFor } from '../../src/util/wait.ts';
import { beforeAll } from '../support/setup.ts';

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** PIDs of the run's redis-server processes, from its "pod … ready … (pid N)" lines. */
  pids: number[];
}

let dir = '';
/** The --work-dir of every run here: what is under it after a run is what the run left behind. */
const runs = () => join(dir, 'runs');
const leftDirs = () => readdir(runs()).catch(() => [] as string[]);
beforeAll(test, async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-cancel-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `cli.ts check --platform local`, sent `sig` as soon as its stderr matches `when`. Bounded at every step. */
async function cliRun(reportDir: string, extra: string[], send?: { sig: NodeJS.Signals; when: RegExp }): Promise<CliRun> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', 'check', '--platform', 'local', '--report-dir', reportDir, '--work-dir', runs(), ...extra],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (d) => {
    stderr += d;
    if (send && !sent && send.when.test(stderr)) {
      sent = true;
      child.kill(send.sig);
    }
  });
  try {
    await waitFor(
      'the CLI run to end',
      async () => (child.exitCode !== null || child.signalCode !== null ? { done: true, value: undefined } : { done: false, seen: stderr.slice(-300) }),
      { timeoutMs: 150_000, intervalMs: 50 },
    );
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  if (send) assert.ok(sent, `the run never printed ${send.when}: ${stderr.slice(-500)}`);
  const pids = [...stderr.matchAll(/ready on \S+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
  return { code: child.exitCode, signal: child.signalCode, stderr, pids };
}

async function cancelled(name: string, sig: NodeJS.Signals, when: RegExp, extra: string[] = []): Promise<{ run: CliRun; report: Report }> {
  const reportDir = join(dir, name);
  const run = await cliRun(reportDir, extra, { sig, when });
  assert.is(run.code, sig === 'SIGINT' ? 130 : 143, run.stderr.slice(-1500));
  assert.match(run.stderr, `redis-cluster-resilience: ${sig} received: cancelling the run`);
  assert.match(run.stderr, `redis-cluster-resilience: cancelled by ${sig}; cleanup done, report written to ${join(reportDir, 'report.json')}`);
  const report = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as Report;
  assert.is(report.verdict, 'cancelled');
  assert.ok(run.pids.length > 0, 'the run started its pods before the signal');
  // The run ended only after its teardown: its processes are already gone, none waited for.
  assert.equal(run.pids.filter(processRunning), [], 'no redis-server of the cancelled run is left');
  assert.equal(await leftDirs(), [], 'the cancelled run removed its run dir');
  return { run, report };
}

test('SIGINT during bootstrap: exit 130, verdict cancelled, no redis-server left', async () => {
  const { report } = await cancelled('bootstrap', 'SIGINT', /Bootstrapping Redis Cluster/);
  assert.match(report.error!, /^cancelled by SIGINT while bootstrapping the Redis Cluster$/);
  assert.is(report.scenarios.length, 0);
});

test('SIGINT during the failover wait: the scenario is cancelled, its checks skipped with the reason', async () => {
  const { report } = await cancelled('failover', 'SIGINT', /Deleting pod /, ['--write-rate', '100']);
  assert.is(report.error, 'cancelled by SIGINT while watching the failover');
  const [s] = report.scenarios;
  assert.is(s?.status, 'cancelled');
  for (const c of s!.checks) {
    assert.is(c.status, 'skipped', c.id);
    assert.is(c.summary, `not reached: ${report.error}`);
  }
});

test('SIGINT during the rejoin: cancelled after the failover', async () => {
  const { report } = await cancelled('rejoin', 'SIGINT', /Path: failover/);
  assert.match(report.error!, /^cancelled by SIGINT while (waiting for pod \S+ to come back|checking pod \S+'s NodeID and rejoin|checking the cluster health)$/);
  assert.is(report.scenarios[0]?.status, 'cancelled');
  assert.ok(report.scenarios[0]!.timeline.some((e) => e.event === 'replica-promoted'), 'the failover was seen before the cancel');
});

test('SIGTERM (GitHub, 7.5 s after its SIGINT): exit 143, verdict cancelled', async () => {
  const { report, run } = await cancelled('sigterm', 'SIGTERM', /Deleting pod /);
  assert.is(report.error, 'cancelled by SIGTERM while watching the failover');
  assert.not.match(run.stderr, /\n\s+at /, 'no stack trace');
});

test('a second SIGINT during the cleanup does not cut it short', async () => {
  const reportDir = join(dir, 'twice');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'check', '--platform', 'local', '--report-dir', reportDir, '--work-dir', runs()], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let sent = 0;
  child.stderr.on('data', (d) => {
    stderr += d;
    // The second as soon as the first is seen: it arrives while the first one's cleanup runs.
    if (sent === 0 && /Deleting pod /.test(stderr)) sent++, child.kill('SIGINT');
    if (sent === 1 && stderr.includes('SIGINT received: cancelling')) sent++, child.kill('SIGINT');
  });
  try {
    await waitFor('the twice-interrupted run to end', async () => (child.exitCode !== null || child.signalCode !== null ? { done: true, value: 0 } : { done: false, seen: stderr.slice(-300) }), {
      timeoutMs: 150_000,
    });
  } finally {
    child.kill('SIGKILL');
  }
  assert.is(child.exitCode, 130, stderr.slice(-1000));
  assert.match(stderr, /SIGINT received: still cleaning up after SIGINT/);
  const report = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as Report;
  assert.is(report.verdict, 'cancelled');
  const pids = [...stderr.matchAll(/ready on \S+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
  assert.equal(pids.filter(processRunning), []);
});

/** A run SIGKILLed during the failover wait: no handler runs, so its run dir stays with its undo journal. */
async function killedRun(name: string): Promise<CliRun> {
  const run = await cliRun(join(dir, name), [], { sig: 'SIGKILL', when: /Deleting pod / });
  assert.is(run.signal, 'SIGKILL');
  // Its redis-servers die with it (setpriv's parent-death signal), a moment after it.
  await waitFor('the killed run\'s redis-servers to die', async () => {
    const alive = run.pids.filter(processRunning);
    return alive.length === 0 ? { done: true, value: undefined } : { done: false, seen: `alive: ${alive.join(', ')}` };
  }, { timeoutMs: 10_000 });
  const left = await leftDirs();
  assert.is(left.length, 1, `one run dir left: ${left.join(', ')}`);
  const journal = JSON.parse(await readFile(join(runs(), left[0]!, 'undo.json'), 'utf8')) as Array<{ step: { kind: string }; settled: boolean }>;
  assert.equal(journal.filter((e) => !e.settled).map((e) => e.step.kind), ['local-processes']);
  return run;
}

test('SIGKILL: its redis-servers die with it; `cleanup` finishes the run dir it left', async () => {
  await killedRun('sigkill-cleanup');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'cleanup', '--work-dir', runs()], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await waitFor('cleanup to end', async () => (child.exitCode !== null ? { done: true, value: child.exitCode } : { done: false, seen: stderr }), { timeoutMs: 30_000 });
  assert.is(code, 0, stderr);
  assert.match(stderr, /undone: local redis-server processes of /);
  assert.match(stderr, /1 run dir\(s\) cleaned up under /);
  assert.equal(await leftDirs(), []);
});

test('SIGKILL, then a run with the same work dir: it cleans the dead run\'s dir first, passes, and ends by itself', async () => {
  await killedRun('sigkill-next');
  const run = await cliRun(join(dir, 'after'), []);
  assert.is(run.code, 0, run.stderr.slice(-1500));
  assert.match(run.stderr, /cleaning up after a run that did not finish: /);
  assert.equal(run.pids.filter(processRunning), []);
  assert.equal(await leftDirs(), [], 'nothing left: neither the dead run\'s dir nor its own');
});

test.run();
