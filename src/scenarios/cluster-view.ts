import type { HostPort, Platform, PodInfo } from '../platform/platform.ts';
import type { Topology, ClusterNode } from '../redis/types.ts';
import type { Log } from '../util/log.ts';
import { TimeoutError } from '../errors.ts';
import { waitFor } from '../util/wait.ts';
import { formatAddress, reachOf, withNode, type Reach } from '../redis/connect.ts';
import { myself, parseClusterNodes } from '../redis/cluster-nodes.ts';
import { probeCluster, replicationOf, type ClusterHealth } from '../redis/health.ts';
import { toTopology } from '../redis/topology.ts';
import type { ScenarioEnv } from './driver.ts';

// What every scenario reads from the cluster the same way: views, topology, nodes.conf, readiness, health.

const PRECONDITION_TIMEOUT_MS = 60_000;

export interface PodView {
  pod: PodInfo;
  nodes: ClusterNode[];
}

export async function clusterNodesOf(reach: Reach, address: HostPort): Promise<ClusterNode[]> {
  return parseClusterNodes(String(await withNode(reach, address, (r) => r.call('CLUSTER', 'NODES'))));
}

/** CLUSTER MYID of the node at `address`. */
export async function myIdOf(reach: Reach, address: HostPort): Promise<string> {
  return String(await withNode(reach, address, (r) => r.call('CLUSTER', 'MYID')));
}

/** Every pod as listed now, with its CLUSTER NODES: what a scenario sees before it touches anything. */
export async function viewsOfEveryPod(env: ScenarioEnv): Promise<PodView[]> {
  const pods = await env.platform.listPods();
  return podViews(reachOf(env.platform), pods, (p) => ({ host: p.ip, port: env.redis.port }));
}

/** Every pod's CLUSTER NODES. */
export async function podViews(reach: Reach, pods: PodInfo[], addressOf: (p: PodInfo) => HostPort): Promise<PodView[]> {
  return Promise.all(pods.map(async (pod) => ({ pod, nodes: await clusterNodesOf(reach, addressOf(pod)) })));
}

export function topologyOf(views: PodView[]): Topology {
  const podByIp = new Map(views.map((v) => [v.pod.ip, { name: v.pod.name, node: v.pod.node, zone: v.pod.zone }]));
  const first = views[0]!;
  return toTopology(first.nodes, podByIp, first.nodes.map((n) => n.raw).join('\n'));
}

/** nodes.conf's `myself` entry, read from the pod's PersistentVolume; null when the platform cannot see it. */
export async function nodesConfSelf(platform: Platform, pod: string, path: string): Promise<ClusterNode | null> {
  const text = await platform.readPersistentFile(pod, path);
  if (text === undefined) return null;
  return parseClusterNodes(text).find((n) => n.flags.has('myself')) ?? null;
}

/**
 * Before a fault: every replica among `addresses` linked (a replica whose link is not up refuses to fail over)
 * and no AOF rewrite in progress anywhere (SIGTERM is ignored while a replica writes its first AOF).
 */
export async function waitForPreconditions(
  reach: Reach,
  addresses: HostPort[],
  log: Log,
  signal?: AbortSignal,
): Promise<void> {
  await waitFor(
    'every replica linked (master_link_status:up) and no AOF rewrite in progress',
    async () => {
      const states = await Promise.all(addresses.map(async (a) => ({ a, s: await replicationOf(reach, a) })));
      const waiting = states.filter(
        ({ s }) => s.aofRewriteInProgress || (s.role === 'slave' && s.masterLinkStatus !== 'up'),
      );
      if (waiting.length === 0) return { done: true, value: undefined };
      return {
        done: false,
        seen: waiting
          .map(
            ({ a, s }) =>
              `${formatAddress(a)}: link ${s.masterLinkStatus ?? '-'}, aof rewrite ${s.aofRewriteInProgress ? 'in progress' : 'idle'}`,
          )
          .join('; '),
      };
    },
    {
      timeoutMs: PRECONDITION_TIMEOUT_MS,
      intervalMs: 200,
      signal,
      onProgress: (ms, seen) => log.progress(`preconditions, ${(ms / 1000).toFixed(0)} s: ${seen}`),
    },
  );
}

/**
 * Waits until the node at `address` satisfies `ok` (its role after a return); on timeout returns what it is,
 * for the check to judge. A timeout of 0 looks once.
 */
export async function waitForRole(
  reach: Reach,
  address: HostPort,
  expected: string,
  ok: (self: ClusterNode) => boolean,
  timeoutMs: number,
  log: Log,
  signal?: AbortSignal,
): Promise<{ self: ClusterNode; view: ClusterNode[]; ok: boolean }> {
  let last: { self: ClusterNode; view: ClusterNode[]; ok: boolean } | undefined;
  try {
    return await waitFor(
      `the recreated pod to rejoin as ${expected}`,
      async () => {
        const view = await clusterNodesOf(reach, address);
        last = { self: myself(view), view, ok: false };
        last.ok = ok(last.self);
        return last.ok ? { done: true, value: last } : { done: false, seen: last.self.raw };
      },
      {
        timeoutMs,
        intervalMs: 50,
        signal,
        onProgress: (ms, seen) => log.progress(`rejoin, ${(ms / 1000).toFixed(0)} s: ${seen}`),
      },
    );
  } catch (err) {
    if (!(err instanceof TimeoutError) || !last) throw err;
    if (timeoutMs > 0) log.warn(err.message);
    return last;
  }
}

/** Waits for a healthy cluster; on timeout returns the last probe, whose problems are the evidence. */
export async function waitForHealth(
  reach: Reach,
  addresses: HostPort[],
  expected: { nodes: number; masters: number },
  timeoutMs: number,
  log: Log,
  signal?: AbortSignal,
): Promise<ClusterHealth> {
  let last: ClusterHealth | undefined;
  try {
    return await waitFor(
      `a healthy cluster (${expected.nodes} nodes, ${expected.masters} masters owning slots)`,
      async () => {
        last = await probeCluster(reach, addresses, expected);
        return last.healthy ? { done: true, value: last } : { done: false, seen: last.problems.slice(0, 3).join('; ') };
      },
      {
        timeoutMs,
        intervalMs: 200,
        signal,
        onProgress: (ms, seen) => log.progress(`cluster health, ${(ms / 1000).toFixed(0)} s: ${seen}`),
      },
    );
  } catch (err) {
    if (!(err instanceof TimeoutError) || !last) throw err;
    if (timeoutMs > 0) log.warn(err.message);
    return last;
  }
}
