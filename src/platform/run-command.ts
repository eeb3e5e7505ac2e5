import { execFile } from 'node:child_process';

/** What a command did: its exit code (non-zero where it could not start or was killed) and its output. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; its output is kept, never inherited (no progress bars in the job log). */
export type Runner = (cmd: string, args: string[]) => Promise<Run>;

/** A Runner that ends each command after `timeoutMs` (killed: its stderr then says so). */
export function commandRunner(timeoutMs: number): Runner {
  return (cmd, args) =>
    new Promise((resolve) => {
      execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (!err) {
          resolve({ code: 0, stdout, stderr });
          return;
        }
        // err.code is the exit code, or a string (ENOENT) where the program could not start; null when killed.
        const code = typeof err.code === 'number' ? err.code : 127;
        const why = err.killed ? `${cmd} killed after ${timeoutMs / 1000} s` : err.message;
        resolve({ code, stdout, stderr: stderr ? (err.killed ? `${stderr}\n${why}` : stderr) : why });
      });
    });
}
