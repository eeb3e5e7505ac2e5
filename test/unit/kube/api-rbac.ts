import { readFileSync, writeFileSync } from 'node:fs';
import type { JsonObject } from '../../../src/manifests/model.ts';
import { discovery, failure, unauthorized, type ApiServer, type Recorded, type Reply } from './api-server.ts';

/**
 * RBAC for the API fixture, as the API server authorizes a request: a bearer token names a user (unknown token:
 * 401), the request's attributes are derived from its path and method, and the user's Roles/ClusterRoles decide.
 *
 * Attributes (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go, RequestInfoFactory.NewRequestInfo):
 * - /api/v1/... and /apis/<group>/<version>/... are resource requests; anything shorter (/api, /apis, /api/v1,
 *   /apis/apps/v1: discovery) and /version, /openapi/... are non-resource requests.
 * - verb from the method: GET a named object `get`, GET a collection `list` (`watch` with ?watch=true), POST
 *   `create`, PUT `update`, PATCH `patch`, DELETE `delete` (a collection: `deletecollection`).
 * - /namespaces/<ns>/<resource>/... gives namespace <ns>; /api/v1/namespaces/<name> is resource `namespaces`
 *   with namespace <name> too, so a Role in a namespace can grant `get` on that namespace itself.
 * - /<resource>/<name>/<sub> gives subresource <sub> (pods/log, pods/portforward).
 *
 * Rules (k8s.io/kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go): a rule allows when a verb, an apiGroup and a
 * resource ("pods/log" for a subresource) match or are "*", and resourceNames (if any) hold the name. A
 * RoleBinding's rules apply to requests in its namespace only; a ClusterRoleBinding's everywhere. Non-resource
 * requests for discovery, /version and /openapi are allowed to every authenticated user (the default
 * system:discovery and system:public-info-viewer ClusterRoles), as are SelfSubjectAccessReview and
 * SelfSubjectRulesReview (system:basic-user).
 *
 * A denial is the API server's 403 (k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go, Forbidden
 * and forbiddenMessage): `<resource>[.<group>] ["<name>"] is forbidden: User "<user>" cannot <verb> resource
 * "<resource>[/<sub>]" in API group "<group>" in the namespace "<ns>"` (or `at the cluster scope`), reason
 * Forbidden, details {name, group, kind: <resource>}.
 * https://kubernetes.io/docs/reference/access-authn-authz/rbac/
 */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface Attributes {
  verb: string;
  group: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

interface Grant {
  user: string;
  /** The RoleBinding's namespace; undefined for a ClusterRoleBinding. */
  namespace?: string;
  rules: PolicyRule[];
}

const matches = (list: string[], value: string) => list.includes('*') || list.includes(value);

/** The request's attributes, or undefined for a non-resource request. */
export function requestAttributes(method: string, path: string, query: URLSearchParams): Attributes | undefined {
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/(.+)$/.exec(path);
  if (!m) return undefined;
  const group = m[1] ?? '';
  let parts = m[2]!.split('/');
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1]!;
    // /namespaces/<ns>/<resource>/...: the resource follows; /namespaces/<name>[/status|finalize]: namespaces itself.
    if (parts.length > 2 && !['status', 'finalize'].includes(parts[2]!)) parts = parts.slice(2);
  }
  const [resource = '', name = '', subresource = ''] = parts;
  const verb =
    method === 'GET' || method === 'HEAD'
      ? name
        ? 'get'
        : query.get('watch') === 'true'
          ? 'watch'
          : 'list'
      : method === 'POST'
        ? 'create'
        : method === 'PUT'
          ? 'update'
          : method === 'PATCH'
            ? 'patch'
            : method === 'DELETE'
              ? name
                ? 'delete'
                : 'deletecollection'
              : method.toLowerCase();
  return { verb, group, resource, subresource, namespace, name };
}

/** forbiddenMessage's wording of the request. */
export function forbiddenMessage(user: string, a: Attributes): string {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `User "${user}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}`;
}

/** responsewriters.Forbidden: errors.NewForbidden(GroupResource{group, resource}, name, forbiddenMessage). */
export function rbacDenied(user: string, a: Attributes): Reply {
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
  return failure(
    403,
    'Forbidden',
    `${qualified}${a.name ? ` "${a.name}"` : ''} is forbidden: ${forbiddenMessage(user, a)}`,
    { name: a.name, ...(a.group ? { group: a.group } : {}), kind: a.resource },
  );
}

const SELF_REVIEWS = new Set([
  '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
  '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
]);

export class Rbac {
  private readonly users = new Map<string, string>();
  private readonly grants: Grant[] = [];

