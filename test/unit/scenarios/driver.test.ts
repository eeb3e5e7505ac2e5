import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Platform } from '../../../src/platform/platform.ts';
import type { RedisDeployment } from '../../../src/manifests/model.ts';
import { driveSteps, Timeline, type ScenarioEnv, type Step } from '../../../src/scenarios/driver.ts';
import { silentLog } from '../../../src/util/log.ts';

/** A platform whose only used call is releaseHold: the driver must call it exactly when a hold is left. */
function env(signal?: AbortSignal): ScenarioEnv & { releases: number } {
  const e = {
    releases: 0,
    platform: {
      faults: {
        podDelete: {
          releaseHold: async () => {
            e.releases++;
          },
        },
      },
      reach: async (a: unknown) => a,
    } as unknown as Platform,
    redis: { port: 6379 } as RedisDeployment,
    log: silentLog,
    ...(signal ? { signal } : {}),
  };
  return e;
}

interface F {
  seen: string[];
}

test('steps run in order over one facts object; no error, no hold release', async () => {
  const e = env();
  const steps: Array<Step<F>> = [
    { stage: 'one', run: async (f) => void f.seen.push('one') },
    { stage: (f) => `two after ${f.seen.join()}`, run: async (f) => void f.seen.push('two') },
  ];
  const facts: F = { seen: [] };
  const out = await driveSteps('t', steps, facts, e);
  assert.equal(facts.seen, ['one', 'two']);
  assert.is(out.error, undefined);
  assert.is(out.cancelled, false);
  assert.is(e.releases, 0);
});

test('a throwing step: error labelled with its stage, later steps skipped, hold released, cleanups run last-in first-out', async () => {
  const e = env();
  const order: string[] = [];
  const steps: Array<Step<F>> = [
    {
      stage: 'holding',
      run: async (_f, ctx) => {
        ctx.holding(true);
        ctx.onCleanup(() => void order.push('first'));
        ctx.onCleanup(() => {
          order.push('second');
          throw new Error('cleanup broke');
        });
      },
    },
    {
      stage: (f) => `deleting pod ${f.seen.length}`,
      run: async () => {
        throw new Error('boom');
      },
    },
    { stage: 'never', run: async (f) => void f.seen.push('never') },
  ];
  const facts: F = { seen: [] };
  const out = await driveSteps('t', steps, facts, e);
  assert.is(out.error, 'deleting pod 0: boom');
  assert.equal(facts.seen, []);
  assert.is(e.releases, 1);
  assert.equal(order, ['second', 'first'], 'a failing cleanup does not stop the others');
});

test('a hold released by a step is not released again', async () => {
  const e = env();
  const steps: Array<Step<F>> = [
    { stage: 'hold', run: async (_f, ctx) => ctx.holding(true) },
    { stage: 'release', run: async (_f, ctx) => ctx.holding(false) },
    {
      stage: 'fail',
      run: async () => {
        throw new Error('x');
      },
    },
  ];
  await driveSteps('t', steps, { seen: [] }, e);
  assert.is(e.releases, 0);
});

test('cancellation stops before the next step and is reported as cancelled, the hold released', async () => {
  const abort = new AbortController();
  const e = env(abort.signal);
  const steps: Array<Step<F>> = [
    {
      stage: 'hold',
      run: async (_f, ctx) => {
        ctx.holding(true);
        abort.abort();
      },
    },
    { stage: 'watching the failover', run: async (f) => void f.seen.push('watched') },
  ];
  const facts: F = { seen: [] };
  const out = await driveSteps('t', steps, facts, e);
  assert.is(out.cancelled, true);
  assert.is(out.error, 'cancelled by a cancel while watching the failover');
  assert.equal(facts.seen, []);
  assert.is(e.releases, 1);
});

test('timeline: first mark of an event wins, entries relative to the origin, sorted', () => {
  const tl = new Timeline();
  tl.mark('writer-started', 900);
  tl.setOrigin(1000);
  tl.setOrigin(5000);
  tl.mark('replica-promoted', 8000, 'x');
  tl.mark('pod-deleted', 1000);
  tl.mark('pod-deleted', 2000);
  assert.equal(tl.entries(), [
    { event: 'writer-started', atMs: -100 },
    { event: 'pod-deleted', atMs: 0 },
    { event: 'replica-promoted', atMs: 7000, detail: 'x' },
  ]);
  assert.is(tl.since('replica-promoted'), 7000);
  assert.is(tl.since('cluster-ok'), undefined);
});

test.run();
