import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  NOT_READY,
  probeResult,
  readinessProbeSpec,
  waitProbeReady,
  type ProbeSpec,
} from '../../../src/platform/local/probes.ts';
import type { JsonValue } from '../../../src/manifests/model.ts';

const sts = (probe: JsonValue | undefined): JsonValue => ({
  spec: {
    template: {
      spec: {
        containers: [
          { name: 'sidecar', readinessProbe: { periodSeconds: 99 } },
          { name: 'redis', ...(probe ? { readinessProbe: probe } : {}) },
        ],
      },
    },
  },
});

test("the Redis container's readinessProbe fields, with the Kubernetes defaults and minimums where absent or invalid", () => {
  assert.equal(readinessProbeSpec(sts(undefined), 'redis'), {
    initialDelayMs: 0,
    periodMs: 10_000,
    timeoutMs: 1000,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.equal(
    readinessProbeSpec(
      sts({ initialDelaySeconds: 2, periodSeconds: 5, timeoutSeconds: 2, successThreshold: 2, failureThreshold: 4 }),
      'redis',
    ),
    {
      initialDelayMs: 2000,
      periodMs: 5000,
      timeoutMs: 2000,
      successThreshold: 2,
      failureThreshold: 4,
    },
  );
  assert.equal(readinessProbeSpec(sts({ periodSeconds: 0, timeoutSeconds: '3', successThreshold: 0 }), 'redis'), {
    initialDelayMs: 0,
    periodMs: 10_000,
    timeoutMs: 1000,
    successThreshold: 1,
    failureThreshold: 3,
  });
});

const spec = (successThreshold: number, failureThreshold: number): ProbeSpec => ({
  initialDelayMs: 0,
  periodMs: 1,
  timeoutMs: 1000,
  successThreshold,
  failureThreshold,
});

test('Ready after successThreshold successes in a row (a failure resets the count); NotReady after failureThreshold failures in a row', () => {
  const s = spec(2, 3);
  const run = (results: boolean[]) => results.reduce((st, ok) => probeResult(s, st, ok), NOT_READY).ready;
  assert.is(run([true]), false);
  assert.is(run([true, false, true]), false);
  assert.is(run([true, true]), true);
  assert.is(run([true, true, false, false]), true);
  assert.is(run([true, true, false, false, false]), false);
  assert.is(run([true, true, false, false, true, false, false]), true);
});

test('waitProbeReady probes until the thresholds say Ready, passing timeoutSeconds to each attempt', async () => {
  const answers = [false, true, false, true, true];
  const timeouts: number[] = [];
  await waitProbeReady(
    'the probe',
    spec(2, 3),
    async (timeoutMs) => {
      timeouts.push(timeoutMs);
      return { ok: answers.shift() ?? false, said: 'x' };
    },
    { startedAt: Date.now(), timeoutMs: 10_000 },
  );
  assert.equal(timeouts, [1000, 1000, 1000, 1000, 1000]);
});

test('waitProbeReady gives up at its timeout naming the probe and what it last said', async () => {
  try {
    await waitProbeReady(
      "pod p-0's readiness probe",
      spec(1, 3),
      async () => ({ ok: false, said: 'exit 1: NOT SYNCED' }),
      { startedAt: Date.now(), timeoutMs: 50 },
    );
    assert.unreachable('no timeout');
  } catch (err) {
    assert.match(String(err), "pod p-0's readiness probe");
    assert.match(String(err), 'exit 1: NOT SYNCED');
  }
});

test.run();
