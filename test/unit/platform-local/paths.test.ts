import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { podLayout, preparePodFs, toHostPath } from '../../../src/platform/local/pod-fs.ts';
import { deploymentFrom, MANY_MOUNTS } from './deployments.ts';

const W = '/work/run';
const redis = deploymentFrom(MANY_MOUNTS);
const layout = podLayout(W, redis, 'cache-0', 0);
const host = (p: string, cwd?: string) => toHostPath(p, redis, layout, cwd);

test('a PVC mount maps to the claim directory Kubernetes would name <template>-<statefulset>-<ordinal>', () => {
  assert.is(host('/data/nodes.conf'), `${W}/pv/data-cache-0/nodes.conf`);
  assert.is(host('/data'), `${W}/pv/data-cache-0`);
  assert.is(
    toHostPath('/data/nodes.conf', redis, podLayout(W, redis, 'cache-2', 2)),
    `${W}/pv/data-cache-2/nodes.conf`,
  );
});

test('the longest mount prefix wins, and subPath selects inside the volume', () => {
  assert.is(host('/data/tmp/x'), `${W}/pods/cache-0/volumes/scratch/x`);
  assert.is(host('/data/tmpfile'), `${W}/pv/data-cache-0/tmpfile`, 'a prefix of the name is not a parent directory');
  assert.is(host('/var/log/redis/redis.log'), `${W}/pv/data-cache-0/logs/redis.log`);
  assert.is(host('/etc/redis.conf'), `${W}/pods/cache-0/volumes/conf/redis.conf`);
  assert.is(host('/conf/extra.conf'), `${W}/pods/cache-0/volumes/conf/extra.conf`);
});

test('paths on no mount land in the ephemeral container root; relative ones resolve against cwd', () => {
  assert.is(host('/tmp/redis.sock'), `${W}/pods/cache-0/rootfs/tmp/redis.sock`);
  assert.is(host('/data/../etc/hosts'), `${W}/pods/cache-0/rootfs/etc/hosts`);
  assert.is(host('run/redis.pid', '/data'), `${W}/pv/data-cache-0/run/redis.pid`);
  assert.is(host('run/redis.pid', '/srv'), `${W}/pods/cache-0/rootfs/srv/run/redis.pid`);
});

test('preparing a pod again wipes its container root and volumes but keeps its PV', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-fs-test-'));
  try {
    const l = podLayout(dir, redis, 'cache-1', 1);
    const warnings: string[] = [];
    await preparePodFs(l, redis, (m) => warnings.push(m));
    const at = (p: string) => toHostPath(p, redis, l);
    assert.match(fs.readFileSync(at('/etc/redis.conf'), 'utf8'), /^port 7000$/m);
    assert.match(fs.readFileSync(at('/conf/extra.conf'), 'utf8'), /maxmemory/);
    assert.ok(fs.statSync(at('/var/log/redis')).isDirectory(), 'PVC subPath directory created');
    assert.ok(fs.statSync(at('/data/tmp')).isDirectory());
    assert.ok(fs.statSync(at('/tmp')).isDirectory(), "the image's own directories exist");
    assert.equal(warnings, ['volume host (hostPath volume host) is not emulated locally: it is an empty directory']);

    fs.writeFileSync(at('/data/nodes.conf'), 'id');
    fs.writeFileSync(at('/var/log/redis/redis.log'), 'log');
    fs.writeFileSync(at('/tmp/scratch'), 'x');
    fs.writeFileSync(at('/data/tmp/scratch'), 'x');
    fs.writeFileSync(at('/etc/redis.conf'), 'changed');
    await preparePodFs(l, redis, () => {});
    assert.is(fs.readFileSync(at('/data/nodes.conf'), 'utf8'), 'id');
    assert.is(fs.readFileSync(at('/var/log/redis/redis.log'), 'utf8'), 'log');
    assert.not.ok(fs.existsSync(at('/tmp/scratch')));
    assert.not.ok(fs.existsSync(at('/data/tmp/scratch')));
    assert.match(fs.readFileSync(at('/etc/redis.conf'), 'utf8'), /^port 7000$/m, 'ConfigMap files rewritten');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
