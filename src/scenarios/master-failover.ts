import type { Platform, PodInfo, HostPort } from '../platform/platform.ts';
import type { RedisDeployment } from '../manifests/model.ts';
import type { Check, FailoverPath, ScenarioResult, TimelineEntry, TimelineEvent, Topology, WriteStats } from '../report/model.ts';
import type { ClusterNode } from '../redis/types.ts';
import type { Log } from '../util/log.ts';
import { CancelledError, InputError, TimeoutError, messageOf } from '../errors.ts';
import { cancelCause } from '../util/termination.ts';
import { waitFor } from '../util/wait.ts';
import { formatAddress, withNode, type Reach } from '../redis/connect.ts';
import { formatSlots, isMaster, mastersOf, myself, parseClusterNodes, replicasOf } from '../redis/cluster-nodes.ts';
import { probeCluster, replicationOf, type ClusterHealth } from '../redis/health.ts';
import { toTopology } from '../redis/topology.ts';
import { hashTagIn } from './keyslot.ts';
import { openClusterClient } from './cluster-client.ts';
import { startWriter, type Writer } from './writer.ts';
import { watchFailover, type WatchResult } from './failover-watch.ts';
import {
  clusterHealthy,
  dataIntact,
  electionQuorum,
  nodeIdKept,
  podRecreated,
  rejoinedAsReplica,
  replicaPromoted,
  type Canary,
  type NodeIdFacts,
  type RejoinFacts,
  type Victim,
} from './failover-checks.ts';
import { thresholdChecks, type Thresholds } from './thresholds.ts';

export interface MasterFailoverOptions {
  /** Pod name of the master to delete; default: the master holding slot 0. */
  victim?: string;
  holdRestart: boolean;
  killMode: 'graceful' | 'kill';
  /** Writes per second into the victim's slots during the scenario; 0 turns the writer off. */
  writeRate: number;
  writeWait: boolean;
  failoverTimeoutMs: number;
  rejoinTimeoutMs: number;
  thresholds: Thresholds;
  expected: { nodes: number; masters: number };
  log: Log;
  /** Runs between the writer's stop and the read-back; lets a test tamper with the data to prove the read-back sees it. */
  beforeVerify?: (writer: Writer) => Promise<void>;
  /** The run's cancel (SIGINT/SIGTERM): every wait ends, the hold is released, the result is 'cancelled'. */
  signal?: AbortSignal;
}

const PRECONDITION_TIMEOUT_MS = 60_000;
const CANARIES = 8;
/** How long to give the writer's client to find a master (and, in WAIT mode, a replica) again. */
const WRITES_RECOVER_TIMEOUT_MS = 15_000;

/** Everything observed so far; what is still undefined was not reached. */
interface Facts {
  path: FailoverPath;
  victim?: Victim;
  mastersWithSlots: number;
  confBefore: ClusterNode | null;
  watch?: WatchResult;
  podAfter?: PodInfo;
  nodeId?: NodeIdFacts;
  rejoin?: RejoinFacts;
  health?: ClusterHealth;
  canaries?: Canary[];
  writes?: WriteStats;
  topologyAfter?: Topology;
  finished: boolean;
}

/**
 * Deletes a master pod and proves what DESIGN.md's scenario promises: a replica takes over, the pod comes back
 * with its NodeID and follows the new master, the cluster is whole, no acknowledged write is lost. Never throws
 * after the deletion: a failure becomes status fail with `error` set, and the hold is always released.
 */
