import os from 'node:os';
import path from 'node:path';
import type { PlatformContext } from '../platform.ts';
import { kubeClients, loadKubeConfig } from './api.ts';
import { untouched, type Flavor } from './flavor.ts';
import { kubeconfigInput } from './kubeconfig.ts';
import type { ExistingSettings } from './settings.ts';

/** The kubeconfig file client-node loads when none is given (the first of KUBECONFIG, else ~/.kube/config). */
function defaultKubeconfigFile(): string {
  const first = process.env.KUBECONFIG?.split(path.delimiter).find(Boolean);
  return first ?? path.join(os.homedir(), '.kube', 'config');
}

/** The cluster of createExistingPlatform (kube.ts), reached through the kubeconfig; the run's namespace is named
 * after `runId` unless given. */
export function existingFlavor(config: ExistingSettings, ctx: PlatformContext, runId: string): Flavor {
  const namespace = config.namespace ?? `redis-resilience-${runId}`;
  let context: string | undefined;
  let kubeconfigFile = '';
  return {
    kind: 'existing',
    shared: true,
    async connect() {
      const given = config.kubeconfig ? await kubeconfigInput(config.kubeconfig, ctx.workDir) : undefined;
      const kc = loadKubeConfig(given?.file, { name: given?.name, secret: ctx.log.secret });
      kubeconfigFile = path.resolve(given?.file ?? defaultKubeconfigFile());
      context = kc.getCurrentContext() || undefined;
      return kubeClients(kc);
    },
    target: () => ({ kubeconfig: kubeconfigFile, ...(context ? { context } : {}) }),
    namespace: () => namespace,
    prepare: untouched,
  };
}
