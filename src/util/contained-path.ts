import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.ts';

export interface ContainOptions {
  /**
   * 'follow' (default): a symlink at the path itself is followed too, as mkdir, write, open and chmod do.
   * 'nofollow': only its parents are resolved, as rm does (it removes a symlink, not what it points to).
   */
  leaf?: 'follow' | 'nofollow';
  /** What the path is for, named in the refusal (e.g. "pod redis-0's redis.conf"). */
  what?: string;
}

/**
 * The one gate in front of every host path the tool creates, writes, chmods or removes on behalf of manifest
 * content: resolves `p` (relative paths against `root`), follows the symlinks of every existing part of it, and
 * returns the absolute path when the result lies inside `root` (itself resolved the same way). Anything else is
 * refused as bad input: manifest names, subPaths and redis.conf paths decide these paths, and a `..` or a
 * planted symlink must never reach a file outside the run's own directory.
 */
export function containedPath(root: string, p: string, opts: ContainOptions = {}): string {
  const absRoot = path.resolve(root);
  const abs = path.resolve(absRoot, p);
  const realRoot = resolveExisting(absRoot);
  const real =
    opts.leaf === 'nofollow' ? path.join(resolveExisting(path.dirname(abs)), path.basename(abs)) : resolveExisting(abs);
  const rel = path.relative(realRoot, real);
  if (rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel))) return abs;
  const shown = path.relative(absRoot, abs);
  throw new InputError(
    `refused to touch ${shown.startsWith('..') || path.isAbsolute(shown) ? abs : shown}${opts.what ? ` (${opts.what})` : ''}: ` +
      `it resolves to ${real}, outside the run's directory ${absRoot}`,
  );
}

/** Linux's own limit on symlinks followed in one lookup (MAXSYMLINKS). */
const MAX_LINK_HOPS = 40;

/** `p` with the symlinks of its longest existing prefix resolved and the rest appended (realpath of what exists). */
function resolveExisting(p: string): string {
  const rest: string[] = [];
  let cur = p;
  for (let hops = 0; hops < MAX_LINK_HOPS; hops++) {
    try {
      return path.join(fs.realpathSync(cur), ...rest.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') break;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      // A dangling symlink is not "missing": where it points decides where a write lands.
      const link = readLink(cur);
      if (link !== undefined) {
        cur = path.resolve(path.dirname(cur), link);
        continue;
      }
      const up = path.dirname(cur);
      if (up === cur) return path.join(cur, ...rest.reverse());
      rest.push(path.basename(cur));
      cur = up;
    }
  }
  throw new InputError(`refused to touch ${p}: too many levels of symbolic links`);
}

function readLink(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}

/*
 * Opening files below a root without following any link. Node has no openat(2), but `/proc/self/fd/<dirfd>/name`
 * is one: the kernel resolves the fd's magic link to the directory it holds, then looks `name` up in it. Walking
 * a path one component at a time that way, each opened with O_NOFOLLOW, resolves no symlink anywhere below the
 * root, and a directory swapped for a link after it was opened changes nothing (the fd still names the old one).
 * A realpath check followed by an open would leave that window open (the pod runs while the tool reads).
 */

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_WRONLY, O_CREAT, O_EXCL } = fs.constants;

/** `p` as components below `root`; refused when it is not lexically inside it (a `..` out, another absolute path). */
function componentsBelow(root: string, p: string, what: string | undefined): string[] {
  const rel = path.relative(path.resolve(root), path.resolve(root, p));
  if (rel === '') return [];
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel))
    throw new InputError(`refused to touch ${p}${what ? ` (${what})` : ''}: it is outside ${root}`);
  return rel.split(path.sep);
}

const inFd = (fd: number, name: string): string => `/proc/self/fd/${fd}/${name}`;

/** A linked component: the error names it and where it was planted. */
function linkRefusal(root: string, parts: string[], i: number, what: string | undefined, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== 'ELOOP' && code !== 'ENOTDIR' && code !== 'EMLINK') return err as Error;
  const shown = path.join(root, ...parts.slice(0, i + 1));
  return new InputError(
    `refused to follow ${shown}${what ? ` (${what})` : ''}: it is a symbolic link or not a directory; ` +
      'nothing this tool reads or writes goes through a link it did not make',
  );
}

