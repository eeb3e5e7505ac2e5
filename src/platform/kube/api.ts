import {
  ApiException,
  CoreV1Api,
  HttpMethod,
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  VersionApi,
} from '@kubernetes/client-node';
import type { JsonObject } from '../../manifests/model.ts';
import { KubeApiError, messageOf, type KubeRequest } from '../../errors.ts';
import { redactUrl } from './kubeconfig.ts';
import { forbiddenRule, rulesText } from './access.ts';

import { isKubeconfigContent, kubeconfigPathName, loadKubeConfig } from './kubeconfig.ts';

export { loadKubeConfig };

/** The field manager of every server-side apply: the objects this tool applied show up under this name. */
export const FIELD_MANAGER = 'redis-cluster-resilience';

/**
 * KubernetesObjectApi with two additions: whether a kind is namespaced (from the same discovery cache the
 * client uses to build URLs), and a server-side apply that sends the object exactly as written.
 *
 * Why not patch(..., PatchStrategy.ServerSideApply): patch() runs known kinds through the typed serializer,
 * which silently drops fields the model does not know (a misspelt `replica:` would vanish). Sending the JSON
 * as is, with fieldValidation=Strict, makes the API server reject unknown fields as kubectl apply does.
 */
export class ObjectApi extends KubernetesObjectApi {
  /** true/false from discovery; undefined when the API server does not serve that apiVersion/kind. */
  async isNamespaced(apiVersion: string, kind: string): Promise<boolean | undefined> {
    return (await this.served(apiVersion, kind))?.namespaced;
  }

  /** The kind's resource (plural name) and scope from discovery; undefined when the server does not serve it. */
  async served(apiVersion: string, kind: string): Promise<{ resource: string; namespaced: boolean } | undefined> {
    try {
      const r = await this.resource(apiVersion, kind);
      return r && { resource: r.name, namespaced: r.namespaced };
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined; // the group/version is not served
      throw err;
    }
  }

  /**
   * Server-side apply (fieldManager) of `body`, which must carry its final namespace (or none). Never with
   * force: a field another manager owns is a 409 conflict to report, not something to take over.
   */
  async apply(body: JsonObject): Promise<KubernetesObject> {
    const spec = structuredClone(body) as unknown as KubernetesObject;
    const path = await this.specUriPath(spec, 'patch');
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
    request.setHeaderParam('Accept', 'application/json, */*;q=0.8');
    request.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    request.setQueryParam('fieldManager', FIELD_MANAGER);
    request.setQueryParam('fieldValidation', 'Strict');
    // JSON is valid YAML, so application/apply-patch+yaml accepts it.
    request.setBody(JSON.stringify(body));
    return this.requestPromise(request);
  }

  /** A JSON merge patch (RFC 7386) of `body`, as `kubectl patch --type merge` and `kubectl rollout restart` send
   * it: only the fields given change. */
  mergePatch(body: KubernetesObject): Promise<KubernetesObject> {
    return this.patch(body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch);
  }
}

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  objects: ObjectApi;
}

export function kubeClients(kc: KubeConfig): KubeClients {
  shareOneDispatcher(kc);
  return {
    kc,
    core: classifyingErrors(kc.makeApiClient(CoreV1Api), coreRequest),
    objects: classifyingErrors(kc.makeApiClient(ObjectApi), objectRequest),
  };
}

/**
 * One keep-alive connection pool for every API request made with `kc`. client-node 2.0.1 builds a new undici
 * Agent for each request (KubeConfig.applySecurityAuthentication calls createDispatcher every time), so each
 * request opened a TCP (and TLS) connection of its own, left to the garbage collector; one Agent per cluster
 * and credentials keeps its connections alive between requests (undici's keep-alive pool). createDispatcher is
 * private in the typings, hence the cast; the key holds everything that shapes the Agent (CA, client cert, key,
 * TLS checks, proxy), so a credential that changes gets an Agent of its own.
 */
