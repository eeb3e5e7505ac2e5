import { createHash } from 'node:crypto';
import type { JsonObject } from '../../../src/manifests/model.ts';
import { discovery } from './api-server.ts';

/**
 * Legacy discovery's roots: GET /api (APIVersions) and GET /apis (APIGroupList), from the group-versions the
 * fixture serves (https://kubernetes.io/docs/concepts/overview/kubernetes-api/#discovery-api). A real 1.36
 * server also offers aggregated discovery (apidiscovery.k8s.io/v2) when the client asks for it in Accept;
 * answering plain JSON is what a server without it does, and clients (kubectl, client-go) then read the
 * per-group-version lists (/api/v1, /apis/apps/v1, ...) instead.
 */
export function discoveryRoot(path: string): JsonObject | undefined {
  const groupVersions = Object.values(discovery).map((l) => l.groupVersion!);
  if (path === '/api') {
    return {
      kind: 'APIVersions',
      versions: groupVersions.filter((gv) => !gv.includes('/')),
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '172.18.0.2:6443' }],
    };
  }
  if (path !== '/apis') return undefined;
  const groups = new Map<string, string[]>();
  for (const gv of groupVersions.filter((g) => g.includes('/'))) {
    const [group, version] = gv.split('/') as [string, string];
    groups.set(group, [...(groups.get(group) ?? []), version]);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => ({
      name,
      versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
      preferredVersion: { groupVersion: `${name}/${versions[0]!}`, version: versions[0]! },
    })),
  };
}

/**
 * The API server's OpenAPI v3 documents (GET /openapi/v3 and /openapi/v3/<group-version>), reduced to what
 * clients read from them: each served resource's PATCH operation with its x-kubernetes-group-version-kind and
 * query parameters. kubectl apply reads them to learn whether the server validates fields itself
 * (k8s.io/cli-runtime pkg/resource/query_param_verifier_v3.go, supportsQueryParamV3: the PATCH operation of
 * the kind lists a `fieldValidation` parameter); without them it falls back to /openapi/v2 and, finding none,
 * refuses to apply ("failed to download openapi"). The schemas of the objects are left out: kubectl does not
 * need them to apply, get or delete.
 * Root format: {"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=..."}}}
 * (https://kubernetes.io/docs/concepts/overview/kubernetes-api/#openapi-v3).
 */
export function openapiV3(path: string): JsonObject | undefined {
  const docs = new Map(
    Object.entries(discovery).map(([discoveryPath, list]) => [discoveryPath.slice(1), groupVersionDoc(list)]),
  );
  if (path === '/openapi/v3') {
    const paths: JsonObject = {};
    for (const [gv, doc] of docs) {
      const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase();
      paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
    }
    return { paths };
  }
  const gv = /^\/openapi\/v3\/(.+)$/.exec(path)?.[1];
  return gv === undefined ? undefined : docs.get(gv);
}

const PATCH_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
}));

function groupVersionDoc(list: (typeof discovery)[string]): JsonObject {
  const groupVersion = list.groupVersion!;
  const [group, version] = groupVersion.includes('/') ? groupVersion.split('/') : ['', groupVersion];
  const prefix = group ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
  const paths: JsonObject = {};
  for (const r of list.resources ?? []) {
    const itemPath = `${prefix}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.name}/{name}`;
    paths[itemPath] = {
      patch: {
        operationId: `patch${r.kind}`,
        parameters: PATCH_PARAMETERS,
        responses: { '200': { description: 'OK' }, '201': { description: 'Created' } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: group!, version: version!, kind: r.kind },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.36.1' },
    paths,
    components: { schemas: {} },
  };
}
