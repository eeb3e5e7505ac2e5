import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { nfsStandIn } from '../../manifests/nfs-standin.ts';
import { messageOf } from '../../errors.ts';
import { waitFor } from '../../util/wait.ts';
import { createKindCluster, undoKindCluster } from '../kind.ts';
import { KIND_PV_MOUNT, kindConfig, readKindConfigFile } from '../kind-config.ts';
import { loadImages, manifestImages, parseImageList, pullImages, pullPolicies } from '../kind-images.ts';
import { installKind, kindDirs } from '../kind-install.ts';
import type { PlatformContext } from '../platform.ts';
import { noUndoJournal, type UndoStep } from '../undo.ts';
import { kubeClients, loadKubeConfig } from './api.ts';
import { exportKindLogs } from './evidence.ts';
import { untouched, type Flavor } from './flavor.ts';
import { createStandInDirs } from './pv-files.ts';
import { addPodRoutes, podRoutes, removePodRoute, routesToAdd } from './routes.ts';
import type { KindSettings } from './settings.ts';

const NODES_TIMEOUT_MS = 120_000;

/** The kind cluster of createKindPlatform (kube.ts): made by connect(), its routes and itself undone by finish(). */
export function kindFlavor(config: KindSettings, ctx: PlatformContext): Flavor {
  const hostPvDir = path.join(ctx.workDir, 'pv');
  const journal = ctx.undo ?? noUndoJournal;
  const kubeconfigFile = path.join(ctx.workDir, 'kubeconfig');
  /** What this run made, in order, with its journal id and its undo. */
  const made: Array<{ id: string; undo: () => Promise<unknown> }> = [];
  let kindPath = '';
  const recordThen = async <S extends UndoStep>(step: S, undo: (s: S) => Promise<unknown>): Promise<void> => {
    made.push({ id: await journal.record(step), undo: () => undo(step) });
  };
  return {
    kind: 'kind',
    shared: false, // the cluster is the run's own (and deleted with everything in it)
    target: () => ({ kubeconfig: kubeconfigFile }),
    hostPvDir: config.nfsStandIn ? hostPvDir : undefined,
    async connect() {
      const user = config.kindConfig ? await readKindConfigFile(config.kindConfig) : undefined;
      const clusterConfig = kindConfig({ workers: config.workers, hostPvDir, nodeImage: config.nodeImage, user });
      const nodeCount = (parse(clusterConfig) as { nodes: unknown[] }).nodes.length;
      const kind = await installKind(config.kindVersion, { ...kindDirs(ctx.workDir), warn: (l) => ctx.log.warn(l) });
      kindPath = kind;
      await mkdir(hostPvDir, { recursive: true });
      const configFile = path.join(ctx.workDir, 'kind-config.yaml');
      await writeFile(configFile, clusterConfig);
      await createKindCluster({
        kind,
        name: config.clusterName,
        configFile,
        kubeconfigFile,
        log: ctx.log,
        beforeCreate: () =>
          recordThen({ kind: 'kind-cluster', cluster: config.clusterName, kindVersion: config.kindVersion }, (s) =>
            undoKindCluster(s, ctx.log),
          ),
        signal: ctx.signal,
      });
      const clients = kubeClients(loadKubeConfig(kubeconfigFile, { secret: ctx.log.secret }));
      // --wait covers the control plane; workers get their pod CIDR when they register.
      const routes = await waitFor(
        `${nodeCount} kind nodes with a pod CIDR and an address`,
        async () => {
          const items = (await clients.core.listNode()).items;
          const found = podRoutes(items);
          return found.length === nodeCount
            ? { done: true, value: found }
            : { done: false, seen: `${items.length} nodes, ${found.length} with pod CIDR and address` };
        },
        { timeoutMs: NODES_TIMEOUT_MS, intervalMs: 1000, signal: ctx.signal },
      );
      // Only routes this run adds are recorded, and so ever removed: an existing route is left alone. Each is
      // recorded before it is added.
      const adding = await routesToAdd(routes, ctx.log);
      await addPodRoutes(adding, ctx.log, (r) =>
        recordThen({ kind: 'pod-route', cidr: r.cidr, via: r.via }, removePodRoute),
      );
      return clients;
    },
    async exportLogs(sink) {
      if (kindPath) await exportKindLogs(kindPath, config.clusterName, sink);
    },
    async finish() {
      if (ctx.retain === 'defer') return; // the caller undoes them later (the action's post step)
      if (ctx.retain === 'keep') ctx.log.info(`keep-cluster: leaving kind cluster ${config.clusterName} running`);
      // Routes first, then the cluster; an undo that fails stays unsettled for the next cleanup.
      const failed: unknown[] = [];
      for (const m of [...made].reverse()) {
        try {
          if (ctx.retain !== 'keep') await m.undo();
          await journal.settle(m.id);
        } catch (err) {
          failed.push(err);
        }
      }
      if (failed.length)
        throw new Error(failed.map(messageOf).join('; '), {
          cause: new AggregateError(failed),
        });
    },
    namespace: (redis) => config.namespace ?? redis.namespace,
    async prepare(set) {
      // Before apply: the job's own images (load-images) and the manifests' images, pulled once on the runner,
      // go into every node, so no node pulls from Docker Hub on its own.
      const given = parseImageList(config.loadImages);
      const pulled = await pullImages(
        manifestImages(set).filter((i) => !given.includes(i)),
        ctx.log,
      );
      const notes = await loadImages(
        kindPath,
        config.clusterName,
        { built: given, pulled, policies: pullPolicies(set) },
        ctx.log,
      );
      if (!config.nfsStandIn) return { ...(await untouched(set)), notes };
      const { objects, rewrites } = nfsStandIn(set, KIND_PV_MOUNT);
      await createStandInDirs(
        hostPvDir,
        rewrites.map((r) => r.persistentVolume),
      );
      return { bodies: objects, rewrites, notes };
    },
  };
}