function shareOneDispatcher(kc: KubeConfig): void {
  const own = kc as unknown as {
    createDispatcher(cluster: unknown, options: unknown): unknown;
    sharedDispatcher?: true;
  };
  if (own.sharedDispatcher) return;
  own.sharedDispatcher = true;
  const create = own.createDispatcher.bind(kc);
  const made = new Map<string, unknown>();
  own.createDispatcher = (cluster, options) => {
    const key = JSON.stringify([cluster, options]);
    if (!made.has(key)) made.set(key, create(cluster, options));
    return made.get(key);
  };
}

const VERBS: Record<string, string> = {
  read: 'get',
  list: 'list',
  create: 'create',
  delete: 'delete',
  patch: 'patch',
  replace: 'update',
  connect: 'create',
};

/** `deleteNamespacedPod({ name, namespace })` → delete pods name in namespace; `readNamespacedPodLog` → get pods/log. */
function coreRequest(method: string, args: unknown[]): KubeRequest {
  const m = /^(read|list|create|delete|patch|replace|connect\w*?)(Namespaced)?([A-Z]\w*?)(Log|Status)?$/.exec(method);
  const p = (args[0] ?? {}) as { name?: string; namespace?: string };
  if (!m) return { verb: method, resource: '', ...p };
  const resource = `${m[3]!.toLowerCase()}s${m[4] ? `/${m[4].toLowerCase()}` : ''}`;
  return { verb: VERBS[m[1]!] ?? 'create', resource, name: p.name, namespace: p.namespace };
}

/**
 * The resource of a kind as the API server would guess it without discovery (k8s.io/apimachinery
 * meta.UnsafeGuessKindToResource: lower case, `s` → `ses`, `y` → `ies`, else `s`): StorageClass → storageclasses.
 */
export function guessResource(kind: string): string {
  const k = kind.toLowerCase();
  if (k.endsWith('s')) return `${k}es`;
  if (k.endsWith('y')) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

/** `apply(body)` → patch <kind> name in namespace (server-side apply is a PATCH), `isNamespaced` → discovery. */
function objectRequest(method: string, args: unknown[]): KubeRequest {
  const [first, second] = args as [
    { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } } | string | undefined,
    string?,
  ];
  if (typeof first === 'string') return { verb: 'get', resource: `${first} ${second ?? ''} (discovery)` };
  const verb = method === 'apply' ? 'patch' : method === 'read' ? 'get' : method;
  const apiVersion = first?.apiVersion ?? '';
  return {
    verb,
    resource: guessResource(first?.kind ?? ''),
    ...(apiVersion ? { group: apiVersion.includes('/') ? apiVersion.split('/')[0] : '' } : {}),
    name: first?.metadata?.name,
    namespace: first?.metadata?.namespace,
  };
}

/**
 * The client with every call's failure turned into a KubeApiError naming the request it answered (verb,
 * resource, object, namespace), so an error classified once (401/403/400: do not retry) carries that everywhere.
 */
function classifyingErrors<T extends object>(client: T, describe: (method: string, args: unknown[]) => KubeRequest): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'constructor') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        return result instanceof Promise
          ? result.catch((err: unknown) => {
              throw toKubeApiError(err, describe(prop, args));
            })
          : result;
      };
    },
  });
}

/** Options for a JSON merge patch through the typed API (whose patch calls default to JSON patch). */
export const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** `cannot delete pods "x" in namespace ns`. */
const refused = (r: KubeRequest) =>
  `${r.verb} ${r.resource}${r.name ? ` "${r.name}"` : ''}${r.namespace ? ` in namespace ${r.namespace}` : ''}`;

/**
 * What to do about a refusal: 401 and 403 are the kubeconfig's, not the cluster's. A 403 from the authorizer
 * names its rule in the server's own words (forbiddenRule); other 403s (admission: exceeded quota, a
 * namespace being deleted) are the server's message alone.
 */
