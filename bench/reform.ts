/**
 * cluster-restart's re-form time next to its floor: every pod deleted at once on the default manifests (local
 * platform, sandbox mode, so their peer re-discovery runs; 127.0.115.x), per kill mode, N runs each on one cluster.
 * The floor is what no re-discovery can beat: every pod recreated and answering PING. The re-form is when every
 * node is ok at the new addresses with the same shards (the scenario's cluster-reformed). Then the all-but-one
 * case on manifests without re-discovery (test/fixtures/manifests/no-rediscovery; a replica spared), which Redis
 * re-forms alone. Times are ms from the deletion; medians.
 *   PATH=$PWD/node_modules/.bin:$PATH tsx bench/reform.ts [runs]
 */
import { pathToFileURL } from 'node:url';
import { reachOf, withNode } from '../src/redis/connect.ts';
import { runClusterRestart } from '../src/scenarios/cluster-restart.ts';
import type { ScenarioSettings } from '../src/scenarios/settings.ts';
import { silentLog } from '../src/util/log.ts';
import { defaultSettings, deployCluster, type DeployedCluster } from '../test/integration/failover-cluster.ts';
import { median } from './stats.ts';

interface ReformRun {
  backMs: number;
  /** Undefined: it did not re-form (only allowed where that is a known outcome; see benchReform). */
  reformMs?: number;
}

/** The suites' defaults without the hold (every pod is deleted, none is held) and a 100/s writer. */
const settings = (c: DeployedCluster, extra: Partial<ScenarioSettings>): ScenarioSettings =>
  defaultSettings(c, { holdRestart: false, writeRate: 100, ...extra });

/** `mayNotReform`: a failed cluster-reformed check with every pod back is counted as such, not thrown. */
async function restarts(
  c: DeployedCluster,
  runs: number,
  extra: Partial<ScenarioSettings>,
  mayNotReform = false,
): Promise<ReformRun[]> {
  const out: ReformRun[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runClusterRestart({ platform: c.platform, redis: c.redis, log: silentLog }, settings(c, extra));
    const { allPodsBackMs, reformMs } = r.timings;
    const onlyReform = r.checks.every((x) => x.status !== 'fail' || x.id === 'cluster-reformed');
    if (mayNotReform && r.error === undefined && onlyReform && allPodsBackMs !== undefined && reformMs === undefined) {
      out.push({ backMs: allPodsBackMs });
      continue;
    }
    if (r.status !== 'pass' || allPodsBackMs === undefined || reformMs === undefined) {
      throw new Error(
        `run ${i + 1} (${JSON.stringify(extra)}) did not pass: ${
          r.error ??
          r.checks
            .filter((x) => x.status === 'fail')
            .map((x) => x.summary)
            .join('; ')
        }`,
      );
    }
    out.push({ backMs: allPodsBackMs, reformMs });
  }
  return out;
}

export async function benchReform(runs = 3): Promise<Record<string, ReformRun[]>> {
  const result: Record<string, ReformRun[]> = {};
  const defaults = await deployCluster('manifests', '127.0.115', { masters: 3, replicasPerMaster: 1 }, 1000, 'sandbox');
  try {
    result['default manifests, graceful'] = await restarts(defaults, runs, { killMode: 'graceful' });
    result['default manifests, kill'] = await restarts(defaults, runs, { killMode: 'kill' });
  } finally {
    await defaults.teardown();
  }
  // A fresh cluster per all-but-one run: after one, a restarted replica can stay linked to its master's old
  // address (master_link_status:down, seen here): Redis re-points a replica's replication only when a packet from
  // the moved master itself updates its address (cluster.c nodeUpdateAddressIfNeeded -> replicationSetMaster),
  // not when gossip does, and the next run's preconditions would wait for that link forever.
  const spared: ReformRun[] = [];
  for (let i = 0; i < runs; i++) {
    const bare = await deployCluster('test/fixtures/manifests/no-rediscovery', '127.0.115', {
      masters: 3,
      replicasPerMaster: 1,
    });
    try {
      const pods = await bare.platform.listPods();
      const roles = await Promise.all(
        pods.map((p) =>
          withNode(reachOf(bare.platform), { host: p.ip, port: bare.redis.port }, async (r) =>
            String(((await r.call('ROLE')) as unknown[])[0]),
          ),
        ),
      );
      const spare = pods[roles.indexOf('slave')];
      if (!spare) throw new Error('no replica to spare');
      // Without re-discovery a replica may stay linked to its master's old address: a known outcome, counted.
      spared.push(...(await restarts(bare, 1, { killMode: 'kill', restartSpare: spare.name }, true)));
    } finally {
      await bare.teardown();
    }
  }
  result['no re-discovery, all but one (5 of 6), kill'] = spared;
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? 3);
  const result = await benchReform(runs);
  const s = (ms: number): string => (ms / 1000).toFixed(1);
  console.log(
    `cluster-restart, 6 pods (3 + 3), node timeout 5000, writer 100/s; ms from the deletion, ${runs} runs each (median)`,
  );
  for (const [what, rs] of Object.entries(result)) {
    const back = median(rs.map((r) => r.backMs));
    const reformed = rs.flatMap((r) => (r.reformMs === undefined ? [] : [{ ...r, reformMs: r.reformMs }]));
    const reform = median(reformed.map((r) => r.reformMs));
    const after = median(reformed.map((r) => r.reformMs - r.backMs));
    console.log(
      `  ${what}: floor (every pod back, answering PING) ${s(back)} s; ` +
        (reformed.length ? `re-formed ${s(reform)} s, ${s(after)} s after the floor` : 'no run re-formed') +
        (reformed.length < rs.length ? ` (${rs.length - reformed.length} of ${rs.length} did not)` : '') +
        ` (runs: ${rs.map((r) => `${s(r.backMs)}/${r.reformMs === undefined ? 'not re-formed' : s(r.reformMs)}`).join(', ')})`,
    );
  }
}
