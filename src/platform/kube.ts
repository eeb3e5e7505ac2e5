import { randomBytes } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import type { ManifestSet, RedisDeployment } from '../manifests/model.ts';
import type { EvidenceSink } from './evidence-sink.ts';
import { KIND_PV_MOUNT } from './kind-config.ts';
import { checkAccess, checkSharedNamespace } from './kube/access-check.ts';
import type { KubeClients } from './kube/api.ts';
import { placeInTemplate } from './kube/pod-refusal.ts';
import { nodeZones, readPod, statefulSetPods, toPodInfo, type StatefulSetTarget } from './kube/pods.ts';
import { PodReach } from './kube/pod-reach.ts';
import { readStandInFile } from './kube/pv-files.ts';
import { waitForRollout } from './kube/rollout.ts';
import { waitForReplacement } from './kube/replacement.ts';
import { RunObjects } from './kube/run-objects.ts';
import { removeRunObjects, teardownAttempt } from './kube/teardown.ts';
import { collectNamespaceEvidence } from './kube/evidence.ts';
import { kubeJobStatuses } from './kube/jobs.ts';
import type { ReachMode } from './kube/preflight.ts';
import type { Flavor } from './kube/flavor.ts';
import { kindFlavor } from './kube/kind-flavor.ts';
import { existingFlavor } from './kube/existing-flavor.ts';
import type { ExistingSettings, KindSettings, KubeSettings } from './kube/settings.ts';
import { runDocker } from './kube/node-freeze.ts';
import { kubePodDelete } from './kube/faults/pod-delete.ts';
import { kindFreeze } from './kube/faults/freeze.ts';
import { kubeRollingRestart } from './kube/faults/rolling-restart.ts';
import { kubeRolloutFault } from './kube/faults/rollout.ts';
import { kindPartition } from './kube/faults/partition.ts';
import { kindNodeLoss } from './kube/faults/node-loss.ts';
import type { PlatformFaults } from './faults.ts';
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
import { noUndoJournal, type UndoJournal } from './undo.ts';

export type { ExistingSettings, KindSettings, KubeSettings } from './kube/settings.ts';

export type KubePlatform = Platform & { hold?: HoldReport; notes: string[] };

/**
 * The Kubernetes platform shared by kind and existing clusters: server-side apply, rollout with diagnosis,
 * pods, delete with a cordon hold, pod files through the NFS stand-in, and a teardown that never throws. What
 * each part does is in its own module under kube/ (the faults under kube/faults/); this class wires them.
 */
class Kube implements KubePlatform {
  readonly kind: 'kind' | 'existing';
  notes: string[] = [];
  private clients?: KubeClients;
  private target?: StatefulSetTarget;
  private redis?: RedisDeployment;
  /** The manifests last applied (deploy, or a rollout's apply). */
  private deployedSet?: ManifestSet;
  private tornDown = false;
  private readonly undo: UndoJournal;
  /** What this run applied and created in the cluster, for teardown. */
  private readonly created: RunObjects;
  private readonly podReach: PodReach;
  private readonly podDelete: ReturnType<typeof kubePodDelete>;
  private madeFaults?: PlatformFaults;
  /** kind: the partition fault, whose cuts teardown lifts. */
  private partition?: ReturnType<typeof kindPartition>;

  constructor(
    private readonly flavor: Flavor,
    private readonly settings: KubeSettings,
    private readonly ctx: PlatformContext,
    /** Labels this run's objects on a shared cluster; also the suffix of its cluster-scoped names. */
    runId: string,
  ) {
    this.kind = flavor.kind;
    this.undo = ctx.undo ?? noUndoJournal;
    const { log, signal } = ctx;
    this.created = new RunObjects({ clients: () => this.api, flavor, runId, undo: this.undo, log, notes: this.notes });
    this.podReach = new PodReach(flavor.kind === 'kind' ? 'routed' : 'port-forward', {
      clients: () => this.api,
      statefulSet: () => this.sts,
      port: () => this.redis?.port,
      readPod: (name) => this.readPod(name),
      log,
      ...(ctx.auth ? { auth: ctx.auth } : {}),
    });
    this.podDelete = kubePodDelete({
      core: () => this.api.core,
      objects: () => this.api.objects,
      statefulSet: () => this.sts,
      readPod: (name) => this.readPod(name),
      holdMode: settings.holdMode,
      refuseOtherWorkloads: settings.namespace !== undefined && !settings.quotaHoldShared,
      runId,
      target: () => flavor.target(),
      undo: this.undo,
      log,
      signal,
    });
  }

  /** kind starts routed and falls back to port-forward when the preflight cannot reach a pod IP. */
  get reachMode(): ReachMode {
    return this.podReach.mode;
  }

