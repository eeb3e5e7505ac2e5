import { claimBindings, claimClass, DEFAULT_CLASS_ANNOTATION } from '../../manifests/claims.ts';
import { arrayAt, isObject, scalarText, stringAt, valueAt } from '../../manifests/object-path.ts';
import type { JsonObject, ManifestSet } from '../../manifests/model.ts';

/** Every object a run applies on an existing cluster carries this label, with the run's id as its value. */
export const RUN_LABEL = 'redis-cluster-resilience/run';

/** The kinds without a namespace that manifests for a Redis Cluster bring along. */
const CLUSTER_SCOPED = new Set(['StorageClass', 'PersistentVolume']);

export interface RunIsolation {
  /** The bodies to apply (same order as the input). */
  bodies: JsonObject[];
  /** Cluster-scoped objects renamed for this run. */
  renamed: Array<{ kind: string; from: string; to: string }>;
  /** PersistentVolumes pre-bound to a claim of the run (claimRef). */
  bound: Array<{ persistentVolume: string; claim: string }>;
  /** Sentences for the report (what stays where after the run). */
  notes: string[];
}

const labelled = (body: JsonObject, runId: string): void => {
  const metadata = isObject(body.metadata) ? body.metadata : (body.metadata = {});
  const labels = isObject(metadata.labels) ? metadata.labels : (metadata.labels = {});
  labels[RUN_LABEL] = runId;
};

/**
 * Makes a run's objects its own on a cluster shared with others. Cluster-scoped objects (StorageClass,
 * PersistentVolume) are renamed `<name>-<runId>` so that two runs, or a run and whatever the cluster already
 * has under the manifests' names, never meet; references follow (a PV's and a claim's storageClassName, a
 * claim's volumeName). Each PV the PV controller would bind to a claim of the StatefulSet (the same dry run as
 * the pv-binding lint) is pre-bound with spec.claimRef (the claim `<template>-<statefulset>-<ordinal>` in
 * `namespace`), so it cannot be taken by another claim of the cluster. A StorageClass is never applied as the
 * cluster's default (that would change every other claim of the cluster): the annotation is dropped and the
 * claims that relied on it name the class. Every object gets the run label.
 *
 * `bodies[i]` is the object of `set.objects[i]` as it will be applied.
 */
export function isolateRun(
  set: ManifestSet,
  input: JsonObject[],
  opts: { runId: string; namespace: string },
): RunIsolation {
  const bodies = input.map((b) => structuredClone(b));
  const renamed: RunIsolation['renamed'] = [];
  const bound: RunIsolation['bound'] = [];
  const notes: string[] = [];
  const classes = new Map<string, string>();
  const volumes = new Map<string, string>();
  set.objects.forEach((o, i) => {
    if (!CLUSTER_SCOPED.has(o.kind)) return;
    const to = `${o.name}-${opts.runId}`;
    (o.kind === 'StorageClass' ? classes : volumes).set(o.name, to);
    (bodies[i]!.metadata as JsonObject).name = to;
    renamed.push({ kind: o.kind, from: o.name, to });
  });
  const renameClass = (holder: JsonValueHolder, key: string): void => {
    const name = holder?.[key];
    if (typeof name === 'string' && classes.has(name)) holder![key] = classes.get(name)!;
  };

  set.objects.forEach((o, i) => {
    const body = bodies[i]!;
    labelled(body, opts.runId);
    const spec = isObject(body.spec) ? body.spec : undefined;
    switch (o.kind) {
      case 'StorageClass': {
        const annotations = valueAt(body, ['metadata', 'annotations']);
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a fixed annotation key, named once above
        if (isObject(annotations)) delete annotations[DEFAULT_CLASS_ANNOTATION];
        break;
      }
      case 'PersistentVolume':
        renameClass(spec, 'storageClassName');
        break;
      case 'PersistentVolumeClaim':
        renameClass(spec, 'storageClassName');
        if (spec && typeof spec.volumeName === 'string' && volumes.has(spec.volumeName))
          spec.volumeName = volumes.get(spec.volumeName)!;
        break;
      case 'StatefulSet':
        arrayAt(body, ['spec', 'volumeClaimTemplates']).forEach((template, t) => {
          if (!isObject(template)) return;
          const tspec = isObject(template.spec) ? template.spec : (template.spec = {});
          // A template relying on the manifests' default class names it (the class is not the default here).
          if (tspec.storageClassName === undefined) {
            const own = claimClass(set, arrayAt(o.body, ['spec', 'volumeClaimTemplates'])[t]!);
            if (own !== undefined) tspec.storageClassName = own;
          }
          renameClass(tspec, 'storageClassName');
        });
        break;
    }
  });

  for (const b of claimBindings(set)) {
    if (!b.pv) continue;
    const i = set.objects.indexOf(b.pv);
    const spec = bodies[i]!.spec as JsonObject;
    spec.claimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: opts.namespace, name: b.claim };
    bound.push({ persistentVolume: volumes.get(b.pv.name) ?? b.pv.name, claim: b.claim });
  }

  for (const o of set.objects.filter((x) => x.kind === 'PersistentVolume')) {
    // A PersistentVolume created by hand is Retain unless it says otherwise.
    const policy = stringAt(o.body, ['spec', 'persistentVolumeReclaimPolicy']) ?? 'Retain';
    if (policy !== 'Retain') continue;
    const nfs = valueAt(o.body, ['spec', 'nfs']);
    const where = isObject(nfs)
      ? `on the NFS server (${scalarText(nfs.server)}:${scalarText(nfs.path)})`
      : 'on its storage';
    notes.push(
      `PersistentVolume ${volumes.get(o.name) ?? o.name} (from ${o.name}) has reclaimPolicy Retain: the run deletes the volume object, but the ` +
        `Redis data (nodes.conf, AOF) stays ${where}. A later run on the same storage finds it and stops before bootstrap; empty it first.`,
    );
  }
  return { bodies, renamed, bound, notes };
}

type JsonValueHolder = JsonObject | undefined;
