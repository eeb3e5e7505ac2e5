import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { parse } from 'yaml';
import os from 'node:os';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import type { ManifestSet, RedisDeployment } from '../manifests/model.ts';
import { nfsStandIn, type NfsRewrite } from '../manifests/nfs-standin.ts';
import type { EvidenceSink } from './evidence-sink.ts';
import { settleWithin, waitFor } from '../util/wait.ts';
import { createKindCluster, undoKindCluster } from './kind.ts';
import { KIND_PV_MOUNT, kindConfig, readKindConfigFile } from './kind-config.ts';
import { loadImages, manifestImages, parseImageList, pullImages, pullPolicies } from './kind-images.ts';
import { installKind, kindDirs } from './kind-install.ts';
import { InputError, messageOf, PodNotServingError, UnsupportedError } from '../errors.ts';
import { missingAccess, requiredAccess, rulesText, type AccessRule } from './kube/access.ts';
import { apiStatus, isNotFound, kubeClients, kubeError, loadKubeConfig, type KubeClients } from './kube/api.ts';
import { kubeconfigInput } from './kube/kubeconfig.ts';
import { applyObjects, type AppliedRef, type ApplyItem, type Ownership } from './kube/apply.ts';
import { placeInTemplate } from './kube/pod-refusal.ts';
import { CordonHold } from './kube/cordon.ts';
import { otherWorkloadPods, QuotaHold, sharedNamespaceRefusal, type RestartHold } from './kube/quota-hold.ts';
import { isolateRun, RUN_LABEL } from './kube/run-names.ts';
import {
  isPodReady,
  isPodStarted,
  nodeZones,
  statefulSetPods,
  toPodInfo,
  type StatefulSetTarget,
} from './kube/pods.ts';
import { PodCache } from './kube/pod-cache.ts';
import { PodPortForwards } from './kube/port-forward.ts';
import { createStandInDirs, readStandInFile } from './kube/pv-files.ts';
import { blockedMessage, blockedPods, diagnosePod, waitForRollout } from './kube/rollout.ts';
import { kubeRolloutFault } from './kube/faults/rollout.ts';
import { collectNamespaceEvidence, exportKindLogs } from './kube/evidence.ts';
import { kubeJobStatuses } from './kube/jobs.ts';
import { PREFLIGHT_CONNECT_MS, unreachablePods, type ReachMode } from './kube/preflight.ts';
import { addPodRoutes, podRoutes, removePodRoute, routesToAdd } from './kube/routes.ts';
import { findNodeProcess, runDocker, signalNodeProcess, type NodeProcess } from './kube/node-freeze.ts';
import { kindPartition } from './kube/faults/partition.ts';
import { kindNodeLoss } from './kube/faults/node-loss.ts';
import type { DeleteOptions, PlatformFaults } from './faults.ts';
import type {
  Deployed,
  HoldReport,
  HostPort,
  ManifestJobStatus,
  Platform,
  PlatformContext,
  PodInfo,
  Target,
} from './platform.ts';
import { noUndoJournal, type KubeTarget, type UndoJournal, type UndoStep } from './undo.ts';

/** What both Kubernetes platforms take from the run's settings. */
export interface KubeSettings {
  /** quota: a ResourceQuota in the run's namespace; cordon: the nodes are cordoned. */
  holdMode: 'quota' | 'cordon';
  rolloutTimeoutMs: number;
  /** Deploy into this namespace; default: the manifests' (kind) or a new one per run (existing). */
  namespace?: string;
  /** Whether a deleted pod's restart is held (the hold's rights are then checked before any change). */
  holdRestart?: boolean;
  /** hold-mode quota in a given namespace that runs other workloads: allowed only when true. */
  quotaHoldShared?: boolean;
}

/** What the kind platform takes from the run's settings. */
export interface KindSettings extends KubeSettings {
  kindVersion: string;
  nodeImage?: string;
  /** Images in the runner's Docker to load into the nodes (comma/space/newline separated). */
  loadImages?: string;
  /** The user's kind cluster config file. */
  kindConfig?: string;
  clusterName: string;
  workers: number;
  nfsStandIn: boolean;
}

/** What the existing-cluster platform takes from the run's settings. */
export interface ExistingSettings extends KubeSettings {
  kubeconfig?: string;
}

export type KubePlatform = Platform & { hold?: HoldReport; notes: string[] };

