import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { V1Pod } from '@kubernetes/client-node';
import * as pods from '../../../src/platform/kube/pods.ts';

const pod = (status: V1Pod['status'], deleting = false): V1Pod => ({
  metadata: { name: 'redis-app-0', uid: 'u', ...(deleting ? { deletionTimestamp: new Date() } : {}) },
  status,
});

test('started: running with an IP, readiness not required; not while pending, without IP or terminating', () => {
  const notReady = { phase: 'Running', podIP: '10.244.1.5', conditions: [{ type: 'Ready', status: 'False' }] };
  assert.ok(pods.isPodStarted(pod(notReady)));
  assert.not.ok(pods.isPodReady(pod(notReady)));
  assert.not.ok(pods.isPodStarted(pod({ phase: 'Pending', podIP: '10.244.1.5' })));
  assert.not.ok(pods.isPodStarted(pod({ phase: 'Running' })));
  assert.not.ok(pods.isPodStarted(pod(notReady, true)));
});

test("a pod's node and its zone label, where the node has one", () => {
  const bound: V1Pod = {
    metadata: { name: 'redis-app-0', uid: 'u' },
    spec: { nodeName: 'n1', containers: [] },
    status: { phase: 'Running', podIP: '10.244.1.5' },
  };
  const zones = new Map([['n1', 'eu-1a']]);
  assert.equal(
    [pods.toPodInfo(bound, 'redis-app', zones).node, pods.toPodInfo(bound, 'redis-app', zones).zone],
    ['n1', 'eu-1a'],
  );
  assert.not.ok('zone' in pods.toPodInfo(bound, 'redis-app', new Map()));
});

test.run();
