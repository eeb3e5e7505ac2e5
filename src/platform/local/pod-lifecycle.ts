import { describeExit, type Exit } from './process.ts';

/** The kubelet's CrashLoopBackOff: 10 s, doubling, at most 5 min. */
export const CRASH_BACKOFF_MS = 10_000;
export const CRASH_BACKOFF_MAX_MS = 300_000;

/**
 * Where a local pod is in its life, as Kubernetes would show it. What a pod owns (address, UID, process) stays
 * with the pod; this is only what happens to it next.
 */
export type PodState =
  /** Declared by deploy(), not started yet. */
  | { phase: 'pending' }
  /** A start under way: a new pod (new address, UID and filesystem, its init containers) or a restarted container
   * (same pod). `gated`: Ready is decided by whoever started it (a rollout's readiness schedule), not the start. */
  | { phase: 'starting'; what: 'pod' | 'container'; gated: boolean }
  /** Redis answers, the readiness probe has not passed yet (Kubernetes: Running, not Ready). */
  | { phase: 'running'; gated: boolean }
  | { phase: 'ready' }
  /** Being deleted (local/faults/pod-delete.ts): its processes stopping until its address no longer answers. */
  | { phase: 'terminating'; hold: boolean }
  /** Deleted and kept from coming back until released (Kubernetes: its nodes cordoned). */
  | { phase: 'held' }
  /** Deleted; the StatefulSet recreates it once `delayMs` has passed. */
  | { phase: 'recreating'; delayMs: number; gated: boolean }
  /** Its container exited by itself: restarted after the crash back-off. `error`: why the start failed, if it did. */
  | { phase: 'back-off'; exit: Exit; delayMs: number; error?: Error }
  /** A start failed while its process still runs (a timeout, a failed init container): nothing restarts it. */
  | { phase: 'failed'; error: Error }
  /** Its node was lost (local/faults/node-loss.ts): its processes stopped with it, and nothing restarts or
   * replaces it until the node is back (its container restarts there) or deleted (the pod is recreated elsewhere). */
  | { phase: 'node-down' }
  /** Torn down: final. */
  | { phase: 'exited' };

export type Phase = PodState['phase'];

export type PodEvent =
  | { type: 'start'; what: 'pod' | 'container'; gated?: boolean }
  | { type: 'answered' }
  | { type: 'probe-passed' }
  | { type: 'start-failed'; error: Error }
  | { type: 'process-exited'; exit: Exit }
  | { type: 'delete'; hold: boolean }
  | { type: 'gone' }
  | { type: 'release'; delayMs: number; gated?: boolean }
  | { type: 'node-lost' }
  /** The lost node is back: the pod's container starts again on it. */
  | { type: 'node-back' }
  /** The lost node was deleted: the pod is deleted with it and recreated (on another node) after `delayMs`. */
  | { type: 'evicted'; delayMs: number }
  | { type: 'teardown' };

export class IllegalTransitionError extends Error {}

/** Timers the machine uses for its delays (injected so the machine can be tested without waiting). */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface LifecycleOptions {
  /** Delay between a deletion (not held) and the pod coming back, standing for the StatefulSet controller. */
  recreateDelayMs: number;
  /** Called when a delay has run out and the machine has entered `starting`: carry out the start. */
  onStart: (state: Extract<PodState, { phase: 'starting' }>) => void;
  /** Called after every transition: the hook point for what follows a pod's state (logs, address records). */
  onTransition?: (from: PodState, to: PodState, event: PodEvent) => void;
  timers?: Timers;
}

/** What an event does in a state: the next state, or 'ignore' (said why in the table). */
type Rule = (state: PodState, event: PodEvent, pod: PodLifecycle) => PodState | 'ignore';

/**
 * The transitions, all in one table: state → event → rule. A pair not in it is a bug in the caller and throws
 * IllegalTransitionError. Events a torn-down pod still receives (a start or deletion that was under way) are
 * ignored: teardown is final.
 */
const afterTeardown: Partial<Record<PodEvent['type'], Rule>> = {
  answered: () => 'ignore',
  'probe-passed': () => 'ignore',
  'start-failed': () => 'ignore',
  'process-exited': () => 'ignore',
  gone: () => 'ignore',
  teardown: () => 'ignore',
};
const toStarting: Rule = (_s, e, pod) => {
  const ev = e as Extract<PodEvent, { type: 'start' }>;
  if (ev.what === 'pod') pod.restarts = 0;
  return { phase: 'starting', what: ev.what, gated: ev.gated ?? false };
};
const toBackOff: Rule = (s, e, pod) => {
  const delayMs = Math.min(CRASH_BACKOFF_MS * 2 ** pod.restarts, CRASH_BACKOFF_MAX_MS);
  pod.restarts++;
  return {
    phase: 'back-off',
    exit: (e as Extract<PodEvent, { type: 'process-exited' }>).exit,
    delayMs,
    ...(s.phase === 'failed' ? { error: s.error } : {}),
  };
};
const toFailed: Rule = (_s, e) => ({
  phase: 'failed',
  error: (e as Extract<PodEvent, { type: 'start-failed' }>).error,
});
const toTerminating: Rule = (_s, e) => ({
  phase: 'terminating',
  hold: (e as Extract<PodEvent, { type: 'delete' }>).hold,
});
const toExited: Rule = () => ({ phase: 'exited' });
const toNodeDown: Rule = () => ({ phase: 'node-down' });

