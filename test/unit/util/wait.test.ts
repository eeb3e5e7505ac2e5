import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CancelledError, TimeoutError } from '../../../src/errors.ts';
import { waitFor } from '../../../src/util/wait.ts';

test('returns the value once the probe is done', async () => {
  let calls = 0;
  const v = await waitFor(
    'three calls',
    async () => (++calls === 3 ? { done: true, value: 'ok' } : { done: false, seen: `call ${calls}` }),
    {
      timeoutMs: 5000,
      intervalMs: 1,
    },
  );
  assert.is(v, 'ok');
  assert.is(calls, 3);
});

test('times out naming what it waited for and what it saw last; a throwing probe counts as seen', async () => {
  let calls = 0;
  const err = await waitFor<never>(
    'the moon',
    async () => {
      calls++;
      if (calls % 2) throw new Error('connection refused');
      return { done: false, seen: 'still night' };
    },
    { timeoutMs: 60, intervalMs: 5 },
  ).catch((e: unknown) => e);
  assert.instance(err, TimeoutError);
  assert.match((err as Error).message, /waiting for the moon; last seen: (connection refused|still night)/);
  assert.ok(calls >= 2);
});

test('a probe that never settles is abandoned: the wait still ends', async () => {
  const err = await waitFor<never>('a hung call', () => new Promise(() => {}), { timeoutMs: 30, minProbeMs: 30 }).catch(
    (e: unknown) => e,
  );
  assert.instance(err, TimeoutError);
  assert.match((err as Error).message, /last seen: no answer within/);
});

test('an abort ends the wait with CancelledError, even while a probe hangs', async () => {
  const cancel = new AbortController();
  setTimeout(() => cancel.abort('SIGINT'), 20);
  const err = await waitFor<never>('a probe that never answers', () => new Promise(() => {}), {
    timeoutMs: 60_000,
    signal: cancel.signal,
  }).catch((e: unknown) => e);
  assert.instance(err, CancelledError);
  assert.is((err as Error).message, 'cancelled while waiting for a probe that never answers');
});

test('an aborted signal ends the wait before any probe', async () => {
  let calls = 0;
  const err = await waitFor('anything', async () => ({ done: true, value: ++calls }), {
    timeoutMs: 1000,
    signal: AbortSignal.abort(),
  }).catch((e: unknown) => e);
  assert.instance(err, CancelledError);
  assert.is(calls, 0);
});

test('timeoutMs 0 still looks once', async () => {
  assert.is(await waitFor('one look', async () => ({ done: true, value: 1 }), { timeoutMs: 0 }), 1);
});

test.run();
