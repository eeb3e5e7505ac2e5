import net from 'node:net';
import type { Log } from '../../util/log.ts';
import type { PodInfo } from '../platform.ts';

/** How this process reaches the pods: their IPs through routes, or port-forwards through the API server. */
export type ReachMode = 'routed' | 'port-forward';

/** How long one pod gets to accept a TCP connection before it counts as unreachable. */
export const PREFLIGHT_CONNECT_MS = 3000;

/** A TCP connect to host:port bounded by `timeoutMs`: undefined when it connected, else why not. */
export function tcpReach(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (why: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(`no connection within ${(timeoutMs / 1000).toFixed(1)} s`), timeoutMs);
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/**
 * The pods this process cannot open a TCP connection to, as "name ip:port: why" (all tried at once, each
 * bounded). Empty when every pod answered: routed reach works.
 */
export async function unreachablePods(
  pods: PodInfo[],
  port: number,
  opts: { timeoutMs?: number; probe?: typeof tcpReach } = {},
): Promise<string[]> {
  const probe = opts.probe ?? tcpReach;
  const results = await Promise.all(
    pods.map(async (p) => {
      const why = p.ip ? await probe(p.ip, port, opts.timeoutMs ?? PREFLIGHT_CONNECT_MS) : 'no pod IP';
      return why === undefined ? undefined : `${p.name} ${p.ip}:${port}: ${why}`;
    }),
  );
  return results.filter((r): r is string => r !== undefined);
}

/**
 * Before anything talks to Redis: can this process open a connection to every pod IP through the routes?
 * If not (a runner whose Docker network is not routable from the host, a route that already existed and
 * leads elsewhere), fall back to port-forwards through the API server and say so: otherwise the first sign
 * would be a bootstrap connect timeout a minute later. The reach mode to use from here on.
 */
export async function preflightReach(
  mode: ReachMode,
  port: number,
  listPods: () => Promise<PodInfo[]>,
  log: Log,
): Promise<ReachMode> {
  if (mode === 'port-forward') {
    log.info('reach: port-forward (each pod through the API server)');
    return mode;
  }
  const pods = await listPods();
  const unreachable = await unreachablePods(pods, port, { timeoutMs: PREFLIGHT_CONNECT_MS });
  if (unreachable.length === 0) {
    log.info(`reach: routed (this process connects to all ${pods.length} pod IPs on port ${port})`);
    return mode;
  }
  log.warn(
    `reach: port-forward: ${unreachable.length} of ${pods.length} pods cannot be reached through the routes ` +
      `(${unreachable.join('; ')}); falling back to port-forwards through the API server (timings then include that hop)`,
  );
  return 'port-forward';
}
