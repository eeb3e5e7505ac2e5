import type { HistoryRecorder } from './history/model.ts';
import type { Check, FailoverPath, WriteStats } from './model.ts';
import type { PodInfo } from '../platform/platform.ts';
import type { ClusterNode } from '../redis/types.ts';
import { formatSlots, nodeAddress } from '../redis/cluster-nodes.ts';

/**
 * The master-failover scenario's six checks, as pure functions of what the scenario observed. A fact that is
 * undefined was never observed because the scenario stopped early: its check is skipped with `notReached`.
 */

const skipped = (id: Check['id'], why: string): Check => ({ id, status: 'skipped', summary: why, evidence: {} });
const short = (id: string): string => id.slice(0, 8);

export interface Victim {
  pod: string;
  nodeId: string;
  uid: string;
  ip: string;
  slots: Array<[number, number]>;
  /** The victim's CLUSTER NODES line before the deletion. */
  line: string;
  replicaIds: string[];
}

/** Why a replica can or cannot be elected: it needs votes from a majority of the masters that own slots. */
export function electionQuorum(mastersWithSlots: number): {
  votesNeeded: number;
  votersLeft: number;
  possible: boolean;
  note: string;
} {
  const votesNeeded = Math.floor(mastersWithSlots / 2) + 1;
  const votersLeft = mastersWithSlots - 1;
  const possible = votersLeft >= votesNeeded;
  const note = possible
    ? `${votersLeft} of ${mastersWithSlots} masters remain to vote; a replica needs ${votesNeeded}`
    : mastersWithSlots === 1
      ? 'the victim is the only master: a replica needs votes from a majority of the masters, and no master is left to vote, so Redis Cluster cannot fail over automatically (use 3 or more masters)'
      : `only ${votersLeft} of ${mastersWithSlots} masters remain to vote and a replica needs a majority of ${votesNeeded}, so Redis Cluster cannot fail over automatically (use 3 or more masters)`;
  return { votesNeeded, votersLeft, possible, note };
}

export interface PromotionFacts {
  path: FailoverPath;
  victim: Victim;
  mastersWithSlots: number;
  failoverTimeoutMs: number;
  /** What Redis may need with the manifests' node timeout (redis/failover-timing.ts); unknown when absent. */
  failoverFloorMs?: number;
  promoted?: { node: ClusterNode; atMs: number };
  /** What the survivors last said about the victim (their lines for its NodeID), for a failed wait. */
  lastSeen: string[];
  /** The watch ended because the victim's address was taken (noaddr): what that means. */
  addressTaken?: string;
  /** Why Redis will not fail over, as the survivors showed it before the timeout (failover-blocker.ts). */
  blocked?: string;
}

/** replica-promoted from what a failover watch saw (undefined: the watch was not reached). */
export function promotionCheck(
  f: {
    path: FailoverPath;
    victim: Victim;
    mastersWithSlots: number;
    opts: { failoverTimeoutMs: number; failoverFloorMs?: number };
    watch?: {
      promoted?: ClusterNode;
      events: { promotedAt?: number };
      lastSeen: string[];
      addressTaken?: string;
      blocked?: string;
    };
  },
  t0: number | undefined,
  notReached: string,
): Check {
  const promoted = f.watch?.promoted;
  return replicaPromoted(
    {
      path: f.path,
      victim: f.victim,
      mastersWithSlots: f.mastersWithSlots,
      failoverTimeoutMs: f.opts.failoverTimeoutMs,
      ...(f.opts.failoverFloorMs !== undefined ? { failoverFloorMs: f.opts.failoverFloorMs } : {}),
      ...(promoted && t0 !== undefined ? { promoted: { node: promoted, atMs: f.watch!.events.promotedAt! - t0 } } : {}),
      lastSeen: f.watch?.lastSeen ?? [],
      ...(f.watch?.addressTaken ? { addressTaken: f.watch.addressTaken } : {}),
      ...(f.watch?.blocked !== undefined ? { blocked: f.watch.blocked } : {}),
    },
    f.watch ? undefined : notReached,
  );
}

