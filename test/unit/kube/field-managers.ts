import type { JsonObject, JsonValue } from '../../../src/manifests/model.ts';
import { scalarText } from '../../../src/manifests/object-path.ts';

/**
 * Server-side apply's field ownership (https://kubernetes.io/docs/reference/using-api/server-side-apply/),
 * reduced to what this project's objects need. Each manager (a name and an operation: Apply or Update) owns a
 * set of fields, kept in metadata.managedFields (fieldsType FieldsV1, `{"f:spec":{"f:replicas":{}}}`).
 * - An apply by manager M owns exactly the fields of its configuration; a field M owned before and no longer
 *   applies is removed from the object unless another manager owns it too.
 * - A field that M applies with a value other than the object's, while another manager owns it, is a conflict:
 *   409 with the apimachinery Status (k8s.io/apimachinery/pkg/util/managedfields/internal/conflict.go,
 *   NewConflictError: "Apply failed with 1 conflict: conflict with \"m\": .spec.replicas", causes of type
 *   FieldManagerConflict), unless the apply forces (then M takes the fields over).
 * - An update (merge patch, PUT) never conflicts: its manager takes the fields it changed.
 * Simplification: lists are owned whole (atomic), where the real server keys lists such as containers by their
 * merge key; fields are compared by value.
 */

const isObj = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const TOP_LEVEL_IGNORED = new Set(['apiVersion', 'kind', 'status']);
const METADATA_IGNORED = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'generation',
  'managedFields',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
]);

/** A field's keys, JSON-encoded (keys may hold dots: `app.kubernetes.io/name`, `redis.conf`). */
type FieldKey = string;
const keysOf = (f: FieldKey) => JSON.parse(f) as string[];
/** How fieldpath.Path prints a field: `.spec.replicas`. */
const shown = (f: FieldKey) => `.${keysOf(f).join('.')}`;

/** The fields of `obj`; lists and empty maps are one field each. */
export function fieldsOf(obj: JsonObject): Set<FieldKey> {
  const out = new Set<FieldKey>();
  const walk = (v: JsonValue, at: string[]): void => {
    if (isObj(v) && Object.keys(v).length > 0) {
      for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
    } else out.add(JSON.stringify(at));
  };
  for (const [k, v] of Object.entries(obj)) {
    if (TOP_LEVEL_IGNORED.has(k)) continue;
    if (k === 'metadata' && isObj(v)) {
      for (const [m, x] of Object.entries(v)) if (!METADATA_IGNORED.has(m)) walk(x, ['metadata', m]);
    } else walk(v, [k]);
  }
  return out;
}

