import type { ClusterNode } from '../redis/types.ts';
import { electionQuorum, type Victim } from './failover-checks.ts';

const short = (id: string): string => id.slice(0, 8);
const down = (n: ClusterNode): boolean => n.flags.has('fail') || n.flags.has('fail?') || n.linkState === 'disconnected';

/**
 * Why Redis will not promote any replica of the victim, read from the survivors' CLUSTER NODES: nothing when a
 * failover can still happen. Each reason is one Redis gives itself, so the watch can stop instead of waiting out
 * the timeout:
 * - too few masters left to vote (a replica needs votes from a majority of the masters owning slots);
 * - every replica flagged `nofailover` (`cluster-replica-no-failover yes`: the replica never starts an election,
 *   the flag is gossiped, see test/fixtures/cluster-nodes/nofailover.txt);
 * - every replica itself down or unreachable (`fail`/`fail?`, or the cluster-bus link disconnected once the
 *   victim is agreed failed: by then each survivor has had a node timeout to reconnect).
 * Judged only once some survivor suspects the victim (`fail?`/`fail`): before that nothing has begun.
 */
export function failoverBlocker(views: ClusterNode[][], victim: Victim, mastersWithSlots: number): string | undefined {
  const victimLines = views.map((v) => v.find((n) => n.id === victim.nodeId)).filter((n) => n !== undefined);
  const suspected = victimLines.some((n) => n.flags.has('fail?') || n.flags.has('fail'));
  if (!suspected) return undefined;
  const quorum = electionQuorum(mastersWithSlots);
  if (!quorum.possible) return quorum.note;
  if (victim.replicaIds.length === 0) return 'the victim had no replica to promote';
  const linesOf = (id: string) => views.map((v) => v.find((n) => n.id === id)).filter((n) => n !== undefined);
  const replicas = victim.replicaIds.map((id) => ({ id, lines: linesOf(id) }));
  if (replicas.every((r) => r.lines.some((n) => n.flags.has('nofailover')))) {
    return (
      `every replica of the victim (${replicas.map((r) => short(r.id)).join(', ')}) is flagged nofailover ` +
      '(cluster-replica-no-failover yes): Redis never starts an election for them'
    );
  }
  const failAgreed = victimLines.some((n) => n.flags.has('fail'));
  if (failAgreed && replicas.every((r) => r.lines.length > 0 && r.lines.every(down))) {
    return (
      `every replica of the victim (${replicas.map((r) => short(r.id)).join(', ')}) is down or unreachable from the survivors ` +
      `(${replicas.map((r) => r.lines[0]!.raw).join(' | ')}): none can be elected`
    );
  }
  return undefined;
}
