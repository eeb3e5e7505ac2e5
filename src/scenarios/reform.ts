import type { NodeHealthView, ReplicationState } from '../redis/health.ts';
import type { ClusterNode } from '../redis/types.ts';
import { formatSlots, isMaster, isReplica } from '../redis/cluster-nodes.ts';

// Whether a cluster whose every pod was recreated at once re-formed as it was: judged on CLUSTER NODES/INFO views
// (pure, so it is tested on made-up views). cluster_state:ok alone is not enough: right after a whole restart a
// node can report ok while it still lists its peers at their old addresses (docs/design.md).

/** One shard before the restart: the slots it serves and every NodeID in it (master first). */
export interface ShardBefore {
  slots: string[];
  masterId: string;
  memberIds: string[];
}

export function shardsOf(nodes: ClusterNode[]): ShardBefore[] {
  return nodes
    .filter((n) => isMaster(n) && n.slots.length > 0)
    .map((m) => ({
      slots: formatSlots(m.slots),
      masterId: m.id,
      memberIds: [m.id, ...nodes.filter((r) => isReplica(r) && r.masterId === m.id).map((r) => r.id)],
    }));
}

export interface ReformJudgement {
  ok: boolean;
  problems: string[];
  /** Shards whose slots are now served by another of their members (a replica promoted during the restart). */
  swapped: Array<{ slots: string; from: string; to: string }>;
  /** How many nodes list at least one peer at the peer's current address (0: nobody knows anybody's). */
  nodesKnowingAPeer: number;
  /** Not ok only because of replicas' replication links: the masters serve every slot at their new addresses,
   * so the data can still be read back. */
  onlyReplicationLinks: boolean;
}

/** The key of `links` in judgeReform: a view's address. */
export const linkKey = (v: NodeHealthView): string => `${v.address.host}:${v.address.port}`;

/**
 * `health` is what the cluster health probe said of these views (state, slots, flags, counts); on top: every
 * node lists exactly the NodeIDs of before, each at the address its pod has now, each shard's slots are
 * served by a member of that shard, and every replica's replication link is up to its master's new address
 * (`links`, INFO replication per view address: a replica was once seen still replicating from its master's old
 * IP after the re-form). `currentIp` maps a NodeID to its pod's IP now.
 */
export function judgeReform(
  views: NodeHealthView[],
  health: string[],
  shards: ShardBefore[],
  currentIp: Map<string, string>,
  links: Map<string, ReplicationState>,
): ReformJudgement {
  const problems = [...health];
  const linkProblems = new Set<string>();
  const known = new Set(shards.flatMap((s) => s.memberIds));
  let nodesKnowingAPeer = 0;
  const swapped = new Map<string, { slots: string; from: string; to: string }>();
  for (const v of views) {
    if (!v.nodes) continue;
    const who = `${v.address.host}:${v.address.port}`;
    const self = v.nodes.find((n) => n.flags.has('myself'));
    let peersCurrent = 0;
    for (const n of v.nodes) {
      if (!known.has(n.id))
        problems.push(
          `${who} lists node ${n.id.slice(0, 8)} (${n.ip}), which was not in the cluster before: a new or ghost node`,
        );
      const ip = currentIp.get(n.id);
      if (ip !== undefined && n.ip !== ip)
        problems.push(`${who} lists ${n.id.slice(0, 8)} at ${n.ip}, its old address (its pod is at ${ip} now)`);
      else if (ip !== undefined && n !== self) peersCurrent++;
    }
    if (peersCurrent > 0) nodesKnowingAPeer++;
    if (self && isReplica(self)) {
      const link = links.get(linkKey(v));
      const masterIp = self.masterId ? currentIp.get(self.masterId) : undefined;
      let linkProblem: string | undefined;
      if (!link) linkProblem = `${who} is a replica whose replication state could not be read`;
      else if (link.role !== 'slave' || link.masterLinkStatus !== 'up')
        linkProblem = `${who} is a replica whose replication link is ${link.masterLinkStatus ?? 'absent'} (master_host ${link.masterHost ?? 'none'})`;
      else if (masterIp !== undefined && link.masterHost !== masterIp)
        linkProblem = `${who} replicates from ${link.masterHost ?? 'none'}, not from its master's address now (${masterIp})`;
      if (linkProblem !== undefined) {
        problems.push(linkProblem);
        linkProblems.add(linkProblem);
      }
    }
    for (const id of known)
      if (!v.nodes.some((n) => n.id === id)) problems.push(`${who} does not know node ${id.slice(0, 8)}`);
    for (const s of shards) {
      const slot = Number(s.slots[0]!.split('-')[0]);
      const owner = v.nodes.find((n) => isMaster(n) && n.slots.some(([a, b]) => a <= slot && slot <= b));
      if (!owner) continue; // uncovered slots are among the health problems already
      const ownerSlots = formatSlots(owner.slots).join(',');
      if (!s.memberIds.includes(owner.id) || ownerSlots !== s.slots.join(',')) {
        problems.push(
          `${who} sees slots ${s.slots.join(',')} served by ${owner.id.slice(0, 8)} (${ownerSlots}), not by a node of that shard before`,
        );
      } else if (owner.id !== s.masterId)
        swapped.set(s.slots.join(','), { slots: s.slots.join(','), from: s.masterId, to: owner.id });
    }
  }
  const unique = [...new Set(problems)];
  return {
    ok: unique.length === 0,
    problems: unique,
    swapped: [...swapped.values()],
    nodesKnowingAPeer,
    onlyReplicationLinks: unique.length > 0 && unique.every((p) => linkProblems.has(p)),
  };
}

/** Why a cluster did not re-form, and the fix, from the last judgement (undefined when the cause is not this one). */
export function reformCause(j: ReformJudgement, views: NodeHealthView[]): { cause: string; fix: string } | undefined {
  const answering = views.filter((v) => v.nodes);
  if (answering.length === 0) return undefined;
  if (j.nodesKnowingAPeer === 0) {
    return {
      cause: "nodes came back on new addresses and none knows another's: the manifests have no peer re-discovery",
      fix:
        'have each pod, once Redis answers, resolve its peers through the headless Service (publishNotReadyAddresses: true) and CLUSTER MEET each of them by IP; ' +
        'one MEET between two nodes re-links only those two, every node meeting every other (or each meeting one common node) re-forms the cluster',
    };
  }
  const stale = answering.filter((v) =>
    v.nodes!.some(
      (n) =>
        !n.flags.has('myself') &&
        j.problems.some((p) => p.includes(`lists ${n.id.slice(0, 8)} at ${n.ip}, its old address`)),
    ),
  );
  if (stale.length > 0) {
    return {
      cause: `${answering.length - stale.length} of ${answering.length} nodes learned every peer's new address; the others still list peers at old addresses: the re-discovery reaches only part of the cluster`,
      fix: 'make every pod MEET every peer (or one common peer that all others also MEET) after each start, not only some pods',
    };
  }
  if (j.onlyReplicationLinks) {
    return {
      cause:
        "the masters re-formed and serve every slot at their new addresses, but replicas still replicate from their master's old address or not at all: Redis re-points a replica only when its moved master itself contacts it, not on gossip",
      fix: "have the re-discovery also send CLUSTER REPLICATE <master-id> on a replica whose master_host is not its master's address now (the default manifests' rediscover-peers.sh does)",
    };
  }
  return undefined;
}
