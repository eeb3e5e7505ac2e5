import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.ts';
import { startTime } from '../platform/local/process.ts';
import { readContainedTail } from '../util/contained-path.ts';
import { displayPath } from '../util/paths.ts';
import { processAlive } from '../undo/work-dir.ts';

/** In the report dir while a run owns it: `{"pid":…,"start":…}` of that run's process. */
export const REPORT_LOCK_FILE = '.redis-cluster-resilience.lock';

/**
 * Takes the report dir for this run: two runs writing one report dir at once would mix their files (one run's
 * SVG beside the other's report.json, one clearing what the other wrote). The lock file is created with O_EXCL
 * (and O_NOFOLLOW: a link planted there is not a lock), holding this process's PID and start time; a lock whose
 * process is gone (same test as a run dir's owner: PID and start time) is stale and taken over. A live one is
 * refused, naming it. Returns the release, which removes the file only while it is still this run's.
 */
export function lockReportDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, REPORT_LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, start: startTime(process.pid) ?? '' });
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(
        file,
        fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
        0o644,
      );
      fs.writeSync(fd, mine);
      fs.closeSync(fd);
      return () => {
        if (holder(dir) === mine) fs.rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
    }
    const held = holder(dir);
    const owner = parseOwner(held);
    if (owner && processAlive(owner))
      throw new InputError(
        `report-dir ${displayPath(dir)} is in use by another run (pid ${owner.pid}, ${REPORT_LOCK_FILE}); give each run its own report-dir`,
      );
    // Stale (its run is gone), or not a lock at all (a link, garbage): removed (a link itself, not its target).
    fs.rmSync(file, { force: true });
  }
}

/** The lock file's text, read without following a link; undefined when it cannot be read that way. */
function holder(dir: string): string | undefined {
  try {
    return readContainedTail(dir, REPORT_LOCK_FILE, 4096).text;
  } catch {
    return undefined;
  }
}

function parseOwner(text: string | undefined): { pid: number; start: string } | undefined {
  try {
    const o = JSON.parse(text ?? '') as { pid?: unknown; start?: unknown };
    return Number.isInteger(o.pid) && typeof o.start === 'string'
      ? { pid: o.pid as number, start: o.start }
      : undefined;
  } catch {
    return undefined;
  }
}
