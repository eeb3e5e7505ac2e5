import { Cluster } from 'ioredis';
import type { HostPort } from '../platform/platform.ts';
import { authProblem, boundConnector, credentials, formatAddress, type Reach } from '../redis/connect.ts';
import type { Target } from '../platform/platform.ts';
import { messageOf } from '../errors.ts';

export interface ClusterClientOptions {
  /** Bound on every command, redirects included (connectTimeout alone does not catch a frozen node). */
  commandTimeoutMs: number;
  readyTimeoutMs: number;
  /** Source address of every connection (a client placed on one side of a partition). */
  localAddress?: string;
}

/**
 * Least time between the starts of two slot-map refreshes of one client, and the most it backs off to. ioredis
 * refreshes on every MOVED and every failed connection, and each refresh rebuilds a 16384-slot table (~0.8 MB
 * of garbage): while a master is down that was 135–247 refreshes per failover, the bulk of the process's peak
 * memory (docs/design.md). A MOVED still updates its own slot at once (ioredis sets it before retrying), so
 * only the full re-read waits; a refresh that finds the map unchanged doubles the wait, one that finds a change
 * (or refreshSlotMapNow: a client that saw a redirect to a node the map does not name) resets it.
 */
export const SLOT_REFRESH_INTERVAL_MS = 250;
export const SLOT_REFRESH_MAX_INTERVAL_MS = 2000;

type Done = Parameters<Cluster['refreshSlotsCache']>[0];
const urgentRefresh = new WeakMap<Cluster, () => void>();

/**
 * Bounds `cluster`'s slot-map refreshes: one in flight, starts apart by an interval that backs off while the
 * map stays the same. A request while one runs or too soon after is not lost: one trailing refresh serves it
 * (with every callback asked for).
 */
export function boundSlotRefreshes(
  cluster: Cluster,
  minIntervalMs = SLOT_REFRESH_INTERVAL_MS,
  maxIntervalMs = SLOT_REFRESH_MAX_INTERVAL_MS,
): void {
  const refresh = cluster.refreshSlotsCache.bind(cluster);
  /** Each slot's master as the last refresh found it: what tells a changed map from the same one. */
  const masters: Array<string | undefined> = [];
  let intervalMs = minIntervalMs;
  let waiting: Array<NonNullable<Done>> = [];
  let requested = false;
  let running = false;
  let lastStart = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  const changed = (): boolean => {
    let any = false;
    for (let slot = 0; slot < cluster.slots.length; slot++) {
      const master = cluster.slots[slot]?.[0];
      if (masters[slot] !== master) any = true;
      masters[slot] = master;
    }
    return any;
  };
  const start = (): void => {
    timer = undefined;
    const callbacks = waiting;
    waiting = [];
    requested = false;
    running = true;
    lastStart = Date.now();
    refresh((err) => {
      running = false;
      if (!err) intervalMs = changed() ? minIntervalMs : Math.min(intervalMs * 2, maxIntervalMs);
      for (const callback of callbacks) callback(err);
      if (requested) schedule();
    });
  };
  const schedule = (): void => {
    if (running) return;
    const wait = lastStart + intervalMs - Date.now();
    if (wait <= 0) {
      clearTimeout(timer);
      start();
    } else if (!timer) {
      timer = setTimeout(start, wait);
      // A refresh due after the client's last use must not keep the process alive.
      timer.unref();
    }
  };
  cluster.refreshSlotsCache = (callback?: Done): void => {
    if (callback) waiting.push(callback);
    requested = true;
    schedule();
  };
  urgentRefresh.set(cluster, () => {
    intervalMs = minIntervalMs;
    lastStart = -Infinity;
    requested = true;
    schedule();
  });
}

/**
 * Refreshes the slot map without the back-off (still one in flight, then at once): for a client that saw a
 * redirect to a node its map does not name, which ioredis does not apply itself (a pipeline's partial MOVED).
 */
export function refreshSlotMapNow(cluster: Cluster): void {
  const urgent = urgentRefresh.get(cluster);
  if (urgent) urgent();
  else cluster.refreshSlotsCache();
}

export async function openClusterClient(reach: Reach, seeds: HostPort[], opts: ClusterClientOptions): Promise<Cluster> {
  const natMap: Record<string, HostPort> = {};
  const targets: Target[] = [];
  for (const seed of seeds) {
    const target = await reach(seed);
    targets.push(target);
    if (target.host !== seed.host || target.port !== seed.port) natMap[formatAddress(seed)] = target;
  }
  const cluster = new Cluster(targets, {
    enableOfflineQueue: false,
    natMap: reach.now
      ? (key: string) => {
          const colon = key.lastIndexOf(':');
          const now = reach.now!({ host: key.slice(0, colon), port: Number(key.slice(colon + 1)) });
          return now ? { host: now.host, port: now.port } : (natMap[key] ?? null);
        }
      : Object.keys(natMap).length > 0
        ? natMap
        : undefined,
    slotsRefreshTimeout: opts.commandTimeoutMs,
    redisOptions: {
      commandTimeout: opts.commandTimeoutMs,
      connectTimeout: opts.commandTimeoutMs,
      // Redis 7.0 has no CLIENT SETINFO.
      disableClientInfo: true,
      // Every node of one deployment shares the password.
      ...(targets[0] ? credentials(targets[0]) : {}),
      ...(opts.localAddress ? { Connector: boundConnector(opts.localAddress) } : {}),
    },
  });
  boundSlotRefreshes(cluster);
  boundEveryCommand(cluster, opts.commandTimeoutMs);
  // Errors surface through command promises; an unhandled 'error' event would crash the process.
  let lastError: unknown;
  cluster.on('error', (err) => {
    lastError = err;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      new Promise<void>((resolve) => cluster.once('ready', () => resolve())),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not ready after ${opts.readyTimeoutMs} ms`)), opts.readyTimeoutMs);
      }),
    ]);
    return cluster;
  } catch (err) {
    cluster.disconnect();
    const why = messageOf(err);
    const auth = targets[0] && authProblem(`${messageOf(lastError ?? '')} ${why}`, targets[0]);
    throw new Error(`cannot open a cluster client via ${seeds.map(formatAddress).join(', ')}: ${auth ?? why}`, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts each command's timeout when the cluster client takes it. ioredis starts it only when a node connection
 * takes the command: one turned back first (its node still connecting, as when every pod was just deleted) is
 * retried after each slot-map refresh, up to 16 times, with no bound at all (measured: 3.4 s against a 1 s
 * timeout; cluster-client.test.ts). A later node send keeps the timer already running.
 */
function boundEveryCommand(cluster: Cluster, timeoutMs: number): void {
  const send = cluster.sendCommand.bind(cluster);
  cluster.sendCommand = (command, ...rest) => {
    command.setTimeout(timeoutMs);
    return send(command, ...rest);
  };
}

/**
 * The node a cluster client sends `slot`'s commands to, as its slot map says now ("host:port", the address it
 * connects to): after a MOVED, ioredis updates the map before it retries, so at a reply this names who answered.
 */
export const nodeServing = (cluster: Cluster, slot: number): string | undefined => cluster.slots[slot]?.[0];
