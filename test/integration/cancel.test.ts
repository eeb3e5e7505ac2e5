// The CLI cancelled as a user or GitHub cancels it: SIGINT (Ctrl-C, a cancelled job) or SIGTERM (GitHub, 7.5 s
// after its SIGINT) at each stage of a real run on the local platform. Each must end with the signal's exit
// code, a report saying `cancelled`, none of the run's redis-server processes left and no run dir. SIGKILL and the
// action's steps: cancel-kill.test.ts; master-partition: cancel-partition.test.ts (files that run side by side).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { processRunning } from '../../src/platform/local/process.ts';
import { MAX_LINGER_MS, signalledRuns } from '../support/signalled-runs.ts';

const { cancelled, cliRun, reportOf } = signalledRuns(test);

test('SIGINT during bootstrap: exit 130, verdict cancelled, no redis-server left', async () => {
  const { report } = await cancelled('bootstrap', 'SIGINT', /Bootstrapping Redis Cluster/);
  assert.match(report.error!, /^cancelled by SIGINT while bootstrapping the Redis Cluster$/);
  assert.is(report.scenarios.length, 0);
});

test('SIGINT during the failover wait: the scenario is cancelled, its checks skipped with the reason', async () => {
  const { report } = await cancelled('failover', 'SIGINT', /Deleting pod /, ['--write-rate', '100']);
  assert.is(report.error, 'cancelled by SIGINT while watching the failover');
  const [s] = report.scenarios;
  assert.is(s?.status, 'cancelled');
  for (const c of s!.checks) {
    assert.is(c.status, 'skipped', c.id);
    assert.is(c.summary, `not reached: ${report.error}`);
  }
});

test('SIGINT during the rejoin: cancelled after the failover', async () => {
  // Sent on the pod-return wait's first line: "Path: failover" is printed inside the failover stage, which then
  // waits for the writer's writes to get through again, so a signal on it can still land in that stage.
  const { report } = await cancelled('rejoin', 'SIGINT', /waiting for pod \S+ to be recreated/);
  assert.match(
    report.error!,
    /^cancelled by SIGINT while (waiting for pod \S+ to come back|checking pod \S+'s NodeID and rejoin|checking the cluster health)$/,
    `report.error: ${report.error}`,
  );
  assert.is(report.scenarios[0]?.status, 'cancelled');
  assert.ok(
    report.scenarios[0]!.timeline.some((e) => e.event === 'replica-promoted'),
    'the failover was seen before the cancel',
  );
});

test('SIGTERM (GitHub, 7.5 s after its SIGINT): exit 143, verdict cancelled', async () => {
  const { report, run } = await cancelled('sigterm', 'SIGTERM', /Deleting pod /);
  assert.is(report.error, 'cancelled by SIGTERM while watching the failover');
  assert.not.match(run.stderr, /\n\s+at /, 'no stack trace');
});

test('a second SIGINT during the cleanup does not cut it short', async () => {
  // The second as soon as the first is seen: it arrives while the first one's cleanup runs.
  const run = await cliRun(
    'twice',
    [],
    { sig: 'SIGINT', when: /Deleting pod / },
    { sig: 'SIGINT', when: /SIGINT received: cancelling/ },
  );
  assert.is(run.code, 130, run.stderr.slice(-1000));
  assert.match(run.stderr, /SIGINT received: still cleaning up after SIGINT/);
  const report = await reportOf('twice');
  assert.is(report.verdict, 'cancelled');
  assert.equal(run.pids.filter(processRunning), []);
  assert.ok(
    run.lingerMs! < MAX_LINGER_MS,
    `the run ended ${run.lingerMs} ms after its cleanup: something kept running`,
  );
});

test.run();
