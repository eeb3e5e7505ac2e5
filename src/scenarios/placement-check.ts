import type { Platform } from '../platform/platform.ts';
import type { Check } from './model.ts';
import { messageOf } from '../errors.ts';
import { reachOf } from '../redis/connect.ts';
import { describeExposed, exposedOn, quorumRisk, shardsOfView, type ShardPlacement } from '../redis/placement.ts';
import { clusterNodesOf } from './cluster-view.ts';

/**
 * The placement check on the cluster as it is now (after the bootstrap, after a scenario): the pods' nodes from
 * the platform, the shards from a ready pod's CLUSTER NODES. Skipped, with the reason, when no pod can be read.
 */
export async function judgePlacement(
  platform: Platform,
  port: number,
  severity: 'fail' | 'warn',
  when: string,
): Promise<Check> {
  try {
    const pods = await platform.listPods();
    const from = pods.find((p) => p.ready && p.ip);
    if (!from) throw new Error('no pod is ready to read CLUSTER NODES from');
    const view = await clusterNodesOf(reachOf(platform), { host: from.ip, port });
    return placementCheck(shardsOfView(view, pods), severity, when);
  } catch (err) {
    return {
      id: 'placement',
      status: 'skipped',
      summary: `${when}: where the shards run could not be read: ${messageOf(err)}`,
      evidence: {},
    };
  }
}

/**
 * The `placement` check: per shard, how many nodes (and zones) hold its copies; a shard whose every copy is on
 * one node fails, naming the node, the pods and the slots. `severity` warn records the finding without failing
 * (evidence.severity says so); `when` says after what it was judged.
 */
export function placementCheck(shards: ShardPlacement[], severity: 'fail' | 'warn', when: string): Check {
  const exposed = shards.filter((s) => exposedOn(s) !== undefined);
  const evidence = {
    severity,
    shards: shards.map((s) => ({
      slots: s.slots,
      nodes: s.nodes,
      ...(s.zones ? { zones: s.zones } : {}),
      copies: s.copies.map((c) => `${c.pod} ${c.role} on ${c.node || '(no node)'}${c.zone ? ` in ${c.zone}` : ''}`),
    })),
  };
  const quorum = quorumRisk(shards);
  if (quorum) (evidence as Record<string, unknown>).quorum = quorum;
  if (exposed.length === 0) {
    const spread = shards.map((s) => s.nodes.length);
    const zoned = shards.every((s) => s.zones) ? `, ${Math.min(...shards.map((s) => s.zones!.length))}+ zones` : '';
    return {
      id: 'placement',
      status: 'pass',
      summary: `${when}: every shard's copies run on ${Math.min(...spread)} or more nodes${zoned}: one node failure leaves every shard a copy${quorum ? ` (but ${quorum})` : ''}`,
      evidence,
    };
  }
  const lost = exposed.reduce((s, x) => s + x.slotCount, 0);
  return {
    id: 'placement',
    status: 'fail',
    summary:
      `${severity === 'warn' ? '(warning) ' : ''}${when}: ${exposed.length} of ${shards.length} shard(s) run every copy on one node; ` +
      `one node failure takes ${lost} slots: ${exposed.map(describeExposed).join('; ')}`,
    evidence: { ...evidence, exposed: exposed.map(describeExposed) },
  };
}
