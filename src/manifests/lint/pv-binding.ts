import { claimBindings, claimClass, type ClaimBinding } from '../claims.ts';
import { type LintFinding, arrayAt, findingAt, objectsOfKind, stringAt, type LintRule } from './rule.ts';

const ID = 'pv-binding';

export const pvBinding: LintRule = {
  id: ID,
  summary: 'every claim of the StatefulSet finds a PersistentVolume (class, access modes, capacity, claimRef)',
  check({ set }) {
    const findings: LintFinding[] = [];
    for (const sts of objectsOfKind(set, 'StatefulSet')) {
      arrayAt(sts.body, ['spec', 'volumeClaimTemplates']).forEach((template, t) => {
        if (claimClass(set, template) !== undefined) return;
        // The DefaultStorageClass admission plugin gives a claim without storageClassName the cluster's default
        // class, whose provisioner creates one volume per claim: nothing to dry-run, nothing to pre-create.
        findings.push(
          findingAt(
            ID,
            'info',
            sts,
            ['spec', 'volumeClaimTemplates', t],
            `StatefulSet ${sts.name}: claim template ${stringAt(template, ['metadata', 'name']) ?? ''} names no storageClassName: ` +
              `each pod's claim is provisioned dynamically by the cluster's default StorageClass`,
            "No PersistentVolumes are needed: kind's default class (local-path) and the local platform (a directory " +
              'per claim, kept across restarts) provision one per claim. A cluster without a default class leaves the ' +
              'claims, and the server pods, Pending: set storageClassName there.',
          ),
        );
      });
    }
    const unbound = claimBindings(set).filter((b) => !b.pv);
    // One finding per claim template, naming every claim of it that cannot bind.
    const byTemplate = new Map<string, ClaimBinding[]>();
    for (const b of unbound) {
      const key = `${b.statefulSet.at.file}:${b.statefulSet.at.line}:${b.template}`;
      byTemplate.set(key, [...(byTemplate.get(key) ?? []), b]);
    }
    for (const group of byTemplate.values()) {
      const { statefulSet: sts, template: t, storageClass, requestText } = group[0]!;
      findings.push(
        findingAt(
          ID,
          'error',
          sts,
          ['spec', 'volumeClaimTemplates', t],
          `StatefulSet ${sts.name}: claim ${group.map((u) => u.claim).join(', ')} cannot bind (${group[0]!.why ?? 'no matching PersistentVolume'})`,
          `Class ${storageClass} only has pre-created volumes, so a claim without a matching PersistentVolume stays ` +
            'Pending and so does its Redis pod (the cluster never forms). Create one PersistentVolume per pod with ' +
            `storageClassName ${storageClass}, the claim's access modes and at least ${requestText || 'the requested size'}.`,
        ),
      );
    }
    return findings;
  },
};
