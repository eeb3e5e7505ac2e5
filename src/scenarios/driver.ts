import type { HostPort, Platform, PodInfo } from '../platform/platform.ts';
import type { ManifestSet, RedisDeployment } from '../manifests/model.ts';
import type { TimelineEntry, TimelineEvent } from './model.ts';
import { reachOf, type Reach } from '../redis/connect.ts';
import type { Log } from '../util/log.ts';
import { CancelledError, errorChain, UnsupportedError, messageOf } from '../errors.ts';
import { cancelCause } from '../util/termination.ts';

/** What every step of every scenario acts on: the platform, the deployment, the log, the run's abort signal. */
export interface ScenarioEnv {
  platform: Platform;
  redis: RedisDeployment;
  log: Log;
  /** Aborted when the run is cancelled (SIGINT/SIGTERM): the driver stops between steps, waits stop inside them. */
  signal?: AbortSignal;
  /** rollout: the manifests deployed (base, which `redis` is read from) and the ones applied over them (head). */
  rollout?: { base: { set: ManifestSet; redis: RedisDeployment }; head: { set: ManifestSet; redis: RedisDeployment } };
}

/** Timeline marks: the first time of each event wins; entries are relative to an origin (the fault). */
export class Timeline {
  private readonly times = new Map<TimelineEvent, { at: number; detail?: string }>();
  private origin: number | undefined;

  mark(event: TimelineEvent, at: number, detail?: string | false): void {
    if (!this.times.has(event)) this.times.set(event, { at, ...(detail ? { detail } : {}) });
  }
  /** The moment the fault was injected: atMs 0 of every entry. */
  setOrigin(at: number): void {
    this.origin ??= at;
  }
  get originAt(): number | undefined {
    return this.origin;
  }
  has(event: TimelineEvent): boolean {
    return this.times.has(event);
  }
  at(event: TimelineEvent): number | undefined {
    return this.times.get(event)?.at;
  }
  /** ms from the origin to the event; undefined when either was not recorded. */
  since(event: TimelineEvent): number | undefined {
    const at = this.at(event);
    return at === undefined || this.origin === undefined ? undefined : at - this.origin;
  }
  entries(): TimelineEntry[] {
    return [...this.times.entries()]
      .map(([event, { at, detail }]) => ({ event, atMs: at - (this.origin ?? at), ...(detail ? { detail } : {}) }))
      .sort((a, b) => a.atMs - b.atMs);
  }
}

/** What a step gets besides the facts: the environment and the driver's services. */
export interface StepContext extends ScenarioEnv {
  reach: Reach;
  addressOf: (pod: PodInfo) => HostPort;
  timeline: Timeline;
  /** A step that held a pod's restart says so: the driver releases the hold if the scenario stops before. */
  holding(held: boolean): void;
  /** Something to undo whatever happens (a writer to close): runs in the driver's `finally`, last in first out. */
  onCleanup(fn: () => void | Promise<void>): void;
}

/** One named step over the facts. `stage` says what it does, for an error ("deleting pod x: ..."). */
export interface Step<F> {
  stage: string | ((facts: F) => string);
  run(facts: F, ctx: StepContext): Promise<void>;
}

export interface DriveOutcome {
  /** `<stage>: <message>` when a step threw; the checks of what was not reached are skipped with it. */
  error?: string;
  /** The run was cancelled while the scenario ran (the error says where). */
  cancelled: boolean;
  /** The platform cannot do what a step asked (UnsupportedError): the scenario is skipped with the reason. */
  unsupported?: boolean;
  timeline: Timeline;
}

export function stepContext(
  env: ScenarioEnv,
  timeline: Timeline,
): StepContext & { held(): boolean; cleanups: Array<() => void | Promise<void>> } {
  let held = false;
  const cleanups: Array<() => void | Promise<void>> = [];
  return {
    ...env,
    reach: reachOf(env.platform),
    addressOf: (pod) => ({ host: pod.ip, port: env.redis.port }),
    timeline,
    holding: (h) => {
      held = h;
    },
    held: () => held,
    onCleanup: (fn) => {
      cleanups.push(fn);
    },
    cleanups,
  };
}

/**
 * Runs a scenario's steps in order over one facts object. The driver owns what every scenario needs the same
 * way: the stage label of an error, the timeline, stopping between steps when the run is cancelled, and a
 * `finally` that releases a hold still in place and runs the cleanups. It never throws: a failure becomes
 * `error`, and the scenario's checks (pure functions of the facts) say what was and was not reached.
 */
export async function driveSteps<F>(
  name: string,
  steps: ReadonlyArray<Step<F>>,
  facts: F,
  env: ScenarioEnv,
  timeline = new Timeline(),
): Promise<DriveOutcome> {
  const ctx = stepContext(env, timeline);
  let stage = 'starting';
  let error: string | undefined;
  let cancelled = false;
  let unsupported = false;
  try {
    for (const step of steps) {
      stage = typeof step.stage === 'string' ? step.stage : step.stage(facts);
      if (env.signal?.aborted) throw new CancelledError(stage);
      await step.run(facts, ctx);
    }
  } catch (err) {
    cancelled = err instanceof CancelledError || env.signal?.aborted === true;
    unsupported = err instanceof UnsupportedError;
    error = env.signal?.aborted
      ? `cancelled by ${cancelCause(env.signal)} while ${stage}`
      : `${stage}: ${messageOf(err)}`;
    env.log.warn(`${name} stopped: ${error}`);
    env.log.debug?.(errorChain(err));
  } finally {
    // Never leave a held pod or a writer behind, whatever happened (a cancel included: the release itself does
    // not honour the cancel, see PlatformContext.signal; the hold first: it is what users lose).
    if (ctx.held()) {
      await env.platform.faults.podDelete
        .releaseHold()
        .catch((err: unknown) => env.log.warn(`releasing the hold failed: ${messageOf(err)}`));
    }
    for (const fn of ctx.cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        env.log.warn(`${name}: cleanup failed: ${messageOf(err)}`);
      }
    }
  }
  return { ...(error !== undefined ? { error } : {}), cancelled, ...(unsupported ? { unsupported } : {}), timeline };
}