const NODES_TIMEOUT_MS = 120_000;
/** Beyond the pod's grace period: time for the kubelet to report the containers gone. */
const DELETE_SLACK_MS = 60_000;
/** Bound on the access reviews before any change (one request per permission, sent at once). */
const ACCESS_REVIEW_TIMEOUT_MS = 30_000;
/** kill-mode: SIGTERM, then SIGKILL about this long after (the kubelet may round it up a little). */
const KILL_GRACE_SECONDS = 1;

/** What differs between a kind cluster this run creates and a cluster it is given. */
interface Flavor {
  kind: 'kind' | 'existing';
  connect(): Promise<KubeClients>;
  /** How the post step / cleanup reaches this cluster again (see undo.ts). */
  target(): KubeTarget;
  /** A cluster shared with others: per-run names and claimRefs, no object taken over, everything recorded. */
  shared: boolean;
  /** The namespace for the run, once the manifests are known. */
  namespace(redis: RedisDeployment): string;
  /** The objects to apply, in set order (kind: with the NFS stand-in, whose directories it creates). */
  prepare(set: ManifestSet): Promise<{ bodies: Array<ApplyItem['body']>; rewrites: NfsRewrite[]; notes?: string[] }>;
  /** Runner directory behind KIND_PV_MOUNT, when the stand-in is in use. */
  hostPvDir?: string;
  /** kind: its own logs of every node into the evidence (kind export logs). */
  exportLogs?(sink: EvidenceSink): Promise<void>;
  /** Last step of teardown (kind outside GitHub Actions: delete the cluster, as no post step will). */
  finish?(): Promise<void>;
}

/**
 * The Kubernetes platform shared by kind and existing clusters: server-side apply, rollout with diagnosis,
 * pods, delete with a cordon hold, pod files through the NFS stand-in, and a teardown that never throws.
 */
class Kube implements KubePlatform {
  readonly kind: 'kind' | 'existing';
  /** kind starts routed and falls back to port-forward when the preflight cannot reach a pod IP. */
  reachMode: ReachMode;
  notes: string[] = [];
  private clients?: KubeClients;
  private restartHold?: RestartHold;
  private forwards?: PodPortForwards;
  private cache?: PodCache;
  private cacheStarted?: Promise<PodCache>;
  private target?: StatefulSetTarget;
  private redis?: RedisDeployment;
  /** The manifests last applied (deploy, or a rollout's apply). */
  private deployedSet?: ManifestSet;
  /** Pods frozen by freeze(), with the node process to resume. */
  private readonly frozen = new Map<string, NodeProcess>();
  private namespaceCreated = false;
  /** Objects applied, with the undo step recorded before each one this run created. */
  private applied: Array<AppliedRef & { undoId?: string }> = [];
  /** Objects renamed for this run (shared namespace): the applied name -> the manifests' name. */
  private appliedAs = new Map<string, string>();
  /** Claims the StatefulSet will create that did not exist before (deleted in teardown; shared clusters). */
  private claims: Array<{ name: string; undoId?: string }> = [];
  private namespaceUndo?: string;
  private tornDown = false;
  private readonly undo: UndoJournal;
  private madeFaults?: PlatformFaults;
  /** kind: the partition fault, whose cuts teardown lifts. */
  private partition?: ReturnType<typeof kindPartition>;

  constructor(
    private readonly flavor: Flavor,
    private readonly settings: KubeSettings,
    private readonly ctx: PlatformContext,
    /** Labels this run's objects on a shared cluster; also the suffix of its cluster-scoped names. */
    private readonly runId: string,
  ) {
    this.kind = flavor.kind;
    this.reachMode = flavor.kind === 'kind' ? 'routed' : 'port-forward';
    this.undo = ctx.undo ?? noUndoJournal;
  }

