import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Platform, PodInfo } from '../../../src/platform/platform.ts';
import type { RedisDeployment } from '../../../src/manifests/model.ts';
import type { WriteStats } from '../../../src/report/model.ts';
import { parseClusterNodes } from '../../../src/redis/cluster-nodes.ts';
import { UnsupportedError } from '../../../src/errors.ts';
import { driveSteps } from '../../../src/scenarios/driver.ts';
import { scenarioResult } from '../../../src/scenarios/result.ts';
import { pauseLoss, type PauseFacts } from '../../../src/scenarios/master-pause.ts';
import { HistoryRecorder } from '../../../src/scenarios/history/model.ts';
import { allPodsRecreated, type ClusterRestartFacts } from '../../../src/scenarios/cluster-restart.ts';
import {
  aggregateWrites,
  coverageOf,
  podRestarts,
  rollingChecks,
  type RollingFacts,
} from '../../../src/scenarios/rolling-restart.ts';
import { silentLog } from '../../../src/util/log.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const nodes = parseClusterNodes(
  `${A} 127.0.90.1:6379@16379 myself,master - 0 0 1 connected 0-8191\n${B} 127.0.90.2:6379@16379 master - 0 0 2 connected 8192-16383\n`,
);
const pod = (name: string, ordinal: number, uid: string): PodInfo => ({
  name,
  ordinal,
  uid,
  ip: `127.0.90.${ordinal + 1}`,
  node: 'local',
  ready: true,
});

test('pause loss: acknowledged stale writes the checker calls lost, when after the freeze and by whom', () => {
  const stale = new HistoryRecorder();
  stale.declare('s', 'list');
  const write = (outcome: 'ok' | 'fail', error?: string) => {
    const op = stale.invokeWrite('s', 'stale-client');
    stale.complete(op, outcome, '10.0.0.1:6379', error);
    return op;
  };
  const w0 = write('ok');
  const w1 = write('ok');
  write('fail', 'MOVED 1 x');
  const victim = { pod: 'redis-app-0' } as PauseFacts['victim'];
  assert.is(pauseLoss({ stale, victim }, 0), undefined, 'not read back: not measured');
  stale.completeRead(stale.invokeRead('s', 'final-read'), ['0']);
  const t0 = w0.invokeAt;
  const loss = pauseLoss({ stale, staleReadBack: true, victim }, t0)!;
  assert.is(loss.lost, 1);
  assert.is(loss.readBackMissing, 1);
  assert.equal(loss.sample, [
    { key: 's', value: 1, ackAtMs: w1.completeAt! - t0, by: 'redis-app-0 (resumed, not yet stepped down)' },
  ]);
  assert.is(loss.lastAckByOldMasterMs, w1.completeAt! - t0);
  assert.equal(loss.history!.values, { stable: 1, stale: 0, lost: 1, 'never-read': 0, indeterminate: 0, failed: 1 });
});

const writes = (unavailableMs: number, acknowledged: number, lost = 0): WriteStats => ({
  mode: 'plain',
  ratePerSecond: 50,
  attempted: acknowledged + 5,
  skipped: 0,
  acknowledged,
  failed: 5,
  lost,
  unavailableMs,
  lostKeys: lost ? ['x'] : [],
  firstErrors: ['CLUSTERDOWN'],
});

test("rolling restart: per-shard writes add up, the unavailable window is the worst shard's", () => {
  const total = aggregateWrites([
    { slots: ['0-8191'], writes: writes(300, 100) },
    { slots: ['8192-16383'], writes: writes(2100, 90, 1) },
  ])!;
  assert.is(total.acknowledged, 190);
  assert.is(total.lost, 1);
  assert.is(total.unavailableMs, 2100);
  assert.is(total.ratePerSecond, 100);
  assert.is(aggregateWrites([]), undefined);
  assert.is(coverageOf(nodes), '0-8191 8192-16383');
});

