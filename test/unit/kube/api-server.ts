import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fieldPath, unknownFields } from '../../../src/manifests/known-fields.ts';
import type { JsonObject, JsonValue } from '../../../src/manifests/model.ts';
import { scalarText } from '../../../src/manifests/object-path.ts';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import { messageOf } from '../../../src/errors.ts';
import { applyAs, updateAs } from './field-managers.ts';
import { invalidStatus, quantityError, statefulSetUpdate, validateObject, type FieldError } from './validation.ts';

/** One request as the fixture API server received it. */
export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string;
  body: string;
  /** The HTTP status the fixture answered (set once it has answered). */
  status?: number;
}
export type Reply = { status: number; body: unknown } | undefined;

// Objects are free-form JSON here, as on the wire; `any` below keeps the controllers readable.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- free-form objects, as on the wire (the comment above) */
export interface Obj {
  metadata: { name: string; namespace?: string; uid: string; [k: string]: any };
  [k: string]: any;
}

interface Resource {
  apiVersion: string;
  group: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export const discovery = JSON.parse(
  readFileSync(new URL('../../fixtures/kube/discovery.json', import.meta.url), 'utf8'),
) as Record<string, { groupVersion?: string; resources?: Array<{ name: string; kind: string; namespaced: boolean }> }>;

const RESOURCES: Resource[] = Object.values(discovery).flatMap((list) =>
  (list.resources ?? []).map((r) => {
    const apiVersion = list.groupVersion!;
    return {
      apiVersion,
      group: apiVersion.includes('/') ? apiVersion.split('/')[0]! : '',
      plural: r.name,
      kind: r.kind,
      namespaced: r.namespaced,
    };
  }),
);
const resourceOfKind = (kind: string) => RESOURCES.find((r) => r.kind === kind)!;
/** `statefulsets.apps` / `pods`: how the API server names a resource in its messages. */
const qualified = (r: Resource) => (r.group ? `${r.plural}.${r.group}` : r.plural);

// ---- Status bodies, as the API server formats them (metav1.Status; k8s.io/apimachinery/pkg/api/errors) ----

/** A failure Status (https://kubernetes.io/docs/reference/using-api/api-concepts/#response-status-kind). */
export function failure(
  code: number,
  reason: string,
  message: string,
  details?: JsonObject,
): { status: number; body: JsonObject } {
  return {
    status: code,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    },
  };
}
const details = (r: Resource, name: string): JsonObject => ({
  name,
  ...(r.group ? { group: r.group } : {}),
  kind: r.plural,
});
/** errors.NewNotFound: `pods "x" not found`, `statefulsets.apps "x" not found`. */
export const notFound = (r: Resource, name: string) =>
  failure(404, 'NotFound', `${qualified(r)} "${name}" not found`, details(r, name));
/** errors.NewAlreadyExists. */
export const alreadyExists = (r: Resource, name: string) =>
  failure(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, details(r, name));
/** errors.NewForbidden, as RBAC and admission plugins answer. */
export const forbidden = (r: Resource, name: string, why: string) =>
  failure(403, 'Forbidden', `${qualified(r)}${name ? ` "${name}"` : ''} is forbidden: ${why}`, details(r, name));
/** errors.NewBadRequest: no details. */
export const badRequest = (message: string) => failure(400, 'BadRequest', message);
/** What the API server answers for a path it does not serve (an unknown group/version or resource). */
export const pageNotFound = () => failure(404, 'NotFound', 'the server could not find the requested resource', {});
/** RBAC's refusal: `User "u" cannot delete resource "pods" in API group "" in the namespace "ns"`. */
export function rbacForbidden(
  verb: string,
  kind: string,
  namespace: string | undefined,
  name = '',
  user = 'system:serviceaccount:ci:runner',
) {
  const r = resourceOfKind(kind);
  const scope = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
  return forbidden(r, name, `User "${user}" cannot ${verb} resource "${r.plural}" in API group "${r.group}"${scope}`);
}
/** An expired or wrong token: the authenticator's 401 (no details). */
export const unauthorized = () => failure(401, 'Unauthorized', 'Unauthorized');

// ---- the store ----

const now = () => new Date().toISOString();
const isObj = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const key = (kind: string, namespace: string | undefined, name: string) => `${kind}|${namespace ?? ''}|${name}`;

/** RFC 7386 JSON merge patch (what application/merge-patch+json means). */
function mergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObj(patch)) return patch;
  const out: JsonObject = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a merge patch's null removes that key (RFC 7386)
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Equality-based label selector (`a=b,c!=d,e`), as list?labelSelector= takes it. */
function matchesLabels(obj: Obj, selector: string | null): boolean {
  if (!selector) return true;
  const labels = (obj.metadata.labels ?? {}) as Record<string, string>;
  return selector.split(',').every((term) => {
    const ne = /^([^!=]+)!=(.*)$/.exec(term);
    if (ne) return labels[ne[1]!] !== ne[2];
    const eq = /^([^=]+)==?(.*)$/.exec(term);
    if (eq) return labels[eq[1]!] === eq[2];
    return term in labels;
  });
}
/** Field selector on dotted paths (`involvedObject.name=x`, `status.phase!=Running`). */
function matchesFields(obj: Obj, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const m = /^([^!=]+)(!=|==?)(.*)$/.exec(term);
    if (!m) return false;
    let v: unknown = obj;
    for (const p of m[1]!.split('.')) v = isObj(v) ? v[p] : undefined;
    return m[2] === '!='
      ? scalarText(v as JsonValue | undefined) !== m[3]
      : scalarText(v as JsonValue | undefined) === m[3];
  });
}

