/**
 * Lint figures:
 * - the default manifests in-process (load + lint), median of N runs; the first run also pays for importing the
 *   rules and their schemas, so it is shown apart;
 * - `lint` of the default manifests as a whole process (what a user waits for), from a bundle built the way
 *   dist/ is, median of N runs, against a 300 ms target;
 * - large inputs: a ConfigMap of many keys and one of a long `|` block just under the input limit, and one over
 *   it (refused before it is parsed), each as a whole process, against 5 s.
 *   PATH=$PWD/node_modules/.bin:$PATH tsx bench/lint.ts [runs]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MANIFESTS = path.join(ROOT, 'manifests');
export const TARGET_MS = 1000;
export const PROCESS_TARGET_MS = 300;
export const LARGE_TARGET_MS = 5000;

export interface LintBench {
  /** Importing the loader, the rules and their schemas (once per process). */
  importMs: number;
  /** Load + lint, one entry per run. */
  runsMs: number[];
  findings: number;
}

export async function benchLint(runs = 20, dir = MANIFESTS): Promise<LintBench> {
  const t0 = performance.now();
  const [{ loadManifests }, { lintManifests }] = await Promise.all([
    import('../src/manifests/load.ts'),
    import('../src/manifests/lint/index.ts'),
  ]);
  const importMs = performance.now() - t0;
  const runsMs: number[] = [];
  let findings = 0;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    findings = lintManifests(await loadManifests(dir)).length;
    runsMs.push(performance.now() - start);
  }
  return { importMs, runsMs, findings };
}

/** Wall time of one `node <bundle>/cli.js lint --manifests dir`, and how it ended. */
function lintProcess(bundle: string, dir: string): { ms: number; status: number | null; stderr: string } {
  const start = performance.now();
  const r = spawnSync(process.execPath, [path.join(bundle, 'cli.js'), 'lint', '--manifests', dir], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  return { ms: performance.now() - start, status: r.status, stderr: r.stderr };
}

/** The default manifests plus zz-large.yaml: a ConfigMap of `bytes` in many keys or in one `|` block. */
function largeManifests(root: string, shape: 'keys' | 'block', bytes: number): string {
  const dir = path.join(root, `${shape}-${bytes}`);
  cpSync(MANIFESTS, dir, { recursive: true });
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: large', 'data:'];
  if (shape === 'block') lines.push('  blob.conf: |');
  let size = 0;
  for (let n = 0; size < bytes; n++) {
    const line =
      shape === 'keys'
        ? `  key-${n}: "value number ${n} with some padding text"`
        : `    line ${n} of a long configuration file`;
    lines.push(line);
    size += line.length + 1;
  }
  writeFileSync(path.join(dir, 'zz-large.yaml'), `${lines.join('\n')}\n`);
  return dir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? 20);
  const r = await benchLint(runs);
  const m = median(r.runsMs);
  console.log(`lint of manifests/ (load + lint), ${runs} runs, ${r.findings} finding(s)`);
  console.log(
    `  median ${m.toFixed(1)} ms (min ${Math.min(...r.runsMs).toFixed(1)}, max ${Math.max(...r.runsMs).toFixed(1)})`,
  );
  console.log(`  first import of loader, rules and schemas: ${r.importMs.toFixed(0)} ms`);
  console.log(`  first run total (import + load + lint): ${(r.importMs + r.runsMs[0]!).toFixed(0)} ms`);
  console.log(`  target < ${TARGET_MS} ms: ${r.importMs + r.runsMs[0]! < TARGET_MS ? 'met' : 'MISSED'}`);

  const work = mkdtempSync(path.join(tmpdir(), 'rcr-bench-lint-'));
  try {
    const bundle = path.join(work, 'dist');
    const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), bundle], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (build.status !== 0) throw new Error('building the bundle failed');
    lintProcess(bundle, MANIFESTS); // the first run fills the OS file cache; not counted
    const wall = Array.from({ length: runs }, () => lintProcess(bundle, MANIFESTS).ms);
    const baseline = median(
      Array.from({ length: runs }, () => {
        const start = performance.now();
        spawnSync(process.execPath, ['-e', '0']);
        return performance.now() - start;
      }),
    );
    const pm = median(wall);
    console.log(`\nlint of manifests/ as a whole process (bundle built like dist/), ${runs} runs`);
    console.log(
      `  median ${pm.toFixed(0)} ms (min ${Math.min(...wall).toFixed(0)}, max ${Math.max(...wall).toFixed(0)}); node -e 0 alone: ${baseline.toFixed(0)} ms`,
    );
    console.log(`  target < ${PROCESS_TARGET_MS} ms: ${pm < PROCESS_TARGET_MS ? 'met' : 'MISSED'}`);

    console.log(`\nlarge inputs, whole process, target < ${LARGE_TARGET_MS} ms (or refused)`);
    const MiB = 1024 * 1024;
    for (const [shape, bytes] of [
      ['keys', 3.9 * MiB],
      ['block', 3.9 * MiB],
      ['keys', 50 * MiB],
    ] as const) {
      const one = lintProcess(bundle, largeManifests(work, shape, Math.round(bytes)));
      const outcome = one.status === 2 ? `refused: ${one.stderr.trim().split('\n')[0]}` : `exit ${one.status}`;
      console.log(
        `  ${(bytes / MiB).toFixed(1)} MiB ConfigMap (${shape}): ${one.ms.toFixed(0)} ms, ${outcome} — ${one.ms < LARGE_TARGET_MS ? 'met' : 'MISSED'}`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
