import type { LintFinding } from '../../report/model.ts';
import type { JsonValue, ManifestObject, ManifestSet } from '../model.ts';
import { parseQuantity } from './quantity.ts';
import { arrayAt, findingAt, labelsAt, namespaceOf, objectsOfKind, stringAt, valueAt, type LintRule } from './rule.ts';
import { isStaticOnly, pvClass, storageClassNamed } from './storage-class.ts';

const ID = 'pv-binding';
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
  if (refName !== undefined && (refName !== claim.name || (stringAt(ref, ['namespace']) ?? 'default') !== claim.namespace)) {
    return `reserved by claimRef for ${stringAt(ref, ['namespace']) ?? 'default'}/${refName}`;
  }
  const modes = arrayAt(pv.body, ['spec', 'accessModes']).map(String);
  const missing = claim.accessModes.filter((m) => !modes.includes(m));
  if (missing.length > 0) return `access modes [${modes.join(', ')}] lack ${missing.join(', ')}`;
  const capacityText = valueAt(pv.body, ['spec', 'capacity', 'storage']);
  const capacity = parseQuantity(capacityText);
  if (capacity === undefined) return `capacity ${JSON.stringify(capacityText ?? null)} is not a quantity`;
  if (claim.request !== undefined && capacity < claim.request) return `capacity ${String(capacityText)} < request ${claim.requestText}`;
  const mode = stringAt(pv.body, ['spec', 'volumeMode']) ?? 'Filesystem';
  if (mode !== claim.volumeMode) return `volumeMode ${mode}, claim wants ${claim.volumeMode}`;
  const labels = labelsAt(pv.body, ['metadata', 'labels']);
  if (!Object.entries(claim.selector).every(([k, v]) => labels[k] === v)) return 'labels do not match the claim selector';
  return undefined;
}

/** The class a claim ends up with: its own, else the default class among the manifests (else unknown). */
export function claimClass(set: ManifestSet, template: JsonValue): string | undefined {
  const own = stringAt(template, ['spec', 'storageClassName']);
  if (own !== undefined) return own;
  return objectsOfKind(set, 'StorageClass').find((sc) => stringAt(sc.body, ['metadata', 'annotations', DEFAULT_CLASS_ANNOTATION]) === 'true')?.name;
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
      const requestText = String(valueAt(template, ['spec', 'resources', 'requests', 'storage']) ?? '');
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
        const claim: Claim = { ...base, name: `${stringAt(template, ['metadata', 'name']) ?? ''}-${sts.name}-${ordinal}` };
        const free = candidates.filter((pv) => !taken.has(pv));
        const fitting = free.filter((pv) => mismatch(claim, pv) === undefined);
        // A PV reserved for this claim wins; otherwise the smallest that fits, as the PV controller picks.
        const pick =
          fitting.find((pv) => stringAt(pv.body, ['spec', 'claimRef', 'name']) === claim.name) ??
          fitting.sort((a, b) => (parseQuantity(valueAt(a.body, ['spec', 'capacity', 'storage'])) ?? 0) - (parseQuantity(valueAt(b.body, ['spec', 'capacity', 'storage'])) ?? 0))[0];
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
              : free.map((pv) => `${pv.name}: ${mismatch(claim, pv)}`).join('; ');
        bindings.push({ ...binding, why });
      }
    });
  }
  return bindings;
}

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
          findingAt(ID, 'info', sts, ['spec', 'volumeClaimTemplates', t],
            `StatefulSet ${sts.name}: claim template ${stringAt(template, ['metadata', 'name']) ?? ''} names no storageClassName: ` +
              `each pod's claim is provisioned dynamically by the cluster's default StorageClass`,
            'No PersistentVolumes are needed: kind\'s default class (local-path) and the local platform (a directory ' +
              'per claim, kept across restarts) provision one per claim. A cluster without a default class leaves the ' +
              'claims, and the server pods, Pending: set storageClassName there.'),
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
      findings.push(findingAt(ID, 'error', sts, ['spec', 'volumeClaimTemplates', t],
        `StatefulSet ${sts.name}: claim ${group.map((u) => u.claim).join(', ')} cannot bind (${group[0]!.why})`,
        `Class ${storageClass} only has pre-created volumes, so a claim without a matching PersistentVolume stays ` +
          'Pending and so does its Redis pod (the cluster never forms). Create one PersistentVolume per pod with ' +
          `storageClassName ${storageClass}, the claim's access modes and at least ${requestText || 'the requested size'}.`));
    }
    return findings;
  },
};