function valueAt(obj: JsonValue, path: FieldKey): JsonValue | undefined {
  let v: JsonValue | undefined = obj;
  for (const k of keysOf(path)) v = isObj(v) ? v[k] : undefined;
  return v;
}
function setAt(obj: JsonObject, path: FieldKey, value: JsonValue): void {
  const keys = keysOf(path);
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (!isObj(o[k])) o[k] = {};
    o = o[k];
  }
  o[keys.at(-1)!] = structuredClone(value);
}
function removeAt(obj: JsonObject, path: FieldKey): void {
  const keys = keysOf(path);
  const parents: JsonObject[] = [];
  let o: JsonValue | undefined = obj;
  for (const k of keys.slice(0, -1)) {
    if (!isObj(o)) return;
    parents.push(o);
    o = o[k];
  }
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- removing a field the manager gave up
  if (isObj(o)) delete o[keys.at(-1)!];
  // Maps left empty by the removal go too (they held nothing but the removed field).
  for (let i = parents.length - 1; i >= 0; i--) {
    const key = keys[i]!;
    const child = parents[i]![key];
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- an empty parent map of a removed field
    if (isObj(child) && Object.keys(child).length === 0) delete parents[i]![key];
  }
}
/** Equal as JSON values (map keys in any order: Go clients send them sorted, ours as written). */
const canonical = (v: JsonValue | undefined): string =>
  Array.isArray(v)
    ? `[${v.map(canonical).join(',')}]`
    : isObj(v)
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
          .join(',')}}`
      : JSON.stringify(v);
export const same = (a: JsonValue | undefined, b: JsonValue | undefined) => canonical(a) === canonical(b);

interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fields: Set<FieldKey>;
}

function toFieldsV1(fields: Set<FieldKey>): JsonObject {
  const root: JsonObject = {};
  for (const p of fields) {
    let o = root;
    for (const k of keysOf(p)) {
      const key = `f:${k}`;
      if (!isObj(o[key])) o[key] = {};
      o = o[key];
    }
  }
  return root;
}
function fromFieldsV1(v: JsonObject, at: string[] = []): FieldKey[] {
  const keys = Object.keys(v).filter((k) => k.startsWith('f:'));
  if (keys.length === 0) return at.length ? [JSON.stringify(at)] : [];
  return keys.flatMap((k) => fromFieldsV1(v[k] as JsonObject, [...at, k.slice(2)]));
}

function managersOf(obj: JsonObject | undefined): Manager[] {
  const meta = obj && isObj(obj.metadata) ? obj.metadata : {};
  const entries = Array.isArray(meta.managedFields) ? meta.managedFields.filter(isObj) : [];
  return entries.map((e) => ({
    manager: scalarText(e.manager),
    operation: e.operation === 'Apply' ? 'Apply' : 'Update',
    apiVersion: scalarText(e.apiVersion),
    time: scalarText(e.time),
    fields: new Set(fromFieldsV1(isObj(e.fieldsV1) ? e.fieldsV1 : {})),
  }));
}
function withManagers(obj: JsonObject, managers: Manager[]): JsonObject {
  const meta = isObj(obj.metadata) ? obj.metadata : {};
  meta.managedFields = managers
    .filter((m) => m.fields.size > 0)
    .map((m) => ({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      time: m.time,
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(m.fields),
    }));
  obj.metadata = meta;
  return obj;
}
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** printManager: an apply manager by its name, an update manager with its apiVersion and time. */
const printed = (m: Manager) =>
  m.operation === 'Update' ? `"${m.manager}" using ${m.apiVersion} at ${m.time}` : `"${m.manager}"`;

/** NewConflictError's message and details for these conflicts (the Status is 409, reason Conflict). */
function conflictStatus(conflicts: Array<{ manager: Manager; path: FieldKey }>) {
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printed(conflicts[0]!.manager)}: ${shown(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, { m: Manager; paths: string[] }>();
    for (const c of conflicts) {
      const key = printed(c.manager);
      byManager.set(key, { m: c.manager, paths: [...(byManager.get(key)?.paths ?? []), shown(c.path)] });
    }
    const lines = [...byManager.keys()]
      .sort()
      .flatMap((k) => [`conflicts with ${k}:`, ...byManager.get(k)!.paths.map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return {
    message,
    details: {
      causes: conflicts.map((c) => ({
        reason: 'FieldManagerConflict',
        message: `conflict with ${printed(c.manager)}`,
        field: shown(c.path),
      })),
    } as JsonObject,
  };
}

/**
 * A server-side apply of `applied` by `manager` onto `existing` (undefined: a create). Returns the object to
 * store (with its managedFields) or the 409 conflict Status.
 */
export function applyAs(
  existing: JsonObject | undefined,
  applied: JsonObject,
  opts: { manager: string; apiVersion: string; force: boolean },
): { object: JsonObject } | { conflict: ReturnType<typeof conflictStatus> } {
  const managers = managersOf(existing);
  const mine = fieldsOf(applied);
  const self = managers.find((m) => m.manager === opts.manager && m.operation === 'Apply');
  const others = managers.filter((m) => m !== self);
  const conflicts = [...mine].flatMap((path) =>
    others
      .filter((m) => m.fields.has(path) && existing && !same(valueAt(existing, path), valueAt(applied, path)))
      .map((manager) => ({ manager, path })),
  );
  if (conflicts.length > 0 && !opts.force) return { conflict: conflictStatus(conflicts) };
  for (const { manager, path } of conflicts) manager.fields.delete(path);
  const object = structuredClone(existing ?? {});
  for (const p of self?.fields ?? []) {
    if (!mine.has(p) && !others.some((m) => m.fields.has(p))) removeAt(object, p);
  }
  for (const p of mine) setAt(object, p, valueAt(applied, p)!);
  for (const k of ['apiVersion', 'kind']) if (applied[k] !== undefined) object[k] = applied[k]!;
  // The object's identity is not a managed field; it comes with every apply.
  const meta = isObj(object.metadata) ? object.metadata : (object.metadata = {});
  const appliedMeta = isObj(applied.metadata) ? applied.metadata : {};
  for (const k of ['name', 'namespace']) if (appliedMeta[k] !== undefined) meta[k] = appliedMeta[k]!;
  const entry: Manager = {
    manager: opts.manager,
    operation: 'Apply',
    apiVersion: opts.apiVersion,
    time: now(),
    fields: mine,
  };
  return { object: withManagers(object, [...others, entry]) };
}

/** An update (merge patch, PUT) by `manager`: it takes the fields whose value changed; no conflict is possible. */
export function updateAs(old: JsonObject, next: JsonObject, opts: { manager: string; apiVersion: string }): JsonObject {
  const managers = managersOf(old);
  const changed = [...fieldsOf(next)].filter((p) => !same(valueAt(old, p), valueAt(next, p)));
  if (changed.length === 0) return withManagers(next, managers);
  for (const m of managers) for (const p of changed) m.fields.delete(p);
  let entry = managers.find((m) => m.manager === opts.manager && m.operation === 'Update');
  if (!entry) {
    entry = { manager: opts.manager, operation: 'Update', apiVersion: opts.apiVersion, time: now(), fields: new Set() };
    managers.push(entry);
  }
  entry.time = now();
  for (const p of changed) entry.fields.add(p);
  return withManagers(next, managers);
}
