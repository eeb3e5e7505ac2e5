import type { Redis } from 'ioredis';
import type { HostPort, PodInfo } from '../platform/platform.ts';
import type { Log } from '../util/log.ts';
import { waitFor, type ProbeResult } from '../util/wait.ts';
import { messageOf } from '../errors.ts';
import type { BootstrapPlan, ClusterNode } from './types.ts';
import { formatAddress, openNode, type Reach } from './connect.ts';
import { formatSlots, myself } from './cluster-nodes.ts';
import { clusterViewFrom, probeCluster, replicationFrom } from './health.ts';
import { foreignState, foreignStateError } from './foreign-state.ts';

export interface BootstrapOptions {
  log: Log;
  /** Bound on the whole bootstrap, waits included. */
  timeoutMs: number;
  /** The run's cancel: every wait ends with CancelledError once it is aborted. */
  signal?: AbortSignal;
}

export interface BootstrapResult {
  /** false when the cluster already matched the plan and no command that changes state was sent. */
  changed: boolean;
  durationMs: number;
  plan: BootstrapPlan;
  /** Time from the start to each stage, for benchmarks and the report's timings. */
  phasesMs: { converged: number; clusterOk: number; replicasLinked: number };
}

/** One planned master and its replicas, and the member that actually owns the slots now. */
interface Group {
  index: number;
  range: [number, number];
  /** The planned master first, then its planned replicas. */
  members: Member[];
  /** The planned master, or the member holding the slots after a failover swapped the roles. */
  master: Member;
}

export interface Member {
  pod: PodInfo;
  address: HostPort;
  conn: Redis;
  me: ClusterNode;
  nodes: ClusterNode[];
  info: Record<string, string>;
  keys: number;
}

interface Actions {
  addSlots: Array<{ member: Member; range: [number, number]; epoch?: number }>;
  meet: Array<{ from: Member; to: Member }>;
  replicate: Array<{ member: Member; master: Member }>;
}

/**
 * Distinct config epochs spare the masters Redis' own collision resolution, nothing more: a node that met
 * another between our snapshot and this call (a MEET in flight from a partly formed cluster) refuses the epoch,
 * and Redis then resolves the collision itself, so that refusal is not a failure.
 */
async function setConfigEpoch(member: Member, epoch: number): Promise<void> {
  try {
    await member.conn.call('CLUSTER', 'SET-CONFIG-EPOCH', String(epoch));
  } catch (err) {
    if (!messageOf(err).includes('only when the node does not know any other node')) throw err;
  }
}

/**
 * Makes the cluster match `plan`, in the fast order measured here (what redis-cli does): ADDSLOTSRANGE and
 * SET-CONFIG-EPOCH on the masters, MEET, wait until every node lists every other with no handshake/noaddr
 * flag, REPLICATE (while cluster_state:ok is awaited: a replica only needs to know its master), then wait until
 * every replica's link is up and its first AOF is written (a replica ignores SIGTERM until then) and the
 * cluster is healthy. Three speed-ups over redis-cli, each measured here: every pair of nodes is MEET directly
 * rather than all through one node (no waiting for gossip to spread: ~0.1 s instead of 1-3.5 s); masters and
 * new replicas then MEET every other node once more, which spreads slots and roles at once (see announce);
 * and a master's first full sync starts as soon as all its new replicas ask (repl-diskless-sync-max-replicas,
 * set for the bootstrap and restored after) instead of after repl-diskless-sync-delay (5 s by default).
 * What remains is Redis' own floor: a master that held slots before it could see a majority of masters stays
 * cluster_state:fail for min(cluster-node-timeout, 5 s) after ADDSLOTSRANGE (none in a process's first 2 s).
 *
 * Idempotent: each step is only taken where it is missing, so a partly formed cluster is completed and a
 * formed one gets no command that changes state (changed: false). A group whose roles were swapped by a
 * failover (a planned replica now owns the planned slots and the planned master follows it) counts as
 * matching: it is the same cluster after doing its job, and "fixing" it would be a needless failover.
 * Anything that contradicts the plan (other slots, a replica of another master, keys on a node that would
 * have to be emptied) is an Error listing every difference; nothing is wiped. State that predates the pods
 * (nodes of another cluster, or of a previous run on the same volumes) is a ForeignClusterStateError saying so.
 */
