import type { EnvVar, JsonObject, ManifestObject, ManifestSet } from './model.ts';
import { objectAt, objectsAt, scalarText, type Path } from './object-path.ts';

/**
 * The container's env as the kubelet builds it (pkg/kubelet/kubelet_pods.go, makeEnvironmentVariables): every
 * key of each envFrom source first (with its prefix; keys that are no valid variable name skipped, as the kubelet
 * does), then `env` (a later entry of the same name wins: env overrides envFrom). Literals, downward-API fields,
 * and Secret / ConfigMap keys read from the manifests; an `optional` reference to what is not there sets nothing.
 */
export function resolveEnv(set: ManifestSet, sts: ManifestObject, c: JsonObject, containerPath: Path): EnvVar[] {
  return [...envFromSources(set, sts, c, containerPath), ...envEntries(set, sts, c, containerPath)];
}

/** The variables of the container's envFrom sources. */
function envFromSources(set: ManifestSet, sts: ManifestObject, c: JsonObject, containerPath: Path): EnvVar[] {
  return objectsAt(c, ['envFrom']).flatMap((src, i): EnvVar[] => {
    for (const [refKey, kind] of [
      ['secretRef', 'Secret'],
      ['configMapRef', 'ConfigMap'],
    ] as const) {
      const ref = objectAt(src, [refKey]);
      if (!Object.keys(ref).length) continue;
      const objName = scalarText(ref.name);
      const prefix = typeof src.prefix === 'string' ? src.prefix : '';
      const at = sts.locate([...containerPath, 'envFrom', i]);
      const secret = kind === 'Secret';
      if (!set.objects.some((o) => o.kind === kind && o.name === objName)) {
        // A required source that is missing: the pod cannot start (containerEnv says so when it is run).
        // `optional` belongs to the reference (ConfigMapEnvSource, SecretEnvSource), not to the envFrom entry.
        return ref.optional === true
          ? []
          : [{ name: `${prefix}*`, from: { description: `every key of ${kind} ${objName} (envFrom)`, secret, at } }];
      }
      return Object.entries(dataOf(set, kind, objName))
        .filter(([key]) => ENV_VAR_NAME.test(prefix + key))
        .map(([key, value]) => ({
          name: prefix + key,
          value,
          from: { description: `${kind} ${objName} key ${key} (envFrom)`, secret, at },
        }));
    }
    return [];
  });
}

/** The variables of the container's `env` list. */
function envEntries(set: ManifestSet, sts: ManifestObject, c: JsonObject, containerPath: Path): EnvVar[] {
  return objectsAt(c, ['env']).flatMap((e, i): EnvVar[] => {
    const name = scalarText(e.name);
    const fieldRef = objectAt(e, ['valueFrom', 'fieldRef']).fieldPath;
    if (typeof fieldRef === 'string') return [{ name, fieldRef }];
    for (const [refKey, kind] of [
      ['secretKeyRef', 'Secret'],
      ['configMapKeyRef', 'ConfigMap'],
    ] as const) {
      const ref = objectAt(e, ['valueFrom', refKey]);
      if (!Object.keys(ref).length) continue;
      const objName = scalarText(ref.name);
      const key = scalarText(ref.key);
      const value = dataOf(set, kind, objName)[key];
      if (value === undefined && ref.optional === true) return [];
      const from = {
        description: `${kind} ${objName} key ${key}`,
        secret: kind === 'Secret',
        at: sts.locate([...containerPath, 'env', i, 'valueFrom']),
      };
      return [{ name, ...(value !== undefined ? { value } : {}), from }];
    }
    return [{ name, ...(typeof e.value === 'string' ? { value: e.value } : {}) }];
  });
}

/** A name envFrom may set (k8s.io/apimachinery validation.IsEnvVarName): the kubelet skips other keys. */
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** A ConfigMap's data, or a Secret's data (base64-decoded) and stringData, by key; {} when not among the manifests. */
export function dataOf(set: ManifestSet, kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> {
  const o = set.objects.find((x) => x.kind === kind && x.name === name);
  if (!o) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(objectAt(o.body, ['data']))) {
    if (typeof v === 'string') out[k] = kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
  }
  if (kind === 'Secret')
    for (const [k, v] of Object.entries(objectAt(o.body, ['stringData']))) if (typeof v === 'string') out[k] = v;
  return out;
}
