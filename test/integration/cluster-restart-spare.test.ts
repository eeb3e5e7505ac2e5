/**
 * cluster-restart with --restart-spare on manifests with NO peer re-discovery (test/fixtures/manifests/
 * no-rediscovery: 6 pods, 3 masters + 3 replicas, redis-server started directly): every pod but one replica is
 * killed at once, so every master comes back on a new address. The spare keeps its address, the others find it
 * through their nodes.conf, it learns their new addresses when they connect and gossips them on: the cluster
 * re-forms through Redis alone, with its data. Lint says the manifests have no re-discovery, so nothing else can
 * be credited for it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../src/errors.ts';
import { loadManifests } from '../../src/manifests/load.ts';
import { lintManifests } from '../../src/manifests/lint/index.ts';
import { reachOf, withNode } from '../../src/redis/connect.ts';
import { runClusterRestart } from '../../src/scenarios/cluster-restart.ts';
import { defaultSettings, scenarioSuite, testLog } from './failover-cluster.ts';

const MANIFESTS = 'test/fixtures/manifests/no-rediscovery';
const cluster = scenarioSuite(test, MANIFESTS, '127.0.114', { masters: 3, replicasPerMaster: 1 });

test('the fixture has no peer re-discovery (lint warns), so Redis alone is credited', async () => {
  const found = lintManifests(await loadManifests(MANIFESTS)).filter((f) => f.rule === 'redis-peer-rediscovery');
  assert.equal(
    found.map((f) => f.severity),
    ['warning'],
  );
  assert.match(found[0]!.message, /nothing re-introduces the nodes/);
});

test('a restart-spare that is no Redis pod is an input error naming the option, before anything is deleted', async () => {
  const c = cluster();
  const uids = (await c.platform.listPods()).map((p) => p.uid);
  const err = await runClusterRestart(
    { platform: c.platform, redis: c.redis, log: testLog },
    defaultSettings(c, { restartSpare: 'redis-app-99' }),
  ).catch((e: unknown) => e);
  assert.instance(err, InputError);
  assert.match((err as Error).message, /restart-spare redis-app-99: no such Redis pod; the pods are redis-app-0, /);
  assert.equal(
    (await c.platform.listPods()).map((p) => p.uid),
    uids,
    'no pod was touched',
  );
});

test('every pod but one replica killed at once: 5 of 6 recreated on new addresses, the cluster re-forms through Redis alone, data intact', async () => {
  const c = cluster();
  const pods = await c.platform.listPods();
  const roles = await Promise.all(
    pods.map((p) =>
      withNode(reachOf(c.platform), { host: p.ip, port: c.redis.port }, async (r) =>
        String(((await r.call('ROLE')) as unknown[])[0]),
      ),
    ),
  );
  const spare = pods[roles.indexOf('slave')]!;
  const r = await runClusterRestart(
    { platform: c.platform, redis: c.redis, log: testLog },
    defaultSettings(c, {
      killMode: 'kill',
      restartSpare: spare.name,
      thresholds: { maxLostWrites: 0, maxReformMs: 30_000 },
    }),
  );
  const why = r.checks.map((x) => `${x.id}: ${x.status}: ${x.summary}`).join('\n');
  assert.is(r.error, undefined, r.error);
  // Redis re-points a replica's replication only on a packet from its moved master itself, not on gossip
  // (docs/design.md): in this case a restarted replica can stay linked to its master's old address, and
  // cluster-reformed then fails naming that cause, while the masters serve every slot and the data is read
  // back. Any other problem fails the test.
  const reformed = r.checks.find((x) => x.id === 'cluster-reformed')!;
  const replicaLinkOnly =
    reformed.status === 'fail' && reformed.summary.includes("replicas still replicate from their master's old address");
  assert.equal(
    r.checks.map((x) => [x.id, x.status]),
    [
      ['all-pods-recreated', 'pass'],
      ['node-ids-kept', 'pass'],
      ['cluster-reformed', replicaLinkOnly ? 'fail' : 'pass'],
      ['data-intact', 'pass'],
      ['max-lost-writes', 'pass'],
    ],
    why,
  );
  if (replicaLinkOnly)
    testLog.info(`all-but-one: a replica stayed linked to its master's old address: ${reformed.summary}`);
  const recreated = r.checks[0]!;
  assert.match(
    recreated.summary,
    new RegExp(
      `^5 of 6 pods recreated with new UIDs \\(${spare.name} spared, still running at ${spare.ip.replaceAll('.', '\\.')}\\), 5 of them on new addresses`,
    ),
  );
  assert.is(recreated.evidence.restarted, 5);
  const evidence = recreated.evidence.pods as Array<{
    pod: string;
    uidBefore: string;
    uidAfter: string;
    ipBefore: string;
    ipAfter: string;
  }>;
  const kept = evidence.find((p) => p.pod === spare.name)!;
  assert.ok(kept.uidAfter === kept.uidBefore && kept.ipAfter === kept.ipBefore, 'the spare was left alone');
  // Every master was among the restarted pods: the re-form needed every master's new address.
  const masters = r.topologyBefore.nodes.filter((n) => n.role === 'master').map((n) => n.pod);
  assert.is(masters.length, 3);
  assert.ok(!masters.includes(spare.name));
  assert.ok(
    r.notes?.some((n) => n === `5 of 6 pods (${spare.name} spared) deleted at once: the all-but-one case`),
    JSON.stringify(r.notes),
  );
  assert.ok(r.writes!.acknowledged > 0);
  if (replicaLinkOnly) return;
  assert.ok(r.timings.reformMs !== undefined && r.timings.allPodsBackMs !== undefined, JSON.stringify(r.timings));
  testLog.info(
    `all-but-one (kill, 5 of 6 restarted): every pod back ${r.timings.allPodsBackMs} ms, re-formed ${r.timings.reformMs} ms after the deletion`,
  );
});

test.run();
