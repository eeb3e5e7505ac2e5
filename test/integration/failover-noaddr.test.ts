// A deleted master whose address another Redis node takes (another run's pod on the same machine; on
// Kubernetes a reused pod IP): the survivors flag it noaddr and stop pinging it, so no failover ever comes. The
// watch must say so as soon as it is seen, not wait out its timeout and blame the cluster. Real redis-server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mastersOf, myself, parseClusterNodes, replicasOf } from '../../src/redis/cluster-nodes.ts';
import { withNode } from '../../src/redis/connect.ts';
import { watchFailover } from '../../src/scenarios/failover-watch.ts';
import { silentLog } from '../../src/util/log.ts';
import { beforeAll } from '../support/setup.ts';
import {
  claimIps,
  identityReach,
  livePids,
  redisCliCreate,
  signal,
  startRedis,
  startRedisNodes,
  stopRedisNodes,
  waitForReplicasSynced,
  type RedisProcess,
} from '../support/redis-processes.ts';

let nodes: RedisProcess[] = [];
beforeAll(test, async () => {
  // node-timeout 5 s: a failover could not start before the noaddr is seen.
  nodes = await startRedisNodes(await claimIps(6, '127.0.72'), { nodeTimeoutMs: 5000 });
  await redisCliCreate(nodes, 1);
  await waitForReplicasSynced(nodes, 3);
});
test.after(async () => {
  await stopRedisNodes(nodes);
  assert.equal(livePids(), []);
});

test("the watch ends at the victim's noaddr flag and says its address was taken", async () => {
  const text = await withNode(identityReach, nodes[0]!.address, async (r) => String(await r.call('CLUSTER', 'NODES')));
  const master = mastersOf(parseClusterNodes(text)).find((m) => m.slots.length > 0)!;
  const victimProc = nodes.find((n) => n.ip === master.ip)!;
  const own = myself(
    parseClusterNodes(
      await withNode(identityReach, victimProc.address, async (r) => String(await r.call('CLUSTER', 'NODES'))),
    ),
  );
  const replicaIds = replicasOf(parseClusterNodes(text), own.id).map((n) => n.id);
  const victim = {
    pod: 'redis-app-0',
    nodeId: own.id,
    uid: 'uid-0',
    ip: own.ip,
    slots: own.slots,
    line: own.raw,
    replicaIds,
  };
  const survivors = nodes.filter((n) => n !== victimProc);

  await signal(victimProc, 'SIGKILL');
  // Another node, with another NodeID, on the victim's address.
  nodes.push(await startRedis(victimProc.ip, { nodeTimeoutMs: 5000 }));
  const watch = await watchFailover({
    reach: identityReach,
    survivors: survivors.map((n) => n.address),
    victim,
    holdRestart: true,
    timeoutMs: 60_000,
    mastersWithSlots: mastersOf(parseClusterNodes(text)).filter((m) => m.slots.length > 0).length,
    log: silentLog,
  });

  assert.is(watch.timedOut, false);
  assert.is(watch.promoted, undefined, 'no failover happened');
  assert.ok(watch.events.noaddrAt !== undefined);
  assert.match(watch.addressTaken ?? '', `its address ${victim.ip} was taken by another Redis node`);
  assert.match(watch.addressTaken ?? '', /stopped pinging it/);
  assert.ok(
    watch.lastSeen.some((l) => l.includes('noaddr')),
    watch.lastSeen.join('\n'),
  );
});

test.run();
