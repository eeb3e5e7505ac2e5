/**
 * The local platform with real redis-server processes, deployed from the project's default manifests (3 of the
 * StatefulSet's pods): own loopback addresses, PV contents surviving a restart while the rest is wiped, hold and
 * release, recreation without hold, teardown leaving nothing behind.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import { beforeAll } from '../support/setup.ts';
import * as assert from 'uvu/assert';
import { redisDeployment } from '../../src/manifests/deployment.ts';
import { loadManifests } from '../../src/manifests/load.ts';
import type { ManifestSet, RedisDeployment } from '../../src/manifests/model.ts';
import { SERVERS } from '../../src/manifests/server.ts';
import { createLocalPlatform, type LocalPlatform } from '../../src/platform/local.ts';
import { processRunning } from '../../src/platform/local/process.ts';
import type { PodInfo } from '../../src/platform/platform.ts';
import { silentLog } from '../../src/util/log.ts';
import { waitFor } from '../../src/util/wait.ts';
import { claimIps } from '../support/redis-processes.ts';

const run = promisify(execFile);
const cli = async (ip: string, ...args: string[]): Promise<string> =>
  (await run('redis-cli', ['-h', ip, '-p', '6379', ...args], { timeout: 5000 })).stdout.trim();

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-platform-test-'));
let platform: LocalPlatform | undefined;
let set: ManifestSet;
let redis: RedisDeployment;
const everyPid = new Set<number>();
const everyIp: string[] = [];

const podNamed = async (name: string): Promise<PodInfo> => (await platform!.listPods()).find((p) => p.name === name)!;
const remember = async (): Promise<void> => {
  for (const pid of platform!.processIds()) everyPid.add(pid);
  for (const p of await platform!.listPods()) if (p.ip && !everyIp.includes(p.ip)) everyIp.push(p.ip);
};

beforeAll(test, async () => {
  set = await loadManifests('manifests');
  redis = { ...redisDeployment(set), replicas: 3 };
  // Direct mode: these tests read the config the platform writes and the server processes it starts (the sandbox
  // mode runs the container's own command: test/integration/wild-manifests-scripts.test.ts).
  platform = createLocalPlatform(
    { log: silentLog, workDir },
    { addressBase: '127.0.50', restartDelayMs: 200, mode: 'direct' },
  );
  await platform.provision();
  await platform.deploy(set, redis);
  await remember();
});

test.after(async () => {
  await platform?.teardown();
  fs.rmSync(workDir, { recursive: true, force: true });
  assert.equal([...everyPid].filter(processRunning), [], 'no redis-server left running');
});

test('deploys one redis-server per pod, each answering on its own address with the manifest settings', async () => {
  const pods = await platform!.listPods();
  assert.equal(
    pods.map((p) => p.name),
    ['redis-app-0', 'redis-app-1', 'redis-app-2'],
  );
  assert.equal(
    pods.map((p) => p.ordinal),
    [0, 1, 2],
  );
  assert.ok(pods.every((p) => p.ready && p.node.startsWith('local-worker') && p.uid !== ''));
  assert.equal(new Set(pods.map((p) => p.ip)).size, 3);
  for (const p of pods) {
    assert.match(p.ip, /^127\.0\.50\.\d+$/);
    assert.is(await cli(p.ip, 'PING'), 'PONG');
    assert.is(await cli(p.ip, 'CONFIG', 'GET', 'bind-source-addr'), `bind-source-addr\n${p.ip}`);
    assert.is(await cli(p.ip, 'CONFIG', 'GET', 'cluster-announce-ip'), `cluster-announce-ip\n${p.ip}`);
    assert.is(await cli(p.ip, 'CONFIG', 'GET', 'cluster-node-timeout'), 'cluster-node-timeout\n5000');
    // dir is the pod's PV directory on the host.
    assert.is(await cli(p.ip, 'CONFIG', 'GET', 'dir'), `dir\n${platform!.hostPath(p.name, '/var/lib/redis')}`);
    assert.ok(
      platform!
        .hostPath(p.name, '/var/lib/redis')
        .startsWith(path.join(workDir, 'pv', `redis-data-redis-app-${p.ordinal}`)),
    );
  }
});

test('a held pod stays down until released, then returns with a new address and UID, its PV kept, the rest wiped', async () => {
  const before = await podNamed('redis-app-0');
  const myid = await cli(before.ip, 'CLUSTER', 'MYID');
  fs.writeFileSync(platform!.hostPath(before.name, '/var/lib/redis/on-pv'), 'kept');
  fs.writeFileSync(platform!.hostPath(before.name, '/tmp/ephemeral'), 'wiped');
  const pidBefore = platform!.processIds().length;

  await platform!.faults.podDelete.delete(before.name, { hold: true, mode: 'kill' });
  const down = await podNamed(before.name);
  assert.is(down.ready, false);
  assert.is(down.ip, '');
  assert.is(platform!.processIds().length, pidBefore - 1);
  await new Promise((r) => setTimeout(r, 600)); // three restart delays: a pod not held would be back by now
  assert.is((await podNamed(before.name)).ready, false, 'held pod stays down');

  await platform!.faults.podDelete.releaseHold();
  const after = await platform!.waitForReplacement(before.name, before.uid, 15_000);
  await remember();
  assert.is.not(after.uid, before.uid);
  assert.is.not(after.ip, before.ip);
  assert.ok(after.ready);
  assert.is(await cli(after.ip, 'CLUSTER', 'MYID'), myid, 'NodeID kept through nodes.conf on the PV');
  assert.is(fs.readFileSync(platform!.hostPath(after.name, '/var/lib/redis/on-pv'), 'utf8'), 'kept');
  assert.not.ok(fs.existsSync(platform!.hostPath(after.name, '/tmp/ephemeral')), 'ephemeral file wiped');
  const nodesConf = await platform!.readPersistentFile(after.name, '/var/lib/redis/nodes.conf');
  assert.ok(
    nodesConf?.split('\n').some((l) => l.startsWith(myid) && l.includes('myself')),
    'nodes.conf myself line',
  );
  assert.is(
    await platform!.readPersistentFile(after.name, '/etc/redis/redis.conf'),
    undefined,
    'ConfigMap is not a PV',
  );
});

test('a deleted pod that is not held comes back by itself; graceful delete resolves once the process exited', async () => {
  const before = await podNamed('redis-app-1');
  const oldPids = platform!.processIds();
  await platform!.faults.podDelete.delete(before.name, { hold: false, mode: 'graceful' });
  const gone = oldPids.filter((pid) => !platform!.processIds().includes(pid));
  assert.is(gone.length, 1);
  assert.not.ok(processRunning(gone[0]!), 'old process has exited when deletePod resolves');
  const after = await platform!.waitForReplacement(before.name, before.uid, 15_000);
  await remember();
  assert.is.not(after.uid, before.uid);
  assert.is(await cli(after.ip, 'PING'), 'PONG');
});

test('a redis-server that dies by itself is restarted in place: same pod, address and UID (container restart)', async () => {
  const before = await podNamed('redis-app-1');
  const own = await cli(before.ip, 'INFO', 'server');
  const serverPid = Number(/process_id:(\d+)/.exec(own)![1]);
  assert.ok(platform!.processIds().includes(serverPid), 'the server answering on the pod address is one of ours');
  process.kill(serverPid, 'SIGKILL');
  await waitFor(
    'the pod to go unready',
    async () => ((await podNamed(before.name)).ready ? { done: false, seen: 'ready' } : { done: true, value: 0 }),
    { timeoutMs: 5000 },
  );
  const after = await waitFor(
    'the container to be restarted (CrashLoopBackOff waits 10 s first)',
    async () => {
      const p = await podNamed(before.name);
      return p.ready ? { done: true, value: p } : { done: false, seen: JSON.stringify(p) };
    },
    { timeoutMs: 20_000, intervalMs: 200 },
  );
  await remember();
  assert.is(after.uid, before.uid);
  assert.is(after.ip, before.ip);
  assert.not.ok(platform!.processIds().includes(serverPid));
  assert.is(await cli(after.ip, 'PING'), 'PONG');
});

test('never hands out an address twice in a run', () => {
  assert.is(everyIp.length, 5);
  assert.is(new Set(everyIp).size, everyIp.length);
});

test('waitForReplacement times out naming the pod and what it saw', async () => {
  const pod = await podNamed('redis-app-2');
  await platform!.faults.podDelete.delete(pod.name, { hold: true, mode: 'kill' });
  try {
    await platform!.waitForReplacement(pod.name, pod.uid, 300);
    assert.unreachable('should time out');
  } catch (err) {
    assert.match(String(err), /redis-app-2/);
    assert.match(String(err), /held/);
  }
});

test('teardown stops every process, removes its directories, and can be called twice', async () => {
  await remember();
  assert.ok(everyPid.size >= 5);
  await platform!.teardown();
  assert.equal([...everyPid].filter(processRunning), []);
  assert.equal(platform!.processIds(), []);
  assert.equal(fs.readdirSync(workDir), []);
  await platform!.teardown();
});

test('a missing server program says how to install it: redis-server for Redis, valkey-server for Valkey', async () => {
  const valkey = { ...redis, server: SERVERS.valkey };
  for (const [deployment, hint] of [
    [redis, /redis-server not found .*apt-get install -y redis-server/],
    [valkey, /valkey-server not found .*apt-get install -y valkey-server/],
  ] as const) {
    const p = createLocalPlatform(
      { log: silentLog, workDir },
      { addressBase: '127.0.51', serverBinary: '/nonexistent/server' },
    );
    try {
      await p.deploy(set, deployment);
      assert.unreachable('deploy should fail');
    } catch (err) {
      assert.match(String(err), hint);
    }
    assert.equal(await p.listPods(), [], 'nothing started');
    await p.teardown();
  }
});

/**
 * A separate Node process deploys two pods and then ends the way the test asks; its pods must die with it. The
 * base is 127.0.52-54, one /24 per ending, so runs never meet.
 */
