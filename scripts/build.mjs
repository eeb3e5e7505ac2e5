// Bundles the action entry points and the CLI into dist/ (the action runs from the committed bundle).
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// `node scripts/build.mjs [outdir]`: dist/ by default; the whole-process lint bench builds into a temp dir.
const outdir = process.argv[2] ?? 'dist';

// Chunk names carry content hashes: start clean so no stale chunk is committed beside the new ones.
rmSync(outdir, { recursive: true, force: true });

// Each entry is a small wrapper: in debug mode it turns source maps on and only then imports the real entry, since
// Node maps stacks only for modules loaded after process.setSourceMapsEnabled(true). Off by default: parsing the
// maps costs memory that a normal run does not need.
const RUNNER_DEBUG = "process.env.RUNNER_DEBUG === '1'";
const entries = {
  index: { source: './src/main.ts', debug: RUNNER_DEBUG },
  post: { source: './src/post.ts', debug: RUNNER_DEBUG },
  cli: { source: './src/cli.ts', debug: "process.argv.includes('--debug')" },
};
const debugEntries = {
  name: 'debug-entries',
  setup(b) {
    b.onResolve({ filter: /^entry:/ }, (args) => ({ path: args.path.slice('entry:'.length), namespace: 'entry' }));
    b.onLoad({ filter: /.*/, namespace: 'entry' }, (args) => {
      const { source, debug } = entries[args.path];
      // The CLI's shebang (its node flags) moves to the wrapper, the file that is run.
      const first = readFileSync(source, 'utf8').split('\n', 1)[0];
      const shebang = first.startsWith('#!') ? `${first}\n` : '';
      return {
        contents: `${shebang}if (${debug}) process.setSourceMapsEnabled(true);\nawait import(${JSON.stringify(source)});\n`,
        resolveDir: process.cwd(),
        loader: 'js',
      };
    });
  },
};

const banner = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";
await build({
  entryPoints: Object.fromEntries(Object.keys(entries).map((name) => [name, `entry:${name}`])),
  plugins: [debugEntries],
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  minify: true,
  // Stacks in debug mode point to src/ (see the entries above); the sources themselves are not shipped.
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'linked',
  banner: { js: banner },
  // uri-js (via kubernetes-models' validators) requires 'punycode', which resolves to Node's deprecated
  // built-in and prints a warning on every run; the npm package of the same name is the same code.
  alias: { punycode: 'punycode/' },
  logLevel: 'warning',
});
