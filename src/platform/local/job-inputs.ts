import fs from 'node:fs';
import path from 'node:path';
import { dataOf } from '../../manifests/env.ts';
import type { JsonObject, ManifestObject, ManifestSet } from '../../manifests/model.ts';
import { isObject, namespaceOf, objectAt, objectsAt, scalarText, valueAt } from '../../manifests/object-path.ts';
import { expandVars, fieldValue } from './expand.ts';

/** Host directories of the pod's volumes by name (ConfigMap/Secret files written with their modes; `<name>:ro`
 * marks the read-only ones, as Kubernetes mounts them). */
export function prepareVolumes(
  spec: JsonObject,
  podDir: string,
  deps: { set: ManifestSet; inside: (p: string, what: string) => string },
): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of objectsAt(spec, ['volumes'])) {
    const name = scalarText(v.name);
    const dir = deps.inside(path.join(podDir, 'volumes', name), `volume ${name}`);
    const ref = isObject(v.configMap) ? v.configMap : isObject(v.secret) ? v.secret : undefined;
    if (ref) {
      // Projected anew for every start, as the kubelet keeps them in step with the object.
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      const kind = isObject(v.configMap) ? 'ConfigMap' : 'Secret';
      const data = dataOf(deps.set, kind, scalarText(kind === 'Secret' ? ref.secretName : ref.name));
      const mode = typeof ref.defaultMode === 'number' ? ref.defaultMode : 0o644;
      const items = objectsAt(ref, ['items']);
      const entries = items.length
        ? items.map(
            (it) => [scalarText(it.key), scalarText(it.path), typeof it.mode === 'number' ? it.mode : mode] as const,
          )
        : Object.keys(data).map((k) => [k, k, mode] as const);
      for (const [key, file, m] of entries) {
        const text = data[key];
        if (text === undefined) continue;
        const target = deps.inside(path.join(dir, file), `file ${file} of volume ${name}`);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, text, { mode: m });
        fs.chmodSync(target, m);
      }
      out.set(`${name}:ro`, dir);
    } else fs.mkdirSync(dir, { recursive: true });
    out.set(name, dir);
  }
  return out;
}

/** The container's env: literal values ($(VAR) expanded against earlier ones), downward-API fields, and keys of
 * Secrets and ConfigMaps among the manifests. */
export function jobEnv(set: ManifestSet, obj: ManifestObject, c: JsonObject, podName: string): Map<string, string> {
  const env = new Map<string, string>();
  const fields = { name: podName, namespace: namespaceOf(obj), uid: '', ip: '', labels: {} };
  for (const e of objectsAt(c, ['env'])) {
    const name = scalarText(e.name);
    const field = valueAt(e, ['valueFrom', 'fieldRef', 'fieldPath']);
    const secret = objectAt(e, ['valueFrom', 'secretKeyRef']);
    const config = objectAt(e, ['valueFrom', 'configMapKeyRef']);
    if (typeof field === 'string') env.set(name, fieldValue(field, fields) ?? '');
    else if (secret.key !== undefined)
      env.set(name, dataOf(set, 'Secret', scalarText(secret.name))[scalarText(secret.key)] ?? '');
    else if (config.key !== undefined)
      env.set(name, dataOf(set, 'ConfigMap', scalarText(config.name))[scalarText(config.key)] ?? '');
    else
      env.set(
        name,
        expandVars(scalarText(e.value), (n) => env.get(n)),
      );
  }
  return env;
}
