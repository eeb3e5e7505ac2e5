import { type CoreV1Api, type CoreV1Event, type V1Pod, type V1ResourceQuota } from '@kubernetes/client-node';
import type { HoldReport } from '../platform.ts';
import { InputError } from '../../errors.ts';
import type { Log } from '../../util/log.ts';
import { waitFor } from '../../util/wait.ts';
import type { KubeTarget, UndoJournal } from '../undo.ts';
import { apiStatus, isNotFound, kubeError, type ObjectApi } from './api.ts';
import { RUN_LABEL } from './run-names.ts';

/** The pod whose restart is held (the one about to be deleted). */
export interface HeldPod {
  name: string;
  uid: string;
}

/** Keeps a deleted StatefulSet pod from coming back until release(). */
export interface RestartHold {
  readonly mode: HoldReport['mode'];
  /** Called before the pod is deleted; resolves once the hold is in force. */
  hold(pod: HeldPod): Promise<void>;
  /** Lets the pod come back. Safe to call when nothing is held, and again after a failure. */
  release(): Promise<void>;
  /** What the report says about the hold; undefined until one was taken. */
  readonly report?: HoldReport;
}

export const QUOTA_NAME = 'redis-cluster-resilience-hold';
/** Bound on the quota controller's first sync of the new quota (it is usually well under a second). */
const IN_FORCE_TIMEOUT_MS = 30_000;

/**
 * Pods the `pods` quota counts. The API server's pod evaluator (pkg/quota/v1/evaluator/core/pods.go,
 * QuotaV1Pod) ignores pods in a terminal phase (Failed, Succeeded) and pods whose deletion grace period has
 * expired (deletionTimestamp + deletionGracePeriodSeconds in the past); every other pod counts.
 */
export function countsForQuota(pod: V1Pod, now = Date.now()): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return false;
  const deletion = pod.metadata?.deletionTimestamp;
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  if (deletion && grace !== undefined && now > new Date(deletion).getTime() + grace * 1000) return false;
  return true;
}

/** Pods of the namespace that are not the StatefulSet's (by controller owner): other workloads the hold would stop. */
export function otherWorkloadPods(pods: V1Pod[], statefulSet: string): string[] {
  return pods
    .filter(
      (p) =>
        !p.metadata?.ownerReferences?.some((o) => o.kind === 'StatefulSet' && o.name === statefulSet && o.controller),
    )
    .map((p) => p.metadata?.name ?? '?');
}

/** Why a quota hold is refused in a namespace that runs other workloads, and the choices. */
export function sharedNamespaceRefusal(namespace: string, others: string[]): string {
  const shown = others.slice(0, 5).join(', ') + (others.length > 5 ? `, and ${others.length - 5} more` : '');
  return (
    `namespace ${namespace} runs other workloads (pods ${shown}): the restart hold (hold-mode quota) would keep every pod of the namespace from being created while it holds, theirs too. ` +
    "Nothing was changed. Choose one: quota-hold-shared: true (take the hold anyway), a namespace of the run's own (leave namespace unset), hold-mode: cordon, or hold-restart: false"
  );
}

/**
 * The restart hold that touches no node: a ResourceQuota `pods: N-1` in the run's own namespace, where N is
 * what the quota counts just before the deletion. While the old pod terminates it still counts (N, over the
 * limit but already admitted: a quota never evicts); once it is gone the StatefulSet controller's create of
 * the replacement is refused by the ResourceQuota admission plugin with 403 Forbidden "exceeded quota"
 * (k8s.io/apiserver resourcequota controller.go: a create whose new usage exceeds status.hard is denied), and
 * the controller retries with its rate-limited back-off (pkg/controller/statefulset/stateful_set.go: a failed
 * sync is requeued with AddRateLimited, 5 ms doubling up to 1000 s; kubernetes/kubernetes#22298).
 *
 * The admission plugin reads the quota's *status*: a quota whose status.hard the quota controller has not
 * filled in yet is ignored, so hold() waits until status.hard.pods and status.used.pods are set before
 * returning. release() deletes the quota, then updates an annotation on the StatefulSet: the controller
 * enqueues a StatefulSet on every update event (queue.Add, no back-off), so the pod is created at once
 * instead of after a back-off that may have grown to many seconds during the hold.
 *
 * Other pods of the namespace cannot be created while the hold lasts either: in the run's own namespace that
 * is nothing; in a namespace the user gave that runs other workloads, the hold is refused (before the quota
 * and before the deletion) unless quota-hold-shared allows it.
 * The undo (delete the quota) is recorded before the quota is created and settled once it is gone.
 */
export class QuotaHold implements RestartHold {
  readonly mode = 'quota' as const;
  report?: HoldReport;
  private undoId?: string;
  private held?: HeldPod & { since: number; setupMs: number };

  constructor(
    private readonly api: { core: CoreV1Api; objects: ObjectApi },
    private readonly opts: {
      namespace: string;
      statefulSet: string;
      runId: string;
      undo: UndoJournal;
      target: KubeTarget;
      log: Log;
      signal?: AbortSignal;
      /** A namespace the user gave, without quota-hold-shared: no hold while other workloads run there. */
      refuseOtherWorkloads?: boolean;
    },
  ) {}

