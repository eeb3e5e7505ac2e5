import pkg from '../package.json' with { type: 'json' };
import { publicConfig, type Config } from './config.ts';
import { errorChain, InputError, messageOf, placeOf } from './errors.ts';
import { blockingFindings, lintWithConfig, manifestsSource, readManifests } from './prepare.ts';
import { createPlatform, resolvePlatformKind } from './platform/select.ts';
import { redisAuth } from './redis/auth.ts';
import { bootstrapCluster } from './redis/bootstrap.ts';
import { failoverTimeout, nodeTimeoutOf } from './redis/failover-timing.ts';
import { serverVersionOf } from './redis/health.ts';
import { warnUnknownFlags } from './redis/cluster-nodes.ts';
import { chooseTopology, planBootstrap } from './redis/plan.ts';
import { decideBootstrap, findSelfBootstraps } from './manifests/self-bootstrap.ts';
import { jobCause, waitForFormedCluster } from './redis/formed-wait.ts';
import { describeExposed, exposedOn, shardsOfPlan } from './redis/placement.ts';
import { judgePlacement } from './scenarios/placement-check.ts';
import { REPORT_SCHEMA_VERSION, type Report } from './report/model.ts';
import { applyComparison } from './report/comparison.ts';
import { collectEvidence } from './report/evidence.ts';
import { checkReportDir, clearReportDir } from './report/write.ts';
import { runScenario, type ScenarioSettings } from './scenarios/index.ts';
import type { JournalStore } from './undo/journal.ts';
import { cleanStaleRuns, createRunDir, defaultRunsRoot, finishRunDir } from './undo/work-dir.ts';
import type { Log } from './util/log.ts';
import type { ManifestSet, RedisDeployment } from './manifests/model.ts';
import { displayPath } from './util/paths.ts';
import { cancelCause } from './util/termination.ts';

export interface PipelineOptions {
  log: Log;
  /** Local platform only: the /24 to take pod addresses from when --address-base is not given (tests pass their own). */
  addressBase?: string;
  /** Where run dirs live (undo/work-dir.ts; default: defaultRunsRoot()); the dirs of killed runs found there
   * are cleaned up first. */
  workDirs?: {
    root?: string;
    /** Where the undo journal is kept: default a file in the run dir (CLI); the action passes its state. */
    store?: JournalStore;
    /** Told the run dir once it exists (the action records it for its post step). */
    created?: (dir: string) => void;
  };
  /** What becomes of a kind cluster at the end, decided by the caller (PlatformContext.retain). */
  retain?: 'defer' | 'keep';
  /** The GitHub Action is the caller (platform auto then requires Docker, see resolvePlatformKind). */
  inAction?: boolean;
  /** Aborted on SIGINT/SIGTERM (see util/termination.ts): the run stops waiting, releases the hold, tears down,
   * and its report says `cancelled`. */
  signal?: AbortSignal;
  /** How the user names an option in this run (`--failover-timeout` in a CLI run, `input failover-timeout` in
   * the action), for messages; default: the bare name. */
  optionName?: (name: string) => string;
}

const BOOTSTRAP_TIMEOUT_MS = 60_000;
/** Bound on the wait for a cluster the manifests form themselves: a Job's script waits for the pods first, and a
 * failing one retries on the Job controller's back-off (scaled down locally: platform/local/jobs.ts). */
export const SELF_BOOTSTRAP_TIMEOUT_MS = 180_000;

/**
 * The Kubernetes version lint judges the manifests for: the kubernetes-version input, else on kind the node
 * image's (the cluster the run creates), on existing the server's (asked, bounded), else lint's own default.
 */
async function lintTarget(config: Config, platform: string, log: Log): Promise<string | undefined> {
  if (config.kubernetesVersion) return config.kubernetesVersion;
  if (platform === 'kind') {
    const { kindNodeKubernetesVersion } = await import('./platform/kind-install.ts');
    const version = kindNodeKubernetesVersion(config.kindVersion, config.nodeImage);
    if (version) log.info(`lint: Kubernetes ${version}, the version of the kind node image`);
    return version;
  }
  if (platform === 'existing') {
    const { serverKubernetesVersion } = await import('./platform/kube/api.ts');
    const version = await serverKubernetesVersion(config.kubeconfig, { secret: log.secret });
    log.info(
      version.version
        ? `lint: Kubernetes ${version.version}, the server's version`
        : `lint: the server's version is unknown (${version.why ?? 'no reason given'}); linting for the default`,
    );
    return version.version;
  }
  return undefined;
}

