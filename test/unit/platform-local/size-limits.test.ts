/** An emptyDir sizeLimit the local platform does not enforce is said, never silently ignored (issue 25). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { unenforcedSizeLimits } from '../../../src/platform/local/size-limits.ts';

const statefulSet = (volumes: unknown[]) =>
  ({ statefulSet: { body: { spec: { template: { spec: { volumes } } } } } }) as unknown as Parameters<
    typeof unenforcedSizeLimits
  >[0];

test('each emptyDir with a sizeLimit is named as not enforced; others say nothing', () => {
  assert.equal(
    unenforcedSizeLimits(
      statefulSet([
        { name: 'scratch', emptyDir: { sizeLimit: '64Mi' } },
        { name: 'plain', emptyDir: {} },
        { name: 'conf', configMap: { name: 'x' } },
      ]),
    ),
    [
      'local platform: emptyDir scratch sizeLimit "64Mi" is not enforced (the kubelet would evict the pod past it; here the volume is a plain directory)',
    ],
  );
  assert.equal(unenforcedSizeLimits(statefulSet([])), []);
});

test.run();
