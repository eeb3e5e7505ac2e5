/**
 * The lost-write race of master-pause over many runs, on one local cluster (default manifests, 3 + 3,
 * 127.0.79.x): each run freezes a master past node timeout + election, then resumes it. Per run: the writes a
 * client connected to the frozen master before the freeze had acknowledged and then lost (its SETs queue in the
 * socket; the resumed master answers them before it learns it was replaced), and the judged WAIT 1 writer's
 * losses. Prints how often and how many.
 *   node --import tsx bench/pause-race.ts [runs]
 */
import { pathToFileURL } from 'node:url';
import { median } from './stats.ts';
import { runMasterPause } from '../src/scenarios/master-pause.ts';
import { silentLog } from '../src/util/log.ts';
import { defaultSettings, deployCluster } from '../test/integration/failover-cluster.ts';

export interface PauseRun {
  status: string;
  /** The stale client's acknowledged writes that a fresh read-back did not find. */
  staleLost: number;
  /** ms from the resume to the last write the old master acknowledged. */
  lastAckAfterResumeMs?: number;
  waitWriterLost: number;
}

export async function benchPauseRace(runs: number): Promise<PauseRun[]> {
  const cluster = await deployCluster('manifests', '127.0.79', { masters: 3, replicasPerMaster: 1 });
  const out: PauseRun[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const r = await runMasterPause(
        { platform: cluster.platform, redis: cluster.redis, log: silentLog },
        defaultSettings(cluster),
      );
      if (r.error) throw new Error(`run ${i + 1}: ${r.error}`);
      const loss = r.pauseLoss;
      const resumed = r.timeline.find((e) => e.event === 'pod-resumed')?.atMs;
      out.push({
        status: r.status,
        staleLost: loss?.lost ?? 0,
        ...(loss?.lastAckByOldMasterMs !== undefined && resumed !== undefined
          ? { lastAckAfterResumeMs: loss.lastAckByOldMasterMs - resumed }
          : {}),
        waitWriterLost: r.writes?.lost ?? 0,
      });
      const last = out.at(-1)!.lastAckAfterResumeMs;
      console.log(
        `  run ${i + 1}: ${r.status}; stale client lost ${loss?.lost ?? '?'}${last !== undefined ? ` (its last ack ${last} ms after the resume)` : ''}; WAIT writer lost ${r.writes?.lost ?? '?'}`,
      );
    }
  } finally {
    await cluster.teardown();
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? 10);
  const r = await benchPauseRace(runs);
  const lossy = r.filter((x) => x.staleLost > 0);
  const lost = r.map((x) => x.staleLost);
  console.log(`master-pause lost-write race, ${runs} runs (redis-server, default manifests, node timeout 5000)`);
  console.log(
    `  a client connected before the freeze lost acknowledged writes in ${lossy.length} of ${runs} runs; lost per run: ${lost.join(' / ')} (median ${median(lost)}, max ${Math.max(...lost)})`,
  );
  console.log(
    `  the WAIT 1 writer lost ${r.reduce((a, x) => a + x.waitWriterLost, 0)} in all; verdicts: ${r.map((x) => x.status).join(' ')}`,
  );
}
