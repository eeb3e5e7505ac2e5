/**
 * Test support: cluster-enabled redis-server (or valkey-server) processes on claimed loopback IPs (port 6379 each), each with a
 * temp dir. Killed by PID in stop() and, as a last resort, when the test process exits, so a failing test
 * leaves nothing behind. Not the local platform (that one builds pods from manifests); just bare nodes.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AddressAllocator } from '../../src/platform/local/addresses.ts';
import { infoServer } from '../../src/platform/local/server-probe.ts';
import type { HostPort } from '../../src/platform/platform.ts';
import { replicationOf, type ReplicationState } from '../../src/redis/health.ts';
import { waitFor } from '../../src/util/wait.ts';
import { messageOf, TimeoutError } from '../../src/errors.ts';
import { SERVERS, type ServerKind } from '../../src/manifests/server.ts';

export { SERVERS, type ServerKind };

export interface RedisProcess {
  ip: string;
  server: ServerKind;
  address: HostPort;
  dir: string;
  child: ChildProcess;
  /** Extra redis.conf directives it was started with. */
  config: string[];
}

export interface StartOptions {
  nodeTimeoutMs?: number;
  /** Extra `--directive value` pairs, e.g. ['cluster-replica-no-failover', 'yes']. */
  extraArgs?: string[];
  /** Reuse this data dir (a restart keeping nodes.conf); a fresh temp dir otherwise. */
  dir?: string;
  /** redis-server unless told otherwise. */
  server?: ServerKind;
}

export const PORT = 6379;
export const identityReach = async (a: HostPort): Promise<HostPort> => a;

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live)
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone (ESRCH); the others must still be killed.
      }
    }
});

const allocators = new Map<string, AddressAllocator>();

/**
 * `count` loopback addresses for this test process, claimed the way every local-platform run claims its own
 * (src/platform/local/addresses.ts: a listener held on each for the process's life), searched from the /24
 * `base` on: two suites, or a suite and a run, on one machine never get the same address. Never the same twice
 * in one process, as a restarted pod never gets its old address.
 */
export async function claimIps(count: number, base: string): Promise<string[]> {
  let allocator = allocators.get(base);
  if (!allocator) allocators.set(base, (allocator = new AddressAllocator(base, () => [PORT, PORT + 10_000])));
  const ips: string[] = [];
  for (let i = 0; i < count; i++) ips.push(await allocator.next());
  return ips;
}

/** Starts one cluster-enabled redis-server (or valkey-server) bound to `ip`:6379 and waits until it answers PING. */
export async function startRedis(ip: string, opts: StartOptions = {}): Promise<RedisProcess> {
  if (ip === '127.0.0.1') throw new Error('tests never use 127.0.0.1');
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), `rcr-redis-${ip}-`));
  const config = [
    '--bind',
    ip,
    '--port',
    String(PORT),
    '--bind-source-addr',
    ip,
    '--cluster-announce-ip',
    ip,
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--save',
    '',
    '--cluster-node-timeout',
    String(opts.nodeTimeoutMs ?? 5000),
    '--logfile',
    join(dir, 'redis.log'),
    '--daemonize',
    'no',
    '--protected-mode',
    'no',
    ...(opts.extraArgs ?? []),
  ];
  const server = opts.server ?? 'redis';
  const program = SERVERS[server].program;
  const child = spawn(program, config, { stdio: 'ignore' });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const address = { host: ip, port: PORT };
  const proc: RedisProcess = { ip, server, address, dir, child, config: opts.extraArgs ?? [] };
  try {
    await waitFor(
      `${program} (pid ${child.pid}) to answer INFO on ${ip}:${PORT}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${program} exited with ${child.exitCode}; see ${dir}/redis.log`);
        // Its own process_id: a PONG from whatever else listens there is not this server being ready.
        const { pid, reply } = await infoServer(ip, PORT, 500);
        return pid === child.pid
          ? { done: true, value: pid }
          : { done: false, seen: pid === undefined ? reply : `answered by pid ${pid}` };
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    );
  } catch (err) {
    await stopRedis(proc);
    throw err;
  }
  return proc;
}

