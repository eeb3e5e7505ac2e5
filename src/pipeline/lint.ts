import type { Config } from '../config.ts';
import type { ManifestSet } from '../manifests/model.ts';
import { blockingFindings, lintWithConfig } from '../prepare.ts';
import type { TopologyRequest } from '../redis/plan.ts';
import type { Log } from '../util/log.ts';
import type { Side } from './side-state.ts';

/**
 * Lints the manifests into the report; true when findings at or above fail-on-lint stop the side before
 * anything is deployed (verdict fail).
 */
export async function lintStops(
  side: Side,
  set: ManifestSet,
  topology: TopologyRequest,
  platform: string,
): Promise<boolean> {
  const { config, report } = side;
  const kubernetesVersion = await lintTarget(config, platform, side.log);
  report.lint = lintWithConfig(set, topology, { kubernetesVersion }, kubernetesNodes(config, platform));
  const blocking = blockingFindings(report.lint, config.failOnLint);
  if (blocking.length === 0) return false;
  report.verdict = 'fail';
  report.error = `lint found ${blocking.length} finding(s) at or above ${side.optionName('fail-on-lint')} ${config.failOnLint}; nothing was deployed`;
  return true;
}

/**
 * The Kubernetes version lint judges the manifests for: the kubernetes-version input, else on kind the node
 * image's (the cluster the run creates), on existing the server's (asked, bounded), else lint's own default.
 */
async function lintTarget(config: Config, platform: string, log: Log): Promise<string | undefined> {
  if (config.kubernetesVersion) return config.kubernetesVersion;
  if (platform === 'kind') {
    const { kindNodeKubernetesVersion } = await import('../platform/kind-install.ts');
    const version = kindNodeKubernetesVersion(config.kindVersion, config.nodeImage);
    if (version) log.info(`lint: Kubernetes ${version}, the version of the kind node image`);
    return version;
  }
  if (platform === 'existing') {
    const { serverKubernetesVersion } = await import('../platform/kube/api.ts');
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
