import type { PodInfo } from '../platform/platform.ts';
import type { Step } from './driver.ts';
import type { Canary, Victim } from './failover-checks.ts';
import type { ScenarioSettings } from './settings.ts';
import type { MasterTarget } from './victim.ts';
import type { Writer } from './writer.ts';
import { waitForPreconditions } from './cluster-view.ts';
import { startShardWriters, startSlotWriter, writeCanaries, type WriterSettings } from './workload.ts';

// The steps before the fault that every scenario takes the same way (as endSteps are the ones after it): the
// preconditions, the canaries, the writer(s). Each scenario says only which pods and slots they are about.

/** What the setup steps read: the settings, the run's key tag, every pod as listed before anything. */
export interface SetupFacts {
  opts: ScenarioSettings;
  run: string;
  podsBefore: PodInfo[];
}

/** Where a part of the load goes: its slots, whether a replica must acknowledge its canaries, what keeps it. */
export interface LoadTarget {
  slots: Array<[number, number]>;
  replicated: boolean;
  into: { canaries?: Canary[]; writer?: Writer };
}

/** The victim master's shard: the pods a failover of it needs ready. */
export const shardPods = (f: MasterTarget): PodInfo[] => [f.victimPod, ...f.replicaPods];

/** Canaries in the victim master's slots, replicated when it has a replica. */
export const victimLoad = (f: MasterTarget & { canaries?: Canary[] }): LoadTarget[] => [
  { slots: f.victim.slots, replicated: f.victim.replicaIds.length > 0, into: f },
];

/** Waits until `pods` (default: every pod) are fit for the fault: replicas linked, no AOF rewrite running. */
export function preconditionsStep<F extends SetupFacts>(
  pods: (f: NoInfer<F>) => PodInfo[] = (f) => f.podsBefore,
): Step<F> {
  return {
    // A replica whose link is not up refuses to fail over; SIGTERM is ignored during a first AOF.
    stage: 'checking the preconditions',
    run: (f, ctx) => waitForPreconditions(ctx.reach, pods(f).map(ctx.addressOf), ctx.log, ctx.signal),
  };
}

/** A set of canaries per target, seeded with every pod, replicated before the fault so that losing one is a finding. */
export function canariesStep<F extends SetupFacts>(targets: (f: NoInfer<F>) => LoadTarget[]): Step<F> {
  return {
    stage: 'writing the canaries',
    run: async (f, ctx) => {
      for (const t of targets(f))
        t.into.canaries = await writeCanaries(ctx.reach, f.podsBefore.map(ctx.addressOf), t.slots, f.run, t.replicated);
    },
  };
}

/** The judged writer into the victim's slots, seeded with every pod (`settings`: the run's); none at rate 0. */
export function writerStep<F extends SetupFacts & { victim: Victim; writer?: Writer }>(
  settings: (f: NoInfer<F>) => WriterSettings = (f) => f.opts,
): Step<F> {
  return {
    stage: 'starting the writer',
    run: async (f, ctx) => {
      const s = settings(f);
      if (s.writeRate > 0)
        f.writer = await startSlotWriter(ctx, f.podsBefore.map(ctx.addressOf), f.victim.slots, f.run, s);
    },
  };
}

/** A writer per target (a shard), the rate shared among them, so that each shard's window is judged on its own. */
export function shardWritersStep<F extends SetupFacts>(targets: (f: NoInfer<F>) => LoadTarget[]): Step<F> {
  return {
    stage: 'starting the writers',
    run: async (f, ctx) => {
      const shards = targets(f);
      const writers = await startShardWriters(
        ctx,
        f.podsBefore.map(ctx.addressOf),
        shards.map((t) => t.slots),
        f.run,
        f.opts,
      );
      for (const [i, w] of writers.entries()) shards[i]!.into.writer = w;
    },
  };
}
