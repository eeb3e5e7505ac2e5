import { hasKindModel } from '../known-fields.ts';
import { removalRecord } from './api-removed.ts';
import { findingAt, type LintRule } from './rule.ts';
import { knownApiVersionsOf, validatorFor } from './schemas.ts';

/**
 * Groups only Kubernetes serves: the core group (`v1`), groups without a dot (apps, batch, policy, autoscaling)
 * and its own *.k8s.io groups. Other *.k8s.io groups are custom resources (gateway.networking.k8s.io,
 * snapshot.storage.k8s.io) or aggregated APIs (metrics.k8s.io), served only where they are installed.
 */
const BUILT_IN_K8S_IO_GROUPS = new Set(
  [
    'admissionregistration',
    'apiextensions',
    'apiregistration',
    'authentication',
    'authorization',
    'certificates',
    'coordination',
    'discovery',
    'events',
    'flowcontrol.apiserver',
    'internal.apiserver',
    'networking',
    'node',
    'rbac.authorization',
    'resource',
    'scheduling',
    'storage',
    'storagemigration',
  ].map((g) => `${g}.k8s.io`),
);

function isBuiltInGroup(apiVersion: string): boolean {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return apiVersion === 'v1';
  const group = apiVersion.slice(0, slash);
  return !group.includes('.') || BUILT_IN_K8S_IO_GROUPS.has(group);
}

export const apiUnknown: LintRule = {
  id: 'api-unknown',
  summary: 'a known kind under an apiVersion Kubernetes never served it as, or a kind no built-in group serves',
  check({ set }) {
    return set.objects.flatMap((obj) => {
      // Served once and removed since: api-removed judges it against the target version.
      if (validatorFor(obj.apiVersion, obj.kind) || removalRecord(obj.apiVersion, obj.kind)) return [];
      const known = knownApiVersionsOf(obj.kind);
      if (known.length === 0) {
        // In a group only Kubernetes itself serves, a kind it has no type for is a typo or an invention: the API
        // server answers `no matches for kind "X" in version "v1"`. Any other group may be a custom resource.
        if (!isBuiltInGroup(obj.apiVersion) || obj.kind === 'List' || hasKindModel(obj.apiVersion, obj.kind)) return [];
        return [
          findingAt(
            'api-unknown',
            'error',
            obj,
            ['kind'],
            `${obj.kind} ${obj.name}: Kubernetes serves no kind ${obj.kind} in ${obj.apiVersion}`,
            `The API server answers "no matches for kind ${obj.kind} in version ${obj.apiVersion}" and nothing is applied; ` +
              'check the spelling of kind (it is case-sensitive) and its apiVersion.',
          ),
        ];
      }
      return [
        findingAt(
          'api-unknown',
          'error',
          obj,
          ['apiVersion'],
          `${obj.kind} ${obj.name}: Kubernetes serves ${obj.kind} as ${known.join(' or ')}, not ${obj.apiVersion}`,
          `The API server has no ${obj.apiVersion} ${obj.kind} and rejects the object; set apiVersion: ${known[0]!}.`,
        ),
      ];
    });
  },
};
