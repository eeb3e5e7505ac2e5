import type { HostPort, ManifestJobStatus, PodInfo } from '../platform/platform.ts';
import { TimeoutError } from '../errors.ts';
import type { Log } from '../util/log.ts';
import { waitFor, type ProbeResult } from '../util/wait.ts';
import { formatAddress, type Reach } from './connect.ts';
import { isMaster, isReplica, myself } from './cluster-nodes.ts';
import { assessViews, replicationOf, viewOf, type NodeHealthView } from './health.ts';
import type { TopologyRequest } from './plan.ts';

/**
 * The wait for a cluster the manifests form themselves (a Job running `redis-cli --cluster create`, a hook, a
 * script): done when every pod says cluster_state:ok, all 16384 slots are covered and agreed on, every node knows
 * every pod, and every replica's master_link_status is up. The topology is then read from the formed cluster.
 */
export interface FormedCluster extends TopologyRequest {
  durationMs: number;
}

export interface FormedWaitOptions {
  log: Log;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Why the bootstrap can no longer happen (a Job that has failed for good), checked on every round: the wait
   * then ends at once with it. */
  gaveUp?: () => Promise<string | undefined>;
  /** What to add to a timeout's message (the Job's last log lines). */
  cause?: () => Promise<string | undefined>;
}

/** Thrown when the manifests did not form the cluster: what every node showed, and the cause where one is known. */
export class NotFormedError extends Error {}

export async function waitForFormedCluster(
  reach: Reach,
  pods: PodInfo[],
  port: number,
  opts: FormedWaitOptions,
): Promise<FormedCluster> {
  const started = Date.now();
  const addresses: HostPort[] = pods.map((p) => ({ host: p.ip, port }));
  let last: NodeHealthView[] = [];
  const what = `the manifests to form the Redis Cluster (${pods.length} pods)`;
  try {
    const topology = await waitFor(
      what,
      async (): Promise<ProbeResult<TopologyRequest | Error>> => {
        last = await Promise.all(addresses.map((a) => viewOf(reach, a)));
        const masters = Math.max(
          0,
          ...last.map((v) => (v.nodes ?? []).filter((n) => isMaster(n) && n.slots.length).length),
        );
        const problems = assessViews(last, { nodes: pods.length, masters: Math.max(1, masters) });
        const pending = problems.length ? problems.slice(0, 3) : await replicasNotLinked(reach, last);
        if (pending.length) {
          // Formed or not is judged first: a Job that failed after forming the cluster did its part.
          const cause = await opts.gaveUp?.();
          if (cause !== undefined) return { done: true, value: new Error(cause) };
          return { done: false, seen: pending.join('; ') };
        }
        return { done: true, value: topologyOf(last) };
      },
      {
        timeoutMs: opts.timeoutMs,
        intervalMs: 500,
        ...(opts.signal ? { signal: opts.signal } : {}),
        onProgress: (ms, seen) => opts.log.progress(`waiting for ${what} (${Math.round(ms / 1000)} s): ${seen}`),
      },
    );
    if (topology instanceof Error)
      throw new NotFormedError(
        `${topology.message}\nthe manifests did not form the Redis Cluster; what the nodes showed:\n${describeViews(last)}`,
      );
    return { ...topology, durationMs: Date.now() - started };
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    const cause = await opts.cause?.().catch(() => undefined);
    throw new NotFormedError(
      `${cause ? `${cause}\n` : ''}the manifests did not form the Redis Cluster within ${(opts.timeoutMs / 1000).toFixed(0)} s; what the nodes showed:\n${describeViews(last)}`,
      { cause: err },
    );
  }
}

async function replicasNotLinked(reach: Reach, views: NodeHealthView[]): Promise<string[]> {
  const pending: string[] = [];
  await Promise.all(
    views.map(async (v) => {
      if (!v.nodes || !isReplica(myself(v.nodes))) return;
      const r = await replicationOf(reach, v.address);
      if (r.masterLinkStatus !== 'up')
        pending.push(`${formatAddress(v.address)} master_link_status:${r.masterLinkStatus ?? '-'}`);
    }),
  );
  return pending;
}

/** Masters and replicas per master as the formed cluster has them (an uneven spread: the smallest count). */
function topologyOf(views: NodeHealthView[]): TopologyRequest {
  const nodes = views[0]!.nodes!;
  const masters = nodes.filter((n) => isMaster(n) && n.slots.length > 0);
  const perMaster = masters.map((m) => nodes.filter((n) => isReplica(n) && n.masterId === m.id).length);
  return { masters: masters.length, replicasPerMaster: Math.min(...perMaster) };
}

/** One line per node: its cluster_state, how many nodes it knows, slots assigned (or why it did not answer). */
export function describeViews(views: NodeHealthView[]): string {
  if (views.length === 0) return '  (no node was asked yet)';
  return views
    .map((v) =>
      v.info
        ? `  ${formatAddress(v.address)}: cluster_state:${v.info.cluster_state ?? '?'}, cluster_known_nodes:${v.info.cluster_known_nodes ?? '?'}, cluster_slots_assigned:${v.info.cluster_slots_assigned ?? '?'}`
        : `  ${formatAddress(v.address)}: no answer (${v.error ?? 'no CLUSTER INFO'})`,
    )
    .join('\n');
}

/**
 * The cause of a bootstrap by the manifests that did not happen, from how their Jobs and Pods ran: `failed` when
 * every one that forms the cluster has failed for good (the wait need not go on), else what each is doing, with
 * its pod's last log lines.
 */
export function jobCause(jobs: ManifestJobStatus[], names: string[]): { failed: boolean; text: string } | undefined {
  const ours = jobs.filter((j) => names.includes(j.name));
  if (ours.length === 0) return undefined;
  const text = ours.map((j) => `${j.name} ${j.state}: ${j.detail}${j.lastLog ? `\n${j.lastLog}` : ''}`).join('\n');
  return { failed: ours.every((j) => j.state === 'failed' || j.state === 'not-run'), text };
}
