// The CLI cancelled as a user or GitHub cancels it: SIGINT (Ctrl-C, a cancelled job) or SIGTERM (GitHub, 7.5 s
// after its SIGINT) at each stage of a real run on the local platform. Each must end with the signal's exit
// code, a report saying `cancelled`, none of the run's redis-server processes left and no run dir; SIGKILL
// leaves a run dir that `cleanup` or the next run finishes; a run after them passes.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firewallUnavailable } from '../../src/platform/local/loopback-firewall.ts';
import { processRunning } from '../../src/platform/local/process.ts';
import { hostIptables } from '../../src/platform/local/faults/partition.ts';
import { CHAIN_PREFIX, iptablesProblem } from '../../src/platform/packet-filter.ts';
import type { Report } from '../../src/report/model.ts';
import { replayJournal } from '../../src/undo/journal.ts';
import { waitFor } from '../../src/util/wait.ts';
import { beforeAll } from '../support/setup.ts';

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** PIDs of the run's redis-server processes, from its "pod … ready … (pid N)" lines. */
  pids: number[];
  /** From its "cleanup done" line to its exit, in ms: what it still had running after its cleanup. */
  lingerMs?: number;
}

/**
 * A cancelled run ends once its cleanup is done, well inside this; a wait left running after teardown (the
 * failover watch polls until its 60 s timeout) shows as a linger close to that timeout.
 */
const MAX_LINGER_MS = 20_000;

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

/** A signal sent to a run as soon as its output matches `when`. */
interface Send {
  sig: NodeJS.Signals;
  when: RegExp;
}

/** `cli.ts check --platform local`, sent each signal in turn as soon as its output matches. Bounded at every step. */
function cliRun(reportDir: string, extra: string[], ...sends: Send[]): Promise<CliRun> {
  return nodeRun(
    ['src/cli.ts', 'check', '--platform', 'local', '--report-dir', reportDir, '--work-dir', runs(), ...extra],
    {},
    ...sends,
  );
}

/**
 * `node --import tsx <args>` with `env` added; its stdout and stderr read together. Each of `sends` is sent once
 * the output matches its `when`, in order (one only after the one before it), and every one must have been sent.
 */
