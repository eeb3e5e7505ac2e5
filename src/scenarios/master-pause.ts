import type { Redis } from 'ioredis';
import { required } from '../platform/faults.ts';
import type { Check, PauseLoss, ScenarioResult } from './model.ts';
import type { ClusterNode } from '../redis/types.ts';
import { formatAddress, openNode } from '../redis/connect.ts';
import { formatSlots } from '../redis/cluster-nodes.ts';
import { sleep } from '../util/wait.ts';
import { settleWatch, waitForFollower, watchFailover, type WatchFacts } from './failover-watch.ts';
import { clusterHealthy, dataIntact, promotionCheck } from './failover-checks.ts';
import { thresholdChecks } from './thresholds.ts';
import { driveSteps, type ScenarioEnv, type Step } from './driver.ts';
import { myIdOf } from './cluster-view.ts';
import { nodeServing, openClusterClient } from './cluster-client.ts';
import { HistoryRecorder } from './history/model.ts';
import { checkHistory } from './history/check.ts';
import { finalRead, recordWrite } from './history/record.ts';
import { hashTagIn, slotOf } from './keyslot.ts';
import { snapshotMaster, type MasterTarget } from './victim.ts';
import { canariesStep, preconditionsStep, shardPods, victimLoad, writerStep } from './setup-steps.ts';
import { endSteps, type EndFacts } from './final-steps.ts';
import type { ScenarioSettings } from './settings.ts';
import { scenarioResult } from './result.ts';

export interface PauseFacts extends MasterTarget, WatchFacts, EndFacts {
  /**
   * The stale client's writes (RPUSH to one list over a connection to the frozen master opened before the
   * freeze) and their final read through a fresh cluster client: judged by the history checker.
   */
  stale: HistoryRecorder;
  staleStop?: () => Promise<void>;
  resumedAt?: number;
  self?: { node: ClusterNode; ok: boolean };
  myIdAfter?: string;
  /** The stale client's list was read back after the heal (its final read is in `stale`). */
  staleReadBack?: boolean;
}

const STALE_INTERVAL_MS = 20;

/**
 * A client that still believes the frozen node is the master (a connection opened before the freeze): its
 * writes queue in the socket while the node is frozen, and the resumed node answers them before it learns it
 * was replaced. Without WAIT those acknowledgements are the writes Redis Cluster can lose.
 */
