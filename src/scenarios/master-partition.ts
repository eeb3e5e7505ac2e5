import type { Check, PartitionLoss, ScenarioResult, WriteStats } from './model.ts';
import type { ClusterNode } from '../redis/types.ts';
import type { PodInfo } from '../platform/platform.ts';
import type { PartitionPlan } from '../platform/partition-fault.ts';
import { isUnsupported } from '../platform/faults.ts';
import type { Redis } from 'ioredis';
import { CancelledError, messageOf, UnsupportedError } from '../errors.ts';
import { openNode, withNode, type Reach } from '../redis/connect.ts';
import { hashTagIn } from './keyslot.ts';
import { formatSlots } from '../redis/cluster-nodes.ts';
import { failoverFloorMs, nodeTimeoutOf } from '../redis/failover-timing.ts';
import { sleep } from '../util/wait.ts';
import type { Writer } from './writer.ts';
import { checkHistory, type Anomaly } from './history/check.ts';
import { settleWatch, waitForFollower, watchFailover, type WatchFacts } from './failover-watch.ts';
import { clusterHealthy, dataIntact, promotionCheck } from './failover-checks.ts';
import { thresholdChecks } from './thresholds.ts';
import { driveSteps, type ScenarioEnv, type Step } from './driver.ts';
import { myIdOf } from './cluster-view.ts';
import { markHistory, startSlotWriter } from './workload.ts';
import { snapshotMaster, type MasterTarget } from './victim.ts';
import { canariesStep, preconditionsStep, shardPods, victimLoad } from './setup-steps.ts';
import { endSteps, type EndFacts } from './final-steps.ts';
import type { ScenarioSettings } from './settings.ts';
import { scenarioResult } from './result.ts';

/** Margin on top of the failover floor in the default partition: the issue's "node timeout + election + 5 s". */
const PARTITION_MARGIN_MS = 5000;

/** The settings that bound how long a cut-off master keeps taking writes, as it runs with them (CONFIG GET). */
export interface MinorityBounds {
  nodeTimeoutMs: number;
  minReplicasToWrite?: number;
  minReplicasMaxLagS?: number;
}

export interface PartitionFacts extends MasterTarget, WatchFacts, EndFacts {
  bounds?: MinorityBounds;
  partitionMs?: number;
  plan?: PartitionPlan;
  /** The client on the majority side (the judged writer, as in every scenario). */
  writer?: Writer;
  /** The client on the cut-off master's side: its writes are the ones a partition can lose. */
  minority?: Writer;
  probeStop?: () => Promise<ProbeOutcome>;
  probe?: ProbeOutcome;
  cutAt?: number;
  healedAt?: number;
  self?: { node: ClusterNode; ok: boolean };
  myIdAfter?: string;
  minorityWrites?: WriteStats;
  /** Every value of the minority client that the checker found lost, with its write (ms from the cut). */
  minorityLost?: Anomaly[];
  /** The cut in words, as it was in place (the chain's name is gone after the heal). */
  cutDescribed?: string;
}

/** How often the runner's probe writes to the cut-off master. */
const PROBE_INTERVAL_MS = 50;

/** When the cut-off master stopped taking writes, as the runner's own probe saw it. */
export interface ProbeOutcome {
  /** The first write it refused (CLUSTERDOWN, NOREPLICAS), and its words. */
  refusedAt?: number;
  refusal?: string;
}

/**
 * Writes to the cut-off master over the runner's own connection (no rule names the runner's address), one SET
 * every PROBE_INTERVAL_MS into its slots, until the first refusal: the moment it stopped taking writes, whatever
 * the clients' modes (a client's own view blurs it: ioredis retries CLUSTERDOWN until its command timeout).
 */
