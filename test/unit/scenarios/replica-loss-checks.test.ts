import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { WriteStats } from '../../../src/report/model.ts';
import { replicaResynced, writesNeverRefused, type ReplicaLossFacts } from '../../../src/scenarios/replica-loss.ts';

const writes = (unavailableMs: number, mode: WriteStats['mode'] = 'plain'): WriteStats => ({
  mode,
  ratePerSecond: 200,
  attempted: 100,
  skipped: 0,
  acknowledged: 90,
  failed: unavailableMs ? 10 : 0,
  lost: 0,
  unavailableMs,
  lostKeys: [],
  firstErrors: [],
});

test('writes-never-refused: 0 passes, a window fails unless within max-unavailable-ms, writer off skipped', () => {
  assert.is(writesNeverRefused(writes(0), true, undefined, 'x').status, 'pass');
  const refused = writesNeverRefused(writes(1200), true, undefined, 'x');
  assert.is(refused.status, 'fail');
  assert.match(refused.summary, "the master's slots refused writes for 1200 ms");
  assert.is(writesNeverRefused(writes(1200), true, 2000, 'x').status, 'pass');
  assert.is(writesNeverRefused(writes(2500), true, 2000, 'x').status, 'fail');
  assert.match(writesNeverRefused(writes(900, 'wait'), true, undefined, 'x').summary, 'WAIT 1 needs a replica');
  assert.is(writesNeverRefused(undefined, false, undefined, 'x').status, 'skipped');
  assert.is(writesNeverRefused(undefined, true, undefined, 'not reached: y').summary, 'not reached: y');
});

test('replica-resynced: link up and offset reached pass; behind fails with both offsets; no rejoin skips', () => {
  const base = { victim: { pod: 'redis-app-3' } } as unknown as ReplicaLossFacts;
  assert.is(
    replicaResynced(
      { ...base, resync: { linkStatus: 'up', masterOffset: 100, replicaOffset: 120, caughtUp: true } },
      'x',
    ).status,
    'pass',
  );
  const behind = replicaResynced(
    { ...base, resync: { linkStatus: 'down', masterOffset: 100, replicaOffset: 0, caughtUp: false } },
    'x',
  );
  assert.is(behind.status, 'fail');
  assert.match(behind.summary, "master_link_status:down, replica offset 0 of the master's 100");
  assert.match(
    replicaResynced({ ...base, rejoin: { ok: false } as ReplicaLossFacts['rejoin'] }, 'x').summary,
    'did not rejoin',
  );
});

test.run();
