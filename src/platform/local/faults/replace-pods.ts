import type { RedisDeployment } from '../../../manifests/model.ts';
import type { Log } from '../../../util/log.ts';
import type { PodDeleteFault } from '../../faults.ts';
import type { PodInfo } from '../../platform.ts';
import type { Pod } from '../pod-table.ts';
import { readinessProbeSpec, waitProbeReady, type ProbeAttempt } from '../probes.ts';

/** What the StatefulSet controller's replacement of pods needs of the local platform. */
export interface PodReplacementHost {
  /** The deployment; throws while nothing is deployed. */
  deployed(): RedisDeployment;
  pod(name: string): Pod;
  podDelete: PodDeleteFault;
  waitForReplacement(name: string, oldUid: string, timeoutMs: number): Promise<PodInfo>;
  /** One attempt of the pod's readiness probe (local/readiness.ts). */
  readinessAttempt(pod: Pod): ProbeAttempt;
  /** The delay before a deleted pod is recreated (the controller, scheduler and kubelet). */
  restartDelayMs: number;
  log: Log;
  signal?: AbortSignal;
}

/**
 * The StatefulSet controller's replacement of pods, shared by the rolling restart and the rollout: each batch's
 * pods deleted (graceful) and recreated at once, every one Running and Ready (its readiness probe on the
 * kubelet's schedule) before the next batch.
 */
export function localPodReplacement(
  host: PodReplacementHost,
): (batches: string[][], timeoutMs: number) => Promise<void> {
  return async (batches, timeoutMs) => {
    const r = host.deployed();
    const probe = readinessProbeSpec(r.statefulSet.body, r.container.name);
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(0, deadline - Date.now());
    const replace = async (pod: Pod): Promise<void> => {
      const oldUid = pod.uid;
      await host.podDelete.delete(pod.name, { hold: true, mode: 'graceful' });
      // Recreated as after any deletion (restartDelayMs stands for the controller, scheduler and kubelet), gated:
      // Ready follows the readiness probe's schedule below, not the start.
      pod.lifecycle.fire({ type: 'release', delayMs: host.restartDelayMs, gated: true });
      await host.waitForReplacement(pod.name, oldUid, left());
      await waitProbeReady(`pod ${pod.name}'s readiness probe`, probe, host.readinessAttempt(pod), {
        startedAt: pod.startedAt!,
        timeoutMs: left(),
        ...(host.signal ? { signal: host.signal } : {}),
      });
      pod.lifecycle.fire({ type: 'probe-passed' });
      host.log.info(`local platform: rollout: pod ${pod.name} replaced and ready`);
    };
    for (const batch of batches) await Promise.all(batch.map((name) => replace(host.pod(name))));
  };
}
