/**
 * The scenarios' cluster client against a real three-master cluster (bare processes): a burst of MOVED
 * redirects does not start a slot-map refresh each (each rebuilds a 16384-slot table, the bulk of the
 * process's peak memory during an outage), and a refresh asked for during the bound is not lost.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import type { Cluster } from 'ioredis';
import { beforeAll } from '../support/setup.ts';
import {
  claimIps,
  identityReach,
  livePids,
  redisCliCreate,
  startRedisNodes,
  stopRedisNodes,
  type RedisProcess,
} from '../support/redis-processes.ts';
import {
  openClusterClient,
  refreshSlotMapNow,
  SLOT_REFRESH_INTERVAL_MS,
  SLOT_REFRESH_MAX_INTERVAL_MS,
} from '../../src/scenarios/cluster-client.ts';
import { slotOf } from '../../src/scenarios/keyslot.ts';
import { formatAddress } from '../../src/redis/connect.ts';

let nodes: RedisProcess[] = [];
let client: Cluster | undefined;

beforeAll(test, async () => {
  nodes = await startRedisNodes(await claimIps(3, '127.0.73'));
  await redisCliCreate(nodes, 0);
  client = await openClusterClient(
    identityReach,
    nodes.map((n) => n.address),
    { commandTimeoutMs: 2000, readyTimeoutMs: 10_000 },
  );
});

test.after(async () => {
  client?.disconnect();
  await stopRedisNodes(nodes);
  assert.equal(livePids(), []);
});

const KEY = 'cluster-client-test';

/** Points KEY's slot at a node that does not serve it, so its next command is answered MOVED. */
function misdirect(c: Cluster): string {
  const slot = slotOf(KEY);
  const right = c.slots[slot]![0]!;
  const wrong = nodes.map((n) => formatAddress(n.address)).find((a) => a !== right)!;
  c.slots[slot] = [wrong];
  return right;
}

test('a burst of MOVED redirects starts a bounded number of slot-map refreshes', async () => {
  const c = client!;
  await c.set(KEY, 'v');
  let refreshes = 0;
  c.on('refresh', () => refreshes++);
  const startedAt = Date.now();
  for (let i = 0; i < 100; i++) {
    const right = misdirect(c);
    // ioredis follows the MOVED (and corrects the slot) at once, whatever the refresh bound.
    assert.is(await c.get(KEY), 'v');
    assert.is(c.slots[slotOf(KEY)]![0], right);
  }
  const elapsed = Date.now() - startedAt;
  // Let the trailing refresh (asked for during the bound) run: the gap may have backed off to its longest, when
  // the refreshes before this test found an unchanged map.
  await new Promise((resolve) => setTimeout(resolve, SLOT_REFRESH_MAX_INTERVAL_MS + 500));
  const bound = Math.ceil((elapsed + SLOT_REFRESH_MAX_INTERVAL_MS) / SLOT_REFRESH_INTERVAL_MS) + 2;
  assert.ok(refreshes >= 1, 'no refresh at all');
  assert.ok(refreshes <= bound, `${refreshes} refreshes for 100 MOVED in ${elapsed} ms (bound ${bound})`);
});

test('a refresh asked for during the bound still runs, and calls back', async () => {
  const c = client!;
  const right = misdirect(c);
  const first = new Promise<unknown>((resolve) => c.refreshSlotsCache(resolve));
  assert.is(await first, undefined);
  assert.is(c.slots[slotOf(KEY)]![0], right);
  // Inside the bound now: this one waits for it, then re-reads the map.
  misdirect(c);
  const askedAt = Date.now();
  const second = await new Promise<unknown>((resolve) => c.refreshSlotsCache(resolve));
  assert.is(second, undefined);
  assert.is(c.slots[slotOf(KEY)]![0], right);
  assert.ok(Date.now() - askedAt < SLOT_REFRESH_MAX_INTERVAL_MS + 2000, 'the trailing refresh came late');
});

test('refreshSlotMapNow skips the back-off: a redirect to a node the map does not name is read at once', async () => {
  const c = client!;
  // Unchanged maps back the interval off to its most.
  for (let i = 0; i < 4; i++) await new Promise((resolve) => c.refreshSlotsCache(resolve));
  const right = misdirect(c);
  let refreshes = 0;
  const refreshed = new Promise<void>((resolve) =>
    c.once('refresh', () => {
      refreshes++;
      resolve();
    }),
  );
  const askedAt = Date.now();
  refreshSlotMapNow(c);
  await refreshed;
  assert.is(refreshes, 1);
  assert.ok(Date.now() - askedAt < SLOT_REFRESH_MAX_INTERVAL_MS, `${Date.now() - askedAt} ms`);
  assert.is(c.slots[slotOf(KEY)]![0], right);
});

test('every command is bounded by the command timeout, also one the cluster layer bounces between refreshes', async () => {
  // A node that accepts connections and never answers: its connection stays in the handshake, not ready.
  const [ip] = await claimIps(1, '127.0.73');
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => sockets.add(s.on('error', () => {})));
  await new Promise<void>((resolve) => silent.listen(6379, ip, resolve));
  const c = await openClusterClient(
    identityReach,
    nodes.map((n) => n.address),
    {
      commandTimeoutMs: 1000,
      readyTimeoutMs: 10_000,
    },
  );
  try {
    // The client's only node is the silent one, its status still ready: as a client sees it just after every
    // pod was deleted at once (cluster-restart). ioredis (connectionPool is private) starts a command's timer
    // only when a node connection takes the command; one sent while that connection is still connecting is
    // turned back before that, retried after each slot-map refresh, and each refresh here waits out its timeout.
    const pool = (c as unknown as { connectionPool: { reset(n: object[]): void } }).connectionPool;
    pool.reset([{ host: ip, port: 6379, readOnly: false }]);
    for (let slot = 0; slot < c.slots.length; slot++) c.slots[slot] = [`${ip}:6379`];
    const settled = async (p: Promise<unknown>): Promise<number> => {
      const at = Date.now();
      await p.catch(() => undefined);
      return Date.now() - at;
    };
    const first = settled(c.get(KEY)); // starts the connection, and its timer
    const second = settled(c.get(KEY)); // turned back while it connects
    const took = await Promise.all([first, second]);
    assert.ok(
      took.every((ms) => ms < 2500),
      `settled after ${took.join(' and ')} ms; the bound is 1000 ms (+ 1.5 s for a busy machine)`,
    );
  } finally {
    c.disconnect();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test.run();
