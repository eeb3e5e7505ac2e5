import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PodInfo } from '../../src/platform/platform.ts';
import { bootstrapCluster } from '../../src/redis/bootstrap.ts';
import { ForeignClusterStateError } from '../../src/redis/foreign-state.ts';
import { defaultTopology, planBootstrap } from '../../src/redis/plan.ts';
import { probeCluster, replicationOf } from '../../src/redis/health.ts';
import { infoFields, withNode } from '../../src/redis/connect.ts';
import { mastersOf, parseClusterNodes, slotCount } from '../../src/redis/cluster-nodes.ts';
import { silentLog } from '../../src/util/log.ts';
import { waitFor } from '../../src/util/wait.ts';
import {
  claimIps,
  identityReach,
  livePids,
  PORT,
  startRedis,
  startRedisNodes,
  stopRedis,
  stopRedisNodes,
  type RedisProcess,
} from '../support/redis-processes.ts';

// Real redis-server processes on addresses claimed from 127.0.42.x on, killed by PID in `after`.
const started: RedisProcess[] = [];
const start = async (count: number): Promise<{ procs: RedisProcess[]; pods: PodInfo[] }> => {
  const procs = await startRedisNodes(await claimIps(count, '127.0.42'));
  started.push(...procs);
  const pods = procs.map((p, i): PodInfo => ({
    name: `redis-${i}`,
    uid: `uid-${i}`,
    ip: p.ip,
    node: 'local',
    ready: true,
    ordinal: i,
  }));
  return { procs, pods };
};
const call = (p: RedisProcess, ...args: string[]): Promise<unknown> =>
  withNode(identityReach, p.address, (r) => r.call(args[0]!, ...args.slice(1)));
const opts = { log: silentLog, timeoutMs: 60_000 };

/** What a state-changing command would alter: epochs, every node's id/address/role/master/slots, and the
 * call counters of the CLUSTER subcommands that change state. Ping/pong times are left out (they tick). */
async function fingerprint(procs: RedisProcess[]): Promise<string[]> {
  return Promise.all(
    procs.map(async (p) => {
      const info = infoFields(String(await call(p, 'CLUSTER', 'INFO')));
      const nodes = parseClusterNodes(String(await call(p, 'CLUSTER', 'NODES')))
        .map((n) =>
          [n.id, n.ip, [...n.flags].sort().join(','), n.masterId ?? '-', n.configEpoch, n.slots.join(' ')].join(' '),
        )
        .sort();
      const stats = String(await call(p, 'INFO', 'commandstats'))
        .split(/\r?\n/)
        .filter((l) =>
          /^cmdstat_cluster\|(addslots|addslotsrange|meet|replicate|set-config-epoch|failover|forget|reset|setslot|delslots)/.test(
            l,
          ),
        )
        .map((l) => l.replace(/,usec=.*$/, ''));
      return [p.ip, `epoch ${info.cluster_current_epoch}`, ...nodes, ...stats].join('\n');
    }),
  );
}

test.after(async () => {
  await stopRedisNodes(started);
  assert.equal(livePids(), [], 'no redis-server left running');
});