/** The nodes the pods will spread over: kind's workers (or the local platform's emulated ones); unknown on an
 * existing cluster. */
function kubernetesNodes(config: Config, platform: string): number | undefined {
  return platform === 'existing' ? undefined : Math.max(1, config.workers);
}

function emptyReport(config: Config, platform: string, startedAt: Date): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'redis-cluster-resilience', version: pkg.version },
    verdict: 'error',
    startedAt: startedAt.toISOString(),
    durationMs: 0,
    platform,
    manifests: manifestsSource(config),
    config: publicConfig(config),
    lint: [],
    nfsRewrites: [],
    scenarios: [],
  };
}

/**
 * The whole check: manifests → lint → platform → bootstrap → scenario → report. Never throws for a failed
 * check or a broken platform (the report says what happened); throws InputError for input it cannot use.
 * With base-manifests and a scenario other than rollout, those scenarios run on the base manifests first (a
 * fresh cluster, the same settings), and the head's report puts the base's figures beside its own.
 */
export async function runCheck(config: Config, options: PipelineOptions): Promise<Report> {
  const compared = config.scenario.filter((n) => n !== 'rollout');
  if (!config.baseManifests || compared.length === 0) return runSide(config, options);
  const { log } = options;
  log.section?.('Base manifests: the same scenarios, for comparison');
  log.info(`Comparison: ${compared.join(', ')} on the base manifests ${displayPath(config.baseManifests)} first`);
  // The base side's kind cluster is deleted at its end whatever keep-cluster says (retain unset): the head side
  // creates its own by the same name, and only that one is the user's to keep.
  const { retain: _headOnly, ...baseOptions } = options;
  const base = await runSide(
    { ...config, manifests: config.baseManifests, baseManifests: undefined, scenario: compared },
    { ...baseOptions, log: prefixedLog(log, 'base: ') },
  );
  if (base.verdict === 'cancelled') return base;
  const head = await runSide(config, options);
  if (head.verdict === 'cancelled' || head.scenarios.length === 0) return head;
  head.comparison = applyComparison({ ...base, manifests: displayPath(config.baseManifests) }, head, config);
  if (head.verdict === 'pass' && head.scenarios.some((s) => s.status === 'fail')) head.verdict = 'fail';
  return head;
}

/** Every line of `log` prefixed (the base side of a comparison). */
function prefixedLog(log: Log, prefix: string): Log {
  return {
    ...log,
    info: (m) => log.info(prefix + m),
    warn: (m) => log.warn(prefix + m),
    progress: (m) => log.progress(prefix + m),
  };
}

