import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import type { Config } from '../config.ts';
import type { ManifestSet, RedisDeployment } from '../manifests/model.ts';
import { nfsStandIn } from '../manifests/nfs-standin.ts';
import type { NfsRewrite } from '../report/model.ts';
import { waitFor } from '../util/wait.ts';
import { createKindCluster, undoKindCluster } from './kind.ts';
import { KIND_PV_MOUNT, kindConfig } from './kind-config.ts';
import { installKind, kindDirs } from './kind-install.ts';
import { messageOf } from '../errors.ts';
import { apiStatus, isNotFound, kubeClients, kubeError, loadKubeConfig, type KubeClients } from './kube/api.ts';
import { kubeconfigInput } from './kube/kubeconfig.ts';
import { applyObjects, type AppliedRef, type ApplyItem } from './kube/apply.ts';
import { CordonHold } from './kube/cordon.ts';
import { isPodStarted, statefulSetPods, toPodInfo, type StatefulSetTarget } from './kube/pods.ts';
import { PodPortForwards } from './kube/port-forward.ts';
import { createStandInDirs, readStandInFile } from './kube/pv-files.ts';
import { diagnosePod, waitForRollout } from './kube/rollout.ts';
import { PREFLIGHT_CONNECT_MS, unreachablePods, type ReachMode } from './kube/preflight.ts';
import { addPodRoutes, podRoutes, removePodRoute, routesToAdd } from './kube/routes.ts';
import type { DeleteOptions, HostPort, Platform, PlatformContext, PodInfo, Target } from './platform.ts';
import { noUndoJournal, type UndoStep } from './undo.ts';

export type KubePlatform = Platform & { nfsRewrites: NfsRewrite[] };

const NODES_TIMEOUT_MS = 120_000;
/** Beyond the pod's grace period: time for the kubelet to report the containers gone. */
const DELETE_SLACK_MS = 60_000;
/** kill-mode: SIGTERM, then SIGKILL about this long after (the kubelet may round it up a little). */
const KILL_GRACE_SECONDS = 1;

/** What differs between a kind cluster this run creates and a cluster it is given. */
interface Flavor {
  kind: 'kind' | 'existing';
  connect(): Promise<KubeClients>;
  /** The namespace for the run, once the manifests are known. */
  namespace(redis: RedisDeployment): string;
  /** The objects to apply, in set order (kind: with the NFS stand-in, whose directories it creates). */
  prepare(set: ManifestSet): Promise<{ bodies: ApplyItem['body'][]; rewrites: NfsRewrite[] }>;
  /** Runner directory behind KIND_PV_MOUNT, when the stand-in is in use. */
  hostPvDir?: string;
  /** Last step of teardown (kind outside GitHub Actions: delete the cluster, as no post step will). */
  finish?(): Promise<void>;
}

/**
 * The Kubernetes platform shared by kind and existing clusters: server-side apply, rollout with diagnosis,
 * pods, delete with a cordon hold, pod files through the NFS stand-in, and a teardown that never throws.
 */
class Kube implements KubePlatform {
  readonly kind: 'kind' | 'existing';
  nfsRewrites: NfsRewrite[] = [];
  /** kind starts routed and falls back to port-forward when the preflight cannot reach a pod IP. */
  reachMode: ReachMode;
  private clients?: KubeClients;
  private hold?: CordonHold;
  private forwards?: PodPortForwards;
  private target?: StatefulSetTarget;
  private redis?: RedisDeployment;
  private namespaceCreated = false;
  private applied: AppliedRef[] = [];
  private tornDown = false;

  constructor(
    private readonly flavor: Flavor,
    private readonly config: Config,
    private readonly ctx: PlatformContext,
  ) {
    this.kind = flavor.kind;
    this.reachMode = flavor.kind === 'kind' ? 'routed' : 'port-forward';
  }

  private get api(): KubeClients {
    if (!this.clients) throw new Error(`${this.kind} platform: provision() must run first`);
    return this.clients;
  }

  private get sts(): StatefulSetTarget {
    if (!this.target) throw new Error(`${this.kind} platform: deploy() must run first`);
    return this.target;
  }

  async provision(): Promise<void> {
    if (this.clients) return;
    this.clients = await this.flavor.connect();
    this.hold = new CordonHold(this.clients.core, this.ctx.log);
  }

