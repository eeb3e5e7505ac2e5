/**
 * Lint of the default manifests (load + lint), median of N runs, against the 1 s target. The first run also pays
 * for importing the rules and their schemas, so it is shown apart.
 *   PATH=$PWD/node_modules/.bin:$PATH tsx bench/lint.ts [runs]
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './stats.ts';

const MANIFESTS = fileURLToPath(new URL('../manifests', import.meta.url));
export const TARGET_MS = 1000;

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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? 20);
  const r = await benchLint(runs);
  const m = median(r.runsMs);
  console.log(`lint of manifests/ (load + lint), ${runs} runs, ${r.findings} finding(s)`);
  console.log(`  median ${m.toFixed(1)} ms (min ${Math.min(...r.runsMs).toFixed(1)}, max ${Math.max(...r.runsMs).toFixed(1)})`);
  console.log(`  first import of loader, rules and schemas: ${r.importMs.toFixed(0)} ms`);
  console.log(`  first run total (import + load + lint): ${(r.importMs + r.runsMs[0]!).toFixed(0)} ms`);
  console.log(`  target < ${TARGET_MS} ms: ${r.importMs + r.runsMs[0]! < TARGET_MS ? 'met' : 'MISSED'}`);
}