export async function bootstrapCluster(
  reach: Reach,
  pods: PodInfo[],
  port: number,
  plan: BootstrapPlan,
  opts: BootstrapOptions,
): Promise<BootstrapResult> {
  const start = Date.now();
  const deadline = start + opts.timeoutMs;
  const { log } = opts;
  const planned = plannedPods(pods, plan);
  const members: Member[] = [];
  const restores: Array<() => Promise<unknown>> = [];
  try {
    const opened = await Promise.allSettled(planned.map((pod) => openMember(reach, pod, port)));
    for (const o of opened) if (o.status === 'fulfilled') members.push(o.value);
    const failed = opened.find((o) => o.status === 'rejected');
    if (failed) throw failed.reason;

    const groups = groupsOf(plan, members);
    const actions = decide(groups, members);
    const changed = actions.addSlots.length + actions.meet.length + actions.replicate.length > 0;
    const swapped = groups.filter((g) => g.master.pod.name !== plan.masters[g.index]!.pod);
    for (const g of swapped)
      log.info(
        `${g.master.pod.name} owns slots ${formatSlots([g.range]).join(',')} in place of ${plan.masters[g.index]!.pod} (roles swapped by a failover): left as is`,
      );
    log.info(
      changed
        ? `bootstrapping the Redis Cluster: ${describeActions(actions)}`
        : 'the Redis Cluster already matches the plan: no change',
    );

    await Promise.all(
      actions.addSlots.map(async ({ member, range, epoch }) => {
        await member.conn.call('CLUSTER', 'ADDSLOTSRANGE', String(range[0]), String(range[1]));
        if (epoch !== undefined) await setConfigEpoch(member, epoch);
      }),
    );
    await Promise.all(actions.meet.map(({ from, to }) => from.conn.call('CLUSTER', 'MEET', to.pod.ip, String(port))));

    const wait = <T>(what: string, probe: () => Promise<ProbeResult<T>>): Promise<T> =>
      waitFor(what, probe, {
        timeoutMs: Math.max(1, deadline - Date.now()),
        intervalMs: 25,
        signal: opts.signal,
        onProgress: (ms, seen) => log.progress(`${what} (${(ms / 1000).toFixed(0)} s): ${seen}`),
      });
    const done = (what: string): number => {
      const ms = Date.now() - start;
      if (changed) log.progress(`${what} after ${(ms / 1000).toFixed(1)} s`);
      return ms;
    };
    await wait('every node to know every other (no handshake/noaddr)', () => converged(members));
    const convergedMs = done('every node knows every other');
    if (actions.meet.length > 0 || actions.addSlots.length > 0)
      await announce(
        groups.map((g) => g.master),
        members,
        port,
      );
    restores.push(...(await syncWithoutDelay(actions.replicate, log)));
    await Promise.all(
      actions.replicate.map(({ member, master }) => member.conn.call('CLUSTER', 'REPLICATE', master.me.id)),
    );
    await announce(
      actions.replicate.map((r) => r.member),
      members,
      port,
    );
    await wait('cluster_state:ok on every node', () => allOk(members));
    const clusterOk = done('cluster_state:ok on every node');
    await wait('every replica linked to its master with its first AOF written', () => replicasSettled(groups));
    const replicasLinked = done('every replica linked');
    await wait('a healthy cluster seen the same from every node', async () => {
      const health = await probeCluster(
        reach,
        members.map((m) => m.address),
        { nodes: members.length, masters: groups.length },
      );
      return health.healthy
        ? { done: true, value: health }
        : { done: false, seen: health.problems.slice(0, 3).join('; ') };
    });
    await wait("every node to see each replica in its master's shard (CLUSTER SHARDS)", () =>
      shardsSettled(members, groups.length),
    );
    const durationMs = Date.now() - start;
    if (changed) log.info(`Redis Cluster bootstrapped in ${(durationMs / 1000).toFixed(1)} s`);
    return { changed, durationMs, plan, phasesMs: { converged: convergedMs, clusterOk, replicasLinked } };
  } finally {
    await Promise.allSettled(restores.map((restore) => restore()));
    for (const m of members) m.conn.disconnect();
  }
}

