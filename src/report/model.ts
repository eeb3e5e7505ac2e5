import type { Located } from '../manifests/model.ts';

/** Bump on any change that breaks readers of report.json. */
export const REPORT_SCHEMA_VERSION = 1;

/** cancelled: SIGINT/SIGTERM (a cancelled or timed-out job) stopped the run; `error` says by what and where. */
export type Verdict = 'pass' | 'fail' | 'error' | 'cancelled';
export type CheckStatus = 'pass' | 'fail' | 'skipped';

export type CheckId =
  | 'replica-promoted'
  | 'pod-recreated'
  | 'node-id-kept'
  | 'rejoined-as-replica'
  | 'cluster-healthy'
  | 'data-intact'
  | 'max-failover-ms'
  | 'max-unavailable-ms'
  | 'max-lost-writes'
  // replica-loss
  | 'writes-never-refused'
  | 'replica-resynced'
  // rolling-restart
  | 'pods-replaced'
  | 'slot-coverage-kept'
  | 'failovers-safe'
  // master-pause
  | 'stepped-down'
  | 'writer-kept-writing'
  // cluster-restart
  | 'all-pods-recreated'
  | 'node-ids-kept'
  | 'cluster-reformed';

export interface Check {
  id: CheckId;
  status: CheckStatus;
  /** One sentence: what was found (or, when skipped, why the check was not run). */
  summary: string;
  /** Facts behind the verdict: CLUSTER NODES lines, nodes.conf `myself` lines, UIDs, addresses, counts. */
  evidence: Record<string, unknown>;
}

export type TimelineEvent =
  | 'writer-started'
  | 'pod-deleted'
  | 'pod-gone'
  | 'first-write-failed'
  | 'pfail-seen'
  | 'fail-seen'
  | 'replica-promoted'
  | 'cluster-ok'
  | 'writes-recovered'
  | 'hold-released'
  | 'resynced'
  | 'pod-frozen'
  | 'pod-resumed'
  | 'stepped-down'
  | 'restart-started'
  | 'restart-done'
  | 'pod-back'
  | 'redis-up'
  | 'rejoined'
  | 'cluster-healthy'
  | 'all-pods-back'
  | 'cluster-reformed';

export interface TimelineEntry {
  event: TimelineEvent;
  /** Milliseconds after the pod was deleted (negative before). */
  atMs: number;
  detail?: string;
}

export interface NodeView {
  nodeId: string;
  pod?: string;
  address: string;
  role: 'master' | 'replica';
  masterId?: string;
  /** Slot ranges, e.g. "0-5460". */
  slots: string[];
  flags: string[];
}

export interface Topology {
  nodes: NodeView[];
  /** Raw CLUSTER NODES from one healthy node, for the record. */
  clusterNodes?: string;
}

export interface WriteStats {
  mode: 'plain' | 'wait';
  ratePerSecond: number;
  /** Writes sent. */
  attempted: number;
  /**
   * Writes the schedule called for but never sent: the bound on writes in flight was reached (writes were
   * hanging), so fewer than `ratePerSecond` went out. Not part of `attempted`.
   */
  skipped: number;
  acknowledged: number;
  failed: number;
  lost: number;
  /**
   * The longest stretch with no acknowledged write in which writes were refused, timed out or skipped (WAIT
   * mode: not confirmed by a replica), from the first such write to the next acknowledgement; 0 when none was.
   */
  unavailableMs: number;
  /** A few of the lost keys, for the report. */
  lostKeys: string[];
  firstErrors: string[];
}

export type FailoverPath = 'failover' | 'restarted-before-failover' | 'no-failover';

