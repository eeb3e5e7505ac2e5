/**
 * Scenario rollout through `check` on the local platform, real servers: heads whose pods are replaced otherwise
 * than by the controller's rolling update of a plain head: updateStrategy OnDelete (the scenario deletes them), and
 * a data volume moved off nodes.conf (each replaced pod loses its NodeID). The rest: rollout.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { check, livePids, rolloutRuns } from '../support/rollout-runs.ts';

const { head, rollout } = rolloutRuns(test);

test('a head that moves the data volume off nodes.conf fails node-id-kept and names the change', async () => {
  const moved = await head('volume-moved', 'statefulset.yaml', (t) =>
    // The claim moves to /data; /var/lib/redis (dir, nodes.conf) becomes an emptyDir, wiped with every pod.
    t
      .replace(
        '- name: redis-data\n              mountPath: /var/lib/redis',
        '- name: redis-data\n              mountPath: /data\n            - name: scratch\n              mountPath: /var/lib/redis',
      )
      .replace('      volumes:\n', '      volumes:\n        - name: scratch\n          emptyDir: {}\n'),
  );
  const { report, why } = await rollout(moved, '127.0.124', {
    'rejoin-timeout': '15s',
    'write-rate': '0',
    // Lint finds nodes.conf off the claim (the point of the test): let the rollout show what it costs.
    'fail-on-lint': 'never',
  });
  const c = check(report, 'node-id-kept')!;
  assert.is(c.status, 'fail', why);
  assert.match(c.summary, 'nodes.conf (/var/lib/redis/nodes.conf) is no longer on a PersistentVolumeClaim');
  assert.equal(await livePids('127.0.124'), []);
});

test('updateStrategy OnDelete: the scenario deletes the pods in the controller order and says so', async () => {
  const onDelete = await head('on-delete', 'statefulset.yaml', (t) =>
    t
      .replace('image: redis:7.2.5', 'image: valkey/valkey:8.0')
      .replace('  replicas: 6\n', '  replicas: 6\n  updateStrategy:\n    type: OnDelete\n'),
  );
  const { report, why } = await rollout(onDelete, '127.0.129');
  const s = report.scenarios[0]!;
  assert.is(s.status, 'pass', why);
  assert.is(s.rollout!.update?.strategy, 'OnDelete');
  assert.ok(s.rollout!.deletedByScenario);
  assert.ok(
    s.notes!.some((n) => n.startsWith('updateStrategy OnDelete: the StatefulSet controller replaces no pod by itself')),
    String(s.notes),
  );
  assert.equal(
    s.pods!.map((p) => p.ordinal),
    [5, 4, 3, 2, 1, 0],
  );
  assert.is(s.writes!.lost, 0, why);
  assert.equal(await livePids('127.0.129'), []);
});

test.run();
