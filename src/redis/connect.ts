import net from 'node:net';
import { AbstractConnector, Redis } from 'ioredis';
import type { HostPort, Platform, Target } from '../platform/platform.ts';
import { messageOf } from '../errors.ts';
import { AUTH_LOOKED_IN } from './auth.ts';

/** Where to connect for an announced address (see Platform.reach), with its synchronous form when there is one. */
export type Reach = ((announced: HostPort) => Promise<Target>) & { now?: (announced: HostPort) => Target | undefined };

/** A platform's reach, and its reachNow as `now` when it has one (for ioredis' synchronous natMap). */
export function reachOf(platform: Pick<Platform, 'reach' | 'reachNow'>): Reach {
  const reach = (a: HostPort) => platform.reach(a);
  return platform.reachNow ? Object.assign(reach, { now: (a: HostPort) => platform.reachNow!(a) }) : reach;
}

export interface OpenOptions {
  /** Bound on every command; connectTimeout alone does not catch a frozen (SIGSTOPped) node. */
  commandTimeoutMs?: number;
  /** Bound on reaching `ready` (TCP connect + ready check). */
  readyTimeoutMs?: number;
  /** Source address of the connection (a client placed on one side of a partition); default: the kernel's. */
  localAddress?: string;
}

/**
 * ioredis' own connector passes only host, port and family to net.createConnection; this one adds the source
 * address (`Connector` is ioredis' option for a connector of one's own).
 */
export function boundConnector(localAddress: string): new (options: unknown) => AbstractConnector {
  return class BoundConnector extends AbstractConnector {
    private readonly target: { host?: string; port?: number };
    constructor(options: unknown) {
      const o = options as { host?: string; port?: number; disconnectTimeout?: number };
      super(o.disconnectTimeout ?? 2000);
      this.target = o;
    }
    connect(): Promise<net.Socket> {
      this.connecting = true;
      const stream = net.createConnection({
        ...(this.target.host ? { host: this.target.host } : {}),
        port: this.target.port ?? 6379,
        localAddress,
      });
      this.stream = stream;
      stream.once('error', (err) => {
        this.firstError = err;
      });
      return Promise.resolve(stream);
    }
  };
}

const DEFAULT_COMMAND_TIMEOUT_MS = 2000;
const DEFAULT_READY_TIMEOUT_MS = 3000;

export const formatAddress = (a: HostPort): string => `${a.host}:${a.port}`;

/**
 * A standalone connection to one Redis node, ready for commands. No offline queue and no reconnects: a
 * probe of a dead node must fail fast and say which node, not queue or retry behind the caller's back.
 */
export async function openNode(reach: Reach, address: HostPort, opts: OpenOptions = {}): Promise<Redis> {
  const target = await reach(address);
  const readyTimeout = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const where =
    formatAddress(address) +
    (target.host !== address.host || target.port !== address.port ? ` (via ${formatAddress(target)})` : '');
  const redis = new Redis({
    host: target.host,
    port: target.port,
    lazyConnect: true,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: readyTimeout,
    commandTimeout: opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    // Redis 7.0 has no CLIENT SETINFO; skipping it keeps the handshake to what the server knows.
    disableClientInfo: true,
    ...credentials(target),
    ...(opts.localAddress ? { Connector: boundConnector(opts.localAddress) } : {}),
  });
  // An unhandled 'error' event would crash the process; the last one says why a connect failed (the promise
  // itself only says "Connection is closed").
  let lastError: unknown;
  redis.on('error', (err) => {
    lastError = err;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not ready after ${readyTimeout} ms`)), readyTimeout);
      }),
    ]);
    return redis;
  } catch (err) {
    redis.disconnect();
    throw new Error(
      `cannot connect to Redis node ${where}: ${authProblem(messageOf(lastError ?? err), target) ?? messageOf(lastError ?? err)}`,
      {
        // eslint-disable-next-line preserve-caught-error -- the client's last connection error is the real cause; the one caught here only says the connect gave up
        cause: lastError ?? err,
      },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** ioredis' username/password options for a target (none without auth). */
export function credentials(target: Target): { username?: string; password?: string } {
  if (!target.auth) return {};
  return { password: target.auth.password, ...(target.auth.username ? { username: target.auth.username } : {}) };
}

/**
 * A login failure said plainly: which password was used (where it came from, never its value) or where the tool
 * looked when it had none. undefined when `message` is not about authentication.
 */
export function authProblem(message: string, target: Target): string | undefined {
  if (
    !/NOAUTH|WRONGPASS|invalid password|invalid username-password|AUTH <password> called without any password/i.test(
      message,
    )
  )
    return undefined;
  return target.auth
    ? `Redis refused the password from ${target.auth.source}${target.auth.username ? ` (user ${target.auth.username})` : ''}: ${message}`
    : `Redis demands a password and none was found; looked in ${AUTH_LOOKED_IN} (${message})`;
}

/** Runs `fn` on a fresh connection to one node and always disconnects afterwards. */
export async function withNode<T>(
  reach: Reach,
  address: HostPort,
  fn: (r: Redis) => Promise<T>,
  opts?: OpenOptions,
): Promise<T> {
  const redis = await openNode(reach, address, opts);
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** `key:value` lines of INFO or CLUSTER INFO output; `# Section` headers and blank lines are skipped. */
export function infoFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}
