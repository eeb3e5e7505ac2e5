// The CLI and the action's steps run from source on the local platform and sent signals at chosen points of their
// output, for the cancel suites (split in files that run side by side: each case is a real run of its own).
// Each suite has its own --work-dir, so what is under it after a run is what that run left behind.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { firewallUnavailable } from '../../src/platform/local/loopback-firewall.ts';
import { processRunning } from '../../src/platform/local/process.ts';
import type { Report } from '../../src/report/model.ts';
import { replayJournal } from '../../src/undo/journal.ts';
import { waitFor } from '../../src/util/wait.ts';
import { beforeAll } from './setup.ts';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** PIDs of the run's redis-server processes, from its "pod … ready … (pid N)" lines. */
  pids: number[];
  /** From its "cleanup done" line to its exit, in ms: what it still had running after its cleanup. */
  lingerMs?: number;
}

/** A signal sent to a run as soon as its output matches `when`. */
export interface Send {
  sig: NodeJS.Signals;
  when: RegExp;
}

/**
 * A cancelled run ends once its cleanup is done, well inside this; a wait left running after teardown (the
 * failover watch polls until its 60 s timeout) shows as a linger close to that timeout.
 */
export const MAX_LINGER_MS = 20_000;

/** What a local run journals before its pods start: its processes, and its loopback firewall where it can make one. */
export const LOCAL_STEPS = ['local-processes', ...(firewallUnavailable() ? [] : ['local-firewall'])];

/** The kinds of the steps an undo journal (a file's lines, or action state's JSON array) has not settled yet. */
export function unsettledSteps(journal: string): string[] {
  return replayJournal(journal)
    .filter((e) => !e.settled)
    .map((e) => e.step.kind);
}

/**
 * `node --import tsx <args>` with `env` added; its stdout and stderr read together. Each of `sends` is sent once
 * the output matches its `when`, in order (one only after the one before it), and every one must have been sent.
 */
export async function nodeRun(args: string[], env: Record<string, string>, ...sends: Send[]): Promise<CliRun> {
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

/** The runner's handling of GITHUB_STATE: the last value of each name, handed to the post step as STATE_<name>. */
export async function stateForPost(stateFile: string): Promise<Record<string, string>> {
  const text = await readFile(stateFile, 'utf8');
  return Object.fromEntries(
    [...text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)].map((m) => [`STATE_${m[1]}`, m[3]!]),
  );
}

/** A cancel suite's temporary dir (made before its tests, removed after them) and the runs made in it. */
export function signalledRuns(test: Test) {
  let dir = '';
  beforeAll(test, async () => {
    dir = await mkdtemp(join(tmpdir(), 'rcr-cancel-'));
  });
  test.after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  /** The --work-dir of every run here: what is under it after a run is what the run left behind. */
  const runs = () => join(dir, 'runs');
  const leftDirs = () => readdir(runs()).catch(() => [] as string[]);

  /** `cli.ts check --platform local`, sent each signal in turn as soon as its output matches. Bounded at every step. */
  const cliRun = (name: string, extra: string[], ...sends: Send[]): Promise<CliRun> =>
    nodeRun(
      ['src/cli.ts', 'check', '--platform', 'local', '--report-dir', join(dir, name), '--work-dir', runs(), ...extra],
      {},
      ...sends,
    );

  return {
    runs,
    leftDirs,
    cliRun,
    reportOf: async (name: string) => JSON.parse(await readFile(join(dir, name, 'report.json'), 'utf8')) as Report,

    /** A run cancelled by `sig` once its output matches `when`: ended by the signal, cleaned up, its report written. */
    cancelled: async (
      name: string,
      sig: NodeJS.Signals,
      when: RegExp,
      extra: string[] = [],
    ): Promise<{ run: CliRun; report: Report }> => {
      const reportDir = join(dir, name);
      const run = await cliRun(name, extra, { sig, when });
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
    },

    /** A run SIGKILLed during the failover wait: no handler runs, so its run dir stays with its undo journal. */
    killedRun: async (name: string): Promise<CliRun> => {
      const run = await cliRun(name, [], { sig: 'SIGKILL', when: /Deleting pod / });
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
    },

    /** The action's main step as the runner starts it (INPUT_*, GITHUB_* files), on the local platform. */
    actionEnv: async (name: string) => {
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
    },
  };
}
