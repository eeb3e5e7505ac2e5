import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lostWrites, unavailableWindow, writeStats, type WriteRecord } from '../../../src/scenarios/write-stats.ts';

const ok = (n: number, sentAt: number, ackAt: number): WriteRecord => ({ key: `k${n}`, value: `v${n}`, sentAt, ackAt });
const bad = (n: number, sentAt: number, errorAt: number, error = 'Command timed out'): WriteRecord => ({ key: `k${n}`, value: `v${n}`, sentAt, error, errorAt });

test('no failed write: no window, 0 ms unavailable', () => {
  const records = [ok(0, 0, 1), ok(1, 5, 6)];
  assert.is(unavailableWindow(records), undefined);
  const stats = writeStats(records, new Map([['k0', 'v0'], ['k1', 'v1']]), { mode: 'plain', ratePerSecond: 200, skipped: 0, stoppedAt: 10 });
  assert.equal(stats, { mode: 'plain', ratePerSecond: 200, attempted: 2, skipped: 0, acknowledged: 2, failed: 0, lost: 0, unavailableMs: 0, lostKeys: [], firstErrors: [] });
});

test('window: first failed send to the first ack of a write sent after it', () => {
  // k1 was sent before the failure and acked late: it does not close the window.
  const records = [ok(0, 0, 1), ok(1, 90, 2000), bad(2, 100, 1100), bad(3, 200, 1200), ok(4, 3000, 3005), ok(5, 3010, 3004)];
  assert.equal(unavailableWindow(records), { start: 100, end: 3004 });
});

test('a window that never closed runs to the stop', () => {
  const records = [ok(0, 0, 1), bad(1, 100, 1100)];
  assert.equal(unavailableWindow(records), { start: 100, end: undefined });
  assert.is(writeStats(records, new Map([['k0', 'v0']]), { mode: 'wait', ratePerSecond: 1, skipped: 0, stoppedAt: 5000 }).unavailableMs, 4900);
});

test('lost: acknowledged and missing or stale; failed writes are never lost', () => {
  const records = [ok(0, 0, 1), ok(1, 1, 2), ok(2, 2, 3), bad(3, 3, 4)];
  const readBack = new Map<string, string | null>([['k0', 'v0'], ['k1', null], ['k2', 'something else']]);
  assert.equal(lostWrites(records, readBack).map((r) => r.key), ['k1', 'k2']);
  const stats = writeStats(records, readBack, { mode: 'plain', ratePerSecond: 1, skipped: 0, stoppedAt: 10 });
  assert.is(stats.lost, 2);
  assert.equal(stats.lostKeys, ['k1', 'k2']);
  assert.is(stats.failed, 1);
  assert.equal(stats.firstErrors, ['Command timed out']);
});

test('error samples are distinct and few', () => {
  const records = Array.from({ length: 20 }, (_, i) => bad(i, i, i + 1, `e${i % 7}`));
  assert.equal(writeStats(records, new Map(), { mode: 'plain', ratePerSecond: 1, skipped: 0, stoppedAt: 30 }).firstErrors, ['e0', 'e1', 'e2', 'e3', 'e4']);
});

test('skipped writes are reported apart: never sent, so not attempted, failed or in the window', () => {
  const records = [ok(0, 0, 1), ok(1, 5, 6)];
  const stats = writeStats(records, new Map([['k0', 'v0'], ['k1', 'v1']]), { mode: 'wait', ratePerSecond: 200, skipped: 1400, stoppedAt: 10 });
  assert.equal([stats.attempted, stats.skipped, stats.failed, stats.unavailableMs], [2, 1400, 0, 0]);
});

test.run();
