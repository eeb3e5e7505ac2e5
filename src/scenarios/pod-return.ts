import type { PodInfo } from '../platform/platform.ts';
import type { ClusterNode } from '../redis/types.ts';
import { formatAddress, withNode } from '../redis/connect.ts';
import { waitFor } from '../util/wait.ts';
import type { StepContext } from './driver.ts';
import type { NodeIdFacts, Victim } from './failover-checks.ts';
import { myIdOf, nodesConfSelf } from './cluster-view.ts';

// A deleted pod's return, the same for every scenario that deletes one: recreated, Redis answering, its NodeID.

/** Waits for the pod's replacement (new UID) and for Redis on it to answer PING; marks pod-back and redis-up. */
export async function waitForPodBack(ctx: StepContext, victim: Victim, timeoutMs: number): Promise<PodInfo> {
  ctx.log.progress(`waiting for pod ${victim.pod} to be recreated`);
  const back = await ctx.platform.waitForReplacement(victim.pod, victim.uid, timeoutMs);
  ctx.timeline.mark('pod-back', Date.now(), `${back.ip}, uid ${back.uid}`);
  const address = ctx.addressOf(back);
  await waitFor(
    'Redis on the recreated pod to answer PING',
    async () => ({ done: true, value: await withNode(ctx.reach, address, (r) => r.ping()) }),
    {
      timeoutMs,
      intervalMs: 50,
      signal: ctx.signal,
    },
  );
  ctx.timeline.mark('redis-up', Date.now());
  return back;
}

/** CLUSTER MYID of the returned pod and its nodes.conf `myself` line, against what was recorded before. */
export async function nodeIdFactsOf(
  ctx: StepContext,
  victim: Victim,
  before: PodInfo,
  after: PodInfo,
  confBefore: ClusterNode | null,
): Promise<NodeIdFacts> {
  const address = ctx.addressOf(after);
  const myIdAfter = await myIdOf(ctx.reach, address);
  if (myIdAfter !== victim.nodeId)
    ctx.log.warn(`pod ${victim.pod} came back with a new NodeID ${myIdAfter} (was ${victim.nodeId})`);
  return {
    victim,
    confBefore,
    confAfter: await nodesConfSelf(ctx.platform, victim.pod, ctx.redis.clusterConfigFile),
    myIdAfter,
    addressBefore: formatAddress(ctx.addressOf(before)),
    addressAfter: formatAddress(address),
    clusterConfigFile: ctx.redis.clusterConfigFile,
    onPersistentVolume: ctx.redis.isPersistent(ctx.redis.clusterConfigFile),
  };
}
