/**
 * What base against head costs: `check --scenario master-failover` on the default manifests alone, then the same
 * with --base-manifests (master-failover on a fresh base cluster, then on the head), wall time each through the
 * pipeline on the local platform (127.0.128.x), writer on. The target: the comparison at most 2.3x a
 * single run (it cannot be under 2x by much: two clusters, two failovers; lint, manifests and the process
 * start are shared).
 *   PATH=$PWD/node_modules/.bin:$PATH tsx bench/comparison.ts [runs]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config.ts';
import { runCheck } from '../src/pipeline/check.ts';
import { silentLog } from '../src/util/log.ts';
import { mean } from './stats.ts';

async function timed(extra: Record<string, string>, dir: string): Promise<number> {
  const config = parseConfig(
    'check',
    {
      platform: 'local',
      manifests: 'manifests',
      scenario: 'master-failover',
      'report-dir': join(dir, 'report'),
      ...extra,
    },
    'flag',
    'manifests',
  );
  const t0 = performance.now();
  const report = await runCheck(config, {
    log: silentLog,
    addressBase: '127.0.128',
    workDirs: { root: join(dir, 'runs') },
  });
  const ms = performance.now() - t0;
  if (report.verdict !== 'pass') throw new Error(`run did not pass: ${report.verdict} ${report.error ?? ''}`);
  return ms;
}

const runs = Number(process.argv[2] ?? 1);
const dir = await mkdtemp(join(tmpdir(), 'rcr-bench-compare-'));
try {
  const single: number[] = [];
  const compared: number[] = [];
  for (let i = 0; i < runs; i++) {
    single.push(await timed({}, dir));
    compared.push(await timed({ 'base-manifests': 'manifests', 'max-failover-regression': '50%' }, dir));
  }
  const ratio = mean(compared) / mean(single);
  console.log(
    `master-failover, ${runs} run(s): single ${(mean(single) / 1000).toFixed(1)} s, base+head ${(mean(compared) / 1000).toFixed(1)} s, ratio ${ratio.toFixed(2)}x (target <= 2.3x)`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
