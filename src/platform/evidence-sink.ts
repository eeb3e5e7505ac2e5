import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { messageOf } from '../errors.ts';
import { redact } from '../util/secrets.ts';

/** Folder of the report dir that holds the evidence of a failed or broken run. */
export const EVIDENCE_DIR = 'evidence';
/** Each file keeps at most its last this many bytes: logs of a long crash loop must not fill the artifact. */
export const MAX_EVIDENCE_BYTES = 256 * 1024;

/** The last `maxBytes` of `text`, cut at a line start, saying how much was left out. */
export function tailBytes(text: string, maxBytes = MAX_EVIDENCE_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  const tail = bytes.subarray(bytes.length - maxBytes).toString('utf8');
  const cut = tail.indexOf('\n') + 1;
  return `[... first ${bytes.length - maxBytes + cut} bytes left out; the last ${maxBytes - cut} follow ...]\n${tail.slice(cut)}`;
}

/** Where the evidence of one run goes: files under `<reportDir>/evidence`, each size-bounded and redacted. */
export class EvidenceSink {
  /** Paths written, relative to the report dir, in the order written. */
  readonly files: string[] = [];

  constructor(readonly reportDir: string) {}

  get dir(): string {
    return join(this.reportDir, EVIDENCE_DIR);
  }

  /** Writes `name` (a path under evidence/), keeping the tail of `text` within MAX_EVIDENCE_BYTES. */
  async write(name: string, text: string): Promise<void> {
    const file = join(this.dir, name);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, tailBytes(redact(text)));
    this.files.push(relative(this.reportDir, file));
  }

  /** Copies the tail of a file (a log) to `name`; a file that cannot be read is noted in its place. */
  async copy(name: string, source: string): Promise<void> {
    const text = await readFile(source, 'utf8').catch(
      (err: unknown) => `(could not read ${source}: ${messageOf(err)})\n`,
    );
    await this.write(name, text);
  }

  /** Cuts every file under `dir` (a tool's folder) down to its tail, as write() does. */
  async bound(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
      if (!entry.isFile()) continue;
      const file = join(entry.parentPath, entry.name);
      if ((await stat(file)).size > MAX_EVIDENCE_BYTES) await writeFile(file, tailBytes(await readFile(file, 'utf8')));
    }
  }

  /** A subfolder for a tool that writes its own files there (kind export logs); listed as one entry. */
  async folder(name: string): Promise<string> {
    const dir = join(this.dir, name);
    await mkdir(dir, { recursive: true });
    this.files.push(`${relative(this.reportDir, dir)}/`);
    return dir;
  }
}
