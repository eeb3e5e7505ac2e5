/**
 * Peak RSS of the `npm start` node process (the `start` script of package.json: `node <flags> dist/cli.js check`,
 * flags included) through whole checks on the local platform with the default manifests: the kernel's
 * high-water mark (VmHWM in /proc/<pid>/status), read every 20 ms until the process exits. The bundle is built
 * like dist/ into a temp dir, so the figure is of the current sources. Target <= 150 MB. Linux only.
 *   tsx bench/rss.ts [runs] [-- extra check flags, e.g. --scenario LIST]
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TARGET_MB = 150;

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

export async function benchRss(bundle: string, extra: string[] = []): Promise<{ peakMb: number; exit: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'rcr-rss-'));
  try {
    const args = [...startFlags(startScript()), join(bundle, 'cli.js'), 'check', '--platform', 'local'];
    args.push('--manifests', join(ROOT, 'manifests'), '--report-dir', join(dir, 'report'), ...extra);
    const child = spawn(process.execPath, args, { stdio: 'ignore', cwd: ROOT });
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dash = process.argv.indexOf('--');
  const runs = Number(process.argv[2] && process.argv[2] !== '--' ? process.argv[2] : 3);
  const extra = dash >= 0 ? process.argv.slice(dash + 1) : [];
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
    const peaks: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await benchRss(bundle, extra);
      if (r.exit !== 0) console.log(`  run ${i + 1}: the check exited ${String(r.exit)}`);
      peaks.push(r.peakMb);
    }
    const max = Math.max(...peaks);
    console.log(
      `peak RSS of the npm start process (node ${startFlags(startScript()).join(' ')} cli.js check, local platform, default manifests), ${runs} runs`,
    );
    console.log(
      `  ${peaks.map((p) => `${p} MB`).join(' / ')}; max ${max} MB (target <= ${TARGET_MB} MB: ${max <= TARGET_MB ? 'met' : 'MISSED'})`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