async function nodeRun(args: string[], env: Record<string, string>, ...sends: Send[]): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  let sent = 0;
  let cleanupDoneAt: number | undefined;
  const read = (d: Buffer): void => {
    stderr += d.toString();
    if (cleanupDoneAt === undefined && stderr.includes('; cleanup done,')) cleanupDoneAt = Date.now();
    while (sent < sends.length && sends[sent]!.when.test(stderr)) child.kill(sends[sent++]!.sig);
  };
  child.stdout.on('data', read);
  child.stderr.on('data', read);
  try {
    await waitFor(
      `${args[0]} to end`,
      async () =>
        child.exitCode !== null || child.signalCode !== null
          ? { done: true, value: undefined }
          : { done: false, seen: stderr.slice(-300) },
      { timeoutMs: 150_000, intervalMs: 50 },
    );
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  assert.is(sent, sends.length, `the run never printed ${sends[sent]?.when}: ${stderr.slice(-500)}`);
  const pids = [...stderr.matchAll(/ready on \S+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
  const lingerMs = cleanupDoneAt === undefined ? undefined : Date.now() - cleanupDoneAt;
  return { code: child.exitCode, signal: child.signalCode, stderr, pids, lingerMs };
}

async function cancelled(
  name: string,
  sig: NodeJS.Signals,
  when: RegExp,
  extra: string[] = [],
): Promise<{ run: CliRun; report: Report }> {
  const reportDir = join(dir, name);
  const run = await cliRun(reportDir, extra, { sig, when });
  assert.is(run.code, sig === 'SIGINT' ? 130 : 143, run.stderr.slice(-1500));
  assert.match(run.stderr, `redis-cluster-resilience: ${sig} received: cancelling the run`);
  assert.match(
    run.stderr,
    `redis-cluster-resilience: cancelled by ${sig}; cleanup done, report written to ${join(reportDir, 'report.json')}`,
  );
  const report = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as Report;
  assert.is(report.verdict, 'cancelled');
  assert.ok(run.pids.length > 0, 'the run started its pods before the signal');
  // The run ended only after its teardown: its processes are already gone, none waited for.
  assert.equal(run.pids.filter(processRunning), [], 'no redis-server of the cancelled run is left');
  assert.equal(await leftDirs(), [], `the cancelled run removed its run dir: ${run.stderr.slice(-1500)}`);
  assert.ok(
    run.lingerMs! < MAX_LINGER_MS,
    `the run ended ${run.lingerMs} ms after its cleanup: something kept running`,
  );
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
  // Sent on the pod-return wait's first line: "Path: failover" is printed inside the failover stage, which then
  // waits for the writer's writes to get through again, so a signal on it can still land in that stage.
  const { report } = await cancelled('rejoin', 'SIGINT', /waiting for pod \S+ to be recreated/);
  assert.match(
    report.error!,
    /^cancelled by SIGINT while (waiting for pod \S+ to come back|checking pod \S+'s NodeID and rejoin|checking the cluster health)$/,
    `report.error: ${report.error}`,
  );
  assert.is(report.scenarios[0]?.status, 'cancelled');
  assert.ok(
    report.scenarios[0]!.timeline.some((e) => e.event === 'replica-promoted'),
    'the failover was seen before the cancel',
  );
});

test('SIGTERM (GitHub, 7.5 s after its SIGINT): exit 143, verdict cancelled', async () => {
  const { report, run } = await cancelled('sigterm', 'SIGTERM', /Deleting pod /);
  assert.is(report.error, 'cancelled by SIGTERM while watching the failover');
  assert.not.match(run.stderr, /\n\s+at /, 'no stack trace');
});

test('a second SIGINT during the cleanup does not cut it short', async () => {
  const reportDir = join(dir, 'twice');
  // The second as soon as the first is seen: it arrives while the first one's cleanup runs.
  const run = await cliRun(
    reportDir,
    [],
    { sig: 'SIGINT', when: /Deleting pod / },
    { sig: 'SIGINT', when: /SIGINT received: cancelling/ },
  );
  assert.is(run.code, 130, run.stderr.slice(-1000));
  assert.match(run.stderr, /SIGINT received: still cleaning up after SIGINT/);
  const report = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as Report;
  assert.is(report.verdict, 'cancelled');
  assert.equal(run.pids.filter(processRunning), []);
  assert.ok(
    run.lingerMs! < MAX_LINGER_MS,
    `the run ended ${run.lingerMs} ms after its cleanup: something kept running`,
  );
});

/** A run SIGKILLed during the failover wait: no handler runs, so its run dir stays with its undo journal. */
async function killedRun(name: string): Promise<CliRun> {
  const run = await cliRun(join(dir, name), [], { sig: 'SIGKILL', when: /Deleting pod / });
  assert.is(run.signal, 'SIGKILL');
  // Its redis-servers die with it (setpriv's parent-death signal), a moment after it.
  await waitFor(
    "the killed run's redis-servers to die",
    async () => {
      const alive = run.pids.filter(processRunning);
      return alive.length === 0
        ? { done: true, value: undefined }
        : { done: false, seen: `alive: ${alive.join(', ')}` };
    },
    { timeoutMs: 10_000 },
  );
  const left = await leftDirs();
  assert.is(left.length, 1, `one run dir left: ${left.join(', ')}`);
  assert.equal(unsettledSteps(await readFile(join(runs(), left[0]!, 'undo.json'), 'utf8')), LOCAL_STEPS);
  return run;
}

/** The kinds of the steps an undo journal (a file's lines, or action state's JSON array) has not settled yet. */
/** What a local run journals before its pods start: its processes, and its loopback firewall where it can make one. */
const LOCAL_STEPS = ['local-processes', ...(firewallUnavailable() ? [] : ['local-firewall'])];

function unsettledSteps(journal: string): string[] {
  return replayJournal(journal)
    .filter((e) => !e.settled)
    .map((e) => e.step.kind);
}

/** The runner's handling of GITHUB_STATE: the last value of each name, handed to the post step as STATE_<name>. */
async function stateForPost(stateFile: string): Promise<Record<string, string>> {
  const text = await readFile(stateFile, 'utf8');
  return Object.fromEntries(
    [...text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)].map((m) => [`STATE_${m[1]}`, m[3]!]),
  );
}

/** The action's main step as the runner starts it (INPUT_*, GITHUB_* files), on the local platform. */
async function actionEnv(name: string) {
  const env = {
    INPUT_PLATFORM: 'local',
    'INPUT_REPORT-DIR': join(dir, name),
    'INPUT_WORK-DIR': runs(),
    GITHUB_STATE: join(dir, `${name}-state`),
    GITHUB_OUTPUT: join(dir, `${name}-output`),
    GITHUB_STEP_SUMMARY: join(dir, `${name}-summary.md`),
  };
  for (const f of [env.GITHUB_STATE, env.GITHUB_OUTPUT, env.GITHUB_STEP_SUMMARY]) await writeFile(f, '');
  return env;
}

test('action: SIGINT (a cancelled job): exit 130, verdict output cancelled, the post step finds nothing left', async () => {
  const env = await actionEnv('action-sigint');
  const main = await nodeRun(['src/main.ts'], env, { sig: 'SIGINT', when: /Deleting pod / });
  assert.is(main.code, 130, main.stderr.slice(-1500));
  assert.match(main.stderr, /::warning::SIGINT received: cancelling the run/);
  assert.match(await readFile(env.GITHUB_OUTPUT, 'utf8'), /verdict<<(\S+)\ncancelled\n\1/);
  assert.equal(main.pids.filter(processRunning), []);
  const post = await nodeRun(['src/post.ts'], { ...(await stateForPost(env.GITHUB_STATE)), GITHUB_STATE: '' });
  assert.is(post.code, 0, post.stderr);
  assert.match(post.stderr, /Nothing left to undo/);
  assert.equal(await leftDirs(), []);
});

test('action: SIGKILL of the main step during the hold, then the post step with its state: nothing is left', async () => {
  const env = await actionEnv('action-sigkill');
  const stateFile = env.GITHUB_STATE;
  const main = await nodeRun(['src/main.ts'], env, { sig: 'SIGKILL', when: /Deleting pod / });
  assert.is(main.signal, 'SIGKILL');
  const state = await stateForPost(stateFile);
  assert.equal(
    unsettledSteps(state['STATE_undo-journal'] ?? '[]'),
    LOCAL_STEPS,
    'recorded in action state before the processes started',
  );
  assert.equal(await leftDirs(), [state['STATE_work-dir']!.split('/').at(-1)]);
  const post = await nodeRun(['src/post.ts'], { ...state, GITHUB_STATE: '' });
  assert.is(post.code, 0, post.stderr);
  assert.match(post.stderr, /undone: local redis-server processes of /);
  assert.equal(await leftDirs(), [], 'the post step removed the run dir');
  assert.equal(main.pids.filter(processRunning), []);
  // Run again (a re-run of the post step): nothing left to do, nothing fails.
  const again = await nodeRun(['src/post.ts'], { ...state, GITHUB_STATE: '' });
  assert.is(again.code, 0, again.stderr);
});

test('SIGKILL: its redis-servers die with it; `cleanup` finishes the run dir it left', async () => {
  await killedRun('sigkill-cleanup');
  const cleanup = await nodeRun(['src/cli.ts', 'cleanup', '--work-dir', runs()], {});
  assert.is(cleanup.code, 0, cleanup.stderr);
  assert.match(cleanup.stderr, /undone: local redis-server processes of /);
  assert.match(cleanup.stderr, /1 run dir\(s\) cleaned up under /);
  assert.equal(await leftDirs(), []);
});

/** The partition chains and jumps of any run in the host's packet filter: none may outlive its run. */
/** Where the partition cases' pods take their addresses: their rules name them, other runs' (a master-partition
 * test beside this file) do not. Claims may move a run to the next /24s. */
const PARTITION_BASE = '127.0.150';
const OURS = /127\.0\.15\d\./;

/** This file's partition rules: every rule of a chain one of whose rules names this file's pod addresses. */
async function partitionRules(): Promise<string[]> {
  assert.is(await iptablesProblem(hostIptables), undefined, 'iptables works here (root, installed)');
  const lines = (await hostIptables(['-w', '5', '-S'])).stdout.split('\n').filter((l) => l.includes(CHAIN_PREFIX));
  const chains = new Set(lines.filter((l) => OURS.test(l)).map((l) => l.split(' ')[1]));
  return lines.filter((l) => [...chains].some((c) => c !== undefined && l.includes(c)));
}

test('master-partition: SIGINT in the middle of the partition lifts its rules', async () => {
  const { report } = await cancelled('partition', 'SIGINT', /Cut pod \S+ off for/, [
    '--scenario',
    'master-partition',
    '--address-base',
    PARTITION_BASE,
  ]);
  assert.match(report.error!, /^cancelled by SIGINT while (holding the partition|healing the partition)/);
  assert.equal(await partitionRules(), [], 'no partition rule left');
});

test('master-partition: SIGKILL during the partition leaves its rules in the journal; `cleanup` removes them', async () => {
  const run = await cliRun(
    join(dir, 'partition-kill'),
    ['--scenario', 'master-partition', '--address-base', PARTITION_BASE],
    {
      sig: 'SIGKILL',
      when: /Cut pod \S+ off for/,
    },
  );
  assert.is(run.signal, 'SIGKILL');
  assert.ok((await partitionRules()).length > 0, 'the killed run left its rules in place');
  const left = await leftDirs();
  assert.is(left.length, 1, `one run dir left: ${left.join(', ')}`);
  assert.equal(unsettledSteps(await readFile(join(runs(), left[0]!, 'undo.json'), 'utf8')), [
    ...LOCAL_STEPS,
    'partition-rules',
  ]);
  const cleanup = await nodeRun(['src/cli.ts', 'cleanup', '--work-dir', runs()], {});
  assert.is(cleanup.code, 0, cleanup.stderr);
  assert.match(cleanup.stderr, /undone: partition rules \(iptables chain RCR-PART-/);
  assert.equal(await partitionRules(), [], 'no partition rule left after cleanup');
  assert.equal(await leftDirs(), []);
});

test("SIGKILL, then a run with the same work dir: it cleans the dead run's dir first, passes, and ends by itself", async () => {
  await killedRun('sigkill-next');
  const run = await cliRun(join(dir, 'after'), []);
  assert.is(run.code, 0, run.stderr.slice(-1500));
  assert.match(run.stderr, /cleaning up after a run that did not finish: /);
  assert.equal(run.pids.filter(processRunning), []);
  assert.equal(await leftDirs(), [], "nothing left: neither the dead run's dir nor its own");
});

test.run();
