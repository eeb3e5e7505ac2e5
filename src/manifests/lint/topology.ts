import { fitTopology } from '../../redis/plan.ts';
import type { LintRule } from './rule.ts';

const ID = 'topology';

export const topology: LintRule = {
  id: ID,
  summary: 'at least 3 masters, and the StatefulSet replicas split evenly into masters with replicas',
  check({ redis, masters, replicasPerMaster }) {
    if (!redis) return [];
    const pods = redis.replicas;
    const at = redis.statefulSet.locate(['spec', 'replicas']);
    const requested = masters !== undefined || replicasPerMaster !== undefined;
    const fit = fitTopology(pods, { masters, replicasPerMaster });
    const shape = requested
      ? `${masters ?? 'derived'} master(s) × (1 + ${replicasPerMaster ?? 'derived'} replica(s))`
      : 'the default split';
    if (!fit.ok) {
      return [
        {
          rule: ID,
          severity: 'error',
          message: `StatefulSet ${redis.name}: ${pods} pods do not split into ${shape}`,
          fix:
            'Every master needs the same number of replicas: the StatefulSet replicas must equal masters × (1 + ' +
            'replicas per master), e.g. 6 = 3 × (1 + 1); change spec.replicas or the topology.',
          at,
        },
      ];
    }
    const { masters: m, replicasPerMaster: r } = fit;
    if (m < 3) {
      return [
        {
          rule: ID,
          severity: 'error',
          message: `StatefulSet ${redis.name}: ${pods} pods make ${m} master(s) with ${r} replica(s) each; a Redis Cluster needs at least 3 masters to fail over`,
          fix:
            'A replica is promoted only with votes from a majority of masters; with fewer than 3 masters the death ' +
            'of one leaves no majority, FAIL is never agreed and the cluster stays down until the master returns. Use ' +
            'spec.replicas: 6 (3 masters + 3 replicas) or more.',
          at,
        },
      ];
    }
    if (r === 0) {
      return [
        {
          rule: ID,
          severity: 'error',
          message: `StatefulSet ${redis.name}: ${m} masters without replicas`,
          fix:
            'A master without a replica has nobody to take over its slots: losing it takes them down. Give every ' +
            'master at least one replica (spec.replicas = 2 × masters).',
          at,
        },
      ];
    }
    return [];
  },
};
