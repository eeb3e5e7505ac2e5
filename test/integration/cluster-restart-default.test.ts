/**
 * cluster-restart on the default manifests in sandbox mode: every pod deleted at once (SIGKILL, then SIGTERM)
 * comes back on a new address, and the manifests' peer re-discovery (rediscover-peers.sh, resolving the headless
 * Service's pods and sending CLUSTER MEET) re-forms the cluster with its NodeIDs and data. The pods' logs show
 * that the script did it, not Redis alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withNode } from '../../src/redis/connect.ts';
import { runClusterRestart } from '../../src/scenarios/cluster-restart.ts';
import { waitFor } from '../../src/util/wait.ts';
import { defaultSettings, scenarioSuite, testLog, type DeployedCluster } from './failover-cluster.ts';

const cluster = scenarioSuite(test, 'manifests', '127.0.114', { masters: 3, replicasPerMaster: 1 }, 1000, 'sandbox');

/** The re-discovery's lines in every pod's log of one incarnation (1: the first start). */
function rediscoveryLines(c: DeployedCluster, incarnation: number): string[] {
  const dir = join(c.workDir, 'logs');
  return readdirSync(dir)
    .filter((f) => f.endsWith(`.${incarnation}.log`))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('rediscover-peers:'))
        .map((l) => `${f}: ${l}`),
    );
}

for (const [killMode, incarnation] of [
  ['kill', 2],
  ['graceful', 3],
] as const) {
  test(`every pod deleted at once (${killMode}): re-formed through the re-discovery, same shards and NodeIDs, no write lost`, async () => {
    const c = cluster();
    const r = await runClusterRestart(
      { platform: c.platform, redis: c.redis, log: testLog },
      defaultSettings(c, { killMode, writeRate: 100, thresholds: { maxLostWrites: 0, maxReformMs: 30_000 } }),
    );
    const why = `${r.error ?? ''}\n${r.checks.map((x) => `${x.id}: ${x.status}: ${x.summary}`).join('\n')}`;
    assert.equal(
      r.checks.map((x) => [x.id, x.status]),
      [
        ['all-pods-recreated', 'pass'],
        ['node-ids-kept', 'pass'],
        ['cluster-reformed', 'pass'],
        ['data-intact', 'pass'],
        ['max-lost-writes', 'pass'],
      ],
      why,
    );
    const recreated = r.checks[0]!.evidence.pods as Array<{ ipBefore: string; ipAfter: string }>;
    assert.ok(
      recreated.every((p) => p.ipAfter !== p.ipBefore),
      'every pod on a new address',
    );
    // The first start met nobody (bootstrapping is not its job); this restart's scripts sent the MEETs.
    const first = rediscoveryLines(c, 1);
    // Every pod's script ran on its first start and ended either at once (it knew no peer: a new node) or, when
    // it got to look only after the bootstrap had introduced the nodes (a slow start beside other test files),
    // by finding the cluster whole: it never forms one itself.
    const logs = [...new Set(first.map((l) => l.split(':')[0]))];
    assert.is(logs.length, 6, first.join('\n'));
    for (const pod of logs) {
      const last = first.filter((l) => l.startsWith(`${pod ?? ''}:`)).at(-1) ?? '';
      assert.ok(/knows no peer|cluster_state:ok: done/.test(last), first.join('\n'));
    }
    const now = rediscoveryLines(c, incarnation);
    testLog.info(now.join('\n'));
    assert.ok(
      now.some((l) => /CLUSTER MEET 127\.0\.\d+\.\d+ \(node [0-9a-f]{40}\)/.test(l)),
      now.join('\n'),
    );
    // Re-formed includes replication: every replica replicating from its master's new address (a replica that
    // learned it through gossip kept the old one until the script pointed it again).
    const pods = await c.platform.listPods();
    await waitFor(
      'every replica linked to its master at its current address',
      async () => {
        const seen = await Promise.all(
          pods.map((p) =>
            withNode(
              (a) => c.platform.reach(a),
              { host: p.ip, port: c.redis.port },
              (r) => r.info('replication'),
            ),
          ),
        );
        const down = seen.filter((s) => s.includes('role:slave') && !s.includes('master_link_status:up'));
        return down.length === 0
          ? { done: true, value: undefined }
          : { done: false, seen: down.map((s) => /master_host:(\S+)/.exec(s)?.[1]).join(', ') };
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
  });
}

test.run();
