import {
  type LintFinding,
  findingAt,
  isObject,
  labelSelectorMatches,
  labelsAt,
  namespaceOf,
  objectsOfKind,
  valueAt,
  type LintRule,
} from './rule.ts';
import type { ManifestObject } from '../model.ts';

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
    findings.push(...overlaps(objectsOfKind(set, 'StatefulSet')));
    return findings;
  },
};

/**
 * StatefulSets of one namespace whose selector also selects another's pods. The API server does not stop it
 * (kubernetes.io, Deployments: "Kubernetes doesn't stop you from overlapping, and if multiple controllers have
 * overlapping selectors those controllers might conflict and behave unexpectedly"); ownerReferences keep the pods
 * apart, but every Service, PodDisruptionBudget and `kubectl -l` written from those labels takes both sets as one.
 */
function overlaps(sets: ManifestObject[]): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const a of sets) {
    const selector = valueAt(a.body, ['spec', 'selector']);
    if (!isObject(selector)) continue;
    const others = sets.filter(
      (b) =>
        b !== a &&
        namespaceOf(b) === namespaceOf(a) &&
        labelSelectorMatches(selector, labelsAt(b.body, ['spec', 'template', 'metadata', 'labels'])),
    );
    if (others.length === 0) continue;
    const names = others.map((b) => b.name).join(', ');
    findings.push(
      findingAt(
        ID,
        'warning',
        a,
        ['spec', 'selector'],
        `StatefulSet ${a.name}: spec.selector also selects the pods of StatefulSet ${names}`,
        'Overlapping selectors are not refused, but a Service, PodDisruptionBudget or rollout check written from these ' +
          `labels then counts both sets' pods as one (a disruption budget can let a leader and its follower go at once). ` +
          `Give each StatefulSet a label of its own (e.g. app.kubernetes.io/component) and select on it.`,
      ),
    );
  }
  return findings;
}