  /** A token for `user`; `grants` are the user's bindings (a namespace: a RoleBinding there). */
  addUser(token: string, user: string, grants: Array<{ namespace?: string; rules: PolicyRule[] }> = []): this {
    this.users.set(token, user);
    for (const g of grants) this.grants.push({ user, ...g });
    return this;
  }

  allows(user: string, a: Attributes): boolean {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    return this.grants.some(
      (g) =>
        g.user === user &&
        (g.namespace === undefined || g.namespace === a.namespace) &&
        g.rules.some(
          (r) =>
            matches(r.verbs, a.verb) &&
            matches(r.apiGroups, a.group) &&
            matches(r.resources, resource) &&
            (!r.resourceNames?.length || r.resourceNames.includes(a.name)),
        ),
    );
  }

  /**
   * The fixture's authorizer: undefined lets the request through, else the refusal. `exists` says whether the
   * object a request names exists: a server-side apply (PATCH) that would create it is authorized as create
   * too, and refused as the patch handler words it (k8s.io/apiserver pkg/endpoints/handlers/patch.go,
   * withAuthorization: errors.NewForbidden with the authorizer's reason, which RBAC leaves empty on a denial).
   */
  authorize(req: Recorded, authorization: string | undefined, exists?: (a: Attributes) => boolean): Reply {
    const user = this.users.get(/^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '');
    if (user === undefined) return unauthorized();
    if (SELF_REVIEWS.has(req.path) && req.method === 'POST') return this.review(user, req);
    const a = requestAttributes(req.method, req.path, req.query);
    if (!a) return undefined; // discovery, /version, /openapi: every authenticated user
    if (!this.allows(user, a)) return rbacDenied(user, a);
    const create = { ...a, verb: 'create' };
    if (a.verb === 'patch' && exists && !exists(a) && !this.allows(user, create)) {
      const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
      return failure(403, 'Forbidden', `${qualified} "${a.name}" is forbidden: `, {
        name: a.name,
        ...(a.group ? { group: a.group } : {}),
        kind: a.resource,
      });
    }
    return undefined;
  }

  /**
   * SelfSubjectAccessReview (authorization.k8s.io/v1): 201 with the spec echoed and status.allowed; the RBAC
   * authorizer gives no reason for a denial. SelfSubjectRulesReview: the rules that apply in spec.namespace.
   * https://kubernetes.io/docs/reference/access-authn-authz/authorization/#checking-api-access
   */
  private review(user: string, req: Recorded): Reply {
    const body = JSON.parse(req.body) as { spec?: JsonObject };
    const spec = body.spec ?? {};
    if (req.path.endsWith('selfsubjectrulesreviews')) {
      const ns = typeof spec.namespace === 'string' ? spec.namespace : '';
      const rules = this.grants
        .filter((g) => g.user === user && (g.namespace === undefined || g.namespace === ns))
        .flatMap((g) => g.rules);
      return {
        status: 201,
        body: {
          kind: 'SelfSubjectRulesReview',
          apiVersion: 'authorization.k8s.io/v1',
          metadata: {},
          spec,
          status: { resourceRules: rules, nonResourceRules: [], incomplete: false },
        },
      };
    }
    const r = (spec.resourceAttributes ?? {}) as Record<string, string | undefined>;
    const a: Attributes = {
      verb: r.verb ?? '',
      group: r.group ?? '',
      resource: r.resource ?? '',
      subresource: r.subresource ?? '',
      namespace: r.namespace ?? '',
      name: r.name ?? '',
    };
    const allowed = this.allows(user, a);
    return {
      status: 201,
      body: {
        kind: 'SelfSubjectAccessReview',
        apiVersion: 'authorization.k8s.io/v1',
        metadata: {},
        spec,
        status: { allowed, ...(allowed ? { reason: `RBAC: allowed to User "${user}"` } : {}) },
      },
    };
  }
}

/** Whether the object a request names exists in the fixture's store (its kind found through discovery). */
export function existsIn(server: ApiServer): (a: Attributes) => boolean {
  return (a) => {
    for (const list of Object.values(discovery)) {
      const gv = list.groupVersion ?? '';
      const group = gv.includes('/') ? gv.split('/')[0]! : '';
      const r = list.resources?.find((x) => x.name === a.resource);
      if (group === a.group && r)
        return server.get(r.kind, r.namespaced ? a.namespace : undefined, a.name) !== undefined;
    }
    return false;
  };
}

/** Everything, as the cluster admin of a kind kubeconfig (system:masters). */
export const ADMIN_RULES: PolicyRule[] = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }];

/** A copy of the fixture's kubeconfig whose user presents `token` instead. */
export function kubeconfigWithToken(kubeconfig: string, token: string, file: string): string {
  writeFileSync(file, readFileSync(kubeconfig, 'utf8').replace(/token: \S+ \}/, `token: ${token} }`));
  return file;
}
