import type { JsonObject, ManifestObject, ManifestSet } from './model.ts';
import { isObject, objectsOfKind, stringAt, valueAt } from './object-path.ts';

/** The provisioner of static (pre-created) volumes: it provisions nothing. */
export const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

/** A provisioner name is `kubernetes.io/<plugin>` or a CSI driver's DNS name: `Local` or `nfs` is neither. */
export function isProvisionerName(p: string): boolean {
  return /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\/[-a-zA-Z0-9._]+)?$/.test(p) && (p.includes('.') || p.includes('/'));
}

/** True when nothing will create volumes for this class: claims can only bind pre-created PVs. */
export function isStaticOnly(sc: ManifestObject): boolean {
  const p = stringAt(sc.body, ['provisioner']) ?? '';
  return p === NO_PROVISIONER || !isProvisionerName(p);
}

export function storageClassNamed(set: ManifestSet, name: string): ManifestObject | undefined {
  return objectsOfKind(set, 'StorageClass').find((sc) => sc.name === name);
}

/** The class a PV belongs to ('' for none). */
export function pvClass(pv: ManifestObject): string {
  return stringAt(pv.body, ['spec', 'storageClassName']) ?? '';
}

/** hostPath and local volumes live on one node's disk. */
export function nodeBoundSource(pv: ManifestObject): 'hostPath' | 'local' | undefined {
  const spec = valueAt(pv.body, ['spec']) as JsonObject | undefined;
  if (isObject(spec?.local)) return 'local';
  if (isObject(spec?.hostPath)) return 'hostPath';
  return undefined;
}

export function hasNodeAffinity(pv: ManifestObject): boolean {
  return isObject(valueAt(pv.body, ['spec', 'nodeAffinity', 'required']));
}
