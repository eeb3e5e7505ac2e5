import { type LintFinding, findingAt, objectsOfKind, stringAt, type LintRule } from './rule.ts';
import { isProvisionerName, NO_PROVISIONER, pvClass } from '../storage-class.ts';

const ID = 'storage-provisioner';

export const storageProvisioner: LintRule = {
  id: ID,
  summary: 'StorageClass provisioner is a real provisioner, and kubernetes.io/no-provisioner for static PVs',
  check({ set }) {
    const findings: LintFinding[] = [];
    for (const sc of objectsOfKind(set, 'StorageClass')) {
      const provisioner = stringAt(sc.body, ['provisioner']) ?? '';
      const staticPVs = objectsOfKind(set, 'PersistentVolume').filter((pv) => pvClass(pv) === sc.name).length;
      if (!isProvisionerName(provisioner)) {
        findings.push(
          findingAt(
            ID,
            'error',
            sc,
            ['provisioner'],
            `StorageClass ${sc.name}: "${provisioner}" is not a provisioner`,
            'Provisioners are named kubernetes.io/<plugin> or by a CSI driver (e.g. rancher.io/local-path); a claim ' +
              'that finds no matching PV waits for a provisioner that does not exist and its Redis pod stays Pending. ' +
              `For pre-created PersistentVolumes use provisioner: ${NO_PROVISIONER} with volumeBindingMode: WaitForFirstConsumer.`,
          ),
        );
      } else if (staticPVs > 0 && provisioner !== NO_PROVISIONER) {
        findings.push(
          findingAt(
            ID,
            'warning',
            sc,
            ['provisioner'],
            `StorageClass ${sc.name} has ${staticPVs} pre-created PersistentVolume(s) but provisions dynamically with ${provisioner}`,
            'A claim that does not match one of the pre-created volumes gets a fresh, empty volume instead, so a Redis ' +
              `pod can silently start without its nodes.conf; give static volumes their own class with provisioner ${NO_PROVISIONER}.`,
          ),
        );
      }
    }
    return findings;
  },
};
