import type { Redis } from 'ioredis';
import type { HostPort } from '../platform/platform.ts';
import { messageOf } from '../errors.ts';
import type { ClusterNode } from './types.ts';
import { formatAddress, infoFields, withNode, type Reach } from './connect.ts';
import type { NodePool } from './node-pool.ts';
import {
  formatSlots,
  isMaster,
  isReplica,
  myself,
  nodeAddress,
  parseClusterNodes,
  SLOT_COUNT,
  slotCount,
  troubleFlags,
} from './cluster-nodes.ts';

export interface NodeHealthView {
  address: HostPort;
  nodes?: ClusterNode[];
  /** CLUSTER INFO fields. */
  info?: Record<string, string>;
  error?: string;
}

export interface ClusterHealth {
  healthy: boolean;
  /** Human sentences, each naming the node that reported it. */
  problems: string[];
  views: NodeHealthView[];
}

export interface ExpectedShape {
  /** Every node the cluster should know (cluster_known_nodes). */
  nodes: number;
  /** Masters that own slots. */
  masters: number;
}

/** CLUSTER NODES and CLUSTER INFO over an open connection. */
export async function clusterViewFrom(r: Redis): Promise<{ nodes: ClusterNode[]; info: Record<string, string> }> {
  const [nodesText, infoText] = await Promise.all([r.call('CLUSTER', 'NODES'), r.call('CLUSTER', 'INFO')]);
  return { nodes: parseClusterNodes(String(nodesText)), info: infoFields(String(infoText)) };
}

/** CLUSTER NODES and CLUSTER INFO from one node (over `pool`'s kept connection when given); a failure is kept in
 * the view, not thrown. */
export async function viewOf(reach: Reach, address: HostPort, pool?: NodePool): Promise<NodeHealthView> {
  try {
    return {
      address,
      ...(await (pool ? pool.use(address, clusterViewFrom) : withNode(reach, address, clusterViewFrom))),
    };
  } catch (err) {
    return { address, error: messageOf(err) };
  }
}

/**
 * Asks every node and judges the answers together. cluster_state:ok alone lies for a moment after a mass
 * restart, so health also needs the expected node count, no fail/fail?/handshake/noaddr entries and one view
 * of who owns which slots from every node.
 */
export async function probeCluster(
  reach: Reach,
  addresses: HostPort[],
  expected: ExpectedShape,
): Promise<ClusterHealth> {
  const views = await Promise.all(addresses.map((a) => viewOf(reach, a)));
  const problems = assessViews(views, expected);
  return { healthy: problems.length === 0, problems, views };
}

/** The judgement of probeCluster, on views already gathered (pure, so it can be tested on captured output). */
export function assessViews(views: NodeHealthView[], expected: ExpectedShape): string[] {
  const problems: string[] = [];
  let reference: { who: string; ownership: string } | undefined;
  for (const view of views) {
    const who = formatAddress(view.address);
    if (view.error !== undefined || !view.nodes || !view.info) {
      problems.push(`${who} does not answer: ${view.error ?? 'no CLUSTER NODES/INFO'}`);
      continue;
    }
    const info = view.info;
    if (info.cluster_state !== 'ok') problems.push(`${who} reports cluster_state:${info.cluster_state ?? '(missing)'}`);
    for (const field of ['cluster_slots_assigned', 'cluster_slots_ok'] as const) {
      if (info[field] !== String(SLOT_COUNT))
        problems.push(`${who} reports ${field}:${info[field] ?? '(missing)'} (expected ${SLOT_COUNT})`);
    }
    if (info.cluster_known_nodes !== String(expected.nodes)) {
      problems.push(`${who} knows ${info.cluster_known_nodes ?? '?'} nodes (expected ${expected.nodes})`);
    }
    problems.push(...nodeProblems(who, view.nodes, expected));
    const ownership = ownershipOf(view.nodes);
    if (!reference) reference = { who, ownership };
    else if (ownership !== reference.ownership) {
      problems.push(
        `${who} sees a different slot ownership than ${reference.who}: ${ownership} vs ${reference.ownership}`,
      );
    }
  }
  return problems;
}

const describe = (n: ClusterNode): string => `${n.id.slice(0, 8)} (${n.ip ? nodeAddress(n) : 'no address'})`;

