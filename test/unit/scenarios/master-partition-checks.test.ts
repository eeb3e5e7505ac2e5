import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { minorityStoppedCheck, partitionLoss } from '../../../src/scenarios/master-partition.ts';
import type { Anomaly } from '../../../src/scenarios/history/check.ts';
import type { WriteStats } from '../../../src/scenarios/model.ts';

const CUT = 10_000;
const stats = { mode: 'plain', acknowledged: 4, lost: 2 } as WriteStats;
/** A lost value as the checker reports it: its write's times in ms from the cut. */
const lostValue = (value: number, ackMs: number, outcome: 'ok' | 'indeterminate' = 'ok'): Anomaly => ({
  kind: 'lost',
  key: '{t}:h:0',
  value,
  write: { kind: 'write', client: 'writer', value, invokeMs: ackMs - 3, completeMs: ackMs, outcome },
  detail: 'acknowledged, absent from the final read',
});
const acks = [CUT - 45, CUT + 104, CUT + 5003, CUT + 16_010]; // before the cut, two in it, one after the heal

test('partitionLoss: the lost writes with the window they were acknowledged in, the last minority ack and the refusal', () => {
  const loss = partitionLoss({
    minorityWrites: stats,
    // value 3: WAIT did not confirm it, a minority read saw it, then it was gone
    lost: [lostValue(2, 5003), lostValue(1, 104), lostValue(3, 5050, 'indeterminate')],
    acks,
    cutAt: CUT,
    healedAt: CUT + 15_000,
    bounds: { nodeTimeoutMs: 5000 },
    probe: { refusedAt: CUT + 5100, refusal: 'CLUSTERDOWN The cluster is down' },
    cut: 'chain',
  });
  assert.is(loss.lost, 2);
  assert.is(loss.seenThenLost, 1);
  assert.equal(loss.lostWindow, { firstAckMs: 104, lastAckMs: 5003 });
  assert.equal(loss.sample, [
    { key: '{t}:h:0 value 1', ackAtMs: 104 },
    { key: '{t}:h:0 value 2', ackAtMs: 5003 },
  ]);
  assert.is(loss.lastMinorityAckMs, 5003, 'the write after the heal is not the minority side');
  assert.is(loss.refusedAtMs, 5100);
  assert.is(loss.partitionMs, 15_000);
  assert.is(minorityStoppedCheck(loss, '').status, 'pass');
  assert.match(minorityStoppedCheck(loss, '').summary, 'refused writes from 5100 ms after the cut (CLUSTERDOWN');
});

test('minority-stopped-writes: fails when the cut-off master never refused a write before the heal; skipped when not reached', () => {
  const loss = partitionLoss({
    minorityWrites: { ...stats, lost: 0 },
    lost: [],
    acks,
    cutAt: CUT,
    healedAt: CUT + 15_000,
    bounds: { nodeTimeoutMs: 5000, minReplicasToWrite: 1, minReplicasMaxLagS: 1 },
    probe: {},
    cut: 'chain',
  });
  assert.is(loss.lostWindow, undefined);
  const c = minorityStoppedCheck(loss, '');
  assert.is(c.status, 'fail');
  assert.match(c.summary, 'never refused a write during the 15000 ms partition');
  assert.match(c.summary, 'min-replicas-to-write 1 with min-replicas-max-lag 1 s');
  assert.is(minorityStoppedCheck(undefined, 'not reached: x').status, 'skipped');
});

test.run();