  /** kind: the node containers and the pods' network namespaces are this run's to change (kube/faults/); an
   * existing cluster's nodes are not. */
  get faults(): PlatformFaults {
    this.madeFaults ??= {
      podDelete: { delete: (name, opts) => this.deletePod(name, opts), releaseHold: () => this.releaseHold() },
      freeze:
        this.flavor.kind === 'kind'
          ? { freeze: (pod) => this.freeze(pod), resume: (pod) => this.resume(pod) }
          : {
              unsupported: `freezing a pod needs the node's container runtime (the host PID of its container; SIGSTOP from inside the container does not stop PID 1), which the ${this.kind} platform does not drive`,
            },
      rollingRestart: { restartAll: (timeoutMs) => this.rolloutRestart(timeoutMs) },
      rollout: kubeRolloutFault({
        deployed: () => ({ set: this.deployedSet!, redis: this.redis! }),
        apply: async (set, redis) => {
          await this.applySet(set, redis, this.sts.namespace);
          this.redis = redis;
        },
        statefulSet: () =>
          this.api.objects.read({
            apiVersion: 'apps/v1',
            kind: 'StatefulSet',
            metadata: { name: this.sts.name, namespace: this.sts.namespace },
          }),
        pods: () => statefulSetPods(this.api.core, this.sts),
        log: this.ctx.log,
        ...(this.ctx.signal ? { signal: this.ctx.signal } : {}),
      }),
      partition:
        this.flavor.kind === 'kind'
          ? (this.partition = kindPartition({ locate: (pod) => this.nodeContainer(pod), undo: this.undo }))
          : {
              unsupported:
                "a partition needs packet filter rules in the pod's network namespace, reached from its node, which the existing platform does not drive (no node access)",
            },
      nodeLoss:
        this.flavor.kind === 'kind'
          ? kindNodeLoss({
              run: runDocker,
              core: () => this.api.core,
              undo: this.undo,
              log: this.ctx.log,
              ...(this.ctx.signal ? { signal: this.ctx.signal } : {}),
            })
          : {
              unsupported:
                "losing a node of an existing cluster would stop others' workloads: only kind's nodes are the run's own",
            },
    };
    return this.madeFaults;
  }

  get hold(): HoldReport | undefined {
    return this.restartHold?.report;
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
  }

  /** The hold for this run's StatefulSet, made on first use (hold-mode: quota by default, cordon opt-in). */
  private holdFor(): RestartHold {
    if (this.restartHold) return this.restartHold;
    const { core, objects } = this.api;
    this.restartHold =
      this.settings.holdMode === 'cordon'
        ? new CordonHold(core, this.ctx.log, this.undo, this.flavor.target())
        : new QuotaHold(
            { core, objects },
            {
              namespace: this.sts.namespace,
              statefulSet: this.sts.name,
              runId: this.runId,
              undo: this.undo,
              target: this.flavor.target(),
              log: this.ctx.log,
              signal: this.ctx.signal,
              refuseOtherWorkloads: this.settings.namespace !== undefined && !this.settings.quotaHoldShared,
            },
          );
    return this.restartHold;
  }

  async deploy(set: ManifestSet, redis: RedisDeployment): Promise<Deployed> {
    const { core } = this.api;
    const namespace = this.flavor.namespace(redis);
    this.redis = redis;
    this.target = { namespace, name: redis.name, podLabels: redis.podLabels, replicas: redis.replicas };
    if (this.flavor.shared) {
      await this.checkAccess(set, redis, namespace);
      await this.checkSharedNamespace(namespace);
    }
    await this.ensureNamespace(namespace);
    const prepared = await this.applySet(set, redis, namespace);
    await waitForRollout(core, this.target, {
      timeoutMs: this.settings.rolloutTimeoutMs,
      log: this.ctx.log,
      signal: this.ctx.signal,
    }).catch((err: unknown) => {
      const sts = set.objects.find((o) => o.kind === 'StatefulSet' && o.name === redis.name);
      throw err instanceof Error ? placeInTemplate(err, sts) : err;
    });
    await this.preflightReach(redis.port);
    return { nfsRewrites: prepared.rewrites };
  }

