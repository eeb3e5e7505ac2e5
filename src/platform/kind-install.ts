import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, chmod, constants, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tc from '@actions/tool-cache';

export const KIND_DOWNLOAD_BASE = 'https://kind.sigs.k8s.io/dl';

/** kind names its release binaries by Go's architecture names. */
export function kindArch(nodeArch: string = os.arch()): string {
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[nodeArch];
  if (!arch) throw new Error(`kind publishes no linux binary for architecture ${nodeArch} (only amd64 and arm64)`);
  return arch;
}

/** Where kind is cached (shared by runs) and downloaded to (a run's own dir, removed with it). */
export interface KindDirs {
  toolCache: string;
  tempDir: string;
}

/**
 * The runner's tool cache (RUNNER_TOOL_CACHE) on GitHub; on a workstation a per-user cache, so a second run does
 * not download kind again. Passed to installKind: nothing here writes process.env.
 */
export function kindDirs(tempDir: string, env: NodeJS.ProcessEnv = process.env): KindDirs {
  return { toolCache: env.RUNNER_TOOL_CACHE || path.join(os.homedir(), '.cache', 'redis-cluster-resilience', 'tools'), tempDir };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Installs kind `version` and returns the path of its binary: from the tool cache when present, else downloaded
 * from `<baseUrl>/<version>/kind-linux-<arch>` and checked against the published `.sha256sum` before it is made
 * executable or cached. A mismatch throws and leaves nothing behind.
 */
export async function installKind(version: string, opts: KindDirs & { baseUrl?: string; arch?: string }): Promise<string> {
  const arch = opts.arch ?? kindArch();
  // The layout of @actions/tool-cache (<cache>/<tool>/<version>/<arch>, then <arch>.complete), so a runner's
  // cached copy is found either way; written here because tool-cache reads its dirs from process.env only.
  const dir = path.join(opts.toolCache, 'kind', version.replace(/^v/, ''), arch);
  const cached = path.join(dir, 'kind');
  const complete = await access(`${dir}.complete`).then(() => access(cached, constants.X_OK)).then(() => true, () => false);
  if (complete) return cached;

  const url = `${(opts.baseUrl ?? KIND_DOWNLOAD_BASE).replace(/\/+$/, '')}/${version}/kind-linux-${arch}`;
  await mkdir(opts.tempDir, { recursive: true });
  const binary = await tc.downloadTool(url, path.join(opts.tempDir, `kind-${randomUUID()}`));
  const sumFile = await tc.downloadTool(`${url}.sha256sum`, path.join(opts.tempDir, `kind-${randomUUID()}.sha256sum`));
  try {
    // The file reads "<hex>  kind-linux-<arch>".
    const published = (await readFile(sumFile, 'utf8')).trim().split(/\s+/)[0]?.toLowerCase() ?? '';
    if (!/^[0-9a-f]{64}$/.test(published)) {
      throw new Error(`${url}.sha256sum holds no sha256 checksum (read "${published.slice(0, 80)}")`);
    }
    const actual = await sha256Of(binary);
    if (actual !== published) {
      throw new Error(`kind ${version} from ${url} failed its checksum: published sha256 ${published}, downloaded file has ${actual}; refusing to run it`);
    }
  } catch (err) {
    await rm(binary, { force: true });
    throw err;
  } finally {
    await rm(sumFile, { force: true });
  }
  await mkdir(dir, { recursive: true });
  await copyFile(binary, cached);
  await rm(binary, { force: true });
  await chmod(cached, 0o755);
  await writeFile(`${dir}.complete`, '');
  return cached;
}
