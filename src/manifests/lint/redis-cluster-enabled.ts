import { posix } from 'node:path';
import type { LintRule } from './rule.ts';
import { directiveAt } from './redis-view.ts';

const ID = 'redis-cluster-enabled';

export const redisClusterEnabled: LintRule = {
  id: ID,
  summary: 'redis.conf (valkey.conf) sets cluster-enabled yes',
  check({ redis }) {
    if (!redis) return [];
    const value = redis.directive('cluster-enabled');
    if (value?.toLowerCase() === 'yes') return [];
    return [
      {
        rule: ID,
        severity: 'error',
        message:
          value === undefined
            ? `StatefulSet ${redis.name}: ${redis.server.program} runs without cluster-enabled (standalone mode)`
            : `StatefulSet ${redis.name}: cluster-enabled is ${value}, not yes`,
        fix:
          `A standalone ${redis.server.name} refuses every CLUSTER command, so no cluster can be formed and nothing can fail ` +
          `over; set \`cluster-enabled yes\` in ${redis.configFile ? posix.basename(redis.configFile) : 'its config file'}.`,
        at: directiveAt(redis, 'cluster-enabled'),
      },
    ];
  },
};
