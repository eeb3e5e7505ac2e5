import type { Report } from '../report/model.ts';
import { decideBootstrap, findSelfBootstraps, type BootstrapDecision } from '../manifests/self-bootstrap.ts';
import type { PodInfo } from '../platform/platform.ts';
import type { PlatformWithNotes } from '../platform/select.ts';
import { bootstrapCluster } from '../redis/bootstrap.ts';
import type { FailoverTimeout } from '../redis/failover-timing.ts';
import { jobCause, waitForFormedCluster, type FormedCluster } from '../redis/formed-wait.ts';
import { planBootstrap, type TopologyRequest } from '../redis/plan.ts';
import { describeExposed, exposedOn, shardsOfPlan } from '../redis/placement.ts';
import { failoverFor, type SideInputs } from './inputs.ts';
import { addNote, type Side } from './side-state.ts';

const BOOTSTRAP_TIMEOUT_MS = 60_000;
/** Bound on the wait for a cluster the manifests form themselves: a Job's script waits for the pods first, and a
 * failing one retries on the Job controller's back-off (scaled down locally: platform/local/jobs.ts). */
const SELF_BOOTSTRAP_TIMEOUT_MS = 180_000;

/** The cluster as formed: its shape, and the failover timeout the scenarios wait with. */
export interface Formed {
  topology: TopologyRequest;
  failover: FailoverTimeout;
}

/** Who forms the cluster, judged on what is deployed first (the base manifests of a rollout). */
export function whoBootstraps(side: Side, inputs: SideInputs): BootstrapDecision {
  const deployed = inputs.base ?? inputs;
  const decision = decideBootstrap(side.config.bootstrap, findSelfBootstraps(deployed.set, deployed.redis));
  if (decision.note) {
    side.log.info(decision.note);
    addNote(side.report, decision.note);
  }
  return decision;
}

/** Forms the Redis Cluster on the deployed pods (or waits for the manifests to), into report.bootstrap. */
export async function bootstrap(
  side: Side,
  platform: PlatformWithNotes,
  pods: PodInfo[],
  inputs: SideInputs,
  decision: BootstrapDecision,
): Promise<Formed> {
  side.stage = 'bootstrapping the Redis Cluster';
  side.log.section?.('Bootstrap');
  const on: Pods = { platform, pods, port: (inputs.base ?? inputs).redis.port };
  const { durationMs, ...formed } =
    decision.by === 'self'
      ? await selfBootstrap(side, on, inputs, decision)
      : await toolBootstrap(side, on, inputs, decision);
  side.log.info(
    `bootstrap: ${decision.source}: ${formed.topology.masters} masters, ${formed.topology.replicasPerMaster} replica(s) each (${Math.round(durationMs)} ms)`,
  );
  return formed;
}

type Bootstrapped = Formed & { durationMs: number };

/** The deployed pods a bootstrap forms the cluster of, and the port Redis listens on there. */
interface Pods {
  platform: PlatformWithNotes;
  pods: PodInfo[];
  port: number;
}

/** The manifests form it (manifests/self-bootstrap.ts); the topology is then the one they formed. */
async function selfBootstrap(
  side: Side,
  on: Pods,
  inputs: SideInputs,
  decision: BootstrapDecision,
): Promise<Bootstrapped> {
  const { config, log, optionName } = side;
  log.info(`Bootstrap: ${decision.source}; waiting for a formed cluster (up to ${SELF_BOOTSTRAP_TIMEOUT_MS / 1000} s)`);
  const formed = await waitForSelfFormed(side, on, decision);
  if (
    (config.masters !== undefined && config.masters !== formed.masters) ||
    (config.replicasPerMaster !== undefined && config.replicasPerMaster !== formed.replicasPerMaster)
  ) {
    const note = `the manifests formed ${formed.masters} masters with ${formed.replicasPerMaster} replica(s) each; ${optionName('masters')}/${optionName('replicas-per-master')} apply to the tool's bootstrap only`;
    log.warn(note);
    addNote(side.report, note);
  }
  const topology = { masters: formed.masters, replicasPerMaster: formed.replicasPerMaster };
  // Redis' failover floor depends on the replicas per master (their election ranks): the formed count.
  const failover = failoverFor(side, inputs.redis, topology.replicasPerMaster);
  side.report.bootstrap = { changed: true, durationMs: formed.durationMs, ...topology, source: decision.source };
  return { topology, failover, durationMs: formed.durationMs };
}

/** Waits for the cluster the manifests form; a failed Job of theirs ends the wait, and explains a timeout. */
function waitForSelfFormed(side: Side, on: Pods, decision: BootstrapDecision): Promise<FormedCluster> {
  const { platform, pods, port } = on;
  const names = decision.found.map((f) => f.description);
  const jobs = async () => jobCause((await platform.manifestJobs?.()) ?? [], names);
  return waitForFormedCluster((a) => platform.reach(a), pods, port, {
    log: side.log,
    timeoutMs: SELF_BOOTSTRAP_TIMEOUT_MS,
    ...(side.signal ? { signal: side.signal } : {}),
    gaveUp: async () => {
      const j = await jobs();
      return j?.failed ? j.text : undefined;
    },
    cause: async () => (await jobs())?.text,
  });
}

/** The tool forms it as planned; shards the pods' placement leaves on one node are said. */
async function toolBootstrap(
  side: Side,
  on: Pods,
  inputs: SideInputs,
  decision: BootstrapDecision,
): Promise<Bootstrapped> {
  const { log } = side;
  const { platform, pods, port } = on;
  const { topology, failover } = inputs;
  const plan = planBootstrap(pods, topology);
  log.info(`Bootstrapping Redis Cluster: ${topology.masters} masters, ${topology.replicasPerMaster} replica(s) each`);
  const boot = await bootstrapCluster((a) => platform.reach(a), pods, port, plan, {
    log,
    timeoutMs: BOOTSTRAP_TIMEOUT_MS,
    signal: side.signal,
  });
  const record: NonNullable<Report['bootstrap']> = {
    changed: boot.changed,
    durationMs: boot.durationMs,
    ...topology,
    source: decision.source,
  };
  side.report.bootstrap = record;
  const exposed = shardsOfPlan(plan, pods).filter((s) => exposedOn(s) !== undefined);
  if (exposed.length) {
    record.exposed = exposed.map(describeExposed);
    log.warn(`Bootstrap: the pods' placement leaves no better plan: ${record.exposed.join('; ')}`);
  }
  return { topology, failover, durationMs: boot.durationMs };
}
