import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { TimeoutError } from '../../errors.ts';
import { timerMs } from '../../util/wait.ts';
import { openLogForAppend } from './bounded-read.ts';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A child process this run started, leading its own process group (everything it starts, a wrapper script's
 * redis-server included, is in that group unless it moves itself out). `pid` is also the group's id.
 */
export interface Supervised {
  pid: number;
  /** The process a graceful stop signals, when not `pid` itself (a sandbox's command: SIGTERM to bwrap kills it
   * at once, and its PID namespace with it, --die-with-parent). */
  mainPid?: () => number | undefined;
  /** Resolves once the child has exited and no process is left in its group (see startProcess). */
  exited: Promise<Exit>;
  /** Set once `exited` has resolved. */
  exit?: Exit;
  /** With StartOptions.captureBytes: the first bytes of its stdout and stderr, complete once `exited` resolves. */
  captured?: () => string;
}

export interface StartOptions {
  cwd: string;
  /** Where stdout and stderr go: appended to a log file, or only their first `captureBytes` kept in memory (the
   * rest read and dropped: a probe's output never blocks the child on a full pipe, and nothing piles up). */
  output: { logFile: string } | { captureBytes: number };
  /** Directory of `<pid>` files naming every live child, so a later run can clean up after a hard kill. */
  registryDir: string;
  /** setpriv binary to run the child with a parent-death signal, or undefined when there is none. */
  setpriv?: string;
  /** Data for the child's file descriptors 3, 4, … in order, each handed over on a pipe (written, then closed):
   * what must not be in its command line (a sandbox's env). */
  fds?: Buffer[];
  /** A cgroup's `cgroup.procs`: the child joins that cgroup before it runs (`sh` writes its own PID there, then
   * execs the rest), so nothing it starts is ever outside it. */
  cgroupProcs?: string;
  /** The child's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/** Joins the cgroup named by $1 (its cgroup.procs), then execs the rest; 125 when the cgroup refuses it. */
const JOIN_CGROUP = 'echo $$ >"$1" || exit 125; shift; exec "$@"';

/**
 * Starts a child in its own process group (detached: setsid) that dies with this process: through `setpriv
 * --pdeathsig KILL` (prctl(PR_SET_PDEATHSIG) is not reachable from Node, and setpriv execs, so the PID is the
 * program's own) — that covers a SIGKILLed parent, which no exit handler sees. The pid registry covers a machine
 * without setpriv, and what the parent-death signal does not reach (it is not inherited by a wrapper's children).
 * As a container runtime does when a container's main process ends, the rest of its group is then killed:
 * `exited` resolves only once the group is empty.
 */
export async function startProcess(binary: string, args: string[], opts: StartOptions): Promise<Supervised> {
  const out = 'logFile' in opts.output ? openLogForAppend(opts.output.logFile) : 'pipe';
  let [file, argv] = opts.setpriv ? [opts.setpriv, ['--pdeathsig', 'KILL', '--', binary, ...args]] : [binary, args];
  if (opts.cgroupProcs) [file, argv] = ['/bin/sh', ['-c', JOIN_CGROUP, 'sh', opts.cgroupProcs, file, ...argv]];
  const fds = opts.fds ?? [];
  const child = spawn(file, argv, {
    cwd: opts.cwd,
    stdio: ['ignore', out, out, ...fds.map(() => 'pipe' as const)],
    detached: true,
    ...(opts.env ? { env: opts.env } : {}),
  });
  if (typeof out === 'number') fs.closeSync(out);
  const capture = 'captureBytes' in opts.output ? captureStreams(child, opts.output.captureBytes) : undefined;
  fds.forEach((data, i) => {
    const pipe = child.stdio[3 + i] as Writable;
    pipe.on('error', () => {}); // a child that exits without reading it: its exit is what is reported
    pipe.end(data);
  });
  // Listen for the exit before anything else can yield, so it cannot be missed.
  let registered: string | undefined;
  const sup: Supervised = {
    pid: 0,
    exited: new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        const exit = { code, signal };
        void groupGone(child.pid!)
          .then(() => capture?.finish())
          .then(() => {
            sup.exit = exit;
            if (registered) fs.rmSync(registered, { force: true });
            resolve(exit);
          });
      });
    }),
  };
  if (capture) sup.captured = capture.text;
  sup.pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', (err) => reject(new Error(`cannot start ${binary}: ${err.message}`)));
  });
  if (!sup.exit) {
    registered = path.join(opts.registryDir, String(sup.pid));
    fs.mkdirSync(opts.registryDir, { recursive: true });
    // Start time, the leader's command name once it runs the program (what killStaleProcesses checks), argv.
    fs.writeFileSync(registered, `${startTime(sup.pid) ?? ''}\n${commOf(binary)}\n${binary} ${args.join(' ')}\n`, {
      mode: 0o600,
    });
  }
  return sup;
}

/** Bound on a captured pipe's end once the child's group is gone (a process outside it may hold the pipe). */
const CAPTURE_CLOSE_MS = 2000;

/** Reads a child's stdout and stderr to their end, keeping the first `max` bytes of both together. */
function captureStreams(child: ChildProcess, max: number): { text: () => string; finish: () => Promise<unknown> } {
  const chunks: Buffer[] = [];
  let kept = 0;
  const ended = [child.stdout, child.stderr].map(
    (stream) =>
      new Promise<void>((resolve) => {
        if (!stream) {
          resolve();
          return;
        }
        stream.on('data', (chunk: Buffer) => {
          if (kept >= max) return;
          chunks.push(chunk.subarray(0, max - kept));
          kept += Math.min(chunk.length, max - kept);
        });
        stream.once('close', () => resolve());
        stream.once('error', () => resolve());
      }),
  );
  return {
    text: () => Buffer.concat(chunks).toString('utf8'),
    // Called once the child's group is gone: the pipes then end at once unless a process outside it holds them.
    finish: () =>
      within(Promise.all(ended), CAPTURE_CLOSE_MS).then(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }),
  };
}