  async deploy(set: ManifestSet, redis: RedisDeployment): Promise<void> {
    const { core, objects } = this.api;
    const namespace = this.flavor.namespace(redis);
    this.redis = redis;
    this.target = { namespace, name: redis.name, podLabels: redis.podLabels, replicas: redis.replicas };
    await this.ensureNamespace(namespace);

    const { bodies, rewrites } = await this.flavor.prepare(set);
    this.nfsRewrites = rewrites;
    for (const r of rewrites) this.ctx.log.info(`NFS stand-in: PersistentVolume ${r.persistentVolume}: ${r.from} -> ${r.to}`);
    const items = bodies.map((body, i) => ({ body, at: set.objects[i]!.at }));
    // Applied refs are recorded as they go, so a failure halfway still tears down what was applied.
    const applied = await applyObjects(objects, items, namespace, {
      recordCreated: this.kind === 'existing',
      log: this.ctx.log,
      onApplied: (ref) => this.applied.push(ref),
    });
    this.ctx.log.info(`applied ${applied.length} objects; waiting for ${redis.replicas} pods of ${redis.name}`);
    await waitForRollout(core, this.target, { timeoutMs: this.config.rolloutTimeoutMs, log: this.ctx.log, signal: this.ctx.signal });
    await this.preflightReach(redis.port);
  }

  /**
   * Before anything talks to Redis: can this process open a connection to every pod IP through the routes?
   * If not (a runner whose Docker network is not routable from the host, a route that already existed and
   * leads elsewhere), fall back to port-forwards through the API server and say so: otherwise the first sign
   * would be a bootstrap connect timeout a minute later.
   */
  private async preflightReach(port: number): Promise<void> {
    const { log } = this.ctx;
    if (this.reachMode === 'port-forward') {
      log.info('reach: port-forward (each pod through the API server)');
      return;
    }
    const pods = await this.listPods();
    const unreachable = await unreachablePods(pods, port, { timeoutMs: PREFLIGHT_CONNECT_MS });
    if (unreachable.length === 0) {
      log.info(`reach: routed (this process connects to all ${pods.length} pod IPs on port ${port})`);
      return;
    }
    this.reachMode = 'port-forward';
    log.warn(`reach: port-forward: ${unreachable.length} of ${pods.length} pods cannot be reached through the routes ` +
      `(${unreachable.join('; ')}); falling back to port-forwards through the API server (timings then include that hop)`);
  }

