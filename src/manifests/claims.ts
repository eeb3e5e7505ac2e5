import type { JsonValue, ManifestObject, ManifestSet } from './model.ts';
import { arrayAt, labelsAt, namespaceOf, objectsOfKind, scalarText, stringAt, valueAt } from './object-path.ts';
import { parseQuantity } from './quantity.ts';
import { isStaticOnly, pvClass, storageClassNamed } from './storage-class.ts';
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

interface Claim {
  name: string;
  namespace: string;
  storageClass: string;
  accessModes: string[];
  request: number | undefined;
  requestText: string;
  volumeMode: string;
  selector: Record<string, string>;
}

/** Why `pv` cannot serve `claim`, or undefined when it can (the PV controller's matching, minus node affinity). */
function mismatch(claim: Claim, pv: ManifestObject): string | undefined {
  const ref = valueAt(pv.body, ['spec', 'claimRef']);
  const refName = stringAt(ref, ['name']);
  if (
    refName !== undefined &&
    (refName !== claim.name || (stringAt(ref, ['namespace']) ?? 'default') !== claim.namespace)
  ) {
    return `reserved by claimRef for ${stringAt(ref, ['namespace']) ?? 'default'}/${refName}`;
  }
  const modes = arrayAt(pv.body, ['spec', 'accessModes']).map(String);
  const missing = claim.accessModes.filter((m) => !modes.includes(m));
  if (missing.length > 0) return `access modes [${modes.join(', ')}] lack ${missing.join(', ')}`;
  const capacityText = valueAt(pv.body, ['spec', 'capacity', 'storage']);
  const capacity = parseQuantity(capacityText);
  if (capacity === undefined) return `capacity ${JSON.stringify(capacityText ?? null)} is not a quantity`;
  if (claim.request !== undefined && capacity < claim.request)
    return `capacity ${scalarText(capacityText)} < request ${claim.requestText}`;
  const mode = stringAt(pv.body, ['spec', 'volumeMode']) ?? 'Filesystem';
  if (mode !== claim.volumeMode) return `volumeMode ${mode}, claim wants ${claim.volumeMode}`;
  const labels = labelsAt(pv.body, ['metadata', 'labels']);
  if (!Object.entries(claim.selector).every(([k, v]) => labels[k] === v))
    return 'labels do not match the claim selector';
  return undefined;
}

/** The class a claim ends up with: its own, else the default class among the manifests (else unknown). */
export function claimClass(set: ManifestSet, template: JsonValue): string | undefined {
  const own = stringAt(template, ['spec', 'storageClassName']);
  if (own !== undefined) return own;
  return objectsOfKind(set, 'StorageClass').find(
    (sc) => stringAt(sc.body, ['metadata', 'annotations', DEFAULT_CLASS_ANNOTATION]) === 'true',
  )?.name;
}

/** One claim a StatefulSet makes of a class served by pre-created volumes, and the volume it would get. */
export interface ClaimBinding {
  statefulSet: ManifestObject;
  /** Index of its volumeClaimTemplate. */
  template: number;
  /** `<template>-<statefulset>-<ordinal>`. */
  claim: string;
  storageClass: string;
  requestText: string;
  /** The PersistentVolume the PV controller would bind, or undefined with the reason. */
  pv?: ManifestObject;
  why?: string;
}

/**
 * Dry run of the PV controller for every claim a StatefulSet makes (`<template>-<statefulset>-<ordinal>`) when
 * the class can only be served by pre-created volumes. Shared by this rule (a claim left without a volume
 * keeps its pod Pending) and by the existing-cluster isolation, which pre-binds each volume to its claim.
 */
export function claimBindings(set: ManifestSet): ClaimBinding[] {
  const bindings: ClaimBinding[] = [];
  const pvs = objectsOfKind(set, 'PersistentVolume');
  const taken = new Set<ManifestObject>();
  for (const sts of objectsOfKind(set, 'StatefulSet')) {
    const replicas = valueAt(sts.body, ['spec', 'replicas']) ?? 1;
    if (typeof replicas !== 'number') continue; // schema reports it
    arrayAt(sts.body, ['spec', 'volumeClaimTemplates']).forEach((template, t) => {
      const storageClass = claimClass(set, template);
      if (storageClass === undefined) return; // the cluster's default class: not in the manifests
      const sc = storageClassNamed(set, storageClass);
      const candidates = pvs.filter((pv) => pvClass(pv) === storageClass);
      // Only classes served by pre-created volumes can be dry-run: a dynamic class creates what is missing.
      if (sc ? !isStaticOnly(sc) : candidates.length === 0) return;
      const requestText = scalarText(valueAt(template, ['spec', 'resources', 'requests', 'storage']));
      const base = {
        namespace: namespaceOf(sts),
        storageClass,
        accessModes: arrayAt(template, ['spec', 'accessModes']).map(String),
        request: parseQuantity(requestText),
        requestText,
        volumeMode: stringAt(template, ['spec', 'volumeMode']) ?? 'Filesystem',
        selector: labelsAt(template, ['spec', 'selector', 'matchLabels']),
      };
      for (let ordinal = 0; ordinal < replicas; ordinal++) {
        const claim: Claim = {
          ...base,
          name: `${stringAt(template, ['metadata', 'name']) ?? ''}-${sts.name}-${ordinal}`,
        };
        const free = candidates.filter((pv) => !taken.has(pv));
        const fitting = free.filter((pv) => mismatch(claim, pv) === undefined);
        // A PV reserved for this claim wins; otherwise the smallest that fits, as the PV controller picks.
        const pick =
          fitting.find((pv) => stringAt(pv.body, ['spec', 'claimRef', 'name']) === claim.name) ??
          fitting.sort(
            (a, b) =>
              (parseQuantity(valueAt(a.body, ['spec', 'capacity', 'storage'])) ?? 0) -
              (parseQuantity(valueAt(b.body, ['spec', 'capacity', 'storage'])) ?? 0),
          )[0];
        const binding = { statefulSet: sts, template: t, claim: claim.name, storageClass, requestText };
        if (pick) {
          taken.add(pick);
          bindings.push({ ...binding, pv: pick });
          continue;
        }
        const why =
          candidates.length === 0
            ? `no PersistentVolume has storageClassName ${storageClass}`
            : free.length === 0
              ? `all ${candidates.length} PersistentVolume(s) of class ${storageClass} are bound to earlier claims`
              : free.map((pv) => `${pv.name}: ${mismatch(claim, pv) ?? 'fits'}`).join('; ');
        bindings.push({ ...binding, why });
      }
    });
  }
  return bindings;
}
