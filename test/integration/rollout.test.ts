/**
 * Scenario rollout through `check` on the local platform, real servers: the default manifests deployed and
 * bootstrapped as the base, then a head applied over them under write load as `kubectl apply` does. Heads whose
 * pods are replaced otherwise (OnDelete, nodes.conf moved off its claim): rollout-replacement.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderMarkdown } from '../../src/report/markdown.ts';
import { renderPrComment } from '../../src/report/pr-comment.ts';
import { check, livePids, rolloutRuns } from '../support/rollout-runs.ts';

const { head, rollout } = rolloutRuns(test);

test('Redis 7.0 to Valkey 8.0: the rollout passes, every NodeID kept, no write lost, the mixed-version window shown', async () => {
  const valkey = await head('valkey', 'statefulset.yaml', (t) =>
    t.replace('image: redis:7.2.5', 'image: valkey/valkey:8.0'),
  );
  const { report, why } = await rollout(valkey, '127.0.121');
  const s = report.scenarios[0]!;
  assert.is(s.status, 'pass', why);
  assert.is(report.verdict, 'pass', why);
  for (const id of [
    'apply-accepted',
    'pods-on-head-revision',
    'node-id-kept',
    'cluster-healthy',
    'slot-coverage-kept',
    'data-intact',
  ])
    assert.is(check(report, id)?.status, 'pass', `${id}\n${why}`);
  assert.is(s.writes!.lost, 0, why);
  assert.ok(s.writes!.acknowledged > 0, why);
  const r = s.rollout!;
  assert.equal(r.changes.image, { before: 'redis:7.2.5', after: 'valkey/valkey:8.0' });
  assert.equal(r.changes.server, { before: 'Redis', after: 'Valkey' });
  assert.ok(
    r.pods.every((p) => p.versionBefore?.startsWith('Redis 7.0') && p.versionAfter?.startsWith('Valkey 8.0')),
    JSON.stringify(r.pods),
  );
  assert.ok(r.mixedVersions, why);
  assert.ok(
    r.mixedVersions.versions.some((v) => v.startsWith('Redis 7.0')) &&
      r.mixedVersions.versions.some((v) => v.startsWith('Valkey 8.0')),
    JSON.stringify(r.mixedVersions),
  );
  assert.ok((r.mixedVersions.durationMs ?? 0) > 0, JSON.stringify(r.mixedVersions));
  const md = renderMarkdown(report);
  assert.match(md, '#### What the pull request changes');
  assert.match(md, '| image | redis:7.2.5 → valkey/valkey:8.0 |');
  assert.match(
    md,
    /Mixed versions: Redis 7\.0\.\d+ \+ Valkey 8\.0\.\d+ side by side from \d+ ms after the apply for \d+ ms\./,
  );
  assert.match(renderPrComment(report, { key: 'm' }), '| Pod | Revision | Version | NodeID kept |');
  assert.equal(
    s.pods!.map((p) => p.ordinal),
    [5, 4, 3, 2, 1, 0],
    'highest ordinal first',
  );
  assert.equal(await livePids('127.0.121'), []);
});

test('a claim template whose size changes is refused as the API server refuses it: the PR would not deploy', async () => {
  const bigger = await head('bigger-claim', 'statefulset.yaml', (t) => t.replace('storage: 1Gi', 'storage: 2Gi'));
  // Lint finds the claim bigger than its PersistentVolume: let it through to see what the API server says.
  const { report, why } = await rollout(bigger, '127.0.122', { 'fail-on-lint': 'never' });
  assert.is(report.verdict, 'fail', why);
  const c = check(report, 'apply-accepted')!;
  assert.is(c.status, 'fail', why);
  assert.match(c.summary, 'StatefulSet redis-app spec.volumeClaimTemplates[0].spec.resources.requests.storage');
  assert.match(
    c.summary,
    `StatefulSet.apps "redis-app" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden`,
  );
  assert.is(check(report, 'pods-on-head-revision')?.status, 'skipped', why);
  assert.equal(await livePids('127.0.122'), []);
});

test('a change of redis.conf alone restarts no pod: the report says so and the cluster stays healthy', async () => {
  const conf = await head('conf-only', 'configmap.yaml', (t) =>
    t.replace('appendonly yes', 'appendonly yes\n    maxmemory-policy noeviction'),
  );
  const { report, why } = await rollout(conf, '127.0.123');
  const s = report.scenarios[0]!;
  assert.is(s.status, 'pass', why);
  assert.ok(s.rollout!.restartsNoPod, why);
  assert.match(check(report, 'pods-on-head-revision')!.summary, 'no pod was restarted');
  assert.ok(
    s.pods!.every((p) => p.uidAfter === undefined),
    JSON.stringify(s.pods),
  );
  assert.ok(
    s.notes!.some((n) => n.includes('ConfigMap redis-conf changed')),
    String(s.notes),
  );
  assert.equal(s.rollout!.changes.directives, [{ name: 'maxmemory-policy', after: 'noeviction' }]);
  assert.is(check(report, 'cluster-healthy')?.status, 'pass', why);
});

test('cancelled mid-rollout: verdict cancelled, nothing left running', async () => {
  const valkey = await head('valkey-cancel', 'statefulset.yaml', (t) =>
    t.replace('image: redis:7.2.5', 'image: valkey/valkey:8.0'),
  );
  const abort = new AbortController();
  const { report, why } = await rollout(valkey, '127.0.125', {}, abort.signal, (line) => {
    if (line.includes('rollout: pod redis-app-5 replaced and ready')) abort.abort(new Error('SIGINT'));
  });
  assert.is(report.verdict, 'cancelled', why);
  assert.is(report.scenarios[0]?.status, 'cancelled', why);
  assert.equal(await livePids('127.0.125'), []);
});

test.run();
