import { type LintFinding, arrayAt, findingAt, objectsOfKind, stringAt, type LintRule } from './rule.ts';

const ID = 'statefulset-volume-claims';

export const statefulSetVolumeClaims: LintRule = {
  id: ID,
  summary: 'StatefulSet has volumeClaimTemplates, each mounted by a container',
  check({ set }) {
    const findings: LintFinding[] = [];
    for (const sts of objectsOfKind(set, 'StatefulSet')) {
      const templates = arrayAt(sts.body, ['spec', 'volumeClaimTemplates']);
      if (templates.length === 0) {
        findings.push(
          findingAt(
            ID,
            'error',
            sts,
            ['spec', 'volumeClaimTemplates'],
            `StatefulSet ${sts.name} has no volumeClaimTemplates`,
            'Without a PersistentVolumeClaim per pod, nodes.conf (the Redis NodeID) and the data die with the pod: a ' +
              'recreated pod joins as a stranger and the cluster keeps a failed ghost entry. Add a volumeClaimTemplate ' +
              'and mount it at redis.conf `dir`.',
          ),
        );
        continue;
      }
      const containers = arrayAt(sts.body, ['spec', 'template', 'spec', 'containers']);
      const mounted = new Set(
        containers.flatMap((c) => arrayAt(c, ['volumeMounts']).map((m) => stringAt(m, ['name']))),
      );
      templates.forEach((t, i) => {
        const name = stringAt(t, ['metadata', 'name']);
        if (name && !mounted.has(name)) {
          findings.push(
            findingAt(
              ID,
              'warning',
              sts,
              ['spec', 'volumeClaimTemplates', i, 'metadata', 'name'],
              `StatefulSet ${sts.name}: volumeClaimTemplate ${name} is mounted by no container`,
              `Each pod gets a claim it never uses, while Redis writes nodes.conf elsewhere; mount ${name} at redis.conf \`dir\`.`,
            ),
          );
        }
      });
    }
    return findings;
  },
};