  /**
   * The manifests applied as they are deployed (the NFS stand-in's rewrites; on a shared cluster the run's
   * names), each applied object recorded for teardown; no wait. deploy() and the rollout's apply both use it.
   */
  private async applySet(
    set: ManifestSet,
    redis: RedisDeployment,
    namespace: string,
  ): Promise<{ rewrites: NfsRewrite[] }> {
    const { objects } = this.api;
    this.deployedSet = set;
    const prepared = await this.flavor.prepare(set);
    this.notes.push(...(prepared.notes ?? []));
    for (const r of prepared.rewrites)
      this.ctx.log.info(`NFS stand-in: PersistentVolume ${r.persistentVolume}: ${r.from} -> ${r.to}`);
    let bodies = prepared.bodies;
    let ownership: Ownership | undefined;
    const pending = new Map<string, string>(); // undo step ids of objects about to be created, by kind/name
    if (this.flavor.shared) {
      const isolated = isolateRun(set, bodies, { runId: this.runId, namespace });
      bodies = isolated.bodies;
      this.notes.push(...isolated.notes);
      for (const r of isolated.renamed) {
        this.ctx.log.info(`${r.kind} ${r.from} applied as ${r.to} (run ${this.runId})`);
        this.appliedAs.set(r.to, r.from);
      }
      for (const b of isolated.bound)
        this.ctx.log.info(`PersistentVolume ${b.persistentVolume} pre-bound to claim ${namespace}/${b.claim}`);
      ownership = {
        runId: this.runId,
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
      log: this.ctx.log,
      ownership,
      onApplied: (ref) => this.applied.push({ ...ref, undoId: pending.get(`${ref.kind}/${ref.name}`) }),
    });
    this.ctx.log.info(`applied ${applied.length} objects; waiting for ${redis.replicas} pods of ${redis.name}`);
    return { rewrites: prepared.rewrites };
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
    log.warn(
      `reach: port-forward: ${unreachable.length} of ${pods.length} pods cannot be reached through the routes ` +
        `(${unreachable.join('; ')}); falling back to port-forwards through the API server (timings then include that hop)`,
    );
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
    if (!this.flavor.shared) return undefined;
    return this.undo.record({
      kind: 'kube-object',
      target: this.flavor.target(),
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
    const { core } = this.api;
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
          this.ctx.log.warn(
            `claim ${name} already exists in namespace ${namespace}: the StatefulSet will use it, and the run will not delete it`,
          );
          continue;
        }
        this.claims.push({ name, undoId: await this.recordObject('v1', 'PersistentVolumeClaim', name, namespace) });
      }
    }
  }

  /** The hold the scenarios will take: none without hold-restart. */
  private get holdKind(): 'quota' | 'cordon' | undefined {
    return this.settings.holdRestart === false ? undefined : this.settings.holdMode;
  }

  /**
   * A cluster the run is given: before any change, every permission the run will use is asked of the API
   * server (SelfSubjectAccessReview, access.ts). A missing one stops the run here, naming each rule, instead of
   * a 403 halfway: after objects were applied or, for the quota hold, at the pod's deletion. Where the reviews
   * cannot be asked, the run goes on and each 403 still names its rule.
   */
  private async checkAccess(set: ManifestSet, redis: RedisDeployment, namespace: string): Promise<void> {
    const { objects, kc } = this.api;
    const served: Array<{ kind: string; group: string; resource: string; namespaced: boolean }> = [];
    for (const o of set.objects) {
      const apiVersion = typeof o.body.apiVersion === 'string' ? o.body.apiVersion : '';
      const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
      if (served.some((s) => s.kind === o.kind && s.group === group)) continue;
      // A kind the server does not serve is apply's to report, with its file and line.
      const r = await objects.served(apiVersion, o.kind).catch(() => undefined);
      if (r) served.push({ kind: o.kind, group, ...r });
    }
    const hold = this.holdKind;
    const rules = requiredAccess({
      namespace,
      namespaceGiven: this.settings.namespace !== undefined,
      objects: served,
      claims: redis.claimTemplates.length > 0,
      hold,
    });
    const answer = await settleWithin(
      missingAccess(kc, rules),
      ACCESS_REVIEW_TIMEOUT_MS,
      `no answer within ${ACCESS_REVIEW_TIMEOUT_MS / 1000} s`,
      this.ctx.signal,
    ).catch((err: unknown) => ({ unknown: err }));
    if ('unknown' in answer) {
      // apiStatus: the server's words, or a network error with any credential in its URL redacted.
      this.ctx.log.warn(
        `access: could not ask the API server which permissions the kubeconfig's user has (SelfSubjectAccessReview: ${apiStatus(answer.unknown).message}); a refusal later names its rule`,
      );
      return;
    }
    if (answer.missing.length === 0) {
      this.ctx.log.info(`access: the kubeconfig's user has all ${rules.length} permissions the run uses`);
      return;
    }
    throw new InputError(accessRefusal(answer.missing, hold));
  }

  /**
   * hold-mode quota in a namespace the user gave: the ResourceQuota counts every pod of the namespace, so
   * while it holds no other workload there can create a pod either. Refused before any change unless
   * quota-hold-shared is true; a namespace of the run's own (namespace unset) is never shared.
   */
  private async checkSharedNamespace(namespace: string): Promise<void> {
    if (this.holdKind !== 'quota' || this.settings.namespace === undefined || this.settings.quotaHoldShared) return;
    const pods = await this.api.core.listNamespacedPod({ namespace }).catch((err: unknown) => {
      throw kubeError(`listing the pods of namespace ${namespace} (does it run other workloads?)`, err);
    });
    const others = otherWorkloadPods(pods.items, this.sts.name);
    if (others.length) throw new InputError(sharedNamespaceRefusal(namespace, others));
  }

  private async ensureNamespace(name: string): Promise<void> {
    const { core } = this.api;
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
            labels: { 'app.kubernetes.io/managed-by': 'redis-cluster-resilience', [RUN_LABEL]: this.runId },
          },
        },
      })
      .catch((err: unknown) => {
        throw kubeError(`cannot create namespace ${name}`, err);
      });
    this.namespaceCreated = true;
    this.ctx.log.info(`created namespace ${name}`);
  }

  async listPods(): Promise<PodInfo[]> {
    // Zones from the Node labels on kind only: on an existing cluster the run asks for no rights on Nodes.
    const [raw, zones] = await Promise.all([
      statefulSetPods(this.api.core, this.sts),
      this.kind === 'kind' ? nodeZones(this.api.core) : undefined,
    ]);
    const pods = raw.map((p) => toPodInfo(p, this.sts.name, zones));
    await this.forwardsReady(pods);
    return pods;
  }

  async reach(announced: HostPort): Promise<Target> {
    const auth = this.ctx.auth ? { auth: this.ctx.auth } : {};
    if (this.reachMode === 'routed') return { ...announced, ...auth }; // pod CIDRs are routed through the node containers
    const cache = await this.podCache();
    // The cache follows the pods by a watch; a miss (a pod the watch has not shown yet) asks the API server once.
    const pod =
      cache.byIp(announced.host) ??
      (await statefulSetPods(this.api.core, this.sts)).find(
        (p) => p.status?.podIP === announced.host && !p.metadata?.deletionTimestamp,
      );
    if (!pod)
      throw new Error(`no pod of StatefulSet ${this.sts.name} has IP ${announced.host} (it may have been recreated)`);
    return {
      ...(await this.portForwards().forward(
        { name: pod.metadata!.name!, uid: pod.metadata!.uid!, ip: announced.host },
        announced.port,
      )),
      ...auth,
    };
  }

  /**
   * reach() without waiting, for ioredis' natMap (which is synchronous): the local end of a forward already
   * listening for that pod IP. A forward is listening before the platform tells anyone a pod's address:
   * listPods and waitForReplacement open (and await) one for each pod they return, and the watch opens one for
   * every pod it sees with an IP. undefined where reach() would add nothing, and for an IP whose pod was
   * recreated (judged from the watched cache while it is fresh; else a connection's own UID check refuses it).
   */
  reachNow(announced: HostPort): Target | undefined {
    if (this.reachMode === 'routed' || !this.forwards) return undefined;
    const cache = this.cache?.fresh ? this.cache : undefined;
    const local = this.forwards.knownAt(announced, (name, uid) => {
      const pod = cache?.byName(name);
      return !cache || (pod?.metadata?.uid === uid && !pod.metadata.deletionTimestamp);
    });
    return local && { ...local, ...(this.ctx.auth ? { auth: this.ctx.auth } : {}) };
  }

  /** Port-forward reach: the pods' forwards listening (the listeners only; a forward connects per connection). */
  private async forwardsReady(pods: PodInfo[]): Promise<void> {
    const port = this.redis?.port;
    if (this.reachMode !== 'port-forward' || port === undefined) return;
    await Promise.all(
      pods.filter((p) => p.ip).map((p) => this.portForwards().forward({ name: p.name, uid: p.uid, ip: p.ip }, port)),
    );
  }

  private portForwards(): PodPortForwards {
    this.forwards ??= new PodPortForwards(
      this.api.kc,
      this.sts.namespace,
      (name) => this.currentUid(name),
      this.ctx.log,
    );
    return this.forwards;
  }

  /** The watched pod cache of the port-forward path, started on first use. */
  private podCache(): Promise<PodCache> {
    this.cacheStarted ??= (async () => {
      const cache = new PodCache(this.api.kc, this.api.core, this.sts, this.ctx.log, (pod) => {
        // Ready before anyone asks: the natMap of a cluster client cannot wait for a listener.
        const port = this.redis?.port;
        if (port !== undefined)
          void this.portForwards()
            .forward({ name: pod.metadata!.name!, uid: pod.metadata!.uid!, ip: pod.status?.podIP }, port)
            .catch(() => {});
      });
      this.cache = cache;
      await cache.start();
      return cache;
    })();
    return this.cacheStarted;
  }

  /** The pod, or undefined when there is none by that name. */
  private readPod(name: string): Promise<V1Pod | undefined> {
    return this.api.core.readNamespacedPod({ name, namespace: this.sts.namespace }).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw kubeError(`reading pod ${name}`, err);
    });
  }

  /** The UID of the pod by that name, undefined when it is gone or going. From the watched cache while a watch
   * runs (no API call per connection), else from the API server. */
  private async currentUid(name: string): Promise<string | undefined> {
    const pod = this.cache?.fresh ? this.cache.byName(name) : await this.readPod(name);
    return pod?.metadata?.deletionTimestamp ? undefined : pod?.metadata?.uid;
  }

  private async deletePod(name: string, opts: DeleteOptions): Promise<void> {
    const { core } = this.api;
    const { namespace } = this.sts;
    const pod = await this.readPod(name);
    if (!pod) throw new Error(`cannot delete pod ${name}: there is no such pod in namespace ${namespace}`);
    const uid = pod.metadata?.uid ?? '';
    // kill: the shortest grace the kubelet honours. A grace period of 0 is a *force* delete: the API object goes
    // at once while the container still runs (the kubelet stops it afterwards, SIGTERM first all the same), so
    // "gone" would not mean "dead" and, without a hold, a replacement could start on the same volume.
    const graceSeconds = opts.mode === 'kill' ? KILL_GRACE_SECONDS : (pod.spec?.terminationGracePeriodSeconds ?? 30);
    if (opts.hold) await this.holdFor().hold({ name, uid });
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
        const now = await this.readPod(name);
        if (!now || now.metadata?.uid !== uid) return { done: true, value: undefined };
        return {
          done: false,
          seen: `still ${now.status?.phase ?? 'present'}${now.metadata.deletionTimestamp ? ', terminating' : ''}`,
        };
      },
      { timeoutMs: graceSeconds * 1000 + DELETE_SLACK_MS, intervalMs: 100, signal: this.ctx.signal },
    );
  }

  private async releaseHold(): Promise<void> {
    await this.restartHold?.release();
  }

  async waitForReplacement(name: string, oldUid: string, timeoutMs: number): Promise<PodInfo> {
    const { core } = this.api;
    const { namespace } = this.sts;
    try {
      const outcome = await waitFor<PodInfo | { blocked: string[] }>(
        `pod ${name} to be recreated (a UID other than ${oldUid}) and running`,
        async () => {
          const pod = await this.readPod(name);
          if (!pod) return { done: false, seen: 'no such pod yet' };
          if (pod.metadata?.uid === oldUid) return { done: false, seen: 'the old pod is still there' };
          if (isPodStarted(pod)) return { done: true, value: toPodInfo(pod, this.sts.name) };
          // A new pod that cannot start (a failed mount, a missing ConfigMap) ends the wait with the kubelet's word.
          const blocked = await blockedPods(core, namespace, [pod]);
          return blocked.length
            ? { done: true, value: { blocked } }
            : { done: false, seen: `new pod ${pod.status?.phase ?? '?'}, not running yet` };
        },
        { timeoutMs, intervalMs: 200, signal: this.ctx.signal },
      );
      // Recreated, but it will never serve: as a local pod whose container exits (pod-recreated fails, not skipped).
      if ('blocked' in outcome)
        throw new PodNotServingError(blockedMessage(`pod ${name} (recreated)`, outcome.blocked));
      const back = outcome;
      // Its forward listens before its address is handed out (a cluster client's natMap cannot wait).
      await this.forwardsReady([back]);
      return back;
    } catch (err) {
      if (err instanceof PodNotServingError) throw err; // it says why already
      // Say why it is stuck (image, scheduling, crash loop) rather than only "not ready".
      const pod = await this.readPod(name).catch(() => undefined);
      if (pod && pod.metadata?.uid !== oldUid) {
        const why = await diagnosePod(core, namespace, pod).catch(() => '');
        if (why && err instanceof Error) err.message += `\n${why}`;
      }
      throw err;
    }
  }

  /**
   * `kubectl rollout restart`: kubectl merge-patches the pod template's `kubectl.kubernetes.io/restartedAt`
   * annotation with the time (RFC 3339); the changed template is a new revision, which the StatefulSet
   * controller rolls out under its updateStrategy (RollingUpdate: highest ordinal first, one at a time, each
   * Running and Ready before the next). Resolves when every pod is a new one (new UID) and ready.
   */
  private async rolloutRestart(timeoutMs: number): Promise<void> {
    const { core, objects } = this.api;
    const { name, namespace } = this.sts;
    const before = new Set((await statefulSetPods(core, this.sts)).map((p) => p.metadata?.uid));
    const body = {
      metadata: { name, namespace },
      spec: {
        template: {
          metadata: {
            annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
          },
        },
      },
    };
    await objects.mergePatch({ apiVersion: 'apps/v1', kind: 'StatefulSet', ...body }).catch((err: unknown) => {
      throw kubeError(`patching StatefulSet ${name}'s pod template (rollout restart)`, err);
    });
    await waitFor(
      `StatefulSet ${name}: every pod replaced (new UID) and ready`,
      async () => {
        const pods = await statefulSetPods(core, this.sts);
        const old = pods.filter((p) => before.has(p.metadata?.uid)).map((p) => p.metadata?.name);
        const done =
          old.length === 0 &&
          pods.length === this.sts.replicas &&
          pods.every((p) => isPodReady(p) && !p.metadata?.deletionTimestamp);
        return done
          ? { done: true, value: undefined }
          : {
              done: false,
              seen: `${old.length} old pod(s) left (${old.join(', ')}), ${pods.filter(isPodReady).length}/${this.sts.replicas} ready`,
            };
      },
      { timeoutMs, intervalMs: 200, signal: this.ctx.signal },
    );
  }

  /**
   * kind: SIGSTOP from the node container to the Redis container's host PID (src/platform/kube/node-freeze.ts; a
   * container's PID 1 ignores SIGSTOP sent from inside its own PID namespace). existing: no node access (the
   * capability says so).
   */
  private async freeze(podName: string): Promise<void> {
    const { node, containerId } = await this.nodeContainer(podName);
    if (!node || !containerId)
      throw new UnsupportedError(
        `freezing pod ${podName}: it has no node or no running container ${this.redis?.container.name ?? ''} in its status`,
      );
    const target = await findNodeProcess(runDocker, podName, node, containerId);
    await signalNodeProcess(runDocker, target, 'STOP');
    this.frozen.set(podName, target);
  }

  /** The pod's node and its Redis container's ID (`<runtime>://<id>`), where its status has them. */
  private async nodeContainer(podName: string): Promise<{ node?: string; containerId?: string }> {
    const pod = await this.readPod(podName);
    const container = this.redis?.container.name;
    const status = pod?.status?.containerStatuses?.find((c) => c.name === container);
    return { node: pod?.spec?.nodeName, containerId: status?.containerID };
  }

  /** SIGCONT to what freeze stopped; nothing when the pod is not frozen. */
  private async resume(podName: string): Promise<void> {
    const target = this.frozen.get(podName);
    if (!target) return;
    await signalNodeProcess(runDocker, target, 'CONT');
    this.frozen.delete(podName);
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

  async manifestJobs(): Promise<ManifestJobStatus[]> {
    if (!this.clients || !this.target) return [];
    const jobs = this.applied.filter((r) => r.kind === 'Job');
    return kubeJobStatuses(
      this.clients.core,
      this.clients.objects,
      this.target.namespace,
      jobs.map((r) => ({ name: this.appliedAs.get(r.name) ?? r.name, applied: r.name })),
    );
  }

  async collectEvidence(sink: EvidenceSink): Promise<void> {
    if (this.clients && this.target) await collectNamespaceEvidence(this.clients.core, this.target.namespace, sink);
    await this.flavor.exportLogs?.(sink);
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
    await attempt('lifting a partition', async () => this.partition?.healAll());
    this.cache?.close();
    await attempt('closing port-forwards', async () => this.forwards?.close());
    if (this.kind === 'kind') {
      // In an action the post step deletes the cluster (or keeps it, uncordoned, when asked to).
      await attempt('deleting the kind cluster', async () => this.flavor.finish?.());
      return;
    }
    const { core, objects } = this.clients;
    const namespace = this.target?.namespace;
    const remove = async (what: string, undoId: string | undefined, fn: () => Promise<unknown>) =>
      attempt(what, async () => {
        await fn().catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
        if (undoId !== undefined) await this.undo.settle(undoId);
      });
    if (namespace && this.namespaceCreated) {
      log.info(`deleting namespace ${namespace} (the API server removes its contents in the background)`);
      await remove(`deleting namespace ${namespace}`, this.namespaceUndo, () =>
        core.deleteNamespace({ name: namespace }),
      );
    } else if (namespace) {
      // A namespace we were given: remove only what this run created there, claims included.
      for (const ref of this.applied.filter((r) => r.namespace && r.created)) {
        await remove(`deleting ${ref.kind} ${ref.name}`, ref.undoId, () =>
          objects.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace } }),
        );
      }
      for (const claim of this.claims) {
        await remove(`deleting claim ${claim.name}`, claim.undoId, () =>
          core.deleteNamespacedPersistentVolumeClaim({ name: claim.name, namespace }),
        );
      }
    }
    for (const ref of this.applied.filter((r) => !r.namespace && r.created)) {
      await remove(`deleting ${ref.kind} ${ref.name}`, ref.undoId, () =>
        objects.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name } }),
      );
    }
  }
}