async function childRun(
  ending: 'sigkill' | 'sigint' | 'exit',
  base: string,
): Promise<{ pids: number[]; exit: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-platform-child-'));
  const src = (f: string) => JSON.stringify(path.resolve('src', f));
  const script = `
    const { createLocalPlatform } = await import(${src('platform/local.ts')});
    const { redisDeployment } = await import(${src('manifests/deployment.ts')});
    const { loadManifests } = await import(${src('manifests/load.ts')});
    const { silentLog } = await import(${src('util/log.ts')});
    const set = await loadManifests('manifests');
    const p = createLocalPlatform({ log: silentLog, workDir: ${JSON.stringify(dir)} }, { addressBase: '${base}' });
    await p.deploy(set, { ...redisDeployment(set), replicas: 2 });
    console.log(JSON.stringify(p.processIds()));
    ${ending === 'exit' ? 'process.exit(3);' : 'setInterval(() => {}, 1000);'}
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let pids: number[] = [];
  child.stdout.on('data', (d: string | Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: string | Buffer) => (err += d.toString()));
  try {
    pids = await waitFor(
      'the child to report its redis-server PIDs',
      async () => {
        if (child.exitCode !== null && !out.includes(']')) throw new Error(`child exited: ${err}`);
        const line = out.split('\n').find((l) => l.startsWith('['));
        return line ? { done: true, value: JSON.parse(line) as number[] } : { done: false, seen: err.slice(-300) };
      },
      // Its start: a Node with tsx loading the platform, then two pods. 20 s ran out with nothing printed on a
      // machine loaded 15 times over its two cores; this bounds a hang, it measures nothing.
      { timeoutMs: 60_000 },
    );
    pids.forEach((pid) => everyPid.add(pid));
    if (ending === 'sigkill') child.kill('SIGKILL');
    if (ending === 'sigint') child.kill('SIGINT');
    // Bounded: a child that ignored SIGINT would otherwise hang the suite (the finally kills it).
    const exit = await waitFor(
      `the child to end (${ending})`,
      async () => {
        const ended = child.signalCode ?? (child.exitCode === null ? undefined : `code ${child.exitCode}`);
        return ended ? { done: true, value: ended } : { done: false, seen: `running; stderr: ${err.slice(-300)}` };
      },
      { timeoutMs: 10_000 },
    );
    await waitFor(
      "the child's redis-server processes to be gone",
      async () => {
        const alive = pids.filter(processRunning);
        return alive.length === 0 ? { done: true, value: 0 } : { done: false, seen: `running: ${alive.join(', ')}` };
      },
      { timeoutMs: 5000 },
    );
    return { pids, exit };
  } finally {
    child.kill('SIGKILL');
    // If the test failed, do not leave its pods behind for the next test.
    for (const pid of pids.filter(processRunning)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited meanwhile.
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('pods die with the run when it is killed hard (parent-death signal)', async () => {
  const { pids, exit } = await childRun('sigkill', '127.0.52');
  assert.is(pids.length, 2);
  assert.is(exit, 'SIGKILL');
});

test('pods die on SIGINT, and the run still ends by the signal', async () => {
  const { pids, exit } = await childRun('sigint', '127.0.53');
  assert.is(pids.length, 2);
  assert.is(exit, 'SIGINT');
});

test('pods die when the run exits without teardown', async () => {
  const { pids, exit } = await childRun('exit', '127.0.54');
  assert.is(pids.length, 2);
  assert.is(exit, 'code 3');
});

test('a later run kills what an earlier run registered in its workDir, and only that', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-platform-stale-'));
  const registry = path.join(dir, 'pids');
  fs.mkdirSync(registry);
  // A redis-server from "an earlier run", and a process whose PID was registered by a run long ago (another
  // start time: the PID has been reused).
  const [ip] = await claimIps(1, '127.0.55');
  fs.writeFileSync(path.join(dir, 'redis.conf'), `bind ${ip}\nport 6379\nsave ""\n`);
  // Its own process group, as the platform starts its pods.
  const orphan = spawn('redis-server', [path.join(dir, 'redis.conf')], { stdio: 'ignore', detached: true });
  const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    everyPid.add(orphan.pid!);
    const startTime = (pid: number) => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
    fs.writeFileSync(path.join(registry, String(orphan.pid)), `${startTime(orphan.pid!)}\nredis-server\n`);
    fs.writeFileSync(path.join(registry, String(bystander.pid)), '1\nredis-server\n');
    const p = createLocalPlatform({ log: silentLog, workDir: dir }, { addressBase: '127.0.55' });
    await p.provision();
    await waitFor(
      'the orphan to die',
      async () =>
        orphan.exitCode !== null || orphan.signalCode !== null
          ? { done: true, value: 0 }
          : { done: false, seen: 'running' },
      { timeoutMs: 5000 },
    );
    assert.is(orphan.signalCode, 'SIGKILL');
    assert.ok(processRunning(bystander.pid!), 'an unrelated process with a registered PID is left alone');
    assert.equal(fs.readdirSync(registry), []);
    await p.teardown();
  } finally {
    orphan.kill('SIGKILL');
    bystander.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a pod whose redis-server cannot start fails the deploy with its log lines', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-platform-bad-'));
  const bad = {
    ...set,
    objects: set.objects.map((o) =>
      o.kind === 'ConfigMap'
        ? { ...o, body: { ...o.body, data: { 'redis.conf': 'port 6379\ncluster-node-timeout soon\n' } } }
        : o,
    ),
  };
  const p = createLocalPlatform({ log: silentLog, workDir: dir }, { addressBase: '127.0.56', mode: 'direct' });
  try {
    await p.deploy(bad, { ...redisDeployment(bad), replicas: 1 });
    assert.unreachable('deploy should fail');
  } catch (err) {
    assert.match(String(err), /redis-app-0: redis-server exited with code 1 before answering on /);
    assert.match(String(err), /cluster-node-timeout soon/);
  } finally {
    await p.teardown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a pod that will not start on its volume's nodes.conf: the server's own last words, with the known cause first", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-platform-nodes-conf-'));
  // The PersistentVolume of pod 0 (claim template redis-data) already holds a nodes.conf that is not one.
  const volume = path.join(dir, 'pv', 'redis-data-redis-app-0');
  fs.mkdirSync(volume, { recursive: true });
  fs.writeFileSync(path.join(volume, 'nodes.conf'), 'not a nodes.conf line\n');
  const p = createLocalPlatform({ log: silentLog, workDir: dir }, { addressBase: '127.0.56', mode: 'direct' });
  try {
    await p.deploy(set, { ...redisDeployment(set), replicas: 1 });
    assert.unreachable('deploy should fail');
  } catch (err) {
    assert.match(String(err), /redis-app-0: redis-server exited with code 1 before answering on /);
    assert.match(
      String(err),
      /\ncause: the node's nodes\.conf on its volume cannot be read back[^\n]*\n[^]*corrupted cluster config file/,
    );
  } finally {
    await p.teardown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
