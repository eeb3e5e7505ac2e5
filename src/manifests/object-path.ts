import type { JsonObject, JsonValue, ManifestObject, ManifestSet } from './model.ts';

/** A path into a parsed YAML/JSON value: object keys and array indexes. */
export type Path = ReadonlyArray<string | number>;

export function isObject(v: JsonValue | undefined): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The value at `path` (a key for an object, an index for an array), or undefined where the way is missing. */
export function valueAt(root: JsonValue | undefined, path: Path): JsonValue | undefined {
  let v = root;
  for (const seg of path) {
    if (Array.isArray(v) && typeof seg === 'number') v = v[seg];
    else if (isObject(v) && typeof seg === 'string') v = v[seg];
    else return undefined;
  }
  return v;
}

export function stringAt(root: JsonValue | undefined, path: Path): string | undefined {
  const v = valueAt(root, path);
  return typeof v === 'string' ? v : undefined;
}

/** A scalar's text as the manifest wrote it (numbers and booleans too), '' when absent, JSON for a map or a list. */
export function scalarText(v: JsonValue | undefined): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function arrayAt(root: JsonValue | undefined, path: Path): JsonValue[] {
  const v = valueAt(root, path);
  return Array.isArray(v) ? v : [];
}

/** String-valued labels (matchLabels, metadata.labels). */
export function labelsAt(root: JsonValue | undefined, path: Path): Record<string, string> {
  const v = valueAt(root, path);
  if (!isObject(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export function objectsOfKind(set: ManifestSet, kind: string): ManifestObject[] {
  return set.objects.filter((o) => o.kind === kind);
}

export function namespaceOf(obj: ManifestObject): string {
  return obj.namespace ?? 'default';
}

/** The object at `path`, or {} where it is missing or not an object (lint reports the shape). */
export function objectAt(root: JsonValue | undefined, path: Path): JsonObject {
  const v = valueAt(root, path);
  return isObject(v) ? v : {};
}

/** The objects of the array at `path` (non-objects skipped; lint reports them). */
export function objectsAt(root: JsonValue | undefined, path: Path): JsonObject[] {
  return arrayAt(root, path).filter(isObject);
}

/** The array at `path` as strings (a non-string item as its JSON text). */
export function stringsAt(root: JsonValue | undefined, path: Path): string[] {
  return arrayAt(root, path).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
}