/** The missing permissions, each as the rule to grant; for the quota hold, the choices besides granting it. */
function accessRefusal(missing: AccessRule[], hold: 'quota' | 'cordon' | undefined): string {
  const quota = missing.some((r) => r.resource === 'resourcequotas');
  return [
    `kubeconfig: its user lacks ${missing.length} permission(s) this run uses; nothing was changed. Missing RBAC rules:`,
    ...rulesText(missing).map((l) => `  - ${l}`),
    ...(quota && hold === 'quota'
      ? [
          'The restart hold (hold-mode quota, the default) creates a ResourceQuota, which the built-in admin and edit roles do not allow (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles: admin "does not allow write access to resource quota"). Choose one:',
          '  - grant the rule above (docs/rbac-existing.yaml has the Role),',
          '  - hold-mode: cordon (cordons every schedulable node while held; needs nodes list and patch at the cluster scope),',
          '  - hold-restart: false (no hold: the deleted pod may come back before the failover is measured).',
        ]
      : ['docs/rbac-existing.yaml lists every rule the run uses.']),
  ].join('\n');
}

const untouched = async (set: ManifestSet) => ({
  bodies: set.objects.map((o) => structuredClone(o.body)),
  rewrites: [],
});

/**
 * A kind cluster created for this run: the pinned kind (checksum-verified), one control-plane and
 * config.workers workers all mounting ctx.workDir/pv (the NFS stand-in), pod CIDRs routed from the runner.
 * The cluster and each route are recorded in the undo journal before they are made (so a half-created cluster
 * is deleted too); teardown deletes them unless the caller retains them (PlatformContext.retain).
 */