  private async ensureNamespace(name: string): Promise<void> {
    const { core } = this.api;
    const exists = await core.readNamespace({ name }).then(() => true, (err: unknown) => {
      if (isNotFound(err)) return false;
      // Users confined to one namespace may not read namespaces; assume theirs exists (apply says if not).
      if (apiStatus(err).code === 403) return true;
      throw kubeError(`cannot read namespace ${name}`, err);
    });
    if (exists) return;
    await core
      .createNamespace({ body: { metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'redis-cluster-resilience' } } } })
      .catch((err: unknown) => {
        throw kubeError(`cannot create namespace ${name}`, err);
      });
    this.namespaceCreated = true;
    this.ctx.log.info(`created namespace ${name}`);
  }

  async listPods(): Promise<PodInfo[]> {
    return (await statefulSetPods(this.api.core, this.sts)).map((p) => toPodInfo(p, this.sts.name));
  }

  async reach(announced: HostPort): Promise<Target> {
    const auth = this.ctx.auth ? { auth: this.ctx.auth } : {};
    if (this.reachMode === 'routed') return { ...announced, ...auth }; // pod CIDRs are routed through the node containers
    const pod = (await this.listPods()).find((p) => p.ip === announced.host);
    if (!pod) throw new Error(`no pod of StatefulSet ${this.sts.name} has IP ${announced.host} (it may have been recreated)`);
    this.forwards ??= new PodPortForwards(this.api.kc, this.sts.namespace, (name) => this.currentUid(name), this.ctx.log);
    return { ...(await this.forwards.forward(pod, announced.port)), ...auth };
  }

  /** The pod, or undefined when there is none by that name. */
  private readPod(name: string): Promise<V1Pod | undefined> {
    return this.api.core.readNamespacedPod({ name, namespace: this.sts.namespace }).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw kubeError(`reading pod ${name}`, err);
    });
  }

  private async currentUid(name: string): Promise<string | undefined> {
    const pod = await this.readPod(name);
    return pod?.metadata?.deletionTimestamp ? undefined : pod?.metadata?.uid;
  }

  async deletePod(name: string, opts: DeleteOptions): Promise<void> {
    const { core } = this.api;
    const { namespace } = this.sts;
    const pod = await this.readPod(name);
    if (!pod) throw new Error(`cannot delete pod ${name}: there is no such pod in namespace ${namespace}`);
    const uid = pod.metadata?.uid ?? '';
    // kill: the shortest grace the kubelet honours. A grace period of 0 is a *force* delete: the API object goes
    // at once while the container still runs (the kubelet stops it afterwards, SIGTERM first all the same), so
    // "gone" would not mean "dead" and, without a hold, a replacement could start on the same volume.
    const graceSeconds = opts.mode === 'kill' ? KILL_GRACE_SECONDS : (pod.spec?.terminationGracePeriodSeconds ?? 30);
    if (opts.hold) await this.hold!.hold();
    await core.deleteNamespacedPod({ name, namespace, ...(opts.mode === 'kill' ? { gracePeriodSeconds: KILL_GRACE_SECONDS } : {}) }).catch((err: unknown) => {
      throw kubeError(`deleting pod ${name}`, err);
    });
    await waitFor(
      `pod ${name} (uid ${uid}) to be gone`,
      async () => {
        const now = await this.readPod(name);
        if (!now || now.metadata?.uid !== uid) return { done: true, value: undefined };
        return { done: false, seen: `still ${now.status?.phase ?? 'present'}${now.metadata?.deletionTimestamp ? ', terminating' : ''}` };
      },
      { timeoutMs: graceSeconds * 1000 + DELETE_SLACK_MS, intervalMs: 100, signal: this.ctx.signal },
    );
  }

  async releaseHold(): Promise<void> {
    await this.hold?.release();
  }

  async waitForReplacement(name: string, oldUid: string, timeoutMs: number): Promise<PodInfo> {
    const { core } = this.api;
    const { namespace } = this.sts;
    try {
      return await waitFor(
        `pod ${name} to be recreated (a UID other than ${oldUid}) and running`,
        async () => {
          const pod = await this.readPod(name);
          if (!pod) return { done: false, seen: 'no such pod yet' };
          if (pod.metadata?.uid === oldUid) return { done: false, seen: 'the old pod is still there' };
          if (!isPodStarted(pod)) return { done: false, seen: `new pod ${pod.status?.phase ?? '?'}, not running yet` };
          return { done: true, value: toPodInfo(pod, this.sts.name) };
        },
        { timeoutMs, intervalMs: 200, signal: this.ctx.signal },
      );
    } catch (err) {
      // Say why it is stuck (image, scheduling, crash loop) rather than only "not ready".
      const pod = await this.readPod(name).catch(() => undefined);
      if (pod && pod.metadata?.uid !== oldUid) {
        const why = await diagnosePod(core, namespace, pod).catch(() => '');
        if (why && err instanceof Error) err.message += `\n${why}`;
      }
      throw err;
    }
  }

  async readPersistentFile(podName: string, containerPath: string): Promise<string | undefined> {
    const hostDir = this.flavor.hostPvDir;
    const mount = this.redis?.mountFor(containerPath);
    if (!hostDir || !mount || !this.clients) return undefined;
    return readStandInFile(this.clients.core, {
      namespace: this.sts.namespace,
      podName,
      mount,
      containerPath,
      hostDir,
      nodeDir: KIND_PV_MOUNT,
    });
  }

  async teardown(): Promise<void> {
    if (this.tornDown || !this.clients) return;
    this.tornDown = true;
    const { log } = this.ctx;
    const attempt = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        log.warn(`teardown: ${what}: ${apiStatus(err).message}`);
      }
    };
    await attempt('releasing the hold', () => this.releaseHold());
    await attempt('closing port-forwards', async () => this.forwards?.close());
    if (this.kind === 'kind') {
      // In an action the post step deletes the cluster (or keeps it, uncordoned, when asked to).
      await attempt('deleting the kind cluster', async () => this.flavor.finish?.());
      return;
    }
    const { core, objects } = this.clients;
    const namespace = this.target?.namespace;
    if (namespace && this.namespaceCreated) {
      log.info(`deleting namespace ${namespace} (the API server removes its contents in the background)`);
      await attempt(`deleting namespace ${namespace}`, () => core.deleteNamespace({ name: namespace }));
    } else if (namespace) {
      // A namespace we were given: remove only what this run put there, claims included.
      for (const ref of this.applied.filter((r) => r.namespace)) {
        await attempt(`deleting ${ref.kind} ${ref.name}`, () =>
          objects.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace } }));
      }
      for (const t of this.redis?.claimTemplates ?? []) {
        for (let i = 0; i < (this.target?.replicas ?? 0); i++) {
          const name = `${t.name}-${this.target!.name}-${i}`;
          await attempt(`deleting claim ${name}`, () => core.deleteNamespacedPersistentVolumeClaim({ name, namespace }).catch((err: unknown) => {
            if (!isNotFound(err)) throw err;
          }));
        }
      }
    }
    for (const ref of this.applied.filter((r) => !r.namespace && r.created)) {
      await attempt(`deleting ${ref.kind} ${ref.name}`, () =>
        objects.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name } }));
    }
  }
}

const untouched = async (set: ManifestSet) => ({ bodies: set.objects.map((o) => structuredClone(o.body)), rewrites: [] });

