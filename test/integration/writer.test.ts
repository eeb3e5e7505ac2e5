/**
 * The writer against a real Redis Cluster (bare processes, no platform): it writes at a steady rate into one
 * master's slot, keeps going through that master's failover, and the read-back counts a key dropped behind
 * its back as lost.
 */
import { test } from 'uvu';
import { beforeAll } from '../support/setup.ts';
import * as assert from 'uvu/assert';
import {
  identityReach,
  claimIps,
  livePids,
  redisCliCreate,
  signal,
  startRedisNodes,
  stopRedisNodes,
  waitForReplicasSynced,
  type RedisProcess,
} from '../support/redis-processes.ts';
import { withNode } from '../../src/redis/connect.ts';
import { myself, parseClusterNodes } from '../../src/redis/cluster-nodes.ts';
import { silentLog } from '../../src/util/log.ts';
import { waitFor } from '../../src/util/wait.ts';
import { hashTagIn } from '../../src/scenarios/keyslot.ts';
import { startWriter, type Writer } from '../../src/scenarios/writer.ts';
import { openClusterClient } from '../../src/scenarios/cluster-client.ts';
import { HistoryRecorder } from '../../src/scenarios/history/model.ts';
import { recordWrite } from '../../src/scenarios/history/record.ts';

let nodes: RedisProcess[] = [];
let writer: Writer | undefined;
let victim: RedisProcess;
/** The victim's only replica: the one WAIT 1 needs. */
let replica: RedisProcess;
let tag = '';

test.after(async () => {
  writer?.close();
  await stopRedisNodes(nodes);
  assert.equal(livePids(), []);
});

beforeAll(test, async () => {
  nodes = await startRedisNodes(await claimIps(6, '127.0.71'), { nodeTimeoutMs: 1000 });
  await redisCliCreate(nodes, 1);
  const roles = await waitForReplicasSynced(nodes, 3);
  victim = nodes[roles.findIndex((i) => i.role === 'master')]!;
  replica = nodes[roles.findIndex((i) => i.role === 'slave' && i.masterHost === victim.ip)]!;
  const own = myself(
    parseClusterNodes(
      await withNode(identityReach, victim.address, async (r) => String(await r.call('CLUSTER', 'NODES'))),
    ),
  );
  tag = hashTagIn(own.slots, 'writer-test');
});

test('WAIT mode: every acknowledged write was confirmed by a replica', async () => {
  const w = await startWriter({
    reach: identityReach,
    seeds: nodes.map((n) => n.address),
    tag: `${tag}-wait`,
    ratePerSecond: 200,
    waitReplicas: true,
    // What this asserts is that an acknowledged write was confirmed, not how fast: a generous WAIT (1 s) keeps a
    // replica slowed by other test files on the same two cores from failing writes (seen: 2 of ~40 at 250 ms).
    commandTimeoutMs: 4000,
    log: silentLog,
  });
  try {
    await waitFor(
      '20 acknowledged writes',
      async () => {
        const acked = w.progress().acknowledged;
        return acked >= 20 ? { done: true, value: 0 } : { done: false, seen: `${acked}` };
      },
      { timeoutMs: 10_000 },
    );
    await w.stop();
    const stats = await w.verify(nodes.map((n) => n.address));
    assert.is(stats.mode, 'wait');
    assert.is(stats.failed, 0, stats.firstErrors.join('; '));
    assert.is(stats.lost, 0);
  } finally {
    w.close();
  }
});