test('bootstrap 6 fresh nodes: healthy, 3 masters with all slots, replicas linked; a second run changes nothing', async () => {
  const { procs, pods } = await start(6);
  const plan = planBootstrap(pods, defaultTopology(6));
  const first = await bootstrapCluster(identityReach, pods, PORT, plan, opts);
  assert.is(first.changed, true);
  assert.equal(first.plan, plan);

  const health = await probeCluster(
    identityReach,
    procs.map((p) => p.address),
    { nodes: 6, masters: 3 },
  );
  assert.equal(health.problems, []);
  const nodes = health.views[0]!.nodes!;
  const masters = mastersOf(nodes);
  assert.equal(masters.map((m) => m.ip).sort(), plan.masters.map((m) => pods.find((p) => p.name === m.pod)!.ip).sort());
  assert.is(slotCount(masters), 16384);
  for (const r of plan.replicas) {
    const rep = await replicationOf(identityReach, { host: pods.find((p) => p.name === r.pod)!.ip, port: PORT });
    assert.is(rep.role, 'slave');
    assert.is(rep.masterLinkStatus, 'up');
    assert.is(rep.masterHost, pods.find((p) => p.name === r.master)!.ip);
    assert.is(rep.aofRewriteInProgress, false);
  }

  const before = await fingerprint(procs);
  const second = await bootstrapCluster(identityReach, pods, PORT, plan, opts);
  assert.is(second.changed, false);
  assert.equal(await fingerprint(procs), before, 'no state-changing CLUSTER command was sent');

  // A manual failover swaps master and replica of the first group: an equivalent cluster, left alone.
  const replica0 =
    procs[pods.findIndex((p) => p.name === plan.replicas.find((r) => r.master === plan.masters[0]!.pod)!.pod)]!;
  await call(replica0, 'CLUSTER', 'FAILOVER');
  await waitFor(
    'the manual failover to finish and settle',
    async () => {
      const h = await probeCluster(
        identityReach,
        procs.map((p) => p.address),
        { nodes: 6, masters: 3 },
      );
      const role = (await replicationOf(identityReach, replica0.address)).role;
      return h.healthy && role === 'master'
        ? { done: true, value: h }
        : { done: false, seen: `${role}; ${h.problems.join('; ')}` };
    },
    { timeoutMs: 30_000 },
  );
  const oldMasterIp = pods.find((p) => p.name === plan.masters[0]!.pod)!.ip;
  const newMasterId = String(await call(replica0, 'CLUSTER', 'MYID'));
  // Health can pass while a node still carries the old master's last self-announced role; the snapshot below
  // must be of the settled cluster, so wait until every node sees the old master following the new one.
  await waitFor(
    'the old master to be linked to the new one, and every node to see it as its replica',
    async () => {
      const r = await replicationOf(identityReach, { host: oldMasterIp, port: PORT });
      const views = await Promise.all(
        procs.map(async (p) => parseClusterNodes(String(await call(p, 'CLUSTER', 'NODES')))),
      );
      const stale = views.filter((v) => {
        const old = v.find((n) => n.ip === oldMasterIp);
        return !old || !old.flags.has('slave') || old.masterId !== newMasterId;
      }).length;
      return r.masterLinkStatus === 'up' && !r.aofRewriteInProgress && stale === 0
        ? { done: true, value: r }
        : { done: false, seen: `${JSON.stringify(r)}; ${stale} node(s) with a stale view of the old master` };
    },
    { timeoutMs: 30_000 },
  );
  const swapped = await fingerprint(procs);
  const third = await bootstrapCluster(identityReach, pods, PORT, plan, opts);
  assert.is(third.changed, false);
  assert.equal(await fingerprint(procs), swapped);
});

test('a partly formed cluster (one master with slots, one MEET done) is completed', async () => {
  const { procs, pods } = await start(6);
  const plan = planBootstrap(pods, defaultTopology(6));
  await call(procs[0]!, 'CLUSTER', 'ADDSLOTSRANGE', '0', '5460');
  await call(procs[0]!, 'CLUSTER', 'MEET', procs[1]!.ip, String(PORT));
  const result = await bootstrapCluster(identityReach, pods, PORT, plan, opts);
  assert.is(result.changed, true);
  const health = await probeCluster(
    identityReach,
    procs.map((p) => p.address),
    { nodes: 6, masters: 3 },
  );
  assert.equal(health.problems, []);
});