export function describeExit(e: Exit): string {
  return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code ?? 'unknown'}`;
}

/**
 * Stops a child as the kubelet stops a container ("a TERM signal ... to the main process in each container",
 * KILL to any remaining processes once the grace period has expired: kubernetes.io, Termination of Pods):
 * SIGTERM to its main process only, then SIGKILL to the whole group once `graceMs` has passed (mode 'kill': at
 * once). Resolves when it has exited; throws TimeoutError if even SIGKILL does not end it within `killWaitMs`.
 * SIGTERM never goes to the group: that reaches a sandbox's bwrap, whose death kills the server in the middle of
 * its shutdown (no final AOF write, acknowledged writes lost), and processes the container runtime would not
 * signal.
 */
export async function stopProcess(
  p: Supervised,
  mode: 'graceful' | 'kill',
  graceMs: number,
  killWaitMs = 10_000,
): Promise<Exit> {
  if (p.exit) return p.exit;
  if (mode === 'graceful') {
    signal(p.mainPid?.() ?? p.pid, 'SIGTERM');
    const exit = await within(p.exited, graceMs);
    if (exit) return exit;
  }
  signal(-p.pid, 'SIGKILL');
  const exit = await within(p.exited, killWaitMs);
  if (!exit) throw new TimeoutError(`process ${p.pid} to exit after SIGKILL`, killWaitMs, 'still running');
  return exit;
}

/** Signals a process, or with a negative number the process group it names. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone (ESRCH): the exit event follows.
  }
}

/** `p`'s value, or undefined once `ms` pass first; the timer is cleared either way (none outlives the wait). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timerMs(ms));
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Bound on a group emptying after SIGKILL (the kernel ends SIGKILLed processes at once; only a D-state waits). */
const GROUP_KILL_WAIT_MS = 10_000;

/**
 * Kills what is left of the process group `pgid` once its leader has exited, and resolves when it is empty (or
 * after GROUP_KILL_WAIT_MS: a process stuck in the kernel cannot be helped, and the caller must go on).
 */
async function groupGone(pgid: number): Promise<void> {
  const deadline = Date.now() + GROUP_KILL_WAIT_MS;
  signal(-pgid, 'SIGKILL');
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/**
 * Whether a live process is in group `pgid`: kill(-pgid, 0) fails with ESRCH when none is, and otherwise a look
 * in /proc skips zombies (an orphan's zombie lingers where nothing reaps orphans, as in some containers).
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return groupMembers(pgid).length > 0;
}

/** Process group of a running process (field 5 of /proc/<pid>/stat), or undefined when it is gone. */
export function processGroupOf(pid: number): number | undefined {
  const pgrp = statFields(pid)?.[2];
  return pgrp === undefined ? undefined : Number(pgrp);
}

/**
 * Kills what a previous run left in `registryDir` (its node process died before cleaning up): each entry names a
 * group leader and its start time, and every process of that group is killed — the leader when it still runs,
 * and what a wrapper script started, which outlives a leader killed by the parent-death signal. A PID now used by
 * an unrelated process has another start time and is left alone. (The command line cannot tell: redis-server
 * rewrites its process title.)
 */
export function killStaleProcesses(registryDir: string): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(registryDir);
  } catch {
    return [];
  }
  const killed: number[] = [];
  for (const entry of entries) {
    const file = path.join(registryDir, entry);
    const pgid = Number(entry);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const recorded = lines[0];
    // An earlier version's entry has no comm line: the command line's program stands for it.
    const comm = lines.length > 3 ? lines[1] : commOf(lines[1]?.split(' ')[0] ?? '');
    const leader = startTime(pgid);
    // A live leader with another start time is a reused PID; one with the same start time is ours only when it
    // also runs the program we started, as this user (a start time alone can be copied from /proc). With the
    // leader gone, whatever is left in the group is ours: Linux hands out no PID still in use as a group id, so
    // the group cannot be someone else's.
    const ours =
      leader === undefined ||
      (leader === recorded && !!comm && commNow(pgid) === comm && ownerUid(pgid) === process.getuid?.());
    if (Number.isInteger(pgid) && pgid > 0 && recorded && ours) {
      for (const pid of groupMembers(pgid)) {
        signal(pid, 'SIGKILL');
        killed.push(pid);
      }
    }
    fs.rmSync(file, { force: true });
  }
  return killed;
}

/** PIDs of the live processes (not zombies) in group `pgid`, from /proc. */
function groupMembers(pgid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => {
      const f = statFields(pid);
      return f !== undefined && Number(f[2]) === pgid && f[0] !== 'Z' && f[0] !== 'X';
    });
}

/** Fields of /proc/<pid>/stat after the command name: [0] state, [2] process group, [19] start time (ticks). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The command name (/proc/<pid>/comm) of a process running `binary`: its file name, cut to 15 bytes. */
function commOf(binary: string): string {
  return path.basename(binary).slice(0, 15);
}

function commNow(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trimEnd();
  } catch {
    return undefined;
  }
}

function ownerUid(pid: number): number | undefined {
  try {
    return fs.statSync(`/proc/${pid}`).uid;
  } catch {
    return undefined;
  }
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined. */
export function startTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** Whether a PID is a running process (not a zombie). */
export function processRunning(pid: number): boolean {
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X';
}
