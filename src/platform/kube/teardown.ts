import type { Log } from '../../util/log.ts';
import type { UndoJournal } from '../undo.ts';
import { apiStatus, isNotFound, type KubeClients } from './api.ts';
import type { RunObjects } from './run-objects.ts';

/** A step of teardown, whose failure is logged as a warning: teardown never throws. */
export type TeardownAttempt = (what: string, fn: () => Promise<unknown>) => Promise<void>;

export function teardownAttempt(log: Log): TeardownAttempt {
  return async (what, fn) => {
    try {
      await fn();
    } catch (err) {
      log.warn(`teardown: ${what}: ${apiStatus(err).message}`);
    }
  };
}

/**
 * A shared cluster's teardown: deletes what this run created (run-objects.ts), each undo step settled once its
 * object is gone (already gone counts). A namespace of the run's own goes with everything in it; in a namespace it
 * was given only its own objects and claims go. Then the cluster-scoped objects it created.
 */
export async function removeRunObjects(
  clients: KubeClients,
  namespace: string | undefined,
  created: RunObjects,
  deps: { undo: UndoJournal; log: Log; attempt: TeardownAttempt },
): Promise<void> {
  const { core, objects } = clients;
  const { undo, log, attempt } = deps;
  const remove = async (what: string, undoId: string | undefined, fn: () => Promise<unknown>) =>
    attempt(what, async () => {
      await fn().catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
      if (undoId !== undefined) await undo.settle(undoId);
    });
  if (namespace && created.namespaceCreated) {
    log.info(`deleting namespace ${namespace} (the API server removes its contents in the background)`);
    await remove(`deleting namespace ${namespace}`, created.namespaceUndo, () =>
      core.deleteNamespace({ name: namespace }),
    );
  } else if (namespace) {
    // A namespace we were given: remove only what this run created there, claims included.
    for (const ref of created.applied.filter((r) => r.namespace && r.created)) {
      await remove(`deleting ${ref.kind} ${ref.name}`, ref.undoId, () =>
        objects.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace } }),
      );
    }
    for (const claim of created.claims) {
      await remove(`deleting claim ${claim.name}`, claim.undoId, () =>
        core.deleteNamespacedPersistentVolumeClaim({ name: claim.name, namespace }),
      );
    }
  }
  for (const ref of created.applied.filter((r) => !r.namespace && r.created)) {
    await remove(`deleting ${ref.kind} ${ref.name}`, ref.undoId, () =>
      objects.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name } }),
    );
  }
}
