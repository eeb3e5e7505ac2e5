/**
 * Captures real CLUSTER NODES output and nodes.conf files from redis-server processes into
 * test/fixtures/cluster-nodes/ (the parser and health tests run on them), or from valkey-server processes into
 * test/fixtures/cluster-nodes/valkey-<major>/. Run by hand when Redis or Valkey changes (under the integration lock):
 *   PATH=$PWD/node_modules/.bin:$PATH flock /tmp/rcr-integration.lock tsx test/support/capture-cluster-nodes.ts [redis|valkey]
 * Uses 127.0.40.1-6 and 127.0.40.11-13; every process is killed by PID at the end.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withNode } from '../../src/redis/connect.ts';
import { parseClusterNodes } from '../../src/redis/cluster-nodes.ts';
import { waitFor } from '../../src/util/wait.ts';
import {
  claimIps,
  identityReach,
  redisCliCreate,
  SERVERS,
  signal,
  startRedis,
  startRedisNodes,
  stopRedis,
  stopRedisNodes,
  type RedisProcess,
  type ServerKind,
} from './redis-processes.ts';

const server = (process.argv[2] ?? 'redis') as ServerKind;
if (!(server in SERVERS)) throw new Error(`usage: capture-cluster-nodes.ts [redis|valkey], got ${server}`);
const major = /v=(\d+)\./.exec(execFileSync(SERVERS[server].program, ['--version'], { encoding: 'utf8' }))?.[1];
const OUT = join(import.meta.dirname, '../fixtures/cluster-nodes', server === 'redis' ? '' : `${server}-${major}`);
const opts = { nodeTimeoutMs: 1000, server };
const cmd = (p: RedisProcess, ...args: string[]): Promise<unknown> =>
  withNode(identityReach, p.address, (r) => r.call(args[0]!, ...args.slice(1)));
const nodesOf = async (p: RedisProcess): Promise<string> => String(await cmd(p, 'CLUSTER', 'NODES'));
const save = (name: string, text: string): void => {
  writeFileSync(join(OUT, name), text.endsWith('\n') ? text : `${text}\n`);
  console.log(`wrote ${name}`);
};
/**
 * Polls CLUSTER NODES on each of `ps` (every 5 ms: a node may show fail? for only a moment before the FAIL
 * from the others arrives) until one of them shows what `ok` wants.
 */
const captureWhen = (what: string, ps: RedisProcess[], ok: (text: string) => boolean): Promise<string> =>
  waitFor(
    what,
    async () => {
      const texts = await Promise.all(ps.map(nodesOf));
      const hit = texts.find(ok);
      return hit ? { done: true, value: hit } : { done: false, seen: texts[0] ?? '' };
    },
    { timeoutMs: 30_000, intervalMs: 5 },
  );
