import type { BootstrapDecision } from '../manifests/self-bootstrap.ts';
import type { ManifestSet, RedisDeployment } from '../manifests/model.ts';
import type { PodInfo, RedisAuth } from '../platform/platform.ts';
import { createPlatform, type PlatformName, type PlatformWithNotes } from '../platform/select.ts';
import { serverVersionOf } from '../redis/health.ts';
import { cleanStaleRuns, createRunDir, defaultRunsRoot, type RunDir } from '../undo/work-dir.ts';
import { displayPath } from '../util/paths.ts';
import type { SideInputs } from './inputs.ts';
import type { PipelineOptions } from './options.ts';
import type { Side } from './side-state.ts';

/** The run dir (after cleaning up what killed runs left) and the platform that will run in it. */
export async function createSidePlatform(
  side: Side,
  kind: PlatformName,
  options: PipelineOptions,
  auth: RedisAuth | undefined,
): Promise<{ platform: PlatformWithNotes; run: RunDir }> {
  const { log, signal, config } = side;
  const { root = defaultRunsRoot(), store, created } = options.workDirs ?? {};
  const stale = await cleanStaleRuns(root, log);
  if (stale.failed.length)
    log.warn(`runs that did not finish left changes that could not be undone: ${stale.failed.join('; ')}`);
  const run = await createRunDir(root, store);
  created?.(run.dir);
  const platform = await createPlatform(
    kind,
    config,
    { log, workDir: run.dir, retain: options.retain, signal, undo: run.journal, ...(auth ? { auth } : {}) },
    { addressBase: config.addressBase ?? options.addressBase },
  );
  return { platform, run };
}

export async function provision(side: Side, platform: PlatformWithNotes, kind: PlatformName): Promise<void> {
  side.stage = `provisioning the ${kind} platform`;
  side.log.section?.(`Platform ${kind}: provision and deploy`);
  side.log.info(`Platform ${kind}: provisioning`);
  await platform.provision();
}

/**
 * Deploys the manifests (a rollout's base ones first), less the bootstrap objects withheld, and says which
 * server the pods run; returns the pods.
 */
export async function deploy(
  side: Side,
  platform: PlatformWithNotes,
  inputs: SideInputs,
  decision: BootstrapDecision,
): Promise<PodInfo[]> {
  const { log, report } = side;
  const { base, redis } = inputs;
  const deployed = base ?? inputs;
  side.stage = `deploying StatefulSet ${redis.name}`;
  log.info(
    `Deploying StatefulSet ${redis.name} (${deployed.redis.replicas} pods)${base ? ` from the base manifests ${displayPath(base.dir)}` : ''}`,
  );
  report.nfsRewrites = (await platform.deploy(withoutWithheld(deployed.set, decision), deployed.redis)).nfsRewrites;
  if (platform.reachMode) report.reach = platform.reachMode;
  const localMode = platform.localMode?.();
  if (localMode) report.localMode = localMode;
  const pods = await platform.listPods();
  await reportServer(side, platform, pods, redis, deployed.redis);
  return pods;
}

function withoutWithheld(set: ManifestSet, decision: BootstrapDecision): ManifestSet {
  return decision.withheld.length
    ? { ...set, objects: set.objects.filter((o) => !decision.withheld.includes(o)) }
    : set;
}

/** The server the pods answer as, warned about when it is not the one the deployed manifests run. */
async function reportServer(
  side: Side,
  platform: PlatformWithNotes,
  pods: PodInfo[],
  redis: RedisDeployment,
  deployed: RedisDeployment,
): Promise<void> {
  const { log, report } = side;
  report.server = await serverVersionOf(
    (a) => platform.reach(a),
    pods.map((p) => ({ host: p.ip, port: redis.port })),
  );
  log.info(`Pods run ${report.server.name} ${report.server.version}`);
  if (report.server.name !== deployed.server.name) {
    log.warn(
      `the manifests run ${deployed.server.name} (${deployed.server.program}), but the pods answer as ${report.server.name}`,
    );
  }
}
