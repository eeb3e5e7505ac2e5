import { BUS_PORT_OFFSET } from '../deployment.ts';
import { arrayAt, valueAt, type LintRule } from './rule.ts';
import { containerAt, containerPath, directiveAt } from './redis-view.ts';

const ID = 'cluster-bus-port';
const MAX_PORT = 65535;

export const clusterBusPort: LintRule = {
  id: ID,
  summary:
    'the cluster bus port (port + 10000, or cluster-port) exists (at most 65535) and is a declared containerPort',
  check({ redis }) {
    if (!redis) return [];
    const bus = redis.busPort;
    if (bus > MAX_PORT) {
      // Checked on redis-server 7.0 (port 60000, cluster mode): "Redis port number too high. Cluster
      // communication port is 10,000 port numbers higher than your Redis port." and it exits.
      return [
        {
          rule: ID,
          severity: 'error',
          message: `StatefulSet ${redis.name}: port ${redis.port} puts the cluster bus on ${bus}, above ${MAX_PORT}`,
          fix:
            `${redis.server.program} refuses to start in cluster mode ("port number too high"): use a port of at most ` +
            `${MAX_PORT - BUS_PORT_OFFSET}, or set cluster-port to a free port of its own.`,
          at: directiveAt(redis, 'port'),
        },
      ];
    }
    const declared = arrayAt(redis.statefulSet.body, [...containerPath(redis), 'ports']).map((p) =>
      valueAt(p, ['containerPort']),
    );
    if (declared.includes(bus)) return [];
    return [
      {
        rule: ID,
        severity: 'warning',
        message: `StatefulSet ${redis.name}: cluster bus port ${bus} is not among the container's ports`,
        fix:
          'Redis nodes gossip, detect failures and vote on the bus port; NetworkPolicies and service meshes that ' +
          'go by declared ports then block it and no failover happens. Declare containerPort ' +
          `${bus} (name: cluster) beside ${redis.port}.`,
        at: containerAt(redis, 'ports'),
      },
    ];
  },
};
