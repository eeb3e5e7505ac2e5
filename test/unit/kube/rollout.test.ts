import { test } from 'uvu';
import { beforeAll } from '../../support/setup.ts';
import * as assert from 'uvu/assert';
import { TimeoutError } from '../../../src/errors.ts';
import * as api from '../../../src/platform/kube/api.ts';
import * as rollout from '../../../src/platform/kube/rollout.ts';
import { silentLog } from '../../../src/util/log.ts';
import { startApiFixture, type ApiFixture } from './api-fixture.ts';

let fixture: ApiFixture;

const target = { namespace: 'run-ns', name: 'redis-app', podLabels: { app: 'redis' }, replicas: 4 };

const pod = (ordinal: number, status: object, spec: object = {}) => ({
  metadata: { name: `redis-app-${ordinal}`, namespace: 'run-ns', uid: `uid-${ordinal}`, labels: { app: 'redis' } },
  spec: { containers: [{ name: 'redis', image: 'redis:7.2.5' }], ...spec },
  status,
});
const ready = (ordinal: number) =>
  pod(
    ordinal,
    { phase: 'Running', podIP: `10.244.1.${ordinal + 10}`, conditions: [{ type: 'Ready', status: 'True' }] },
    { nodeName: 'kind-worker' },
  );
const imagePull = (ordinal: number) =>
  pod(ordinal, {
    phase: 'Pending',
    conditions: [
      { type: 'PodScheduled', status: 'True' },
      { type: 'Ready', status: 'False' },
    ],
    containerStatuses: [
      {
        name: 'redis',
        image: 'redis:9.9.9',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "redis:9.9.9": not found' } },
      },
    ],
  });
const unschedulable = (ordinal: number, message: string) =>
  pod(ordinal, {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }],
  });
const crashLoop = (ordinal: number) =>
  pod(ordinal, {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'False' }],
    containerStatuses: [
      {
        name: 'redis',
        image: 'redis:7.2.5',
        imageID: '',
        ready: false,
        restartCount: 5,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error' } },
      },
    ],
  });

let pods: object[] = [];
let events: Record<string, object[]> = {};
const LOG =
  "1:C 25 Nov 2026 20:00:00.000 # oO0OoO0OoO0Oo Redis is starting\n1:C 25 Nov 2026 20:00:00.001 # Fatal error, can't open config file '/etc/redis/redis.conf': No such file or directory\n";

let podLog = LOG;

beforeAll(test, async () => {
  fixture = await startApiFixture((r) => {
    if (r.method !== 'GET') return undefined;
    if (r.path === '/api/v1/namespaces/run-ns/pods') {
      assert.is(r.query.get('labelSelector'), 'app=redis');
      return { status: 200, body: { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: pods } };
    }
    if (r.path === '/api/v1/namespaces/run-ns/events') {
      const name = (r.query.get('fieldSelector') ?? '').replace('involvedObject.name=', '');
      return { status: 200, body: { kind: 'EventList', apiVersion: 'v1', metadata: {}, items: events[name] ?? [] } };
    }
    const log = /^\/api\/v1\/namespaces\/run-ns\/pods\/([^/]+)\/log$/.exec(r.path);
    if (log) return { status: 200, body: podLog };
    return undefined;
  });
});
test.after(() => fixture.close());
test.before.each(() => {
  fixture.requests.length = 0;
  events = {};
  podLog = LOG;
});

const core = () => api.kubeClients(api.loadKubeConfig(fixture.kubeconfig)).core;
const stuck = () =>
  rollout.waitForRollout(core(), target, { timeoutMs: 150, intervalMs: 50, log: silentLog }).then(
    () => {
      throw new Error('rollout should time out');
    },
    (e: unknown) => e as Error,
  );

test('all pods ready: resolves with them by ordinal', async () => {
  pods = [ready(2), ready(0), ready(1), ready(3)];
  const got = await rollout.waitForRollout(core(), target, { timeoutMs: 1000, intervalMs: 50, log: silentLog });
  assert.equal(
    got.map((p) => p.metadata?.name),
    ['redis-app-0', 'redis-app-1', 'redis-app-2', 'redis-app-3'],
  );
});