async function runSide(config: Config, options: PipelineOptions): Promise<Report> {
  const { log, signal } = options;
  const optionName = options.optionName ?? ((name: string) => name);
  const startedAt = new Date();
  await checkReportDir(config.reportDir);
  // What an earlier run left there must not ship with this run's report (e.g. its timeline SVG).
  await clearReportDir(config.reportDir);
  const platformKind = await resolvePlatformKind(config, { inAction: options.inAction, log });
  const report = emptyReport(config, platformKind, startedAt);
  let stage = 'starting';
  const finish = (): Report => {
    // Whatever the run got to, a cancel is what ended it (a check that failed on the way is still in the report).
    if (signal?.aborted) {
      report.verdict = 'cancelled';
      report.error =
        report.scenarios.find((s) => s.status === 'cancelled')?.error ??
        `cancelled by ${cancelCause(signal)} while ${stage}`;
    }
    report.durationMs = Date.now() - startedAt.getTime();
    return report;
  };

  const { set, redis } = await readManifests(config, signal);
  log.info(`Manifests: ${set.objects.length} objects from ${set.files.length} files of ${manifestsSource(config)}`);
  // rollout: the base manifests are what is deployed and bootstrapped; the head ones are applied over them.
  const base = await rolloutBase(config, optionName, log);
  const scenarios = base ? ['rollout' as const, ...config.scenario.filter((n) => n !== 'rollout')] : config.scenario;
  // Checked before anything starts: a topology that cannot fit the StatefulSet is bad input (exit 2).
  const topology = chooseTopology((base?.redis ?? redis).replicas, config);
  // Known before anything is deleted: a wait shorter than Redis needs is said now, not after a failed check.
  let failover = failoverTimeout(
    config.failoverTimeoutMs,
    nodeTimeoutOf(redis),
    topology.replicasPerMaster,
    optionName('failover-timeout'),
  );
  report.config.failoverTimeoutMs = failover.timeoutMs;
  if (failover.source === 'node-timeout')
    log.info(
      `Failover timeout: ${failover.timeoutMs} ms (cluster-node-timeout ${failover.nodeTimeoutMs}: Redis may need up to ${failover.floorMs} ms)`,
    );
  if (failover.warning) {
    log.warn(failover.warning);
    (report.notes ??= []).push(failover.warning);
  }
  // The password is looked up before anything starts: one the manifests set but do not hold is bad input.
  const auth = redisAuth(
    redis,
    config.redisPassword ? { password: config.redisPassword, source: 'the redis-password input' } : undefined,
  );
  if (auth) log.info(`Redis password: from ${auth.source}${auth.username ? `, user ${auth.username}` : ''}`);
  const kubernetesVersion = await lintTarget(config, platformKind, log);
  report.lint = lintWithConfig(set, topology, { kubernetesVersion }, kubernetesNodes(config, platformKind));
  const blocking = blockingFindings(report.lint, config.failOnLint);
  if (blocking.length > 0) {
    report.verdict = 'fail';
    report.error = `lint found ${blocking.length} finding(s) at or above ${optionName('fail-on-lint')} ${config.failOnLint}; nothing was deployed`;
    return finish();
  }
  if (signal?.aborted) return finish(); // nothing was started yet
  // Who forms the cluster, judged on what is deployed first (the base manifests of a rollout).
  const decision = decideBootstrap(config.bootstrap, findSelfBootstraps(base?.set ?? set, base?.redis ?? redis));
  if (decision.note) {
    log.info(decision.note);
    (report.notes ??= []).push(decision.note);
  }
  const withoutWithheld = (s: ManifestSet): ManifestSet =>
    decision.withheld.length ? { ...s, objects: s.objects.filter((o) => !decision.withheld.includes(o)) } : s;

  const { root = defaultRunsRoot(), store, created } = options.workDirs ?? {};
  const stale = await cleanStaleRuns(root, log);
  if (stale.failed.length)
    log.warn(`runs that did not finish left changes that could not be undone: ${stale.failed.join('; ')}`);
  const run = await createRunDir(root, store);
  created?.(run.dir);
  const platform = await createPlatform(
    platformKind,
    config,
    { log, workDir: run.dir, retain: options.retain, signal, undo: run.journal, ...(auth ? { auth } : {}) },
    { addressBase: config.addressBase ?? options.addressBase },
  );
  const stopFlagWarnings = warnUnknownFlags(log);
  // Once the platform is up, every error ends in a report (verdict error), bad input the server refused included.
  let platformUp = false;
  try {
    stage = `provisioning the ${platformKind} platform`;
    log.section?.(`Platform ${platformKind}: provision and deploy`);
    log.info(`Platform ${platformKind}: provisioning`);
    await platform.provision();
    platformUp = true;
    const deployed = base ?? { set, redis };
    stage = `deploying StatefulSet ${redis.name}`;
    log.info(
      `Deploying StatefulSet ${redis.name} (${deployed.redis.replicas} pods)${base ? ` from the base manifests ${displayPath(base.dir)}` : ''}`,
    );
    report.nfsRewrites = (await platform.deploy(withoutWithheld(deployed.set), deployed.redis)).nfsRewrites;
    if (platform.reachMode) report.reach = platform.reachMode;
    const localMode = platform.localMode?.();
    if (localMode) report.localMode = localMode;

    const pods = await platform.listPods();
    report.server = await serverVersionOf(
      (a) => platform.reach(a),
      pods.map((p) => ({ host: p.ip, port: redis.port })),
    );
    log.info(`Pods run ${report.server.name} ${report.server.version}`);
    if (report.server.name !== deployed.redis.server.name) {
      log.warn(
        `the manifests run ${deployed.redis.server.name} (${deployed.redis.server.program}), but the pods answer as ${report.server.name}`,
      );
    }
    stage = 'bootstrapping the Redis Cluster';
    log.section?.('Bootstrap');
    if (decision.by === 'self') {
      // The manifests form it (manifests/self-bootstrap.ts); the topology is then the one they formed.
      log.info(
        `Bootstrap: ${decision.source}; waiting for a formed cluster (up to ${SELF_BOOTSTRAP_TIMEOUT_MS / 1000} s)`,
      );
      const names = decision.found.map((f) => f.description);
      const jobs = async () => jobCause((await platform.manifestJobs?.()) ?? [], names);
      const formed = await waitForFormedCluster((a) => platform.reach(a), pods, deployed.redis.port, {
        log,
        timeoutMs: SELF_BOOTSTRAP_TIMEOUT_MS,
        ...(signal ? { signal } : {}),
        gaveUp: async () => {
          const j = await jobs();
          return j?.failed ? j.text : undefined;
        },
        cause: async () => (await jobs())?.text,
      });
      if (
        (config.masters !== undefined && config.masters !== formed.masters) ||
        (config.replicasPerMaster !== undefined && config.replicasPerMaster !== formed.replicasPerMaster)
      ) {
        const note = `the manifests formed ${formed.masters} masters with ${formed.replicasPerMaster} replica(s) each; ${optionName('masters')}/${optionName('replicas-per-master')} apply to the tool's bootstrap only`;
        log.warn(note);
        (report.notes ??= []).push(note);
      }
      topology.masters = formed.masters;
      topology.replicasPerMaster = formed.replicasPerMaster;
      // Redis' failover floor depends on the replicas per master (their election ranks): the formed count.
      failover = failoverTimeout(
        config.failoverTimeoutMs,
        nodeTimeoutOf(redis),
        topology.replicasPerMaster,
        optionName('failover-timeout'),
      );
      report.config.failoverTimeoutMs = failover.timeoutMs;
      report.bootstrap = { changed: true, durationMs: formed.durationMs, ...topology, source: decision.source };
    } else {
      const plan = planBootstrap(pods, topology);
      log.info(
        `Bootstrapping Redis Cluster: ${topology.masters} masters, ${topology.replicasPerMaster} replica(s) each`,
      );
      const boot = await bootstrapCluster((a) => platform.reach(a), pods, deployed.redis.port, plan, {
        log,
        timeoutMs: BOOTSTRAP_TIMEOUT_MS,
        signal,
      });
      report.bootstrap = { changed: boot.changed, durationMs: boot.durationMs, ...topology, source: decision.source };
      const exposed = shardsOfPlan(plan, pods).filter((s) => exposedOn(s) !== undefined);
      if (exposed.length) {
        report.bootstrap.exposed = exposed.map(describeExposed);
        log.warn(`Bootstrap: the pods' placement leaves no better plan: ${report.bootstrap.exposed.join('; ')}`);
      }
    }
    log.info(
      `bootstrap: ${decision.source}: ${topology.masters} masters, ${topology.replicasPerMaster} replica(s) each (${Math.round(report.bootstrap.durationMs)} ms)`,
    );
    // Where the shards run, judged on the live cluster now and after every scenario (a failover or a rescheduled
    // pod can put a master and its replica on one node after a bootstrap that kept them apart).
    const placementSeverity = config.placement;
    const judge = async (when: string) => {
      if (placementSeverity === 'off') return undefined;
      const check = await judgePlacement(platform, redis.port, placementSeverity, when);
      if (check.status === 'fail') log.warn(`placement: ${check.summary}`);
      else log.info(`placement: ${check.summary}`);
      return check;
    };
    const afterBootstrap = await judge('after the bootstrap');
    if (afterBootstrap) report.bootstrap.placement = afterBootstrap;

    const settings: ScenarioSettings = {
      victim: config.victim,
      restartSpare: config.restartSpare,
      holdRestart: config.holdRestart,
      killMode: config.killMode,
      writeRate: config.writeRate,
      writeWait: config.writeWait,
      failoverTimeoutMs: failover.timeoutMs,
      failoverFloorMs: failover.floorMs,
      rejoinTimeoutMs: config.rejoinTimeoutMs,
      ...(config.partitionMs !== undefined ? { partitionMs: config.partitionMs } : {}),
      nodeLossMode: config.nodeLossMode,
      thresholds: {
        maxFailoverMs: config.maxFailoverMs,
        maxUnavailableMs: config.maxUnavailableMs,
        maxLostWrites: config.maxLostWrites,
        maxReformMs: config.maxReformMs,
      },
      expected: { nodes: pods.length, masters: topology.masters },
    };
    // In order on the same cluster: each scenario leaves it healthy (its cluster-healthy check says so), and
    // the next one starts from whatever roles the last one left.
    for (const name of scenarios) {
      stage = `running scenario ${name}`;
      log.section?.(`Scenario ${name}`);
      log.info(`Scenario ${name}: hold-restart ${String(config.holdRestart)}, kill-mode ${config.killMode}`);
      // The rollout turns the base deployment into the head one: the scenarios after it run on the head.
      const env =
        name === 'rollout' && base
          ? { platform, redis: base.redis, log, rollout: { base, head: { set, redis } } }
          : { platform, redis, log };
      const scenario = await runScenario(name, { ...env, ...(signal ? { signal } : {}) }, settings);
      report.scenarios.push(scenario);
      if (scenario.status === 'cancelled') break;
      if (scenario.status === 'skipped') continue;
      const placement = await judge(`after ${name}`);
      if (placement) {
        scenario.checks.push(placement);
        if (placement.status === 'fail' && placementSeverity === 'fail') scenario.status = 'fail';
      }
    }
    const bootstrapPlaced = report.bootstrap.placement?.status !== 'fail' || placementSeverity !== 'fail';
    report.verdict =
      bootstrapPlaced && report.scenarios.every((s) => s.status === 'pass' || s.status === 'skipped') ? 'pass' : 'fail';
  } catch (err) {
    if (err instanceof InputError && !signal?.aborted && !platformUp) throw err;
    report.verdict = 'error';
    report.error = messageOf(err);
    const at = placeOf(err);
    if (at) report.errorAt = at;
    log.debug?.(errorChain(err));
  } finally {
    stopFlagWarnings();
    log.section?.('Evidence and teardown');
    // A failed or broken run leaves what it saw (Redis views, pod logs, events) before teardown removes it. Not
    // after bad input (nothing ran) nor a cancel (the cleanup must finish within the runner's grace).
    const broken = report.verdict === 'fail' || (report.verdict === 'error' && report.error !== undefined);
    if (broken && !signal?.aborted) {
      report.evidence = await collectEvidence(platform, redis.port, config.reportDir, log).catch((err: unknown) => {
        log.warn(`evidence: ${messageOf(err)}`);
        return [];
      });
    }
    if (signal?.aborted)
      log.info(`Cancelled by ${cancelCause(signal)} while ${stage}: releasing the hold and tearing down`);
    // teardown() releases any hold first and never throws by contract; if one did, it must not replace the
    // run's own outcome. It does not honour the cancel (PlatformContext.signal): it is the cancel's cleanup.
    await platform.teardown().catch((err: unknown) => log.warn(`teardown: ${messageOf(err)}`));
    // After teardown, which releases a hold still in place (and so completes its record).
    if (platform.hold) report.hold = platform.hold;
    if (platform.notes?.length) report.notes = [...(report.notes ?? []), ...platform.notes];
    // On kind the run dir is the cluster's storage (the NFS stand-in): it stays while the cluster does.
    await finishRunDir(run, log, platformKind === 'kind' && options.retain === 'keep').catch((err: unknown) =>
      log.warn(`finishing ${run.dir}: ${messageOf(err)}`),
    );
  }
  return finish();
}

/**
 * The base manifests when scenario rollout is asked for (it must then come first: it deploys them); InputError
 * when it is asked for without them.
 */
async function rolloutBase(
  config: Config,
  optionName: (name: string) => string,
  log: Log,
): Promise<{ dir: string; set: ManifestSet; redis: RedisDeployment } | undefined> {
  if (!config.scenario.includes('rollout')) return undefined;
  if (!config.baseManifests)
    throw new InputError(
      `${optionName('scenario')} rollout needs ${optionName('base-manifests')}: the manifests as on the pull request's base, deployed first`,
    );
  const { set, redis } = await readManifests(config.baseManifests);
  log.info(
    `Base manifests: ${set.objects.length} objects from ${set.files.length} files in ${displayPath(config.baseManifests)}`,
  );
  if (config.scenario[0] !== 'rollout')
    log.info('Scenario rollout runs first: it deploys the base manifests; the other scenarios run on the head');
  return { dir: config.baseManifests, set, redis };
}

/** Exit code of the command-line contract: 0 all passed, 1 a check failed or the run broke (a cancelled run
 * exits by its signal's code instead: see util/termination.ts). */
export function exitCodeOf(report: Report): 0 | 1 {
  return report.verdict === 'pass' ? 0 : 1;
}
