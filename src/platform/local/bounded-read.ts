import fs from 'node:fs';

/**
 * Reads of what a pod wrote, bounded and never blocking: a pod decides how much it writes and may leave a FIFO
 * or a device where a file is expected. A FIFO opened for reading waits for a writer, a device may never end,
 * and either would stop Node's event loop (signals included) inside a synchronous read. So the file is opened
 * without following a link and without blocking, and read only when it is a regular file, only up to `maxBytes`.
 */

const O_READ = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;

/** Kubernetes keeps the first 10 KiB of an exec probe's output (pkg/probe/exec/exec.go, maxReadLength). */
export const PROBE_OUTPUT_BYTES = 10 * 1024;

/**
 * The last `maxBytes` of a regular file (from a line start where the cut allows), or what it is instead:
 * undefined when it does not exist; throws for a link, FIFO, device or directory.
 */
export function tailOfFile(file: string, maxBytes: number): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, O_READ);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new Error('a symbolic link: not followed', { cause: err });
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file (a FIFO, device or directory): not read');
    const length = Math.min(st.size, maxBytes);
    const buf = Buffer.alloc(length);
    const n = fs.readSync(fd, buf, 0, length, st.size - length);
    const text = buf.subarray(0, n).toString('utf8');
    if (length === st.size) return text;
    const firstLine = text.indexOf('\n');
    return firstLine >= 0 ? text.slice(firstLine + 1) : text;
  } finally {
    fs.closeSync(fd);
  }
}

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