/**
 * A node learns another's slots and role only from a packet that node itself sends once it is known; regular
 * pings reach every pair only after up to cluster-node-timeout/2. A MEET from a node already known is taken
 * as such a packet (slots and role updated at once; the extra handshake entry is dropped when the PONG comes
 * back), so one more MEET from each of `from` to every other node spreads what changed in one cron tick. It
 * is the same effect redis-cli gets when gossip-discovered nodes MEET each other. Measured: slot map known
 * everywhere ~0.1 s after convergence instead of up to 2.5 s (at cluster-node-timeout 5000).
 */
async function announce(from: Member[], members: Member[], port: number): Promise<void> {
  await Promise.all(
    from.flatMap((a) =>
      members.filter((m) => m !== a).map((m) => a.conn.call('CLUSTER', 'MEET', m.pod.ip, String(port))),
    ),
  );
}

/**
 * With diskless sync a master waits repl-diskless-sync-delay for more replicas before its first full sync;
 * telling it how many replicas to expect (repl-diskless-sync-max-replicas) starts the sync as soon as they all
 * ask. Returns what puts the old values back. A node that refuses CONFIG (renamed, ACL) just syncs slower.
 */
async function syncWithoutDelay(replicate: Actions['replicate'], log: Log): Promise<Array<() => Promise<unknown>>> {
  const count = new Map<Member, number>();
  for (const { master } of replicate) count.set(master, (count.get(master) ?? 0) + 1);
  const restores = await Promise.all(
    [...count].map(async ([master, replicas]) => {
      try {
        const conf = await master.conn.call('CONFIG', 'GET', 'repl-diskless-sync-max-replicas');
        const old = Array.isArray(conf) ? String(conf[1]) : undefined;
        if (old === undefined || old === String(replicas)) return [];
        await master.conn.call('CONFIG', 'SET', 'repl-diskless-sync-max-replicas', String(replicas));
        return [() => master.conn.call('CONFIG', 'SET', 'repl-diskless-sync-max-replicas', old)];
      } catch (err) {
        log.warn(
          `${master.pod.name}: cannot shorten the first sync (${messageOf(err)}); replicas wait for repl-diskless-sync-delay`,
        );
        return [];
      }
    }),
  );
  return restores.flat();
}

function plannedPods(pods: PodInfo[], plan: BootstrapPlan): PodInfo[] {
  const names = [...plan.masters.map((m) => m.pod), ...plan.replicas.map((r) => r.pod)];
  const extra = pods.filter((p) => !names.includes(p.name)).map((p) => p.name);
  if (extra.length > 0) throw new Error(`pods ${extra.join(', ')} are not in the bootstrap plan`);
  return names.map((name) => {
    const pod = pods.find((p) => p.name === name);
    if (!pod)
      throw new Error(
        `the bootstrap plan names pod ${name}, which does not exist (pods: ${pods.map((p) => p.name).join(', ')})`,
      );
    if (!pod.ip) throw new Error(`pod ${name} has no IP yet`);
    return pod;
  });
}

async function openMember(reach: Reach, pod: PodInfo, port: number): Promise<Member> {
  const address = { host: pod.ip, port };
  const conn = await openNode(reach, address);
  try {
    const [{ nodes, info }, keys] = await Promise.all([clusterViewFrom(conn), conn.call('DBSIZE')]);
    return { pod, address, conn, me: myself(nodes), nodes, info, keys: Number(keys) };
  } catch (err) {
    conn.disconnect();
    throw new Error(`reading the cluster state of pod ${pod.name} (${formatAddress(address)}): ${messageOf(err)}`, {
      cause: err,
    });
  }
}

