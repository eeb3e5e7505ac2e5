import type { Test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import { DEFAULTS, type Config } from '../../../src/config.ts';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import type { ManifestSet, RedisDeployment } from '../../../src/manifests/model.ts';
import { startApiFixture, type ApiFixture } from './api-fixture.ts';
import { installFakeIp } from './fake-ip.ts';
import { installKindStandIns, type KindStandIns } from './kind-standins.ts';

/** What a kind platform test runs against: the API fixture, the stand-in kind and docker, a recording `ip`. */
export interface KindHarness {
  fixture: ApiFixture;
  standIns: KindStandIns;
  ip: ReturnType<typeof installFakeIp>;
}

/**
 * Starts the harness before the suite (as root: routes are added) and removes it after; the returned getter
 * gives it to the tests. The stand-in kind "creates" a cluster by writing the fixture's kubeconfig.
 */
export function kindHarness<T>(test: Test<T>, opts: { images?: string[] } = {}): () => KindHarness {
  let h: KindHarness | undefined;
  const saved = { getuid: process.getuid };
  beforeAll(test, async () => {
    const fixture = await startApiFixture();
    h = {
      fixture,
      standIns: installKindStandIns({
        kubeconfig: fixture.kubeconfig,
        ...(opts.images ? { images: opts.images } : {}),
      }),
      ip: installFakeIp(),
    };
    process.getuid = () => 0;
  });
  test.after(async () => {
    if (!h) return;
    h.ip.restore();
    process.getuid = saved.getuid;
    h.standIns.restore();
    await h.fixture.close();
  });
  return () => {
    if (!h) throw new Error('kind harness: not started');
    return h;
  };
}

/** A StatefulSet redis-app of `replicas` pods (Parallel), as the kind tests deploy it. */
export const kindManifests = (replicas: number): ManifestSet => ({
  dir: '.',
  files: ['redis.yaml'],
  objects: parseManifestFile(
    'redis.yaml',
    `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: redis-app }
spec:
  replicas: ${replicas}
  serviceName: redis-service
  podManagementPolicy: Parallel
  selector: { matchLabels: { app: redis } }
  template:
    metadata: { labels: { app: redis } }
    spec:
      containers: [{ name: redis, image: "redis:7.2.5" }]
`,
  ),
});

/** The deployment view of kindManifests, as far as the kind platform reads it. */
export const kindRedis = (replicas: number, port: number) =>
  ({
    name: 'redis-app',
    namespace: 'default',
    replicas,
    port,
    podLabels: { app: 'redis' },
    claimTemplates: [],
    container: { name: 'redis' },
    mountFor: () => undefined,
  }) as unknown as RedisDeployment;

/** A kind run's config with one worker and a short rollout bound. */
export const kindConfig = (extra: Partial<Config> = {}): Config => ({
  ...DEFAULTS,
  command: 'check',
  manifests: '.',
  platform: 'kind',
  workers: 1,
  rolloutTimeoutMs: 5000,
  ...extra,
});
