/**
 * Bootstrap time next to `redis-cli --cluster create --cluster-replicas 1 --cluster-yes`, on equal fresh sets of
 * 6 redis-server processes (127.0.43.x for ours, 127.0.44.x for redis-cli; process start-up not counted).
 * redis-cli returns before the replicas have synced; ours returns only once every replica's link is up and the
 * cluster is healthy, so redis-cli is also timed to that same point ("settled").
 *   PATH=$PWD/node_modules/.bin:$PATH tsx bench/bootstrap.ts [runs] [idle ms before the clock starts]
 */
import { pathToFileURL } from 'node:url';
import { median } from './stats.ts';
import type { PodInfo } from '../src/platform/platform.ts';
import { bootstrapCluster } from '../src/redis/bootstrap.ts';
import { defaultTopology, planBootstrap } from '../src/redis/plan.ts';
import { probeCluster, replicationOf, viewOf } from '../src/redis/health.ts';
import { silentLog } from '../src/util/log.ts';
import { sleep, waitFor } from '../src/util/wait.ts';
import {
  claimIps,
  identityReach,
  PORT,
  redisCliCreate,
  startRedisNodes,
  stopRedisNodes,
  type RedisProcess,
} from '../test/support/redis-processes.ts';

export interface BootstrapBench {
  oursMs: number[];
  oursOkMs: number[];
  redisCliMs: number[];
  redisCliOkMs: number[];
  redisCliSettledMs: number[];
}

async function withNodes<T>(prefix: string, idleMs: number, fn: (procs: RedisProcess[]) => Promise<T>): Promise<T> {
  const procs = await startRedisNodes(await claimIps(6, prefix));
  try {
    await sleep(idleMs);
    return await fn(procs);
  } finally {
    await stopRedisNodes(procs);
  }
}

/** Healthy from every node and every replica linked with its first AOF written: where ours returns. */
function settled(procs: RedisProcess[]): Promise<unknown> {
  return waitFor(
    'the redis-cli cluster to settle',
    async () => {
      const health = await probeCluster(
        identityReach,
        procs.map((p) => p.address),
        { nodes: 6, masters: 3 },
      );
      if (!health.healthy) return { done: false, seen: health.problems.join('; ') };
      const reps = await Promise.all(procs.map((p) => replicationOf(identityReach, p.address)));
      const pending = reps.filter((r) => r.role === 'slave' && (r.masterLinkStatus !== 'up' || r.aofRewriteInProgress));
      return pending.length === 0
        ? { done: true, value: true }
        : { done: false, seen: `${pending.length} replicas not linked` };
    },
    { timeoutMs: 60_000, intervalMs: 25 },
  );
}

/**
 * `idleMs`: how long the processes run before the clock starts. It matters: a master holding slots while it
 * cannot see a majority of masters marks itself "in the minority" and, once the cluster forms, stays
 * cluster_state:fail for min(cluster-node-timeout, 5 s) more; only in its first 2 s of life does Redis skip
 * that bookkeeping. Fresh processes (0) are the best case for both tools; pods started earlier (e.g. 3000) are
 * what a real bootstrap meets.
 */
export async function benchBootstrap(runs = 3, idleMs = 0): Promise<BootstrapBench> {
  const result: BootstrapBench = { oursMs: [], oursOkMs: [], redisCliMs: [], redisCliOkMs: [], redisCliSettledMs: [] };
  for (let i = 0; i < runs; i++) {
    await withNodes('127.0.43', idleMs, async (procs) => {
      const pods = procs.map((p, n): PodInfo => ({
        name: `redis-${n}`,
        uid: `u${n}`,
        ip: p.ip,
        node: 'local',
        ready: true,
        ordinal: n,
      }));
      const { durationMs, phasesMs } = await bootstrapCluster(
        identityReach,
        pods,
        PORT,
        planBootstrap(pods, defaultTopology(6)),
        { log: silentLog, timeoutMs: 60_000 },
      );
      result.oursMs.push(durationMs);
      result.oursOkMs.push(phasesMs.clusterOk);
    });
    await withNodes('127.0.44', idleMs, async (procs) => {
      const t0 = Date.now();
      await redisCliCreate(procs, 1);
      result.redisCliMs.push(Date.now() - t0);
      await waitFor(
        'cluster_state:ok everywhere after redis-cli',
        async () => {
          const views = await Promise.all(procs.map((p) => viewOf(identityReach, p.address)));
          const ok = views.every((v) => v.info?.cluster_state === 'ok');
          return ok ? { done: true, value: true } : { done: false, seen: 'not ok yet' };
        },
        { timeoutMs: 60_000, intervalMs: 25 },
      );
      result.redisCliOkMs.push(Date.now() - t0);
      await settled(procs);
      result.redisCliSettledMs.push(Date.now() - t0);
    });
  }
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? 3);
  const idleMs = Number(process.argv[3] ?? 0);
  const r = await benchBootstrap(runs, idleMs);
  const fmt = (xs: number[]): string =>
    `${xs.map((x) => (x / 1000).toFixed(2)).join(' / ')} s (median ${(median(xs) / 1000).toFixed(2)} s)`;
  console.log(
    `bootstrap, 6 nodes (3 masters + 3 replicas, cluster-node-timeout 5000), ${runs} runs each, processes idle ${idleMs} ms first`,
  );
  console.log(`  ours, until cluster_state:ok everywhere:      ${fmt(r.oursOkMs)}`);
  console.log(`  ours, until replicas linked and healthy:      ${fmt(r.oursMs)}`);
  console.log(`  redis-cli --cluster create, until it exits:   ${fmt(r.redisCliMs)}`);
  console.log(`  redis-cli, until cluster_state:ok everywhere: ${fmt(r.redisCliOkMs)}`);
  console.log(`  redis-cli, until replicas linked and healthy: ${fmt(r.redisCliSettledMs)}`);
}