function groupsOf(plan: BootstrapPlan, members: Member[]): Group[] {
  const byName = new Map(members.map((m) => [m.pod.name, m]));
  return plan.masters.map((pm, index) => {
    const planned = byName.get(pm.pod)!;
    const replicas = plan.replicas.filter((r) => r.master === pm.pod).map((r) => byName.get(r.pod)!);
    const members = [planned, ...replicas];
    const owner = members.find((m) => m.me.slots.length > 0);
    return { index, range: pm.slots, members, master: owner ?? planned };
  });
}

const who = (m: Member): string => `${m.pod.name} (${m.pod.ip})`;

/** What is missing, or an Error naming every contradiction with the plan. */
function decide(groups: Group[], members: Member[]): Actions {
  const actions: Actions = { addSlots: [], meet: [], replicate: [] };
  const problems: string[] = [];
  const ids = new Map(members.map((m) => [m.me.id, m]));

  // State that predates the pods (another cluster's, a previous run's on Retain volumes) is not a plan
  // contradiction to list: it gets its own explanation, before anything is compared or changed.
  const foreign = foreignState(members);
  if (foreign.length > 0) throw foreignStateError(foreign);
  for (const g of groups) {
    const want = formatSlots([g.range]).join();
    const owners = g.members.filter((m) => m.me.slots.length > 0);
    for (const o of owners) {
      const has = formatSlots(o.me.slots).join(',');
      const planned = g.members[0]!;
      if (owners.length > 1 || has !== want)
        problems.push(
          `${who(o)} owns slots ${has}, the plan gives ${want} to ${o === planned ? 'it' : planned.pod.name}`,
        );
    }
    const master = g.master;
    if (master.me.flags.has('slave'))
      problems.push(
        `${who(master)} replicates ${master.me.masterId ?? '(none)'}, the plan makes it the master of ${want}`,
      );
    else if (owners.length === 0) {
      if (master.keys > 0)
        problems.push(
          `${who(master)} holds ${master.keys} keys but no slots; the plan gives it ${want} (keys may belong to other slots; empty it first)`,
        );
      // SET-CONFIG-EPOCH is only accepted by a node that knows no other node (a fresh one).
      const fresh = master.info.cluster_known_nodes === '1' && master.me.configEpoch === 0;
      actions.addSlots.push({ member: master, range: g.range, ...(fresh ? { epoch: g.index + 1 } : {}) });
    }
    for (const m of g.members) {
      if (m === master) continue;
      if (m.me.flags.has('slave')) {
        if (m.me.masterId !== master.me.id) {
          const other = ids.get(m.me.masterId ?? '');
          problems.push(
            `${who(m)} replicates ${other ? other.pod.name : (m.me.masterId ?? '(none)')}, the plan has it follow ${master.pod.name}`,
          );
        }
      } else if (m.me.slots.length === 0) {
        if (m.keys > 0)
          problems.push(`${who(m)} holds ${m.keys} keys; making it a replica of ${master.pod.name} would discard them`);
        actions.replicate.push({ member: m, master });
      }
    }
  }
  if (problems.length > 0)
    throw new Error(`the Redis Cluster contradicts the bootstrap plan; not changing it:\n- ${problems.join('\n- ')}`);

  const knows = (a: Member, b: Member): boolean =>
    a.nodes.some((n) => n.id === b.me.id && n.ip === b.pod.ip && !n.flags.has('handshake') && !n.flags.has('noaddr'));
  members.forEach((a, i) => {
    for (const b of members.slice(i + 1)) if (!knows(a, b) && !knows(b, a)) actions.meet.push({ from: a, to: b });
  });
  return actions;
}

