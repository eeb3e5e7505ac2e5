import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NAME = 'redis-cluster-resilience';

/**
 * A path inside this package (where package.json and manifests/ live). Found by walking up from this module:
 * it runs from src/ (tsx), and in the bundle from a chunk in dist/chunks/, so no fixed `../` is right for both.
 */
export function packagePath(...parts: string[]): string {
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (isThisPackage(path.join(dir, 'package.json'))) return path.join(dir, ...parts);
    if (path.dirname(dir) === dir) throw new Error(`no package.json of ${NAME} above ${start}`);
  }
}

function isThisPackage(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === NAME;
  } catch {
    return false;
  }
}