/** An admission check on creation: a failure Status refuses it (as an admission plugin would). */
export type Admission = (server: ApiServer, obj: Obj, r: Resource) => Reply;

/**
 * NamespaceLifecycle admission (enabled by default): nothing is created in a namespace that does not exist
 * (404 for the namespace) or is being deleted (403).
 * https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#namespacelifecycle
 */
export const namespaceLifecycle: Admission = (server, obj, r) => {
  const ns = obj.metadata.namespace;
  if (!r.namespaced || !ns) return undefined;
  const namespace = server.get('Namespace', undefined, ns);
  if (!namespace) return notFound(resourceOfKind('Namespace'), ns);
  if (namespace.metadata.deletionTimestamp) {
    return forbidden(
      r,
      obj.metadata.name,
      `unable to create new content in namespace ${ns} because it is being terminated`,
    );
  }
  return undefined;
};

/**
 * Whether ResourceQuota counts a pod: not in a terminal phase, and not past its deletion grace. Kubernetes'
 * pod quota evaluator (QuotaV1Pod, pkg/quota/v1/evaluator/core/pods.go) counts a terminating pod until
 * deletionTimestamp + deletionGracePeriodSeconds has passed.
 */
export function quotaCountsPod(pod: Obj, at = Date.now()): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const deletion = pod.metadata.deletionTimestamp as string | undefined;
  const grace = pod.metadata.deletionGracePeriodSeconds as number | undefined;
  if (deletion && grace !== undefined && at > Date.parse(deletion) + grace * 1000) return false;
  return true;
}

/**
 * ResourceQuota admission (enabled by default) for the `pods` count: a pod that would take the namespace over a
 * quota's hard `pods` is refused with 403 "exceeded quota".
 * https://kubernetes.io/docs/concepts/policy/resource-quotas/#object-count-quota
 * The plugin reads the quota's *status* (k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go:
 * the limited resources are those of status.hard), so a quota the quota controller has not synced yet (no
 * status.hard) limits nothing.
 */
export const resourceQuota: Admission = (server, obj, r) => {
  if (obj.kind !== 'Pod') return undefined;
  const ns = obj.metadata.namespace;
  for (const quota of server.list('ResourceQuota', ns)) {
    const hard = quota.status?.hard?.pods;
    if (hard === undefined) continue;
    const limited = Number(hard);
    const used = server.list('Pod', ns).filter((p) => quotaCountsPod(p)).length;
    if (used + 1 > limited) {
      return forbidden(
        r,
        obj.metadata.name,
        `exceeded quota: ${quota.metadata.name}, requested: pods=1, used: pods=${used}, limited: pods=${limited}`,
      );
    }
  }
  return undefined;
};

export interface NodeSpec {
  name: string;
  unschedulable?: boolean;
  podCIDR?: string;
  internalIP?: string;
}

/**
 * The API server with the controllers our code relies on, emulated: an object store answering as the real
 * server does (201 on create, Status bodies, Strict field validation, graceful pod deletion), the scheduler,
 * a kubelet whose "process" decides when a Terminating pod goes, the StatefulSet controller and the
 * garbage collector. `admission` runs on every creation (API or controller): add a plugin by pushing to it.
 */
/** The Ready condition's reason when the node lifecycle controller marks a pod not ready (MarkPodsNotReady). */
const NODE_NOT_READY = 'NodeNotReady';

export class ApiServer {
  private objects = new Map<string, Obj>();
  private resourceVersion = 1;
  private ipCounters = new Map<string, number>();
  /** Admission plugins run on every create, in order; the first refusal wins. */
  admission: Admission[] = [namespaceLifecycle, resourceQuota];
  /**
   * The container "process" of a pod being deleted: the pod stays Terminating until this settles (or its
   * grace period runs out, when the kubelet kills it). Default: it exits as soon as it is signalled.
   */
  processExit: (pod: Obj) => Promise<void> = () => Promise.resolve();
  /** The kubelet starting a bound pod's containers; replace it to leave a pod waiting (image pull, crash loop). */
  startPod: (pod: Obj, node: Obj) => void = (pod, node) => this.running(pod, node);
  /** Container logs by pod UID: `current` and, after a restart, `previous`. */
  logs = new Map<string, { current: string; previous?: string }>();
  private exiting = new Set<string>();
  /** How long the quota controller takes to put a new or changed quota's status.hard (see quotaSyncDue). */
  quotaSyncMs = 150;
  private quotaSeen = new Map<string, number>();
  private quotaTimers = new Set<string>();
  /**
   * The StatefulSet controller's work queue per StatefulSet (by UID): a failed sync is requeued with the
   * default controller rate limiter (pkg/controller/statefulset/stateful_set.go: queue.AddRateLimited; per
   * item 5 ms doubling up to 1000 s, client-go workqueue.DefaultControllerRateLimiter), while an event about
   * the StatefulSet or one of its pods enqueues it at once (queue.Add). Forget (reset) on a successful sync.
   */
  private queue = new Map<string, { failures: number; retryAt: number }>();
  private watchers = new Set<(type: string, obj: Obj) => void>();
  /** Watches open now (for a test that checks none is left behind). */
  get watches(): number {
    return this.watchers.size;
  }
  /** Pods (by UID) whose containers the kubelet has started. */
  private started = new Set<string>();
  /**
   * Whether a node's machine runs, so that its kubelet posts its status (a kind test wires it to the stand-in
   * docker's node containers). Default: every node runs.
   */
  nodeUp: (name: string) => boolean = () => true;
  /** Nodes as registered, for a kubelet that registers its Node again after it was deleted. */
  private registered = new Map<string, Obj>();

