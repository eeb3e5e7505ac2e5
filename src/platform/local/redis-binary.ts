import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { messageOf } from '../../errors.ts';

const INSTALL_HINT = 'install it with `apt-get install -y redis-server` (Debian/Ubuntu)';

/** Absolute path of an executable: as given when it has a slash, else the first match on PATH. */
export function findExecutable(name: string): string | undefined {
  const candidates = name.includes('/')
    ? [path.resolve(name)]
    : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, name));
  return candidates.find((c) => {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return fs.statSync(c).isFile();
    } catch {
      return false;
    }
  });
}

/** Locates redis-server and checks it is 7.0 or newer (bind-source-addr came with 7.0). */
export async function findRedisServer(name: string): Promise<{ path: string; version: string }> {
  const found = findExecutable(name);
  if (!found) throw new Error(`redis-server not found (looked for '${name}'${name.includes('/') ? '' : ' on PATH'}): ${INSTALL_HINT}`);
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(found, ['--version'], { timeout: 10_000 }));
  } catch (err) {
    throw new Error(`${found} --version failed (${messageOf(err)}): ${INSTALL_HINT}`);
  }
  const version = /v=(\d+)\.(\d+)\.(\d+)/.exec(stdout);
  if (!version) throw new Error(`${found} does not look like redis-server (--version said '${stdout.trim()}')`);
  if (Number(version[1]) < 7) {
    throw new Error(`${found} is Redis ${version[0].slice(2)}; the local platform needs 7.0 or newer (bind-source-addr): ${INSTALL_HINT}`);
  }
  return { path: found, version: version[0].slice(2) };
}