export function replicaPromoted(f: PromotionFacts, notReached?: string): Check {
  const quorum = electionQuorum(f.mastersWithSlots);
  if (f.path === 'restarted-before-failover') {
    return skipped(
      'replica-promoted',
      'the pod came back before any failover (restart not held): nothing is promoted on this path',
    );
  }
  const evidence: Record<string, unknown> = {
    quorum: quorum.note,
    mastersWithSlots: f.mastersWithSlots,
    votesNeeded: quorum.votesNeeded,
    victimNodeId: f.victim.nodeId,
    victimSlots: formatSlots(f.victim.slots),
    replicasOfVictim: f.victim.replicaIds,
  };
  if (f.promoted) {
    return {
      id: 'replica-promoted',
      status: 'pass',
      summary: `replica ${short(f.promoted.node.id)} (${nodeAddress(f.promoted.node)}) took over slots ${formatSlots(f.victim.slots).join(',')} ${f.promoted.atMs} ms after the deletion`,
      evidence: {
        ...evidence,
        promotedNodeId: f.promoted.node.id,
        promotedLine: f.promoted.node.raw,
        atMs: f.promoted.atMs,
      },
    };
  }
  if (notReached) return { ...skipped('replica-promoted', notReached), evidence };
  if (f.blocked !== undefined) {
    return {
      id: 'replica-promoted',
      status: 'fail',
      summary: `no replica will take over slots ${formatSlots(f.victim.slots).join(',')}, as Redis shows: ${f.blocked}`,
      evidence: { ...evidence, blocked: f.blocked, lastSeenOfVictim: f.lastSeen },
    };
  }
  const why =
    f.addressTaken ??
    (quorum.possible
      ? f.victim.replicaIds.length === 0
        ? 'the victim had no replica to promote'
        : f.failoverFloorMs !== undefined && f.failoverTimeoutMs < f.failoverFloorMs
          ? `the failover timeout is below the ${f.failoverFloorMs} ms Redis may need with its cluster-node-timeout, so this says nothing about Redis (raise the failover timeout)`
          : 'Redis did not elect a replica in time'
      : quorum.note);
  return {
    id: 'replica-promoted',
    status: 'fail',
    summary: f.addressTaken
      ? `no replica took over slots ${formatSlots(f.victim.slots).join(',')}: ${why}`
      : `no replica took over slots ${formatSlots(f.victim.slots).join(',')} within ${(f.failoverTimeoutMs / 1000).toFixed(0)} s: ${why}`,
    evidence: {
      ...evidence,
      lastSeenOfVictim: f.lastSeen,
      ...(f.failoverFloorMs !== undefined ? { failoverFloorMs: f.failoverFloorMs } : {}),
    },
  };
}

/** `returnFailed`: the pod was recreated but its container never served (PodNotServingError's message). */
export function podRecreated(
  victim: Victim,
  after: PodInfo | undefined,
  notReached: string,
  returnFailed?: string,
): Check {
  if (!after && returnFailed)
    return {
      id: 'pod-recreated',
      status: 'fail',
      summary: `pod ${victim.pod} never came back to serve: ${returnFailed}`,
      evidence: { pod: victim.pod, uidBefore: victim.uid },
    };
  if (!after) return skipped('pod-recreated', notReached);
  const evidence = {
    pod: victim.pod,
    uidBefore: victim.uid,
    uidAfter: after.uid,
    ipBefore: victim.ip,
    ipAfter: after.ip,
  };
  return after.uid !== victim.uid
    ? {
        id: 'pod-recreated',
        status: 'pass',
        summary: `pod ${victim.pod} was recreated (new UID ${after.uid}, address ${victim.ip} -> ${after.ip})`,
        evidence,
      }
    : {
        id: 'pod-recreated',
        status: 'fail',
        summary: `pod ${victim.pod} still has its old UID ${victim.uid}: the fault did not happen`,
        evidence,
      };
}

export interface NodeIdFacts {
  victim: Victim;
  /** nodes.conf's `myself` line before the deletion and after the return; null when it cannot be read from outside. */
  confBefore: ClusterNode | null;
  confAfter: ClusterNode | null;
  /** CLUSTER MYID of the returned pod. */
  myIdAfter: string;
  addressBefore: string;
  addressAfter: string;
  clusterConfigFile: string;
  onPersistentVolume: boolean;
}

export function nodeIdKept(f: NodeIdFacts | undefined, notReached: string): Check {
  if (!f) return skipped('node-id-kept', notReached);
  const recorded = f.victim.nodeId;
  const evidence = {
    nodeIdBefore: recorded,
    nodeIdAfter: f.myIdAfter,
    addressBefore: f.addressBefore,
    addressAfter: f.addressAfter,
    nodesConfMyselfBefore: f.confBefore?.raw ?? 'not readable from outside the pod',
    nodesConfMyselfAfter: f.confAfter?.raw ?? 'not readable from outside the pod',
    clusterConfigFile: f.clusterConfigFile,
    onPersistentVolume: f.onPersistentVolume,
  };
  const confMismatch = [f.confBefore, f.confAfter].find((c) => c && c.id !== recorded);
  if (f.myIdAfter === recorded && !confMismatch) {
    return {
      id: 'node-id-kept',
      status: 'pass',
      summary: `pod came back at ${f.addressAfter} with its NodeID ${recorded} (was at ${f.addressBefore})`,
      evidence,
    };
  }
  const hint = f.onPersistentVolume
    ? ''
    : `; ${f.clusterConfigFile} is not on a PersistentVolume, so it is lost with the pod`;
  const now = f.myIdAfter !== recorded ? f.myIdAfter : confMismatch!.id;
  return {
    id: 'node-id-kept',
    status: 'fail',
    summary: `NodeID changed: was ${recorded}, now ${now}${hint}`,
    evidence,
  };
}

export interface RejoinFacts {
  path: FailoverPath;
  victim: Victim;
  promotedId?: string;
  /** The returned node's own CLUSTER NODES, and its `myself` entry. */
  self: ClusterNode;
  view: ClusterNode[];
}

