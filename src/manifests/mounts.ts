import path from 'node:path/posix';
import { InputError } from '../errors.ts';
import { dataOf } from './env.ts';
import type { KnownFile } from './launch.ts';
import { locateLineInString } from './load.ts';
import type { JsonObject, JsonValue, ManifestObject, ManifestSet, MountView } from './model.ts';
import { isObject, objectsAt, scalarText, type Path } from './object-path.ts';

/** The mount a container file is on: the one with the longest mount path that holds it. */
export function mountIn(mounts: MountView[], containerFile: string): MountView | undefined {
  const p = path.resolve('/', containerFile);
  return mounts
    .filter((m) => p === m.mountPath || p.startsWith(m.mountPath === '/' ? '/' : `${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
}

/** Where each ConfigMap / Secret volume's files come from, to point at their lines in the manifests. */
const origins = new WeakMap<
  MountView['source'],
  { object: ManifestObject | undefined; keys: Record<string, string> }
>();

/** A container's volumeMounts with what each shows: a claim template's volume, a ConfigMap's files, …. */
export function resolveMounts(
  set: ManifestSet,
  sts: ManifestObject,
  podSpec: JsonObject,
  container: JsonObject,
  containerPath: Path,
  claimTemplateNames: string[],
): MountView[] {
  const volumes = objectsAt(podSpec, ['volumes']);
  return objectsAt(container, ['volumeMounts']).map((m, i) => {
    const name = scalarText(m.name);
    const mountPath = path.resolve('/', scalarText(m.mountPath) || '/');
    const subPath = typeof m.subPath === 'string' && m.subPath ? m.subPath : undefined;
    const base = { name, mountPath, ...(subPath ? { subPath } : {}), readOnly: m.readOnly === true };
    const volume = volumes.find((v) => v.name === name);
    if (!volume) {
      if (claimTemplateNames.includes(name)) return { ...base, source: { type: 'pvc', claimTemplate: name } };
      const l = sts.locate([...containerPath, 'volumeMounts', i, 'name']);
      throw new InputError(
        `${l.file}:${l.line}: volumeMount "${name}" names no volume and no volumeClaimTemplate of StatefulSet ${sts.name}`,
      );
    }
    return { ...base, source: volumeSource(set, volume, name, subPath) };
  });
}

/** What a pod volume holds, for a mount of it. */
function volumeSource(
  set: ManifestSet,
  volume: JsonObject,
  name: string,
  subPath: string | undefined,
): MountView['source'] {
  if (isObject(volume.configMap)) return projectedSource(set, 'ConfigMap', volume.configMap, subPath);
  if (isObject(volume.secret)) return projectedSource(set, 'Secret', volume.secret, subPath);
  if (isObject(volume.emptyDir)) return { type: 'emptyDir' };
  if (isObject(volume.persistentVolumeClaim)) {
    // A claim every pod shares: one volume, not one per pod.
    return {
      type: 'other',
      description: `persistentVolumeClaim ${scalarText(volume.persistentVolumeClaim.claimName)} shared by every pod`,
    };
  }
  const kind = Object.keys(volume).find((k) => k !== 'name') ?? 'unknown';
  return { type: 'other', description: `${kind} volume ${name}` };
}

/** A file mode as the manifest gives it (the loader reads `0755` as octal, as kubectl does), or undefined. */
const modeOf = (v: JsonValue | undefined): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) ? v : undefined;

/** The kubelet writes ConfigMap and Secret files 0644 unless defaultMode or an item's mode says otherwise. */
const DEFAULT_FILE_MODE = 0o644;

/**
 * Files a configMap / secret volume shows: its items (key → path) or every key; a subPath mount of one file
 * shows it as ''.
 */
function projectedSource(
  set: ManifestSet,
  kind: 'ConfigMap' | 'Secret',
  ref: JsonObject,
  subPath: string | undefined,
): MountView['source'] & { files: Record<string, string> } {
  const name = scalarText(kind === 'Secret' ? ref.secretName : ref.name);
  const data = dataOf(set, kind, name);
  const defaultMode = modeOf(ref.defaultMode) ?? DEFAULT_FILE_MODE;
  const items = objectsAt(ref, ['items']);
  const sub = subPath === undefined ? undefined : path.normalize(subPath);
  const files: Record<string, string> = {};
  const modes: Record<string, number> = {};
  const keys: Record<string, string> = {};
  const entries =
    items.length > 0
      ? items.map((it) => [scalarText(it.key), scalarText(it.path), modeOf(it.mode) ?? defaultMode] as const)
      : Object.keys(data).map((k) => [k, k, defaultMode] as const);
  for (const [key, item, mode] of entries) {
    const text = data[key];
    const shown = shownAs(path.normalize(item), sub);
    if (text === undefined || shown === undefined) continue;
    files[shown] = text;
    modes[shown] = mode;
    keys[shown] = key;
  }
  const source =
    kind === 'Secret'
      ? { type: 'secret' as const, secret: name, files, modes }
      : { type: 'configMap' as const, configMap: name, files, modes };
  origins.set(source, { object: set.objects.find((o) => o.kind === kind && o.name === name), keys });
  return source;
}

/** Where a projected file shows under a subPath mount ('' for the file itself), or undefined when not at all. */
function shownAs(file: string, sub: string | undefined): string | undefined {
  if (sub === undefined) return file;
  if (file === sub) return '';
  return file.startsWith(`${sub}/`) ? file.slice(sub.length + 1) : undefined;
}

/** A file on a ConfigMap or Secret mount, with its lines located in the manifest where the key is a `|` block. */
export function knownFile(
  set: ManifestSet,
  mount: MountView | undefined,
  containerFile: string,
): KnownFile | undefined {
  if (mount?.source.type !== 'configMap' && mount?.source.type !== 'secret') return undefined;
  const rel = path.relative(mount.mountPath, path.resolve('/', containerFile));
  const text = mount.source.files[rel];
  if (text === undefined) return undefined;
  const origin = origins.get(mount.source);
  const key = origin?.keys[rel];
  const object = origin?.object;
  const name = mount.source.type === 'configMap' ? mount.source.configMap : mount.source.secret;
  const description = `${mount.source.type === 'configMap' ? 'ConfigMap' : 'Secret'} ${name} key ${key ?? rel}`;
  return {
    text,
    description,
    locateLine: (line) =>
      (object && key !== undefined ? locateLineInString(object, ['data', key], line) : undefined) ??
      (object ? object.locate(['data', key ?? rel]) : { file: set.dir, line: 1, column: 1 }),
  };
}
