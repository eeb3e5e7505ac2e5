import { lstat, mkdir, mkdtemp, readdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTime } from '../platform/local/process.ts';
import type { Log } from '../util/log.ts';
import { defaultExecutors, describeStep, undoUnsettled, type UndoExecutors } from './executors.ts';
import { fileStore, RecordingJournal, type JournalStore } from './journal.ts';

/**
 * Work dirs: each run keeps its state (pod data, kubeconfig, the undo journal) in `<root>/run-XXXXXX`, with
 * `owner.json` naming its process (PID and start time). The root is stable, so the next run (or `cleanup`)
 * finds the dirs of runs that were killed and finishes their undo. It is private to the user (0700, owned by
 * them): another user's process must not plant a journal here that this tool would then "undo".
 */

const OWNER = 'owner.json';
const JOURNAL = 'undo.json';
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
  const st = await lstat(root);
  const uid = process.getuid?.();
  const problem = !st.isDirectory()
    ? 'it is not a directory (a symlink?)'
    : uid !== undefined && st.uid !== uid
      ? `it belongs to uid ${st.uid}, not to this user (${uid})`
      : (st.mode & 0o022) !== 0
        ? `others may write to it (mode ${(st.mode & 0o777).toString(8)}; expected 700)`
        : undefined;
  if (problem)
    throw new Error(`refusing to keep run state in ${root}: ${problem}; pass --work-dir with a private directory`);
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
    await ensurePrivateRoot(root);
    // Another run finishing may remove the emptied root between the two calls: make it again, once.
    dir = await mkdtemp(path.join(root, RUN_PREFIX)).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw err;
      return undefined;
    });
  }
  await writeFile(path.join(dir, OWNER), JSON.stringify({ pid: process.pid, start: startTime(process.pid) ?? '' }), {
    mode: 0o600,
  });
  return { dir, journal: await RecordingJournal.open(store ?? fileStore(path.join(dir, JOURNAL))) };
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

/** Whether the process that owns `dir` is still running (same PID and start time: a reused PID is not it).
 * Where no start time can be read (no /proc), a live PID counts as the owner: better a dir left than a live
 * run's dir taken over. */
export async function ownerAlive(dir: string): Promise<boolean> {
  try {
    const { pid, start } = JSON.parse(await readFile(path.join(dir, OWNER), 'utf8')) as { pid: number; start: string };
    if (!Number.isInteger(pid) || pid <= 0) return false;
    return start === '' ? pidExists(pid) : startTime(pid) === start;
  } catch {
    return false;
  }
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

export const isRunDir = (dir: string): Promise<boolean> => exists(path.join(dir, OWNER));

/** Whether the run dir was kept on purpose (finishRunDir with keep). */
export const isKept = (dir: string): Promise<boolean> => exists(path.join(dir, KEPT));

/**
 * Finishes a run dir: undoes its unsettled steps, then removes it. A dir whose undo failed in part stays, with
 * its journal, for the next try; its failures are returned.
 */
export async function cleanRunDir(
  dir: string,
  log: Log,
  executors: UndoExecutors = defaultExecutors,
): Promise<string[]> {
  const journal = await RecordingJournal.open(fileStore(path.join(dir, JOURNAL)));
  const failed = await undoUnsettled(journal, executors, log);
  if (failed.length === 0) await removeRunDir(dir, log);
  return failed;
}

/**
 * The run dirs under `root` whose owner is gone (killed, crashed), cleaned one by one. Dirs of runs still
 * running are left alone. Returns the dirs cleaned and what could not be undone.
 */
export async function cleanStaleRuns(
  root: string,
  log: Log,
  executors: UndoExecutors = defaultExecutors,
): Promise<{ cleaned: string[]; failed: string[] }> {
  const entries = await readdir(root).catch(() => [] as string[]);
  const cleaned: string[] = [];
  const failed: string[] = [];
  for (const name of entries.filter((e) => e.startsWith(RUN_PREFIX)).sort()) {
    const dir = path.join(root, name);
    if (await ownerAlive(dir)) continue;
    if (await isKept(dir)) continue;
    const newborn =
      !(await isRunDir(dir)) &&
      Date.now() -
        (await stat(dir).then(
          (s) => s.mtimeMs,
          () => 0,
        )) <
        NEWBORN_MS;
    if (newborn) continue;
    log.info(`cleaning up after a run that did not finish: ${dir}`);
    const left = await cleanRunDir(dir, log, executors);
    if (left.length === 0) cleaned.push(dir);
    failed.push(...left);
  }
  return { cleaned, failed };
}
