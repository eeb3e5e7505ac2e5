import path from 'node:path';
import { InputError } from '../../errors.ts';
import type { RedisDeployment } from '../../manifests/model.ts';
import { readContainedTail } from '../../util/contained-path.ts';
import { serverLogHint } from '../server-log-hints.ts';
import { toHostPath } from './pod-fs.ts';
import type { Pod } from './pod-table.ts';

export const LOG_TAIL_LINES = 15;
/** A log tail reads at most this much of the file's end (a pod decides how large its log grows). */
const LOG_TAIL_BYTES = 64 * 1024;

/**
 * The last lines of a pod's logs for an error or a warning: its server log and, when the manifests set one, the
 * redis.conf `logfile`, each headed by its name, with a hint when the server said something known.
 */
export function logTail(workDir: string, redis: RedisDeployment | undefined, pod: Pod): string {
  const files = [pod.logFile];
  const logfile = redis?.directive('logfile');
  if (logfile) files.push(toHostPath(logfile, redis!, pod.layout, redis!.dataDir)); // relative: from the final `dir`
  const parts: string[] = [];
  for (const f of files) {
    if (!f) continue;
    const lines = tail(workDir, f);
    parts.push(
      Array.isArray(lines)
        ? `--- ${path.basename(f)} (last ${lines.length} lines)\n${lines.join('\n')}`
        : `--- ${path.basename(f)}: ${lines.why}`,
    );
  }
  const hint = serverLogHint(parts.join('\n'));
  return hint ? `${hint}\n${parts.join('\n')}` : parts.join('\n');
}

/** A sandboxed program that is not on this host (an image's own script or binary): say what to use instead. */
export function missingProgramHint(log: string): string {
  // bwrap's own words, or the shell's that execs the command inside (local/sandbox.ts)
  const m = /bwrap: execvp (\S+): No such file or directory|exec: (\S+): not found/.exec(log);
  return m
    ? `: ${m[1] ?? m[2]!} exists only in the container image, not on this host; use platform kind to run the image itself`
    : '';
}

/**
 * The last lines of a log file under the run's dir, read as readContainedTail reads a pod's files (no link
 * followed, no FIFO waited on, only the tail read), or undefined when it cannot be read that way. A refused
 * link or FIFO reads as "not written": what it leads to is never shown.
 */
function tail(workDir: string, file: string): string[] | { why: string } {
  try {
    const { text, skipped } = readContainedTail(workDir, file, LOG_TAIL_BYTES);
    const lines = text.trimEnd().split('\n');
    // A cut first line is dropped unless it is all there is.
    return (skipped && lines.length > 1 ? lines.slice(1) : lines).slice(-LOG_TAIL_LINES);
  } catch (err) {
    // Why it was refused (a FIFO, a device, a link), never what a link leads to: the refusal's last clause.
    if (err instanceof InputError) return { why: `not read: ${err.message.split(': ').at(-1) ?? 'refused'}` };
    return { why: 'not written' };
  }
}

/** tail() for an error message: the lines, or why there are none. */
export function tailOrNote(workDir: string, file: string): string {
  const t = tail(workDir, file);
  return Array.isArray(t) ? t.join('\n') : `(${path.basename(file)} ${t.why})`;
}