  constructor(opts: { nodes?: NodeSpec[]; namespaces?: string[] } = {}) {
    for (const ns of opts.namespaces ?? ['default'])
      this.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns }, status: { phase: 'Active' } });
    for (const [i, n] of (opts.nodes ?? [{ name: 'fixture-control-plane' }]).entries()) {
      this.put({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: n.name },
        spec: { podCIDR: n.podCIDR ?? `10.244.${i}.0/24`, ...(n.unschedulable ? { unschedulable: true } : {}) },
        status: {
          addresses: [
            { type: 'InternalIP', address: n.internalIP ?? `172.18.0.${i + 2}` },
            { type: 'Hostname', address: n.name },
          ],
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
        },
      });
      this.registered.set(n.name, structuredClone(this.get('Node', undefined, n.name)!));
    }
  }

  get(kind: string, namespace: string | undefined, name: string): Obj | undefined {
    return this.objects.get(key(kind, namespace, name));
  }

  list(kind: string, namespace?: string): Obj[] {
    return [...this.objects.values()].filter(
      (o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace),
    );
  }

  /** Stores an object as a controller or a test would find it (uid, resourceVersion, timestamps filled in). */
  put(body: JsonObject): Obj {
    const obj = structuredClone(body) as Obj;
    const old = this.get(String(obj.kind), obj.metadata.namespace, obj.metadata.name);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a body as sent has no uid yet; Obj describes stored objects
    obj.metadata.uid ??= old?.metadata.uid ?? randomUUID();
    obj.metadata.creationTimestamp ??= (old?.metadata.creationTimestamp as string | undefined) ?? now();
    obj.metadata.resourceVersion = String(++this.resourceVersion);
    this.objects.set(key(String(obj.kind), obj.metadata.namespace, obj.metadata.name), obj);
    for (const w of this.watchers) w(old ? 'MODIFIED' : 'ADDED', obj);
    return obj;
  }

  /**
   * A watch (GET <list path>?watch=true): each change of a matching object from now on is sent as a watch event
   * {type: ADDED | MODIFIED | DELETED, object}, one JSON document per line, on a response that stays open
   * (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes). Simplified:
   * no replay from the given resourceVersion, no bookmarks. undefined for a path that is not a list.
   */
  watch(req: Recorded, send: (line: string) => void): (() => void) | undefined {
    const url = /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)$/.exec(req.path);
    const r = url && RESOURCES.find((x) => x.apiVersion === (url[1] ?? url[2]) && x.plural === url[4]);
    if (!url || !r) return undefined;
    const watcher = (type: string, obj: Obj) => {
      if (obj.kind !== r.kind || (url[3] !== undefined && obj.metadata.namespace !== url[3])) return;
      if (!matchesLabels(obj, req.query.get('labelSelector')) || !matchesFields(obj, req.query.get('fieldSelector')))
        return;
      send(`${JSON.stringify({ type, object: obj })}\n`);
    };
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  private remove(obj: Obj): void {
    this.objects.delete(key(String(obj.kind), obj.metadata.namespace, obj.metadata.name));
    for (const w of this.watchers) w('DELETED', obj);
    if (obj.kind === 'Pod')
      this.enqueue((obj.metadata.ownerReferences as Array<{ uid: string }> | undefined)?.[0]?.uid);
  }

  /** Records an Event on `obj`, counting repeats as the event correlator does. */
  event(obj: Obj, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void {
    const ns = obj.metadata.namespace ?? 'default';
    const same = this.list('Event', ns).find(
      (e) => e.involvedObject.uid === obj.metadata.uid && e.reason === reason && e.message === message,
    );
    if (same) {
      this.put({ ...same, count: (same.count as number) + 1, lastTimestamp: now() });
      return;
    }
    this.put({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${obj.metadata.name}.${randomUUID().slice(0, 8)}`, namespace: ns },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: ns,
        uid: obj.metadata.uid,
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: now(),
      lastTimestamp: now(),
      source: { component },
    });
  }

  /**
   * Creation through validation and admission, as both the API and the controllers create objects: decoding
   * (quantities: 400), validation (422, validation.ts), then the admission plugins (validating admission runs
   * after validation in the API server's handler chain).
   */
  private admit(obj: Obj, r: Resource): Reply {
    const refused = this.validate(obj, r);
    if (refused) return refused;
    for (const plugin of this.admission) {
      const refused = plugin(this, obj, r);
      if (refused) return refused;
    }
    return undefined;
  }

  /** Decoding and validation of an object about to be stored; `old` for an update (immutable fields). */
  private validate(obj: Obj, r: Resource, old?: Obj): Reply {
    const undecodable = quantityError(r.kind, r.apiVersion.split('/').at(-1)!, obj);
    if (undecodable) return badRequest(undecodable);
    const errors: FieldError[] = validateObject(r.kind, obj);
    if (old && r.kind === 'StatefulSet') errors.push(...statefulSetUpdate(obj, old));
    if (errors.length === 0) return undefined;
    const { message, details: causes } = invalidStatus(r.kind, r.group, obj.metadata.name, errors);
    return failure(422, 'Invalid', message, causes);
  }

  /** The manager of an update (merge patch, PUT): its fieldManager (a client that names none: "unknown"). */
  private updater(req: Recorded, r: Resource): { manager: string; apiVersion: string } {
    return { manager: req.query.get('fieldManager') ?? 'unknown', apiVersion: r.apiVersion };
  }

  // ---- the REST API ----

  /** What GET /version answers (version.Info). */
  version = { major: '1', minor: '36', gitVersion: 'v1.36.1', platform: 'linux/amd64' };

  handle(req: Recorded): Reply {
    if (req.method === 'GET' && req.path === '/version') return { status: 200, body: this.version };
    const url =
      /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(
        req.path,
      );
    if (!url) return undefined;
    const apiVersion = url[1] ?? url[2]!;
    const [namespace, plural, name, sub] = [url[3], url[4]!, url[5], url[6]];
    const r = RESOURCES.find((x) => x.apiVersion === apiVersion && x.plural === plural);
    // An unserved resource of a served group/version: the API server's 404; an unserved group/version falls
    // through to discovery (GET /apis/g/v) and the fixture's own 404.
    if (!r) return discovery[`/${url[1] ? 'api' : 'apis'}/${apiVersion}`] ? pageNotFound() : undefined;
    // Cluster-scoped kinds have no namespaced path; namespaced kinds are listed across namespaces without one.
    if (!r.namespaced && namespace !== undefined) return pageNotFound();
    if (r.namespaced && namespace === undefined && !(name === undefined && req.method === 'GET')) return pageNotFound();
    const result = this.serve(req, r, namespace, name, sub);
    this.reconcile();
    return result;
  }

  private serve(
    req: Recorded,
    r: Resource,
    namespace: string | undefined,
    name: string | undefined,
    sub: string | undefined,
  ): Reply {
    if (sub === 'log' && r.kind === 'Pod' && req.method === 'GET') return this.podLog(req, namespace!, name!);
    if (sub) return pageNotFound();
    if (name === undefined) {
      if (req.method === 'GET') {
        const items = this.list(r.kind, namespace)
          .filter(
            (o) => matchesLabels(o, req.query.get('labelSelector')) && matchesFields(o, req.query.get('fieldSelector')),
          )
          .map((o) => {
            const { apiVersion: _a, kind: _k, ...rest } = o;
            return rest;
          });
        return {
          status: 200,
          body: {
            apiVersion: r.apiVersion,
            kind: `${r.kind}List`,
            metadata: { resourceVersion: String(this.resourceVersion) },
            items,
          },
        };
      }
      if (req.method === 'POST') return this.create(req, r, namespace);
      return failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, {});
    }
    const existing = this.get(r.kind, namespace, name);
    switch (req.method) {
      case 'GET':
        return existing ? { status: 200, body: existing } : notFound(r, name);
      case 'DELETE':
        return existing ? this.delete(req, r, existing) : notFound(r, name);
      case 'PATCH':
        return this.patch(req, r, namespace, name, existing);
      case 'PUT': {
        if (!existing) return notFound(r, name);
        const body = JSON.parse(req.body) as Obj;
        const next = { ...body, metadata: { ...body.metadata, uid: existing.metadata.uid } };
        const refused = this.validate(next, r, existing);
        if (refused) return refused;
        return { status: 200, body: this.put(updateAs(existing, next, this.updater(req, r))) };
      }
      default:
        return failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, {});
    }
  }

  /**
   * POST: 201 Created with the stored object (https://kubernetes.io/docs/reference/using-api/api-concepts/),
   * 409 AlreadyExists, and with fieldValidation=Strict a 400 naming every unknown field
   * (https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation).
   */
  private create(req: Recorded, r: Resource, namespace: string | undefined): Reply {
    const body = JSON.parse(req.body) as Obj;
    if (req.query.get('fieldValidation') === 'Strict') {
      const unknown = unknownFields(r.apiVersion, r.kind, { ...body, apiVersion: r.apiVersion, kind: r.kind });
      if (unknown.length)
        return badRequest(
          `strict decoding error: ${unknown.map((u) => `unknown field "${fieldPath(u.path).slice(1)}"`).join(', ')}`,
        );
    }
    const obj = {
      ...body,
      apiVersion: r.apiVersion,
      kind: r.kind,
      metadata: { ...body.metadata, ...(namespace ? { namespace } : {}) },
    } as Obj;
    if (this.get(r.kind, namespace, obj.metadata.name)) return alreadyExists(r, obj.metadata.name);
    const refused = this.admit(obj, r);
    if (refused) return refused;
    if (r.kind === 'Namespace') obj.status = { phase: 'Active' };
    return { status: 201, body: this.put(obj) };
  }

  /**
   * Server-side apply (application/apply-patch+yaml): creates the object when absent (201), else merges the
   * applied configuration into it (200). With fieldValidation=Strict an unknown field is a 400 BadRequest, in
   * the form the structured-merge-diff type converter words it ("failed to create typed patch object (...):
   * .spec.x: field not declared in schema"). https://kubernetes.io/docs/reference/using-api/server-side-apply/
   * Fields are owned per manager (field-managers.ts): a field another manager owns, applied with another value
   * and without force, is a 409 conflict. The result is validated as any create or update is (validation.ts).
   * Merge patches (application/merge-patch+json) follow RFC 7386; other patch types are not emulated.
   */
  private patch(
    req: Recorded,
    r: Resource,
    namespace: string | undefined,
    name: string,
    existing: Obj | undefined,
  ): Reply {
    if (
      req.contentType.startsWith('application/merge-patch+json') ||
      req.contentType.startsWith('application/strategic-merge-patch+json')
    ) {
      if (!existing) return notFound(r, name);
      const merged = mergePatch(existing, JSON.parse(req.body) as JsonValue) as Obj;
      const refused = this.validate(merged, r, existing);
      if (refused) return refused;
      if (r.kind === 'StatefulSet') this.enqueue(existing.metadata.uid);
      return { status: 200, body: this.put(updateAs(existing, merged, this.updater(req, r))) };
    }
    if (!req.contentType.startsWith('application/apply-patch+yaml')) {
      return failure(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
      );
    }
    if (!req.query.get('fieldManager')) {
      return failure(
        422,
        'Invalid',
        `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`,
      );
    }
    // The body is YAML (JSON included), read as the API server reads it: sigs.k8s.io/yaml, YAML 1.1 scalars.
    let body: Partial<Obj>;
    try {
      body = parseManifestFile('apply-patch', req.body)[0]?.body ?? {};
    } catch (err) {
      return badRequest(messageOf(err));
    }
    const meta = (body.metadata ?? {}) as JsonObject;
    if (r.namespaced && meta.namespace !== undefined && meta.namespace !== namespace) {
      return badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (meta.name !== name)
      return badRequest(
        `the name of the object (${scalarText(meta.name)}) does not match the name on the URL (${name})`,
      );
    if (req.query.get('fieldValidation') === 'Strict') {
      const unknown = unknownFields(r.apiVersion, r.kind, body);
      if (unknown.length) {
        const where = `(${namespace ?? ''}/${name}; ${r.apiVersion}, Kind=${r.kind})`;
        const lines = unknown.map((u) => `${fieldPath(u.path)}: field not declared in schema`);
        return badRequest(
          `failed to create typed patch object ${where}: ${lines.length === 1 ? lines[0] : `errors:\n  ${lines.join('\n  ')}`}`,
        );
      }
    }
    const applied = { ...body, metadata: { ...meta, name, ...(namespace ? { namespace } : {}) } } as Obj;
    const result = applyAs(existing, applied, {
      manager: req.query.get('fieldManager')!,
      apiVersion: r.apiVersion,
      force: req.query.get('force') === 'true',
    });
    if ('conflict' in result) return failure(409, 'Conflict', result.conflict.message, result.conflict.details);
    const merged = result.object as Obj;
    if (!existing) {
      const refused = this.admit(merged, r);
      if (refused) return refused;
      return { status: 201, body: this.put(merged) };
    }
    const refused = this.validate(merged, r, existing);
    if (refused) return refused;
    if (r.kind === 'StatefulSet') this.enqueue(existing.metadata.uid);
    return { status: 200, body: this.put(merged) };
  }

  /**
   * DELETE. Pods are deleted gracefully (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination):
   * the object gets deletionTimestamp and deletionGracePeriodSeconds and stays, Terminating, until the kubelet
   * has seen its containers exit (or killed them when the grace ran out); then it is removed. A pod no
   * kubelet runs (unscheduled) or gracePeriodSeconds=0 (force) goes at once. A namespace turns Terminating and
   * the namespace controller removes its content, then it. Other objects go at once (their dependents are
   * the garbage collector's: background propagation).
   */
  private delete(req: Recorded, r: Resource, obj: Obj): Reply {
    const options = req.body ? (JSON.parse(req.body) as JsonObject) : {};
    const asked = req.query.get('gracePeriodSeconds') ?? (options.gracePeriodSeconds as number | null | undefined);
    if (r.kind === 'Pod') {
      const grace =
        asked !== undefined && asked !== null
          ? Number(asked)
          : ((obj.spec?.terminationGracePeriodSeconds as number | undefined) ?? 30);
      if (grace === 0 || !obj.spec?.nodeName || ['Succeeded', 'Failed'].includes(obj.status?.phase)) {
        this.remove(obj);
        return { status: 200, body: obj };
      }
      if (!obj.metadata.deletionTimestamp || grace < (obj.metadata.deletionGracePeriodSeconds as number)) {
        obj.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString();
        obj.metadata.deletionGracePeriodSeconds = grace;
        this.put(obj);
      }
      this.terminate(obj, grace);
      return { status: 200, body: obj };
    }
    if (r.kind === 'Namespace') {
      obj.metadata.deletionTimestamp = now();
      obj.status = { phase: 'Terminating' };
      this.put(obj);
      setImmediate(() => {
        for (const o of [...this.objects.values()]) if (o.metadata.namespace === obj.metadata.name) this.remove(o);
        this.remove(obj);
      });
      return { status: 200, body: obj };
    }
    this.remove(obj);
    return {
      status: 200,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { ...details(r, obj.metadata.name), uid: obj.metadata.uid },
      },
    };
  }

  /** The kubelet stopping a pod: signal the process, remove the pod once it exited or the grace ran out. */
  private terminate(pod: Obj, grace: number): void {
    const uid = pod.metadata.uid;
    if (this.exiting.has(uid)) return;
    this.exiting.add(uid);
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => (timer = setTimeout(resolve, grace * 1000)));
    void Promise.race([this.processExit(pod), killed]).then(() => {
      clearTimeout(timer);
      setImmediate(() => {
        this.exiting.delete(uid);
        const current = this.get('Pod', pod.metadata.namespace, pod.metadata.name);
        if (current?.metadata.uid === uid) this.remove(current);
        this.reconcile();
      });
    });
  }

  /** GET pods/x/log: the container's log as text; 400 when there is none (yet, or no previous container). */
  private podLog(req: Recorded, namespace: string, name: string): Reply {
    const pod = this.get('Pod', namespace, name);
    if (!pod) return notFound(resourceOfKind('Pod'), name);
    const container = req.query.get('container') ?? (pod.spec?.containers?.[0]?.name as string);
    const log = this.logs.get(pod.metadata.uid);
    if (req.query.get('previous') === 'true') {
      if (log?.previous === undefined)
        return badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
      return { status: 200, body: tail(log.previous, req.query.get('tailLines')) };
    }
    if (pod.status?.phase !== 'Running' && log === undefined) {
      return badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
    }
    return { status: 200, body: tail(log?.current ?? '', req.query.get('tailLines')) };
  }

  // ---- controllers ----

  /**
   * Runs the controllers until nothing changes: StatefulSet (create missing pods), garbage collector, scheduler,
   * kubelet. Real controllers take a moment for each step; here every request sees them settled.
   */
  reconcile(): void {
    for (let pass = 0; pass < 20; pass++) {
      const before = this.resourceVersion;
      this.reconcileOnce();
      if (this.resourceVersion === before) return;
    }
  }

  /** An event about the StatefulSet (an update) or its pods: it is synced at once, back-off or not. */
  private enqueue(stsUid: string | undefined): void {
    const item = stsUid ? this.queue.get(stsUid) : undefined;
    if (item) item.retryAt = 0;
  }

  /**
   * Whether the quota controller has got to a new or changed quota: it syncs it from its informer's event, in
   * its own goroutine, so a quota is not in force when its create returns (pkg/controller/resourcequota:
   * addQuota enqueues, a worker syncs; admission reads status.hard). Here that takes `quotaSyncMs`; a timer
   * runs the controllers again when it is due, so watchers and pollers see the status appear on its own.
   */
  private quotaSyncDue(quota: Obj): boolean {
    const uid = quota.metadata.uid;
    const seen = this.quotaSeen.get(uid) ?? Date.now();
    this.quotaSeen.set(uid, seen);
    const wait = seen + this.quotaSyncMs - Date.now();
    if (wait <= 0) {
      this.quotaSeen.delete(uid);
      return true;
    }
    if (!this.quotaTimers.has(uid)) {
      this.quotaTimers.add(uid);
      setTimeout(() => {
        this.quotaTimers.delete(uid);
        this.reconcile();
      }, wait).unref();
    }
    return false;
  }

  /**
   * The quota controller: status.hard from spec.hard and status.used.pods recounted (it recalculates usage
   * when pods change; here on every pass). Until it has run, a new quota has no status.
   */
  private quotaStatus(): void {
    for (const quota of this.list('ResourceQuota')) {
      const hard = (quota.spec?.hard ?? {}) as JsonObject;
      if (JSON.stringify(quota.status?.hard) !== JSON.stringify(hard) && !this.quotaSyncDue(quota)) continue;
      const used = this.list('Pod', quota.metadata.namespace).filter((p) => quotaCountsPod(p)).length;
      const status: JsonObject = { hard, used: 'pods' in hard ? { pods: String(used) } : {} };
      if (JSON.stringify(quota.status) !== JSON.stringify(status)) this.put({ ...quota, status });
    }
  }

  /**
   * The node lifecycle controller and pod garbage collection. A node whose kubelet stopped posting status goes
   * Ready Unknown ("Kubelet stopped posting node status.") with the node.kubernetes.io/unreachable NoExecute
   * taint, and its pods Ready False (MarkPodsNotReady); they are not deleted while they tolerate the taint
   * (300 s by default: kubernetes.io, "Taints and Tolerations", taint-based evictions), so a StatefulSet does not
   * replace them. Back up, the kubelet posts Ready again and its pods' readiness (and registers its Node again if
   * it was deleted). Pods bound to a Node that no longer exists are deleted (PodGC, "orphaned" pods).
   * Real controllers wait node-monitor-grace-period (40 s) first; here every request sees them settled.
   */
  private nodeLifecycle(): void {
    for (const [name, registered] of this.registered)
      if (!this.get('Node', undefined, name) && this.nodeUp(name)) this.put(structuredClone(registered));
    for (const node of this.list('Node')) {
      const up = this.nodeUp(node.metadata.name);
      const ready = (node.status?.conditions as JsonObject[] | undefined)?.find((c) => c.type === 'Ready');
      if (ready && (ready.status === 'True') !== up) {
        const status = up
          ? { type: 'Ready', status: 'True', reason: 'KubeletReady' }
          : {
              type: 'Ready',
              status: 'Unknown',
              reason: 'NodeStatusUnknown',
              message: 'Kubelet stopped posting node status.',
            };
        const taints = up ? [] : [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }];
        this.put({
          ...node,
          spec: { ...node.spec, ...{ taints } },
          status: { ...node.status, conditions: [status] },
        });
      }
      for (const pod of this.list('Pod').filter((p) => p.spec?.nodeName === node.metadata.name)) {
        if (pod.metadata.deletionTimestamp || !this.started.has(pod.metadata.uid)) continue;
        const conditions = (pod.status?.conditions ?? []) as JsonObject[];
        // Down: every Ready pod goes not-ready, marked as the controller's doing; back up, only those it marked
        // return to Ready (a pod that never became ready, e.g. still ContainerCreating, stays as it is).
        const flip = (c: JsonObject) =>
          c.type === 'Ready' && (up ? c.status === 'False' && c.reason === NODE_NOT_READY : c.status === 'True');
        if (conditions.some(flip))
          this.put({
            ...pod,
            status: {
              ...pod.status,
              conditions: conditions.map((c) =>
                flip(c)
                  ? up
                    ? { type: 'Ready', status: 'True' }
                    : { ...c, status: 'False', reason: NODE_NOT_READY }
                  : c,
              ),
            },
          });
      }
    }
    for (const pod of this.list('Pod'))
      if (pod.spec?.nodeName && !this.get('Node', undefined, pod.spec.nodeName)) this.remove(pod);
  }

  private reconcileOnce(): void {
    this.nodeLifecycle();
    this.quotaStatus();
    for (const sts of this.list('StatefulSet')) if (!sts.metadata.deletionTimestamp) this.statefulSet(sts);
    for (const pod of this.list('Pod')) {
      const owner = (
        pod.metadata.ownerReferences as Array<{ kind: string; uid: string; name: string }> | undefined
      )?.find((o) => o.kind === 'StatefulSet');
      if (
        owner &&
        this.get('StatefulSet', pod.metadata.namespace, owner.name)?.metadata.uid !== owner.uid &&
        !pod.metadata.deletionTimestamp
      ) {
        this.delete(
          { method: 'DELETE', path: '', query: new URLSearchParams(), contentType: '', body: '' },
          resourceOfKind('Pod'),
          pod,
        );
      }
    }
    for (const pod of this.list('Pod')) if (!pod.spec?.nodeName && !pod.metadata.deletionTimestamp) this.schedule(pod);
    for (const pod of this.list('Pod')) {
      const node = pod.spec?.nodeName ? this.get('Node', undefined, pod.spec.nodeName) : undefined;
      if (node && !this.started.has(pod.metadata.uid) && !pod.metadata.deletionTimestamp) {
        this.started.add(pod.metadata.uid);
        this.startPod(pod, node);
        this.put(pod);
      }
    }
  }

  /**
   * The StatefulSet controller, OrderedReady policy: pods <name>-0..replicas-1 from the template, one at a time,
   * each only once every lower ordinal is Running and Ready; a pod still present (Terminating included) is
   * never replaced until it is gone, and a recreated pod is a new object with a new UID.
   * https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#deployment-and-scaling-guarantees
   * A creation refused (quota) is an event FailedCreate on the StatefulSet, retried on the next pass.
   */
  private statefulSet(sts: Obj): void {
    const backoff = this.queue.get(sts.metadata.uid);
    if (backoff && Date.now() < backoff.retryAt) return;
    const ns = sts.metadata.namespace!;
    const name = sts.metadata.name;
    const replicas = (sts.spec?.replicas as number | undefined) ?? 1;
    const parallel = sts.spec?.podManagementPolicy === 'Parallel';
    const owned = this.list('Pod', ns).filter((p) => p.metadata.ownerReferences?.[0]?.uid === sts.metadata.uid);
    const revision = revisionOf(sts);
    const updated = owned.filter((p) => p.metadata.labels?.['controller-revision-hash'] === revision);
    sts.status = {
      replicas: owned.length,
      readyReplicas: owned.filter(isReady).length,
      availableReplicas: owned.filter(isReady).length,
      updatedReplicas: updated.length,
      updateRevision: revision,
      ...(updated.length === replicas ? { currentRevision: revision } : {}),
    };
    for (let i = 0; i < replicas; i++) {
      const podName = `${name}-${i}`;
      const pod = this.get('Pod', ns, podName);
      if (pod) {
        if (!parallel && !(pod.status?.phase === 'Running' && isReady(pod) && !pod.metadata.deletionTimestamp)) return;
        continue;
      }
      const created = this.podFor(sts, i);
      const refused = this.admit(created, resourceOfKind('Pod'));
      if (refused) {
        const message = (refused.body as JsonObject).message;
        this.event(
          sts,
          'Warning',
          'FailedCreate',
          `create Pod ${podName} in StatefulSet ${name} failed error: ${scalarText(message)}`,
          'statefulset-controller',
        );
        const failures = (backoff?.failures ?? 0) + 1;
        this.queue.set(sts.metadata.uid, {
          failures,
          retryAt: Date.now() + Math.min(5 * 2 ** (failures - 1), 1_000_000),
        });
        return;
      }
      this.queue.delete(sts.metadata.uid);
      for (const t of (sts.spec?.volumeClaimTemplates ?? []) as Obj[]) this.claimFor(sts, t, i);
      this.put(created);
      this.event(
        sts,
        'Normal',
        'SuccessfulCreate',
        `create Pod ${podName} in StatefulSet ${name} successful`,
        'statefulset-controller',
      );
      if (!parallel) return;
    }
    this.rollingUpdate(sts, owned, revision);
  }

  /**
   * RollingUpdate (the default updateStrategy): a pod made from an older template is deleted, highest ordinal
   * first and one at a time, only while every pod is Running and Ready (the controller "waits until an updated
   * Pod is Running and Ready prior to updating its predecessor"); pods below rollingUpdate.partition are kept;
   * OnDelete replaces nothing. The deleted pod is recreated from the new template by the loop above.
   * https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#rolling-updates
   */
  private rollingUpdate(sts: Obj, owned: Obj[], revision: string): void {
    const strategy = (sts.spec?.updateStrategy ?? {}) as JsonObject;
    if (strategy.type === 'OnDelete') return;
    if (owned.some((p) => p.metadata.deletionTimestamp || !(p.status?.phase === 'Running' && isReady(p)))) return;
    const partition = Number((strategy.rollingUpdate as JsonObject | undefined)?.partition ?? 0);
    const stale = owned
      .filter((p) => p.metadata.labels?.['controller-revision-hash'] !== revision)
      .map((p) => ({ p, ordinal: Number(p.metadata.labels?.['apps.kubernetes.io/pod-index']) }))
      .filter((x) => x.ordinal >= partition)
      .sort((a, b) => b.ordinal - a.ordinal)[0];
    if (!stale) return;
    this.delete(
      { method: 'DELETE', path: '', query: new URLSearchParams(), contentType: '', body: '' },
      resourceOfKind('Pod'),
      stale.p,
    );
  }

  private podFor(sts: Obj, ordinal: number): Obj {
    const template = (sts.spec?.template ?? {}) as Partial<Obj>;
    const name = `${sts.metadata.name}-${ordinal}`;
    const claims = ((sts.spec?.volumeClaimTemplates ?? []) as Obj[]).map((t) => ({
      name: t.metadata.name,
      persistentVolumeClaim: { claimName: `${t.metadata.name}-${name}` },
    }));
    const spec = structuredClone(template.spec ?? {}) as JsonObject;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: sts.metadata.namespace,
        uid: randomUUID(),
        labels: {
          ...(template.metadata?.labels ?? {}),
          'statefulset.kubernetes.io/pod-name': name,
          'apps.kubernetes.io/pod-index': String(ordinal),
          'controller-revision-hash': revisionOf(sts),
        },
        ...(template.metadata?.annotations ? { annotations: structuredClone(template.metadata.annotations) } : {}),
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'StatefulSet',
            name: sts.metadata.name,
            uid: sts.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      // API defaulting: terminationGracePeriodSeconds 30 when the template has none.
      spec: {
        ...spec,
        terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 30,
        hostname: name,
        subdomain: sts.spec?.serviceName,
        volumes: [...((spec.volumes ?? []) as JsonValue[]), ...claims],
      },
      status: { phase: 'Pending' },
    };
  }

  /** A claim from a volumeClaimTemplate, Bound when a PersistentVolume's claimRef names it, else Pending. */
  private claimFor(sts: Obj, template: Obj, ordinal: number): void {
    const ns = sts.metadata.namespace!;
    const name = `${template.metadata.name}-${sts.metadata.name}-${ordinal}`;
    if (this.get('PersistentVolumeClaim', ns, name)) return;
    const pv = this.list('PersistentVolume').find(
      (v) => v.spec?.claimRef?.name === name && (v.spec.claimRef.namespace ?? ns) === ns,
    );
    this.put({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: ns, labels: template.metadata.labels ?? {} },
      spec: { ...(template.spec ?? {}), ...(pv ? { volumeName: pv.metadata.name } : {}) },
      status: { phase: pv ? 'Bound' : 'Pending' },
    });
  }

  /** The scheduler: the next schedulable node, or PodScheduled=False with its reason and a FailedScheduling event. */
  private schedule(pod: Obj): void {
    const nodes = this.list('Node');
    // An unreachable node carries a NoSchedule-class taint the pods do not tolerate (nodeLifecycle).
    const open = nodes.filter(
      (n) => !n.spec?.unschedulable && !((n.spec?.taints ?? []) as JsonObject[]).some((t) => t.effect === 'NoExecute'),
    );
    if (open.length === 0) {
      if (isUnschedulable(pod)) return;
      const message = `0/${nodes.length} nodes are available: ${nodes.length} node(s) were unschedulable.`;
      pod.status = {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }],
      };
      this.put(pod);
      this.event(pod, 'Warning', 'FailedScheduling', message, 'default-scheduler');
      return;
    }
    const node = open[Number(pod.metadata.labels?.['apps.kubernetes.io/pod-index'] ?? 0) % open.length]!;
    pod.spec.nodeName = node.metadata.name;
    pod.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] };
    this.put(pod);
    this.event(
      pod,
      'Normal',
      'Scheduled',
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${node.metadata.name}`,
      'default-scheduler',
    );
  }

  /** The default kubelet: containers running and ready, an IP from the node's pod CIDR. */
  running(pod: Obj, node: Obj): void {
    const cidr = String(node.spec?.podCIDR ?? '10.244.0.0/24');
    const next = (this.ipCounters.get(cidr) ?? 1) + 1;
    this.ipCounters.set(cidr, next);
    const ip = cidr.replace(/\.0\/\d+$/, `.${next}`);
    const hostIP = (node.status?.addresses as Array<{ type: string; address: string }> | undefined)?.find(
      (a) => a.type === 'InternalIP',
    )?.address;
    const started = now();
    pod.status = {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      hostIP,
      startTime: started,
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True' })),
      containerStatuses: ((pod.spec?.containers ?? []) as Obj[]).map((c) => ({
        // The kubelet reports a running container's ID as '<type>://<container_id>' (ContainerStatus.containerID,
        // Kubernetes API reference); kind's runtime is containerd, whose IDs are 64 hex digits.
        name: c.name,
        image: c.image,
        imageID: '',
        containerID: `containerd://${createHash('sha256')
          .update(`${pod.metadata.uid}/${scalarText(c.name as JsonValue)}`)
          .digest('hex')}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: started } },
      })),
    };
    this.logs.set(pod.metadata.uid, { current: '' });
  }
}

/** Marked unschedulable and no node has opened since: the scheduler retries once one does. */
function isUnschedulable(pod: Obj): boolean {
  return (pod.status?.conditions ?? []).some((c: JsonObject) => c.type === 'PodScheduled' && c.status === 'False');
}
/** The StatefulSet's revision: `<name>-<hash of its pod template>`, as the controller labels its pods. */
const revisionOf = (sts: Obj): string =>
  `${sts.metadata.name}-${createHash('sha256')
    .update(JSON.stringify(sts.spec?.template ?? {}))
    .digest('hex')
    .slice(0, 10)}`;

const isReady = (pod: Obj) =>
  (pod.status?.conditions ?? []).some((c: JsonObject) => c.type === 'Ready' && c.status === 'True');

/** The last `lines` lines of `text` (tailLines), all of it when not given. */
function tail(text: string, lines: string | null): string {
  if (lines === null) return text;
  const all = text.split('\n');
  const trailing = all.at(-1) === '' ? all.pop() : undefined;
  return all.slice(-Number(lines)).join('\n') + (trailing === undefined ? '' : '\n');
}