function startStaleClient(conn: Redis, key: string, history: HistoryRecorder, node: string): () => Promise<void> {
  let stopped = false;
  const pending: Array<Promise<unknown>> = [];
  history.declare(key, 'list');
  const nodeOf = (): string => node;
  const loop = (async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the stop function returned below sets it; the compiler cannot see a write from a closure
    while (!stopped) {
      pending.push(recordWrite(history, conn, key, 'list', 'stale-client', nodeOf));
      await sleep(STALE_INTERVAL_MS);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    await Promise.race([Promise.allSettled(pending), sleep(5000)]);
    conn.disconnect();
  };
}

export async function snapshotPause(env: ScenarioEnv, opts: ScenarioSettings): Promise<PauseFacts> {
  return {
    ...(await snapshotMaster(env, opts.victim)),
    opts,
    path: 'no-failover',
    stale: new HistoryRecorder(),
    finished: false,
  };
}

export const pauseSteps: ReadonlyArray<Step<PauseFacts>> = [
  preconditionsStep(shardPods),
  canariesStep(victimLoad),
  // The judged writer uses WAIT 1: a write the frozen-then-resumed master takes alone is never acknowledged
  // to it (its replica left it), so its verdict does not hang on a race. The stale client shows the race.
  writerStep((f) => ({ writeRate: f.opts.writeRate, writeWait: true })),
  {
    stage: (f) => `freezing pod ${f.victim.pod}`,
    run: async (f, ctx) => {
      const address = ctx.addressOf(f.victimPod);
      // No command timeout: its writes wait in the socket for the node to run again, as a stuck client's do.
      const conn = await openNode(ctx.reach, address, { commandTimeoutMs: f.opts.failoverTimeoutMs + 30_000 });
      const freeze = required(ctx.platform.faults.freeze);
      ctx.onCleanup(() => freeze.resume(f.victim.pod));
      const t0 = Date.now();
      ctx.timeline.setOrigin(t0);
      await freeze.freeze(f.victim.pod);
      ctx.timeline.mark('pod-frozen', t0, `${f.victim.pod} (SIGSTOP)`);
      ctx.log.info(`Froze pod ${f.victim.pod}; resuming it once a replica has taken over`);
      f.staleStop = startStaleClient(
        conn,
        `${hashTagIn(f.victim.slots, `rcr-stale-${f.run}`)}:stale`,
        f.stale,
        formatAddress(address),
      );
      ctx.onCleanup(() => f.staleStop?.());
      const survivors = f.podsBefore.filter((p) => p.name !== f.victim.pod).map(ctx.addressOf);
      f.watching = watchFailover({
        reach: ctx.reach,
        survivors,
        victim: f.victim,
        holdRestart: true,
        timeoutMs: f.opts.failoverTimeoutMs,
        mastersWithSlots: f.mastersWithSlots,
        signal: ctx.signal,
        log: ctx.log,
      });
    },
  },
  {
    stage: 'watching the failover',
    run: async (f, ctx) => {
      await settleWatch(f, ctx, 'the failover');
    },
  },
  {
    stage: (f) => `resuming pod ${f.victim.pod}`,
    run: async (f, ctx) => {
      await required(ctx.platform.faults.freeze).resume(f.victim.pod);
      f.resumedAt = Date.now();
      ctx.timeline.mark('pod-resumed', f.resumedAt);
      f.myIdAfter = await myIdOf(ctx.reach, ctx.addressOf(f.victimPod));
      f.sameNode = f.myIdAfter === f.victim.nodeId;
      f.self = await waitForFollower(f, ctx, 'stepped-down');
      // The stale client has had its say: its writes after the step-down are redirected (MOVED).
      await f.staleStop?.();
      f.staleStop = undefined;
    },
  },
  ...endSteps<PauseFacts>(),
  {
    stage: "reading back the stale client's writes",
    run: async (f, ctx) => {
      const reader = await openClusterClient(ctx.reach, f.podsAfter!.map(ctx.addressOf), {
        commandTimeoutMs: 5000,
        readyTimeoutMs: 10_000,
      });
      try {
        await finalRead(f.stale, reader, (key) => nodeServing(reader, slotOf(key)));
        f.staleReadBack = true;
      } finally {
        reader.disconnect();
      }
    },
  },
];

/**
 * The stale client's acknowledged writes lost, as the history checker classifies them (pure), with the count
 * the final read alone shows (acknowledged values missing from it), independent of the checker.
 */
export function pauseLoss(
  f: Pick<PauseFacts, 'stale' | 'staleReadBack' | 'victim'>,
  t0: number,
): PauseLoss | undefined {
  if (!f.staleReadBack) return undefined;
  const keys = f.stale.keys();
  const verdict = checkHistory(keys, { origin: t0, dropped: f.stale.dropped });
  let lastAck: number | undefined;
  let missing = 0;
  for (const k of keys) {
    const final = k.ops.findLast((op) => op.kind === 'read')?.seen;
    const there = new Set(final);
    for (const op of k.ops) {
      if (op.kind !== 'write' || op.outcome !== 'ok') continue;
      lastAck = Math.max(lastAck ?? -Infinity, op.completeAt!);
      if (!there.has(op.value)) missing++;
    }
  }
  return {
    lost: verdict.values.lost,
    sample: (verdict.examples.lost ?? []).map((a) => ({
      key: a.key,
      value: a.value!,
      ackAtMs: a.write!.completeMs!,
      by: `${f.victim.pod} (resumed, not yet stepped down)`,
    })),
    ...(lastAck !== undefined ? { lastAckByOldMasterMs: lastAck - t0 } : {}),
    readBackMissing: missing,
    history: verdict,
  };
}

const skipped = (id: Check['id'], why: string): Check => ({ id, status: 'skipped', summary: why, evidence: {} });

export function pauseChecks(f: PauseFacts, error: string | undefined, t0: number | undefined): Check[] {
  const notReached = `not reached: ${error ?? 'the scenario stopped early'}`;
  const promoted = f.watch?.promoted;
  const checks: Check[] = [promotionCheck(f, t0, notReached)];
  checks.push(
    !f.self
      ? skipped('stepped-down', f.watch && !promoted ? 'no replica took over: nothing to step down for' : notReached)
      : f.self.ok
        ? {
            id: 'stepped-down',
            status: 'pass',
            summary: `the resumed node stepped down to a replica of the promoted node ${promoted!.id.slice(0, 8)}`,
            evidence: { selfLine: f.self.node.raw },
          }
        : {
            id: 'stepped-down',
            status: 'fail',
            summary: `the resumed node did not step down: ${f.self.node.raw}`,
            evidence: { selfLine: f.self.node.raw },
          },
  );
  checks.push(
    f.myIdAfter === undefined
      ? skipped('node-id-kept', notReached)
      : f.sameNode
        ? {
            id: 'node-id-kept',
            status: 'pass',
            summary: `the resumed node kept its NodeID ${f.victim.nodeId}`,
            evidence: { nodeIdBefore: f.victim.nodeId, nodeIdAfter: f.myIdAfter },
          }
        : {
            id: 'node-id-kept',
            status: 'fail',
            summary: `NodeID changed: was ${f.victim.nodeId}, now ${f.myIdAfter}`,
            evidence: { nodeIdBefore: f.victim.nodeId, nodeIdAfter: f.myIdAfter },
          },
  );
  const writerOn = f.opts.writeRate > 0;
  const w = f.writer;
  const afterResume = w && f.resumedAt !== undefined ? w.acknowledgedSince(f.resumedAt) : undefined;
  checks.push(
    !writerOn
      ? skipped('writer-kept-writing', 'writer off (write rate 0)')
      : afterResume === undefined || !f.writes
        ? skipped('writer-kept-writing', notReached)
        : afterResume > 0
          ? {
              id: 'writer-kept-writing',
              status: 'pass',
              summary: `${afterResume} writes acknowledged after the resume (writes refused for ${Math.round(f.writes.unavailableMs)} ms in all)`,
              evidence: { afterResume },
            }
          : {
              id: 'writer-kept-writing',
              status: 'fail',
              summary: 'no write was acknowledged after the resume',
              evidence: { afterResume },
            },
  );
  checks.push(clusterHealthy(f.health, notReached));
  checks.push(dataIntact(f.finished ? f.canaries : undefined, f.writes, writerOn, notReached));
  checks.push(
    ...thresholdChecks(
      { maxUnavailableMs: f.opts.thresholds.maxUnavailableMs, maxLostWrites: f.opts.thresholds.maxLostWrites },
      { path: f.path, writes: f.writes, writerOn, finished: f.finished },
      notReached,
    ),
  );
  return checks;
}

/**
 * Freezes a master (SIGSTOP) past the node timeout and the election, then resumes it: a replica is promoted,
 * the resumed node steps down keeping its NodeID, the writer keeps writing. The writes Redis Cluster can lose
 * here (acknowledged by the resumed master before it learns it was replaced) are counted from a stale client;
 * the judged writer uses WAIT 1, which such a master cannot satisfy, so the verdict is not a race.
 */
export async function runMasterPause(env: ScenarioEnv, opts: ScenarioSettings): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const facts = await snapshotPause(env, opts);
  const outcome = await driveSteps('master-pause', pauseSteps, facts, env);
  const t0 = outcome.timeline.originAt;
  const loss = t0 === undefined ? undefined : pauseLoss(facts, t0);
  const notes = [
    'Judged with WAIT 1: a write counts as acknowledged only once a replica has it, which a resumed master whose replica was promoted cannot get, so the verdict does not depend on the race.',
    ...(loss
      ? [
          `Without WAIT, a client still connected to the frozen master (its writes queued while the process was stopped) had ${loss.lost} acknowledged write(s) lost: the resumed master answered them before it learnt it was replaced, then dropped them when it resynced from the new master. WAIT 1 narrows this window to nothing for the client that uses it.`,
        ]
      : []),
  ];
  const v = facts.victim;
  return scenarioResult(env, 'master-pause', startedAt, outcome, pauseChecks(facts, outcome.error, t0), {
    path: facts.path,
    holdRestart: false,
    victim: { pod: v.pod, nodeId: v.nodeId, uid: v.uid, ip: v.ip, slots: formatSlots(v.slots), replicas: v.replicaIds },
    failovers: facts.watch?.promoted ? 1 : 0,
    timings:
      facts.watch?.events.promotedAt !== undefined && t0 !== undefined
        ? { failoverMs: facts.watch.events.promotedAt - t0 }
        : {},
    ...(facts.writes ? { writes: facts.writes } : {}),
    ...(loss ? { pauseLoss: loss } : {}),
    notes,
    topologyBefore: facts.topologyBefore,
    ...(facts.topologyAfter ? { topologyAfter: facts.topologyAfter } : {}),
  });
}
