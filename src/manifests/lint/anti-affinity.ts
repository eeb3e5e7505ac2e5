import { type LintFinding, arrayAt, stringAt, type LintRule } from './rule.ts';

const ID = 'anti-affinity';
const HOSTNAME = 'kubernetes.io/hostname';
const AFFINITY = ['spec', 'template', 'spec', 'affinity', 'podAntiAffinity'];

export const antiAffinity: LintRule = {
  id: ID,
  summary: 'pod anti-affinity on kubernetes.io/hostname fits the number of Kubernetes nodes',
  check({ redis, nodes }) {
    // Both judgements need the node count; unknown, nothing is assumed.
    if (!redis || nodes === undefined) return [];
    const sts = redis.statefulSet;
    const findings: LintFinding[] = [];
    const required = arrayAt(sts.body, [...AFFINITY, 'requiredDuringSchedulingIgnoredDuringExecution']);
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
      if (stringAt(term, ['podAffinityTerm', 'topologyKey']) !== HOSTNAME || nodes > 1) return;
      findings.push({
        rule: ID,
        severity: 'info',
        at: sts.locate([
          ...AFFINITY,
          'preferredDuringSchedulingIgnoredDuringExecution',
          i,
          'podAffinityTerm',
          'topologyKey',
        ]),
        message: `StatefulSet ${redis.name}: preferred anti-affinity on ${HOSTNAME} does nothing on a 1-node cluster`,
        fix:
          'Every pod lands on the one node, so losing it takes masters and their replicas together. Harmless ' +
          'here, and right on a multi-node cluster, where masters and their replicas should land on different nodes.',
      });
    });
    return findings;
  },
};
