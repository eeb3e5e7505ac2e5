import type { Thresholds } from './thresholds.ts';

/** What the run's config says to every scenario; each takes what applies to it. */
export interface ScenarioSettings {
  /** A pod to act on (each scenario says what it accepts); default: the one at slot 0. */
  victim?: string;
  /** cluster-restart: a pod left running while every other one is deleted; default: none. */
  restartSpare?: string;
  holdRestart: boolean;
  killMode: 'graceful' | 'kill';
  /** Writes per second; 0 turns the writer off. */
  writeRate: number;
  writeWait: boolean;
  failoverTimeoutMs: number;
  /** What Redis may need to fail over with the manifests' node timeout (redis/failover-timing.ts). */
  failoverFloorMs?: number;
  rejoinTimeoutMs: number;
  /** master-partition: how long the master stays cut off; default: the failover floor plus 5 s. */
  partitionMs?: number;
  /** node-loss: restart (the node comes back) or delete (its pods are recreated elsewhere). */
  nodeLossMode?: 'restart' | 'delete';
  thresholds: Thresholds;
  expected: { nodes: number; masters: number };
}
