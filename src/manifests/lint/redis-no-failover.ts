import type { LintRule } from './rule.ts';
import { directiveAt, lastDirective, shown } from './redis-view.ts';

const ID = 'redis-no-failover';
/** The directive and its name before Redis 5 (still read by redis-server and valkey-server). */
const NAMES = ['cluster-replica-no-failover', 'cluster-slave-no-failover'];

export const redisNoFailover: LintRule = {
  id: ID,
  summary: 'replicas may fail over (no cluster-replica-no-failover yes)',
  check({ redis }) {
    if (!redis) return [];
    const name = NAMES.find((n) => redis.directive(n)?.toLowerCase() === 'yes');
    if (!name) return [];
    const d = lastDirective(redis, name);
    return [
      {
        rule: ID,
        severity: 'error',
        message: `StatefulSet ${redis.name}: ${d ? shown(d) : `${name} yes`}: no replica ever starts a failover election`,
        fix:
          `Every pod of this StatefulSet runs with it, so when a master dies no replica takes over and its slots stay ` +
          `down until it returns (or someone runs CLUSTER FAILOVER by hand); remove the line or set \`${name} no\`.`,
        at: directiveAt(redis, name),
      },
    ];
  },
};