const lineOf = (text: string, ip: string): string => text.split('\n').find((l) => l.includes(` ${ip}:`)) ?? '';
const clusterOk = (p: RedisProcess): Promise<string> =>
  waitFor(
    `cluster_state:ok on ${p.ip}`,
    async () => {
      const info = String(await cmd(p, 'CLUSTER', 'INFO'));
      const nodes = await nodesOf(p);
      const settled = info.includes('cluster_state:ok') && !/handshake|noaddr|fail/.test(nodes);
      return settled ? { done: true, value: nodes } : { done: false, seen: info.split('\n')[0] ?? '' };
    },
    { timeoutMs: 30_000 },
  );

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const procs: RedisProcess[] = [];
  try {
    // A healthy 3 masters + 3 replicas cluster, made by redis-cli.
    procs.push(...(await startRedisNodes(await claimIps(6, '127.0.40'), opts)));
    await redisCliCreate(procs, 1);
    for (const p of procs) await clusterOk(p);
    // A replica whose first sync has not finished never fails over: wait for every link before going on.
    for (const p of procs) {
      await waitFor(
        `replication settled on ${p.ip}`,
        async () => {
          const info = String(await cmd(p, 'INFO', 'replication'));
          return info.includes('role:master') || info.includes('master_link_status:up')
            ? { done: true, value: info }
            : { done: false, seen: info };
        },
        { timeoutMs: 30_000 },
      );
    }
    const healthy = await nodesOf(procs[0]!);
    save('healthy-3x3-from-master.txt', healthy);
    const parsed = parseClusterNodes(healthy);
    const byIp = (ip: string) => procs.find((p) => p.ip === ip)!;
    const masters = parsed.filter((n) => n.flags.has('master')).sort((a, b) => a.slots[0]![0] - b.slots[0]![0]);
    const replica = byIp(parsed.find((n) => n.flags.has('slave'))!.ip);
    save('healthy-3x3-from-replica.txt', await nodesOf(replica));
    save('nodes-conf-healthy.txt', readFileSync(join(procs[0]!.dir, 'nodes.conf'), 'utf8'));

    // Slot 100 being moved from the first master to the second (CLUSTER SETSLOT, as a resharding does).
    const [m0, m1, m2] = masters.map((n) => byIp(n.ip)) as [RedisProcess, RedisProcess, RedisProcess];
    await cmd(m1, 'CLUSTER', 'SETSLOT', '100', 'IMPORTING', masters[0]!.id);
    await cmd(m0, 'CLUSTER', 'SETSLOT', '100', 'MIGRATING', masters[1]!.id);
    save('migrating.txt', await nodesOf(m0));
    save('importing.txt', await nodesOf(m1));
    await cmd(m0, 'CLUSTER', 'SETSLOT', '100', 'STABLE');
    await cmd(m1, 'CLUSTER', 'SETSLOT', '100', 'STABLE');

    // A replica that may not fail over (cluster-replica-no-failover yes), seen from the first master.
    await cmd(replica, 'CONFIG', 'SET', 'cluster-replica-no-failover', 'yes');
    save(
      'nofailover.txt',
      await captureWhen('nofailover flag gossiped', [m0], (t) => lineOf(t, replica.ip).includes('nofailover')),
    );
    await cmd(replica, 'CONFIG', 'SET', 'cluster-replica-no-failover', 'no');

    // MEET to an address where nothing listens: the entry stays in handshake until the handshake timeout.
    await cmd(m0, 'CLUSTER', 'MEET', '127.0.40.99', '6379');
    save('handshake.txt', await nodesOf(m0));

    // The third master frozen (SIGSTOP): seen as fail? (PFAIL), then fail, then its replica promoted.
    await signal(m2, 'SIGSTOP');
    const survivors = procs.filter((p) => p !== m2);
    save(
      'master-pfail.txt',
      await captureWhen('fail? on the frozen master', survivors, (t) => /\bmaster,fail\?/.test(lineOf(t, m2.ip))),
    );
    save(
      'master-fail.txt',
      await captureWhen('fail on the frozen master', [m0], (t) => /\bmaster,fail\b(?!\?)/.test(lineOf(t, m2.ip))),
    );
    save(
      'master-failed-over.txt',
      await captureWhen(
        'a replica promoted',
        [m0],
        (t) =>
          !t.includes('cluster_state') &&
          parseClusterNodes(t).filter((n) => n.flags.has('master') && n.slots.length > 0).length === 3 &&
          lineOf(t, m2.ip).split(/\s+/).length === 8,
      ),
    );
    save('master-failed-over-info.txt', String(await cmd(m0, 'CLUSTER', 'INFO')));
    await signal(m2, 'SIGKILL');

    // A node that lost its nodes.conf comes back on the same address with a new id: the others mark the
    // old id noaddr (:0@0) once the address answers with another id.
    await stopRedis(m2, false);
    procs.splice(procs.indexOf(m2), 1, await startRedis(m2.ip, opts));
    save('noaddr.txt', await captureWhen('noaddr entry', [m0], (t) => t.includes('noaddr')));
  } finally {
    await stopRedisNodes(procs);
  }

  // Nodes announcing hostnames (cluster-announce-hostname), 3 masters.
  const named: RedisProcess[] = [];
  try {
    for (const [i, ip] of (await claimIps(3, '127.0.40')).entries()) {
      named.push(
        await startRedis(ip, {
          ...opts,
          extraArgs: ['--cluster-announce-hostname', `${server}-${i}.${server}.default.svc.cluster.local`],
        }),
      );
    }
    await redisCliCreate(named, 0);
    save('hostnames.txt', await clusterOk(named[0]!));
    save('nodes-conf-hostnames.txt', readFileSync(join(named[0]!.dir, 'nodes.conf'), 'utf8'));
  } finally {
    await stopRedisNodes(named);
  }
}

await main();
