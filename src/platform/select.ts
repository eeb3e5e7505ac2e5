import { InputError } from '../errors.ts';
import type { HoldReport, Platform, PlatformContext } from './platform.ts';
import type { ExistingSettings, KindSettings } from './kube.ts';
import type { Log } from '../util/log.ts';
import { commandRunner } from './run-command.ts';

export type PlatformName = Platform['kind'];

/** What choosing and creating a platform takes from the run's settings (not the whole Config). */
export interface PlatformSettings extends KindSettings, ExistingSettings {
  platform: PlatformName | 'auto';
  /** Platform local: pods as bubblewrap sandboxes, or redis-server run directly; auto: sandbox where bwrap works. */
  localMode: 'auto' | 'sandbox' | 'direct';
}

/** What a platform tells the report besides the pods and deploy()'s answer: the restart hold, notes (Kubernetes), the
 * local platform's mode. */
export type PlatformWithNotes = Platform & {
  hold?: HoldReport;
  notes?: string[];
  localMode?(): 'sandbox' | 'direct' | undefined;
};

/** True when a Docker engine answers (the client alone, as on machines without an engine, is not enough). */
export async function dockerEngineAvailable(timeoutMs = 10_000): Promise<boolean> {
  const r = await commandRunner(timeoutMs)('docker', ['info', '--format', '{{.ServerVersion}}']);
  return r.code === 0 && r.stdout.trim() !== '';
}

/**
 * auto means kind where Docker runs (GitHub's runners), local elsewhere. platform kind without a Docker engine
 * is refused here, before lint or any download: kind could not run a node container anyway.
 */
export async function resolvePlatformKind(
  settings: Pick<PlatformSettings, 'platform'>,
  opts: { inAction?: boolean; log?: Log } = {},
): Promise<PlatformName> {
  if (settings.platform === 'auto') {
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
    opts.log?.info(
      'platform auto: no Docker engine answered, so platform local (redis-server processes on loopback addresses, no Kubernetes)',
    );
    return 'local';
  }
  if (settings.platform === 'kind' && !(await dockerEngineAvailable())) {
    throw new InputError(
      'platform kind needs a running Docker engine and `docker info` got no answer from one; start Docker, ' +
        'or use platform local (redis-server processes) or platform existing (with a kubeconfig)',
    );
  }
  return settings.platform;
}

/**
 * Creates the platform. The Kubernetes ones are imported on demand so that the local path never loads
 * @kubernetes/client-node.
 */
export async function createPlatform(
  kind: PlatformName,
  settings: PlatformSettings,
  ctx: PlatformContext,
  localOptions: { addressBase?: string } = {},
): Promise<PlatformWithNotes> {
  switch (kind) {
    case 'local': {
      const { createLocalPlatform } = await import('./local.ts');
      // The emulated nodes stand for kind's workers (kind with none schedules on its one control-plane node).
      return createLocalPlatform(ctx, {
        ...localOptions,
        mode: settings.localMode,
        nodes: Math.max(1, settings.workers),
      });
    }
    case 'kind': {
      const { createKindPlatform } = await import('./kube.ts');
      return createKindPlatform(settings, ctx);
    }
    case 'existing': {
      const { createExistingPlatform } = await import('./kube.ts');
      return createExistingPlatform(settings, ctx);
    }
  }
}