/**
 * Opens the directory `parts` below the already open directory `fd` (closed here), component by component with
 * O_NOFOLLOW; with `create`, missing directories are made (mode 0755) on the way. Returns the last one's fd.
 */
function walkDirs(fd: number, root: string, parts: string[], what: string | undefined, create: boolean): number {
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i]!;
    let next: number;
    try {
      if (create) {
        try {
          fs.mkdirSync(inFd(fd, name), 0o755);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
      }
      next = fs.openSync(inFd(fd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (err) {
      fs.closeSync(fd);
      throw linkRefusal(root, parts, i, what, err);
    }
    fs.closeSync(fd);
    fd = next;
  }
  return fd;
}

export interface ContainedTail {
  text: string;
  /** Bytes of the file before the tail that were left out (0: the whole file). */
  skipped: number;
}

/**
 * The last `maxBytes` of a regular file `p` below `root` (a pod's log, its redis.conf `logfile`, nodes.conf),
 * read without following any link below `root` and without blocking: O_NONBLOCK makes opening a FIFO return at
 * once, and anything but a regular file (a FIFO, a device, a socket) is refused before a byte is read. Only the
 * tail is read, however large the file: a pod decides its size (the kubelet too keeps only a bounded log,
 * rotating it past containerLogMaxSize, default 10Mi: kubernetes.io, Logging Architecture, and `kubectl logs
 * --tail` shows its end). Throws when the file cannot be read that way.
 */
export function readContainedTail(root: string, p: string, maxBytes: number, what?: string): ContainedTail {
  const parts = componentsBelow(root, p, what);
  const leaf = parts.pop();
  if (leaf === undefined) throw new InputError(`refused to read ${root}${what ? ` (${what})` : ''}: a directory`);
  const dir = walkDirs(fs.openSync(root, O_RDONLY | O_DIRECTORY), root, parts, what, false);
  let fd: number;
  try {
    fd = fs.openSync(inFd(dir, leaf), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    throw linkRefusal(root, [...parts, leaf], parts.length, what, err);
  } finally {
    fs.closeSync(dir);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile())
      throw new InputError(`refused to read ${path.join(root, p)}${what ? ` (${what})` : ''}: not a regular file`);
    const length = Math.min(st.size, maxBytes);
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = fs.readSync(fd, buf, got, length - got, st.size - length + got);
      if (n === 0) break; // truncated while read
      got += n;
    }
    return { text: buf.subarray(0, got).toString('utf8'), skipped: st.size - length };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Makes the directory `p` below `root` (and its parents), refusing a link anywhere below `root`: a planted
 * `evidence -> /somewhere` must not carry the writes out. `root` itself is the user's choice and may be a link.
 */
export function mkdirContained(root: string, p: string, what?: string): void {
  fs.mkdirSync(root, { recursive: true });
  fs.closeSync(walkDirs(fs.openSync(root, O_RDONLY | O_DIRECTORY), root, componentsBelow(root, p, what), what, true));
}

/**
 * Writes the file `p` below `root`: its directories are made as mkdirContained makes them, the content goes to a
 * new file (O_EXCL: never an existing one, never through a link) and is renamed over `p`, which replaces a link
 * planted there instead of writing through it.
 */
export function writeContained(root: string, p: string, data: string | Uint8Array, what?: string): void {
  const parts = componentsBelow(root, p, what);
  const leaf = parts.pop();
  if (leaf === undefined) throw new InputError(`refused to write ${root}${what ? ` (${what})` : ''}: a directory`);
  fs.mkdirSync(root, { recursive: true });
  const dir = walkDirs(fs.openSync(root, O_RDONLY | O_DIRECTORY), root, parts, what, true);
  try {
    const tmp = `.${leaf}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const fd = fs.openSync(inFd(dir, tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    try {
      fs.writeFileSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.renameSync(inFd(dir, tmp), inFd(dir, leaf));
    } catch (err) {
      fs.rmSync(inFd(dir, tmp), { force: true });
      throw err;
    }
  } finally {
    fs.closeSync(dir);
  }
}
