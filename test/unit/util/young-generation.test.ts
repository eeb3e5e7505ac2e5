// holdYoungGeneration, set at run time (the action's process takes no node flags), keeps V8's new space from
// growing under steady allocation with survivors; without it the same load grows new space to 64 MB on Node 24.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runNode } from '../../support/run-node.ts';

/** New space (MB) after a steady allocation with short-lived survivors, in a fresh process. */
async function newSpaceAfterLoad(hold: boolean): Promise<number> {
  const script = `
    import v8 from 'node:v8';
    import { holdYoungGeneration } from './src/util/young-generation.ts';
    if (${String(hold)}) holdYoungGeneration();
    const keep = [];
    for (let i = 0; i < 3e6; i++) {
      keep.push({ a: i, b: 'x' + i });
      if (keep.length > 20000) keep.splice(0, 10000);
    }
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    console.log(String(Math.round(space.space_size / 1048576)));`;
  const r = await runNode(['--import', 'tsx', '--input-type=module', '-e', script], {}, 60_000);
  assert.is(r.code, 0, r.stderr);
  const mb = Number(r.stdout.trim());
  assert.ok(Number.isFinite(mb), `no figure in: ${r.stdout}`);
  return mb;
}

test('new space stays at its starting size under load, and grows without the hold', async () => {
  const [held, free] = await Promise.all([newSpaceAfterLoad(true), newSpaceAfterLoad(false)]);
  assert.ok(held <= 8, `new space ${held} MB with the hold`);
  assert.ok(free >= 32, `new space ${free} MB without the hold: the load no longer shows the growth`);
});

test.run();
