import { lstat, mkdir, mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTime } from '../platform/local/process.ts';
import type { Log } from '../util/log.ts';
import { defaultExecutors, describeStep, undoUnsettled, type UndoExecutors } from './executors.ts';
import { fileStore, RecordingJournal, type JournalStore } from './journal.ts';
import { JOURNAL_FILE, notOwn, OWNER_FILE, RUN_MARKER_TOOL, runDirTrust, type RunOwner } from './trust.ts';

/**
 * Work dirs: each run keeps its state (pod data, kubeconfig, the undo journal) in `<root>/run-XXXXXX`, with
 * `owner.json` naming its process (PID and start time). The root is stable, so the next run (or `cleanup`)
 * finds the dirs of runs that were killed and finishes their undo. It is private to the user (0700, owned by
 * them): another user's process must not plant a journal here that this tool would then "undo". The root is
 * checked before anything in it is read, and each run dir again before its journal is (undo/trust.ts).
 */

/** A dir the user keeps (keep-cluster: the kind cluster's volumes live in it): stale scans leave it alone. */
const KEPT = 'kept';
const RUN_PREFIX = 'run-';
/** A dir this young without its owner file may be a run between mkdtemp and writing it: not stale yet. */
const NEWBORN_MS = 60_000;

/** The default root: RUNNER_TEMP on a runner (emptied after every job), else a per-user dir in the OS temp dir. */
export function defaultRunsRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RUNNER_TEMP) return path.join(env.RUNNER_TEMP, 'rcr-runs');
  return path.join(tmpdir(), `rcr-runs-${process.getuid?.() ?? 'user'}`);
}

/** Creates `root` (0700) if needed and refuses one that is not a private directory of this user. */
export async function ensurePrivateRoot(root: string): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  await checkPrivateRoot(root);
}

/** Refuses a `root` that is not a private directory of this user; false when there is none (nothing to read). */
export async function checkPrivateRoot(root: string): Promise<boolean> {
  const st = await lstat(root).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  });
  if (!st) return false;
  const problem = notOwn(st, 'directory');
  if (problem)
    throw new Error(`refusing to keep run state in ${root}: ${problem}; pass --work-dir with a private directory`);
  return true;
}

/** A run's own work dir, with its journal (a file next to it). */
export interface RunDir {
  dir: string;
  journal: RecordingJournal;
}

/** A fresh run dir under `root`, owned by this process; its journal in `store` (default: a file in the dir). */
export async function createRunDir(root: string, store?: JournalStore): Promise<RunDir> {
  let dir: string | undefined;
  for (let attempt = 0; !dir; attempt++) {
    // Another run finishing may remove the emptied root at any point of this (mkdir's own check of what it found
    // included): make it again, a few times, since runs that start and end side by side can do it more than once.
    dir = await ensurePrivateRoot(root)
      .then(() => mkdtemp(path.join(root, RUN_PREFIX)))
      .catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 4) throw err;
        return undefined;
      });
  }
  const owner = { tool: RUN_MARKER_TOOL, pid: process.pid, start: startTime(process.pid) ?? '' };
  await writeFile(path.join(dir, OWNER_FILE), JSON.stringify(owner), { mode: 0o600, flag: 'wx' });
  return { dir, journal: await RecordingJournal.open(store ?? fileStore(path.join(dir, JOURNAL_FILE))) };
}

/**
 * The end of a run: its dir is removed when nothing is left to undo; with `keep` (a kept kind cluster's volumes
 * are in it) it stays, marked so that no stale scan removes it. Otherwise it stays with its journal and the log
 * says how to finish it.
 */
export async function finishRunDir(run: RunDir, log: Log, keep = false): Promise<void> {
  if (keep) {
    await writeFile(path.join(run.dir, KEPT), '');
    log.info(
      `kept: ${run.dir} (the kind cluster's volumes); remove it with "redis-cluster-resilience cleanup --work-dir ${run.dir}" after the cluster`,
    );
    return;
  }
  const left = run.journal.unsettled();
  if (left.length === 0) {
    await removeRunDir(run.dir, log);
    return;
  }
  // A kind cluster deferred to the action's post step lands here too: that is its plan, not a failure.
  log.info(
    `left to undo: ${left.map((e) => describeStep(e.step)).join(', ')}; the action's post step, the next run or ` +
      `"redis-cluster-resilience cleanup --work-dir ${run.dir}" does it`,
  );
}