export async function runMasterFailover(platform: Platform, redis: RedisDeployment, opts: MasterFailoverOptions): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const reach: Reach = (a) => platform.reach(a);
  const addressOf = (pod: PodInfo): HostPort => ({ host: pod.ip, port: redis.port });
  const { log, signal } = opts;
  /** Between steps that do not wait (Redis commands): stop as soon as the run is cancelled. */
  const checkpoint = (what: string): void => {
    if (signal?.aborted) throw new CancelledError(what);
  };
  const times = new Map<TimelineEvent, { at: number; detail?: string }>();
  const mark = (event: TimelineEvent, at: number, detail?: string): void => {
    if (!times.has(event)) times.set(event, { at, ...(detail ? { detail } : {}) });
  };
  const facts: Facts = { path: 'no-failover', mastersWithSlots: 0, confBefore: null, finished: false };
  let t0: number | undefined;
  let writer: Writer | undefined;
  let error: string | undefined;

  // 1. Snapshot (nothing destructive yet: a bad --victim is an input error).
  const podsBefore = await platform.listPods();
  const viewsBefore = await Promise.all(podsBefore.map(async (pod) => ({ pod, nodes: await clusterNodesOf(reach, addressOf(pod)) })));
  const { victimPod, victimNode, view } = pickVictim(viewsBefore, opts.victim);
  const replicas = replicasOf(view, victimNode.id);
  const victim: Victim = {
    pod: victimPod.name,
    nodeId: victimNode.id,
    uid: victimPod.uid,
    ip: victimPod.ip,
    slots: victimNode.slots,
    line: victimNode.raw,
    replicaIds: replicas.map((r) => r.id),
  };
  facts.victim = victim;
  facts.mastersWithSlots = mastersOf(view).filter((m) => m.slots.length > 0).length;
  const topologyBefore = topologyOf(viewsBefore);
  facts.confBefore = await nodesConfSelf(platform, victim.pod, redis.clusterConfigFile);
  log.info(
    `Victim: pod ${victim.pod} (${victim.ip}), node ${victim.nodeId}, slots ${formatSlots(victim.slots).join(',')}, ` +
      `${replicas.length} replica(s); ${facts.mastersWithSlots} master(s) own slots`,
  );
  const quorum = electionQuorum(facts.mastersWithSlots);
  if (!quorum.possible) log.warn(`${quorum.note}; expect no failover within the ${(opts.failoverTimeoutMs / 1000).toFixed(0)} s failover timeout`);

  // What the scenario was doing, so that an error says where it stopped.
  let stage = 'checking the preconditions';
  try {
    // 2. Preconditions: a replica whose link is not up refuses to fail over; SIGTERM is ignored during a first AOF.
    const replicaPods = podsBefore.filter((p) => replicas.some((r) => r.ip === p.ip));
    await waitForPreconditions(reach, [victimPod, ...replicaPods].map(addressOf), victimPod.ip, log, signal);

    // 3. Canaries in the victim's slots, replicated before the kill so that losing one is a finding.
    stage = 'writing the canaries';
    const run = Date.now().toString(36);
    facts.canaries = await writeCanaries(reach, podsBefore.map(addressOf), victim, run, replicas.length > 0);

    // 4. The writer.
    stage = 'starting the writer';
    if (opts.writeRate > 0) {
      writer = await startWriter({
        reach,
        seeds: podsBefore.map(addressOf),
        tag: hashTagIn(victim.slots, `rcr-writes-${run}`),
        ratePerSecond: opts.writeRate,
        waitReplicas: opts.writeWait,
        log,
        signal,
      });
      mark('writer-started', Date.now(), `${opts.writeRate}/s${opts.writeWait ? ' with WAIT 1' : ''}`);
      await waitForSteadyWrites(writer, opts.writeRate, signal);
    }
    checkpoint('the pod deletion');

    // 5. Delete, watching from the survivors from the moment of deletion.
    stage = `deleting pod ${victim.pod}`;
    const survivors = podsBefore.filter((p) => p.name !== victim.pod).map(addressOf);
    t0 = Date.now();
    mark('pod-deleted', t0, `${victim.pod} (${opts.killMode}${opts.holdRestart ? ', restart held' : ''})`);
    log.info(`Deleting pod ${victim.pod} (${opts.killMode}, ${opts.holdRestart ? 'restart held' : 'restart not held'})`);
    const stopWatch = new AbortController();
    const watchSignal = signal ? AbortSignal.any([stopWatch.signal, signal]) : stopWatch.signal;
    const watching = watchFailover({ reach, survivors, victim, holdRestart: opts.holdRestart, timeoutMs: opts.failoverTimeoutMs, signal: watchSignal, log });
    try {
      await platform.deletePod(victim.pod, { hold: opts.holdRestart, mode: opts.killMode });
    } catch (err) {
      stopWatch.abort();
      await watching;
      throw err;
    }
    mark('pod-gone', Date.now());
    stage = 'watching the failover';
    const watch = await watching;
    checkpoint('the failover'); // the watch ends early on a cancel: what it saw is not the failover's outcome
    facts.watch = watch;
    const ev = watch.events;
    if (ev.pfailSeen !== undefined) mark('pfail-seen', ev.pfailSeen);
    if (ev.failSeen !== undefined) mark('fail-seen', ev.failSeen);
    if (ev.promotedAt !== undefined) mark('replica-promoted', ev.promotedAt, watch.promoted && `${watch.promoted.id.slice(0, 8)} at ${watch.promoted.ip}`);
    if (ev.clusterOkAt !== undefined) mark('cluster-ok', ev.clusterOkAt);
    facts.path = watch.promoted ? 'failover' : ev.backBeforeFailoverAt !== undefined ? 'restarted-before-failover' : 'no-failover';
    log.info(describeWatch(watch, facts.path, t0, facts.mastersWithSlots));

    if (writer && watch.promoted && !opts.writeWait) await waitForWritesRecovered(writer, log, signal);

    // 6. Let the pod come back.
    stage = `waiting for pod ${victim.pod} to come back`;
    if (opts.holdRestart) {
      await platform.releaseHold();
      mark('hold-released', Date.now());
    }
    log.progress(`waiting for pod ${victim.pod} to be recreated`);
    checkpoint(`pod ${victim.pod} to come back`);
    facts.podAfter = await platform.waitForReplacement(victim.pod, victim.uid, opts.rejoinTimeoutMs);
    mark('pod-back', Date.now(), `${facts.podAfter.ip}, uid ${facts.podAfter.uid}`);
    const newAddress = addressOf(facts.podAfter);
    await waitFor('Redis on the recreated pod to answer PING', async () => ({ done: true, value: await withNode(reach, newAddress, (r) => r.ping()) }), {
      timeoutMs: opts.rejoinTimeoutMs,
      intervalMs: 50,
      signal,
    });
    mark('redis-up', Date.now());

    // A node that lost its nodes.conf comes back as a stranger with a new NodeID: it cannot rejoin, so the
    // rejoin and health are looked at once instead of waited for.
    stage = `checking pod ${victim.pod}'s NodeID and rejoin`;
    const myIdAfter = String(await withNode(reach, newAddress, (r) => r.call('CLUSTER', 'MYID')));
    const sameNode = myIdAfter === victim.nodeId;
    if (!sameNode) log.warn(`pod ${victim.pod} came back with a new NodeID ${myIdAfter} (was ${victim.nodeId})`);
    facts.nodeId = {
      victim,
      confBefore: facts.confBefore,
      confAfter: await nodesConfSelf(platform, victim.pod, redis.clusterConfigFile),
      myIdAfter,
      addressBefore: formatAddress(addressOf(victimPod)),
      addressAfter: formatAddress(newAddress),
      clusterConfigFile: redis.clusterConfigFile,
      onPersistentVolume: redis.isPersistent(redis.clusterConfigFile),
    };
    const promotedId = watch.promoted?.id;
    const self = await waitForRejoin(reach, newAddress, promotedId, victim, sameNode ? opts.rejoinTimeoutMs : 0, log, signal);
    if (isRejoined(self.self, promotedId, victim)) mark('rejoined', Date.now(), promotedId ? `replica of ${promotedId.slice(0, 8)}` : 'master of its slots');
    facts.rejoin = { path: facts.path, victim, ...(promotedId ? { promotedId } : {}), self: self.self, view: self.view };

    stage = 'checking the cluster health';
    const podsAfter = await platform.listPods();
    facts.health = await waitForHealth(reach, podsAfter.map(addressOf), opts.expected, sameNode ? opts.rejoinTimeoutMs : 0, log, signal);
    if (facts.health.healthy) mark('cluster-healthy', Date.now());

    // 7. Stop writing and read everything back.
    stage = 'reading back the writes and canaries';
    if (writer) {
      // In WAIT mode writes recover only once the returned node has synced; on every path, give them the
      // chance so the window closes instead of being cut off by the stop.
      await waitForWritesRecovered(writer, log, signal);
      checkpoint('the read-back of the writes');
      await writer.stop();
      await opts.beforeVerify?.(writer);
      facts.writes = await writer.verify(podsAfter.map(addressOf));
      const window = writer.window();
      if (window) mark('first-write-failed', window.start);
      if (window?.end !== undefined) mark('writes-recovered', window.end);
    }
    facts.canaries = await readCanaries(reach, podsAfter.map(addressOf), facts.canaries);
    facts.topologyAfter = topologyOf(await Promise.all(podsAfter.map(async (pod) => ({ pod, nodes: await clusterNodesOf(reach, addressOf(pod)) }))));
    facts.finished = true;
  } catch (err) {
    error = signal?.aborted ? `cancelled by ${cancelCause(signal)} while ${stage}` : `${stage}: ${messageOf(err)}`;
    log.warn(`master-failover stopped: ${error}`);
  } finally {
    // Never leave a held pod or a writer behind, whatever happened (a cancel included: the release itself does
    // not honour the cancel, see PlatformContext.signal).
    if (opts.holdRestart && !times.has('hold-released')) {
      await platform.releaseHold().catch((err) => log.warn(`releasing the hold failed: ${messageOf(err)}`));
    }
    writer?.close();
  }

  const notReached = `not reached: ${error ?? 'the scenario stopped early'}`;
  const promoted = facts.watch?.promoted;
  const checks: Check[] = [
    replicaPromoted(
      {
        path: facts.path,
        victim,
        mastersWithSlots: facts.mastersWithSlots,
        failoverTimeoutMs: opts.failoverTimeoutMs,
        ...(promoted && t0 !== undefined ? { promoted: { node: promoted, atMs: facts.watch!.events.promotedAt! - t0 } } : {}),
        lastSeen: facts.watch?.lastSeen ?? [],
      },
      facts.watch ? undefined : notReached,
    ),
    podRecreated(victim, facts.podAfter, notReached),
    nodeIdKept(facts.nodeId, notReached),
    rejoinedAsReplica(facts.rejoin, notReached),
    clusterHealthy(facts.health, notReached),
    dataIntact(facts.finished ? facts.canaries : undefined, facts.writes, opts.writeRate > 0, notReached),
  ];
  const timings: ScenarioResult['timings'] = {};
  if (t0 !== undefined) {
    const at = (e: TimelineEvent) => times.get(e)?.at;
    if (at('replica-promoted') !== undefined) timings.failoverMs = at('replica-promoted')! - t0;
    if (at('cluster-ok') !== undefined) timings.clusterOkMs = at('cluster-ok')! - t0;
    const from = at('hold-released') ?? t0;
    if (at('rejoined') !== undefined) {
      timings.rejoinMs = at('rejoined')! - from;
      log.info(`Rejoined ${timings.rejoinMs} ms after the ${at('hold-released') !== undefined ? 'hold was released' : 'deletion'}`);
    }
  }
  checks.push(
    ...thresholdChecks(
      opts.thresholds,
      { path: facts.path, failoverMs: timings.failoverMs, writes: facts.writes, writerOn: opts.writeRate > 0, finished: facts.finished },
      notReached,
    ),
  );
  const timeline: TimelineEntry[] = [...times.entries()]
    .map(([event, { at, detail }]) => ({ event, atMs: at - (t0 ?? at), ...(detail ? { detail } : {}) }))
    .sort((a, b) => a.atMs - b.atMs);
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length) log.info(`Failed checks: ${failed.map((c) => `${c.id} (${c.summary})`).join('; ')}`);
  return {
    name: 'master-failover',
    status: signal?.aborted ? 'cancelled' : error === undefined && failed.length === 0 ? 'pass' : 'fail',
    path: facts.path,
    holdRestart: opts.holdRestart,
    victim: { pod: victim.pod, nodeId: victim.nodeId, uid: victim.uid, ip: victim.ip, slots: formatSlots(victim.slots), replicas: victim.replicaIds },
    startedAt: new Date(startedAt).toISOString(),
    durationMs: Date.now() - startedAt,
    checks,
    timeline,
    timings,
    ...(facts.writes ? { writes: facts.writes } : {}),
    topologyBefore,
    ...(facts.topologyAfter ? { topologyAfter: facts.topologyAfter } : {}),
    ...(error !== undefined ? { error } : {}),
  };
}

