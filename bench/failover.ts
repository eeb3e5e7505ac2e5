/**
 * The scenario's failover time next to the floor Redis imposes: a bare script on equal processes (6 nodes,
 * 3 masters + 3 replicas, the default manifests' cluster-node-timeout) that SIGTERMs the master of slot 0 and
 * polls the survivors every 10 ms until another master owns slot 0. Ours: runMasterFailover on the local
 * platform (127.0.76.x), writer on; bare: 127.0.77.x. Redis' own spread (election delay 500-1000 ms plus
 * gossip) dominates single runs: compare means over several runs.
 *   PATH=$PWD/node_modules/.bin:$PATH tsx bench/failover.ts [runs]
 */
import { pathToFileURL } from 'node:url';
import { mean } from './stats.ts';
import type { Redis } from 'ioredis';
import { openNode } from '../src/redis/connect.ts';
import { parseClusterNodes } from '../src/redis/cluster-nodes.ts';
import { runMasterFailover } from '../src/scenarios/master-failover.ts';
import { silentLog } from '../src/util/log.ts';
import { waitFor } from '../src/util/wait.ts';
import { defaultSettings, deployCluster } from '../test/integration/failover-cluster.ts';
import {
  claimIps,
  identityReach,
  redisCliCreate,
  signal,
  startRedisNodes,
  stopRedisNodes,
  waitForReplicasSynced,
} from '../test/support/redis-processes.ts';

export interface FailoverBench {
  nodeTimeoutMs: number;
  scenarioMs: number[];
  bareMs: number[];
}

/** One bare kill-and-watch on fresh processes: ms from SIGTERM to a survivor showing another master on slot 0. */
async function bareFailover(nodeTimeoutMs: number): Promise<number> {
  const procs = await startRedisNodes(await claimIps(6, '127.0.77'), { nodeTimeoutMs });
  const conns: Redis[] = [];
  try {
    await redisCliCreate(procs, 1);
    await waitForReplicasSynced(procs, 3);
    const first = await openNode(identityReach, procs[0]!.address);
    conns.push(first);
    const owner = parseClusterNodes(String(await first.call('CLUSTER', 'NODES'))).find(
      (n) => n.flags.has('master') && n.slots.some(([a]) => a === 0),
    )!;
    const victim = procs.find((p) => p.ip === owner.ip)!;
    const survivors = await Promise.all(
      procs.filter((p) => p !== victim).map((p) => openNode(identityReach, p.address)),
    );
    conns.push(...survivors);
    const t0 = Date.now();
    await signal(victim, 'SIGTERM');
    return await waitFor(
      'another master on slot 0',
      async () => {
        const views = await Promise.all(
          survivors.map(async (s) => parseClusterNodes(String(await s.call('CLUSTER', 'NODES')))),
        );
        const promoted = views.some((v) =>
          v.some((n) => n.id !== owner.id && n.flags.has('master') && n.slots.some(([a]) => a === 0)),
        );
        return promoted ? { done: true, value: Date.now() - t0 } : { done: false, seen: 'not yet' };
      },
      { timeoutMs: 60_000, intervalMs: 10 },
    );
  } finally {
    for (const c of conns) c.disconnect();
    await stopRedisNodes(procs);
  }
}

export async function benchFailover(runs = 3): Promise<FailoverBench> {
  const cluster = await deployCluster('manifests', '127.0.76', { masters: 3, replicasPerMaster: 1 });
  const nodeTimeoutMs = Number(cluster.redis.directive('cluster-node-timeout') ?? 15000);
  const result: FailoverBench = { nodeTimeoutMs, scenarioMs: [], bareMs: [] };
  try {
    for (let i = 0; i < runs; i++) {
      const r = await runMasterFailover(
        { platform: cluster.platform, redis: cluster.redis, log: silentLog },
        defaultSettings(cluster),
      );
      if (r.timings.failoverMs === undefined)
        throw new Error(
          `scenario run ${i + 1} saw no failover: ${r.error ?? r.checks.map((c) => c.summary).join('; ')}`,
        );
      result.scenarioMs.push(r.timings.failoverMs);
    }
  } finally {
    await cluster.teardown();
  }
  for (let i = 0; i < runs; i++) result.bareMs.push(await bareFailover(nodeTimeoutMs));
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? 3);
  const r = await benchFailover(runs);
  const fmt = (xs: number[]): string =>
    `${xs.map((x) => (x / 1000).toFixed(2)).join(' / ')} s (mean ${(mean(xs) / 1000).toFixed(2)} s)`;
  console.log(
    `failover (deletion to a replica owning the slots), cluster-node-timeout ${r.nodeTimeoutMs} ms, ${runs} runs each`,
  );
  console.log(`  scenario (local platform, writer on): ${fmt(r.scenarioMs)}`);
  console.log(`  bare kill-and-watch (Redis floor):    ${fmt(r.bareMs)}`);
  console.log(`  ratio scenario / floor: ${(mean(r.scenarioMs) / mean(r.bareMs)).toFixed(2)} (target <= 1.10)`);
}
