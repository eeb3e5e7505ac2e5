import fs from 'node:fs';

/**
 * What a pod writes, bounded and never blocking: a pod decides how much it writes and may leave a FIFO or a
 * device where a file is expected, which would stop Node's event loop (signals included) inside a synchronous
 * open or read. Reading a pod's files back is readContainedTail's (util/contained-path.ts).
 */

/** Kubernetes keeps the first 10 KiB of an exec probe's output (pkg/probe/exec/exec.go, maxReadLength). */
export const PROBE_OUTPUT_BYTES = 10 * 1024;

/**
 * Opens a log file the run writes a child's output to (appending), refusing anything but a regular file or a new
 * one: a FIFO would block the open, a link would send the output elsewhere.
 */
export function openLogForAppend(file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, O_LOG, 0o644);
  } catch (err) {
    // ENXIO: a FIFO without a reader (O_NONBLOCK makes the open fail instead of waiting for one).
    if ((err as NodeJS.ErrnoException).code === 'ENXIO')
      throw new Error(`${file} is not a regular file (a FIFO); the run writes no output to it`, { cause: err });
    throw err;
  }
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    throw new Error(`${file} is not a regular file; the run writes no output to it`);
  }
  return fd;
}

const O_LOG =
  fs.constants.O_WRONLY |
  fs.constants.O_APPEND |
  fs.constants.O_CREAT |
  fs.constants.O_NOFOLLOW |
  fs.constants.O_NONBLOCK;
