import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseClusterNodes } from '../../../src/redis/cluster-nodes.ts';
import { failoverBlocker } from '../../../src/scenarios/failover-blocker.ts';
import type { Victim } from '../../../src/scenarios/failover-checks.ts';

// Captured from redis-server (test/fixtures/cluster-nodes/README.md): master 9aa0ca13 on .3 stopped, its
// replica a0ada010 on .4.
const text = (name: string) => readFileSync(new URL(`../../fixtures/cluster-nodes/${name}`, import.meta.url), 'utf8');
const REPLICA = 'a0ada010544e8b7b4d9796f98f3189361e78f243';
const healthy = parseClusterNodes(text('healthy-3x3-from-master.txt'));
const v = healthy.find((n) => n.id.startsWith('9aa0ca13'))!;
const victim: Victim = {
  pod: 'redis-app-2',
  nodeId: v.id,
  uid: 'u',
  ip: v.ip,
  slots: v.slots,
  line: v.raw,
  replicaIds: [REPLICA],
};
const withReplica = (file: string, flags: string) =>
  parseClusterNodes(
    text(file)
      .split('\n')
      .map((l) => (l.startsWith(REPLICA) ? l.replace(' slave ', ` ${flags} `) : l))
      .join('\n'),
  );

test('nothing to say while a failover can happen, or before the victim is even suspected', () => {
  assert.is(failoverBlocker([parseClusterNodes(text('master-fail.txt'))], victim, 3), undefined);
  assert.is(failoverBlocker([withReplica('healthy-3x3-from-master.txt', 'slave,nofailover')], victim, 3), undefined);
});

test("the victim's only replica flagged nofailover: said as soon as the victim is suspected", () => {
  const why = failoverBlocker([withReplica('master-pfail.txt', 'slave,nofailover')], victim, 3);
  assert.match(
    why ?? '',
    /every replica of the victim \(a0ada010\) is flagged nofailover \(cluster-replica-no-failover yes\)/,
  );
});

test('too few masters to vote: the quorum reason', () => {
  assert.match(
    failoverBlocker([parseClusterNodes(text('master-pfail.txt'))], victim, 2) ?? '',
    /only 1 of 2 masters remain to vote/,
  );
});

test('the replica itself down once FAIL is agreed: none can be elected', () => {
  const why = failoverBlocker([withReplica('master-fail.txt', 'slave,fail')], victim, 3);
  assert.match(why ?? '', /every replica of the victim \(a0ada010\) is down or unreachable/);
  // Before FAIL is agreed a disconnected link may still come back.
  assert.is(failoverBlocker([withReplica('master-pfail.txt', 'slave,fail?')], victim, 3), undefined);
});

test.run();
