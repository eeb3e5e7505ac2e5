/**
 * The local platform with real redis-server processes, deployed from the project's default manifests (3 of the
 * StatefulSet's pods): own loopback addresses, PV contents surviving a restart while the rest is wiped, hold and
 * release, recreation without hold, teardown leaving nothing behind.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redisDeployment } from '../../src/manifests/deployment.ts';
import { loadManifests } from '../../src/manifests/load.ts';
import type { ManifestSet, RedisDeployment } from '../../src/manifests/model.ts';
import { createLocalPlatform, type LocalPlatform } from '../../src/platform/local.ts';
import { processRunning } from '../../src/platform/local/process.ts';
import type { PodInfo } from '../../src/platform/platform.ts';
import { silentLog } from '../../src/util/log.ts';

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

test.before(async () => {
  set = await loadManifests('manifests');
  redis = { ...redisDeployment(set), replicas: 3 };
  platform = createLocalPlatform({ log: silentLog, workDir }, { addressBase: '127.0.50', restartDelayMs: 200 });
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
  assert.equal(pods.map((p) => p.name), ['redis-app-0', 'redis-app-1', 'redis-app-2']);
  assert.equal(pods.map((p) => p.ordinal), [0, 1, 2]);
  assert.ok(pods.every((p) => p.ready && p.node === 'local' && p.uid !== ''));
  assert.equal(new Set(pods.map((p) => p.ip)).size, 3);
  for (const p of pods) {
    assert.match(p.ip, /^127\.0\.50\.\d+$/);
    assert.is(await cli(p.ip, 'PING'), 'PONG');
    assert.is(await cli(p.ip, 'CONFIG', 'GET', 'bind-source-addr'), `bind-source-addr\n${p.ip}`);
    assert.is(await cli(p.ip, 'CONFIG', 'GET', 'cluster-announce-ip'), `cluster-announce-ip\n${p.ip}`);
    assert.is(await cli(p.ip, 'CONFIG', 'GET', 'cluster-node-timeout'), 'cluster-node-timeout\n5000');
    // dir is the pod's PV directory on the host.
    assert.is(await cli(p.ip, 'CONFIG', 'GET', 'dir'), `dir\n${platform!.hostPath(p.name, '/var/lib/redis')}`);
    assert.ok(platform!.hostPath(p.name, '/var/lib/redis').startsWith(path.join(workDir, 'pv', `redis-data-redis-app-${p.ordinal}`)));
  }
});

test('a held pod stays down until released, then returns with a new address and UID, its PV kept, the rest wiped', async () => {
  const before = await podNamed('redis-app-0');
  const myid = await cli(before.ip, 'CLUSTER', 'MYID');
  fs.writeFileSync(platform!.hostPath(before.name, '/var/lib/redis/on-pv'), 'kept');
  fs.writeFileSync(platform!.hostPath(before.name, '/tmp/ephemeral'), 'wiped');
  const pidBefore = platform!.processIds().length;

  await platform!.deletePod(before.name, { hold: true, mode: 'kill' });
  const down = await podNamed(before.name);
  assert.is(down.ready, false);
  assert.is(down.ip, '');
  assert.is(platform!.processIds().length, pidBefore - 1);
  await new Promise((r) => setTimeout(r, 600)); // three restart delays: a pod not held would be back by now
  assert.is((await podNamed(before.name)).ready, false, 'held pod stays down');

  await platform!.releaseHold();
  const after = await platform!.waitForReplacement(before.name, before.uid, 15_000);
  await remember();
  assert.is.not(after.uid, before.uid);
  assert.is.not(after.ip, before.ip);
  assert.ok(after.ready);
  assert.is(await cli(after.ip, 'CLUSTER', 'MYID'), myid, 'NodeID kept through nodes.conf on the PV');
  assert.is(fs.readFileSync(platform!.hostPath(after.name, '/var/lib/redis/on-pv'), 'utf8'), 'kept');
  assert.not.ok(fs.existsSync(platform!.hostPath(after.name, '/tmp/ephemeral')), 'ephemeral file wiped');
  const nodesConf = await platform!.readPersistentFile(after.name, '/var/lib/redis/nodes.conf');
  assert.ok(nodesConf?.split('\n').some((l) => l.startsWith(myid) && l.includes('myself')), 'nodes.conf myself line');
  assert.is(await platform!.readPersistentFile(after.name, '/etc/redis/redis.conf'), undefined, 'ConfigMap is not a PV');
});

test('a deleted pod that is not held comes back by itself; graceful delete resolves once the process exited', async () => {
  const before = await podNamed('redis-app-1');
  const oldPids = platform!.processIds();
  await platform!.deletePod(before.name, { hold: false, mode: 'graceful' });
  const gone = oldPids.filter((pid) => !platform!.processIds().includes(pid));
  assert.is(gone.length, 1);
  assert.not.ok(processRunning(gone[0]!), 'old process has exited when deletePod resolves');
  const after = await platform!.waitForReplacement(before.name, before.uid, 15_000);
  await remember();
  assert.is.not(after.uid, before.uid);
  assert.is(await cli(after.ip, 'PING'), 'PONG');
});

test('never hands out an address twice in a run', () => {
  assert.is(everyIp.length, 5);
  assert.is(new Set(everyIp).size, everyIp.length);
});

test('waitForReplacement times out naming the pod and what it saw', async () => {
  const pod = await podNamed('redis-app-2');
  await platform!.deletePod(pod.name, { hold: true, mode: 'kill' });
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
  assert.equal(fs.readdirSync(workDir), []);
  await platform!.teardown();
});

test('a missing redis-server says how to install it', async () => {
  const p = createLocalPlatform({ log: silentLog, workDir }, { addressBase: '127.0.51', redisServer: '/nonexistent/redis-server' });
  try {
    await p.provision();
    assert.unreachable('provision should fail');
  } catch (err) {
    assert.match(String(err), /apt-get install -y redis-server/);
  }
  await p.teardown();
});

test.run();
