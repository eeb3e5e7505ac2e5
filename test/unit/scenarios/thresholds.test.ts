import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { thresholdChecks } from '../../../src/scenarios/thresholds.ts';

const writes = {
  mode: 'plain' as const,
  ratePerSecond: 100,
  attempted: 10,
  skipped: 0,
  acknowledged: 8,
  failed: 2,
  lost: 0,
  unavailableMs: 7000,
  lostKeys: [],
  firstErrors: [],
};
const base = { path: 'failover' as const, failoverMs: 7200, writes, writerOn: true, finished: true };
const byId = (checks: ReturnType<typeof thresholdChecks>) => Object.fromEntries(checks.map((c) => [c.id, c]));

test('only configured budgets become checks, max-lost-writes always', () => {
  assert.equal(
    thresholdChecks({ maxLostWrites: 0 }, base, 'x').map((c) => c.id),
    ['max-lost-writes'],
  );
  assert.equal(
    thresholdChecks({ maxFailoverMs: 1, maxUnavailableMs: 1, maxLostWrites: 0 }, base, 'x').map((c) => c.id),
    ['max-failover-ms', 'max-unavailable-ms', 'max-lost-writes'],
  );
});

test('a budget that cannot be met fails with value and limit as evidence', () => {
  const c = byId(thresholdChecks({ maxFailoverMs: 1, maxUnavailableMs: 10_000, maxLostWrites: 0 }, base, 'x'));
  assert.is(c['max-failover-ms']!.status, 'fail');
  assert.equal(c['max-failover-ms']!.evidence, { value: 7200, limit: 1 });
  assert.is(c['max-failover-ms']!.summary, 'failover 7200 ms > budget 1 ms');
  assert.is(c['max-unavailable-ms']!.status, 'pass');
  assert.is(c['max-lost-writes']!.status, 'pass');
});

test('lost writes over budget fail', () => {
  const c = byId(
    thresholdChecks({ maxLostWrites: 0 }, { ...base, writes: { ...writes, lost: 1, lostKeys: ['k'] } }, 'x'),
  );
  assert.is(c['max-lost-writes']!.status, 'fail');
  assert.equal(c['max-lost-writes']!.evidence, { value: 1, limit: 0, acknowledged: 8, lostKeys: ['k'] });
});

test('skipped with the reason: writer off, restarted before failover, not reached', () => {
  const off = byId(
    thresholdChecks({ maxUnavailableMs: 1, maxLostWrites: 0 }, { ...base, writes: undefined, writerOn: false }, 'x'),
  );
  assert.match(off['max-unavailable-ms']!.summary, /writer off/);
  assert.is(off['max-lost-writes']!.status, 'skipped');
  const restarted = byId(
    thresholdChecks(
      { maxFailoverMs: 1, maxLostWrites: 0 },
      { ...base, path: 'restarted-before-failover', failoverMs: undefined },
      'x',
    ),
  );
  assert.is(restarted['max-failover-ms']!.status, 'skipped');
  const broken = byId(
    thresholdChecks(
      { maxFailoverMs: 1, maxLostWrites: 0 },
      { ...base, path: 'failover', failoverMs: undefined, writes: undefined, finished: false },
      'not reached: boom',
    ),
  );
  assert.is(broken['max-failover-ms']!.summary, 'not reached: boom');
  assert.is(broken['max-lost-writes']!.summary, 'not reached: boom');
});

test('no failover at all fails the failover budget', () => {
  const c = byId(
    thresholdChecks(
      { maxFailoverMs: 60_000, maxLostWrites: 0 },
      { ...base, path: 'no-failover', failoverMs: undefined },
      'x',
    ),
  );
  assert.is(c['max-failover-ms']!.status, 'fail');
  assert.match(c['max-failover-ms']!.summary, /no failover happened/);
});

test.run();
