import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { messageOf } from '../../errors.ts';
import type { ServerInfo } from '../../manifests/server.ts';

/** How to get each server on Debian/Ubuntu (Debian 12 has Valkey only in its backports suite). */
const INSTALL_HINTS: Record<ServerInfo['kind'], string> = {
  redis: 'install it with `apt-get install -y redis-server` (Debian/Ubuntu)',
  valkey:
    'install it with `apt-get install -y valkey-server` (Debian 13, Ubuntu 25.04; on Debian 12 enable ' +
    'bookworm-backports and run `apt-get install -y -t bookworm-backports valkey-server`)',
};

/** Absolute path of an executable: as given when it has a slash, else the first match on PATH. */
export function findExecutable(name: string): string | undefined {
  const candidates = name.includes('/')
    ? [path.resolve(name)]
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((d) => path.join(d, name));
  return candidates.find((c) => {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return fs.statSync(c).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * Locates the server program a deployment runs (redis-server or valkey-server; `name` overrides it) and checks
 * it is 7.0 or newer (bind-source-addr came with Redis 7.0; every Valkey has it).
 */
export async function findServerBinary(
  server: ServerInfo,
  name = server.program,
): Promise<{ path: string; version: string }> {
  const hint = INSTALL_HINTS[server.kind];
  const found = findExecutable(name);
  if (!found)
    throw new Error(
      `${server.program} not found (looked for '${name}'${name.includes('/') ? '' : ' on PATH'}): ${hint}`,
    );
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(found, ['--version'], { timeout: 10_000 }));
  } catch (err) {
    throw new Error(`${found} --version failed (${messageOf(err)}): ${hint}`, { cause: err });
  }
  // "Redis server v=7.0.15 sha=..." / "Valkey server v=8.0.1 sha=..."
  const version = /v=(\d+)\.(\d+)\.(\d+)/.exec(stdout);
  if (!version) throw new Error(`${found} does not look like ${server.program} (--version said '${stdout.trim()}')`);
  if (Number(version[1]) < 7) {
    throw new Error(
      `${found} is ${server.name} ${version[0].slice(2)}; the local platform needs 7.0 or newer (bind-source-addr): ${hint}`,
    );
  }
  return { path: found, version: version[0].slice(2) };
}
