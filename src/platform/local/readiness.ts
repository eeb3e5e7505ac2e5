import { waitFor } from '../../util/wait.ts';
import { execInPod } from './pod-sandbox.ts';
import type { Pod } from './pod-table.ts';
import { readinessProbeSpec, type ProbeAttempt } from './probes.ts';
import type { Supervised } from './process.ts';
import { infoServer, serving } from './server-probe.ts';
import { requireDeployed, type LocalState } from './state.ts';

/**
 * The readiness probe's exec command, run in the pod's view until it succeeds (sandbox mode only), each attempt
 * bounded by its timeoutSeconds (readinessAttempt); polled, not on the kubelet's schedule (a rolling restart is).
 */
export async function waitProbe(s: LocalState, pod: Pod, proc: Supervised): Promise<void> {
  const { ctx } = s;
  const r = requireDeployed(s);
  const command = r.container.readinessExec;
  if (s.mode !== 'sandbox' || !command) return;
  const what = `pod ${pod.name}'s readiness probe (${command.join(' ')})`;
  const attempt = readinessAttempt(s, pod);
  const { timeoutMs } = readinessProbeSpec(r.statefulSet.body, r.container.name);
  await waitFor(
    what,
    async () => {
      if (proc.exit) return { done: true, value: undefined };
      const probe = await attempt(timeoutMs);
      return probe.ok ? { done: true, value: undefined } : { done: false, seen: probe.said };
    },
    {
      timeoutMs: s.readyTimeoutMs,
      intervalMs: 500,
      signal: ctx.signal,
      onProgress: (ms, seen) => ctx.log.progress(`${what}: ${seen} (${ms} ms)`),
    },
  );
}

/**
 * One readiness probe attempt (src/platform/local/probes.ts runs them on the kubelet's schedule): the probe's
 * exec command in the pod's sandbox, bounded by timeoutSeconds. Where it cannot run (direct mode, or a probe
 * that is not exec) the probe is taken to be "Redis answers", and the log says so once.
 */
export function readinessAttempt(s: LocalState, pod: Pod): ProbeAttempt {
  const r = requireDeployed(s);
  const command = r.container.readinessExec;
  if (s.mode === 'sandbox' && command) {
    return async (timeoutMs) => {
      const p = await execInPod(s, pod, command, timeoutMs);
      return { ok: p.code === 0, said: `exit ${p.code ?? 'none'}: ${p.output.trim().slice(-300)}` };
    };
  }
  s.infoOnce(
    `local platform: readiness probes are taken as "Redis answers" (${s.mode === 'sandbox' ? 'the readiness probe has no exec command' : "direct mode cannot run the probe's command in the pod"})`,
  );
  return async (timeoutMs) => {
    const answer = await infoServer(pod.ip, r.port, timeoutMs);
    return { ok: serving(answer), said: answer.reply };
  };
}