async function removeRunDir(dir: string, log: Log): Promise<void> {
  // Redis may leave files the user cannot remove: a leftover dir must not fail the run.
  await rm(dir, { recursive: true, force: true }).catch((err: unknown) =>
    log.warn(`could not remove ${dir}: ${String(err)}`),
  );
  await rmdir(path.dirname(dir)).catch(() => {}); // the root too, once it is empty
}

/** Whether `owner` (a PID and its start time) is still running. Where no start time can be read (no /proc), a
 * live PID counts: better a dir left than a live run's dir taken over. */
export function processAlive(owner: RunOwner): boolean {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  return owner.start === '' ? pidExists(owner.pid) : startTime(owner.pid) === owner.start;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // someone else's process: alive all the same
  }
}

const exists = (file: string): Promise<boolean> =>
  lstat(file).then(
    () => true,
    () => false,
  );

/** Whether the run dir was kept on purpose (finishRunDir with keep). */
export const isKept = (dir: string): Promise<boolean> => exists(path.join(dir, KEPT));

/**
 * Finishes a run dir: undoes its unsettled steps, then removes it. A dir whose undo failed in part stays, with
 * its journal, for the next try; its failures are returned. A dir that is not this user's run dir of this tool
 * (undo/trust.ts) is refused before its journal is read.
 */
export async function cleanRunDir(
  dir: string,
  log: Log,
  executors: UndoExecutors = defaultExecutors,
): Promise<string[]> {
  const trust = await runDirTrust(dir);
  if ('why' in trust) throw new Error(`refusing to act on ${dir}: ${trust.why}`);
  const journal = await RecordingJournal.open(fileStore(path.join(dir, JOURNAL_FILE)));
  const failed = await undoUnsettled(journal, executors, log);
  if (failed.length === 0) await removeRunDir(dir, log);
  return failed;
}

/**
 * The run dirs under `root` whose owner is gone (killed, crashed), cleaned one by one. The root is checked
 * private before anything in it is read; dirs of runs still running, and dirs that are not this user's run dirs
 * of this tool, are left alone (the latter said in the log). Returns the dirs cleaned and what could not be
 * undone.
 */
export async function cleanStaleRuns(
  root: string,
  log: Log,
  executors: UndoExecutors = defaultExecutors,
): Promise<{ cleaned: string[]; failed: string[] }> {
  const cleaned: string[] = [];
  const failed: string[] = [];
  if (!(await checkPrivateRoot(root))) return { cleaned, failed };
  // Another run finishing removes the root once it is empty, maybe since the check: then nothing is stale.
  const names = await readdir(root).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  });
  for (const name of names.filter((e) => e.startsWith(RUN_PREFIX)).sort()) {
    const dir = path.join(root, name);
    const trust = await runDirTrust(dir);
    if ('why' in trust) {
      if (!(await unmarkedLeftover(dir))) log.warn(`left alone (not a run dir of this user's runs): ${trust.why}`);
      continue;
    }
    if (processAlive(trust.owner) || (await isKept(dir))) continue;
    log.info(`cleaning up after a run that did not finish: ${dir}`);
    const left = await cleanRunDir(dir, log, executors);
    if (left.length === 0) cleaned.push(dir);
    failed.push(...left);
  }
  return { cleaned, failed };
}

/**
 * A run killed between making its dir and writing its marker leaves an empty dir of this user: removed once it
 * is old enough not to be a run about to write it (true also while it is that young). Anything else is not.
 */
async function unmarkedLeftover(dir: string): Promise<boolean> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st || notOwn(st, 'directory') !== undefined) return false;
  if ((await readdir(dir).catch(() => ['?'])).length > 0) return false;
  if (Date.now() - st.mtimeMs < NEWBORN_MS) return true;
  await rmdir(dir).catch(() => undefined);
  return true;
}
