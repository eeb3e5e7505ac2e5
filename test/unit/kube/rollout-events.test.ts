import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Config } from '../../../src/config.ts';
import { PodNotServingError } from '../../../src/errors.ts';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import * as kube from '../../../src/platform/kube.ts';
import type { Platform, PodInfo } from '../../../src/platform/platform.ts';
import { finalMountFailure, RolloutBlockedError, unresolvable } from '../../../src/platform/kube/rollout.ts';
import { EVENTS_INTERVAL_MS } from '../../../src/platform/kube/replacement.ts';
import { silentLog } from '../../../src/util/log.ts';
import { beforeAll } from '../../support/setup.ts';
import { startApiFixture, type ApiFixture } from './api-fixture.ts';
import { configMapNotRegisteredAtFirst, unreachableNfs } from './api-events.ts';
import { ApiServer } from './api-server.ts';
import { existingConfig, MANIFESTS, redis, redis2, sharedSet } from './redis-app.ts';

// The rollout wait against the fixture's kubelet events (test/unit/kube/api-events.ts): an event that no retry
// of the kubelet's can cure ends the wait at once with its message; a transient one does not.
let fixture: ApiFixture;
beforeAll(test, async () => {
  fixture = await startApiFixture();
});
test.after(() => fixture.close());
test.before.each(() => {
  fixture.requests.length = 0;
  fixture.server = new ApiServer();
});

const config = (extra: Partial<Config> = {}): Config =>
  existingConfig(fixture.kubeconfig, { rolloutTimeoutMs: 60_000, ...extra });

test('NFS volumes the nodes cannot mount: the rollout wait ends at once with the FailedMount message', async () => {
  unreachableNfs(fixture.server, 'mount.nfs: Failed to resolve server nfs.example: Name or service not known');
  const platform = kube.createExistingPlatform(config(), { log: silentLog, workDir: '/nonexistent' });
  await platform.provision();
  const started = Date.now();
  const err = await platform.deploy(sharedSet(), redis2).then(
    () => undefined,
    (e: unknown) => e,
  );
  const tookMs = Date.now() - started;
  await platform.teardown();
  assert.instance(err, RolloutBlockedError);
  const message = (err as Error).message;
  assert.match(message, 'StatefulSet redis-app cannot become ready');
  assert.match(
    message,
    /redis-app-0: FailedMount: MountVolume\.SetUp failed for volume "redis-pv-\w-\w+" : mount failed: exit status 32/,
  );
  assert.match(message, 'mount.nfs: Failed to resolve server nfs.example: Name or service not known');
  assert.ok(tookMs < 10_000, `ended at once (${tookMs} ms), not after the 60 s timeout`);
});

test("a transient FailedMount (the kubelet's object cache not synced yet) does not end the wait: the pods start", async () => {
  configMapNotRegisteredAtFirst(fixture.server, 300);
  // The shared manifests with the ConfigMap mounted into the container.
  const set = {
    dir: '.',
    files: ['redis.yaml'],
    objects: parseManifestFile(
      'redis.yaml',
      MANIFESTS.replace(
        'ports: [{ containerPort: 6379 }] }]',
        'volumeMounts: [{ name: conf, mountPath: /conf }] }]\n      volumes: [{ name: conf, configMap: { name: redis-conf } }]',
      ),
    ),
  };
  const platform = kube.createExistingPlatform(config({ rolloutTimeoutMs: 20_000 }), {
    log: silentLog,
    workDir: '/nonexistent',
  });
  await platform.provision();
  try {
    await platform.deploy(set, redis);
    assert.ok(
      fixture.server.list('Event').some((e) => e.reason === 'FailedMount'),
      'the transient event was there',
    );
    assert.is((await platform.listPods()).length, 3);
  } finally {
    await platform.teardown();
  }
});

/** A deployed StatefulSet (no restart hold) and its first pod, for `fn`; torn down after. */
async function withFirstPod(fn: (platform: Platform, victim: PodInfo) => Promise<void>): Promise<void> {
  const platform = kube.createExistingPlatform(config({ holdRestart: false }), {
    log: silentLog,
    workDir: '/nonexistent',
  });
  await platform.provision();
  try {
    await platform.deploy(sharedSet(), redis2);
    const [victim] = await platform.listPods();
    await fn(platform, victim!);
  } finally {
    await platform.teardown();
  }
}