async function clusterNodesOf(reach: Reach, address: HostPort): Promise<ClusterNode[]> {
  return parseClusterNodes(String(await withNode(reach, address, (r) => r.call('CLUSTER', 'NODES'))));
}

function topologyOf(views: Array<{ pod: PodInfo; nodes: ClusterNode[] }>): Topology {
  const podByIp = new Map(views.map((v) => [v.pod.ip, v.pod.name]));
  const first = views[0]!;
  return toTopology(first.nodes, podByIp, first.nodes.map((n) => n.raw).join('\n'));
}

function pickVictim(views: Array<{ pod: PodInfo; nodes: ClusterNode[] }>, wanted: string | undefined) {
  const selfOfPod = views.map((v) => ({ pod: v.pod, self: myself(v.nodes) }));
  const masters = selfOfPod.filter((s) => isMaster(s.self) && s.self.slots.length > 0);
  const describe = masters.map((m) => `${m.pod.name} (${formatSlots(m.self.slots).join(',')})`).join(', ');
  let chosen: (typeof selfOfPod)[number] | undefined;
  if (wanted !== undefined) {
    chosen = selfOfPod.find((s) => s.pod.name === wanted);
    if (!chosen) throw new InputError(`victim ${wanted}: no such pod; masters owning slots: ${describe || 'none'}`);
    if (!masters.includes(chosen)) throw new InputError(`victim ${wanted} is not a master owning slots; masters owning slots: ${describe || 'none'}`);
  } else {
    chosen = masters.find((m) => m.self.slots.some(([a]) => a === 0));
    if (!chosen) throw new Error(`no master owns slot 0 (masters owning slots: ${describe || 'none'}); is the cluster bootstrapped?`);
  }
  const view = views.find((v) => v.pod === chosen.pod)!.nodes;
  return { victimPod: chosen.pod, victimNode: chosen.self, view };
}

