import type { PodInfo } from '../platform/platform.ts';
import type { Topology } from '../redis/types.ts';
import type { WriteStats } from './model.ts';
import type { ClusterHealth } from '../redis/health.ts';
import type { Step, StepContext } from './driver.ts';
import type { Canary } from './failover-checks.ts';
import type { ScenarioSettings } from './settings.ts';
import type { Writer } from './writer.ts';
import { podViews, topologyOf, waitForHealth } from './cluster-view.ts';
import { finishWriter, readCanaries } from './workload.ts';

/** What the last two steps of a single-pod scenario read and fill in. */
export interface EndFacts {
  opts: ScenarioSettings;
  /** The returned pod kept its NodeID: only then is health worth waiting for (a stranger never heals). */
  sameNode?: boolean;
  writer?: Writer;
  canaries?: Canary[];
  podsAfter?: PodInfo[];
  health?: ClusterHealth;
  writes?: WriteStats;
  topologyAfter?: Topology;
  finished: boolean;
}

/** Every pod as listed after the fault and the cluster's health, waited for up to `timeoutMs` (0: looked at once). */
export async function healthAfter(
  f: Pick<EndFacts, 'opts' | 'podsAfter' | 'health'>,
  ctx: StepContext,
  timeoutMs: number,
): Promise<void> {
  f.podsAfter = await ctx.platform.listPods();
  f.health = await waitForHealth(
    ctx.reach,
    f.podsAfter.map(ctx.addressOf),
    f.opts.expected,
    timeoutMs,
    ctx.log,
    ctx.signal,
  );
  if (f.health.healthy) ctx.timeline.mark('cluster-healthy', Date.now());
}

/** Health (waited for when the pod kept its NodeID, else looked at once), then the read-back of everything. */
export function endSteps<F extends EndFacts>(): Array<Step<F>> {
  return [
    {
      stage: 'checking the cluster health',
      run: (f, ctx) => healthAfter(f, ctx, f.sameNode ? f.opts.rejoinTimeoutMs : 0),
    },
    {
      stage: 'reading back the writes and canaries',
      run: async (f, ctx) => {
        const seeds = f.podsAfter!.map(ctx.addressOf);
        // In WAIT mode writes recover only once the returned node has synced; on every path, give them the
        // chance so the window closes instead of being cut off by the stop.
        if (f.writer) f.writes = await finishWriter(ctx, f.writer, seeds);
        f.canaries = await readCanaries(ctx.reach, seeds, f.canaries);
        f.topologyAfter = topologyOf(await podViews(ctx.reach, f.podsAfter!, ctx.addressOf));
        f.finished = true;
      },
    },
  ];
}
