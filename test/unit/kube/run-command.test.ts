import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commandRunner } from '../../../src/platform/run-command.ts';

test('a command: its exit code and output kept', async () => {
  const r = await commandRunner(10_000)('sh', ['-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(r, { code: 3, stdout: 'out\n', stderr: 'err\n' });
});

test('a program that cannot start: a non-zero code and why', async () => {
  const r = await commandRunner(10_000)('no-such-program-rcr', []);
  assert.is(r.code, 127);
  assert.match(r.stderr, 'ENOENT');
});

test('a command past its timeout is killed, and its stderr says after how long', async () => {
  const r = await commandRunner(200)('sh', ['-c', 'echo started >&2; exec sleep 30']);
  assert.is.not(r.code, 0);
  assert.match(r.stderr, 'started');
  assert.match(r.stderr, 'sh killed after 0.2 s');
});

test.run();
