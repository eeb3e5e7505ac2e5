import type { RedisDeployment } from '../manifests/model.ts';

/** Redis' and Valkey's own default cluster-node-timeout (redis.conf: `cluster-node-timeout 15000`). */
export const DEFAULT_NODE_TIMEOUT_MS = 15_000;
/** The failover timeout never goes below this by default (the fixed default of earlier releases). */
const MIN_DEFAULT_FAILOVER_TIMEOUT_MS = 60_000;
/** Room on top of the floor for a loaded machine (the measured runs' spread is ~1–4 s). */
const MARGIN_MS = 10_000;

/**
 * cluster-node-timeout as redis-server reads it (digits only; anything else does not start and lint says so),
 * else the server's default.
 */
export function nodeTimeoutOf(redis: Pick<RedisDeployment, 'directive'>): number {
  const raw = redis.directive('cluster-node-timeout');
  return raw !== undefined && /^(0|[1-9]\d*)$/.test(raw) ? Number(raw) : DEFAULT_NODE_TIMEOUT_MS;
}

/**
 * How long Redis may need to promote a replica after its master dies (docs/design.md, "Facts measured on real Redis"):
 * node timeout (PFAIL) + gossip to a majority (FAIL; a node pings each peer at least every node-timeout/2,
 * measured up to ~2.4 s at 5000 and ~6.4 s at 15000) + the election delay (500 ms + 0–500 ms random + 1000 ms
 * per replica rank). Covers every measured run: 1000 → 2666 ms, 5000 → 8306 ms, 15000 → 22405 ms at most.
 */
export function failoverFloorMs(nodeTimeoutMs: number, replicasPerMaster: number): number {
  const gossip = Math.max(1000, Math.ceil(nodeTimeoutMs / 2));
  const election = 1000 * Math.max(1, replicasPerMaster);
  return nodeTimeoutMs + gossip + election;
}

export interface FailoverTimeout {
  timeoutMs: number;
  floorMs: number;
  nodeTimeoutMs: number;
  /** Where the timeout came from: the user's setting or the manifests' node timeout. */
  source: 'set' | 'node-timeout';
  /** Set when a user-set timeout is below the floor: a missing failover would then say nothing about Redis. */
  warning?: string;
}

/**
 * The failover timeout a run uses: the user's, else the floor plus a margin (at least 60 s). `name` is how the
 * user sets it (`--failover-timeout`, `input failover-timeout`), for the warning.
 */
export function failoverTimeout(
  set: number | undefined,
  nodeTimeoutMs: number,
  replicasPerMaster: number,
  name: string,
): FailoverTimeout {
  const floorMs = failoverFloorMs(nodeTimeoutMs, replicasPerMaster);
  if (set === undefined) {
    return {
      timeoutMs: Math.max(MIN_DEFAULT_FAILOVER_TIMEOUT_MS, floorMs + MARGIN_MS),
      floorMs,
      nodeTimeoutMs,
      source: 'node-timeout',
    };
  }
  const result: FailoverTimeout = { timeoutMs: set, floorMs, nodeTimeoutMs, source: 'set' };
  if (set < floorMs) {
    result.warning =
      `${name} ${set} ms is below the ${floorMs} ms Redis may need to fail over with cluster-node-timeout ${nodeTimeoutMs} ` +
      '(node timeout + gossip to a majority + election delay): a replica-promoted failure would only mean the wait was too short; ' +
      `use at least ${floorMs + MARGIN_MS} ms or leave it unset (it then follows cluster-node-timeout)`;
  }
  return result;
}