  async hold(pod: HeldPod): Promise<void> {
    const { core } = this.api;
    const { namespace, log } = this.opts;
    const start = Date.now();
    const pods = await core.listNamespacedPod({ namespace }).catch((err: unknown) => {
      throw kubeError(`listing the pods of namespace ${namespace} (to size the restart hold's ResourceQuota)`, err);
    });
    const others = this.opts.refuseOtherWorkloads ? otherWorkloadPods(pods.items, this.opts.statefulSet) : [];
    if (others.length) throw new InputError(sharedNamespaceRefusal(namespace, others));
    const counted = pods.items.filter((p) => countsForQuota(p)).length;
    const limit = Math.max(0, counted - 1);
    this.undoId ??= await this.opts.undo.record({
      kind: 'restart-hold',
      target: this.opts.target,
      namespace,
      name: QUOTA_NAME,
    });
    const body: V1ResourceQuota = {
      metadata: {
        name: QUOTA_NAME,
        labels: { 'app.kubernetes.io/managed-by': 'redis-cluster-resilience', [RUN_LABEL]: this.opts.runId },
      },
      spec: { hard: { pods: String(limit) } },
    };
    await core.createNamespacedResourceQuota({ namespace, body }).catch((err: unknown) => {
      throw kubeError(
        `creating ResourceQuota ${QUOTA_NAME} (pods: ${limit}) in namespace ${namespace} for the restart hold`,
        err,
      );
    });
    await waitFor(
      `ResourceQuota ${QUOTA_NAME} in namespace ${namespace} to be in force (status.hard and status.used filled in by the quota controller)`,
      async () => {
        const q = await core.readNamespacedResourceQuota({ name: QUOTA_NAME, namespace });
        const hard = q.status?.hard?.pods;
        const used = q.status?.used?.pods;
        return hard === String(limit) && used !== undefined
          ? { done: true, value: undefined }
          : { done: false, seen: `status hard ${hard ?? 'unset'}, used ${used ?? 'unset'}` };
      },
      { timeoutMs: IN_FORCE_TIMEOUT_MS, intervalMs: 50, signal: this.opts.signal },
    );
    this.held = { ...pod, since: Date.now(), setupMs: Date.now() - start };
    log.info(
      `hold: ResourceQuota ${QUOTA_NAME} pods: ${limit} in namespace ${namespace} (${counted} pods counted; in force after ${Date.now() - start} ms); no node touched`,
    );
  }

  async release(): Promise<void> {
    if (this.undoId === undefined) return;
    const { core } = this.api;
    const { namespace, log } = this.opts;
    const held = this.held;
    // Checked before the quota goes: a pod of that name with another UID means the hold did not hold.
    const replacement = held ? await this.replacementOf(held).catch(() => undefined) : undefined;
    const refusals = held ? await this.refusals().catch(() => undefined) : undefined;
    await core.deleteNamespacedResourceQuota({ name: QUOTA_NAME, namespace }).catch((err: unknown) => {
      if (!isNotFound(err))
        throw kubeError(
          `deleting ResourceQuota ${QUOTA_NAME} in namespace ${namespace} (releasing the restart hold)`,
          err,
        );
    });
    await this.opts.undo.settle(this.undoId);
    this.undoId = undefined;
    this.held = undefined;
    if (!held) return; // the hold never came into force: nothing was held, nothing to report
    await this.nudge();
    const heldMs = Date.now() - held.since;
    // The hold is taken inside the measured window (between "pod deleted" and the delete request): say its cost.
    const detail =
      `ResourceQuota ${QUOTA_NAME} (pods: N-1) in namespace ${namespace} for ${(heldMs / 1000).toFixed(1)} s, in force ${held.setupMs} ms after the hold was asked for; ` +
      (replacement === undefined
        ? 'could not check whether the replacement was held (reading the pod failed)'
        : replacement
          ? `the hold FAILED: pod ${held.name} was recreated (uid ${replacement}) while the quota was in force`
          : `pod ${held.name} was not recreated while held`) +
      (refusals ? `; the StatefulSet controller was refused ${refusals} time(s) (exceeded quota)` : '');
    if (replacement) log.warn(`hold: ${detail}`);
    else log.info(`hold released: ${detail}`);
    this.report = {
      mode: 'quota',
      heldMs,
      setupMs: held.setupMs,
      replacementHeld: replacement === undefined ? undefined : !replacement,
      detail,
    };
  }

  /** The UID of a new pod of that name, '' when there is none (or only the old one), per the API server. */
  private async replacementOf(pod: HeldPod): Promise<string> {
    const now = await this.api.core
      .readNamespacedPod({ name: pod.name, namespace: this.opts.namespace })
      .catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
    const uid = now?.metadata?.uid;
    return uid && uid !== pod.uid ? uid : '';
  }

  /** How often the controller's create was refused by this quota (its FailedCreate events), as evidence. */
  private async refusals(): Promise<number> {
    const { namespace, statefulSet } = this.opts;
    const events = await this.api.core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.name=${statefulSet}`,
    });
    return events.items
      .filter(
        (e: CoreV1Event) => e.reason === 'FailedCreate' && (e.message ?? '').includes(`exceeded quota: ${QUOTA_NAME}`),
      )
      .reduce((n, e) => n + (e.count ?? 1), 0);
  }

  /** An annotation update on the StatefulSet: re-queues it in the controller at once (see the class comment). */
  private async nudge(): Promise<void> {
    const { namespace, statefulSet, log } = this.opts;
    const body = {
      metadata: {
        name: statefulSet,
        namespace,
        annotations: { 'redis-cluster-resilience/hold-released': new Date().toISOString() },
      },
    };
    await this.api.objects
      .mergePatch({ apiVersion: 'apps/v1', kind: 'StatefulSet', ...body })
      .catch((err: unknown) =>
        log.warn(
          `hold released, but StatefulSet ${statefulSet} could not be nudged (${apiStatus(err).message}): the pod comes back after the controller's back-off`,
        ),
      );
  }
}
