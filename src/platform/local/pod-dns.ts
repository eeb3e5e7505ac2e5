import type { Located, ManifestSet, RedisDeployment } from '../../manifests/model.ts';
import { labelsAt, namespaceOf, objectsOfKind, stringAt, valueAt } from '../../manifests/object-path.ts';
import { selects } from '../../manifests/selectors.ts';

/**
 * What the cluster DNS answers inside a pod about the StatefulSet's governing Service, emulated as the pod's
 * /etc/hosts (the sandbox's resolver reads files first). Kubernetes' DNS specification (kubernetes/dns,
 * docs/specification.md, "Records for a Headless Service"): `<service>.<ns>.svc.<zone>` has an A record for each
 * ready endpoint's IP, and `<hostname>.<service>.<ns>.svc.<zone>` one for each ready endpoint with a hostname (a
 * StatefulSet pod's hostname is its name, its subdomain the serviceName). With `publishNotReadyAddresses: true`
 * the endpoint controllers treat every pod as ready (ServiceSpec API reference), so pods that have an IP but are
 * not ready are listed too. The pod's resolv.conf search path (`<ns>.svc.<zone> svc.<zone> <zone>`) makes the
 * shorter forms resolve. The kubelet's own /etc/hosts always has the pod's own line, `<ip> <hostname>.<subdomain>
 * .<ns>.svc.<zone> <hostname>`, ready or not; other pods' bare names resolve nowhere.
 */

const ZONE = 'cluster.local';

/** The governing Service as the DNS sees it. */
export interface GoverningService {
  name: string;
  namespace: string;
  /** Headless (clusterIP: None) and selecting the StatefulSet's pods: only then are there per-pod records. */
  publishesPods: boolean;
  /** spec.publishNotReadyAddresses: not-ready pods are listed too. */
  publishNotReady: boolean;
  /** Why the Service's pods get no records here, when they do not (said once by the platform). */
  note?: string;
}

/** One pod as the DNS sees it. */
export interface DnsPod {
  name: string;
  /** Empty while the pod has no address (deleted, not yet started). */
  ip: string;
  ready: boolean;
}

/** The Service named by the StatefulSet's serviceName, from the manifests. */
export function governingService(set: ManifestSet, r: RedisDeployment): GoverningService {
  const base = { name: r.serviceName, namespace: r.namespace, publishesPods: false, publishNotReady: false };
  if (!r.serviceName)
    return {
      ...base,
      note: `StatefulSet ${r.name} has no serviceName: its pods have no DNS names but their own hostname`,
    };
  const service = objectsOfKind(set, 'Service').find((s) => s.name === r.serviceName && namespaceOf(s) === r.namespace);
  if (!service)
    return {
      ...base,
      note: `Service ${r.serviceName} (StatefulSet ${r.name}'s serviceName) is not among the manifests: the pods get no DNS names through it`,
    };
  const where = (at: Located) => `${at.file}:${at.line}`;
  if (stringAt(service.body, ['spec', 'clusterIP']) !== 'None') {
    return {
      ...base,
      note: `Service ${r.serviceName} is not headless (${where(service.locate(['spec', 'clusterIP']))}): Kubernetes gives it a virtual IP, which the local platform does not emulate, and no per-pod names; its name does not resolve in the pods`,
    };
  }
  if (!selects(labelsAt(service.body, ['spec', 'selector']), r.podLabels)) {
    return {
      ...base,
      note: `Service ${r.serviceName}'s selector (${where(service.locate(['spec', 'selector']))}) does not select StatefulSet ${r.name}'s pods: no DNS names through it`,
    };
  }
  return {
    ...base,
    publishesPods: true,
    publishNotReady: valueAt(service.body, ['spec', 'publishNotReadyAddresses']) === true,
  };
}

/** Names of the Service itself, from the fully qualified one to the shortest the search path completes. */
function serviceNames(svc: GoverningService): string[] {
  return [
    `${svc.name}.${svc.namespace}.svc.${ZONE}`,
    `${svc.name}.${svc.namespace}.svc`,
    `${svc.name}.${svc.namespace}`,
    svc.name,
  ];
}

/** Names of one pod through the Service: `<pod>.<svc>` up to the fully qualified name. */
function podServiceNames(pod: string, svc: GoverningService): string[] {
  return serviceNames(svc).map((n) => `${pod}.${n}`);
}

/** Whether the Service's DNS lists a pod now. */
export function published(pod: DnsPod, svc: GoverningService): boolean {
  return svc.publishesPods && pod.ip !== '' && (pod.ready || svc.publishNotReady);
}

/** One pod's /etc/hosts: the kubelet's lines, its own name, and the Service's records as the DNS has them now. */
export function podHostsText(self: DnsPod, pods: readonly DnsPod[], svc: GoverningService): string {
  const lines = [
    "# Kubernetes-managed hosts file (local platform: the headless Service's DNS records, kept current).",
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
  ];
  const selfListed = published(self, svc);
  for (const p of pods) {
    const isSelf = p.name === self.name;
    if (!published(p, svc) && !(isSelf && p.ip)) continue;
    const names = published(p, svc) ? [...podServiceNames(p.name, svc), ...serviceNames(svc)] : [];
    // The kubelet's line for the pod itself: its FQDN through its subdomain and its bare hostname.
    if (isSelf)
      names.push(...(svc.name && !selfListed ? [`${p.name}.${svc.name}.${svc.namespace}.svc.${ZONE}`] : []), p.name);
    lines.push(`${p.ip}\t${names.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}
