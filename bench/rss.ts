/**
 * Peak RSS of the tool's own node process through whole checks on the local platform with the default
 * manifests, as users run it, two ways:
 * - cli: the `npm start` process (the `start` script of package.json: `node <flags> dist/cli.js check`, flags
 *   included, the same as the CLI's shebang);
 * - action: the action entry as the runner starts it (`runs.using: node24` takes no node flags:
 *   `node dist/index.js`, inputs as INPUT_* variables).
 * The figure is the kernel's high-water mark (VmHWM in /proc/<pid>/status), read every 20 ms until the process
 * exits. The bundle is built like dist/ into a temp dir, so the figure is of the current sources. Targets:
 * <= 150 MB on the default check, <= 200 MB on the longest scenario list (LONGEST). Linux only.
 *   tsx bench/rss.ts [runs] [--longest] [-- extra check flags, e.g. --scenario LIST (cli only)]
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TARGET_MB = 150;
const LONGEST_TARGET_MB = 200;
/** Every scenario that runs on one deployment, in order: the longest check (rollout deploys the base first). */
export const LONGEST =
  'replica-loss,master-failover,rolling-restart,master-pause,cluster-restart,master-partition,node-loss';

export type Entry = 'cli' | 'action';

/** VmHWM in kB, or undefined once the process is gone. */
function highWater(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The node flags of the `start` script (`node <flags> dist/cli.js check`), so the bench runs what npm start runs. */
export function startFlags(startScript: string): string[] {
  const words = startScript.trim().split(/\s+/);
  const cli = words.indexOf('dist/cli.js');
  if (words[0] !== 'node' || cli < 0)
    throw new Error(`package.json start script is not "node [flags] dist/cli.js …": ${startScript}`);
  return words.slice(1, cli);
}

function startScript(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
}

/** The command line and environment of one entry: the CLI with its flags, or the action entry without any. */
function invocation(
  entry: Entry,
  bundle: string,
  dir: string,
  scenario: string | undefined,
  extra: string[],
): { args: string[]; env: NodeJS.ProcessEnv } {
  const manifests = join(ROOT, 'manifests');
  const report = join(dir, 'report');
  if (entry === 'cli') {
    const args = [...startFlags(startScript()), join(bundle, 'cli.js'), 'check', '--platform', 'local'];
    args.push('--manifests', manifests, '--report-dir', report, ...(scenario ? ['--scenario', scenario] : []));
    return { args: [...args, ...extra], env: process.env };
  }
  const output = join(dir, 'output');
  writeFileSync(output, '');
  return {
    args: [join(bundle, 'index.js')],
    env: {
      ...process.env,
      INPUT_PLATFORM: 'local',
      INPUT_MANIFESTS: manifests,
      'INPUT_REPORT-DIR': report,
      ...(scenario ? { INPUT_SCENARIO: scenario } : {}),
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
      RUNNER_TEMP: dir,
    },
  };
}

export async function benchRss(
  bundle: string,
  entry: Entry = 'cli',
  scenario?: string,
  extra: string[] = [],
): Promise<{ peakMb: number; exit: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'rcr-rss-'));
  try {
    const { args, env } = invocation(entry, bundle, dir, scenario, extra);
    const child = spawn(process.execPath, args, { stdio: 'ignore', cwd: ROOT, env });
    let peak = 0;
    // VmHWM only grows, so the last read before exit is the peak up to 20 ms before the end.
    const timer = setInterval(() => (peak = Math.max(peak, highWater(child.pid!) ?? 0)), 20);
    const exit = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    clearInterval(timer);
    return { peakMb: Math.round(peak / 1024), exit };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const describe = (entry: Entry): string =>
  entry === 'cli'
    ? `CLI: ${['node', ...startFlags(startScript()), 'cli.js check'].join(' ')}`
    : 'action entry: node index.js (no flags), INPUT_*';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dash = process.argv.indexOf('--');
  const own = dash >= 0 ? process.argv.slice(2, dash) : process.argv.slice(2);
  const extra = dash >= 0 ? process.argv.slice(dash + 1) : [];
  const runs = Number(own.find((a) => /^\d+$/.test(a)) ?? 3);
  const lists: Array<{ scenario: string | undefined; target: number }> = [{ scenario: undefined, target: TARGET_MB }];
  if (own.includes('--longest')) lists.push({ scenario: LONGEST, target: LONGEST_TARGET_MB });
  const work = mkdtempSync(join(tmpdir(), 'rcr-bench-rss-'));
  try {
    // The bundle finds its package (package.json, the default manifests) by walking up from dist/: give it both.
    copyFileSync(join(ROOT, 'package.json'), join(work, 'package.json'));
    symlinkSync(join(ROOT, 'manifests'), join(work, 'manifests'));
    const bundle = join(work, 'dist');
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), bundle], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (build.status !== 0) throw new Error('building the bundle failed');
    for (const { scenario, target } of lists) {
      for (const entry of ['cli', 'action'] as const) {
        const peaks: number[] = [];
        for (let i = 0; i < runs; i++) {
          const r = await benchRss(bundle, entry, scenario, entry === 'cli' ? extra : []);
          if (r.exit !== 0) console.log(`  run ${i + 1}: the check exited ${String(r.exit)}`);
          peaks.push(r.peakMb);
        }
        const max = Math.max(...peaks);
        console.log(
          `peak RSS, ${describe(entry)}; local platform, default manifests, scenario ${scenario ?? 'default'}; ${runs} run(s)`,
        );
        console.log(
          `  ${peaks.map((p) => `${p} MB`).join(' / ')}; max ${max} MB (target <= ${target} MB: ${max <= target ? 'met' : 'MISSED'})`,
        );
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
