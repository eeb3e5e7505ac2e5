import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redisDeployment } from '../../../src/manifests/deployment.ts';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import type { RedisDeployment } from '../../../src/manifests/model.ts';
import { localFreeze } from '../../../src/platform/local/faults/freeze.ts';
import { localRollingRestart } from '../../../src/platform/local/faults/rolling-restart.ts';

const FILES = ['statefulset.yaml', 'configmap.yaml'];
function deployment(strategy = ''): RedisDeployment {
  const objects = FILES.flatMap((f) => {
    const text = readFileSync(`manifests/${f}`, 'utf8');
    return parseManifestFile(
      `manifests/${f}`,
      f === 'statefulset.yaml' ? text.replace('  replicas: 6\n', `  replicas: 6\n${strategy}`) : text,
    );
  });
  return redisDeployment({ dir: 'manifests', files: FILES, objects });
}

/** The error `run` rejects with, or undefined when it resolves. */
async function refusal(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
    return undefined;
  } catch (err) {
    return String(err);
  }
}

/** The rolling restart over six pods, recording the batches it asks the controller's replacement for. */
async function restart(strategy = ''): Promise<string[][]> {
  const batches: string[][] = [];
  const fault = localRollingRestart({
    deployed: () => deployment(strategy),
    pods: () => Array.from({ length: 6 }, (_, i) => ({ name: `redis-app-${i}`, ordinal: i })),
    replace: async (b) => {
      batches.push(...b);
    },
  });
  await fault.restartAll(1000);
  return batches;
}

test('rolling restart: every pod, one at a time, highest ordinal first', async () => {
  assert.equal(
    await restart(),
    [5, 4, 3, 2, 1, 0].map((i) => [`redis-app-${i}`]),
  );
});

test('rolling restart: pods below rollingUpdate.partition are left alone', async () => {
  const partition = '  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate:\n      partition: 4\n';
  assert.equal(await restart(partition), [['redis-app-5'], ['redis-app-4']]);
});

test('rolling restart: OnDelete replaces nothing, and says so', async () => {
  const why = await refusal(() => restart('  updateStrategy:\n    type: OnDelete\n'));
  assert.match(why ?? 'restarted pods', 'has updateStrategy OnDelete');
});

test('freeze: a pod without a running process is refused by name', async () => {
  const fault = localFreeze(() => undefined);
  const why = await refusal(() => fault.freeze('redis-app-0'));
  assert.match(why ?? 'froze it', 'pod redis-app-0 has no running process to freeze');
});

test.run();
