import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
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

/**
 * The tool cache lives in RUNNER_TOOL_CACHE / RUNNER_TEMP, which only a runner sets. The CLI on a workstation
 * gets a per-user cache instead, so a second run does not download kind again.
 */
async function ensureRunnerDirs(): Promise<void> {
  process.env.RUNNER_TOOL_CACHE ||= path.join(os.homedir(), '.cache', 'redis-cluster-resilience', 'tools');
  process.env.RUNNER_TEMP ||= path.join(os.tmpdir(), 'redis-cluster-resilience');
  await mkdir(process.env.RUNNER_TEMP, { recursive: true });
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
export async function installKind(version: string, opts: { baseUrl?: string; arch?: string } = {}): Promise<string> {
  await ensureRunnerDirs();
  const arch = opts.arch ?? kindArch();
  const cached = tc.find('kind', version, arch);
  if (cached) return path.join(cached, 'kind');

  const url = `${(opts.baseUrl ?? KIND_DOWNLOAD_BASE).replace(/\/+$/, '')}/${version}/kind-linux-${arch}`;
  const binary = await tc.downloadTool(url);
  const sumFile = await tc.downloadTool(`${url}.sha256sum`);
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
  const dir = await tc.cacheFile(binary, 'kind', 'kind', version, arch);
  await rm(binary, { force: true });
  const kind = path.join(dir, 'kind');
  await chmod(kind, 0o755);
  return kind;
}