test("the seed's layout: one master with every slot and two replicas, both linked", async () => {
  const { procs, pods } = await start(3);
  const plan = planBootstrap(pods, defaultTopology(3));
  assert.is((await bootstrapCluster(identityReach, pods, PORT, plan, opts)).changed, true);
  assert.equal(
    (
      await probeCluster(
        identityReach,
        procs.map((p) => p.address),
        { nodes: 3, masters: 1 },
      )
    ).problems,
    [],
  );
  for (const p of procs.slice(1)) {
    const rep = await replicationOf(identityReach, p.address);
    assert.equal([rep.role, rep.masterHost, rep.masterLinkStatus], ['slave', procs[0]!.ip, 'up']);
  }
  // The first sync was sped up for the bootstrap only: the master's own setting is back.
  const conf = await call(procs[0]!, 'CONFIG', 'GET', 'repl-diskless-sync-max-replicas');
  assert.equal(conf, ['repl-diskless-sync-max-replicas', '0']);
});

test('a cluster that contradicts the plan is an Error naming the difference, and is left as it was', async () => {
  const { procs, pods } = await start(3);
  const plan = planBootstrap(pods, defaultTopology(3));
  await call(procs[1]!, 'CLUSTER', 'ADDSLOTSRANGE', '0', '100');
  const before = await fingerprint(procs);
  try {
    await bootstrapCluster(identityReach, pods, PORT, plan, opts);
    assert.unreachable('bootstrap should refuse');
  } catch (err) {
    assert.match((err as Error).message, 'contradicts the bootstrap plan');
    assert.match(
      (err as Error).message,
      `redis-1 (${procs[1]!.ip}) owns slots 0-100, the plan gives 0-16383 to redis-0`,
    );
  }
  assert.equal(await fingerprint(procs), before);
});

test('pods that already know a node of another cluster are refused, not merged', async () => {
  const { procs, pods } = await start(4);
  const stranger = procs[3]!;
  await call(procs[0]!, 'CLUSTER', 'MEET', stranger.ip, String(PORT));
  await waitFor(
    'the stranger to be known',
    async () => {
      const known = parseClusterNodes(String(await call(procs[0]!, 'CLUSTER', 'NODES'))).some(
        (n) => n.ip === stranger.ip && !n.flags.has('handshake'),
      );
      return known ? { done: true, value: true } : { done: false, seen: 'handshake' };
    },
    { timeoutMs: 10_000 },
  );
  const three = pods.slice(0, 3);
  try {
    await bootstrapCluster(identityReach, three, PORT, planBootstrap(three, defaultTopology(3)), opts);
    assert.unreachable('bootstrap should refuse');
  } catch (err) {
    assert.instance(err, ForeignClusterStateError);
    assert.match((err as Error).message, `knows 1 node(s) that are none of the pods (`);
    assert.match((err as Error).message, ` at ${stranger.ip}:6379)`);
  }
});

test("a second run on volumes holding a first run's nodes.conf stops with the explanation and changes nothing", async () => {
  const first = await start(3);
  await bootstrapCluster(identityReach, first.pods, PORT, planBootstrap(first.pods, defaultTopology(3)), opts);
  // The first run's pods go; the second run's pods start on the same data dirs at new addresses.
  for (const p of first.procs) await stopRedis(p, true);
  const procs = await Promise.all(
    (await claimIps(3, '127.0.42')).map((ip, i) => startRedis(ip, { dir: first.procs[i]!.dir })),
  );
  started.push(...procs);
  const pods = procs.map((p, i): PodInfo => ({
    name: `redis-${i}`,
    uid: `second-${i}`,
    ip: p.ip,
    node: 'local',
    ready: true,
    ordinal: i,
  }));
  const before = await fingerprint(procs);
  const err = await bootstrapCluster(identityReach, pods, PORT, planBootstrap(pods, defaultTopology(3)), opts).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.instance(err, ForeignClusterStateError);
  assert.match(err!.message, `redis-0 (${procs[0]!.ip}) knows pods at addresses no pod has now`);
  assert.match(err!.message, 'reclaimPolicy Retain');
  assert.not.match(err!.message, 'contradicts the bootstrap plan');
  assert.equal(await fingerprint(procs), before);
});

test.run();
