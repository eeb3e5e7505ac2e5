import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import type { ManifestSet } from '../../../src/manifests/model.ts';
import { redisDeployment } from '../../../src/manifests/deployment.ts';
import { refusedUpdates, statefulSetForbidden } from '../../../src/manifests/update-refusals.ts';
import { deploymentChanges, nodeIdLossCause, templateRevision } from '../../../src/manifests/rollout-changes.ts';

const FILES = ['statefulset.yaml', 'configmap.yaml', 'headless-service.yaml'];

/** The default manifests, with `edit` applied to the text of `file`. */
function manifests(file?: string, edit?: (t: string) => string): ManifestSet {
  const objects = FILES.flatMap((f) => {
    const text = readFileSync(`manifests/${f}`, 'utf8');
    const changed = f === file && edit ? edit(text) : text;
    if (f === file) assert.is.not(changed, text, `the edit of ${f} changed nothing`);
    return parseManifestFile(`manifests/${f}`, changed);
  });
  return { dir: 'manifests', files: FILES, objects };
}
const sts = (edit: (t: string) => string) => manifests('statefulset.yaml', edit);

test('the same manifests: nothing refused, the same revision', () => {
  assert.equal(refusedUpdates(manifests(), manifests()), []);
  assert.is(templateRevision(redisDeployment(manifests())), templateRevision(redisDeployment(manifests())));
});

// ValidateStatefulSetUpdate: everything but replicas, ordinals, template, updateStrategy, revisionHistoryLimit,
// persistentVolumeClaimRetentionPolicy and minReadySeconds is immutable.
for (const [what, edit, field] of [
  [
    'a claim size',
    (t: string) => t.replace('storage: 1Gi', 'storage: 2Gi'),
    'spec.volumeClaimTemplates[0].spec.resources.requests.storage',
  ],
  [
    'the serviceName',
    (t: string) => t.replace('serviceName: redis-service', 'serviceName: redis-headless'),
    'spec.serviceName',
  ],
  [
    'podManagementPolicy',
    (t: string) => t.replace('podManagementPolicy: Parallel', 'podManagementPolicy: OrderedReady'),
    'spec.podManagementPolicy',
  ],
  [
    'the selector',
    (t: string) => t.replace(/(selector:\n\s+matchLabels:\n\s+app: redis)/, '$1\n      tier: cache'),
    'spec.selector.matchLabels.tier',
  ],
] as const) {
  test(`${what} changed: refused with the API server's message, naming the field and its line`, () => {
    const refused = refusedUpdates(manifests(), sts(edit));
    assert.is(refused.length, 1);
    assert.is(refused[0]!.object, 'StatefulSet redis-app');
    assert.is(refused[0]!.field, field);
    assert.is(refused[0]!.message, statefulSetForbidden('redis-app'));
    assert.is(refused[0]!.at.file, 'manifests/statefulset.yaml');
    assert.ok(refused[0]!.at.line > 1);
  });
}

test('the message is the API server one, word for word', () => {
  assert.is(
    statefulSetForbidden('web'),
    `StatefulSet.apps "web" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden`,
  );
});

test('what the API server takes as equal is not refused: the same size in other units, a defaulted field written out', () => {
  assert.equal(
    refusedUpdates(
      manifests(),
      sts((t) => t.replace('storage: 1Gi', 'storage: 1024Mi')),
    ),
    [],
  );
  assert.equal(
    refusedUpdates(
      manifests(),
      sts((t) => t.replace('        volumeMode: Filesystem\n', '')),
    ),
    [],
  );
});

test('mutable fields are not refused: template, replicas, updateStrategy, minReadySeconds', () => {
  const head = sts((t) =>
    t
      .replace('image: redis:7.2.5', 'image: valkey/valkey:8.0')
      .replace('replicas: 6', 'replicas: 6\n  minReadySeconds: 5\n  updateStrategy:\n    type: OnDelete'),
  );
  assert.equal(refusedUpdates(manifests(), head), []);
});

test('an immutable ConfigMap whose data changes is refused', () => {
  const immutable = (t: string) => t.replace('name: redis-conf\n', 'name: redis-conf\nimmutable: true\n');
  const base = manifests('configmap.yaml', immutable);
  const head = manifests('configmap.yaml', (t) => immutable(t).replace('appendonly yes', 'appendonly no'));
  const refused = refusedUpdates(base, head);
  assert.is(refused[0]?.field, 'data');
  assert.is(
    refused[0]?.message,
    'ConfigMap "redis-conf" is invalid: data: Forbidden: field is immutable when `immutable` is set',
  );
});

test('changes: image, server, revision; a directive change in the ConfigMap alone keeps the revision', () => {
  const base = { set: manifests(), redis: redisDeployment(manifests()) };
  const valkey = sts((t) => t.replace('image: redis:7.2.5', 'image: valkey/valkey:8.0'));
  const c = deploymentChanges(base, { set: valkey, redis: redisDeployment(valkey) });
  assert.ok(c.templateChanged);
  assert.equal(c.templateFields, ['spec.template.spec.containers[0].image']);
  assert.equal(c.server, { before: 'Redis', after: 'Valkey' });
  const conf = manifests('configmap.yaml', (t) => t.replace('cluster-node-timeout 5000', 'cluster-node-timeout 15000'));
  const d = deploymentChanges(base, { set: conf, redis: redisDeployment(conf) });
  assert.not.ok(d.templateChanged);
  assert.equal(d.directives, [{ name: 'cluster-node-timeout', before: '5000', after: '15000' }]);
  assert.equal(d.configMaps, ['redis-conf']);
});

test('the data volume moved off nodes.conf: the cause names it', () => {
  const base = { set: manifests(), redis: redisDeployment(manifests()) };
  const moved = sts((t) =>
    t
      .replace(
        /(- name: redis-data\n\s+mountPath: )\/var\/lib\/redis/,
        '$1/data\n            - name: scratch\n              mountPath: /var/lib/redis',
      )
      .replace('      volumes:\n', '      volumes:\n        - name: scratch\n          emptyDir: {}\n'),
  );
  const head = { set: moved, redis: redisDeployment(moved) };
  const c = deploymentChanges(base, head);
  assert.equal(c.clusterConfigFile?.persistentAfter, false);
  assert.match(
    nodeIdLossCause(c, head.redis)!,
    'nodes.conf (/var/lib/redis/nodes.conf) is no longer on a PersistentVolumeClaim: its volume scratch is emptyDir',
  );
});

test.run();
