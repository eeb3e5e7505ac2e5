/**
 * The log hints against what real servers print: redis-server and valkey-server started on a nodes.conf we wrote,
 * listening on a unix socket only (no TCP port, no network), and the hint read off their own log. The peers in
 * nodes.conf are `noaddr`, so a server that does start connects to nobody.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serverLogHint } from '../../src/platform/server-log-hints.ts';
import { beforeAll } from '../support/setup.ts';

const MASTER = 'a'.repeat(40);
const REPLICA = 'b'.repeat(40);

/** Valkey's nodes.conf of a replica (this node) and its master; the replica's shard-id as given. */
const replicaNodesConf = (replicaShard: string) =>
  [
    `${MASTER} :0@0,,tls-port=0,shard-id=${'1'.repeat(40)} master,noaddr - 0 0 1 disconnected 0-16383`,
    `${REPLICA} :0@0,,tls-port=0,shard-id=${replicaShard} myself,slave ${MASTER} 0 0 1 connected`,
    'vars currentEpoch 1 lastVoteEpoch 0',
    '',
  ].join('\n');

let dir = '';
beforeAll(test, async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-log-hints-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Starts `program` on this nodes.conf and returns its log once it exits, or once it has loaded the file (then
 * it is killed): either way within 10 s.
 */
async function logOf(program: string, name: string, nodesConf: string): Promise<{ exited: boolean; log: string }> {
  const conf = join(dir, `${name}.conf`);
  await writeFile(conf, nodesConf);
  const args = ['--port', '0', '--unixsocket', join(dir, `${name}.sock`), '--cluster-enabled', 'yes'];
  args.push('--cluster-config-file', conf, '--dir', dir, '--save', '', '--appendonly', 'no');
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const append = (chunk: Buffer) => {
    log += chunk.toString();
    if (log.includes('Node configuration loaded')) child.kill('SIGKILL');
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  }).finally(() => clearTimeout(timer));
  return { exited: code !== null, log };
}

test('valkey-server: a replica whose shard-id differs from its master refuses to start; the hint names the bug', async () => {
  const { exited, log } = await logOf('valkey-server', 'mismatch', replicaNodesConf('2'.repeat(40)));
  assert.ok(exited, `valkey-server started on the mismatched nodes.conf:\n${log}`);
  const hint = serverLogHint(log);
  assert.match(hint, /^likely cause: nodes\.conf gives this replica another shard-id than its master/);
  assert.match(hint, 'valkey-io/valkey#774 and #2171');
});

test("valkey-server: the same nodes.conf with the master's shard-id loads, so the mismatch is the cause", async () => {
  const { exited, log } = await logOf('valkey-server', 'match', replicaNodesConf('1'.repeat(40)));
  assert.not.ok(exited, `valkey-server exited on a consistent nodes.conf:\n${log}`);
  assert.match(log, `Node configuration loaded, I'm ${REPLICA}`);
  assert.is(serverLogHint(log), '');
});

for (const program of ['redis-server', 'valkey-server']) {
  test(`${program}: a nodes.conf it cannot parse gets the general hint, not the shard-id one`, async () => {
    const { exited, log } = await logOf(program, `garbage-${program}`, 'not a nodes.conf line\n');
    assert.ok(exited, `${program} started on a garbage nodes.conf:\n${log}`);
    assert.match(serverLogHint(log), /^cause: the node's nodes\.conf on its volume cannot be read back/);
  });
}

test.run();