function startWriteProbe(conn: Redis, key: string, signal?: AbortSignal): () => Promise<ProbeOutcome> {
  const outcome: ProbeOutcome = {};
  let stopped = false;
  const loop = (async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the stop function returned below sets it; the compiler cannot see a write from a closure
    for (let n = 0; !stopped && !signal?.aborted && outcome.refusedAt === undefined; n++) {
      const sentAt = Date.now();
      try {
        await conn.set(key, String(n));
      } catch (err) {
        // Only Redis' own error reply (an upper-case code: CLUSTERDOWN, NOREPLICAS) is a refusal; a timeout or a
        // closed connection says nothing about what the node would take.
        if (/^[A-Z]{3,}\b/.test(messageOf(err))) {
          outcome.refusedAt = sentAt;
          outcome.refusal = messageOf(err);
        }
      }
      await sleep(PROBE_INTERVAL_MS, signal);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    conn.disconnect();
    return outcome;
  };
}

/** The settings of `node` that bound the minority's window (CONFIG GET), with the manifests' as the fallback. */
async function boundsOf(env: ScenarioEnv, reach: Reach, at: PodInfo): Promise<MinorityBounds> {
  const reply = await withNode(reach, { host: at.ip, port: env.redis.port }, (r) =>
    r.call('CONFIG', 'GET', 'cluster-node-timeout', 'min-replicas-to-write', 'min-replicas-max-lag'),
  ).catch(() => []);
  const pairs = Array.isArray(reply) ? reply.map(String) : [];
  const get = (name: string): number | undefined => {
    const i = pairs.indexOf(name);
    const v = i >= 0 ? Number(pairs[i + 1]) : NaN;
    return Number.isFinite(v) ? v : undefined;
  };
  const toWrite = get('min-replicas-to-write');
  return {
    nodeTimeoutMs: get('cluster-node-timeout') ?? nodeTimeoutOf(env.redis),
    ...(toWrite ? { minReplicasToWrite: toWrite, minReplicasMaxLagS: get('min-replicas-max-lag') ?? 10 } : {}),
  };
}

export async function snapshotPartition(env: ScenarioEnv, opts: ScenarioSettings): Promise<PartitionFacts> {
  return { ...(await snapshotMaster(env, opts.victim)), opts, path: 'no-failover', finished: false };
}

export const partitionSteps: ReadonlyArray<Step<PartitionFacts>> = [
  preconditionsStep(shardPods),
  {
    stage: (f) => `preparing to cut pod ${f.victim.pod} off`,
    run: async (f, ctx) => {
      const fault = ctx.platform.faults.partition;
      if (isUnsupported(fault)) throw new UnsupportedError(fault.unsupported);
      f.plan = await fault.prepare(f.victim.pod);
      ctx.onCleanup(() => f.plan?.heal());
      f.bounds = await boundsOf(ctx, ctx.reach, f.victimPod);
      f.partitionMs =
        f.opts.partitionMs ??
        (f.opts.failoverFloorMs ?? failoverFloorMs(f.bounds.nodeTimeoutMs, f.victim.replicaIds.length)) +
          PARTITION_MARGIN_MS;
    },
  },
  canariesStep(victimLoad),
  {
    stage: 'starting the clients on both sides',
    run: async (f, ctx) => {
      if (f.opts.writeRate <= 0) return;
      const settings = { writeRate: f.opts.writeRate, writeWait: f.opts.writeWait };
      const majoritySeeds = f.podsBefore.filter((p) => p.name !== f.victim.pod).map(ctx.addressOf);
      const { minorityClient, majorityClient } = f.plan!;
      f.writer = await startSlotWriter(ctx, majoritySeeds, f.victim.slots, f.run, {
        ...settings,
        ...(majorityClient ? { localAddress: majorityClient } : {}),
      });
      // Seeded with the victim alone: from its side of the cut it is the only node this client reaches.
      f.minority = await startSlotWriter(
        ctx,
        [ctx.addressOf(f.victimPod)],
        f.victim.slots,
        f.run,
        { ...settings, ...(minorityClient ? { localAddress: minorityClient } : {}) },
        'minority',
      );
    },
  },
  {
    stage: (f) => `cutting pod ${f.victim.pod} off from the other Redis pods`,
    run: async (f, ctx) => {
      const others = f.podsBefore.filter((p) => p.name !== f.victim.pod);
      const probeConn = await openNode(ctx.reach, ctx.addressOf(f.victimPod), { commandTimeoutMs: 1000 });
      await f.plan!.cut(others.map((p) => p.ip));
      // The cut takes effect with its last command (the jump into the filled chain): the origin is then, not
      // when the rules began going in (a few dozen iptables calls, up to a second on a loaded machine).
      const t0 = Date.now();
      ctx.timeline.setOrigin(t0);
      f.cutAt = t0;
      f.cutDescribed = f.plan!.describe;
      ctx.timeline.mark('partition-cut', t0, `${f.victim.pod} for ${f.partitionMs!} ms`);
      ctx.log.info(`Cut pod ${f.victim.pod} off for ${f.partitionMs!} ms: ${f.plan!.describe}`);
      f.probeStop = startWriteProbe(probeConn, `${hashTagIn(f.victim.slots, `rcr-probe-${f.run}`)}:probe`, ctx.signal);
      ctx.onCleanup(async () => {
        await f.probeStop?.();
      });
      f.watching = watchFailover({
        reach: ctx.reach,
        survivors: others.map(ctx.addressOf),
        victim: f.victim,
        holdRestart: true,
        timeoutMs: f.partitionMs!,
        mastersWithSlots: f.mastersWithSlots,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        log: ctx.log,
      });
    },
  },
  {
    stage: 'holding the partition',
    run: async (f, ctx) => {
      await settleWatch(f, ctx, 'the failover on the majority side');
      await sleep(Math.max(0, f.cutAt! + f.partitionMs! - Date.now()), ctx.signal);
      if (ctx.signal?.aborted) throw new CancelledError('the end of the partition');
    },
  },
  {
    stage: (f) => `healing the partition and waiting for pod ${f.victim.pod} to rejoin`,
    run: async (f, ctx) => {
      f.probe = await f.probeStop!();
      f.probeStop = undefined;
      if (f.probe.refusedAt !== undefined) ctx.timeline.mark('minority-refused', f.probe.refusedAt, f.probe.refusal);
      // The heal's moment is its start: traffic flows again as soon as the jump to the chain is gone.
      f.healedAt = Date.now();
      await f.plan!.heal();
      ctx.timeline.mark('partition-healed', f.healedAt);
      f.self = await waitForFollower(f, ctx, 'rejoined');
      f.myIdAfter = await myIdOf(ctx.reach, ctx.addressOf(f.victimPod));
      f.sameNode = f.myIdAfter === f.victim.nodeId;
    },
  },
  ...endSteps<PartitionFacts>(),
  {
    stage: "reading back the minority client's writes",
    run: async (f, ctx) => {
      if (!f.minority) return;
      await f.minority.stop();
      // The final read of every key and the checker's verdict (history/check.ts), times from the cut.
      f.minorityWrites = await f.minority.verify(f.podsAfter!.map(ctx.addressOf), f.cutAt);
      markHistory(ctx.timeline, f.minorityWrites);
      // Again for every lost value, not the first few examples: the window they were acknowledged in.
      f.minorityLost =
        checkHistory(f.minority.history.keys(), {
          origin: f.cutAt!,
          examples: f.minorityWrites.lost,
        }).examples.lost ?? [];
    },
  },
];

/** What the minority side's writes came to (pure): lost ones with their window, the last ack, the refusal. */
export function partitionLoss(f: {
  minorityWrites: WriteStats;
  /** Every lost value, with its write's times in ms from the cut (the checker's lost anomalies). */
  lost: readonly Anomaly[];
  /** When each of the minority's acknowledged writes was acknowledged (Date.now()). */
  acks: readonly number[];
  cutAt: number;
  healedAt: number;
  bounds: MinorityBounds;
  probe: ProbeOutcome;
  cut: string;
}): PartitionLoss {
  // Acknowledged, then gone. The checker also calls lost a value a read saw that later vanished, whatever its
  // write's outcome (Jepsen's set-full): on the minority side those are writes WAIT did not confirm, which the
  // client never took as done; they are counted apart.
  const lost = f.lost.flatMap((a) =>
    a.write?.outcome === 'ok' && a.write.completeMs !== undefined
      ? [{ key: `${a.key} value ${a.value ?? '?'}`, ackAtMs: a.write.completeMs }]
      : [],
  );
  lost.sort((x, y) => x.ackAtMs - y.ackAtMs);
  const duringCut = f.acks.filter((at) => at >= f.cutAt && at < f.healedAt);
  return {
    cut: f.cut,
    partitionMs: f.healedAt - f.cutAt,
    ...f.bounds,
    minority: f.minorityWrites,
    lost: lost.length,
    seenThenLost: f.lost.length - lost.length,
    sample: lost.slice(0, 5),
    ...(lost.length ? { lostWindow: { firstAckMs: lost[0]!.ackAtMs, lastAckMs: lost.at(-1)!.ackAtMs } } : {}),
    ...(duringCut.length ? { lastMinorityAckMs: Math.max(...duringCut) - f.cutAt } : {}),
    ...(f.probe.refusedAt !== undefined
      ? { refusedAtMs: f.probe.refusedAt - f.cutAt, refusal: f.probe.refusal ?? '' }
      : {}),
  };
}

const skipped = (id: Check['id'], why: string): Check => ({ id, status: 'skipped', summary: why, evidence: {} });

/** What bounds the minority's window, in words: the node timeout, and min-replicas-* where set. */
export function boundsText(b: MinorityBounds): string {
  return (
    `cluster-node-timeout ${b.nodeTimeoutMs} ms` +
    (b.minReplicasToWrite
      ? `, min-replicas-to-write ${b.minReplicasToWrite} with min-replicas-max-lag ${b.minReplicasMaxLagS ?? 10} s`
      : ', min-replicas-to-write not set')
  );
}

/** minority-stopped-writes: the cut-off master refused writes before the heal (and when, against its settings). */
export function minorityStoppedCheck(loss: PartitionLoss | undefined, notReached: string): Check {
  if (!loss) return skipped('minority-stopped-writes', notReached);
  const evidence = {
    refusedAtMs: loss.refusedAtMs ?? null,
    refusal: loss.refusal ?? null,
    lastMinorityAckMs: loss.lastMinorityAckMs ?? null,
    partitionMs: loss.partitionMs,
    nodeTimeoutMs: loss.nodeTimeoutMs,
    minReplicasToWrite: loss.minReplicasToWrite ?? null,
    minReplicasMaxLagS: loss.minReplicasMaxLagS ?? null,
  };
  if (loss.refusedAtMs === undefined)
    return {
      id: 'minority-stopped-writes',
      status: 'fail',
      summary: `the cut-off master never refused a write during the ${loss.partitionMs} ms partition (${boundsText(loss)})`,
      evidence,
    };
  return {
    id: 'minority-stopped-writes',
    status: 'pass',
    summary: `the cut-off master refused writes from ${loss.refusedAtMs} ms after the cut (${loss.refusal ?? ''}); ${boundsText(loss)}`,
    evidence,
  };
}

export function partitionChecks(
  f: PartitionFacts,
  loss: PartitionLoss | undefined,
  error: string | undefined,
  t0: number | undefined,
): Check[] {
  const notReached = `not reached: ${error ?? 'the scenario stopped early'}`;
  const promoted = f.watch?.promoted;
  const checks: Check[] = [
    promotionCheck(
      { ...f, opts: { ...f.opts, failoverTimeoutMs: f.partitionMs ?? f.opts.failoverTimeoutMs } },
      t0,
      notReached,
    ),
  ];
  const writerOn = f.opts.writeRate > 0;
  checks.push(
    writerOn
      ? minorityStoppedCheck(loss, notReached)
      : skipped('minority-stopped-writes', 'writer off (write rate 0): no client on the minority side'),
  );
  checks.push(
    !f.self
      ? skipped('rejoined-as-replica', f.watch && !promoted ? 'no replica took over: nothing to rejoin' : notReached)
      : {
          id: 'rejoined-as-replica',
          status: f.self.ok && f.sameNode ? 'pass' : 'fail',
          summary:
            f.self.ok && f.sameNode
              ? `after the heal the old master is a replica of the promoted node ${promoted!.id.slice(0, 8)}, with its NodeID ${f.victim.nodeId}`
              : `after the heal the old master is not a replica of the promoted node with its NodeID: ${f.self.node.raw}`,
          evidence: { selfLine: f.self.node.raw, nodeIdBefore: f.victim.nodeId, nodeIdAfter: f.myIdAfter ?? null },
        },
  );
  checks.push(clusterHealthy(f.health, notReached));
  checks.push(dataIntact(f.finished ? f.canaries : undefined, f.writes, writerOn, notReached));
  // The budget counts every acknowledged write lost, the minority's first: they are what a partition costs.
  const writes =
    f.writes && loss
      ? {
          ...f.writes,
          lost: f.writes.lost + loss.lost,
          lostKeys: [...loss.sample.map((s) => s.key), ...f.writes.lostKeys],
        }
      : undefined;
  checks.push(
    ...thresholdChecks(
      { maxUnavailableMs: f.opts.thresholds.maxUnavailableMs, maxLostWrites: f.opts.thresholds.maxLostWrites },
      { path: f.path, ...(writes ? { writes } : {}), writerOn, finished: f.finished },
      notReached,
    ).map((c) =>
      c.id === 'max-lost-writes' && loss && loss.lost > 0
        ? { ...c, summary: `${c.summary}: ${lossCause(f, loss)}` }
        : c,
    ),
  );
  return checks;
}

/** Why the minority's writes were lost, in one sentence. */
function lossCause(f: PartitionFacts, loss: PartitionLoss): string {
  const w = loss.lostWindow!;
  return `${loss.lost} acknowledged by ${f.victim.pod} while it was cut off from the majority (between ${w.firstAckMs} and ${w.lastAckMs} ms after the cut), then dropped when it rejoined as a replica of the promoted node`;
}

/** The report's explanation in the user's terms: how many writes, over how long, which settings narrow it. */
export function partitionNotes(f: PartitionFacts, loss: PartitionLoss | undefined): string[] {
  const wait =
    'With WAIT 1 a write is acknowledged only once a replica has it; every replica of the cut-off master is on the other side of the cut, so WAIT cannot be satisfied from the minority side, and nothing the cut-off master took alone was acknowledged.';
  if (!loss) return f.opts.writeWait ? [wait] : [];
  const notes = [`The cut: ${loss.cut}, for ${loss.partitionMs} ms.`];
  const window =
    loss.lastMinorityAckMs !== undefined
      ? `the client on its side had writes acknowledged until ${loss.lastMinorityAckMs} ms after the cut`
      : 'the client on its side had no write acknowledged after the cut';
  const refusal =
    loss.refusedAtMs !== undefined
      ? `; it refused writes from ${loss.refusedAtMs} ms (${loss.refusal ?? ''})`
      : '; it never refused a write before the heal';
  notes.push(
    `Cut off from the majority, ${f.victim.pod} kept acting as master: ${window}${refusal}, bounded by ${boundsText(loss)}.`,
  );
  if (f.opts.writeWait)
    notes.push(
      `${loss.lost} of the minority's acknowledged writes were lost. ${wait}` +
        (loss.seenThenLost
          ? ` ${loss.seenThenLost} value(s) its WAIT did not confirm (not acknowledged to the client) were seen by reads on the minority side and then lost: what a reader there without WAIT would have taken for written.`
          : ''),
    );
  else if (loss.lost > 0)
    notes.push(
      `${loss.lost} of the ${loss.minority.acknowledged} writes the minority client saw acknowledged were lost: acknowledged between ${loss.lostWindow!.firstAckMs} and ${loss.lostWindow!.lastAckMs} ms after the cut, then dropped when ${f.victim.pod} rejoined as a replica of the promoted node and resynced from it. What narrows the window: min-replicas-to-write 1 with a short min-replicas-max-lag (the master stops taking writes once no replica has acknowledged for that long, instead of after the node timeout; measured with node timeout 5000 and 200 writes/s: median 1294 lost over 6.4 s without it, 336 over 1.7 s with min-replicas-max-lag 1, docs/design.md), a lower cluster-node-timeout, and WAIT 1 on writes that must survive (it closes the window for the client that uses it).`,
    );
  else notes.push('No write the minority client saw acknowledged was lost.');
  return notes;
}

/**
 * Cuts a master (and a client on its side) off from every other Redis node for the partition time, then heals:
 * the majority promotes a replica, the cut-off master stops taking writes after its node timeout (or
 * min-replicas-max-lag), and after the heal it rejoins as a replica, dropping what it took alone. Counts those
 * writes: the loss Redis Cluster's specification names.
 */
export async function runMasterPartition(env: ScenarioEnv, opts: ScenarioSettings): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const facts = await snapshotPartition(env, opts);
  const outcome = await driveSteps('master-partition', partitionSteps, facts, env);
  const t0 = outcome.timeline.originAt;
  const loss =
    facts.minority && facts.minorityWrites && facts.minorityLost && facts.cutAt && facts.healedAt && facts.bounds
      ? partitionLoss({
          minorityWrites: facts.minorityWrites,
          lost: facts.minorityLost,
          acks: facts.minority.history
            .keys()
            .flatMap((k) =>
              k.ops.flatMap((op) => (op.kind === 'write' && op.outcome === 'ok' ? [op.completeAt!] : [])),
            ),
          cutAt: facts.cutAt,
          healedAt: facts.healedAt,
          bounds: facts.bounds,
          probe: facts.probe ?? {},
          cut: facts.cutDescribed ?? '',
        })
      : undefined;
  const v = facts.victim;
  return scenarioResult(env, 'master-partition', startedAt, outcome, partitionChecks(facts, loss, outcome.error, t0), {
    holdRestart: false,
    victim: { pod: v.pod, nodeId: v.nodeId, uid: v.uid, ip: v.ip, slots: formatSlots(v.slots), replicas: v.replicaIds },
    failovers: facts.watch?.promoted ? 1 : 0,
    timings:
      facts.watch?.events.promotedAt !== undefined && t0 !== undefined
        ? { failoverMs: facts.watch.events.promotedAt - t0 }
        : {},
    ...(facts.writes ? { writes: facts.writes } : {}),
    ...(loss ? { partitionLoss: loss } : {}),
    notes: partitionNotes(facts, loss),
    topologyBefore: facts.topologyBefore,
    ...(facts.topologyAfter ? { topologyAfter: facts.topologyAfter } : {}),
  });
}
