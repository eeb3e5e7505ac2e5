import { execFile } from 'node:child_process';
import type { Config } from '../config.ts';
import { InputError } from '../errors.ts';
import type { HoldReport, NfsRewrite } from '../report/model.ts';
import type { Log } from '../util/log.ts';
import type { Platform, PlatformContext } from './platform.ts';

/** What a platform tells the report besides the pods: the NFS stand-in, the restart hold, notes (Kubernetes), the
 * local platform's mode. */
export type PlatformWithNotes = Platform & { nfsRewrites?: NfsRewrite[]; hold?: HoldReport; notes?: string[]; localMode?(): 'sandbox' | 'direct' | undefined };

/** True when a Docker engine answers (the client alone, as on machines without an engine, is not enough). */
export function dockerEngineAvailable(timeoutMs = 10_000): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: timeoutMs }, (err, stdout) =>
      resolve(!err && stdout.trim() !== ''),
    );
  });
}

/**
 * auto means kind where Docker runs (GitHub's runners), local elsewhere. platform kind without a Docker engine
 * is refused here, before lint or any download: kind could not run a node container anyway.
 */
export async function resolvePlatformKind(
  config: Config,
  opts: { inAction?: boolean; log?: Log } = {},
): Promise<Exclude<Config['platform'], 'auto'>> {
  if (config.platform === 'auto') {
    if (await dockerEngineAvailable()) return 'kind';
    // In a workflow, auto means "the real thing": a runner without Docker cannot give it, and silently testing
    // loopback processes instead would pass a job that proved nothing about Kubernetes.
    if (opts.inAction) {
      throw new InputError(
        'platform auto: this runner has no Docker engine (`docker info` got no answer), so it cannot run kind; ' +
          'use a runner with Docker (ubuntu-latest has it), or say which platform you mean: platform local ' +
          '(redis-server processes, no Kubernetes) or platform existing (with a kubeconfig)',
      );
    }
    opts.log?.info('platform auto: no Docker engine answered, so platform local (redis-server processes on loopback addresses, no Kubernetes)');
    return 'local';
  }
  if (config.platform === 'kind' && !(await dockerEngineAvailable())) {
    throw new InputError(
      'platform kind needs a running Docker engine and `docker info` got no answer from one; start Docker, ' +
        'or use platform local (redis-server processes) or platform existing (with a kubeconfig)',
    );
  }
  return config.platform;
}

/**
 * Creates the platform. The Kubernetes ones are imported on demand so that the local path never loads
 * @kubernetes/client-node.
 */
export async function createPlatform(
  kind: Exclude<Config['platform'], 'auto'>,
  config: Config,
  ctx: PlatformContext,
  localOptions: { addressBase?: string } = {},
): Promise<PlatformWithNotes> {
  switch (kind) {
    case 'local': {
      const { createLocalPlatform } = await import('./local.ts');
      return createLocalPlatform(ctx, { ...localOptions, mode: config.localMode });
    }
    case 'kind': {
      const { createKindPlatform } = await import('./kube.ts');
      return createKindPlatform(config, ctx);
    }
    case 'existing': {
      const { createExistingPlatform } = await import('./kube.ts');
      return createExistingPlatform(config, ctx);
    }
  }
}
