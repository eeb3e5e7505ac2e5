import { type LintFinding, arrayAt, stringAt, type LintRule } from './rule.ts';

const ID = 'anti-affinity';
const HOSTNAME = 'kubernetes.io/hostname';
const AFFINITY = ['spec', 'template', 'spec', 'affinity', 'podAntiAffinity'];

/**
 * Pod anti-affinity on kubernetes.io/hostname against the node count, and what one node's loss would cost with
 * the manifests' own rules. Kubernetes does not know which pod is a master: required anti-affinity (one pod per
 * node) is the only rule that keeps every master off its replicas' nodes whatever the scheduler and Redis do;
 * preferred anti-affinity is a score, and a failover or a rescheduled pod can put a master and its replica on one
 * node (the run's placement check judges where they actually are).
 */
export const antiAffinity: LintRule = {
  id: ID,
  summary: 'pod anti-affinity on kubernetes.io/hostname fits the number of Kubernetes nodes',
  check({ redis, nodes }) {
    // Every judgement needs the node count; unknown, nothing is assumed.
    if (!redis || nodes === undefined) return [];
    const sts = redis.statefulSet;
    const findings: LintFinding[] = [];
    const required = arrayAt(sts.body, [...AFFINITY, 'requiredDuringSchedulingIgnoredDuringExecution']);
    const requiredOnHost = required.some((term) => stringAt(term, ['topologyKey']) === HOSTNAME);
    required.forEach((term, i) => {
      if (stringAt(term, ['topologyKey']) !== HOSTNAME || redis.replicas <= nodes) return;
      findings.push({
        rule: ID,
        severity: 'error',
        at: sts.locate([...AFFINITY, 'requiredDuringSchedulingIgnoredDuringExecution', i, 'topologyKey']),
        message: `StatefulSet ${redis.name}: required anti-affinity allows one pod per node, but ${redis.replicas} pods meet ${nodes} node(s)`,
        fix:
          `${redis.replicas - nodes} pod(s) stay Pending and the cluster never forms; use preferred anti-affinity, or ` +
          `at least ${redis.replicas} nodes.`,
      });
    });
    const preferred = arrayAt(sts.body, [...AFFINITY, 'preferredDuringSchedulingIgnoredDuringExecution']);
    preferred.forEach((term, i) => {
      if (stringAt(term, ['podAffinityTerm', 'topologyKey']) !== HOSTNAME || requiredOnHost) return;
      const at = sts.locate([
        ...AFFINITY,
        'preferredDuringSchedulingIgnoredDuringExecution',
        i,
        'podAffinityTerm',
        'topologyKey',
      ]);
      findings.push(
        nodes === 1
          ? {
              rule: ID,
              severity: 'info',
              at,
              message: `StatefulSet ${redis.name}: preferred anti-affinity on ${HOSTNAME} does nothing on a 1-node cluster`,
              fix:
                'Every pod lands on the one node, so losing it takes masters and their replicas together: all 16384 ' +
                'slots. Harmless here, and right on a multi-node cluster, where masters and their replicas should ' +
                'land on different nodes.',
            }
          : {
              rule: ID,
              severity: 'info',
              at,
              message:
                `StatefulSet ${redis.name}: preferred only: the scheduler may put a master and its replica on one node` +
                (redis.replicas > nodes ? ` (${redis.replicas} pods on ${nodes} nodes share nodes)` : ''),
              fix:
                "Losing that node then takes the shard's slots. The bootstrap keeps replicas off their master's node, " +
                'but a failover or a rescheduled pod can bring them together; the placement check reports it after ' +
                `every scenario. Required anti-affinity (one pod per node) needs at least ${redis.replicas} nodes.`,
            },
      );
    });
    return findings;
  },
};
