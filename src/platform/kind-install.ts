import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, chmod, constants, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tc from '@actions/tool-cache';

export const KIND_DOWNLOAD_BASE = 'https://kind.sigs.k8s.io/dl';

/**
 * The kind releases this action knows: the sha256 of each linux binary, pinned here so that a download is
 * checked against what the action was written with, not only against a checksum file served beside it by the
 * same server; and the Kubernetes version of the release's default node image (the lint target on kind).
 * A release with no pinned checksum (a newer kind-version input) is checked against its published .sha256sum.
 * v0.32.0's checksums are not pinned yet: this project's machines have no network to read them; add them with
 * the release's kind-linux-<arch>.sha256sum files.
 */
export const KIND_RELEASES: Record<
  string,
  { nodeKubernetes: string; sha256: Partial<Record<'amd64' | 'arm64', string>> }
> = {
  'v0.29.0': {
    nodeKubernetes: '1.33',
    sha256: {
      amd64: 'c72eda46430f065fb45c5f70e7c957cc9209402ef309294821978677c8fb3284',
      arm64: '03d45095dbd9cc1689f179a3e5e5da24b77c2d1b257d7645abf1b4174bebcf2a',
    },
  },
  'v0.30.0': {
    nodeKubernetes: '1.34',
    sha256: {
      amd64: '517ab7fc89ddeed5fa65abf71530d90648d9638ef0c4cde22c2c11f8097b8889',
      arm64: '7ea2de9d2d190022ed4a8a4e3ac0636c8a455e460b9a13ccf19f15d07f4f00eb',
    },
  },
  'v0.32.0': { nodeKubernetes: '1.36', sha256: {} },
};

/** The Kubernetes version kind nodes run: the node image's tag when one is given, else the release default. */
export function kindNodeKubernetesVersion(kindVersion: string, nodeImage?: string): string | undefined {
  const tag = nodeImage ? /:v(\d+\.\d+)(?:\.\d+)?(?:@|$)/.exec(nodeImage)?.[1] : undefined;
  return tag ?? KIND_RELEASES[kindVersion]?.nodeKubernetes;
}

/**
 * Runs `fn` with @actions/tool-cache's workflow commands kept off stdout outside GitHub Actions: its ::debug::
 * lines are dropped and its other lines (retries) go to stderr, so the CLI's stdout carries only the verdict.
 */
async function quietToolCache<T>(fn: () => Promise<T>): Promise<T> {
  if (process.env.GITHUB_ACTIONS === 'true') return fn();
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back onto process.stdout below, never called detached
  const write = process.stdout.write;
  process.stdout.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.startsWith('::debug::')) return true;
    return (process.stderr.write as (c: string, ...r: unknown[]) => boolean)(text, ...rest);
  };
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

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
  return {
    toolCache: env.RUNNER_TOOL_CACHE || path.join(os.homedir(), '.cache', 'redis-cluster-resilience', 'tools'),
    tempDir,
  };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The layout of @actions/tool-cache (<cache>/<tool>/<version>/<arch>, then <arch>.complete), so a runner's
 * cached copy is found either way; written here because tool-cache reads its dirs from process.env only.
 */
function kindCacheDir(version: string, toolCache: string, arch: string): string {
  return path.join(toolCache, 'kind', version.replace(/^v/, ''), arch);
}

/**
 * The binary of kind `version` in the tool cache when a complete, executable install is there; else undefined.
 * Undo resolves kind this way, as the run did, from the version alone: a journal never names a program to run.
 */
export async function cachedKind(version: string, toolCache: string, arch = kindArch()): Promise<string | undefined> {
  if (!/^v?\d+\.\d+\.\d+$/.test(version)) return undefined;
  const dir = kindCacheDir(version, toolCache, arch);
  const cached = path.join(dir, 'kind');
  return access(`${dir}.complete`)
    .then(() => access(cached, constants.X_OK))
    .then(
      () => cached,
      () => undefined,
    );
}

/**
 * Installs kind `version` and returns the path of its binary: from the tool cache when present, else downloaded
 * from `<baseUrl>/<version>/kind-linux-<arch>` and checked against the sha256 pinned in KIND_RELEASES (else, for
 * a release the action does not know, the published `.sha256sum`, with a warning) before it is made executable
 * or cached. A mismatch throws and leaves nothing behind.
 */
export async function installKind(
  version: string,
  opts: KindDirs & { baseUrl?: string; arch?: string; releases?: typeof KIND_RELEASES; warn?: (line: string) => void },
): Promise<string> {
  const arch = opts.arch ?? kindArch();
  const found = await cachedKind(version, opts.toolCache, arch);
  if (found) return found;
  const dir = kindCacheDir(version, opts.toolCache, arch);
  const cached = path.join(dir, 'kind');

  const url = `${(opts.baseUrl ?? KIND_DOWNLOAD_BASE).replace(/\/+$/, '')}/${version}/kind-linux-${arch}`;
  const pinned = (opts.releases ?? KIND_RELEASES)[version]?.sha256[arch as 'amd64' | 'arm64'];
  await mkdir(opts.tempDir, { recursive: true });
  const binary = await quietToolCache(() => tc.downloadTool(url, path.join(opts.tempDir, `kind-${randomUUID()}`)));
  try {
    let expected = pinned;
    let source = 'the sha256 pinned in this action';
    if (!expected) {
      opts.warn?.(
        `kind ${version} (${arch}) has no sha256 pinned in this action; checking it against the published ${url}.sha256sum only`,
      );
      const sumFile = await quietToolCache(() =>
        tc.downloadTool(`${url}.sha256sum`, path.join(opts.tempDir, `kind-${randomUUID()}.sha256sum`)),
      );
      // The file reads "<hex>  kind-linux-<arch>".
      const published =
        (await readFile(sumFile, 'utf8').finally(() => rm(sumFile, { force: true })))
          .trim()
          .split(/\s+/)[0]
          ?.toLowerCase() ?? '';
      if (!/^[0-9a-f]{64}$/.test(published)) {
        throw new Error(`${url}.sha256sum holds no sha256 checksum (read "${published.slice(0, 80)}")`);
      }
      expected = published;
      source = 'its published sha256';
    }
    const actual = await sha256Of(binary);
    if (actual !== expected) {
      throw new Error(
        `kind ${version} from ${url} failed its checksum: ${source} is ${expected}, the downloaded file has ${actual}; refusing to run it`,
      );
    }
  } catch (err) {
    await rm(binary, { force: true });
    throw err;
  }
  await mkdir(dir, { recursive: true });
  await copyFile(binary, cached);
  await rm(binary, { force: true });
  await chmod(cached, 0o755);
  await writeFile(`${dir}.complete`, '');
  return cached;
}
