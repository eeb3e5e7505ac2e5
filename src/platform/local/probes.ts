import { valueAt } from '../../manifests/object-path.ts';
import type { JsonValue } from '../../manifests/model.ts';
import { waitFor } from '../../util/wait.ts';

/**
 * A container's readinessProbe as the kubelet runs it (io.k8s.api.core.v1.Probe; kubernetes.io/docs/tasks/
 * configure-pod-container/configure-liveness-readiness-startup-probes): the first probe initialDelaySeconds
 * (default 0) after the container starts, then one every periodSeconds (default 10, minimum 1); each attempt
 * fails after timeoutSeconds (default 1, minimum 1); Ready after successThreshold (default 1) consecutive
 * successes, NotReady again after failureThreshold (default 3) consecutive failures; either count is reset by
 * the other result.
 */
export interface ProbeSpec {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** The readinessProbe of the pod template's container `name` (defaults where it has none). */
export function readinessProbeSpec(statefulSet: JsonValue, name: string): ProbeSpec {
  const containers = valueAt(statefulSet, ['spec', 'template', 'spec', 'containers']);
  const container = Array.isArray(containers) ? containers.find((c) => valueAt(c, ['name']) === name) : undefined;
  const num = (key: string, fallback: number, min: number): number => {
    const v = valueAt(container, ['readinessProbe', key]);
    return typeof v === 'number' && Number.isInteger(v) && v >= min ? v : fallback;
  };
  return {
    initialDelayMs: num('initialDelaySeconds', 0, 0) * 1000,
    periodMs: num('periodSeconds', 10, 1) * 1000,
    timeoutMs: num('timeoutSeconds', 1, 1) * 1000,
    successThreshold: num('successThreshold', 1, 1),
    failureThreshold: num('failureThreshold', 3, 1),
  };
}

export interface ProbeState {
  ready: boolean;
  successes: number;
  failures: number;
}

export const NOT_READY: ProbeState = { ready: false, successes: 0, failures: 0 };

/** The readiness after one more probe result (pure): consecutive counts against the thresholds. */
export function probeResult(spec: ProbeSpec, s: ProbeState, ok: boolean): ProbeState {
  const successes = ok ? s.successes + 1 : 0;
  const failures = ok ? 0 : s.failures + 1;
  const ready = s.ready ? failures < spec.failureThreshold : successes >= spec.successThreshold;
  return { ready, successes, failures };
}

/** One probe attempt bounded by timeoutMs: passed, and what it said (for the wait's progress and timeout). */
export type ProbeAttempt = (timeoutMs: number) => Promise<{ ok: boolean; said: string }>;

/**
 * Waits until the probe makes the container Ready, probing on the kubelet's schedule from `startedAt` (ms since
 * the epoch): the wait is as long as on Kubernetes with the same probe, not as long as the first PING.
 */
export async function waitProbeReady(
  what: string,
  spec: ProbeSpec,
  attempt: ProbeAttempt,
  opts: { startedAt: number; timeoutMs: number; signal?: AbortSignal },
): Promise<void> {
  let state = NOT_READY;
  let at = opts.startedAt + spec.initialDelayMs;
  await waitFor(
    `${what} (first after ${spec.initialDelayMs} ms, every ${spec.periodMs} ms, ${spec.successThreshold} success(es) in a row)`,
    async () => {
      if (Date.now() < at) return { done: false, seen: 'before the next probe' };
      at += spec.periodMs;
      const r = await attempt(spec.timeoutMs);
      state = probeResult(spec, state, r.ok);
      return state.ready ? { done: true, value: undefined } : { done: false, seen: r.said };
    },
    { timeoutMs: opts.timeoutMs, intervalMs: 20, ...(opts.signal ? { signal: opts.signal } : {}) },
  );
}
