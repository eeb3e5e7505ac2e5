import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { PodInfo } from '../platform.ts';
import { isNotFound, kubeError } from './api.ts';

/** The Redis StatefulSet as the Kubernetes platform addresses it. */
export interface StatefulSetTarget {
  namespace: string;
  name: string;
  /** Labels of its pod template (the label selector for its pods). */
  podLabels: Record<string, string>;
  replicas: number;
}

export const labelSelector = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** StatefulSet pods are named <statefulset>-<ordinal>; undefined for any other name. */
export function ordinalOf(podName: string, statefulSet: string): number | undefined {
  if (!podName.startsWith(`${statefulSet}-`)) return undefined;
  const rest = podName.slice(statefulSet.length + 1);
  return /^\d+$/.test(rest) ? Number(rest) : undefined;
}

/** Ready condition True, and not on its way out (a terminating pod can still report Ready). */
export function isPodReady(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Running with an IP and not terminating: its container has started. The failover scenario probes Redis itself
 * from here on, so waiting for the readiness probe (a period of seconds) would only inflate the rejoin time.
 */
export function isPodStarted(pod: V1Pod): boolean {
  return !pod.metadata?.deletionTimestamp && pod.status?.phase === 'Running' && Boolean(pod.status.podIP);
}

export function toPodInfo(pod: V1Pod, statefulSet: string, zones?: Map<string, string>): PodInfo {
  const name = pod.metadata?.name ?? '';
  const node = pod.spec?.nodeName ?? '';
  const zone = zones?.get(node);
  return {
    name,
    uid: pod.metadata?.uid ?? '',
    ip: pod.status?.podIP ?? '',
    node,
    ...(zone ? { zone } : {}),
    ready: isPodReady(pod),
    ordinal: ordinalOf(name, statefulSet) ?? -1,
  };
}

/** The pods among `items` that are the StatefulSet's (named <statefulset>-<ordinal>), by ordinal. */
export function statefulSetPodsOf(items: V1Pod[], statefulSet: string): V1Pod[] {
  return items
    .filter((p) => ordinalOf(p.metadata?.name ?? '', statefulSet) !== undefined)
    .sort((a, b) => ordinalOf(a.metadata!.name!, statefulSet)! - ordinalOf(b.metadata!.name!, statefulSet)!);
}

/** The StatefulSet's pods (by label selector and name), by ordinal. */
export async function statefulSetPods(core: CoreV1Api, target: StatefulSetTarget): Promise<V1Pod[]> {
  const list = await core.listNamespacedPod({
    namespace: target.namespace,
    labelSelector: labelSelector(target.podLabels),
  });
  return statefulSetPodsOf(list.items, target.name);
}

/** The pod, or undefined when there is none by that name. */
export function readPod(core: CoreV1Api, namespace: string, name: string): Promise<V1Pod | undefined> {
  return core.readNamespacedPod({ name, namespace }).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw kubeError(`reading pod ${name}`, err);
  });
}

/** The `topology.kubernetes.io/zone` label of each node that has one; empty where the nodes cannot be listed. */
export async function nodeZones(core: CoreV1Api): Promise<Map<string, string>> {
  const nodes = await core.listNode().catch(() => undefined);
  const zones = new Map<string, string>();
  for (const n of nodes?.items ?? []) {
    const zone = n.metadata?.labels?.['topology.kubernetes.io/zone'];
    if (n.metadata?.name && zone) zones.set(n.metadata.name, zone);
  }
  return zones;
}