test('WAIT mode: the unavailable window is the longest refusal, within 100 ms, not the first one', async () => {
  // A stopped replica acknowledges nothing: every WAIT 1 times out, so every write is refused (or skipped at
  // the bound) for exactly as long as it stays stopped. A short stop, then a long one: the window must be the
  // long one. (The old measure, first failure to the first success after it, gave the short one; on a real
  // run it gave 1 ms against 8.7 s of refusal.)
  const w = await startWriter({
    reach: identityReach,
    seeds: nodes.map((n) => n.address),
    tag: `${tag}-refusal`,
    ratePerSecond: 200,
    waitReplicas: true,
    log: silentLog,
  });
  const acked = () => w.progress().acknowledged;
  const ackedPast = async (n: number, what: string) =>
    waitFor(
      what,
      async () => (acked() > n ? { done: true, value: 0 } : { done: false, seen: `${acked()} acknowledged` }),
      { timeoutMs: 10_000, intervalMs: 5 },
    );
  const stopReplica = async (ms: number): Promise<number> => {
    const from = Date.now();
    await signal(replica, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, ms));
    await signal(replica, 'SIGCONT');
    return Date.now() - from;
  };
  try {
    await ackedPast(20, 'the first acknowledged writes');
    await stopReplica(400);
    await ackedPast(acked() + 20, 'writes acknowledged again after the short stop');
    const refusedMs = await stopReplica(3000);
    await ackedPast(acked() + 20, 'writes acknowledged again after the long stop');
    await w.stop();
    const stats = await w.verify(nodes.map((n) => n.address));
    assert.ok(stats.failed > 0, 'writes were refused');
    assert.ok(
      Math.abs(stats.unavailableMs - refusedMs) <= 100,
      `unavailable ${stats.unavailableMs} ms for a refusal of ${refusedMs} ms`,
    );
    assert.ok(stats.firstErrors.includes('WAIT 1 saw 0 replicas acknowledge'), stats.firstErrors.join('; '));
    assert.is(stats.lost, 0);
  } finally {
    w.close();
    await signal(replica, 'SIGCONT');
  }
  // The next test fails the victim over to this replica: it must be linked and known healthy again.
  await waitForReplicasSynced(nodes, 3);
  await waitFor(
    'every node to see the stopped replica healthy again',
    async () => {
      const views = await Promise.all(
        nodes.map(async (n) =>
          parseClusterNodes(String(await withNode(identityReach, n.address, (r) => r.call('CLUSTER', 'NODES')))),
        ),
      );
      const flagged = views.flat().filter((v) => v.ip === replica.ip && (v.flags.has('fail') || v.flags.has('fail?')));
      return flagged.length === 0 ? { done: true, value: 0 } : { done: false, seen: `${flagged.length} views flag it` };
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  );
});