export function createKindPlatform(config: KindSettings, ctx: PlatformContext): KubePlatform {
  const hostPvDir = path.join(ctx.workDir, 'pv');
  const journal = ctx.undo ?? noUndoJournal;
  const kubeconfigFile = path.join(ctx.workDir, 'kubeconfig');
  /** What this run made, in order, with its journal id and its undo. */
  const made: Array<{ id: string; undo: () => Promise<unknown> }> = [];
  let kindPath = '';
  const recordThen = async <S extends UndoStep>(step: S, undo: (s: S) => Promise<unknown>): Promise<void> => {
    made.push({ id: await journal.record(step), undo: () => undo(step) });
  };
  const flavor: Flavor = {
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
  return new Kube(flavor, config, ctx, randomBytes(3).toString('hex'));
}

/** The kubeconfig file client-node loads when none is given (the first of KUBECONFIG, else ~/.kube/config). */
function defaultKubeconfigFile(): string {
  const first = process.env.KUBECONFIG?.split(path.delimiter).find(Boolean);
  return first ?? path.join(os.homedir(), '.kube', 'config');
}

/**
 * A cluster the user already has (kubeconfig input, else KUBECONFIG / ~/.kube/config): everything goes into a
 * namespace of the run's own (generated unless given) and is removed in teardown; pods are reached through
 * port-forwards. Manifests are applied as written (real NFS stays NFS) except that cluster-scoped objects get
 * per-run names and volumes are pre-bound to the run's claims (see isolateRun); nothing that exists and is not
 * the run's is taken over, and every object is recorded in the undo journal before it is created.
 */
export function createExistingPlatform(config: ExistingSettings, ctx: PlatformContext): KubePlatform {
  const runId = randomBytes(3).toString('hex');
  const namespace = config.namespace ?? `redis-resilience-${runId}`;
  let context: string | undefined;
  let kubeconfigFile = '';
  const flavor: Flavor = {
    kind: 'existing',
    shared: true,
    async connect() {
      const given = config.kubeconfig ? await kubeconfigInput(config.kubeconfig, ctx.workDir) : undefined;
      const kc = loadKubeConfig(given?.file, { name: given?.name, secret: ctx.log.secret });
      kubeconfigFile = path.resolve(given?.file ?? defaultKubeconfigFile());
      context = kc.getCurrentContext() || undefined;
      return kubeClients(kc);
    },
    target: () => ({ kubeconfig: kubeconfigFile, ...(context ? { context } : {}) }),
    namespace: () => namespace,
    prepare: untouched,
  };
  return new Kube(flavor, config, ctx, runId);
}