test('ImagePullBackOff: the image and the kubelet message', async () => {
  pods = [ready(0), ready(1), ready(2), imagePull(3)];
  const err = await stuck();
  assert.instance(err, TimeoutError);
  assert.match(err.message, 'StatefulSet redis-app: 4 pods ready');
  assert.match(
    err.message,
    'redis-app-3: image "redis:9.9.9" cannot be pulled (ImagePullBackOff): Back-off pulling image "redis:9.9.9": not found',
  );
});

test('Pending: the scheduler reason from PodScheduled, else from the latest warning event', async () => {
  pods = [
    ready(0),
    ready(1),
    unschedulable(2, '0/4 nodes are available: 4 node(s) were unschedulable.'),
    unschedulable(3, ''),
  ];
  events = {
    'redis-app-3': [
      {
        metadata: { name: 'e1' },
        involvedObject: {},
        type: 'Warning',
        reason: 'FailedScheduling',
        message: 'old news',
        lastTimestamp: '2026-11-25T20:00:00Z',
      },
      {
        metadata: { name: 'e2' },
        involvedObject: {},
        type: 'Warning',
        reason: 'FailedScheduling',
        message: '0/4 nodes are available: pod has unbound immediate PersistentVolumeClaims.',
        lastTimestamp: '2026-11-25T20:01:00Z',
      },
      {
        metadata: { name: 'e3' },
        involvedObject: {},
        type: 'Normal',
        reason: 'Scheduled',
        message: 'not a warning',
        lastTimestamp: '2026-11-25T20:02:00Z',
      },
    ],
  };
  const err = await stuck();
  assert.match(
    err.message,
    'redis-app-2: Pending, not scheduled: 0/4 nodes are available: 4 node(s) were unschedulable.',
  );
  assert.match(
    err.message,
    'redis-app-3: Pending, not scheduled: FailedScheduling: 0/4 nodes are available: pod has unbound immediate PersistentVolumeClaims.',
  );
});

test('CrashLoopBackOff: restarts, exit code and the last log lines of the crashed run', async () => {
  pods = [ready(0), ready(1), ready(2), crashLoop(3)];
  const err = await stuck();
  assert.match(
    err.message,
    'redis-app-3: container redis keeps crashing (CrashLoopBackOff, 5 restarts, last exit code 1 (Error)); last log lines:',
  );
  assert.match(
    err.message,
    "    1:C 25 Nov 2026 20:00:00.001 # Fatal error, can't open config file '/etc/redis/redis.conf'",
  );
  const logReq = fixture.requests.find((r) => r.path.endsWith('/redis-app-3/log'))!;
  assert.is(logReq.query.get('previous'), 'true');
  assert.is(logReq.query.get('tailLines'), '20');
  assert.is(logReq.query.get('container'), 'redis');
});

test('CrashLoopBackOff on a known server failure: the hint before the log lines', async () => {
  // valkey-server 8.0.1's own last line on a replica whose nodes.conf disagrees with its master's shard-id.
  podLog =
    '1:M 01 Dec 2026 14:21:47.604 # Unrecoverable error: corrupted cluster config file "' +
    `${'b'.repeat(40)} 10.244.1.13:6379@16379,,tls-port=0,shard-id=${'2'.repeat(40)} myself,slave ${'a'.repeat(40)} 0 0 1 connected\n".\n`;
  pods = [ready(0), ready(1), ready(2), crashLoop(3)];
  const err = await stuck();
  assert.match(
    err.message,
    'last log lines:\n    likely cause: nodes.conf gives this replica another shard-id than its master',
  );
  assert.match(err.message, '# Unrecoverable error: corrupted cluster config file');
});

test("missing pods are counted, with the StatefulSet's warning", async () => {
  pods = [ready(0), ready(1)];
  events = {
    'redis-app': [
      {
        metadata: { name: 'e' },
        involvedObject: {},
        type: 'Warning',
        reason: 'FailedCreate',
        message: 'create Pod redis-app-2 failed: quota exceeded',
      },
    ],
  };
  const err = await stuck();
  assert.match(
    err.message,
    'only 2 of 4 pods exist (StatefulSet redis-app: FailedCreate: create Pod redis-app-2 failed: quota exceeded)',
  );
});

test.run();
