import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CRASH_BACKOFF_MAX_MS,
  CRASH_BACKOFF_MS,
  describeState,
  IllegalTransitionError,
  PodLifecycle,
  type PodEvent,
  type PodState,
  type Timers,
} from '../../../src/platform/local/pod-lifecycle.ts';

/** Timers that fire only when the test says so. */
function manualTimers() {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let next = 0;
  const timers: Timers = {
    set: (fn, ms) => {
      pending.set(++next, { fn, ms });
      return next;
    },
    clear: (h) => pending.delete(h as number),
  };
  return {
    timers,
    armed: () => [...pending.values()].map((t) => t.ms),
    /** Fires every armed timer (each once). */
    elapse: () => {
      const due = [...pending.entries()];
      pending.clear();
      for (const [, t] of due) t.fn();
    },
  };
}

function machine(recreateDelayMs = 1000) {
  const clock = manualTimers();
  const starts: PodState[] = [];
  const seen: string[] = [];
  const pod = new PodLifecycle('redis-0', {
    recreateDelayMs,
    onStart: (s) => starts.push(s),
    onTransition: (from, to, e) => seen.push(`${from.phase} -${e.type}-> ${to.phase}`),
    timers: clock.timers,
  });
  return { pod, clock, starts, seen };
}

const exit = { code: 1, signal: null };
const illegal = (e: unknown) => e instanceof IllegalTransitionError;
const run = (pod: PodLifecycle, ...events: PodEvent[]) => events.reduce<PodState>((_, e) => pod.fire(e), pod.state);
const ready = (pod: PodLifecycle) =>
  run(pod, { type: 'start', what: 'pod' }, { type: 'answered' }, { type: 'probe-passed' });

test('a new pod goes pending, starting, running, ready', () => {
  const { pod, seen } = machine();
  assert.is(pod.state.phase, 'pending');
  ready(pod);
  assert.equal(seen, ['pending -start-> starting', 'starting -answered-> running', 'running -probe-passed-> ready']);
});

test("a deleted pod terminates, then is recreated after the delay, by the machine's own timer", () => {
  const { pod, clock, starts } = machine(1500);
  ready(pod);
  run(pod, { type: 'delete', hold: false });
  assert.is(pod.state.phase, 'terminating');
  assert.equal(clock.armed(), [], 'nothing comes back while the old one is still going');
  run(pod, { type: 'gone' });
  assert.equal(pod.state, { phase: 'recreating', delayMs: 1500, gated: false });
  assert.equal(clock.armed(), [1500]);
  clock.elapse();
  assert.equal(pod.state, { phase: 'starting', what: 'pod', gated: false });
  assert.equal(starts, [pod.state], 'the owner is told to carry the start out');
});

test('a held pod stays until released, then comes back (gated when a rollout says so)', () => {
  const { pod, clock } = machine();
  ready(pod);
  run(pod, { type: 'delete', hold: true }, { type: 'gone' });
  assert.is(pod.state.phase, 'held');
  assert.equal(clock.armed(), []);
  run(pod, { type: 'release', delayMs: 0, gated: true });
  clock.elapse();
  assert.equal(pod.state, { phase: 'starting', what: 'pod', gated: true });
  run(pod, { type: 'answered' });
  assert.equal(pod.state, { phase: 'running', gated: true });
});

test('its node lost: no restart nor replacement while down; back, its container restarts; deleted, it is recreated', () => {
  const { pod, clock, starts } = machine(1500);
  ready(pod);
  run(pod, { type: 'node-lost' }, { type: 'process-exited', exit });
  assert.equal(pod.state, { phase: 'node-down' });
  assert.equal(clock.armed(), [], 'no crash back-off: the node is down, not the container');
  assert.match(describeState(pod.state), 'unreachable');
  run(pod, { type: 'node-back' });
  assert.equal(pod.state, { phase: 'starting', what: 'container', gated: false });
  assert.equal(starts, [], 'the owner starts it itself');
  run(pod, { type: 'answered' }, { type: 'probe-passed' }, { type: 'node-lost' }, { type: 'evicted', delayMs: 1500 });
  assert.equal(pod.state, { phase: 'recreating', delayMs: 1500, gated: false });
  clock.elapse();
  assert.equal(pod.state, { phase: 'starting', what: 'pod', gated: false });
  assert.throws(() => run(pod, { type: 'node-back' }), illegal);
});

