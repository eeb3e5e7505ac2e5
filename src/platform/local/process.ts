import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TimeoutError } from '../../errors.ts';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process this run started, with its exit as a promise. */
export interface Supervised {
  pid: number;
  /** The process a graceful stop signals, when not `pid` itself (a sandbox's command; SIGTERM to bwrap would
   * kill it outright). */
  mainPid?: () => number | undefined;
  exited: Promise<Exit>;
  /** Set once the process has exited. */
  exit?: Exit;
}

export interface StartOptions {
  cwd: string;
  /** stdout and stderr go here (appended). */
  logFile: string;
  /** Directory of `<pid>` files naming every live child, so a later run can clean up after a hard kill. */
  registryDir: string;
  /** setpriv binary to run the child with a parent-death signal, or undefined when there is none. */
  setpriv?: string;
}

/**
 * Starts a child that dies with this process: through `setpriv --pdeathsig KILL` (prctl(PR_SET_PDEATHSIG) is not
 * reachable from Node, and setpriv execs, so the PID is the program's own) — that covers a SIGKILLed parent,
 * which no exit handler sees. The pid registry covers a machine without setpriv.
 */
export async function startProcess(binary: string, args: string[], opts: StartOptions): Promise<Supervised> {
  const out = fs.openSync(opts.logFile, 'a');
  const [file, argv] = opts.setpriv ? [opts.setpriv, ['--pdeathsig', 'KILL', '--', binary, ...args]] : [binary, args];
  const child = spawn(file, argv, { cwd: opts.cwd, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  // Listen for the exit before anything else can yield, so it cannot be missed.
  let registered: string | undefined;
  const sup: Supervised = {
    pid: 0,
    exited: new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        sup.exit = { code, signal };
        if (registered) fs.rmSync(registered, { force: true });
        resolve(sup.exit);
      });
    }),
  };
  sup.pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', (err) => reject(new Error(`cannot start ${binary}: ${err.message}`)));
  });
  if (!sup.exit) {
    registered = path.join(opts.registryDir, String(sup.pid));
    fs.mkdirSync(opts.registryDir, { recursive: true });
    fs.writeFileSync(registered, `${startTime(sup.pid) ?? ''}\n${binary} ${args.join(' ')}\n`);
  }
  return sup;
}

export function describeExit(e: Exit): string {
  return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
}

/**
 * Stops a child: SIGTERM, then SIGKILL once `graceMs` has passed (mode 'kill': SIGKILL at once). Resolves when
 * it has exited; throws TimeoutError if even SIGKILL does not end it within `killWaitMs`.
 */
export async function stopProcess(p: Supervised, mode: 'graceful' | 'kill', graceMs: number, killWaitMs = 10_000): Promise<Exit> {
  if (p.exit) return p.exit;
  if (mode === 'graceful') {
    signal(p.mainPid?.() ?? p.pid, 'SIGTERM');
    const exit = await within(p.exited, graceMs);
    if (exit) return exit;
  }
  signal(p.pid, 'SIGKILL');
  const exit = await within(p.exited, killWaitMs);
  if (!exit) throw new TimeoutError(`process ${p.pid} to exit after SIGKILL`, killWaitMs, 'still running');
  return exit;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone (ESRCH): the exit event follows.
  }
}

async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Kills children a previous run left in `registryDir` (its node process died before cleaning up). Each entry
 * records the process's start time: a PID now used by an unrelated process has another one and is left alone.
 * (The command line cannot tell: redis-server rewrites its process title.)
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
    const pid = Number(entry);
    const recorded = fs.readFileSync(file, 'utf8').split('\n')[0];
    if (Number.isInteger(pid) && pid > 0 && recorded && startTime(pid) === recorded) {
      signal(pid, 'SIGKILL');
      killed.push(pid);
    }
    fs.rmSync(file, { force: true });
  }
  return killed;
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether a PID is a running process (not a zombie). */
export function processRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}
