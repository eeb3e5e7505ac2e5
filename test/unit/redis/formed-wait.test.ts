import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeViews, jobCause } from '../../../src/redis/formed-wait.ts';
import type { ManifestJobStatus } from '../../../src/platform/platform.ts';

const job = (name: string, state: ManifestJobStatus['state']): ManifestJobStatus => ({
  name,
  state,
  detail: `${state} detail`,
  lastLog: `--- ${name}.log\nlast line`,
});

test('jobCause: gives up only when every bootstrapping Job failed (or was not run); other Jobs are not asked', () => {
  assert.is(jobCause([job('Job backup', 'failed')], ['Job create']), undefined);
  assert.equal(jobCause([job('Job create', 'running'), job('Job backup', 'failed')], ['Job create']), {
    failed: false,
    text: 'Job create running: running detail\n--- Job create.log\nlast line',
  });
  assert.is(jobCause([job('Job create', 'failed')], ['Job create'])?.failed, true);
  assert.is(jobCause([job('Job create', 'not-run')], ['Job create'])?.failed, true);
});

test('describeViews: each node cluster_state, known nodes and slots, or why it did not answer', () => {
  assert.is(
    describeViews([
      {
        address: { host: '10.0.0.1', port: 6379 },
        nodes: [],
        info: { cluster_state: 'fail', cluster_known_nodes: '1', cluster_slots_assigned: '0' },
      },
      { address: { host: '10.0.0.2', port: 6379 }, error: 'connect ECONNREFUSED' },
    ]),
    '  10.0.0.1:6379: cluster_state:fail, cluster_known_nodes:1, cluster_slots_assigned:0\n  10.0.0.2:6379: no answer (connect ECONNREFUSED)',
  );
});

test.run();
