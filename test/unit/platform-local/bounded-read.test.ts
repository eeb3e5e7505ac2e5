import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openLogForAppend } from '../../../src/platform/local/bounded-read.ts';

const dir = mkdtempSync(join(tmpdir(), 'rcr-bounded-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

// The read side (a log's tail) is readContainedTail's, tested in test/unit/util/contained-path.test.ts.
test('a FIFO, a device or a link where a log goes is refused at once for writing (no reader to wait for)', () => {
  const fifo = join(dir, 'fifo.log');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => openLogForAppend(fifo), /not a regular file/);
  const link = join(dir, 'link.log');
  symlinkSync('/etc/hostname', link);
  assert.throws(() => openLogForAppend(link), /ELOOP/);
});

test.run();