async function nodesConfSelf(platform: Platform, pod: string, path: string): Promise<ClusterNode | null> {
  const text = await platform.readPersistentFile(pod, path);
  if (text === undefined) return null;
  return parseClusterNodes(text).find((n) => n.flags.has('myself')) ?? null;
}

async function waitForPreconditions(reach: Reach, addresses: HostPort[], victimIp: string, log: Log, signal: AbortSignal | undefined): Promise<void> {
  await waitFor(
    "every replica of the victim linked (master_link_status:up) and no AOF rewrite in progress",
    async () => {
      const states = await Promise.all(addresses.map(async (a) => ({ a, s: await replicationOf(reach, a) })));
      const waiting = states.filter(({ a, s }) => s.aofRewriteInProgress || (a.host !== victimIp && s.masterLinkStatus !== 'up'));
      if (waiting.length === 0) return { done: true, value: undefined };
      return { done: false, seen: waiting.map(({ a, s }) => `${formatAddress(a)}: link ${s.masterLinkStatus ?? '-'}, aof rewrite ${s.aofRewriteInProgress}`).join('; ') };
    },
    { timeoutMs: PRECONDITION_TIMEOUT_MS, intervalMs: 200, signal, onProgress: (ms, seen) => log.progress(`preconditions, ${(ms / 1000).toFixed(0)} s: ${seen}`) },
  );
}

