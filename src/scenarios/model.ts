import type { Topology } from '../redis/types.ts';
import type { HistoryVerdict } from './history/check.ts';
import type { DeploymentChanges } from '../manifests/rollout-changes.ts';
import type { AppliedUpdate } from '../platform/faults.ts';

/** What a scenario produces: its checks, its timeline and its result (report/ renders them). */

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
  | 'cluster-reformed'
  // master-partition
  | 'minority-stopped-writes'
  // after the bootstrap and every scenario
  | 'placement'
  // node-loss
  | 'shards-failed-over'
  | 'pods-not-replaced'
  // rollout
  | 'apply-accepted'
  | 'pods-on-head-revision'
  // base-versus-head comparison
  | 'failover-regression'
  | 'unavailable-regression';

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
  | 'cluster-reformed'
  | 'partition-cut'
  | 'minority-refused'
  | 'partition-healed'
  // the history checker: the first lost value's acknowledgement, the first stale or divergent read's start
  | 'lost-write-acked'
  | 'stale-read'
  | 'divergent-read'
  | 'node-lost'
  | 'node-back'
  | 'head-applied'
  | 'mixed-versions-start'
  | 'mixed-versions-end';

export interface TimelineEntry {
  event: TimelineEvent;
  /** Milliseconds after the pod was deleted (negative before). */
  atMs: number;
  detail?: string;
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
  /** A few of the lost writes, for the report: `<key> value <value>`. */
  lostKeys: string[];
  firstErrors: string[];
  /**
   * The checker's verdict on every operation of the writer (its writes, its periodic reads and the final
   * read): each value classified as Jepsen's set-full checker does, list anomalies, examples with their
   * operations (times in ms from the fault). Absent in reports written before the history was recorded.
   */
  history?: HistoryVerdict;
}

export type FailoverPath = 'failover' | 'restarted-before-failover' | 'no-failover';

export const SCENARIO_NAMES = [
  'master-failover',
  'replica-loss',
  'rolling-restart',
  'master-pause',
  'cluster-restart',
  'master-partition',
  'node-loss',
  'rollout',
] as const;
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
  /** How many (the history checker's lost), and a sample with when (ms after the freeze) and by whom they were acknowledged. */
  lost: number;
  /** key: the stale client's list; value: the value lost from it (absent in reports before the history). */
  sample: Array<{ key: string; value?: number; ackAtMs: number; by: string }>;
  /** The resumed master's last acknowledgement, ms after the freeze. */
  lastAckByOldMasterMs?: number;
  /** What the final read alone shows, independently of the checker (acknowledged values missing from it). */
  readBackMissing: number;
  /** The checker's verdict on the stale client's history (absent in reports written before it was recorded). */
  history?: HistoryVerdict;
}

/** master-partition: what the cut-off master did with the writes of the client on its side. */
export interface PartitionLoss {
  /** How the cut was made (the chain and where), for the report. */
  cut: string;
  /** The cut to the heal. */
  partitionMs: number;
  /** The settings that bound the window, as the cut-off master ran with them. */
  nodeTimeoutMs: number;
  minReplicasToWrite?: number;
  minReplicasMaxLagS?: number;
  /** The writes of the client on the cut-off master's side. */
  minority: WriteStats;
  /** Acknowledged by the cut-off master during the partition, then gone: how many, and a sample. */
  lost: number;
  /** Values whose writes were not acknowledged (WAIT unconfirmed, a timeout) that reads on the minority side saw,
   * then gone: lost as Jepsen's set-full checker counts, but never taken as written by the client. */
  seenThenLost: number;
  sample: Array<{ key: string; ackAtMs: number }>;
  /** First and last acknowledgement of a lost write, ms after the cut. */
  lostWindow?: { firstAckMs: number; lastAckMs: number };
  /** The last write the minority side acknowledged during the partition, ms after the cut. */
  lastMinorityAckMs?: number;
  /** The first write the cut-off master refused (CLUSTERDOWN, NOREPLICAS), ms after the cut, and its words. */
  refusedAtMs?: number;
  refusal?: string;
}

/** rollout: the head manifests applied over the running base deployment, and what followed. */
export interface RolloutReport {
  /** What the pull request changed that matters to the running cluster. */
  changes: DeploymentChanges;
  /** The StatefulSet after the apply; absent when the apply was refused or not reached. */
  update?: AppliedUpdate;
  /** The API server refused the head manifests: the pull request would not deploy. */
  refused?: { object: string; field: string; message: string };
  /** The pod template did not change: no pod was restarted (the running servers keep their config). */
  restartsNoPod: boolean;
  /** OnDelete: the scenario deleted the pods itself, in the controller's order. */
  deletedByScenario: boolean;
  /** Per pod: the revision and the server version before and after. */
  pods: Array<{
    pod: string;
    revisionBefore?: string;
    revisionAfter?: string;
    versionBefore?: string;
    versionAfter?: string;
  }>;
  /** Server versions that answered side by side during the rollout, and for how long (ms after the apply). */
  mixedVersions?: { versions: string[]; fromMs: number; toMs?: number; durationMs?: number };
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
  /** master-partition: the minority side's acknowledged writes, and which were lost. */
  partitionLoss?: PartitionLoss;
  /** rollout: what the apply changed and did. */
  rollout?: RolloutReport;
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
