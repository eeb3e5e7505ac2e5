import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { Log } from '../../../util/log.ts';
import { waitFor } from '../../../util/wait.ts';
import type { DeleteOptions, PodDeleteFault } from '../../faults.ts';
import type { HoldReport } from '../../platform.ts';
import type { KubeTarget, UndoJournal } from '../../undo.ts';
import { kubeError, type ObjectApi } from '../api.ts';
import { CordonHold } from '../cordon.ts';
import type { StatefulSetTarget } from '../pods.ts';
import { QuotaHold, type RestartHold } from '../quota-hold.ts';

/** Beyond the pod's grace period: time for the kubelet to report the containers gone. */
const DELETE_SLACK_MS = 60_000;
/** kill-mode: SIGTERM, then SIGKILL about this long after (the kubelet may round it up a little). */
const KILL_GRACE_SECONDS = 1;

/** What the pod delete takes from the Kubernetes platform (read when the fault runs: after deploy()). */
export interface KubePodDeleteDeps {
  core(): CoreV1Api;
  objects(): ObjectApi;
  statefulSet(): StatefulSetTarget;
  /** The pod, or undefined when there is none by that name. */
  readPod(name: string): Promise<V1Pod | undefined>;
  /** quota: a ResourceQuota in the run's namespace (the default); cordon: the nodes are cordoned. */
  holdMode: 'quota' | 'cordon';
  /** A namespace the user gave, whose other workloads a quota hold would stop, without quota-hold-shared. */
  refuseOtherWorkloads: boolean;
  /** Labels the quota as this run's. */
  runId: string;
  /** How the post step / cleanup reaches this cluster again (see undo.ts). */
  target(): KubeTarget;
  undo: UndoJournal;
  log: Log;
  signal?: AbortSignal;
}

/**
 * `kubectl delete pod` on the Redis StatefulSet's pod, its return optionally held back by the restart hold (made
 * on first use; each change of the hold is recorded in the undo journal first, see quota-hold.ts and cordon.ts).
 * `holdReport` is what the report says about the hold.
 */
export function kubePodDelete(deps: KubePodDeleteDeps): PodDeleteFault & { readonly holdReport?: HoldReport } {
  let restartHold: RestartHold | undefined;
  const holdFor = (): RestartHold => {
    if (restartHold) return restartHold;
    const core = deps.core();
    const sts = deps.statefulSet();
    restartHold =
      deps.holdMode === 'cordon'
        ? new CordonHold(core, deps.log, deps.undo, deps.target())
        : new QuotaHold(
            { core, objects: deps.objects() },
            {
              namespace: sts.namespace,
              statefulSet: sts.name,
              runId: deps.runId,
              undo: deps.undo,
              target: deps.target(),
              log: deps.log,
              signal: deps.signal,
              refuseOtherWorkloads: deps.refuseOtherWorkloads,
            },
          );
    return restartHold;
  };
  return {
    get holdReport() {
      return restartHold?.report;
    },
    async delete(name: string, opts: DeleteOptions) {
      const core = deps.core();
      const { namespace } = deps.statefulSet();
      const pod = await deps.readPod(name);
      if (!pod) throw new Error(`cannot delete pod ${name}: there is no such pod in namespace ${namespace}`);
      const uid = pod.metadata?.uid ?? '';
      // kill: the shortest grace the kubelet honours. A grace period of 0 is a *force* delete: the API object goes
      // at once while the container still runs (the kubelet stops it afterwards, SIGTERM first all the same), so
      // "gone" would not mean "dead" and, without a hold, a replacement could start on the same volume.
      const graceSeconds = opts.mode === 'kill' ? KILL_GRACE_SECONDS : (pod.spec?.terminationGracePeriodSeconds ?? 30);
      if (opts.hold) await holdFor().hold({ name, uid });
      opts.onDelete?.(Date.now());
      await core
        .deleteNamespacedPod({
          name,
          namespace,
          ...(opts.mode === 'kill' ? { gracePeriodSeconds: KILL_GRACE_SECONDS } : {}),
        })
        .catch((err: unknown) => {
          throw kubeError(`deleting pod ${name}`, err);
        });
      await waitFor(
        `pod ${name} (uid ${uid}) to be gone`,
        async () => {
          const now = await deps.readPod(name);
          if (!now || now.metadata?.uid !== uid) return { done: true, value: undefined };
          return {
            done: false,
            seen: `still ${now.status?.phase ?? 'present'}${now.metadata.deletionTimestamp ? ', terminating' : ''}`,
          };
        },
        { timeoutMs: graceSeconds * 1000 + DELETE_SLACK_MS, intervalMs: 100, signal: deps.signal },
      );
    },
    async releaseHold() {
      await restartHold?.release();
    },
  };
}