function nodeProblems(who: string, nodes: ClusterNode[], expected: ExpectedShape): string[] {
  const problems: string[] = [];
  for (const n of nodes) {
    const trouble = troubleFlags(n);
    if (trouble.length > 0) problems.push(`${who} sees node ${describe(n)} as ${trouble.join(',')}`);
  }
  const masters = nodes.filter(isMaster);
  const owning = masters.filter((n) => n.slots.length > 0);
  for (const ghost of masters.filter((n) => n.slots.length === 0)) {
    problems.push(`${who} sees master ${describe(ghost)} with no slots (a ghost or extra master)`);
  }
  if (owning.length !== expected.masters)
    problems.push(`${who} sees ${owning.length} masters owning slots (expected ${expected.masters})`);
  const covered = slotCount(owning);
  if (covered !== SLOT_COUNT) problems.push(`${who} sees ${covered} of ${SLOT_COUNT} slots owned`);
  const masterIds = new Set(masters.map((m) => m.id));
  for (const r of nodes.filter(isReplica)) {
    if (!r.masterId || !masterIds.has(r.masterId))
      problems.push(`${who} sees replica ${describe(r)} following unknown master ${r.masterId ?? '-'}`);
  }
  if (!nodes.some((n) => n.flags.has('myself'))) problems.push(`${who} lists no "myself" entry`);
  return problems;
}

/** Which master id (and address) owns which slots, as one comparable string. */
function ownershipOf(nodes: ClusterNode[]): string {
  return nodes
    .filter((n) => isMaster(n) && n.slots.length > 0)
    .map((n) => `${n.id.slice(0, 8)}@${nodeAddress(n)}=${formatSlots(n.slots).join(',')}`)
    .sort()
    .join(' ');
}

export interface ReplicationState {
  role: string;
  masterHost?: string;
  masterPort?: number;
  /** 'up' once the replica's link to its master is established and synced. */
  masterLinkStatus?: string;
  connectedReplicas?: number;
  /** master_repl_offset: on a master, how far its replication stream has got; on a replica, how far it has read. */
  replOffset?: number;
  /** A replica writing its first AOF ignores SIGTERM; do not delete it before this is false. */
  aofRewriteInProgress: boolean;
}

async function infoOf(reach: Reach, address: HostPort, ...sections: string[]): Promise<Record<string, string>> {
  return infoFields(String(await withNode(reach, address, (r) => r.call('INFO', ...sections))));
}

/** The server a node runs, as it says itself. */
export interface ServerVersion {
  name: 'Redis' | 'Valkey';
  version: string;
}

/**
 * INFO server → which server and version. Valkey answers `server_name:valkey` and `valkey_version:8.0.1`, and
 * keeps `redis_version:7.2.4` (the Redis it forked from, for clients that test it); Redis has only redis_version.
 */
export function serverVersionFrom(f: Record<string, string>): ServerVersion {
  if (f.valkey_version !== undefined || f.server_name === 'valkey')
    return { name: 'Valkey', version: f.valkey_version ?? f.redis_version ?? 'unknown' };
  return { name: 'Redis', version: f.redis_version ?? 'unknown' };
}

/** What every node runs, in one: "Valkey 8.0.1"; differing answers joined ("Redis 7.0.15, 7.2.5"). */
export async function serverVersionOf(reach: Reach, addresses: HostPort[]): Promise<ServerVersion> {
  const answers = await Promise.all(addresses.map(async (a) => serverVersionFrom(await infoOf(reach, a, 'server'))));
  const names = [...new Set(answers.map((a) => a.name))];
  const versions = [...new Set(answers.map((a) => a.version))];
  return { name: names.join(', ') as ServerVersion['name'], version: versions.join(', ') };
}

/** INFO replication (and persistence, for the AOF rewrite) of one node. */
export function replicationOf(reach: Reach, address: HostPort): Promise<ReplicationState> {
  return withNode(reach, address, replicationFrom);
}

/** replicationOf over an open connection. */
export async function replicationFrom(r: Redis): Promise<ReplicationState> {
  const f = infoFields(String(await r.call('INFO', 'replication', 'persistence')));
  if (!f.role) throw new Error('INFO replication has no role field');
  return {
    role: f.role,
    ...(f.master_host !== undefined ? { masterHost: f.master_host } : {}),
    ...(f.master_port !== undefined ? { masterPort: Number(f.master_port) } : {}),
    ...(f.master_link_status !== undefined ? { masterLinkStatus: f.master_link_status } : {}),
    ...(f.connected_slaves !== undefined ? { connectedReplicas: Number(f.connected_slaves) } : {}),
    ...(f.master_repl_offset !== undefined ? { replOffset: Number(f.master_repl_offset) } : {}),
    aofRewriteInProgress: f.aof_rewrite_in_progress === '1',
  };
}

/** INFO persistence's aof_rewrite_in_progress: true while the node writes an AOF (its first one after a sync). */
export async function aofRewriteInProgress(reach: Reach, address: HostPort): Promise<boolean> {
  return (await infoOf(reach, address, 'persistence')).aof_rewrite_in_progress === '1';
}

/** The node's own entry from its CLUSTER NODES, for checks on one node (role, id, address it announces). */
export async function selfOf(reach: Reach, address: HostPort): Promise<ClusterNode> {
  return myself(parseClusterNodes(String(await withNode(reach, address, (r) => r.call('CLUSTER', 'NODES')))));
}