test('writes through a failover, reads back every acknowledged write, reports a value removed behind its back as lost, with its write', async () => {
  writer = await startWriter({
    reach: identityReach,
    seeds: nodes.map((n) => n.address),
    tag,
    ratePerSecond: 300,
    waitReplicas: false,
    log: silentLog,
  });
  const acked = () => writer!.progress().acknowledged;
  await waitFor(
    'first acknowledged writes',
    async () => (acked() > 50 ? { done: true, value: 0 } : { done: false, seen: `${acked()}` }),
    { timeoutMs: 10_000 },
  );
  const periodicReads = () =>
    writer!.history.keys().flatMap((k) => k.ops.filter((op) => op.kind === 'read' && op.outcome === 'ok')).length;
  await waitFor(
    'a periodic read of the list being written',
    async () => (periodicReads() > 0 ? { done: true, value: 0 } : { done: false, seen: 'none yet' }),
    { timeoutMs: 5000 },
  );
  const killedAt = Date.now();
  await signal(victim, 'SIGTERM');
  const window = await waitFor(
    'writes to fail and then succeed again after the failover',
    async () => {
      const w = writer!.window();
      return w?.end !== undefined ? { done: true, value: w } : { done: false, seen: w ? 'failing' : 'no failure yet' };
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  await writer.stop();
  const [first] = writer.history.keys();
  const dropped = first!.ops.find((op) => op.kind === 'write' && op.outcome === 'ok')!;
  const survivors = nodes.filter((n) => n !== victim).map((n) => n.address);
  // Removed behind the writer's back: the final read must find it missing, and the checker call it lost.
  const other = await openClusterClient(identityReach, survivors, { commandTimeoutMs: 5000, readyTimeoutMs: 10_000 });
  try {
    assert.is(await other.lrem(first!.key, 0, String(dropped.value)), 1);
  } finally {
    other.disconnect();
  }
  const stats = await writer.verify(survivors, killedAt);
  assert.ok(stats.acknowledged > 0, 'acknowledged writes');
  assert.ok(stats.failed > 0, 'some writes failed while the master was down');
  assert.is(stats.lost, 1, `lost ${stats.lost}: ${stats.lostKeys.join(', ')}`);
  assert.equal(stats.lostKeys, [`${first!.key} value ${dropped.value}`]);
  const lost = stats.history!.examples.lost![0]!;
  assert.equal(lost.write, {
    kind: 'write',
    client: 'writer',
    value: dropped.value,
    invokeMs: dropped.invokeAt - killedAt,
    completeMs: dropped.completeAt! - killedAt,
    outcome: 'ok',
    node: victim.address.host + ':' + String(victim.address.port),
  });
  assert.is(lost.read!.client, 'final-read');
  assert.ok(stats.history!.reads.ok >= 2, 'a periodic read and the final read');
  assert.ok(window.start >= killedAt - 1000, 'the window starts no earlier than a command timeout before the kill');
  assert.is(stats.unavailableMs, window.end! - window.start);
  assert.is(stats.attempted, writer.history.keys().flatMap((k) => k.ops.filter((op) => op.kind === 'write')).length);
  assert.is(stats.acknowledged + stats.failed, stats.attempted);
  assert.is(stats.mode, 'plain');
});

test('WAIT mode with no replica left: nothing is acknowledged, and the error says why', async () => {
  // The promoted master's only replica was the killed victim.
  const survivors = nodes.filter((n) => n !== victim).map((n) => n.address);
  const w = await startWriter({
    reach: identityReach,
    seeds: survivors,
    tag: `${tag}-orphan`,
    ratePerSecond: 100,
    waitReplicas: true,
    log: silentLog,
  });
  try {
    await waitFor(
      '10 failed writes',
      async () => {
        const failed = w.progress().notAcknowledged;
        return failed >= 10 ? { done: true, value: 0 } : { done: false, seen: `${failed}` };
      },
      { timeoutMs: 10_000 },
    );
    await w.stop();
    const stats = await w.verify(survivors);
    assert.is(stats.acknowledged, 0);
    // WAIT blocks its connection for its timeout, so writes queued behind it may time out instead.
    assert.ok(stats.firstErrors.includes('WAIT 1 saw 0 replicas acknowledge'), stats.firstErrors.join('; '));
    assert.ok(
      stats.firstErrors.every((e) => e === 'WAIT 1 saw 0 replicas acknowledge' || e === 'Command timed out'),
      stats.firstErrors.join('; '),
    );
  } finally {
    w.close();
  }
});

test("a shared history: another client appends to the writer's list, verify judges both, a loss names its client", async () => {
  const survivors = nodes.filter((n) => n !== victim).map((n) => n.address);
  const history = new HistoryRecorder();
  const w = await startWriter({
    reach: identityReach,
    seeds: survivors,
    tag: `${tag}-shared`,
    ratePerSecond: 100,
    waitReplicas: false,
    log: silentLog,
    history,
  });
  const other = await openClusterClient(identityReach, survivors, { commandTimeoutMs: 5000, readyTimeoutMs: 10_000 });
  try {
    await waitFor(
      'the writer has a list',
      async () => (w.currentKey() ? { done: true, value: 0 } : { done: false, seen: 'no key yet' }),
      { timeoutMs: 10_000 },
    );
    const key = w.currentKey()!;
    const ops = [];
    for (let i = 0; i < 10; i++) ops.push(await recordWrite(history, other, key, 'list', 'other', () => 'x'));
    assert.ok(ops.every((op) => op.outcome === 'ok'));
    await w.stop();
    assert.is(await other.lrem(key, 0, String(ops[3]!.value)), 1);
    const stats = await w.verify(survivors);
    assert.is(stats.lost, 1);
    const lost = stats.history!.examples.lost![0]!;
    assert.equal([lost.value, lost.write!.client], [ops[3]!.value, 'other']);
    assert.is(stats.attempted, w.progress().acknowledged + w.progress().notAcknowledged + 10);
  } finally {
    other.disconnect();
    w.close();
  }
});

test.run();
