import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startPacer } from '../../../src/scenarios/pacer.ts';
import { sleep, waitFor } from '../../../src/util/wait.ts';

/** Calls that settle only when the test says so: a writer whose writes hang. */
function hangingSend() {
  const pending: Array<() => void> = [];
  return {
    send: () => new Promise<void>((resolve) => pending.push(resolve)),
    calls: () => pending.length,
    releaseAll: () => pending.splice(0).forEach((resolve) => resolve()),
  };
}

test('calls due while the bound is reached are skipped and counted, not queued', async () => {
  const hang = hangingSend();
  const dueTimes: number[] = [];
  const started = Date.now();
  const pacer = startPacer({ ratePerSecond: 1000, maxInFlight: 3, send: hang.send, onSkip: (at) => dueTimes.push(at) });
  try {
    await waitFor(
      '20 skipped calls',
      async () =>
        pacer.skipped() >= 20 ? { done: true, value: 0 } : { done: false, seen: `${pacer.skipped()} skipped` },
      {
        timeoutMs: 5000,
        intervalMs: 5,
      },
    );
    assert.is(hang.calls(), 3);
    assert.is(pacer.inFlight(), 3);
    // Each skip is told with its due time (the writer counts them as writes not acknowledged, at that time).
    assert.is(dueTimes.length, pacer.skipped());
    assert.ok(
      dueTimes.every((t, i) => t >= started && t <= Date.now() && (i === 0 || t > dueTimes[i - 1]!)),
      dueTimes.join(' '),
    );
  } finally {
    pacer.stop();
    hang.releaseAll();
  }
  // Stopped: nothing more is sent or counted.
  const skipped = pacer.skipped();
  await sleep(50);
  assert.is(pacer.skipped(), skipped);
  assert.is(pacer.inFlight(), 0);
});

test('a settled call frees its place: sending resumes', async () => {
  const hang = hangingSend();
  const pacer = startPacer({ ratePerSecond: 200, maxInFlight: 2, send: hang.send });
  try {
    await waitFor(
      'the bound reached',
      async () => (pacer.skipped() > 0 ? { done: true, value: 0 } : { done: false, seen: `${hang.calls()} sent` }),
      {
        timeoutMs: 5000,
        intervalMs: 5,
      },
    );
    assert.is(hang.calls(), 2);
    hang.releaseAll();
    await waitFor(
      'sending to resume',
      async () =>
        hang.calls() > 0 ? { done: true, value: 0 } : { done: false, seen: 'nothing sent since the release' },
      {
        timeoutMs: 5000,
        intervalMs: 5,
      },
    );
  } finally {
    pacer.stop();
    hang.releaseAll();
  }
});

test('calls that settle, with room to spare: none skipped', async () => {
  let calls = 0;
  const pacer = startPacer({
    ratePerSecond: 200,
    maxInFlight: 1000,
    send: async () => {
      calls++;
    },
  });
  try {
    await waitFor(
      '20 calls',
      async () => (calls >= 20 ? { done: true, value: 0 } : { done: false, seen: `${calls} calls` }),
      { timeoutMs: 5000, intervalMs: 5 },
    );
    assert.is(pacer.skipped(), 0);
  } finally {
    pacer.stop();
  }
});

test.run();