/**
 * After a failover the old master must follow the promoted node. When nothing took over (restarted before the
 * failover, or no replica could be elected) there is no replica role to check: skipped with what was seen when
 * it is back as the master of its own slots (a PASS saying "back as the master" contradicts the check's name),
 * failed when it is not.
 */
export function rejoinedAsReplica(f: RejoinFacts | undefined, notReached: string, returnFailed?: string): Check {
  if (!f && returnFailed)
    return {
      id: 'rejoined-as-replica',
      status: 'fail',
      summary: `the deleted pod never rejoined: ${returnFailed}`,
      evidence: {},
    };
  if (!f) return skipped('rejoined-as-replica', notReached);
  const evidence: Record<string, unknown> = {
    path: f.path,
    selfLine: f.self.raw,
    expectedMaster: f.promotedId ?? null,
  };
  if (f.promotedId) {
    const master = f.view.find((n) => n.id === f.self.masterId);
    const ok = f.self.flags.has('slave') && f.self.masterId === f.promotedId;
    return ok
      ? {
          id: 'rejoined-as-replica',
          status: 'pass',
          summary: `node ${short(f.self.id)} rejoined as a replica of the promoted node ${short(f.promotedId)}`,
          evidence: { ...evidence, masterLine: master?.raw },
        }
      : {
          id: 'rejoined-as-replica',
          status: 'fail',
          summary: `node ${short(f.self.id)} is ${describeRole(f.self)}, not a replica of the promoted node ${short(f.promotedId)}`,
          evidence,
        };
  }
  const ownSlots = JSON.stringify(f.self.slots) === JSON.stringify(f.victim.slots);
  return f.self.flags.has('master') && ownSlots
    ? {
        id: 'rejoined-as-replica',
        status: 'skipped',
        summary: `no replica took over, so there is no new master to follow; node ${short(f.self.id)} is back as the master of its slots ${formatSlots(f.victim.slots).join(',')}`,
        evidence,
      }
    : {
        id: 'rejoined-as-replica',
        status: 'fail',
        summary: `no replica took over, yet node ${short(f.self.id)} is ${describeRole(f.self)} instead of the master of ${formatSlots(f.victim.slots).join(',')}`,
        evidence,
      };
}

function describeRole(n: ClusterNode): string {
  if (n.flags.has('slave')) return `a replica of ${n.masterId ? short(n.masterId) : 'nothing'}`;
  return n.slots.length > 0 ? `a master of ${formatSlots(n.slots).join(',')}` : 'a master without slots';
}

export function clusterHealthy(probe: { healthy: boolean; problems: string[] } | undefined, notReached: string): Check {
  if (!probe) return skipped('cluster-healthy', notReached);
  return probe.healthy
    ? {
        id: 'cluster-healthy',
        status: 'pass',
        summary: 'every node: cluster_state:ok, all 16384 slots covered, one view, no failed or extra nodes',
        evidence: { problems: [] },
      }
    : {
        id: 'cluster-healthy',
        status: 'fail',
        summary: `cluster not healthy: ${probe.problems[0] ?? 'no problem named'}${probe.problems.length > 1 ? ` (+${probe.problems.length - 1} more)` : ''}`,
        evidence: { problems: probe.problems },
      };
}

export interface Canary {
  key: string;
  value: string;
  /** What the final read found, as the history checker judged it: the value, or null (lost); undefined until read. */
  readBack?: string | null;
  /** The history its write and reads are recorded in (one for a set of canaries; see writeCanaries). */
  history?: HistoryRecorder;
}

export function dataIntact(
  canaries: Canary[] | undefined,
  writes: WriteStats | undefined,
  writerOn: boolean,
  notReached: string,
): Check {
  if (!canaries || canaries.some((c) => c.readBack === undefined) || (writerOn && !writes))
    return skipped('data-intact', notReached);
  const badCanaries = canaries
    .filter((c) => c.readBack !== c.value)
    .map((c) => `${c.key}: expected ${c.value}, read ${c.readBack ?? '(missing)'}`);
  const lost = writes?.lost ?? 0;
  const evidence = {
    canaries: canaries.length,
    canariesBad: badCanaries,
    acknowledgedWrites: writes ? writes.acknowledged : 'writer off',
    lostWrites: lost,
    lostKeys: writes?.lostKeys ?? [],
  };
  const writesText = writes ? ` and ${writes.acknowledged} acknowledged writes` : '';
  if (badCanaries.length === 0 && lost === 0) {
    return {
      id: 'data-intact',
      status: 'pass',
      summary: `all ${canaries.length} canaries${writesText} read back intact`,
      evidence,
    };
  }
  const parts = [
    ...(badCanaries.length ? [`${badCanaries.length} of ${canaries.length} canaries missing or changed`] : []),
    ...(lost ? [`${lost} of ${writes!.acknowledged} acknowledged writes lost (${writes!.lostKeys.join(', ')})`] : []),
  ];
  return { id: 'data-intact', status: 'fail', summary: parts.join('; '), evidence };
}