test('rolling restart: every pod replaced passes; a failover or a master deleted while its replica was unsynced fails failovers-safe', () => {
  const facts = (extra: Partial<RollingFacts> = {}): RollingFacts => ({
    opts: {
      holdRestart: false,
      killMode: 'graceful',
      writeRate: 0,
      writeWait: false,
      failoverTimeoutMs: 1,
      rejoinTimeoutMs: 1,
      thresholds: { maxLostWrites: 0 },
      expected: { nodes: 2, masters: 2 },
    },
    run: 'r',
    podsBefore: [],
    watches: [
      {
        pod: pod('redis-app-1', 1, 'u1'),
        node: nodes[1]!,
        goneAt: 100,
        readyAt: 1100,
        after: pod('redis-app-1', 1, 'n1'),
        roleAfter: 'master',
        nodeIdAfter: B,
        syncedAt: 1100,
      },
      {
        pod: pod('redis-app-0', 0, 'u0'),
        node: nodes[0]!,
        goneAt: 1200,
        readyAt: 2500,
        after: pod('redis-app-0', 0, 'n0'),
        roleAfter: 'master',
        nodeIdAfter: A,
        syncedAt: 2500,
      },
    ],
    shards: [],
    topologyBefore: { nodes: [] },
    coverageBefore: '0-8191 8192-16383',
    coverageAfter: '0-8191 8192-16383',
    promotions: [],
    unsyncedDeletions: [],
    rolloutDone: true,
    health: { healthy: true, problems: [], views: [] },
    finished: true,
    ...extra,
  });
  const pods = podRestarts(facts());
  assert.equal(
    pods.map((p) => [p.pod, p.restartMs, p.failover, p.nodeIdKept]),
    [
      ['redis-app-1', 1000, false, true],
      ['redis-app-0', 1300, false, true],
    ],
  );
  const ok = Object.fromEntries(rollingChecks(facts(), undefined).map((c) => [c.id, c.status]));
  assert.equal(ok, {
    'pods-replaced': 'pass',
    'node-id-kept': 'pass',
    'cluster-healthy': 'pass',
    'slot-coverage-kept': 'pass',
    'failovers-safe': 'pass',
    'data-intact': 'pass',
    'max-lost-writes': 'skipped',
  });
  const risky = rollingChecks(
    facts({
      promotions: [{ slots: '0-8191', from: A, to: B, at: 1500 }],
      unsyncedDeletions: [{ deleted: 'redis-app-0', unsynced: 'redis-app-1', at: 1200 }],
    }),
    undefined,
  );
  const safe = risky.find((c) => c.id === 'failovers-safe')!;
  assert.is(safe.status, 'fail');
  assert.match(
    safe.summary,
    '1 failover(s) during the rollout; redis-app-0 deleted while its replica redis-app-1 was ready but not in sync',
  );
  assert.ok(
    podRestarts(facts({ promotions: [{ slots: '0-8191', from: A, to: B, at: 1500 }] })).find(
      (p) => p.pod === 'redis-app-0',
    )!.failover,
  );
  const notBack = rollingChecks(facts({ watches: [{ pod: pod('redis-app-1', 1, 'u1'), node: nodes[1]! }] }), undefined);
  assert.is(notBack.find((c) => c.id === 'pods-replaced')!.status, 'fail');
});

test('a platform that cannot do a step (UnsupportedError): the scenario is skipped with the reason, never failed', async () => {
  const env = {
    platform: { faults: { podDelete: { releaseHold: async () => {} } } } as unknown as Platform,
    redis: {} as RedisDeployment,
    log: silentLog,
  };
  const outcome = await driveSteps(
    't',
    [
      {
        stage: 'freezing pod x',
        run: async () => {
          throw new UnsupportedError('cannot freeze here');
        },
      },
    ],
    {},
    env,
  );
  const r = scenarioResult(
    env,
    'master-pause',
    Date.now(),
    outcome,
    [{ id: 'stepped-down', status: 'fail', summary: 'x', evidence: {} }],
    { holdRestart: false, timings: {}, topologyBefore: { nodes: [] } },
  );
  assert.is(r.status, 'skipped');
  assert.equal(
    r.checks.map((c) => [c.status, c.summary]),
    [['skipped', 'freezing pod x: cannot freeze here']],
  );
});

test('cluster restart with a spare: the others recreated and the spare left alone pass; the spare recreated too fails', () => {
  const before = [pod('redis-app-0', 0, 'u0'), pod('redis-app-1', 1, 'u1')];
  const facts = (spareUid: string): ClusterRestartFacts => ({
    opts: {
      restartSpare: 'redis-app-1',
      holdRestart: false,
      killMode: 'kill',
      writeRate: 0,
      writeWait: false,
      failoverTimeoutMs: 1,
      rejoinTimeoutMs: 1,
      thresholds: { maxLostWrites: 0 },
      expected: { nodes: 2, masters: 2 },
    },
    run: 'r',
    podsBefore: before,
    before: before.map((p, i) => ({ pod: p, self: nodes[i]!, view: nodes, confBefore: null })),
    shards: [],
    topologyBefore: { nodes: [] },
    podsAfter: [{ ...pod('redis-app-0', 0, 'n0'), ip: '127.0.90.11' }, pod('redis-app-1', 1, spareUid)],
    finished: true,
  });
  const kept = allPodsRecreated(facts('u1'), 'not reached');
  assert.is(kept.status, 'pass');
  assert.is(
    kept.summary,
    '1 of 2 pods recreated with new UIDs (redis-app-1 spared, still running at 127.0.90.2), 1 of them on new addresses',
  );
  assert.is(kept.evidence.restarted, 1);
  const recreated = allPodsRecreated(facts('n1'), 'not reached');
  assert.is(recreated.status, 'fail');
  assert.match(recreated.summary, 'the spare redis-app-1 was recreated too');
});

test.run();
