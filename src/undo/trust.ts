import type { Stats } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Which run state this tool acts on. A journal names programs to run, routes to delete and processes to kill, so
 * a journal is acted on only when nobody but this user could have written it: its directory and file owned by
 * this user, writable by nobody else, reached through no link, and the dir marked as a run dir of this tool.
 * Once a directory passes, only this user can change what is in it, so reading it after the check is sound.
 */

/** Marks a run dir as one of this tool's (owner.json's `tool`): `cleanup` removes nothing without it. */
export const RUN_MARKER_TOOL = 'redis-cluster-resilience';
export const OWNER_FILE = 'owner.json';
export const JOURNAL_FILE = 'undo.json';

/** Why a lstat()ed directory or file of run state is not this user's own, or undefined when it is. */
export function notOwn(st: Stats, type: 'directory' | 'file'): string | undefined {
  if (type === 'directory' ? !st.isDirectory() : !st.isFile()) return `it is not a ${type} (a symlink?)`;
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `it belongs to uid ${st.uid}, not to this user (${uid})`;
  if ((st.mode & 0o022) !== 0)
    return `others may write to it (mode ${(st.mode & 0o777).toString(8)}; expected ${type === 'directory' ? 700 : 600})`;
  return undefined;
}

/** What owner.json of a run dir says: the run's process (PID and start time). */
export interface RunOwner {
  pid: number;
  start: string;
}

/**
 * Why `dir` is not a run dir of this user's runs of this tool, or undefined with its owner when it is: the dir,
 * its owner.json (with this tool's marker) and its journal (when there is one) pass notOwn.
 */
export async function runDirTrust(dir: string): Promise<{ why: string } | { owner: RunOwner }> {
  /** Why `p` (not followed) is not this user's own; a missing journal is fine (nothing recorded yet). */
  const problem = async (p: string, type: 'directory' | 'file'): Promise<string | undefined> => {
    const st = await lstat(p).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    });
    if (!st) return p.endsWith(JOURNAL_FILE) ? undefined : `${p} is missing`;
    const why = notOwn(st, type);
    return why && `${p}: ${why}`;
  };
  const why =
    (await problem(dir, 'directory')) ??
    (await problem(path.join(dir, OWNER_FILE), 'file')) ??
    (await problem(path.join(dir, JOURNAL_FILE), 'file'));
  if (why) return { why };
  let owner: unknown;
  try {
    owner = JSON.parse(await readFile(path.join(dir, OWNER_FILE), 'utf8'));
  } catch {
    owner = undefined;
  }
  const o = owner as { tool?: unknown; pid?: unknown; start?: unknown } | undefined;
  if (o?.tool !== RUN_MARKER_TOOL || !Number.isInteger(o.pid) || typeof o.start !== 'string')
    return { why: `${path.join(dir, OWNER_FILE)} is not the marker of a ${RUN_MARKER_TOOL} run` };
  return { owner: { pid: o.pid as number, start: o.start } };
}
