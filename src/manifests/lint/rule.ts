import type { JsonValue, Located, ManifestObject, ManifestSet, RedisDeployment } from '../model.ts';
import { isObject, type Path } from '../object-path.ts';

// The path helpers and the set queries every rule uses, from the manifests layer.
export { arrayAt, isObject, labelsAt, stringAt, valueAt, type Path } from '../object-path.ts';
export { namespaceOf, objectsOfKind } from '../object-path.ts';
export { labelSelectorMatches, selects } from '../selectors.ts';

export type Severity = 'error' | 'warning' | 'info';

/** Every severity, the most severe first (the order reports list them in). */
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

export interface LintFinding {
  rule: string;
  severity: Severity;
  message: string;
  /** Why it matters for a Redis Cluster and how to fix it. */
  fix: string;
  at?: Located;
}

/** What every rule sees: the manifests, the target cluster, and the Redis view when the manifests have one. */
export interface LintContext {
  set: ManifestSet;
  kubernetes: KubernetesVersion;
  /** Kubernetes nodes the pods will be spread over; undefined when unknown (the lint command), and then the
   * rules that depend on it say nothing rather than assume a number. */
  nodes?: number;
  masters?: number;
  replicasPerMaster?: number;
  /** Undefined when the manifests hold no usable Redis StatefulSet (the `redis-statefulset` rule says why). */
  redis?: RedisDeployment;
}

export interface KubernetesVersion {
  major: number;
  minor: number;
  text: string;
}

/** One check. Adding a rule is a module exporting one of these, listed in index.ts, with a fixture pair. */
export interface LintRule {
  /** Stable id: shown to users, used as the annotation title, never renamed. */
  id: string;
  /** One line: what the rule looks for (the --help and the docs list these). */
  summary: string;
  check(ctx: LintContext): LintFinding[];
}

/** A finding pointing at `path` in `obj` (or at its nearest existing ancestor). */
export function findingAt(
  rule: string,
  severity: Severity,
  obj: ManifestObject,
  path: Path,
  message: string,
  fix: string,
): LintFinding {
  return { rule, severity, message, fix, at: obj.locate(path) };
}

/** Every string in a value, with its path, depth first in document order. */
export function* stringsIn(value: JsonValue, path: Path = []): Generator<[Path, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (let i = 0; i < value.length; i++) yield* stringsIn(value[i]!, [...path, i]);
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) yield* stringsIn(v, [...path, k]);
}