test('a recreated pod whose NFS server stopped answering: the wait for it ends at once, a pod that never serves', async () => {
  await withFirstPod(async (platform, victim) => {
    unreachableNfs(fixture.server);
    await platform.faults.podDelete.delete(victim.name, { hold: false, mode: 'kill' });
    const started = Date.now();
    const err = await platform.waitForReplacement(victim.name, victim.uid, 60_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    const tookMs = Date.now() - started;
    // PodNotServingError: master-failover then fails pod-recreated with this message instead of skipping it.
    assert.instance(err, PodNotServingError);
    assert.match((err as Error).message, `pod ${victim.name} (recreated) cannot become ready`);
    assert.match((err as Error).message, /FailedMount: MountVolume\.SetUp failed .* mount failed: exit status 32/);
    assert.ok(tookMs < 10_000, `ended at once (${tookMs} ms), not after the 60 s timeout`);
  });
});

test('a recreated pod slow to start: its events are listed every 2 s while the pod itself is read every 200 ms', async () => {
  await withFirstPod(async (platform, victim) => {
    // The kubelet starts the new pod's container 4 s after it is scheduled (an image pull, a slow mount).
    const server = fixture.server;
    const start = server.startPod;
    server.startPod = (pod, node) => {
      const { namespace, name, uid } = pod.metadata;
      setTimeout(() => {
        const now = server.get('Pod', namespace, name);
        if (now?.metadata.uid !== uid) return;
        start(now, node);
        server.put(now);
      }, 4000);
    };
    await platform.faults.podDelete.delete(victim.name, { hold: false, mode: 'kill' });
    fixture.requests.length = 0;
    await platform.waitForReplacement(victim.name, victim.uid, 60_000);
    const gets = (re: RegExp) => fixture.requests.filter((r) => r.method === 'GET' && re.test(r.path)).length;
    const events = gets(/\/events$/);
    const podReads = gets(new RegExp(`/pods/${victim.name}$`));
    assert.ok(podReads >= 10, `the pod read ${podReads} times in 4 s`);
    assert.ok(events >= 1, 'the events were listed');
    assert.ok(events <= Math.ceil(4000 / EVENTS_INTERVAL_MS) + 1, `the events listed ${events} times in 4 s`);
  });
});

test("which states are final: mount command failures and missing sources; not the kubelet's transient ones", () => {
  assert.ok(
    finalMountFailure(
      'MountVolume.SetUp failed for volume "v" : mount failed: exit status 32\nOutput: mount.nfs: access denied by server',
    ),
  );
  assert.ok(finalMountFailure('MountVolume.SetUp failed for volume "conf" : configmap "redis-conf" not found'));
  assert.ok(finalMountFailure('MountVolume.SetUp failed for volume "s" : secret "redis-auth" not found'));
  assert.not.ok(
    finalMountFailure('MountVolume.SetUp failed for volume "conf" : object "ns"/"redis-conf" not registered'),
  );
  assert.not.ok(
    finalMountFailure(
      'MountVolume.MountDevice failed for volume "pvc-1" : kubernetes.io/csi: attacher.MountDevice failed to create newCsiDriverClient: driver name ebs.csi.aws.com not found in the list of registered CSI drivers',
    ),
  );
  assert.not.ok(
    finalMountFailure(
      'Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data]: timed out waiting for the condition',
    ),
  );
  const pod = (reason: string, message: string) => ({
    metadata: { name: 'redis-app-0', uid: 'u' },
    status: {
      containerStatuses: [
        {
          name: 'redis',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason, message } },
        },
      ],
    },
  });
  assert.is(
    unresolvable(
      pod('InvalidImageName', 'Failed to apply default image tag "Redis:7": couldn\'t parse image name'),
      [],
    ),
    'redis-app-0: container redis InvalidImageName: Failed to apply default image tag "Redis:7": couldn\'t parse image name',
  );
  assert.match(
    unresolvable(pod('CreateContainerConfigError', 'configmap "redis-conf" not found'), []) ?? '',
    'CreateContainerConfigError',
  );
  assert.is(unresolvable(pod('ContainerCreating', ''), []), undefined);
  assert.is(unresolvable(pod('ImagePullBackOff', 'Back-off pulling image'), []), undefined, 'a pull may still succeed');
  const event = (uid: string) => ({
    metadata: {},
    involvedObject: { uid },
    reason: 'FailedMount',
    type: 'Warning',
    message: 'MountVolume.SetUp failed for volume "v" : mount failed: exit status 32',
  });
  assert.match(unresolvable(pod('ContainerCreating', ''), [event('u')]) ?? '', 'redis-app-0: FailedMount: ');
  assert.is(
    unresolvable(pod('ContainerCreating', ''), [event('old-incarnation')]),
    undefined,
    "only this pod's own events",
  );
});

test.run();
