import { test } from 'uvu';
import { beforeAll } from '../support/setup.ts';
import * as assert from 'uvu/assert';
import type { PodInfo } from '../../src/platform/platform.ts';
import { openNode, withNode } from '../../src/redis/connect.ts';
import { aofRewriteInProgress, probeCluster, replicationOf, selfOf } from '../../src/redis/health.ts';
import { bootstrapCluster } from '../../src/redis/bootstrap.ts';
import { planBootstrap } from '../../src/redis/plan.ts';
import { silentLog } from '../../src/util/log.ts';
import {
  claimIps,
  identityReach,
  livePids,
  PORT,
  signal,
  startRedisNodes,
  stopRedisNodes,
  type RedisProcess,
} from '../support/redis-processes.ts';

// Real redis-server processes on addresses claimed from 127.0.46.x on, killed by PID in `after`.
let procs: RedisProcess[] = [];
const expected = { nodes: 3, masters: 3 };

beforeAll(test, async () => {
  procs = await startRedisNodes(await claimIps(3, '127.0.46'));
  const pods = procs.map((p, i): PodInfo => ({
    name: `redis-${i}`,
    uid: `u${i}`,
    ip: p.ip,
    node: 'local',
    ready: true,
    ordinal: i,
  }));
  await bootstrapCluster(identityReach, pods, PORT, planBootstrap(pods, { masters: 3, replicasPerMaster: 0 }), {
    log: silentLog,
    timeoutMs: 60_000,
  });
});

test.after(async () => {
  await stopRedisNodes(procs);
  assert.equal(livePids(), [], 'no redis-server left running');
});

test('a connection to an address where nothing listens fails at once, naming the address', async () => {
  const [idle] = await claimIps(1, '127.0.46'); // claimed: no other suite's server can be there
  try {
    await openNode(identityReach, { host: idle!, port: PORT });
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, `cannot connect to Redis node ${idle}:6379: connect ECONNREFUSED`);
  }
});

test('the reach function is used, and the error names both addresses', async () => {
  const [idle] = await claimIps(1, '127.0.46');
  const via = async () => ({ host: idle!, port: PORT });
  try {
    await openNode(via, { host: '10.1.2.3', port: PORT });
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, `10.1.2.3:6379 (via ${idle}:6379)`);
  }
});

test('withNode disconnects also when the callback throws', async () => {
  const clients = () =>
    withNode(
      identityReach,
      procs[0]!.address,
      async (r) =>
        String(await r.call('CLIENT', 'LIST'))
          .trim()
          .split('\n').length,
    );
  const before = await clients();
  const thrown = await withNode(identityReach, procs[0]!.address, async () => {
    throw new Error('boom');
  }).catch((err: unknown) => err);
  assert.is((thrown as Error).message, 'boom', "the callback's error reaches the caller");
  assert.is(await clients(), before);
});

test('a healthy cluster; replication and AOF state of a master', async () => {
  const health = await probeCluster(
    identityReach,
    procs.map((p) => p.address),
    expected,
  );
  assert.equal(health.problems, []);
  assert.ok(health.healthy);
  assert.is(health.views.length, 3);
  const rep = await replicationOf(identityReach, procs[0]!.address);
  assert.is(rep.role, 'master');
  assert.is(rep.connectedReplicas, 0);
  assert.is(rep.masterLinkStatus, undefined);
  assert.is(await aofRewriteInProgress(identityReach, procs[0]!.address), false);
  assert.is((await selfOf(identityReach, procs[1]!.address)).ip, procs[1]!.ip);
});

test('a frozen node (SIGSTOP) is reported by name within the bounded timeouts, not waited on forever', async () => {
  await signal(procs[2]!, 'SIGSTOP');
  try {
    const t0 = Date.now();
    const health = await probeCluster(
      identityReach,
      procs.map((p) => p.address),
      expected,
    );
    assert.ok(Date.now() - t0 < 10_000, 'probe bounded');
    assert.not.ok(health.healthy);
    assert.ok(
      health.problems.some((p) => p.startsWith(`${procs[2]!.ip}:6379 does not answer`)),
      health.problems.join('\n'),
    );
    assert.match(health.views[2]!.error!, /not ready after 3000 ms|timed out/i);
  } finally {
    await signal(procs[2]!, 'SIGCONT');
  }
});

test.run();
