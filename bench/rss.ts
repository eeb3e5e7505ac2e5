/**
 * Peak RSS of the `npm start` node process (`node dist/cli.js check`, the bundled CLI) through a whole check on
 * the local platform with the default manifests: the kernel's high-water mark (VmHWM in /proc/<pid>/status),
 * read until the process exits. Target <= 150 MB. Linux only.
 *   tsx bench/rss.ts [--scenario LIST]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** VmHWM in kB, or undefined once the process is gone. */
function highWater(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export async function benchRss(extra: string[] = []): Promise<{ peakMb: number; exit: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'rcr-rss-'));
  try {
    const child = spawn(process.execPath, ['dist/cli.js', 'check', '--platform', 'local', '--report-dir', join(dir, 'report'), ...extra], { stdio: 'ignore' });
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, highWater(child.pid!) ?? 0)), 50);
    const exit = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    clearInterval(timer);
    return { peakMb: Math.round(peak / 1024), exit };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchRss(process.argv.slice(2));
  console.log(`peak RSS of node dist/cli.js check (local platform, default manifests): ${r.peakMb} MB (target <= 150 MB; exit ${r.exit})`);
}