export async function startRedisNodes(addrs: string[], opts: Omit<StartOptions, 'dir'> = {}): Promise<RedisProcess[]> {
  const started = await Promise.allSettled(addrs.map((ip) => startRedis(ip, opts)));
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stopRedisNodes(ok);
    throw failed.reason;
  }
  return ok;
}

/** A SIGTERMed master waits up to shutdown-timeout (10 s) for its replicas; SIGKILL ends a process at once. */
const EXIT_WAIT_MS: Partial<Record<NodeJS.Signals, number>> = { SIGTERM: 15_000, SIGKILL: 5_000 };

/**
 * Sends a signal and, for a terminating one, waits for the process to exit, bounded: a redis-server ignores
 * SIGTERM while it writes its first AOF, and a test must fail then, not hang.
 */
export async function signal(proc: RedisProcess, sig: NodeJS.Signals): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null || !proc.child.pid) return;
  const exited = new Promise<void>((resolve) => proc.child.once('exit', () => resolve()));
  process.kill(proc.child.pid, sig);
  const waitMs = EXIT_WAIT_MS[sig];
  if (waitMs === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new TimeoutError(
            `${SERVERS[proc.server].program} ${proc.ip} (pid ${proc.child.pid}) to exit after ${sig}`,
            waitMs,
            'still running',
          ),
        ),
      waitMs,
    );
  });
  try {
    await Promise.race([exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGKILL (SIGTERM may be ignored while a replica writes its first AOF), then remove the temp dir. */
export async function stopRedis(proc: RedisProcess, keepDir = false): Promise<void> {
  await signal(proc, 'SIGKILL');
  if (!keepDir) rmSync(proc.dir, { recursive: true, force: true });
}

export async function stopRedisNodes(procs: RedisProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => stopRedis(p)));
}

/** PIDs still running that this module started (a suite asserts this is empty at the end). */
export function livePids(): number[] {
  return [...live].filter((c) => c.exitCode === null && c.signalCode === null).map((c) => c.pid!);
}

/**
 * `redis-cli --cluster create` (valkey-cli for Valkey nodes) over these nodes, bounded: redis-cli waits for the cluster to join with no limit
 * of its own.
 */
export async function redisCliCreate(
  procs: RedisProcess[],
  replicasPerMaster: number,
  timeoutMs = 60_000,
): Promise<void> {
  const cli = SERVERS[procs[0]?.server ?? 'redis'].cli;
  const args = [
    '--cluster',
    'create',
    ...procs.map((p) => `${p.ip}:${PORT}`),
    '--cluster-replicas',
    String(replicasPerMaster),
    '--cluster-yes',
  ];
  try {
    await promisify(execFile)(cli, args, { timeout: timeoutMs });
  } catch (err) {
    const { killed, stdout } = err as { killed?: boolean; stdout?: string };
    const tail = (stdout ?? '').trimEnd().split('\n').slice(-5).join('\n');
    throw new Error(
      `${cli} ${args.join(' ')}: ${killed ? `no result within ${timeoutMs} ms` : messageOf(err)}${tail ? `\n${tail}` : ''}`,
      { cause: err },
    );
  }
}

/**
 * Waits until `replicas` nodes replicate with their link up and no node writes an AOF. redis-cli pairs replicas
 * in no fixed order (read the roles back from the result), a replica not yet linked does not fail over, and a
 * node writing its first AOF ignores SIGTERM.
 */
export function waitForReplicasSynced(
  procs: RedisProcess[],
  replicas: number,
  timeoutMs = 60_000,
): Promise<ReplicationState[]> {
  return waitFor(
    `${replicas} replicas linked to their masters with their first AOF written`,
    async () => {
      const states = await Promise.all(procs.map((p) => replicationOf(identityReach, p.address)));
      const linked = states.filter((s) => s.role === 'slave' && s.masterLinkStatus === 'up').length;
      const writing = states.filter((s) => s.aofRewriteInProgress).length;
      return linked === replicas && writing === 0
        ? { done: true, value: states }
        : { done: false, seen: `${linked} linked, ${writing} writing an AOF` };
    },
    { timeoutMs, intervalMs: 100 },
  );
}
