import {
  ApiException,
  CoreV1Api,
  HttpMethod,
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { JsonObject } from '../../manifests/model.ts';
import { messageOf } from '../../errors.ts';
import { redactUrl } from './kubeconfig.ts';

export { loadKubeConfig } from './kubeconfig.ts';

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
    try {
      return (await this.resource(apiVersion, kind))?.namespaced;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined; // the group/version is not served
      throw err;
    }
  }

  /** Server-side apply (fieldManager, force) of `body`, which must carry its final namespace (or none). */
  async apply(body: JsonObject): Promise<KubernetesObject> {
    const spec = structuredClone(body) as unknown as KubernetesObject;
    const path = await this.specUriPath(spec, 'patch');
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
    request.setHeaderParam('Accept', 'application/json, */*;q=0.8');
    request.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    request.setQueryParam('fieldManager', FIELD_MANAGER);
    request.setQueryParam('force', 'true');
    request.setQueryParam('fieldValidation', 'Strict');
    // JSON is valid YAML, so application/apply-patch+yaml accepts it.
    request.setBody(JSON.stringify(body));
    return this.requestPromise(request);
  }
}

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  objects: ObjectApi;
}

export function kubeClients(kc: KubeConfig): KubeClients {
  return { kc, core: kc.makeApiClient(CoreV1Api), objects: kc.makeApiClient(ObjectApi) };
}

/** Options for a JSON merge patch through the typed API (whose patch calls default to JSON patch). */
export const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** HTTP status and the API server's own message (its Status object) from an error thrown by client-node. */
export function apiStatus(err: unknown): { code?: number; message: string; causes: string[] } {
  // A network error quotes the URL it failed on, credentials and all.
  if (!(err instanceof ApiException)) return { message: redactUrl(messageOf(err)), causes: [] };
  let status: { message?: string; details?: { causes?: Array<{ field?: string; message?: string }> } } | undefined;
  try {
    status = typeof err.body === 'string' ? JSON.parse(err.body) : (err.body as typeof status);
  } catch {
    status = { message: String(err.body) };
  }
  const causes = (status?.details?.causes ?? []).map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? '')));
  return { code: err.code, message: status?.message || `HTTP ${err.code}`, causes };
}

export const isNotFound = (err: unknown): boolean => err instanceof ApiException && err.code === 404;

/** An Error saying what failed in the API server's words (an ApiException's own message dumps headers). */
export function kubeError(doing: string, err: unknown): Error {
  const s = apiStatus(err);
  return new Error(`${doing}: ${s.message}${s.code === undefined ? '' : ` (HTTP ${s.code})`}`);
}