test('a container that exits by itself backs off 10 s, doubling up to 5 min, and restarts as a container', () => {
  const { pod, clock } = machine();
  ready(pod);
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    run(pod, { type: 'process-exited', exit });
    assert.is(pod.state.phase, 'back-off');
    delays.push(...clock.armed());
    clock.elapse();
    assert.equal(pod.state, { phase: 'starting', what: 'container', gated: false });
    run(pod, { type: 'answered' }, { type: 'probe-passed' });
  }
  assert.equal(
    delays,
    [1, 2, 4, 8, 16, 30, 30].map((n) => Math.min(n * CRASH_BACKOFF_MS, CRASH_BACKOFF_MAX_MS)),
  );
  assert.is(pod.restarts, 7);
  // A new pod starts its count again.
  run(pod, { type: 'delete', hold: false }, { type: 'gone' });
  clock.elapse();
  assert.is(pod.restarts, 0);
});

test('a start that fails after its container exited keeps the error in back-off; one that times out is failed', () => {
  const a = machine();
  run(
    a.pod,
    { type: 'start', what: 'pod' },
    { type: 'process-exited', exit },
    { type: 'start-failed', error: new Error('exited before answering') },
  );
  const s = a.pod.state;
  assert.is(s.phase, 'back-off');
  assert.is(s.phase === 'back-off' && s.error?.message, 'exited before answering');
  assert.match(describeState(s), /exited with code 1, restarting in 10 s \(exited before answering\)/);

  const b = machine();
  run(b.pod, { type: 'start', what: 'pod' }, { type: 'start-failed', error: new Error('timed out') });
  assert.is(b.pod.state.phase, 'failed');
  assert.equal(b.clock.armed(), [], 'nothing restarts a pod whose process still runs');
  // If that process exits later, it is a crash like any other, and the error stays.
  run(b.pod, { type: 'process-exited', exit });
  const t = b.pod.state;
  assert.is(t.phase === 'back-off' && t.error?.message, 'timed out');
});

test('its process exiting while it terminates is what the deletion waits for, not a crash', () => {
  const { pod, clock } = machine();
  ready(pod);
  run(pod, { type: 'delete', hold: false }, { type: 'process-exited', exit });
  assert.is(pod.state.phase, 'terminating');
  assert.equal(clock.armed(), []);
});

test('teardown is final: it cancels a pending recreation and what was under way is ignored', () => {
  const { pod, clock, starts } = machine();
  ready(pod);
  run(pod, { type: 'delete', hold: false }, { type: 'gone' });
  run(pod, { type: 'teardown' });
  assert.equal(clock.armed(), [], 'the recreation timer is cleared');
  for (const e of [
    { type: 'answered' },
    { type: 'gone' },
    { type: 'process-exited', exit },
    { type: 'teardown' },
  ] as PodEvent[])
    run(pod, e);
  assert.is(pod.state.phase, 'exited');
  assert.throws(() => pod.fire({ type: 'start', what: 'pod' }), illegal);
  assert.equal(starts, []);
});

test('a timer cleared too late to stop its callback does not start a pod that moved on', () => {
  const fired: Array<() => void> = [];
  // Timers whose clear() comes too late: the callback runs anyway.
  const late: Timers = { set: (fn) => fired.push(fn), clear: () => undefined };
  const starts: PodState[] = [];
  const pod = new PodLifecycle('redis-0', { recreateDelayMs: 5, onStart: (s) => starts.push(s), timers: late });
  ready(pod);
  run(pod, { type: 'delete', hold: false }, { type: 'gone' }, { type: 'delete', hold: true }, { type: 'gone' });
  for (const fn of fired) fn();
  assert.is(pod.state.phase, 'held');
  assert.equal(starts, []);
});

test('illegal transitions throw, naming the pod, the event and the state', () => {
  const { pod } = machine();
  assert.throws(() => pod.fire({ type: 'delete', hold: false }), /pod redis-0 cannot take 'delete' while not started/);
  run(pod, { type: 'start', what: 'pod' });
  assert.throws(() => pod.fire({ type: 'delete', hold: false }), illegal, 'a deletion waits for the start under way');
  assert.throws(() => pod.fire({ type: 'probe-passed' }), illegal);
  run(pod, { type: 'answered' }, { type: 'probe-passed' }, { type: 'delete', hold: true });
  assert.throws(() => pod.fire({ type: 'delete', hold: true }), /while terminating/);
  assert.throws(() => pod.fire({ type: 'release', delayMs: 0 }), illegal, 'only a held pod is released');
});

test.run();
