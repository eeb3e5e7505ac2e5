import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openLogForAppend, tailOfFile } from '../../../src/platform/local/bounded-read.ts';

const dir = mkdtempSync(join(tmpdir(), 'rcr-bounded-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a FIFO where a log is expected is refused at once, for reading and for writing (no writer/reader to wait for)', () => {
  const fifo = join(dir, 'fifo.log');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => tailOfFile(fifo, 1024), /not a regular file/);
  assert.throws(() => openLogForAppend(fifo), /not a regular file/);
});

test('a device and a link are refused; a missing file is undefined', () => {
  assert.throws(() => tailOfFile('/dev/zero', 1024), /not a regular file/);
  const link = join(dir, 'link.log');
  symlinkSync('/etc/hostname', link);
  assert.throws(() => tailOfFile(link, 1024), /symbolic link/);
  assert.throws(() => openLogForAppend(link), /ELOOP/);
  assert.is(tailOfFile(join(dir, 'none.log'), 1024), undefined);
});

test('only the last maxBytes are read, from the first whole line in them', () => {
  const file = join(dir, 'big.log');
  writeFileSync(file, Array.from({ length: 100_000 }, (_, i) => `line ${i}`).join('\n') + '\n');
  const tail = tailOfFile(file, 100)!;
  assert.ok(tail.length <= 100, String(tail.length));
  assert.ok(tail.startsWith('line '), tail);
  assert.ok(tail.endsWith('line 99999\n'), tail);
  assert.is(tailOfFile(file, 10_000_000)!.split('\n').length, 100_001);
});

test.run();
