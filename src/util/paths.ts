import { isAbsolute, relative } from 'node:path';

/** A path as shown to users and in reports: relative to the working directory when inside it, so no machine
 * paths leak into committed or uploaded reports. */
export function displayPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
