import { arrayAt, valueAt, type LintRule } from './rule.ts';
import { containerAt, containerPath } from './redis-view.ts';

const ID = 'cluster-bus-port';

export const clusterBusPort: LintRule = {
  id: ID,
  summary: 'the cluster bus port (port + 10000, or cluster-port) is a declared containerPort',
  check({ redis }) {
    if (!redis) return [];
    const bus = Number(redis.directive('cluster-port') ?? 0) || redis.port + 10000;
    const declared = arrayAt(redis.statefulSet.body, [...containerPath(redis), 'ports']).map((p) => valueAt(p, ['containerPort']));
    if (declared.includes(bus)) return [];
    return [{ rule: ID, severity: 'warning', message: `StatefulSet ${redis.name}: cluster bus port ${bus} is not among the container's ports`,
      fix: 'Redis nodes gossip, detect failures and vote on the bus port; NetworkPolicies and service meshes that ' +
        'go by declared ports then block it and no failover happens. Declare containerPort ' +
        `${bus} (name: cluster) beside ${redis.port}.`,
      at: containerAt(redis, 'ports') }];
  },
};
