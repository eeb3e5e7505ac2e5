import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { messageOf } from '../errors.ts';
import { mkdirContained, readContainedTail, writeContained, type ContainedTail } from '../util/contained-path.ts';
import { redact } from '../util/secrets.ts';

/** Folder of the report dir that holds the evidence of a failed or broken run. */
export const EVIDENCE_DIR = 'evidence';
/** Each file keeps at most its last this many bytes: logs of a long crash loop must not fill the artifact. */
export const MAX_EVIDENCE_BYTES = 256 * 1024;

/** What a copy reads of a file's end: the bound, less room for the note saying what was left out. */
const TAIL_READ_BYTES = MAX_EVIDENCE_BYTES - 128;

/** A tail read with a first line saying how much of the file came before it. */
function noted(read: ContainedTail): string {
  return read.skipped ? `[... first ${read.skipped} bytes left out ...]\n${read.text}` : read.text;
}

/** The last `maxBytes` of `text`, cut at a line start, saying how much was left out. */
export function tailBytes(text: string, maxBytes = MAX_EVIDENCE_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  const tail = bytes.subarray(bytes.length - maxBytes).toString('utf8');
  const cut = tail.indexOf('\n') + 1;
  return `[... first ${bytes.length - maxBytes + cut} bytes left out; the last ${maxBytes - cut} follow ...]\n${tail.slice(cut)}`;
}

/**
 * Where the evidence of one run goes: files under `<reportDir>/evidence`, each size-bounded and redacted. The
 * report dir can be a checkout a pull request controls: no write goes through a link planted under it
 * (util/contained-path.ts: a linked folder is refused, a linked file replaced).
 */
export class EvidenceSink {
  /** Paths written, relative to the report dir, in the order written. */
  readonly files: string[] = [];

  constructor(readonly reportDir: string) {}

  get dir(): string {
    return join(this.reportDir, EVIDENCE_DIR);
  }

  /** Writes `name` (a path under evidence/), keeping the tail of `text` within MAX_EVIDENCE_BYTES. */
  async write(name: string, text: string): Promise<void> {
    const rel = join(EVIDENCE_DIR, name);
    writeContained(this.reportDir, rel, tailBytes(redact(text)), 'evidence');
    this.files.push(rel);
  }

  /**
   * Copies the tail of `source`, a file below `root` (a pod's log), to `name`, read as readContainedTail reads:
   * a link, a FIFO or a device in its place is noted as unreadable, never followed or waited on.
   */
  async copy(name: string, root: string, source: string): Promise<void> {
    let text: string;
    try {
      text = noted(readContainedTail(root, source, TAIL_READ_BYTES));
    } catch (err) {
      text = `(could not read ${source}: ${messageOf(err)})\n`;
    }
    await this.write(name, text);
  }

  /** Cuts every file under `dir` (a tool's folder) down to its tail, as write() does; links are left alone. */
  async bound(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
      if (!entry.isFile()) continue;
      const file = relative(dir, join(entry.parentPath, entry.name));
      const read = readContainedTail(dir, file, TAIL_READ_BYTES);
      if (read.skipped) writeContained(dir, file, noted(read));
    }
  }

  /** A subfolder for a tool that writes its own files there (kind export logs); listed as one entry. */
  async folder(name: string): Promise<string> {
    const rel = join(EVIDENCE_DIR, name);
    mkdirContained(this.reportDir, rel, 'evidence');
    this.files.push(`${rel}/`);
    return join(this.reportDir, rel);
  }
}