function hint(code: number | undefined, r: KubeRequest | undefined, serverMessage: string): string {
  if (code === 401)
    return "; the API server did not accept the kubeconfig's credentials (an expired or revoked token, a wrong client certificate)";
  if (code !== 403) return '';
  const rule = forbiddenRule(serverMessage);
  if (rule)
    return `; the kubeconfig's user lacks the RBAC rule ${rulesText([rule]).join('')}: grant it (docs/rbac-existing.yaml) or use a kubeconfig that has it`;
  // A server-side apply that creates is authorized as create too, and refused without RBAC's wording
  // (k8s.io/apiserver endpoints/handlers patch.go, withAuthorization: `<resource> "<name>" is forbidden: `).
  if (r?.verb === 'patch' && r.group !== undefined && /is forbidden: ?$/.test(serverMessage)) {
    const create = { group: r.group, resource: r.resource, verb: 'create', namespace: r.namespace, why: '' };
    return `; a server-side apply that creates the object is authorized as create too: the kubeconfig's user lacks the RBAC rule ${rulesText([create]).join('')}: grant it (docs/rbac-existing.yaml) or use a kubeconfig that has it`;
  }
  if (r && serverMessage.includes('forbidden: User "'))
    return `; the kubeconfig's user may not ${refused(r)}: grant that right (docs/rbac-existing.yaml) or use a kubeconfig that has it`;
  return '';
}

/** The client's exception (or a network error) as a KubeApiError for `request`. */
export function toKubeApiError(err: unknown, request: KubeRequest | undefined): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const s = apiStatus(err);
  const head = request ? `cannot ${refused(request)}` : 'Kubernetes API request failed';
  return new KubeApiError(
    `${head}: ${s.message}${s.code === undefined ? '' : ` (HTTP ${s.code})`}${hint(s.code, request, s.message)}`,
    s.code,
    s.reason,
    s.message,
    s.causes,
    request,
    { cause: err },
  );
}

/** HTTP status and the API server's own message (its Status object) from an error thrown by client-node. */
export function apiStatus(err: unknown): { code?: number; reason?: string; message: string; causes: string[] } {
  if (err instanceof KubeApiError)
    return { code: err.code, reason: err.reason, message: err.serverMessage, causes: err.causes };
  // A network error quotes the URL it failed on, credentials and all.
  if (!(err instanceof ApiException)) return { message: redactUrl(messageOf(err)), causes: [] };
  let status:
    | { message?: string; reason?: string; details?: { causes?: Array<{ field?: string; message?: string }> } }
    | undefined;
  try {
    status = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as typeof status;
  } catch {
    status = { message: String(err.body) };
  }
  const causes = (status?.details?.causes ?? []).map((c) =>
    c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? ''),
  );
  return { code: err.code, reason: status?.reason, message: status?.message || `HTTP ${err.code}`, causes };
}

export const isNotFound = (err: unknown): boolean => apiStatus(err).code === 404;

/** A KubeApiError saying what failed in the API server's words (an ApiException's own message dumps headers). */
export function kubeError(doing: string, err: unknown): KubeApiError {
  const e = toKubeApiError(err, undefined);
  return e.rephrased(
    `${doing}: ${e.serverMessage}${e.code === undefined ? '' : ` (HTTP ${e.code})`}${hint(e.code, e.request, e.serverMessage)}`,
  );
}

/** The API server's Kubernetes version as MAJOR.MINOR (GET /version), within `timeoutMs`; else why not. */
export async function serverKubernetesVersion(
  kubeconfig: string | undefined,
  opts: { secret?: (value: string) => void; timeoutMs?: number } = {},
): Promise<{ version?: string; why?: string }> {
  // Content is written to a file only once the run has its own directory; it is never echoed from here.
  if (kubeconfig && isKubeconfigContent(kubeconfig)) return { why: 'the kubeconfig is given as content, read later' };
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const kc = loadKubeConfig(kubeconfig, {
      name: kubeconfig ? kubeconfigPathName(kubeconfig) : undefined,
      secret: opts.secret,
    });
    const api = kc.makeApiClient(VersionApi);
    const late = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs)),
    );
    const info = await Promise.race([api.getCode(), late]);
    const m = /^v?(\d+)\.(\d+)/.exec(info.gitVersion);
    return m ? { version: `${m[1]!}.${m[2]!}` } : { why: `the server reported version "${info.gitVersion}"` };
  } catch (err) {
    return { why: apiStatus(err).message };
  } finally {
    clearTimeout(timer);
  }
}
