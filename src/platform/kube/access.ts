import { AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';

/** One RBAC permission: a verb on a resource of an API group, in a namespace or (none) at the cluster scope. */
export interface AccessRule {
  group: string;
  /** Plural, with the subresource after a slash (pods/log). */
  resource: string;
  verb: string;
  namespace?: string;
  /** What the run needs it for (empty when not known: a rule read from a refusal). */
  why: string;
}

/**
 * The rules as a user grants them: one line per (group, resource, scope) with its verbs, e.g.
 * `apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["create", "patch"] (a Role in namespace "ns")`.
 */
export function rulesText(rules: AccessRule[]): string[] {
  const lines = new Map<string, { r: AccessRule; verbs: Set<string>; why: Set<string> }>();
  for (const r of rules) {
    const key = `${r.group}|${r.resource}|${r.namespace ?? ''}`;
    const line = lines.get(key) ?? { r, verbs: new Set<string>(), why: new Set<string>() };
    line.verbs.add(r.verb);
    line.why.add(r.why);
    lines.set(key, line);
  }
  return [...lines.values()].map(
    ({ r, verbs, why }) =>
      `apiGroups: ["${r.group}"], resources: ["${r.resource}"], verbs: [${[...verbs].map((v) => `"${v}"`).join(', ')}] ` +
      (r.namespace ? `(a Role in namespace "${r.namespace}", or a ClusterRole)` : '(a ClusterRole: cluster scope)') +
      [...why]
        .filter(Boolean)
        .map((w, i) => `${i ? '; ' : ': '}${w}`)
        .join(''),
  );
}

/**
 * The permission a 403 names, read from the API server's own wording of an authorization refusal
 * (k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go, forbiddenMessage): `User "u" cannot
 * <verb> resource "<resource>[/<sub>]" in API group "<group>" in the namespace "<ns>"` or `... at the cluster
 * scope`. undefined for any other 403 (an admission plugin's, e.g. exceeded quota).
 */
export function forbiddenRule(message: string): AccessRule | undefined {
  const m =
    /cannot (\S+) resource "([^"]+)" in API group "([^"]*)" (?:in the namespace "([^"]+)"|at the cluster scope)/.exec(
      message,
    );
  if (!m) return undefined;
  return { verb: m[1]!, resource: m[2]!, group: m[3]!, namespace: m[4], why: '' };
}

/**
 * Which of `rules` the kubeconfig's user lacks, asked of the API server itself with one SelfSubjectAccessReview
 * per rule (what `kubectl auth can-i` asks; every authenticated user may create them: the system:basic-user
 * ClusterRole). https://kubernetes.io/docs/reference/access-authn-authz/authorization/#checking-api-access
 * `unknown` (the error) when the reviews cannot be asked (an API server without authorization.k8s.io/v1, a proxy that
 * refuses them): the run goes on and a 403 still names its rule (forbiddenRule).
 */
export async function missingAccess(
  kc: KubeConfig,
  rules: AccessRule[],
): Promise<{ missing: AccessRule[] } | { unknown: unknown }> {
  const api = kc.makeApiClient(AuthorizationV1Api);
  try {
    const answers = await Promise.all(
      rules.map(async (r) => {
        const [resource, subresource] = r.resource.split('/');
        const review = await api.createSelfSubjectAccessReview({
          body: {
            spec: {
              resourceAttributes: {
                group: r.group,
                resource,
                ...(subresource ? { subresource } : {}),
                verb: r.verb,
                ...(r.namespace ? { namespace: r.namespace } : {}),
              },
            },
          },
        });
        return review.status?.allowed === true;
      }),
    );
    return { missing: rules.filter((_, i) => !answers[i]) };
  } catch (err) {
    return { unknown: err };
  }
}

/** What a run on a cluster it is given does, from which its permissions follow. */
export interface RunNeeds {
  namespace: string;
  /** The user named the namespace (read, never created or deleted) or the run makes its own. */
  namespaceGiven: boolean;
  /** The manifests' objects as the cluster serves them (resource plural, group, scope). */
  objects: Array<{ kind: string; group: string; resource: string; namespaced: boolean }>;
  /** The StatefulSet has volumeClaimTemplates (its claims are read, and deleted when the run made them). */
  claims: boolean;
  /** The restart hold the scenarios will take, if any. */
  hold?: 'quota' | 'cordon';
}

/**
 * Every permission a run on an existing cluster uses, with why: the same list as docs/rbac-existing.yaml.
 * Cluster-scoped rules only where the run needs them: a namespace of its own, cluster-scoped objects in the
 * manifests (StorageClass, PersistentVolume), hold-mode cordon (nodes). Server-side apply of a new object is a
 * PATCH authorized as patch and create (https://kubernetes.io/docs/reference/using-api/server-side-apply/); each
 * object is read first (never taken over) and deleted at the end when the run made it.
 */
export function requiredAccess(n: RunNeeds): AccessRule[] {
  const ns = n.namespace;
  const rules: AccessRule[] = [];
  const add = (group: string, resource: string, verbs: string[], namespace: string | undefined, why: string) => {
    for (const verb of verbs) rules.push({ group, resource, verb, namespace, why });
  };
  if (n.namespaceGiven) add('', 'namespaces', ['get'], ns, `read namespace ${ns} (it must exist)`);
  else {
    add('', 'namespaces', ['create'], undefined, `create the run's namespace ${ns}`);
    add('', 'namespaces', ['get', 'delete'], ns, `read and delete the run's namespace ${ns}`);
  }
  for (const o of n.objects)
    add(
      o.group,
      o.resource,
      ['get', 'create', 'patch', 'delete'],
      o.namespaced ? ns : undefined,
      `apply the manifests' ${o.kind} (read first, server-side apply, deleted at the end)`,
    );
  if (n.claims)
    add('', 'persistentvolumeclaims', ['get', 'delete'], ns, "read the StatefulSet's claims, delete the run's");
  add('', 'pods', ['get', 'list', 'watch', 'delete'], ns, 'follow the pods and delete the victim');
  add('', 'pods/log', ['get'], ns, 'diagnose a pod that is not ready');
  add('', 'pods/portforward', ['get', 'create'], ns, 'reach the pods from the runner (port-forward)');
  add('', 'events', ['list'], ns, 'see why a pod cannot start (and end the wait at once)');
  if (n.hold === 'quota')
    add('', 'resourcequotas', ['get', 'create', 'delete'], ns, 'the restart hold (hold-mode quota)');
  if (n.hold === 'cordon') add('', 'nodes', ['list', 'patch'], undefined, 'the restart hold (hold-mode cordon)');
  return rules;
}
