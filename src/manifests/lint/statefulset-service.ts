import {
  type LintFinding,
  findingAt,
  labelsAt,
  namespaceOf,
  objectsOfKind,
  selects,
  stringAt,
  type LintRule,
} from './rule.ts';

const ID = 'statefulset-service';

export const statefulSetService: LintRule = {
  id: ID,
  summary: 'StatefulSet serviceName names a headless Service that selects its pods',
  check({ set }) {
    const findings: LintFinding[] = [];
    for (const sts of objectsOfKind(set, 'StatefulSet')) {
      const serviceName = stringAt(sts.body, ['spec', 'serviceName']);
      const podLabels = labelsAt(sts.body, ['spec', 'template', 'metadata', 'labels']);
      const at = ['spec', 'serviceName'];
      const why =
        'The governing headless Service gives each pod a stable DNS name (pod.service); without it tools and ' +
        'clients cannot address a Redis node by name after it comes back with a new IP.';
      if (!serviceName) {
        findings.push(
          findingAt(
            ID,
            'warning',
            sts,
            at,
            `StatefulSet ${sts.name} has no spec.serviceName`,
            `${why} Add a Service with clusterIP: None selecting the pods and name it in spec.serviceName.`,
          ),
        );
        continue;
      }
      const service = objectsOfKind(set, 'Service').find(
        (s) => s.name === serviceName && namespaceOf(s) === namespaceOf(sts),
      );
      if (!service) {
        findings.push(
          findingAt(
            ID,
            'warning',
            sts,
            at,
            `StatefulSet ${sts.name}: serviceName ${serviceName} names no Service in these manifests`,
            `${why} Add Service ${serviceName} with clusterIP: None selecting the pods.`,
          ),
        );
      } else if (stringAt(service.body, ['spec', 'clusterIP']) !== 'None') {
        findings.push(
          findingAt(
            ID,
            'warning',
            service,
            ['spec', 'clusterIP'],
            `Service ${serviceName} governs StatefulSet ${sts.name} but is not headless`,
            `${why} Only a headless Service gets per-pod DNS records: set spec.clusterIP: None.`,
          ),
        );
      } else if (!selects(labelsAt(service.body, ['spec', 'selector']), podLabels)) {
        findings.push(
          findingAt(
            ID,
            'warning',
            service,
            ['spec', 'selector'],
            `Service ${serviceName}: its selector does not select the pods of StatefulSet ${sts.name}`,
            `${why} Make spec.selector a subset of the pod template labels.`,
          ),
        );
      }
    }
    return findings;
  },
};
