import {
  type LintFinding,
  findingAt,
  isObject,
  labelSelectorMatches,
  labelsAt,
  objectsOfKind,
  valueAt,
  type LintRule,
} from './rule.ts';

const ID = 'statefulset-selector';

export const statefulSetSelector: LintRule = {
  id: ID,
  summary: 'StatefulSet spec.selector present, not empty, and matching the pod template labels',
  check({ set }) {
    const findings: LintFinding[] = [];
    for (const sts of objectsOfKind(set, 'StatefulSet')) {
      const selector = valueAt(sts.body, ['spec', 'selector']);
      const labels = labelsAt(sts.body, ['spec', 'template', 'metadata', 'labels']);
      const shown = Object.entries(labels)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ');
      const labelsFix = shown
        ? `matchLabels: {${shown}}`
        : 'labels on spec.template.metadata and the same in matchLabels';
      if (!isObject(selector)) {
        findings.push(
          findingAt(
            ID,
            'error',
            sts,
            ['spec', 'selector'],
            `StatefulSet ${sts.name} has no spec.selector (apps/v1 requires one)`,
            `Without a selector the API server rejects the StatefulSet and no Redis pod is created; add spec.selector with ${labelsFix}.`,
          ),
        );
      } else if (
        !isObject(valueAt(selector, ['matchLabels'])) &&
        !Array.isArray(valueAt(selector, ['matchExpressions']))
      ) {
        findings.push(
          findingAt(
            ID,
            'error',
            sts,
            ['spec', 'selector'],
            `StatefulSet ${sts.name} has an empty spec.selector`,
            `An empty selector is invalid for a StatefulSet (it would claim every pod in the namespace); use ${labelsFix}.`,
          ),
        );
      } else if (!labelSelectorMatches(selector, labels)) {
        findings.push(
          findingAt(
            ID,
            'error',
            sts,
            ['spec', 'selector'],
            `StatefulSet ${sts.name}: spec.selector does not match the pod template labels {${shown}}`,
            `The API server rejects a StatefulSet whose selector does not select its own pods; make the selector ${labelsFix}.`,
          ),
        );
      }
    }
    return findings;
  },
};
