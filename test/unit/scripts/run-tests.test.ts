import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runNode } from '../../support/run-node.ts';

// scripts/run-tests.mjs with a pattern no test file matches: only its argument handling runs.
const NO_FILE = 'no-test-file-matches-this$';

test('a --jobs or TEST_JOBS that is not a positive whole number is refused, not a run of no integration files', async () => {
  for (const [args, env] of [
    [['--jobs', 'three'], {}],
    [['--jobs'], {}],
    [[], { TEST_JOBS: 'x' }],
    [['--jobs', '1.5'], {}],
  ] as Array<[string[], Record<string, string>]>) {
    const r = await runNode(['scripts/run-tests.mjs', ...args, NO_FILE], env, 30_000);
    assert.is(r.code, 2, `${args.join(' ')} ${JSON.stringify(env)}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /--jobs \(or TEST_JOBS\) must be a whole number of at least 1/);
  }
  const ok = await runNode(['scripts/run-tests.mjs', '--jobs', '2', NO_FILE], {}, 30_000);
  assert.is(ok.code, 0, ok.stderr);
});

test.run();
