import type { LintFinding } from '../manifests/lint/rule.ts';
import type { NfsRewrite } from '../manifests/nfs-standin.ts';
import type { HoldReport } from '../platform/platform.ts';
import type { Check, ScenarioResult } from '../scenarios/model.ts';
import type { Comparison } from './comparison.ts';

// The report composes what the layers below produce; their types are re-exported for report/'s own consumers.
export type { LintFinding, Severity } from '../manifests/lint/rule.ts';
export type { NfsRewrite } from '../manifests/nfs-standin.ts';
export type { HoldReport } from '../platform/platform.ts';
export type { NodeView, Topology } from '../redis/types.ts';
export {
  SCENARIO_NAMES,
  type Check,
  type CheckId,
  type CheckStatus,
  type FailoverPath,
  type PauseLoss,
  type PodRestart,
  type ScenarioName,
  type ScenarioResult,
  type ShardWrites,
  type TimelineEntry,
  type TimelineEvent,
  type WriteStats,
} from '../scenarios/model.ts';

/** Bump on any change that breaks readers of report.json. */
export const REPORT_SCHEMA_VERSION = 1;

/** cancelled: SIGINT/SIGTERM (a cancelled or timed-out job) stopped the run; `error` says by what and where. */
export type Verdict = 'pass' | 'fail' | 'error' | 'cancelled';

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
  bootstrap?: {
    changed: boolean;
    durationMs: number;
    masters: number;
    replicasPerMaster: number;
    /** Who formed the cluster: "by the tool", or "by the manifests (Job x)" (manifests/self-bootstrap.ts). */
    source?: string;
    /** Shards the plan could not keep off one node (the pods' placement allowed no better), one line each. */
    exposed?: string[];
    /** The placement check on the cluster the bootstrap formed (absent with placement: off). */
    placement?: Check;
  };
  scenarios: ScenarioResult[];
  /** Set when the run stopped before or outside a scenario (bad manifests, deploy failure). */
  error?: string;
  /** Where in the manifests `error` points, when it points somewhere (a field the API server refused). */
  errorAt?: { file: string; line: number; column: number };
  /** With base-manifests: the same scenarios run on the base manifests, their figures beside the head's. */
  comparison?: Comparison;
  /** After a failure or error: the evidence files written (paths relative to the report dir; a folder ends in /). */
  evidence?: string[];
}
