// Pods are owned as process groups: a redis-server started through a wrapper script that does not `exec` it
// (so it is the wrapper's child, not ours) is stopped with its wrapper, killed when the wrapper ends on its own
// (as a container runtime ends a container whose main process exits), and cleaned up by the next run after a
// hard kill of ours. Real redis-server processes on claimed loopback addresses.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  groupAlive,
  killStaleProcesses,
  processRunning,
  startProcess,
  stopProcess,
  type Supervised,
} from '../../src/platform/local/process.ts';
import { findExecutable } from '../../src/platform/local/redis-binary.ts';
import { addressAnswers, infoServer } from '../../src/platform/local/server-probe.ts';
import { settleWithin, waitFor } from '../../src/util/wait.ts';
import { beforeAll } from '../support/setup.ts';
import { claimIps, PORT } from '../support/redis-processes.ts';

let dir = '';
const everyPid = new Set<number>();
beforeAll(test, () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'process-groups-test-'));
});
test.after(() => {
  for (const pid of [...everyPid].filter(processRunning)) process.kill(pid, 'SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal([...everyPid].filter(processRunning), [], 'no process left running');
});

/** A shell that starts redis-server on `ip` as its child and then does `then` (never `exec`). */
const wrapper = (ip: string, then: string): string[] => [
  '-c',
  `redis-server --bind ${ip} --port ${PORT} --save '' --appendonly no --dir ${JSON.stringify(dir)} --daemonize no ${then}`,
];

/** The wrapper's redis-server, once it answers on ip: its pid (not the wrapper's). */
async function redisPid(ip: string, proc: Supervised): Promise<number> {
  const pid = await waitFor(
    `redis-server under wrapper pid ${proc.pid} to answer on ${ip}`,
    async () => {
      const answer = await infoServer(ip, PORT, 500);
      return answer.pid ? { done: true, value: answer.pid } : { done: false, seen: answer.reply };
    },
    { timeoutMs: 10_000, intervalMs: 25 },
  );
  everyPid.add(pid);
  assert.is.not(pid, proc.pid, 'the wrapper did not exec: redis-server is its child');
  return pid;
}

/**
 * Waits (bounded) until nothing answers on ip: a killed process's main thread can show as a zombie a moment
 * before its last thread has exited and its sockets are closed, so "gone" is the address, not /proc.
 */
const addressGone = (ip: string): Promise<void> =>
  waitFor(
    `${ip}:${PORT} to stop answering`,
    async () =>
      (await addressAnswers(ip, PORT)) ? { done: false, seen: 'answering' } : { done: true, value: undefined },
    {
      timeoutMs: 5000,
      intervalMs: 20,
    },
  );

const start = (ip: string, then: string, name: string) =>
  startProcess('/bin/sh', wrapper(ip, then), {
    cwd: dir,
    output: { logFile: path.join(dir, `${name}.log`) },
    registryDir: path.join(dir, 'pids'),
    setpriv: findExecutable('setpriv'),
  });

test('stopping a wrapper that did not exec redis-server stops the whole group; its address stops answering', async () => {
  const [ip] = await claimIps(1, '127.0.57');
  const proc = await start(ip!, '; echo redis-server ended', 'stop');
  everyPid.add(proc.pid);
  const pid = await redisPid(ip!, proc);
  await stopProcess(proc, 'graceful', 5000);
  assert.not.ok(processRunning(pid), 'redis-server went with its wrapper');
  assert.not.ok(groupAlive(proc.pid), 'nothing is left in the group');
  await addressGone(ip!);
});

test('a wrapper that ends on its own takes the rest of its group with it', async () => {
  const [ip] = await claimIps(1, '127.0.57');
  // The wrapper ends once told to (a file appears), not after a fixed time its redis-server might outlast
  // starting up on a loaded machine.
  const go = 'leader-exits.go';
  const proc = await start(ip!, `& until [ -e ${go} ]; do sleep 0.05; done`, 'leader-exits');
  everyPid.add(proc.pid);
  const pid = await redisPid(ip!, proc);
  fs.writeFileSync(path.join(dir, go), '');
  const exit = await settleWithin(proc.exited, 10_000, `wrapper pid ${proc.pid} did not end within 10 s of ${go}`);
  assert.is(exit.code, 0, 'the wrapper ended by itself');
  assert.not.ok(processRunning(pid), 'its redis-server was killed with the group before exited resolved');
  await addressGone(ip!);
});

test("a hard-killed run's wrapper children are killed by the next run's cleanup", async () => {
  const [ip] = await claimIps(1, '127.0.57');
  const registry = path.join(dir, 'hard-kill-pids');
  const src = JSON.stringify(path.resolve('src/platform/local/process.ts'));
  const script = `
    const { startProcess } = await import(${src});
    const p = await startProcess('/bin/sh', ${JSON.stringify(wrapper(ip!, '; true'))}, {
      cwd: ${JSON.stringify(dir)}, output: { logFile: ${JSON.stringify(path.join(dir, 'hard.log'))} }, registryDir: ${JSON.stringify(registry)},
      setpriv: ${JSON.stringify(findExecutable('setpriv') ?? null)} ?? undefined,
    });
    process.stdout.write(p.pid + '\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let out = '';
    child.stdout.on('data', (d: string | Buffer) => (out += d.toString()));
    const leader = await waitFor(
      'the run to start its wrapper',
      async () =>
        /^\d+\n/.test(out) ? { done: true, value: Number(out.trim()) } : { done: false, seen: JSON.stringify(out) },
      { timeoutMs: 20_000 },
    );
    everyPid.add(leader);
    const pid = await redisPid(ip!, { pid: leader, exited: new Promise(() => undefined) });
    child.kill('SIGKILL');
    // The parent-death signal reaches the wrapper only; its redis-server is an orphan now.
    await waitFor(
      'the wrapper to die with the run',
      async () => (processRunning(leader) ? { done: false, seen: 'running' } : { done: true, value: 0 }),
      { timeoutMs: 5000 },
    );
    assert.ok(processRunning(pid), 'the orphan outlived the run (what the next run must clean up)');
    assert.equal(killStaleProcesses(registry), [pid]);
    await waitFor(
      'the orphan to die',
      async () => (processRunning(pid) ? { done: false, seen: 'running' } : { done: true, value: 0 }),
      { timeoutMs: 5000 },
    );
    await addressGone(ip!);
  } finally {
    child.kill('SIGKILL');
    killStaleProcesses(registry); // whatever the test left of that run, should it have failed half-way
  }
});

test.run();
