/**
 * Detection accuracy: the scenario's `replica-promoted` time against the promoted replica's own log line
 * `Failover election won` (Redis logs ms). The lag is how late the survivors' poll saw what Redis had done;
 * target: median <= 100 ms. Local platform, default manifests, 127.0.78.x.
 *   PATH=$PWD/node_modules/.bin:$PATH tsx bench/detection.ts [runs]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from './stats.ts';
import { runMasterFailover } from '../src/scenarios/master-failover.ts';
import { silentLog, type Log } from '../src/util/log.ts';
import { defaultSettings, deployCluster } from '../test/integration/failover-cluster.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Times (ms since the epoch) of every `Failover election won` line in a Redis log (local time, as Redis writes it). */
export function electionsWon(log: string): number[] {
  const out: number[] = [];
  for (const m of log.matchAll(
    /^\d+:\w (\d\d) (\w{3}) (\d{4}) (\d\d):(\d\d):(\d\d)\.(\d{3}) [*#.-] Failover election won/gm,
  )) {
    out.push(
      new Date(
        Number(m[3]),
        MONTHS.indexOf(m[2]!),
        Number(m[1]),
        Number(m[4]),
        Number(m[5]),
        Number(m[6]),
        Number(m[7]),
      ).getTime(),
    );
  }
  return out;
}

export async function benchDetection(runs = 5): Promise<number[]> {
  const cluster = await deployCluster('manifests', '127.0.78', { masters: 3, replicasPerMaster: 1 });
  const lags: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      let deletedAt = 0;
      // The scenario marks pod-deleted and logs "Deleting pod" in the same tick: atMs 0 on the timeline.
      const log: Log = {
        ...silentLog,
        info: (m) => {
          if (m.startsWith('Deleting pod')) deletedAt = Date.now();
        },
      };
      const r = await runMasterFailover(
        { platform: cluster.platform, redis: cluster.redis, log },
        defaultSettings(cluster, { writeRate: 0 }),
      );
      const seen = r.timeline.find((e) => e.event === 'replica-promoted');
      if (!seen) throw new Error(`run ${i + 1}: no promotion seen (${r.error ?? r.status})`);
      const seenAt = deletedAt + seen.atMs;
      const logs = join(cluster.workDir, 'logs');
      const won = readdirSync(logs)
        .flatMap((f) => electionsWon(readFileSync(join(logs, f), 'utf8')))
        .filter((t) => t >= deletedAt && t <= seenAt + 5000);
      const wonAt = Math.max(...won.filter((t) => t <= seenAt + 1000));
      if (!Number.isFinite(wonAt)) throw new Error(`run ${i + 1}: no "Failover election won" line in ${logs}`);
      lags.push(seenAt - wonAt);
    }
  } finally {
    await cluster.teardown();
  }
  return lags;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? 5);
  const lags = await benchDetection(runs);
  console.log(`detection lag (scenario's replica-promoted - the replica's "Failover election won"), ${runs} runs`);
  console.log(`  ${lags.map((l) => `${l} ms`).join(' / ')}; median ${median(lags)} ms (target <= 100 ms)`);
}
