// Bundles the action entry points and the CLI into dist/ (the action runs from the committed bundle).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// `node scripts/build.mjs [outdir]`: dist/ by default; the whole-process lint bench builds into a temp dir.
const outdir = process.argv[2] ?? 'dist';

// Chunk names carry content hashes: start clean so no stale chunk is committed beside the new ones.
rmSync(outdir, { recursive: true, force: true });

const banner = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";
await build({
  entryPoints: { index: 'src/main.ts', post: 'src/post.ts', cli: 'src/cli.ts' },
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  minify: true,
  legalComments: 'linked',
  banner: { js: banner },
  // uri-js (via kubernetes-models' validators) requires 'punycode', which resolves to Node's deprecated
  // built-in and prints a warning on every run; the npm package of the same name is the same code.
  alias: { punycode: 'punycode/' },
  logLevel: 'warning',
});
