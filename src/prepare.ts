import type { Config } from './config.ts';
import { redisDeployment } from './manifests/deployment.ts';
import { dataOf } from './manifests/env.ts';
import { lintManifests } from './manifests/lint/index.ts';
import { loadManifests } from './manifests/load.ts';
import type { ManifestSet, RedisDeployment } from './manifests/model.ts';
import type { LintFinding, Severity } from './manifests/lint/rule.ts';
import {
  redactRendered,
  removeStaleRendered,
  renderManifests,
  wantsRender,
  type RenderSettings,
} from './manifests/render.ts';
import { registerSecret } from './util/secrets.ts';
import { registerStatedPasswords } from './redis/auth.ts';
import { displayPath } from './util/paths.ts';

/*
 * What `check` and `lint` both do before anything is deployed: read the manifests, choose the topology, lint.
 * Apart from pipeline/ so that `lint` loads none of what a run needs (Redis client, platforms, scenarios):
 * lint of the default manifests stays well under a second as a whole process.
 */

const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

/** Findings at or above the --fail-on-lint level stop the run before anything starts. */
export function blockingFindings(findings: LintFinding[], failOn: Config['failOnLint']): LintFinding[] {
  if (failOn === 'never') return [];
  return findings.filter((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn]);
}

/**
 * Load and read the manifests, rendered first when they come from a chart or kustomize (into report-dir/rendered,
 * kept with the report); InputError (exit 2) when they cannot be used at all. Every Secret value in them is
 * registered as a secret first, so nothing printed or written afterwards can show one (the rendered copy included).
 */
export async function readManifests(
  source: string | (Pick<Config, 'manifests' | 'reportDir'> & RenderSettings),
  signal?: AbortSignal,
): Promise<{ set: ManifestSet; redis: RedisDeployment }> {
  // A plain directory, or the config's manifests: rendered first when they come from a chart or kustomize.
  const config =
    typeof source === 'string' ? { manifests: source, reportDir: '', values: [], set: [], release: '' } : source;
  if (!wantsRender(config) && config.reportDir) await removeStaleRendered(config.reportDir);
  const dir = wantsRender(config)
    ? await renderManifests(config, config.reportDir, signal ? { signal } : {})
    : config.manifests;
  const set = await loadManifests(dir);
  for (const secret of set.objects.filter((o) => o.kind === 'Secret')) {
    for (const value of Object.values(dataOf(set, 'Secret', secret.name))) registerSecret(value);
    // The base64 text as written too: a rendered Secret is kept in the report dir (redactRendered).
    const data = secret.body.data;
    if (data && typeof data === 'object' && !Array.isArray(data))
      for (const raw of Object.values(data)) if (typeof raw === 'string') registerSecret(raw);
  }
  const redis = redisDeployment(set);
  if (wantsRender(config)) {
    registerStatedPasswords(redis);
    await redactRendered(dir);
  }
  return { set, redis };
}

/** Where the manifests come from, for the log and the report: the directory, or the chart or kustomization. */
export function manifestsSource(config: Pick<Config, 'manifests'> & RenderSettings): string {
  if (config.chart !== undefined)
    return `chart ${displayPath(config.chart)} (release ${config.release}, rendered by helm)`;
  if (config.kustomize !== undefined) return `kustomization ${displayPath(config.kustomize)} (rendered by kubectl)`;
  return displayPath(config.manifests);
}

/** Lint as `check` and `lint` both do: the config's Kubernetes version and the topology the run will build. */
export function lintWithConfig(
  set: ManifestSet,
  topology: { masters: number; replicasPerMaster: number },
  config: Pick<Config, 'kubernetesVersion'>,
  nodes?: number,
): LintFinding[] {
  return lintManifests(set, {
    kubernetesVersion: config.kubernetesVersion,
    ...(nodes !== undefined ? { nodes } : {}),
    ...topology,
  });
}
