import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { minorityStoppedCheck, partitionLoss } from '../../../src/scenarios/master-partition.ts';
import type { WriteStats } from '../../../src/scenarios/model.ts';
import type { WriteRecord } from '../../../src/scenarios/write-stats.ts';

const CUT = 10_000;
const stats = { mode: 'plain', acknowledged: 4, lost: 2 } as WriteStats;
const w = (n: number, sentAt: number, ackAt?: number, error?: string): WriteRecord => ({
  key: `k${n}`,
  value: `v${n}`,
  sentAt,
  ...(ackAt !== undefined ? { ackAt } : {}),
  ...(error ? { error } : {}),
});
const records = [
  w(0, CUT - 50, CUT - 45), // before the cut: replicated, read back
  w(1, CUT + 100, CUT + 104), // acknowledged by the cut-off master: lost
  w(2, CUT + 5000, CUT + 5003), // the last one it took: lost
  w(3, CUT + 6000, undefined, 'Command timed out'),
  w(4, CUT + 16_000, CUT + 16_010), // after the heal, on the promoted master: read back
];
const readBack = new Map<string, string | null>([
  ['k0', 'v0'],
  ['k1', null],
  ['k2', null],
  ['k4', 'v4'],
]);

test('partitionLoss: the lost writes with the window they were acknowledged in, the last minority ack and the refusal', () => {
  const loss = partitionLoss({
    minority: records,
    minorityWrites: stats,
    readBack,
    cutAt: CUT,
    healedAt: CUT + 15_000,
    bounds: { nodeTimeoutMs: 5000 },
    probe: { refusedAt: CUT + 5100, refusal: 'CLUSTERDOWN The cluster is down' },
    cut: 'chain',
  });
  assert.is(loss.lost, 2);
  assert.equal(loss.lostWindow, { firstAckMs: 104, lastAckMs: 5003 });
  assert.equal(loss.sample, [
    { key: 'k1', ackAtMs: 104 },
    { key: 'k2', ackAtMs: 5003 },
  ]);
  assert.is(loss.lastMinorityAckMs, 5003, 'the write after the heal is not the minority side');
  assert.is(loss.refusedAtMs, 5100);
  assert.is(loss.partitionMs, 15_000);
  assert.is(minorityStoppedCheck(loss, '').status, 'pass');
  assert.match(minorityStoppedCheck(loss, '').summary, 'refused writes from 5100 ms after the cut (CLUSTERDOWN');
});

test('minority-stopped-writes: fails when the cut-off master never refused a write before the heal; skipped when not reached', () => {
  const loss = partitionLoss({
    minority: records,
    minorityWrites: stats,
    readBack,
    cutAt: CUT,
    healedAt: CUT + 15_000,
    bounds: { nodeTimeoutMs: 5000, minReplicasToWrite: 1, minReplicasMaxLagS: 1 },
    probe: {},
    cut: 'chain',
  });
  const c = minorityStoppedCheck(loss, '');
  assert.is(c.status, 'fail');
  assert.match(c.summary, 'never refused a write during the 15000 ms partition');
  assert.match(c.summary, 'min-replicas-to-write 1 with min-replicas-max-lag 1 s');
  assert.is(minorityStoppedCheck(undefined, 'not reached: x').status, 'skipped');
});

test.run();
