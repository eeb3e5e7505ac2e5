/**
 * master-partition's lost writes over many runs, with and without min-replicas-to-write, each on its own local
 * cluster (default manifests and test/fixtures/manifests/min-replicas: `min-replicas-to-write 1`,
 * `min-replicas-max-lag 1`; 3 + 3, node timeout 5000, plain writes at 200/s from each side). Per run: the
 * writes the cut-off master acknowledged and then lost, the span in which they were acknowledged, and when the
 * master refused writes. Prints median and range for each.
 *   node --import tsx bench/partition-loss.ts [runs per setting]
 */
import { pathToFileURL } from 'node:url';
import { median } from './stats.ts';
import { runMasterPartition } from '../src/scenarios/master-partition.ts';
import { silentLog } from '../src/util/log.ts';
import { defaultSettings, deployCluster } from '../test/integration/failover-cluster.ts';

export interface PartitionRun {
  lost: number;
  /** Last minus first acknowledgement of a lost write (ms). */
  lostSpanMs: number;
  /** ms after the cut at which the cut-off master refused its first write. */
  refusedAtMs: number;
}

export async function benchPartitionLoss(
  manifests: string,
  addressBase: string,
  runs: number,
): Promise<PartitionRun[]> {
  const cluster = await deployCluster(manifests, addressBase, { masters: 3, replicasPerMaster: 1 });
  const out: PartitionRun[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const r = await runMasterPartition(
        { platform: cluster.platform, redis: cluster.redis, log: silentLog },
        defaultSettings(cluster),
      );
      const loss = r.partitionLoss;
      if (r.error || loss?.refusedAtMs === undefined)
        throw new Error(`run ${i + 1}: ${r.error ?? 'no partition loss measured'}`);
      const w = loss.lostWindow;
      out.push({
        lost: loss.lost,
        lostSpanMs: w ? w.lastAckMs - w.firstAckMs : 0,
        refusedAtMs: loss.refusedAtMs,
      });
      console.log(
        `  run ${i + 1}: ${loss.lost} lost${w ? `, acknowledged ${w.firstAckMs}-${w.lastAckMs} ms after the cut` : ''}; refused from ${loss.refusedAtMs} ms (${loss.refusal ?? ''})`,
      );
    }
  } finally {
    await cluster.teardown();
  }
  return out;
}

const range = (xs: number[]): string => `median ${median(xs)}, range ${Math.min(...xs)}–${Math.max(...xs)}`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? 10);
  for (const [name, manifests, base] of [
    ['default manifests (min-replicas-to-write not set)', 'manifests', '127.0.133'],
    ['min-replicas-to-write 1, min-replicas-max-lag 1', 'test/fixtures/manifests/min-replicas', '127.0.134'],
  ] as const) {
    console.log(`master-partition, ${name}: ${runs} runs (redis-server, node timeout 5000, 200 writes/s a side)`);
    const r = await benchPartitionLoss(manifests, base, runs);
    console.log(`  lost writes: ${range(r.map((x) => x.lost))}`);
    console.log(`  span of their acknowledgements (ms): ${range(r.map((x) => x.lostSpanMs))}`);
    console.log(`  writes refused from (ms after the cut): ${range(r.map((x) => x.refusedAtMs))}`);
  }
}