export const SCENARIO_NAMES = ['master-failover', 'replica-loss', 'rolling-restart', 'master-pause', 'cluster-restart'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** rolling-restart: what happened to one pod as the StatefulSet replaced it. */
export interface PodRestart {
  pod: string;
  ordinal: number;
  nodeId: string;
  uidBefore: string;
  uidAfter?: string;
  roleBefore: 'master' | 'replica';
  roleAfter?: 'master' | 'replica';
  /** Its deletion to the replacement ready (as the platform's readiness says). */
  restartMs?: number;
  /** A replica was promoted in its place while it was away (it was a master). */
  failover: boolean;
  /** Reported ready while its replication link was not up (or behind its master): the readiness probe lies. */
  unsyncedReadyMs?: number;
  nodeIdKept?: boolean;
}

/** Writes into one shard's slots (a writer per shard). */
export interface ShardWrites {
  /** The shard's slot ranges, as before the scenario. */
  slots: string[];
  masterPod?: string;
  writes: WriteStats;
}

/** master-pause: acknowledged writes the frozen master took and the cluster then dropped. */
export interface PauseLoss {
  /** How many, and a sample with when (ms after the freeze) and by whom they were acknowledged. */
  lost: number;
  sample: Array<{ key: string; ackAtMs: number; by: string }>;
  /** The resumed master's last acknowledgement, ms after the freeze. */
  lastAckByOldMasterMs?: number;
  /** What the reader found independently of the writer's bookkeeping (keys missing on a fresh read-back). */
  readBackMissing: number;
}

export interface ScenarioResult {
  name: ScenarioName;
  /** skipped: the platform cannot do this scenario (`error` says why). */
  status: 'pass' | 'fail' | 'cancelled' | 'skipped';
  /** master-failover, master-pause: whether a replica took over. Absent where the scenario has no such path. */
  path?: FailoverPath;
  holdRestart: boolean;
  /** The pod the fault hit; absent for scenarios that hit every pod (rolling-restart). */
  victim?: { pod: string; nodeId: string; uid: string; ip: string; slots: string[]; replicas: string[] };
  /** rolling-restart: every pod in the order it was replaced. */
  pods?: PodRestart[];
  /** Replicas promoted during the scenario. */
  failovers?: number;
  /** Per-shard writes (rolling-restart: a writer per shard). */
  shards?: ShardWrites[];
  /** master-pause: the acknowledged writes lost in the pause window. */
  pauseLoss?: PauseLoss;
  /** What the reader of the report must know to judge the result (how a budget was applied, a risk seen). */
  notes?: string[];
  /** When the scenario started (ISO 8601); absent in reports written before it was recorded. */
  startedAt?: string;
  /** Start to end of the scenario, error path included. */
  durationMs?: number;
  checks: Check[];
  timeline: TimelineEntry[];
  timings: {
    /** Pod deleted to a replica owning the slots. */
    failoverMs?: number;
    /** Pod deleted to cluster_state:ok everywhere after promotion. */
    clusterOkMs?: number;
    /** Hold released to the old pod rejoined as a replica. */
    rejoinMs?: number;
    /** cluster-restart: every pod deleted to every pod back and answering PING (the floor of a re-form). */
    allPodsBackMs?: number;
    /** cluster-restart: every pod deleted to the cluster re-formed as it was. */
    reformMs?: number;
  };
  writes?: WriteStats;
  topologyBefore: Topology;
  topologyAfter?: Topology;
  /** Set when the scenario could not finish; checks that did not run are 'skipped' with the reason. */
  error?: string;
}

export type Severity = 'error' | 'warning' | 'info';

export interface LintFinding {
  rule: string;
  severity: Severity;
  message: string;
  /** Why it matters for a Redis Cluster and how to fix it. */
  fix: string;
  at?: Located;
}

export interface NfsRewrite {
  persistentVolume: string;
  from: string;
  to: string;
}

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

export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'redis-cluster-resilience'; version: string };
  verdict: Verdict;
  startedAt: string;
  durationMs: number;
  platform: string;
  /** Kubernetes: how this process reached the pods (pod IPs through routes, or port-forwards through the API
   * server, chosen by the reach preflight after deployment). Absent on the local platform and before deployment. */
  reach?: 'routed' | 'port-forward';
  /** Platform local: whether the pods ran as sandboxes (their own scripts and init containers) or directly. */
  localMode?: 'sandbox' | 'direct';
  manifests: string;
  /** The server the pods ran, from their INFO server (e.g. Valkey 8.0.1); several versions joined by ", ". */
  server?: { name: string; version: string };
  /** The config the run used (no secrets). */
  config: Record<string, unknown>;
  lint: LintFinding[];
  nfsRewrites: NfsRewrite[];
  /** Kubernetes platforms: the restart hold as it was taken. */
  hold?: HoldReport;
  /** Kubernetes platforms: what the run left where (e.g. Retain volumes' data on the NFS server). */
  notes?: string[];
  bootstrap?: { changed: boolean; durationMs: number; masters: number; replicasPerMaster: number };
  scenarios: ScenarioResult[];
  /** Set when the run stopped before or outside a scenario (bad manifests, deploy failure). */
  error?: string;
  /** After a failure or error: the evidence files written (paths relative to the report dir; a folder ends in /). */
  evidence?: string[];
}
