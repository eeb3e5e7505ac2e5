// The generated models only: the package's index also loads its HTTP clients (~1 s of imports), which lint
// does not need.
import * as models from '@kubernetes/client-node/dist/gen/models/all.js';
import type { JsonValue } from './model.ts';

/** A field the API server's schema does not declare, where it was written, and the closest declared name. */
export interface UnknownField {
  /** Path from the object's root, ending with the unknown field. */
  path: Array<string | number>;
  field: string;
  /** The declared field nearest in spelling, when one is near enough to be a likely typo. */
  suggestion?: string;
}

interface Attribute {
  baseName: string;
  type: string;
}
interface Model {
  attributeTypeMap?: Attribute[];
}

// client-node's generated models carry every declared field of every built-in kind (attributeTypeMap, from the
// Kubernetes OpenAPI document the client was generated from): the same set of names a server-side apply with
// fieldValidation=Strict checks an object against.
const registry = models as unknown as Record<string, Model | undefined>;

/** `V1StatefulSet` for apps/v1 StatefulSet, `V1beta1Foo` for x/v1beta1 Foo. */
const modelName = (apiVersion: string, kind: string) => {
  const version = apiVersion.slice(apiVersion.lastIndexOf('/') + 1);
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
};

/** The attribute list of a model type name, or undefined for primitives and free-form values. */
const attributesOf = (type: string): Attribute[] | undefined => registry[type]?.attributeTypeMap;

/** Edit distance (insert, delete, substitute, swap two neighbours): how far a typo is from a name. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The declared name nearest to `field` (case-insensitive first), if within a third of its length. */
export function nearestName(field: string, names: string[]): string | undefined {
  const lower = field.toLowerCase();
  const sameLetters = names.find((n) => n.toLowerCase() === lower);
  if (sameLetters) return sameLetters;
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = distance(lower, name.toLowerCase());
    if (!best || d < best.d) best = { name, d };
  }
  return best && best.d <= Math.max(1, Math.floor(field.length / 3)) ? best.name : undefined;
}

function walk(value: JsonValue | undefined, type: string, path: Array<string | number>, out: UnknownField[]): void {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, array[1]!, [...path, i], out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value === 'object' && !Array.isArray(value))
      for (const [k, v] of Object.entries(value)) walk(v, map[1]!, [...path, k], out);
    return;
  }
  const attributes = attributesOf(type);
  if (!attributes || typeof value !== 'object' || Array.isArray(value)) return; // primitives, IntOrString, any; type errors are the schema rule's
  const declared = attributes.map((a) => a.baseName);
  for (const [key, v] of Object.entries(value)) {
    const attribute = attributes.find((a) => a.baseName === key);
    if (attribute) walk(v, attribute.type, [...path, key], out);
    else out.push({ path: [...path, key], field: key, suggestion: nearestName(key, declared) });
  }
}

/** Whether the kind has a model to check against (other kinds, custom resources included, are not checked). */
/**
 * True when client-node has a model named for `kind` at the version of `apiVersion`, in any group: `V1Pod`, or
 * with the group prefix it uses where two groups share a name (`CoreV1Event`, `EventsV1Event`).
 */
export function hasKindModel(apiVersion: string, kind: string): boolean {
  const name = modelName(apiVersion, kind);
  if (registry[name]) return true;
  return Object.keys(registry).some((k) => k.endsWith(name) && /^[A-Z][A-Za-z]*$/.test(k.slice(0, -name.length)));
}

export const hasFieldModel = (apiVersion: string, kind: string): boolean =>
  attributesOf(modelName(apiVersion, kind)) !== undefined;

/** Every field of `body` its kind's schema does not declare, in document order. */
export function unknownFields(apiVersion: string, kind: string, body: JsonValue): UnknownField[] {
  const out: UnknownField[] = [];
  if (hasFieldModel(apiVersion, kind)) walk(body, modelName(apiVersion, kind), [], out);
  return out;
}

/** `.spec.template.spec.containers[0].portz`: a path as the API server prints it in field errors. */
export const fieldPath = (path: ReadonlyArray<string | number>): string =>
  path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
