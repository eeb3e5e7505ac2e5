import type { JsonValue, ManifestObject, ManifestSet, RedisDeployment } from '../model.ts';
import {
  arrayAt,
  findingAt,
  isObject,
  namespaceOf,
  objectsOfKind,
  stringAt,
  stringsIn,
  valueAt,
  type LintRule,
} from './rule.ts';
import { containerAt } from './redis-view.ts';

const ID = 'redis-peer-rediscovery';

// After every pod restarts at once, each comes back on a new IP and its nodes.conf lists the peers at their old
// IPs: nobody can reach anybody and the cluster stays down until some node is told a peer's new address by
// CLUSTER MEET (measured, docs/design.md). What counts as a way back, read from the manifests:
// - CLUSTER MEET issued by anything in the pod: a container, init or sidecar container, a postStart hook, or a
//   script from a mounted ConfigMap (`redis-cli ... cluster meet`, `CLUSTER MEET` in code, a client's
//   `cluster('meet', ...)`/`cluster_meet(`);
// - a script that rewrites the peers' addresses in nodes.conf from DNS before Redis starts (it looks peers up:
//   getent/nslookup/dig). The common update-node.sh / fix-ip.sh only rewrites the `myself` line, which does not
//   tell any node where its peers went, so it does not count;
// - an operator: the StatefulSet is owned by a controller (ownerReferences) or a Redis custom resource is
//   among the manifests.
const MEET = /(?<![a-z])cluster[\s"',()_.-]*meet(?![a-z])/i;
const PEERS_IN_NODES_CONF = (text: string) =>
  text.includes('nodes.conf') && /\b(getent\s+(hosts|ahosts)|nslookup|dig)\b/.test(text);

/** Every container of the pod template, init and sidecar containers included. */
function containersOf(sts: ManifestObject): JsonValue[] {
  return [
    ...arrayAt(sts.body, ['spec', 'template', 'spec', 'containers']),
    ...arrayAt(sts.body, ['spec', 'template', 'spec', 'initContainers']),
  ];
}

/** The ConfigMap files mounted into any container of the pod (items honoured): where each is from, its text. */
function mountedConfigMapFiles(set: ManifestSet, sts: ManifestObject): Array<[from: string, text: string]> {
  const mounted = new Set(
    containersOf(sts).flatMap((c) => arrayAt(c, ['volumeMounts']).map((m) => stringAt(m, ['name']))),
  );
  const refs = arrayAt(sts.body, ['spec', 'template', 'spec', 'volumes'])
    .filter((v) => mounted.has(stringAt(v, ['name'])))
    .flatMap((v) => [
      valueAt(v, ['configMap']),
      ...arrayAt(v, ['projected', 'sources']).map((s) => valueAt(s, ['configMap'])),
    ])
    .filter(isObject);
  return refs.flatMap((ref) => {
    const cm = objectsOfKind(set, 'ConfigMap').find(
      (o) => o.name === stringAt(ref, ['name']) && namespaceOf(o) === namespaceOf(sts),
    );
    const data = valueAt(cm?.body, ['data']);
    if (!cm || !isObject(data)) return [];
    const items = arrayAt(ref, ['items']).map((it) => stringAt(it, ['key']));
    return Object.entries(data).flatMap(([k, v]): Array<[string, string]> =>
      typeof v === 'string' && (items.length === 0 || items.includes(k)) ? [[`ConfigMap ${cm.name} key ${k}`, v]] : [],
    );
  });
}

/** An operator runs the cluster (it re-introduces the nodes through the API, not DNS). */
function managedByOperator(set: ManifestSet, redis: RedisDeployment): boolean {
  return (
    arrayAt(redis.statefulSet.body, ['metadata', 'ownerReferences']).length > 0 ||
    set.objects.some(
      (o) => /redis|valkey/i.test(o.kind) && /^[^/]*\.[^/]*\//.test(o.apiVersion) && !o.apiVersion.includes('k8s.io/'),
    )
  );
}

/** What in the pod re-introduces the nodes after a whole restart, or undefined when nothing does. */
function rediscoveryOf(set: ManifestSet, redis: RedisDeployment): string | undefined {
  const sts = redis.statefulSet;
  for (const c of containersOf(sts)) {
    // Joined, so an argv written as separate words (["redis-cli", "cluster", "meet", ...]) reads as one line.
    const text = [...stringsIn(c)].map(([, s]) => s).join(' ');
    if (MEET.test(text)) return `container ${stringAt(c, ['name']) ?? '?'} runs CLUSTER MEET`;
    if (PEERS_IN_NODES_CONF(text))
      return `container ${stringAt(c, ['name']) ?? '?'} rewrites the peers' addresses in nodes.conf`;
  }
  const files = mountedConfigMapFiles(set, sts);
  const meet = files.find(([, t]) => MEET.test(t));
  if (meet) return `${meet[0]} runs CLUSTER MEET`;
  const rewrite = files.find(([, t]) => PEERS_IN_NODES_CONF(t));
  return rewrite ? `${rewrite[0]} rewrites the peers' addresses in nodes.conf` : undefined;
}

export const redisPeerRediscovery: LintRule = {
  id: ID,
  summary:
    'the pods find each other again after every pod restarts at once (CLUSTER MEET after each start; the headless Service publishes not-ready addresses)',
  check({ set, redis }) {
    if (!redis || redis.replicas < 2) return [];
    if (redis.launch.config !== 'unknown' && redis.directive('cluster-enabled')?.toLowerCase() !== 'yes') return []; // redis-cluster-enabled says so
    if (managedByOperator(set, redis)) return [];
    const service = objectsOfKind(set, 'Service').find(
      (s) =>
        s.name === redis.serviceName &&
        namespaceOf(s) === redis.namespace &&
        stringAt(s.body, ['spec', 'clusterIP']) === 'None',
    );
    const svc = service ? `the headless Service ${service.name}` : 'the headless Service';
    const how = rediscoveryOf(set, redis);
    if (how === undefined) {
      return [
        {
          rule: ID,
          severity: 'warning',
          message:
            `StatefulSet ${redis.name}: nothing re-introduces the nodes after every pod restarts at once ` +
            '(no container, init or sidecar container, hook or mounted script runs CLUSTER MEET, and no operator)',
          fix:
            'After a whole restart (node pool upgrade, power loss, `kubectl delete pods --all`) every pod comes back on a new IP ' +
            'and its nodes.conf lists its peers at their old IPs: no node reaches another and the cluster stays down. Have each pod, ' +
            `once ${redis.server.program} answers PING, resolve its peers through ${svc} and run \`redis-cli CLUSTER MEET <peer-ip> ${redis.port}\` ` +
            'for each (a wrapper script around the server or a sidecar container), with `publishNotReadyAddresses: true` on that Service; ' +
            'or let an operator manage the cluster. `--scenario cluster-restart` checks it.',
          at: containerAt(redis),
        },
      ];
    }
    // Kubernetes publishes DNS records (the Service name's A records and the per-pod pod.service names) only for
    // ready endpoints unless the Service sets publishNotReadyAddresses, whose stated primary use is "a StatefulSet's
    // Headless Service to propagate SRV DNS records for its Pods for the purpose of peer discovery": the
    // EndpointSlice controller then counts every endpoint as ready (Kubernetes API reference, ServiceSpec
    // publishNotReadyAddresses; DNS for Services and Pods: "Pods need to be ready in order to have a record").
    // Kubernetes' own Redis StatefulSet e2e manifest needed it ("lookup redis ...: no such host"). After a whole
    // restart the peers a pod must MEET are not ready yet, and a readiness probe that waits for cluster_state:ok
    // never passes until they are met: a deadlock on readiness.
    if (!service || valueAt(service.body, ['spec', 'publishNotReadyAddresses']) === true) return [];
    return [
      findingAt(
        ID,
        'warning',
        service,
        ['spec', 'publishNotReadyAddresses'],
        `Service ${service.name} governs StatefulSet ${redis.name}, whose pods re-find their peers (${how}), but it does not publish not-ready addresses`,
        'Kubernetes gives a pod DNS records (the Service name and pod.service) only once it is ready, unless the Service sets ' +
          '`publishNotReadyAddresses: true`. After a whole restart no peer is ready yet, so a pod resolving its peers finds none of ' +
          'them, and a readiness probe that waits for the cluster keeps every pod out of DNS for good. Set `publishNotReadyAddresses: true` in its spec.',
      ),
    ];
  },
};
