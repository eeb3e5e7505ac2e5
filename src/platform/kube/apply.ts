import { InputError, isUnservedPath, placed, type KubeApiError } from '../../errors.ts';
import { isObject, valueAt, type Path } from '../../manifests/object-path.ts';
import type { JsonObject, JsonValue, Located } from '../../manifests/model.ts';
import type { Log } from '../../util/log.ts';
import { isNotFound, toKubeApiError, type ObjectApi } from './api.ts';
import { parseFieldPath } from './field-path.ts';
import { RUN_LABEL } from './run-names.ts';

export interface ApplyItem {
  body: JsonObject;
  /** Where the object was written, for errors. */
  at: Located;
  /** Where a field of it was written (ManifestObject.locate), to point a refusal at the field it names. */
  locate?: (path: Path) => Located;
}

export interface AppliedRef {
  apiVersion: string;
  kind: string;
  name: string;
  /** Absent for cluster-scoped objects. */
  namespace?: string;
  /** Did not exist before this run applied it (only known for objects checked under an Ownership). */
  created: boolean;
}

// What others depend on goes first, so fewer pods start before their config, class or volume exists.
const ORDER = ['Namespace', 'StorageClass', 'PersistentVolume', 'ConfigMap', 'Secret', 'ServiceAccount', 'Service'];
const rank = (kind: string) => (ORDER.includes(kind) ? ORDER.indexOf(kind) : ORDER.length);

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const asObject = (v: JsonValue | undefined): JsonObject | undefined => (isObject(v) ? v : undefined);

/**
 * The object as it goes to this run's cluster: namespaced kinds in `namespace` (whatever the manifest said),
 * cluster-scoped kinds without one, and a PV's claimRef pointing at the claim in `namespace`.
 */
export function placeObject(body: JsonObject, namespaced: boolean, namespace: string): JsonObject {
  const placed = structuredClone(body);
  const metadata = asObject(placed.metadata) ?? {};
  placed.metadata = metadata;
  if (namespaced) metadata.namespace = namespace;
  else delete metadata.namespace;
  const claimRef = placed.kind === 'PersistentVolume' ? asObject(asObject(placed.spec)?.claimRef) : undefined;
  if (claimRef) claimRef.namespace = namespace;
  return placed;
}

/**
 * Where a refusal points in the manifest: the first field the server names in its causes (422 Invalid,
 * 409 conflict) that the manifest holds, else the object.
 */
function refusedAt(e: KubeApiError, item: ApplyItem): Located {
  for (const cause of e.causes) {
    const field = /^([^:]+): /.exec(cause)?.[1];
    const p = field === undefined ? undefined : parseFieldPath(field);
    if (p && item.locate && valueAt(item.body, p.slice(0, 1)) !== undefined) return item.locate(p);
  }
  return item.at;
}

function applyError(err: unknown, item: ApplyItem, what: string): Error {
  const e = toKubeApiError(err, undefined);
  const at = refusedAt(e, item);
  return placed(refusal(e, item, what, `${at.file}:${at.line}`), at);
}

function refusal(e: KubeApiError, item: ApplyItem, what: string, where: string): Error {
  const causes = e.causes.length ? `\n  - ${e.causes.join('\n  - ')}` : '';
  switch (e.code) {
    case 400:
      // fieldValidation=Strict: an unknown field is a 400 BadRequest (not 422), the manifest's fault.
      return new InputError(`${where}: ${what} was rejected by the API server (400): ${e.serverMessage}${causes}`, {
        cause: e,
      });
    case 401:
    case 403:
      // Refused identity or right: e.message names the verb, resource and namespace refused.
      return e.rephrased(`${where}: ${what} could not be applied: ${e.message}`);
    case 404:
      if (isUnservedPath(e)) {
        return new InputError(
          `${where}: ${what}: this cluster does not serve ${str(item.body.apiVersion)} ${str(item.body.kind)} (404); use an apiVersion it serves (kubectl api-resources lists them)`,
          { cause: e },
        );
      }
      return e.rephrased(`${where}: ${what} could not be applied: not found (404): ${e.serverMessage}`);
    case 409:
      return e.rephrased(`${where}: ${what} could not be applied: conflict (409): ${e.serverMessage}${causes}`);
    case 422:
      return new InputError(`${where}: ${what} was rejected as invalid (422): ${e.serverMessage}${causes}`, {
        cause: e,
      });
    default:
      return e.rephrased(
        `${where}: ${what} could not be applied (${e.code === undefined ? 'no HTTP response' : `HTTP ${e.code}`}): ${e.serverMessage}`,
      );
  }
}

