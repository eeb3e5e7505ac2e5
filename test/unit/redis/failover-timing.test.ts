import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DEFAULT_NODE_TIMEOUT_MS,
  failoverFloorMs,
  failoverTimeout,
  nodeTimeoutOf,
} from '../../../src/redis/failover-timing.ts';

const redisWith = (value?: string) => ({
  directive: (name: string) => (name === 'cluster-node-timeout' ? value : undefined),
});

test('node timeout: from the manifests as redis-server reads it, else the server default', () => {
  assert.is(nodeTimeoutOf(redisWith('60000')), 60_000);
  assert.is(nodeTimeoutOf(redisWith()), DEFAULT_NODE_TIMEOUT_MS);
  assert.is(nodeTimeoutOf(redisWith('5s')), DEFAULT_NODE_TIMEOUT_MS); // does not start; lint says so
});

test('the floor covers every failover measured on real Redis (docs/design.md)', () => {
  assert.ok(failoverFloorMs(1000, 1) >= 2666);
  assert.ok(failoverFloorMs(5000, 1) >= 8306);
  assert.ok(failoverFloorMs(15_000, 1) >= 22_405);
  // Each further replica rank delays the election by 1 s.
  assert.is(failoverFloorMs(5000, 2) - failoverFloorMs(5000, 1), 1000);
});

test('default timeout follows cluster-node-timeout 60000 past the fixed 60 s (a real run failed there)', () => {
  const t = failoverTimeout(undefined, 60_000, 1, '--failover-timeout');
  assert.is(t.source, 'node-timeout');
  assert.ok(t.timeoutMs > t.floorMs && t.floorMs > 62_000, JSON.stringify(t));
  assert.is(t.warning, undefined);
  // Short node timeouts keep the 60 s default.
  assert.is(failoverTimeout(undefined, 5000, 1, 'x').timeoutMs, 60_000);
});

test('a user-set timeout below the floor is warned about, naming how it was set', () => {
  const t = failoverTimeout(60_000, 60_000, 1, '--failover-timeout');
  assert.is(t.timeoutMs, 60_000);
  assert.match(
    t.warning ?? '',
    /^--failover-timeout 60000 ms is below the \d+ ms Redis may need .*cluster-node-timeout 60000/,
  );
  assert.is(failoverTimeout(60_000, 5000, 1, 'input failover-timeout').warning, undefined);
  assert.match(
    failoverTimeout(5000, 5000, 1, 'input failover-timeout').warning ?? '',
    /^input failover-timeout 5000 ms/,
  );
});

test.run();
