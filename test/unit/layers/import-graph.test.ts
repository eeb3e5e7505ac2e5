import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backEdges, importGraph, type Layer } from '../../support/import-graph.ts';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * The layers of src/, lowest first: a module imports only its own layer and those below. report/ composes what
 * the layers below produce (lint findings, topology, scenario results, the hold, the evidence); the entry points
 * at the top wire everything together.
 */
const LAYERS: Layer[] = [
  // The package's own metadata (its version, read by the entry points).
  { name: 'package', prefixes: ['package.json'] },
  { name: 'errors', prefixes: ['src/errors.ts'] },
  { name: 'util', prefixes: ['src/util/'] },
  { name: 'manifests', prefixes: ['src/manifests/'] },
  // The seam and what runs the pods; the Redis layer talks to pods through it.
  { name: 'platform', prefixes: ['src/platform/'] },
  { name: 'redis', prefixes: ['src/redis/'] },
  // Lint judges manifests with what the Redis layer knows (the cluster's shape).
  { name: 'lint', prefixes: ['src/manifests/lint/'] },
  { name: 'undo', prefixes: ['src/undo/'] },
  { name: 'scenarios', prefixes: ['src/scenarios/'] },
  { name: 'report', prefixes: ['src/report/'] },
  { name: 'github', prefixes: ['src/github/'] },
  {
    name: 'entry',
    prefixes: [
      'src/config.ts',
      'src/cli-args.ts',
      'src/prepare.ts',
      'src/pipeline/',
      'src/action-state.ts',
      'src/cli.ts',
      'src/main.ts',
      'src/post.ts',
    ],
  },
];

test('src/ has no import from a lower layer to a higher one', () => {
  const edges = importGraph(REPO, 'src');
  assert.ok(edges.length > 100, `read only ${edges.length} imports: the graph reader is broken`);
  assert.equal(backEdges(edges, LAYERS), []);
});

test('the checker finds a planted back-edge, a type-only one included', () => {
  const edges = [
    { from: 'src/report/model.ts', to: 'src/scenarios/model.ts' },
    { from: 'src/scenarios/driver.ts', to: 'src/report/model.ts' },
  ];
  assert.equal(backEdges(edges, LAYERS), [
    'src/scenarios/driver.ts (scenarios) imports src/report/model.ts (report, a higher layer)',
  ]);
});

test('the checker places a file by its longest prefix (lint sits above manifests)', () => {
  assert.equal(backEdges([{ from: 'src/manifests/lint/topology.ts', to: 'src/redis/plan.ts' }], LAYERS), []);
  assert.equal(backEdges([{ from: 'src/manifests/load.ts', to: 'src/manifests/lint/rule.ts' }], LAYERS), [
    'src/manifests/load.ts (manifests) imports src/manifests/lint/rule.ts (lint, a higher layer)',
  ]);
});

test('the checker reports a file in no layer, so a new folder must be placed', () => {
  assert.equal(backEdges([{ from: 'src/new/thing.ts', to: 'src/errors.ts' }], LAYERS), [
    'src/new/thing.ts is in no layer',
  ]);
});

test('the graph reader sees import type, export-from and dynamic import', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'import-graph-'));
  try {
    await mkdir(join(dir, 'src/a'), { recursive: true });
    await writeFile(
      join(dir, 'src/a/x.ts'),
      "import type { T } from '../b/t.ts';\nexport { U } from '../c/u.ts';\nconst m = await import('../d/m.ts');\nimport 'node:fs';\n",
    );
    assert.equal(
      importGraph(dir, 'src')
        .map((e) => e.to)
        .sort(),
      ['src/b/t.ts', 'src/c/u.ts', 'src/d/m.ts'],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
