import type { RedisDeployment } from '../../../manifests/model.ts';
import { valueAt } from '../../../manifests/object-path.ts';
import type { DeleteOptions, PodDeleteFault } from '../../faults.ts';
import { startSettled, type Pod } from '../pod-table.ts';
import { stopProcess } from '../process.ts';

const DEFAULT_GRACE_SECONDS = 30;

/** What the local platform lends its pod deletion (local.ts owns the pods). */
export interface LocalPodDeleteHost {
  /** The deployment; throws while nothing is deployed. */
  deployed(): RedisDeployment;
  pod(name: string): Pod;
  pods(): Pod[];
  /** Resolves once the pod's address no longer answers (local/pod-gone.ts). */
  untilGone(pod: Pod): Promise<void>;
  /** A pod's address changed: every pod's /etc/hosts follows (local/pod-hosts.ts). */
  addressesChanged(): void;
}

/**
 * `kubectl delete pod` on the local platform: the pod's process group stopped (SIGTERM and its grace period, or
 * SIGKILL), its address released once it no longer answers; its lifecycle machine then recreates it after the
 * StatefulSet's delay, or, held, keeps it deleted until releaseHold(). The hold is the machine's own state:
 * nothing outside the run's processes changes, so there is nothing to journal for undo.
 */
export function localPodDelete(host: LocalPodDeleteHost): PodDeleteFault {
  return {
    async delete(name: string, options: DeleteOptions): Promise<void> {
      const r = host.deployed();
      const pod = host.pod(name);
      // A start under way finishes first, its readiness probe included.
      await startSettled(pod);
      pod.lifecycle.fire({ type: 'delete', hold: options.hold });
      if (pod.proc && !pod.proc.exit) await stopProcess(pod.proc, options.mode, graceSeconds(r) * 1000);
      await host.untilGone(pod);
      pod.ip = '';
      pod.node = '';
      host.addressesChanged();
      pod.lifecycle.fire({ type: 'gone' });
    },
    async releaseHold(): Promise<void> {
      for (const pod of host.pods())
        if (pod.lifecycle.state.phase === 'held') pod.lifecycle.fire({ type: 'release', delayMs: 0 });
    },
  };
}

function graceSeconds(r: RedisDeployment): number {
  const v = valueAt(r.statefulSet.body, ['spec', 'template', 'spec', 'terminationGracePeriodSeconds']);
  return typeof v === 'number' && v >= 0 ? v : DEFAULT_GRACE_SECONDS;
}
