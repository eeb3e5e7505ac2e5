import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../errors.ts';

const MiB = 1024 * 1024;

/** "12.3 MiB" for byte counts in messages. */
export function mibText(bytes: number): string {
  return `${(bytes / MiB).toFixed(bytes < 10 * MiB ? 1 : 0)} MiB`;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The text of a file given as input (a manifest, a kubeconfig), which must be UTF-8 (YAML 1.2 also allows
 * UTF-16 and UTF-32, but the Kubernetes tools read UTF-8 only). `name` is how messages call the file. Refused
 * as InputError: more than `maxBytes`, UTF-16/32 (named by their byte-order mark or their NUL bytes), and any
 * other encoding that is not valid UTF-8 (Latin-1, Windows-1252), with the line of the first bad byte. The
 * bad bytes themselves are never repeated: the file may hold secrets.
 */
export function decodeInputText(bytes: Uint8Array, name: string, maxBytes: number, limitWhy: string): string {
  checkSize(bytes.length, name, maxBytes, limitWhy);
  const utf16 = utf16Kind(bytes);
  if (utf16) {
    throw new InputError(
      `${name} is encoded as ${utf16}; save it as UTF-8 (e.g. iconv -f ${utf16.split(' ')[0]!} -t UTF-8)`,
    );
  }
  try {
    return UTF8.decode(bytes); // drops a UTF-8 byte-order mark
  } catch {
    const lenient = Buffer.from(bytes).toString('utf8');
    const line = lenient.slice(0, lenient.indexOf('\ufffd')).split('\n').length;
    throw new InputError(
      `${name}:${line}: not UTF-8 (the bytes there look like Latin-1 or Windows-1252); save the file as UTF-8 ` +
        '(e.g. iconv -f LATIN1 -t UTF-8)',
    );
  }
}

/** UTF-32 or UTF-16 by byte-order mark, or UTF-16 without one (a NUL byte beside every ASCII character). */
function utf16Kind(b: Uint8Array): string | undefined {
  if (b[0] === 0xff && b[1] === 0xfe) return b[2] === 0 && b[3] === 0 ? 'UTF-32LE' : 'UTF-16LE';
  if (b[0] === 0xfe && b[1] === 0xff) return 'UTF-16BE';
  if (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return 'UTF-32BE';
  if (b.length >= 2 && b[0] !== 0 && b[1] === 0) return 'UTF-16LE (no byte-order mark)';
  if (b.length >= 2 && b[0] === 0 && b[1] !== 0) return 'UTF-16BE (no byte-order mark)';
  return undefined;
}

function checkSize(size: number, name: string, maxBytes: number, limitWhy: string): void {
  if (size > maxBytes)
    throw new InputError(`${name} is ${mibText(size)}, over the ${mibText(maxBytes)} this tool reads; ${limitWhy}`);
}

/** decodeInputText of a file's content; the size is checked before the file is read. */
export async function readInputText(file: string, name: string, maxBytes: number, limitWhy: string): Promise<string> {
  checkSize((await stat(file)).size, name, maxBytes, limitWhy);
  return decodeInputText(await readFile(file), name, maxBytes, limitWhy);
}

/** readInputText for the places that must stay synchronous (loading a kubeconfig). */
export function readInputTextSync(file: string, name: string, maxBytes: number, limitWhy: string): string {
  checkSize(statSync(file).size, name, maxBytes, limitWhy);
  return decodeInputText(readFileSync(file), name, maxBytes, limitWhy);
}
