import type { ManifestObject, ManifestSet, RedisDeployment } from '../../../manifests/model.ts';
import { valueAt } from '../../../manifests/object-path.ts';
import { templateRevision } from '../../../manifests/rollout-changes.ts';
import { refusedUpdates } from '../../../manifests/update-refusals.ts';
import { ApplyRefusedError, type AppliedUpdate, type RolloutFault } from '../../faults.ts';

/** What the local platform lends its rollout: the deployment as applied, and its pods' replacement. */
export interface LocalRolloutHost {
  /** The manifests the pods were deployed from (the last apply's). */
  deployed(): { set: ManifestSet; redis: RedisDeployment };
  /** From now on, pods start from these manifests (the StatefulSet's new template, its ConfigMaps, its server). */
  update(set: ManifestSet, redis: RedisDeployment): Promise<void>;
  /** The revision (templateRevision) each pod was created from. */
  revisions(): Record<string, string>;
  /** Replaces pods as the StatefulSet controller does: `batches` in order, the pods of a batch at once, each
   * Running and Ready before the next batch. */
  replace(batches: string[][], timeoutMs: number): Promise<void>;
}

const objectKey = (o: ManifestObject) => `${o.kind}/${o.namespace ?? ''}/${o.name}`;

/** The StatefulSet's update strategy as the API server defaults it (RollingUpdate, partition 0, maxUnavailable 1). */
function strategyOf(redis: RedisDeployment): Pick<AppliedUpdate, 'strategy' | 'partition' | 'maxUnavailable'> {
  const body = redis.statefulSet.body;
  const type = valueAt(body, ['spec', 'updateStrategy', 'type']) === 'OnDelete' ? 'OnDelete' : 'RollingUpdate';
  const partition = Number(valueAt(body, ['spec', 'updateStrategy', 'rollingUpdate', 'partition']) ?? 0);
  const raw = valueAt(body, ['spec', 'updateStrategy', 'rollingUpdate', 'maxUnavailable']) ?? 1;
  // A percentage is of the replicas, rounded down, at least one (the controller's intstr scaling).
  const maxUnavailable =
    typeof raw === 'string' && raw.endsWith('%')
      ? Math.max(1, Math.floor((Number(raw.slice(0, -1)) * redis.replicas) / 100))
      : Math.max(1, Number(raw) || 1);
  return { strategy: type, partition: Number.isFinite(partition) ? partition : 0, maxUnavailable };
}

/**
 * `kubectl apply` of the head manifests over the local deployment: refused as the API server refuses it
 * (manifests/update-refusals.ts), else the new template is what every pod created from now on runs, and the
 * controller's rollout is carried out by waitRolledOut (RollingUpdate: highest ordinal first, maxUnavailable at
 * a time, pods below the partition left alone; OnDelete: nothing until a pod is deleted).
 */
export function localRolloutFault(host: LocalRolloutHost): RolloutFault {
  let update: AppliedUpdate | undefined;
  return {
    async apply(set, redis) {
      const base = host.deployed();
      const refusal = refusedUpdates(base.set, set)[0];
      if (refusal) throw new ApplyRefusedError(refusal.object, refusal.field, refusal.message);
      if (redis.name !== base.redis.name)
        throw new Error(
          `the head manifests rename StatefulSet ${base.redis.name} to ${redis.name}: kubectl apply would create a second StatefulSet beside the running one, which this rollout does not emulate`,
        );
      if (redis.replicas !== base.redis.replicas)
        throw new Error(
          `the head manifests scale StatefulSet ${redis.name} from ${base.redis.replicas} to ${redis.replicas} replicas: a rollout that also scales is not emulated here (the cluster would need resharding)`,
        );
      const before = new Map(base.set.objects.map((o) => [objectKey(o), JSON.stringify(o.body)]));
      const changed = set.objects
        .filter((o) => before.get(objectKey(o)) !== JSON.stringify(o.body))
        .map((o) => `${o.kind} ${o.name}`);
      const currentRevision = templateRevision(base.redis);
      await host.update(set, redis);
      update = { currentRevision, updateRevision: templateRevision(redis), ...strategyOf(redis), changed };
      return update;
    },
    async waitRolledOut(timeoutMs) {
      if (!update) throw new Error('local platform: no update applied to roll out');
      if (update.strategy === 'OnDelete') return;
      const revisions = host.revisions();
      const names = Object.keys(revisions)
        .map((name) => ({ name, ordinal: Number(/-(\d+)$/.exec(name)?.[1] ?? -1) }))
        .filter((p) => p.ordinal >= update!.partition && revisions[p.name] !== update!.updateRevision)
        .sort((a, b) => b.ordinal - a.ordinal)
        .map((p) => p.name);
      const batches: string[][] = [];
      for (let i = 0; i < names.length; i += update.maxUnavailable)
        batches.push(names.slice(i, i + update.maxUnavailable));
      await host.replace(batches, timeoutMs);
    },
    podRevisions: async () => host.revisions(),
  };
}