async function writeCanaries(reach: Reach, seeds: HostPort[], victim: Victim, run: string, replicated: boolean): Promise<Canary[]> {
  const client = await openClusterClient(reach, seeds, { commandTimeoutMs: 5000, readyTimeoutMs: 10_000 });
  try {
    const canaries: Canary[] = Array.from({ length: CANARIES }, (_, i) => ({ key: `${hashTagIn(victim.slots, `rcr-canary-${run}-${i}`)}:canary`, value: `${run}:${i}` }));
    for (const c of canaries) {
      // WAIT pipelined with its write so it reaches the node that took the write.
      const replies = await client.pipeline().set(c.key, c.value).wait(replicated ? 1 : 0, 2000).exec();
      const failedReply = replies?.find(([err]) => err);
      if (!replies || failedReply) throw new Error(`writing canary ${c.key} failed: ${messageOf(failedReply?.[0])}`);
      if (replicated && Number(replies[1]?.[1]) < 1) throw new Error(`canary ${c.key} was not acknowledged by a replica within 2 s (WAIT 1)`);
      if ((await client.get(c.key)) !== c.value) throw new Error(`canary ${c.key} did not read back right after writing it`);
    }
    return canaries;
  } finally {
    client.disconnect();
  }
}

async function readCanaries(reach: Reach, seeds: HostPort[], canaries: Canary[] | undefined): Promise<Canary[] | undefined> {
  if (!canaries) return undefined;
  const client = await openClusterClient(reach, seeds, { commandTimeoutMs: 5000, readyTimeoutMs: 10_000 });
  try {
    const read: Canary[] = [];
    for (const c of canaries) read.push({ ...c, readBack: await client.get(c.key) });
    return read;
  } finally {
    client.disconnect();
  }
}

