import type { ManifestSet, RedisDeployment } from '../../manifests/model.ts';
import type { NfsRewrite } from '../../manifests/nfs-standin.ts';
import type { Log } from '../../util/log.ts';
import type { UndoJournal } from '../undo.ts';
import { isNotFound, kubeError, type KubeClients } from './api.ts';
import { applyObjects, type AppliedRef, type Ownership } from './apply.ts';
import type { Flavor } from './flavor.ts';
import { isolateRun, RUN_LABEL } from './run-names.ts';

export interface RunObjectsDeps {
  clients(): KubeClients;
  flavor: Flavor;
  /** Labels this run's objects on a shared cluster; also the suffix of its cluster-scoped names. */
  runId: string;
  undo: UndoJournal;
  log: Log;
  /** The platform's notes for the report, added to as the manifests are prepared and isolated. */
  notes: string[];
}

/**
 * The manifests applied into the cluster, and what of it this run created: its namespace, the applied objects, the
 * claims its StatefulSet will make. On a shared cluster each is recorded in the undo journal before it is created,
 * and teardown (teardown.ts) removes exactly these.
 */
export class RunObjects {
  namespaceCreated = false;
  namespaceUndo?: string;
  /** Objects applied, with the undo step recorded before each one this run created. */
  readonly applied: Array<AppliedRef & { undoId?: string }> = [];
  /** Objects renamed for this run (shared namespace): the applied name -> the manifests' name. */
  private readonly appliedAs = new Map<string, string>();
  /** Claims the StatefulSet will create that did not exist before (deleted in teardown; shared clusters). */
  readonly claims: Array<{ name: string; undoId?: string }> = [];

  constructor(private readonly deps: RunObjectsDeps) {}

  /** The Jobs applied: each under the manifests' name, and the name it was applied as. */
  jobs(): Array<{ name: string; applied: string }> {
    return this.applied
      .filter((r) => r.kind === 'Job')
      .map((r) => ({ name: this.appliedAs.get(r.name) ?? r.name, applied: r.name }));
  }

  /**
   * The manifests applied as they are deployed (the NFS stand-in's rewrites; on a shared cluster the run's
   * names), each applied object recorded for teardown; no wait. deploy() and the rollout's apply both use it.
   */
  async applySet(set: ManifestSet, redis: RedisDeployment, namespace: string): Promise<{ rewrites: NfsRewrite[] }> {
    const { flavor, log, runId } = this.deps;
    const { objects } = this.deps.clients();
    const prepared = await flavor.prepare(set);
    this.deps.notes.push(...(prepared.notes ?? []));
    for (const r of prepared.rewrites)
      log.info(`NFS stand-in: PersistentVolume ${r.persistentVolume}: ${r.from} -> ${r.to}`);
    let bodies = prepared.bodies;
    let ownership: Ownership | undefined;
    const pending = new Map<string, string>(); // undo step ids of objects about to be created, by kind/name
    if (flavor.shared) {
      const isolated = isolateRun(set, bodies, { runId, namespace });
      bodies = isolated.bodies;
      this.deps.notes.push(...isolated.notes);
      for (const r of isolated.renamed) {
        log.info(`${r.kind} ${r.from} applied as ${r.to} (run ${runId})`);
        this.appliedAs.set(r.to, r.from);
      }
      for (const b of isolated.bound)
        log.info(`PersistentVolume ${b.persistentVolume} pre-bound to claim ${namespace}/${b.claim}`);
      ownership = {
        runId,
        guarded: (namespaced) => !namespaced || !this.namespaceCreated,
        beforeCreate: async (ref) => {
          const undoId = await this.recordObject(ref.apiVersion, ref.kind, ref.name, ref.namespace);
          if (undoId !== undefined) pending.set(`${ref.kind}/${ref.name}`, undoId);
        },
      };
      if (!this.namespaceCreated) await this.recordNewClaims(redis, namespace);
    }
    const items = bodies.map((body, i) => ({
      body,
      at: set.objects[i]!.at,
      locate: (p: ReadonlyArray<string | number>) => set.objects[i]!.locate(p),
    }));
    // Applied refs are recorded as they go, so a failure halfway still tears down what was applied.
    const applied = await applyObjects(objects, items, namespace, {
      log,
      ownership,
      onApplied: (ref) => this.applied.push({ ...ref, undoId: pending.get(`${ref.kind}/${ref.name}`) }),
    });
    log.info(`applied ${applied.length} objects; waiting for ${redis.replicas} pods of ${redis.name}`);
    return { rewrites: prepared.rewrites };
  }

  /** The namespace, created (and recorded first) unless it exists. */
  async ensureNamespace(name: string): Promise<void> {
    const { core } = this.deps.clients();
    const exists = await core.readNamespace({ name }).then(
      () => true,
      (err: unknown) => {
        if (isNotFound(err)) return false;
        // A 403 says nothing about whether it exists: named with its rule (a Role in the namespace can grant it).
        throw kubeError(`cannot read namespace ${name}`, err);
      },
    );
    if (exists) return;
    this.namespaceUndo = await this.recordObject('v1', 'Namespace', name);
    await core
      .createNamespace({
        body: {
          metadata: {
            name,
            labels: { 'app.kubernetes.io/managed-by': 'redis-cluster-resilience', [RUN_LABEL]: this.deps.runId },
          },
        },
      })
      .catch((err: unknown) => {
        throw kubeError(`cannot create namespace ${name}`, err);
      });
    this.namespaceCreated = true;
    this.deps.log.info(`created namespace ${name}`);
  }

  /**
   * Records the undo of an object about to be created. Only on a shared cluster: a kind cluster is the run's
   * own, and its undo (deleting the cluster) covers everything in it.
   */
  private async recordObject(
    apiVersion: string,
    objectKind: string,
    name: string,
    namespace?: string,
  ): Promise<string | undefined> {
    const { flavor, undo } = this.deps;
    if (!flavor.shared) return undefined;
    return undo.record({
      kind: 'kube-object',
      target: flavor.target(),
      apiVersion,
      objectKind,
      name,
      ...(namespace ? { namespace } : {}),
    });
  }

  /**
   * In a namespace the run did not create, the claims its StatefulSet will make (`<template>-<sts>-<ordinal>`)
   * are the run's to delete only if they do not exist yet: recorded now, before the StatefulSet makes them.
   */
  private async recordNewClaims(redis: RedisDeployment, namespace: string): Promise<void> {
    const { core } = this.deps.clients();
    for (const t of redis.claimTemplates) {
      for (let i = 0; i < redis.replicas; i++) {
        const name = `${t.name}-${redis.name}-${i}`;
        const exists = await core.readNamespacedPersistentVolumeClaim({ name, namespace }).then(
          () => true,
          (err: unknown) => {
            if (isNotFound(err)) return false;
            throw kubeError(`reading claim ${name} in namespace ${namespace}`, err);
          },
        );
        if (exists) {
          this.deps.log.warn(
            `claim ${name} already exists in namespace ${namespace}: the StatefulSet will use it, and the run will not delete it`,
          );
          continue;
        }
        this.claims.push({ name, undoId: await this.recordObject('v1', 'PersistentVolumeClaim', name, namespace) });
      }
    }
  }
}
