import type { Platform } from '../platform/platform.ts';
import type { Check } from './model.ts';
import { messageOf } from '../errors.ts';
import { reachOf } from '../redis/connect.ts';
import { placementCheck, shardsOfView } from '../redis/placement.ts';
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