/**
 * A kind cluster created for this run: the pinned kind (checksum-verified), one control-plane and
 * config.workers workers all mounting ctx.workDir/pv (the NFS stand-in), pod CIDRs routed from the runner.
 * The cluster and each route are recorded in the undo journal before they are made (so a half-created cluster
 * is deleted too); teardown deletes them unless the caller retains them (PlatformContext.retain).
 */
export function createKindPlatform(config: Config, ctx: PlatformContext): KubePlatform {
  const hostPvDir = path.join(ctx.workDir, 'pv');
  const journal = ctx.undo ?? noUndoJournal;
  /** What this run made, in order, with its journal id and its undo. */
  const made: Array<{ id: string; undo: () => Promise<unknown> }> = [];
  const recordThen = async <S extends UndoStep>(step: S, undo: (s: S) => Promise<unknown>): Promise<void> => {
    made.push({ id: await journal.record(step), undo: () => undo(step) });
  };
  const flavor: Flavor = {
    kind: 'kind',
    hostPvDir: config.nfsStandIn ? hostPvDir : undefined,
    async connect() {
      const kind = await installKind(config.kindVersion, kindDirs(ctx.workDir));
      await mkdir(hostPvDir, { recursive: true });
      const configFile = path.join(ctx.workDir, 'kind-config.yaml');
      await writeFile(configFile, kindConfig({ workers: config.workers, hostPvDir, nodeImage: config.nodeImage }));
      const kubeconfigFile = path.join(ctx.workDir, 'kubeconfig');
      await createKindCluster({
        kind,
        name: config.clusterName,
        configFile,
        kubeconfigFile,
        log: ctx.log,
        beforeCreate: () => recordThen({ kind: 'kind-cluster', cluster: config.clusterName, kindPath: kind }, (s) => undoKindCluster(s, ctx.log)),
      });
      const clients = kubeClients(loadKubeConfig(kubeconfigFile, { secret: ctx.log.secret }));
      // --wait covers the control plane; workers get their pod CIDR when they register.
      const routes = await waitFor(
        `${config.workers + 1} kind nodes with a pod CIDR and an address`,
        async () => {
          const items = (await clients.core.listNode()).items;
          const found = podRoutes(items);
          return found.length === config.workers + 1
            ? { done: true, value: found }
            : { done: false, seen: `${items.length} nodes, ${found.length} with pod CIDR and address` };
        },
        { timeoutMs: NODES_TIMEOUT_MS, intervalMs: 1000, signal: ctx.signal },
      );
      // Only routes this run adds are recorded, and so ever removed: an existing route is left alone. Each is
      // recorded before it is added.
      const adding = await routesToAdd(routes, ctx.log);
      await addPodRoutes(adding, ctx.log, (r) => recordThen({ kind: 'pod-route', cidr: r.cidr, via: r.via }, removePodRoute));
      return clients;
    },
    async finish() {
      if (ctx.retain === 'defer') return; // the caller undoes them later (the action's post step)
      if (ctx.retain === 'keep') ctx.log.info(`keep-cluster: leaving kind cluster ${config.clusterName} running`);
      // Routes first, then the cluster; an undo that fails stays unsettled for the next cleanup.
      const failed: string[] = [];
      for (const m of [...made].reverse()) {
        try {
          if (ctx.retain !== 'keep') await m.undo();
          await journal.settle(m.id);
        } catch (err) {
          failed.push(messageOf(err));
        }
      }
      if (failed.length) throw new Error(failed.join('; '));
    },
    namespace: (redis) => config.namespace ?? redis.namespace,
    async prepare(set) {
      if (!config.nfsStandIn) return untouched(set);
      const { objects, rewrites } = nfsStandIn(set, KIND_PV_MOUNT);
      await createStandInDirs(hostPvDir, rewrites.map((r) => r.persistentVolume));
      return { bodies: objects, rewrites };
    },
  };
  return new Kube(flavor, config, ctx);
}

/**
 * A cluster the user already has (kubeconfig input, else KUBECONFIG / ~/.kube/config): everything goes into a
 * namespace of the run's own (generated unless given) and is removed in teardown; pods are reached through
 * port-forwards. Manifests are applied as written (real NFS stays NFS).
 */
export function createExistingPlatform(config: Config, ctx: PlatformContext): KubePlatform {
  const namespace = config.namespace ?? `redis-resilience-${randomBytes(3).toString('hex')}`;
  const flavor: Flavor = {
    kind: 'existing',
    async connect() {
      const given = config.kubeconfig ? await kubeconfigInput(config.kubeconfig, ctx.workDir) : undefined;
      return kubeClients(loadKubeConfig(given?.file, { name: given?.name, secret: ctx.log.secret }));
    },
    namespace: () => namespace,
    prepare: untouched,
  };
  return new Kube(flavor, config, ctx);
}