/** How a run on a shared cluster keeps its hands off objects it did not create. */
export interface Ownership {
  /** The run label's value (see RUN_LABEL): an existing object carrying it is this run's own. */
  runId: string;
  /** Whether an object is checked before it is applied (cluster-scoped ones, and all in a namespace the run
   * did not create). */
  guarded(namespaced: boolean): boolean;
  /** Called before a guarded object that does not exist yet is created (record its undo here). */
  beforeCreate(ref: AppliedRef): Promise<void>;
}

/**
 * Server-side applies every item (see ObjectApi.apply), dependencies first. With `ownership`, each guarded
 * object is read first: one that exists without this run's label is refused (never taken over), one that does
 * not is announced to beforeCreate and marked `created`. Throws on the first failure, naming the object and
 * its file:line.
 */
export async function applyObjects(
  objects: ObjectApi,
  items: ApplyItem[],
  namespace: string,
  /** onApplied: each object as it is applied (and a new one whose apply failed, which may exist all the same). */
  opts: { log: Log; ownership?: Ownership; onApplied?: (ref: AppliedRef) => void },
): Promise<AppliedRef[]> {
  const applied: AppliedRef[] = [];
  const sorted = items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => rank(str(a.item.body.kind)) - rank(str(b.item.body.kind)) || a.i - b.i);
  for (const { item } of sorted) {
    const apiVersion = str(item.body.apiVersion);
    const kind = str(item.body.kind);
    const name = str(asObject(item.body.metadata)?.name);
    const what = `${kind} ${name}`;
    const namespaced = await objects.isNamespaced(apiVersion, kind).catch((err: unknown) => {
      throw applyError(err, item, what);
    });
    if (namespaced === undefined) {
      throw new InputError(
        `${item.at.file}:${item.at.line}: ${what}: this cluster does not serve ${apiVersion} ${kind}; use an apiVersion it serves (kubectl api-resources lists them)`,
      );
    }
    const body = placeObject(item.body, namespaced, namespace);
    const ref: AppliedRef = { apiVersion, kind, name, ...(namespaced ? { namespace } : {}), created: false };
    const { ownership } = opts;
    if (ownership?.guarded(namespaced)) {
      const existing = await objects
        .read({ apiVersion, kind, metadata: { name, ...(namespaced ? { namespace } : {}) } })
        .then(
          (o) => o,
          (err: unknown) => {
            if (isNotFound(err)) return undefined;
            throw applyError(err, item, `reading ${what} (is the name free?)`);
          },
        );
      if (existing && existing.metadata?.labels?.[RUN_LABEL] !== ownership.runId) {
        throw new Error(
          `${item.at.file}:${item.at.line}: ${what} already exists${namespaced ? ` in namespace ${namespace}` : ' on the cluster'} and is not this run's ` +
            `(no label ${RUN_LABEL}=${ownership.runId}); the run does not take over objects it did not create. Use another namespace, or remove or rename that object.`,
        );
      }
      if (!existing) {
        await ownership.beforeCreate(ref);
        ref.created = true;
      }
    }
    try {
      await objects.apply(body);
    } catch (err) {
      // An object announced as new may exist all the same (the answer was lost): teardown deletes it, idempotently.
      if (ref.created) opts.onApplied?.(ref);
      throw applyError(err, item, what);
    }
    opts.log.info(`applied ${what}${namespaced ? ` in ${namespace}` : ''}`);
    applied.push(ref);
    opts.onApplied?.(ref);
  }
  return applied;
}
