import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { ObjectApi } from '../../../src/platform/kube/api.ts';
import { kubeJobStatuses } from '../../../src/platform/kube/jobs.ts';

// Stand-ins with the two calls kubeJobStatuses makes (the API fixture serves no batch/v1): the Job as the Job
// controller leaves it (a Failed condition with reason BackoffLimitExceeded) and its pods by the job-name label.
function clients(job: object, pods: Array<{ name: string; created: string }>, asked: string[]) {
  const objects = { read: async () => job } as unknown as ObjectApi;
  const core = {
    listNamespacedPod: async ({ labelSelector }: { labelSelector: string }) => {
      asked.push(labelSelector);
      return {
        items: pods.map((p) => ({
          metadata: { name: p.name, creationTimestamp: new Date(p.created) },
          spec: { containers: [{ name: 'create' }] },
        })),
      };
    },
    readNamespacedPodLog: async ({ name }: { name: string }) => `log of ${name}\nCould not connect\n`,
  } as unknown as CoreV1Api;
  return { core, objects };
}

test('a failed Job: its condition and the newest pod log, found by the job-name label of its applied name', async () => {
  const asked: string[] = [];
  const { core, objects } = clients(
    {
      status: {
        conditions: [
          { type: 'FailureTarget', status: 'True' },
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          },
        ],
      },
    },
    [
      { name: 'create-run1-aaaaa', created: '2026-12-06T10:00:00Z' },
      { name: 'create-run1-bbbbb', created: '2026-12-06T10:00:20Z' },
    ],
    asked,
  );
  const [s] = await kubeJobStatuses(core, objects, 'ns', [{ name: 'create', applied: 'create-run1' }]);
  assert.equal(s, {
    name: 'Job create',
    state: 'failed',
    detail: 'BackoffLimitExceeded: Job has reached the specified backoff limit',
    lastLog: '--- pod create-run1-bbbbb container create\nlog of create-run1-bbbbb\nCould not connect',
  });
  assert.equal(asked, ['job-name=create-run1']);
});

test('a Job still running, and one that cannot be read, say so without throwing', async () => {
  const running = clients({ status: {} }, [], []);
  const [r] = await kubeJobStatuses(running.core, running.objects, 'ns', [{ name: 'j', applied: 'j' }]);
  assert.equal([r!.state, r!.detail, r!.lastLog], ['running', 'no condition yet', '']);
  const broken = { read: async () => Promise.reject(new Error('jobs.batch "j" is forbidden')) } as unknown as ObjectApi;
  const [b] = await kubeJobStatuses(running.core, broken, 'ns', [{ name: 'j', applied: 'j' }]);
  assert.equal([b!.state, b!.detail], ['running', 'no condition yet (reading it: jobs.batch "j" is forbidden)']);
});

test.run();
