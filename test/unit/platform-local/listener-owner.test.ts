import { spawn } from 'node:child_process';
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listenerHeldBy } from '../../../src/platform/local/listener-owner.ts';
import { claimIps } from '../../support/redis-processes.ts';

test('the listening socket is found held by its process (or an ancestor of it), not by an unrelated one', async () => {
  const [ip] = await claimIps(1, '127.0.62');
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(16401, ip, r));
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    assert.ok(listenerHeldBy(process.pid, ip!, 16401));
    assert.not.ok(listenerHeldBy(other.pid!, ip!, 16401), 'a process that holds no such socket');
    assert.not.ok(listenerHeldBy(process.pid, ip!, 16402), 'another port');
  } finally {
    other.kill('SIGKILL');
    await new Promise((r) => server.close(r));
  }
});

test.run();
