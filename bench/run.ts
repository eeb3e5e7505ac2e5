/**
 * `npm run bench`: every figure in one run on the same machine, each bench in its own process (so one's
 * processes and timers cannot disturb the next): lint time, bootstrap vs redis-cli, failover vs the Redis floor,
 * cluster-restart's re-form vs every pod back, a base+head comparison vs a single run,
 * the writer's ceiling,
 * the detection lag of the failover watch, the peak RSS of the bundled CLI, the master-pause lost-write race,
 * the history checker's time on 250k/500k/1M operations, the writes a partition loses with and without
 * min-replicas-to-write. Each script can also run alone: `tsx bench/<name>.ts`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES: Array<[name: string, args: string[]]> = [
  ['lint', ['20']],
  ['bootstrap', ['5']],
  ['failover', ['3']],
  ['reform', ['3']],
  ['comparison', ['1']],
  ['writer', []],
  ['detection', ['5']],
  ['rss', ['3']],
  ['pause-race', ['5']],
  ['history-check', []],
  ['partition-loss', ['10']],
];

let failed = 0;
for (const [name, args] of BENCHES) {
  console.log(`\n## ${name}`);
  const script = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: 'inherit',
    timeout: 15 * 60_000,
  });
  if (r.status !== 0) {
    failed++;
    console.log(`bench ${name} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
