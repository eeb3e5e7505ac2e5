import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importGraph, type ImportEdge } from '../../support/import-graph.ts';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));

/** What scenarios may import of the platform layer: the seam (Platform, PlatformFaults and the faults' types). */
const SEAM = ['src/platform/platform.ts', 'src/platform/faults.ts', 'src/platform/partition-fault.ts'];

/** The platforms and the folder each keeps its fault modules in. */
const PLATFORMS = [
  { name: 'local', faults: 'src/platform/local/faults/', own: ['src/platform/local/', 'src/platform/local.ts'] },
  { name: 'kube', faults: 'src/platform/kube/faults/', own: ['src/platform/kube/', 'src/platform/kube.ts'] },
];

/** What a fault module may import: errors, util, manifests' types and the platform layer (never above it). */
const BELOW_OR_PLATFORM = ['src/errors.ts', 'src/util/', 'src/manifests/', 'src/platform/'];
/** The files that wire the platforms together: a fault module reached from them must not reach back. */
const WIRING = ['src/platform/local.ts', 'src/platform/kube.ts', 'src/platform/select.ts'];

const startsWithAny = (file: string, prefixes: string[]) => prefixes.some((p) => file.startsWith(p));

/** Imports from scenarios into the platform layer that bypass the seam. */
function seamBypasses(edges: ImportEdge[]): string[] {
  return edges
    .filter((e) => e.from.startsWith('src/scenarios/') && e.to.startsWith('src/platform/') && !SEAM.includes(e.to))
    .map((e) => `${e.from} imports ${e.to}, not the platform seam (${SEAM.join(', ')})`);
}

/** Imports of fault modules that reach above the platform layer, into the wiring, or into another platform. */
function faultModuleProblems(edges: ImportEdge[]): string[] {
  const problems: string[] = [];
  for (const { from, to } of edges) {
    const platform = PLATFORMS.find((p) => from.startsWith(p.faults));
    if (!platform) continue;
    if (!startsWithAny(to, BELOW_OR_PLATFORM)) problems.push(`${from} imports ${to}, above the platform layer`);
    else if (WIRING.includes(to)) problems.push(`${from} imports ${to}, the platform's wiring`);
    else {
      const other = PLATFORMS.find((p) => p !== platform && startsWithAny(to, p.own));
      if (other) problems.push(`${from} imports ${to}, the ${other.name} platform's own code`);
    }
  }
  return problems;
}

test('scenarios reach the platform only through its seam (Platform and its faults), never a platform module', () => {
  const edges = importGraph(REPO, 'src');
  assert.ok(edges.some((e) => e.from.startsWith('src/scenarios/') && e.to === 'src/platform/faults.ts'));
  assert.equal(seamBypasses(edges), []);
});

test('fault modules import nothing above the platform layer, nor the wiring, nor the other platform', () => {
  const edges = importGraph(REPO, 'src');
  for (const p of PLATFORMS)
    assert.ok(
      edges.some((e) => e.from.startsWith(p.faults)),
      `no import read from ${p.faults}: the folder moved and this test checks nothing`,
    );
  assert.equal(faultModuleProblems(edges), []);
});

test('the seam checks find planted bypasses', () => {
  assert.equal(
    seamBypasses([
      { from: 'src/scenarios/node-loss.ts', to: 'src/platform/local/faults/node-loss.ts' },
      { from: 'src/scenarios/node-loss.ts', to: 'src/platform/faults.ts' },
    ]),
    [
      'src/scenarios/node-loss.ts imports src/platform/local/faults/node-loss.ts, not the platform seam (src/platform/platform.ts, src/platform/faults.ts, src/platform/partition-fault.ts)',
    ],
  );
  assert.equal(
    faultModuleProblems([
      { from: 'src/platform/kube/faults/freeze.ts', to: 'src/redis/connect.ts' },
      { from: 'src/platform/kube/faults/freeze.ts', to: 'src/platform/kube.ts' },
      { from: 'src/platform/local/faults/freeze.ts', to: 'src/platform/kube/api.ts' },
      { from: 'src/platform/local/faults/freeze.ts', to: 'src/platform/local/process.ts' },
      { from: 'src/platform/kube/faults/freeze.ts', to: 'src/platform/packet-filter.ts' },
    ]),
    [
      'src/platform/kube/faults/freeze.ts imports src/redis/connect.ts, above the platform layer',
      "src/platform/kube/faults/freeze.ts imports src/platform/kube.ts, the platform's wiring",
      "src/platform/local/faults/freeze.ts imports src/platform/kube/api.ts, the kube platform's own code",
    ],
  );
});

/** The keys of PlatformFaults, read from its declaration. */
function faultNames(): string[] {
  const source = readFileSync(join(REPO, 'src/platform/faults.ts'), 'utf8');
  const body = /export interface PlatformFaults \{([^}]*)\}/.exec(source)?.[1] ?? '';
  return [...body.matchAll(/readonly (\w+):/g)].map((m) => m[1]!);
}

test('every fault of PlatformFaults has its own module on each platform (faults/<fault-name>.ts)', () => {
  const names = faultNames();
  assert.ok(names.length >= 6, `read ${names.length} faults from PlatformFaults: the reader is broken`);
  const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const missing = PLATFORMS.flatMap((p) =>
    names.map((n) => `${p.faults}${kebab(n)}.ts`).filter((f) => !existsSync(join(REPO, f))),
  );
  assert.equal(missing, []);
});

test.run();
