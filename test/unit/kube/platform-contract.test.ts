/**
 * The Platform contract (test/support/platform-contract.ts) on the Kubernetes platform (an existing cluster),
 * backed by the loopback API fixture: the API server and its controllers answer as a cluster does, but no
 * Redis runs behind the pods.
 */
import { redisDeployment } from '../../../src/manifests/deployment.ts';
import { loadManifests } from '../../../src/manifests/load.ts';
import { createExistingPlatform, type ExistingSettings } from '../../../src/platform/kube.ts';
import { silentLog } from '../../../src/util/log.ts';
import { platformContract } from '../../support/platform-contract.ts';
import { startApiFixture } from './api-fixture.ts';

const fixture = await startApiFixture();
const settings: ExistingSettings = { kubeconfig: fixture.kubeconfig, holdMode: 'quota', rolloutTimeoutMs: 5000 };

platformContract({
  name: 'Kubernetes (existing cluster) on the API fixture',
  create: async ({ undo, signal }) => {
    const manifests = await loadManifests('manifests');
    return {
      platform: createExistingPlatform(settings, { log: silentLog, workDir: '/nonexistent', undo, signal }),
      manifests,
      redis: redisDeployment(manifests),
    };
  },
  redis: { cannot: 'the API fixture runs no Redis behind its pods' },
  leftovers: async () => {
    // The namespace controller empties a deleted namespace on the next turn.
    await new Promise((resolve) => setImmediate(resolve));
    const s = fixture.server;
    return [
      ...s
        .list('Namespace')
        .filter((n) => n.metadata.name.startsWith('redis-resilience-'))
        .map((n) => `Namespace ${n.metadata.name}`),
      ...s.list('ResourceQuota').map((q) => `ResourceQuota ${q.metadata.name}`),
      ...s.list('StorageClass').map((c) => `StorageClass ${c.metadata.name}`),
      ...s.list('PersistentVolume').map((v) => `PersistentVolume ${v.metadata.name}`),
      ...s
        .list('Node')
        .filter((n) => (n.spec as { unschedulable?: boolean } | undefined)?.unschedulable)
        .map((n) => `Node ${n.metadata.name} cordoned`),
    ];
  },
  freezes: false, // an existing cluster: no node access
  timeoutMs: 5000,
  close: () => fixture.close(),
});
