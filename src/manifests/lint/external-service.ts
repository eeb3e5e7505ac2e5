import { findingAt, labelsAt, namespaceOf, objectsOfKind, selects, stringAt, type LintRule } from './rule.ts';

const ID = 'external-service';

export const externalService: LintRule = {
  id: ID,
  summary: 'no NodePort/LoadBalancer Service in front of all cluster pods',
  check({ set, redis }) {
    if (!redis) return [];
    return objectsOfKind(set, 'Service')
      .filter(
        (s) => namespaceOf(s) === redis.namespace && selects(labelsAt(s.body, ['spec', 'selector']), redis.podLabels),
      )
      .flatMap((s) => {
        const type = stringAt(s.body, ['spec', 'type']) ?? 'ClusterIP';
        if (type !== 'NodePort' && type !== 'LoadBalancer') return [];
        return [
          findingAt(
            ID,
            'warning',
            s,
            ['spec', 'type'],
            `Service ${s.name} (${type}) puts one address in front of all Redis Cluster pods`,
            'Cluster-aware clients follow MOVED/ASK redirects to the pod IPs the nodes announce, which clients ' +
              'outside the Kubernetes network cannot reach: it only seems to work until a key lives on another ' +
              'node. Use a ClusterIP Service for in-cluster clients; expose each pod separately (and announce that ' +
              'address) for outside clients.',
          ),
        ];
      });
  },
};
