import { pvClass, storageClassNamed } from '../storage-class.ts';
import { type LintFinding, arrayAt, findingAt, objectsOfKind, stringAt, type LintRule } from './rule.ts';

const ID = 'storage-class-missing';
/** The one class a kind cluster has (rancher.io/local-path, its default), which the action's kind platform uses. */
export const KIND_STORAGE_CLASS = 'standard';

export const storageClassMissing: LintRule = {
  id: ID,
  summary: "every claim template's storageClassName is provided by the manifests (or is kind's `standard`)",
  check({ set }) {
    const findings: LintFinding[] = [];
    const pvClasses = new Set(objectsOfKind(set, 'PersistentVolume').map(pvClass));
    for (const sts of objectsOfKind(set, 'StatefulSet')) {
      arrayAt(sts.body, ['spec', 'volumeClaimTemplates']).forEach((template, t) => {
        const cls = stringAt(template, ['spec', 'storageClassName']);
        // '' asks for no class (static PVs without one); unset takes the default class (pv-binding says so).
        if (!cls || cls === KIND_STORAGE_CLASS || storageClassNamed(set, cls) || pvClasses.has(cls)) return;
        findings.push(
          findingAt(
            ID,
            'warning',
            sts,
            ['spec', 'volumeClaimTemplates', t, 'spec', 'storageClassName'],
            `StatefulSet ${sts.name}: claim template ${stringAt(template, ['metadata', 'name']) ?? ''} asks for StorageClass ${cls}, which neither a StorageClass nor a PersistentVolume of the manifests provides`,
            `A claim whose class does not exist is never provisioned and never binds: it stays Pending, and so does its Redis pod, ` +
              `with no error but the claim's event. kind has only \`${KIND_STORAGE_CLASS}\`; on another cluster make sure ` +
              `\`kubectl get storageclass ${cls}\` finds it, or add the StorageClass (or PersistentVolumes of that class) to the manifests.`,
          ),
        );
      });
    }
    return findings;
  },
};
