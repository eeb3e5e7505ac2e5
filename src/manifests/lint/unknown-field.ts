import type { LintFinding, LintRule } from './rule.ts';
import { fieldPath, unknownFields } from '../known-fields.ts';
import { locateKey } from '../load.ts';
import { removalOf } from './api-removed.ts';

const ID = 'unknown-field';

/**
 * Fields the kind's schema does not declare: a typo (`replcas:`, `containerPrt:`). The run applies with
 * fieldValidation=Strict, so the API server would refuse the object (400); a plain `kubectl apply` would drop the
 * field silently and deploy something else than written. Either way it is an error, found here first.
 */
export const unknownField: LintRule = {
  id: ID,
  summary: 'fields the Kubernetes schema of the kind does not declare (typos), with the nearest valid name',
  check({ set, kubernetes }) {
    const findings: LintFinding[] = [];
    for (const obj of set.objects) {
      // A removed apiVersion is judged by the version that replaces it (the api-removed rule names the change).
      const apiVersion = removalOf(obj.apiVersion, obj.kind, kubernetes)?.use ?? obj.apiVersion;
      for (const u of unknownFields(apiVersion, obj.kind, obj.body)) {
        findings.push({
          rule: ID,
          severity: 'error',
          message:
            `${obj.kind} ${obj.name}: ${fieldPath(u.path).slice(1)}: unknown field "${u.field}"` +
            (u.suggestion ? ` (did you mean "${u.suggestion}"?)` : ''),
          fix:
            `${apiVersion} ${obj.kind} declares no field "${u.field}" there` +
            (u.suggestion ? `; the nearest valid name is "${u.suggestion}"` : '') +
            '. The API server refuses an unknown field under strict validation (as this action applies) and drops it ' +
            'silently otherwise, so the object would not be what is written.',
          at: locateKey(obj, u.path) ?? obj.locate(u.path),
        });
      }
    }
    return findings;
  },
};
