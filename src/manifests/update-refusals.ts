import type { JsonValue, Located, ManifestObject, ManifestSet } from './model.ts';
import { isObject } from './object-path.ts';
import { parseQuantity } from './quantity.ts';

/** A change in the head manifests that the API server refuses as an update of the object the base created. */
export interface UpdateRefusal {
  /** `StatefulSet redis` */
  object: string;
  /** The field that changed, as a path (`spec.volumeClaimTemplates[0].spec.resources.requests.storage`). */
  field: string;
  at: Located;
  /** What the API server answers (422 Invalid), word for word. */
  message: string;
}

/**
 * The StatefulSet spec fields an update may change. Kubernetes' ValidateStatefulSetUpdate
 * (k8s.io/kubernetes pkg/apis/apps/validation/validation.go) copies these from the old object into the new one
 * and refuses the update when the specs still differ; every other spec field (selector, serviceName,
 * volumeClaimTemplates, podManagementPolicy) is immutable.
 */
const STATEFULSET_MUTABLE = new Set([
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
]);

/** The message of that refusal, as the API server of Kubernetes 1.33 and later sends it (seen in kubectl,
 * Helm and Argo CD errors: `StatefulSet.apps "x" is invalid: spec: Forbidden: ...`). */
export function statefulSetForbidden(name: string): string {
  return (
    `StatefulSet.apps "${name}" is invalid: spec: Forbidden: updates to statefulset spec for fields other than ` +
    `'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', ` +
    `'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden`
  );
}

type Path = Array<string | number>;

/**
 * What the API server compares: the spec after its defaults (podManagementPolicy OrderedReady, a claim
 * template's volumeMode Filesystem; a claim template's apiVersion, kind and status are not part of it) with
 * quantities compared by value (Semantic.DeepEqual: 1Gi equals 1024Mi).
 */
function normalized(v: JsonValue | undefined, path: Path): JsonValue | undefined {
  if (Array.isArray(v)) return v.map((x, i) => normalized(x, [...path, i]) ?? null);
  if (!isObject(v)) {
    const parent = path[path.length - 2];
    if ((parent === 'requests' || parent === 'limits') && typeof v === 'string') return parseQuantity(v) ?? v;
    return v;
  }
  const out: Record<string, JsonValue> = {};
  for (const [k, x] of Object.entries(v)) {
    const n = normalized(x, [...path, k]);
    if (n !== undefined && n !== null) out[k] = n;
  }
  if (path.length === 1 && path[0] === 'spec') out.podManagementPolicy ??= 'OrderedReady';
  if (path.length === 3 && path[1] === 'volumeClaimTemplates') {
    delete out.apiVersion;
    delete out.kind;
    delete out.status;
    if (isObject(out.spec)) out.spec = { volumeMode: 'Filesystem', ...out.spec };
  }
  return out;
}

/** The first leaf path where two values differ (a whole subtree when one side lacks it). */
export function firstDifference(a: JsonValue | undefined, b: JsonValue | undefined, path: Path = []): Path | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], [...path, i]);
      if (d) return d;
    }
  }
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const d = firstDifference(a[k], b[k], [...path, k]);
      if (d) return d;
    }
  }
  return path;
}

export function pathText(path: ReadonlyArray<string | number>): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

const key = (o: ManifestObject) => `${o.kind}/${o.namespace ?? ''}/${o.name}`;

/** StatefulSet: an immutable spec field changed (the first one found, in field order). */
function statefulSetRefusal(base: ManifestObject, head: ManifestObject): UpdateRefusal | undefined {
  const a = normalized(base.body.spec, ['spec']);
  const b = normalized(head.body.spec, ['spec']);
  if (!isObject(a) || !isObject(b)) return undefined;
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (STATEFULSET_MUTABLE.has(k)) continue;
    const d = firstDifference(a[k], b[k], ['spec', k]);
    if (d)
      return {
        object: `StatefulSet ${head.name}`,
        field: pathText(d),
        at: head.locate(d),
        message: statefulSetForbidden(head.name),
      };
  }
  return undefined;
}

/**
 * ConfigMap and Secret with `immutable: true`: ValidateConfigMapUpdate / ValidateSecretUpdate
 * (k8s.io/kubernetes pkg/apis/core/validation) forbid any change of its data, and of `immutable` itself.
 */
function immutableDataRefusal(base: ManifestObject, head: ManifestObject): UpdateRefusal | undefined {
  if (base.body.immutable !== true) return undefined;
  const kind = base.kind;
  for (const field of ['immutable', 'data', 'binaryData', ...(kind === 'Secret' ? ['stringData'] : [])]) {
    if (JSON.stringify(base.body[field]) !== JSON.stringify(head.body[field])) {
      return {
        object: `${kind} ${head.name}`,
        field,
        at: head.locate([field]),
        message: `${kind} "${head.name}" is invalid: ${field}: Forbidden: field is immutable when \`immutable\` is set`,
      };
    }
  }
  return undefined;
}

/**
 * What the API server refuses when the head manifests are applied over the objects the base ones created
 * (matched by kind, namespace and name, as `kubectl apply` matches them). Objects only in the head are created
 * and refused for nothing here.
 */
export function refusedUpdates(base: ManifestSet, head: ManifestSet): UpdateRefusal[] {
  const before = new Map(base.objects.map((o) => [key(o), o]));
  const refusals: UpdateRefusal[] = [];
  for (const h of head.objects) {
    const b = before.get(key(h));
    if (!b) continue;
    const r =
      h.kind === 'StatefulSet'
        ? statefulSetRefusal(b, h)
        : h.kind === 'ConfigMap' || h.kind === 'Secret'
          ? immutableDataRefusal(b, h)
          : undefined;
    if (r) refusals.push(r);
  }
  return refusals;
}
