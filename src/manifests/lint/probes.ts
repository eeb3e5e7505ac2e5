import { type LintFinding, valueAt, type LintRule } from './rule.ts';
import type { ServerInfo } from '../server.ts';
import { containerAt, containerPath } from './redis-view.ts';

const ID = 'probes';

const WHY: Record<string, (server: ServerInfo) => string> = {
  readinessProbe: (s) =>
    'Without a readiness probe a pod counts as ready (for rollouts and PodDisruptionBudgets) before ' +
    `${s.name} answers, so a rolling update can take the next node down while this one is still loading.`,
  livenessProbe: (s) =>
    `Without a liveness probe a hung ${s.program} is never restarted: the cluster fails it over, but ` +
    'the pod never comes back to serve as a replica.',
};

export const probes: LintRule = {
  id: ID,
  summary: 'the Redis container has readiness and liveness probes',
  check({ redis }) {
    if (!redis) return [];
    const findings: LintFinding[] = [];
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      if (valueAt(redis.statefulSet.body, [...containerPath(redis), probe]) !== undefined) continue;
      findings.push({
        rule: ID,
        severity: 'warning',
        message: `StatefulSet ${redis.name}: container ${redis.container.name} has no ${probe}`,
        fix: `${WHY[probe]!(redis.server)} Add e.g. exec \`${redis.server.cli} -p ${redis.port} ping\` (readiness) and tcpSocket ${redis.port} (liveness).`,
        at: containerAt(redis, probe),
      });
    }
    return findings;
  },
};