const TABLE: Record<Phase, Partial<Record<PodEvent['type'], Rule>>> = {
  pending: { start: toStarting, teardown: toExited },
  starting: {
    answered: (s) => ({ phase: 'running', gated: s.phase === 'starting' && s.gated }),
    'start-failed': toFailed,
    'process-exited': toBackOff,
    teardown: toExited,
  },
  running: {
    'probe-passed': () => ({ phase: 'ready' }),
    'start-failed': toFailed, // the readiness probe never passed
    'process-exited': toBackOff,
    delete: toTerminating,
    'node-lost': toNodeDown,
    teardown: toExited,
  },
  ready: { 'process-exited': toBackOff, delete: toTerminating, 'node-lost': toNodeDown, teardown: toExited },
  terminating: {
    // Its process exiting is what the deletion waits for.
    'process-exited': () => 'ignore',
    gone: (s, _e, pod) =>
      s.phase === 'terminating' && s.hold
        ? { phase: 'held' }
        : { phase: 'recreating', delayMs: pod.recreateDelayMs, gated: false },
    teardown: toExited,
  },
  held: {
    release: (_s, e) => {
      const ev = e as Extract<PodEvent, { type: 'release' }>;
      return { phase: 'recreating', delayMs: ev.delayMs, gated: ev.gated ?? false };
    },
    delete: toTerminating,
    teardown: toExited,
  },
  recreating: { start: toStarting, delete: toTerminating, teardown: toExited },
  'back-off': {
    start: toStarting,
    // The start that saw the container exit reports its error after the exit: kept for waitForReplacement().
    'start-failed': (s, e) =>
      s.phase === 'back-off' ? { ...s, error: (e as Extract<PodEvent, { type: 'start-failed' }>).error } : 'ignore',
    delete: toTerminating,
    'node-lost': toNodeDown,
    teardown: toExited,
  },
  failed: { 'process-exited': toBackOff, delete: toTerminating, 'node-lost': toNodeDown, teardown: toExited },
  'node-down': {
    // Its processes stopping is the loss itself, not a crash: nothing restarts them while the node is down.
    'process-exited': () => 'ignore',
    'start-failed': () => 'ignore',
    answered: () => 'ignore',
    'probe-passed': () => 'ignore',
    'node-back': () => ({ phase: 'starting', what: 'container', gated: false }),
    evicted: (_s, e) => ({
      phase: 'recreating',
      delayMs: (e as Extract<PodEvent, { type: 'evicted' }>).delayMs,
      gated: false,
    }),
    teardown: toExited,
  },
  exited: afterTeardown,
};

/**
 * One local pod's state machine. Every change of state goes through fire(); the delays (recreation after a
 * deletion, the crash back-off) are the machine's own timer, armed on entering the state that waits and
 * cleared on leaving it, so no timer can act on a pod that has moved on.
 */
export class PodLifecycle {
  /** Container restarts of the current pod (a process that exited by itself), for the crash back-off. */
  restarts = 0;
  readonly recreateDelayMs: number;
  #state: PodState = { phase: 'pending' };
  #timer: unknown;
  readonly #timers: Timers;
  readonly #opts: LifecycleOptions;

  constructor(
    readonly podName: string,
    opts: LifecycleOptions,
  ) {
    this.#opts = opts;
    this.recreateDelayMs = opts.recreateDelayMs;
    this.#timers = opts.timers ?? realTimers;
  }

  get state(): PodState {
    return this.#state;
  }

  /** Applies an event; returns the new state (the same one for an ignored event). */
  fire(event: PodEvent): PodState {
    const from = this.#state;
    const rule = TABLE[from.phase][event.type];
    if (!rule)
      throw new IllegalTransitionError(
        `local platform: pod ${this.podName} cannot take '${event.type}' while ${describeState(from)}`,
      );
    const to = rule(from, event, this);
    if (to === 'ignore') return from;
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#timer = undefined;
    this.#state = to;
    if (to.phase === 'recreating' || to.phase === 'back-off') {
      const what = to.phase === 'recreating' ? 'pod' : 'container';
      const gated = to.phase === 'recreating' && to.gated;
      const armed = this.#timers.set(() => {
        if (this.#state !== to) return; // cleared too late to stop the callback: the pod has moved on
        this.#timer = undefined;
        const starting = this.fire({ type: 'start', what, gated });
        if (starting.phase === 'starting') this.#opts.onStart(starting);
      }, to.delayMs);
      this.#timer = armed;
    }
    this.#opts.onTransition?.(from, to, event);
    return to;
  }
}

/** A state in words, for waits' progress and the evidence's status lines. */
export function describeState(s: PodState): string {
  switch (s.phase) {
    case 'pending':
      return 'not started';
    case 'starting':
      return s.what === 'pod' ? 'starting' : 'container restarting';
    case 'running':
      return 'running, readiness probe not passed yet';
    case 'ready':
      return 'ready';
    case 'terminating':
      return `terminating${s.hold ? ' (to be held)' : ''}`;
    case 'held':
      return 'held (releaseHold() not called)';
    case 'recreating':
      return `recreated in ${s.delayMs} ms`;
    case 'back-off':
      return `back-off: its container ${describeExit(s.exit)}, restarting in ${s.delayMs / 1000} s${s.error ? ` (${firstLine(s.error)})` : ''}`;
    case 'failed':
      return `start failed: ${firstLine(s.error)}`;
    case 'node-down':
      return 'its node is lost (unreachable)';
    case 'exited':
      return 'torn down';
  }
}

function firstLine(err: Error): string {
  return err.message.split('\n', 1)[0] ?? '';
}
