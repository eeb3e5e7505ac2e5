import type { ManifestSet, RedisDeployment } from '../manifests/model.ts';
import type { NfsRewrite } from '../manifests/nfs-standin.ts';
import type { EvidenceSink } from './evidence-sink.ts';
import type { Log } from '../util/log.ts';
import type { UndoJournal } from './undo.ts';
import type { PlatformFaults } from './faults.ts';

/** How the deleted pod's restart was held on Kubernetes, and whether it held. */
export interface HoldReport {
  /** quota: a ResourceQuota in the run's namespace (no node touched); cordon: the nodes were cordoned (opt-in). */
  mode: 'quota' | 'cordon';
  /** How long the hold was in force. */
  heldMs: number;
  /** How long taking the hold took, before the delete request (inside the measured failover window). */
  setupMs?: number;
  /** Whether the replacement pod stayed away while held; undefined when that could not be checked. */
  replacementHeld?: boolean;
  detail: string;
}

/** A pod as the core sees it. On the local platform a pod is a redis-server process on its own loopback IP. */
export interface PodInfo {
  name: string;
  /** Changes every time the pod is recreated: a new UID proves the fault really happened. */
  uid: string;
  /** The pod IP (what Redis announces). Empty while the pod has none. */
  ip: string;
  /** Kubernetes node the pod runs on (local: its emulated node, src/platform/local/nodes.ts); empty while Pending. */
  node: string;
  /** The node's `topology.kubernetes.io/zone` label, where it has one. */
  zone?: string;
  ready: boolean;
  /** StatefulSet ordinal. */
  ordinal: number;
}

export interface HostPort {
  host: string;
  port: number;
}

/** How the tool logs in to every Redis node it talks to. */
export interface RedisAuth {
  /** ACL user (masteruser); undefined: the default user. */
  username?: string;
  password: string;
  /** Where the password was found, for errors: never the password itself. */
  source: string;
}

/** Where and how this process connects to a node: the address to dial and the credentials to log in with. */
export interface Target extends HostPort {
  auth?: RedisAuth;
}

/** What deploy() changed in the manifests on their way to the pods, for the report. */
export interface Deployed {
  /** kind: the NFS PersistentVolumes pointed at the stand-in; empty elsewhere. */
  nfsRewrites: NfsRewrite[];
}

/** A Job or bare Pod of the manifests (one that forms the cluster, say) as the platform ran it. */
export interface ManifestJobStatus {
  /** "Job redis-cluster-create". */
  name: string;
  state: 'running' | 'succeeded' | 'failed' | 'not-run';
  /** Where it is: "BackoffLimitExceeded: 2 failed pod(s) ...", "pod x container y running". */
  detail: string;
  /** The last lines of its (last) pod's log, headed by the container's name. */
  lastLog: string;
}

/**
 * The seam between the platform-independent core (bootstrap, scenarios, report) and whatever runs the pods.
 * Every wait inside a platform is bounded and throws TimeoutError naming what it waited for.
 */
export interface Platform {
  readonly kind: 'local' | 'kind' | 'existing';
  /** Kubernetes: how reach() gets to the pods, settled by the preflight at the end of deploy(). */
  readonly reachMode?: 'routed' | 'port-forward';
  /** Create what the pods run on (kind: the cluster). Idempotent. */
  provision(): Promise<void>;
  /** Apply the manifests and wait until every pod of the Redis StatefulSet is running and ready. */
  deploy(manifests: ManifestSet, redis: RedisDeployment): Promise<Deployed>;
  /** The Redis StatefulSet's pods, by ordinal. */
  listPods(): Promise<PodInfo[]>;
  /**
   * Where this process connects to reach an address a Redis node announces (pod IP and port). Identity on
   * local and kind (routed); a local port-forward on an existing cluster. Used for direct connections and as
   * ioredis' natMap for cluster clients.
   */
  reach(announced: HostPort): Promise<Target>;
  /** reach() without waiting, where the platform already knows the answer (ioredis' natMap is synchronous): an
   * existing cluster's forward for a pod recreated on a new IP. Absent, or undefined, where reach() is the identity. */
  reachNow?(announced: HostPort): Target | undefined;
  /** Wait until pod `name` exists with a UID other than `oldUid`, has its IP and has started (Kubernetes: phase
   * Running; its readiness probe may not have passed yet: the caller probes Redis itself). */
  waitForReplacement(name: string, oldUid: string, timeoutMs: number): Promise<PodInfo>;
  /**
   * Read a file at an in-container path of a pod from its PersistentVolume, where the platform can see it
   * (local: always; kind: through the NFS stand-in). undefined when it cannot be read from outside the pod.
   */
  readPersistentFile(podName: string, containerPath: string): Promise<string | undefined>;
  /**
   * After a failure, before teardown: what the platform can tell about the pods into `sink` (every container's
   * or incarnation's log, events, pod and claim status). Best effort: writes what it cannot read as such.
   */
  collectEvidence?(sink: EvidenceSink): Promise<void>;
  /** The manifests' Jobs and bare Pods as they ran (local: run by the platform, see local/jobs.ts). */
  manifestJobs?(): Promise<ManifestJobStatus[]>;
  /** Remove everything this run created (processes, clusters, namespaces), releasing any hold first. Never throws;
   * safe to call twice; runs to the end after a cancel (it is the cancel's cleanup). */
  teardown(): Promise<void>;
  /** The faults it can inject (src/platform/faults.ts): the only way scenarios change the pods. */
  readonly faults: PlatformFaults;
}

export interface PlatformContext {
  log: Log;
  /** Directory for the platform's own state (local: pod directories and PVs; kind: the NFS stand-in). */
  workDir: string;
  /** What teardown does with what provision() created (the kind cluster, its routes), decided by the caller:
   * undefined deletes it; 'defer' leaves it, unsettled in the undo journal, for the caller to undo later (the
   * action's post step); 'keep' leaves it and settles it (keep-cluster: the user owns it now). */
  retain?: 'defer' | 'keep';
  /** Aborted on SIGINT/SIGTERM (a cancelled or timed-out job): every wait and API call of the platform honours it,
   * except the undo of a hold, which must run even after the abort. */
  signal?: AbortSignal;
  /** The password (and ACL user) of the deployment's Redis: every connection the tool opens logs in with it
   * (reach hands it out with the address). */
  auth?: RedisAuth;
  /** Where the platform records how to undo each change before making it (see undo.ts). */
  undo?: UndoJournal;
}
