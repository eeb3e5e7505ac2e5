import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { InputError, KubeApiError } from '../../../errors.ts';
import type { ManifestSet, RedisDeployment } from '../../../manifests/model.ts';
import { valueAt } from '../../../manifests/object-path.ts';
import type { JsonValue } from '../../../manifests/model.ts';
import { templateRevision } from '../../../manifests/rollout-changes.ts';
import { refusedUpdates } from '../../../manifests/update-refusals.ts';
import type { Log } from '../../../util/log.ts';
import { waitFor } from '../../../util/wait.ts';
import { ApplyRefusedError, type AppliedUpdate, type RolloutFault } from '../../faults.ts';
import { isPodReady } from '../pods.ts';

/** What the Kubernetes platform lends its rollout: its apply, and reads of the StatefulSet and its pods. */
export interface KubeRolloutHost {
  deployed(): { set: ManifestSet; redis: RedisDeployment };
  /** Applies the manifests as deploy() does (server-side apply, the run's rewrites), without waiting. */
  apply(set: ManifestSet, redis: RedisDeployment): Promise<void>;
  statefulSet(): Promise<KubernetesObject>;
  pods(): Promise<V1Pod[]>;
  log: Log;
  signal?: AbortSignal;
}

/** Bound on the StatefulSet controller taking in the new template (its status naming the new revision). */
const OBSERVE_MS = 30_000;
const REVISION_LABEL = 'controller-revision-hash';

const ordinalOf = (pod: V1Pod) => Number(/-(\d+)$/.exec(pod.metadata?.name ?? '')?.[1] ?? -1);
/** A string field of the StatefulSet's status ('' when absent). */
const statusField = (sts: KubernetesObject, field: 'currentRevision' | 'updateRevision'): string => {
  const v = (sts as { status?: Record<string, JsonValue> }).status?.[field];
  return typeof v === 'string' ? v : '';
};
const specOf = (sts: KubernetesObject) => (sts as unknown as { spec?: JsonValue }).spec;

/**
 * The rollout on Kubernetes: `kubectl apply` of the head manifests is a server-side apply of every object (as
 * deploy() applies them); a 422 (an immutable field) or a 409 (a field another manager owns) from the API server
 * is the pull request not deploying, named by the field that changed. The StatefulSet controller then rolls the
 * pods itself: its status names the update revision, each pod its own in the `controller-revision-hash` label.
 */
export function kubeRolloutFault(host: KubeRolloutHost): RolloutFault {
  let update: AppliedUpdate | undefined;
  const revisionsNow = async () =>
    Object.fromEntries(
      (await host.pods()).map((p) => [p.metadata?.name ?? '', p.metadata?.labels?.[REVISION_LABEL] ?? '']),
    );
  return {
    async apply(set, redis) {
      const base = host.deployed();
      const before = await host.statefulSet();
      const currentRevision = statusField(before, 'currentRevision') || statusField(before, 'updateRevision');
      try {
        await host.apply(set, redis);
      } catch (err) {
        const api = err instanceof InputError && err.cause instanceof KubeApiError ? err.cause : err;
        if (api instanceof KubeApiError && (api.code === 422 || api.code === 409)) {
          const ours = refusedUpdates(base.set, set)[0];
          throw new ApplyRefusedError(
            ours?.object ?? 'an object of the head manifests',
            ours?.field ?? (api.causes[0]?.split(':')[0] || 'spec'),
            api.serverMessage,
          );
        }
        throw err;
      }
      const changed = templateRevision(base.redis) !== templateRevision(redis);
      // The controller takes the new template in asynchronously: wait for its status to name a new revision.
      const updateRevision = changed
        ? await waitFor(
            `StatefulSet ${redis.name}'s status to name the new revision`,
            async () => {
              const u = statusField(await host.statefulSet(), 'updateRevision');
              return u && u !== currentRevision
                ? { done: true, value: u }
                : { done: false, seen: `updateRevision ${u || 'none'}` };
            },
            { timeoutMs: OBSERVE_MS, intervalMs: 200, ...(host.signal ? { signal: host.signal } : {}) },
          )
        : currentRevision;
      const after = await host.statefulSet();
      const spec = specOf(after);
      const strategy = valueAt(spec, ['updateStrategy', 'type']) === 'OnDelete' ? 'OnDelete' : 'RollingUpdate';
      const rawMax = valueAt(spec, ['updateStrategy', 'rollingUpdate', 'maxUnavailable']);
      update = {
        currentRevision,
        updateRevision,
        strategy,
        partition: Number(valueAt(spec, ['updateStrategy', 'rollingUpdate', 'partition']) ?? 0),
        maxUnavailable: typeof rawMax === 'number' ? rawMax : 1,
        // What kubectl would print as configured: the objects whose manifests differ from the base's.
        changed: set.objects
          .filter((o) => {
            const b = base.set.objects.find((x) => x.kind === o.kind && x.name === o.name);
            return !b || JSON.stringify(b.body) !== JSON.stringify(o.body);
          })
          .map((o) => `${o.kind} ${o.name}`),
      };
      return update;
    },
    async waitRolledOut(timeoutMs) {
      const u = update;
      if (!u) throw new Error('no update applied to roll out');
      if (u.strategy === 'OnDelete' || u.currentRevision === u.updateRevision) return;
      const replicas = host.deployed().redis.replicas;
      await waitFor(
        `the StatefulSet controller to roll every pod at or above ordinal ${u.partition} to revision ${u.updateRevision}, each Ready`,
        async () => {
          const pods = await host.pods();
          const due = pods.filter((p) => ordinalOf(p) >= u.partition);
          const behind = due.filter(
            (p) =>
              p.metadata?.labels?.[REVISION_LABEL] !== u.updateRevision ||
              !isPodReady(p) ||
              p.metadata.deletionTimestamp,
          );
          return pods.length === replicas && behind.length === 0
            ? { done: true, value: undefined }
            : {
                done: false,
                seen: `${behind.length} pod(s) not yet on it and Ready (${behind.map((p) => p.metadata?.name).join(', ')})`,
              };
        },
        {
          timeoutMs,
          intervalMs: 200,
          ...(host.signal ? { signal: host.signal } : {}),
          onProgress: (ms, seen) => host.log.progress(`rollout (${Math.round(ms / 1000)} s): ${seen}`),
        },
      );
    },
    podRevisions: revisionsNow,
  };
}
