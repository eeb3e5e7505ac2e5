import { removalRecord } from './api-removed.ts';
import { findingAt, type LintRule } from './rule.ts';
import { knownApiVersionsOf, validatorFor } from './schemas.ts';

export const apiUnknown: LintRule = {
  id: 'api-unknown',
  summary: 'a known kind under an apiVersion Kubernetes never served it as',
  check({ set }) {
    return set.objects.flatMap((obj) => {
      // Served once and removed since: api-removed judges it against the target version.
      if (validatorFor(obj.apiVersion, obj.kind) || removalRecord(obj.apiVersion, obj.kind)) return [];
      const known = knownApiVersionsOf(obj.kind);
      if (known.length === 0) return []; // a kind (or CRD) this linter has no schema of: not judged
      return [
        findingAt(
          'api-unknown',
          'error',
          obj,
          ['apiVersion'],
          `${obj.kind} ${obj.name}: Kubernetes serves ${obj.kind} as ${known.join(' or ')}, not ${obj.apiVersion}`,
          `The API server has no ${obj.apiVersion} ${obj.kind} and rejects the object; set apiVersion: ${known[0]}.`,
        ),
      ];
    });
  },
};