  /** kind: the node containers and the pods' network namespaces are this run's to change (kube/faults/); an
   * existing cluster's nodes are not. */
  get faults(): PlatformFaults {
    const { log, signal } = this.ctx;
    const onKind = this.flavor.kind === 'kind';
    this.madeFaults ??= {
      podDelete: this.podDelete,
      freeze: onKind
        ? kindFreeze({ locate: (pod) => this.nodeContainer(pod), container: () => this.redis?.container.name })
        : {
            unsupported: `freezing a pod needs the node's container runtime (the host PID of its container; SIGSTOP from inside the container does not stop PID 1), which the ${this.kind} platform does not drive`,
          },
      rollingRestart: kubeRollingRestart({
        core: () => this.api.core,
        objects: () => this.api.objects,
        statefulSet: () => this.sts,
        signal,
      }),
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
        log,
        ...(signal ? { signal } : {}),
      }),
      partition: onKind
        ? (this.partition = kindPartition({ locate: (pod) => this.nodeContainer(pod), undo: this.undo }))
        : {
            unsupported:
              "a partition needs packet filter rules in the pod's network namespace, reached from its node, which the existing platform does not drive (no node access)",
          },
      nodeLoss: onKind
        ? kindNodeLoss({
            run: runDocker,
            core: () => this.api.core,
            undo: this.undo,
            log,
            ...(signal ? { signal } : {}),
          })
        : {
            unsupported:
              "losing a node of an existing cluster would stop others' workloads: only kind's nodes are the run's own",
          },
    };
    return this.madeFaults;
  }

  get hold(): HoldReport | undefined {
    return this.podDelete.holdReport;
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

  async deploy(set: ManifestSet, redis: RedisDeployment): Promise<Deployed> {
    const { core } = this.api;
    const namespace = this.flavor.namespace(redis);
    this.redis = redis;
    this.target = { namespace, name: redis.name, podLabels: redis.podLabels, replicas: redis.replicas };
    if (this.flavor.shared) {
      const checks = { clients: this.api, settings: this.settings, log: this.ctx.log, signal: this.ctx.signal };
      await checkAccess(checks, set, redis, namespace);
      await checkSharedNamespace(checks, namespace, this.sts.name);
    }
    await this.created.ensureNamespace(namespace);
    const prepared = await this.applySet(set, redis, namespace);
    await waitForRollout(core, this.target, {
      timeoutMs: this.settings.rolloutTimeoutMs,
      log: this.ctx.log,
      signal: this.ctx.signal,
    }).catch((err: unknown) => {
      const sts = set.objects.find((o) => o.kind === 'StatefulSet' && o.name === redis.name);
      throw err instanceof Error ? placeInTemplate(err, sts) : err;
    });
    await this.podReach.preflight(redis.port, () => this.listPods());
    return { nfsRewrites: prepared.rewrites };
  }

  /** deploy() and the rollout's apply: the manifests applied (kube/run-objects.ts), no wait. */
  private applySet(set: ManifestSet, redis: RedisDeployment, namespace: string) {
    this.deployedSet = set;
    return this.created.applySet(set, redis, namespace);
  }

  async listPods(): Promise<PodInfo[]> {
    // Zones from the Node labels on kind only: on an existing cluster the run asks for no rights on Nodes.
    const [raw, zones] = await Promise.all([
      statefulSetPods(this.api.core, this.sts),
      this.kind === 'kind' ? nodeZones(this.api.core) : undefined,
    ]);
    const pods = raw.map((p) => toPodInfo(p, this.sts.name, zones));
    await this.podReach.forwardsReady(pods);
    return pods;
  }

  reach(announced: HostPort): Promise<Target> {
    return this.podReach.reach(announced);
  }

  reachNow(announced: HostPort): Target | undefined {
    return this.podReach.reachNow(announced);
  }

  /** The pod, or undefined when there is none by that name. */
  private readPod(name: string): Promise<V1Pod | undefined> {
    return readPod(this.api.core, this.sts.namespace, name);
  }

  /** The pod's node and its Redis container's ID (`<runtime>://<id>`), where its status has them. */
  private async nodeContainer(podName: string): Promise<{ node?: string; containerId?: string }> {
    const pod = await this.readPod(podName);
    const container = this.redis?.container.name;
    const status = pod?.status?.containerStatuses?.find((c) => c.name === container);
    return { node: pod?.spec?.nodeName, containerId: status?.containerID };
  }

  async waitForReplacement(name: string, oldUid: string, timeoutMs: number): Promise<PodInfo> {
    return waitForReplacement(
      {
        core: this.api.core,
        statefulSet: this.sts,
        readPod: (pod) => this.readPod(pod),
        forwardsReady: (pods) => this.podReach.forwardsReady(pods),
        signal: this.ctx.signal,
      },
      name,
      oldUid,
      timeoutMs,
    );
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
    return kubeJobStatuses(this.clients.core, this.clients.objects, this.target.namespace, this.created.jobs());
  }

  async collectEvidence(sink: EvidenceSink): Promise<void> {
    if (this.clients && this.target) await collectNamespaceEvidence(this.clients.core, this.target.namespace, sink);
    await this.flavor.exportLogs?.(sink);
  }

  async teardown(): Promise<void> {
    if (this.tornDown || !this.clients) return;
    this.tornDown = true;
    const { log } = this.ctx;
    const attempt = teardownAttempt(log);
    await attempt('releasing the hold', () => this.podDelete.releaseHold());
    await attempt('lifting a partition', async () => this.partition?.healAll());
    this.podReach.stopWatch();
    await attempt('closing port-forwards', () => this.podReach.closeForwards());
    if (this.kind === 'kind') {
      // In an action the post step deletes the cluster (or keeps it, uncordoned, when asked to).
      await attempt('deleting the kind cluster', async () => this.flavor.finish?.());
      return;
    }
    await removeRunObjects(this.clients, this.target?.namespace, this.created, { undo: this.undo, log, attempt });
  }
}

/**
 * A kind cluster created for this run: the pinned kind (checksum-verified), one control-plane and
 * config.workers workers all mounting ctx.workDir/pv (the NFS stand-in), pod CIDRs routed from the runner.
 * The cluster and each route are recorded in the undo journal before they are made (so a half-created cluster
 * is deleted too); teardown deletes them unless the caller retains them (PlatformContext.retain).
 */
export function createKindPlatform(config: KindSettings, ctx: PlatformContext): KubePlatform {
  return new Kube(kindFlavor(config, ctx), config, ctx, randomBytes(3).toString('hex'));
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
  return new Kube(existingFlavor(config, ctx, runId), config, ctx, runId);
}
