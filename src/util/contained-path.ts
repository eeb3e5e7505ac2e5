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