function describeActions(a: Actions): string {
  const parts: string[] = [];
  if (a.addSlots.length) parts.push(`slots to ${a.addSlots.map((x) => x.member.pod.name).join(', ')}`);
  if (a.meet.length) parts.push(`${a.meet.length} MEETs`);
  if (a.replicate.length)
    parts.push(`replicas ${a.replicate.map((x) => `${x.member.pod.name}->${x.master.pod.name}`).join(', ')}`);
  return parts.join('; ');
}

async function refresh(m: Member): Promise<void> {
  const { nodes, info } = await clusterViewFrom(m.conn);
  Object.assign(m, { nodes, info, me: myself(nodes) });
}

async function converged(members: Member[]): Promise<ProbeResult<true>> {
  await Promise.all(members.map(refresh));
  const missing: string[] = [];
  for (const m of members) {
    for (const other of members) {
      const entry = m.nodes.find((n) => n.id === other.me.id);
      if (entry?.ip !== other.pod.ip || entry.flags.has('handshake') || entry.flags.has('noaddr')) {
        missing.push(
          `${m.pod.name} ${entry ? `lists ${other.pod.name} as ${[...entry.flags].join(',')}` : `does not know ${other.pod.name}`}`,
        );
      }
    }
  }
  return missing.length === 0
    ? { done: true, value: true }
    : { done: false, seen: `${missing.length} missing links, e.g. ${missing.slice(0, 3).join('; ')}` };
}

async function allOk(members: Member[]): Promise<ProbeResult<true>> {
  await Promise.all(members.map(refresh));
  const notOk = members.filter((m) => m.info.cluster_state !== 'ok');
  return notOk.length === 0
    ? { done: true, value: true }
    : {
        done: false,
        seen: notOk.map((m) => `${m.pod.name} cluster_state:${m.info.cluster_state ?? '(missing)'}`).join(', '),
      };
}

/**
 * Servers with shard ids (Redis 7.2+, Valkey) agree on a replica's shard id only some gossip rounds after it
 * attached; a node restarted before then can persist a replica and its master under different shard ids and
 * refuse to start ("Unrecoverable error: corrupted cluster config file": valkey-io/valkey#774 and #2171, seen
 * here on valkey-server 8.0.1 in a replica-loss right after the bootstrap). CLUSTER SHARDS groups nodes by shard
 * id, so every node listing exactly one shard per master means they agree. Redis 7.0 groups by master: at once.
 */
export async function shardsSettled(
  members: Array<Pick<Member, 'pod' | 'conn'>>,
  masters: number,
): Promise<ProbeResult<true>> {
  const pending: string[] = [];
  await Promise.all(
    members.map(async (m) => {
      let shards: unknown[];
      try {
        shards = (await m.conn.call('CLUSTER', 'SHARDS')) as unknown[];
      } catch (err) {
        // Before 7.0 there is no CLUSTER SHARDS, and no shard ids to disagree on.
        if (/unknown subcommand/i.test(messageOf(err))) return;
        throw err;
      }
      if (shards.length !== masters) pending.push(`${m.pod.name} lists ${shards.length} shards`);
    }),
  );
  return pending.length === 0 ? { done: true, value: true } : { done: false, seen: pending.join(', ') };
}

async function replicasSettled(groups: Group[]): Promise<ProbeResult<true>> {
  const pending: string[] = [];
  await Promise.all(
    groups.flatMap((g) =>
      g.members
        .filter((m) => m !== g.master)
        .map(async (m) => {
          const r = await replicationFrom(m.conn);
          if (r.role !== 'slave' || r.masterHost !== g.master.pod.ip)
            pending.push(`${m.pod.name} role:${r.role} master_host:${r.masterHost ?? '-'}`);
          else if (r.masterLinkStatus !== 'up')
            pending.push(`${m.pod.name} master_link_status:${r.masterLinkStatus ?? '-'}`);
          else if (r.aofRewriteInProgress) pending.push(`${m.pod.name} aof_rewrite_in_progress:1`);
        }),
    ),
  );
  return pending.length === 0 ? { done: true, value: true } : { done: false, seen: pending.join(', ') };
}