/** Half a second's worth of acknowledged writes before the fault: the writer is known to work when it starts failing. */
async function waitForSteadyWrites(writer: Writer, rate: number, signal: AbortSignal | undefined): Promise<void> {
  const wanted = Math.max(1, Math.ceil(rate / 2));
  await waitFor(
    `the writer's first ${wanted} acknowledged writes`,
    async () => {
      const acked = writer.records().filter((r) => r.ackAt !== undefined).length;
      const errors = writer.records().filter((r) => r.error !== undefined);
      return acked >= wanted ? { done: true, value: undefined } : { done: false, seen: `${acked} acknowledged, ${errors.length} failed${errors[0] ? ` (${errors[0].error})` : ''}` };
    },
    { timeoutMs: 10_000, intervalMs: 20, signal },
  );
}

async function waitForWritesRecovered(writer: Writer, log: Log, signal: AbortSignal | undefined): Promise<void> {
  try {
    await waitFor(
      'the writer to get a write acknowledged again',
      async () => {
        const w = writer.window();
        return !w || w.end !== undefined ? { done: true, value: undefined } : { done: false, seen: 'writes still refused' };
      },
      { timeoutMs: WRITES_RECOVER_TIMEOUT_MS, intervalMs: 50, signal },
    );
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    log.warn(`${err.message} (going on; the unavailable window stays open)`);
  }
}

function isRejoined(self: ClusterNode, promotedId: string | undefined, victim: Victim): boolean {
  if (promotedId) return self.flags.has('slave') && self.masterId === promotedId;
  return isMaster(self) && JSON.stringify(self.slots) === JSON.stringify(victim.slots);
}

/** Waits for the returned node to take its expected role; on timeout returns what it is, for the check to judge. */
async function waitForRejoin(reach: Reach, address: HostPort, promotedId: string | undefined, victim: Victim, timeoutMs: number, log: Log, signal: AbortSignal | undefined) {
  const expected = promotedId ? `a replica of ${promotedId}` : `the master of ${formatSlots(victim.slots).join(',')}`;
  let last: { self: ClusterNode; view: ClusterNode[] } | undefined;
  try {
    return await waitFor(
      `the recreated pod to rejoin as ${expected}`,
      async () => {
        const view = await clusterNodesOf(reach, address);
        last = { self: myself(view), view };
        return isRejoined(last.self, promotedId, victim) ? { done: true, value: last } : { done: false, seen: last.self.raw };
      },
      { timeoutMs, intervalMs: 50, signal, onProgress: (ms, seen) => log.progress(`rejoin, ${(ms / 1000).toFixed(0)} s: ${seen}`) },
    );
  } catch (err) {
    if (!(err instanceof TimeoutError) || !last) throw err;
    if (timeoutMs > 0) log.warn(err.message);
    return last;
  }
}

/** Waits for a healthy cluster; on timeout returns the last probe, whose problems are the evidence. */
async function waitForHealth(
  reach: Reach,
  addresses: HostPort[],
  expected: { nodes: number; masters: number },
  timeoutMs: number,
  log: Log,
  signal: AbortSignal | undefined,
): Promise<ClusterHealth> {
  let last: ClusterHealth | undefined;
  try {
    return await waitFor(
      `a healthy cluster (${expected.nodes} nodes, ${expected.masters} masters owning slots)`,
      async () => {
        last = await probeCluster(reach, addresses, expected);
        return last.healthy ? { done: true, value: last } : { done: false, seen: last.problems.slice(0, 3).join('; ') };
      },
      { timeoutMs, intervalMs: 200, signal, onProgress: (ms, seen) => log.progress(`cluster health, ${(ms / 1000).toFixed(0)} s: ${seen}`) },
    );
  } catch (err) {
    if (!(err instanceof TimeoutError) || !last) throw err;
    if (timeoutMs > 0) log.warn(err.message);
    return last;
  }
}

function describeWatch(w: WatchResult, path: FailoverPath, t0: number, masters: number): string {
  const ms = (t?: number) => (t === undefined ? 'not seen' : `${t - t0} ms`);
  const e = w.events;
  const base = `PFAIL ${ms(e.pfailSeen)}, FAIL ${ms(e.failSeen)}, promoted ${ms(e.promotedAt)}, cluster ok ${ms(e.clusterOkAt)}`;
  if (path === 'restarted-before-failover') return `Path: the pod came back before any failover (${ms(e.backBeforeFailoverAt)}); ${base}`;
  if (path === 'no-failover') return `Path: no failover within the timeout (${masters} master(s) owning slots); ${base}`;
  return `Path: failover; ${base}`;
}
