/**
 * A list of scenarios in one `check` on the default manifests: each runs in order on the same cluster and
 * passes, each with its own checks, timeline and section in every report, and its own prefixed outputs.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../src/config.ts';
import { runCheck } from '../../src/pipeline/check.ts';
import { SCENARIO_NAMES } from '../../src/report/model.ts';
import { actionOutputs } from '../../src/report/outputs.ts';
import { writeReports } from '../../src/report/write.ts';
import type { Log } from '../../src/util/log.ts';

let dir = '';
test.after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('every scenario in one check, in the order given, each passing on the default manifests', async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcr-list-'));
  const lines: string[] = [];
  const log: Log = { info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`), progress: () => {} };
  // Every scenario, cluster-restart included: the default manifests re-discover their peers after it. Not
  // master-partition: with plain writes it fails by design (the cut-off master's writes are lost), which
  // test/integration/master-partition.test.ts shows, with WAIT as well.
  const order = SCENARIO_NAMES.filter((n) => n !== 'master-partition').reverse();
  const config = parseConfig(
    'check',
    // placement warn: one StatefulSet's preferred anti-affinity cannot keep a master off its replica's node when
    // every pod is rescheduled at once (cluster-restart): the check says so after each scenario without failing it.
    {
      platform: 'local',
      manifests: 'manifests',
      // rollout deploys the base and applies the head over it: the same manifests, so no pod restarts.
      'base-manifests': 'manifests',
      'write-rate': '100',
      'report-dir': dir,
      scenario: order.join(','),
      placement: 'warn',
    },
    'flag',
    'manifests',
  );
  const report = await runCheck(config, { log, addressBase: '127.0.81' });
  const why = `${report.error ?? ''}\n${report.scenarios.map((s) => `${s.name} ${s.status} ${s.error ?? ''}\n  ${s.checks.map((c) => `${c.id} ${c.status}: ${c.summary}`).join('\n  ')}`).join('\n')}\n${lines.join('\n')}`;
  assert.equal(
    report.scenarios.map((s) => s.name),
    order,
    why,
  );
  for (const s of report.scenarios) {
    assert.is(s.status, 'pass', why);
    assert.ok(s.checks.length > 0 && s.timeline.length > 0, s.name);
    assert.ok(
      s.checks.some((c) => c.id === 'placement'),
      `${s.name}: placement judged after it`,
    );
  }
  assert.is(report.verdict, 'pass', why);
  const rolling = report.scenarios.find((s) => s.name === 'rolling-restart');
  assert.ok(rolling, 'rolling-restart is among the scenarios run');
  assert.equal(
    rolling.pods!.map((p) => p.ordinal),
    [5, 4, 3, 2, 1, 0],
    'replaced highest ordinal first',
  );
  assert.ok(rolling.pods!.every((p) => p.uidAfter && p.uidAfter !== p.uidBefore && p.nodeIdKept === true));
  assert.is(rolling.shards!.length, 3);
  const files = await writeReports(report, dir);
  const junit = await readFile(join(dir, 'junit.xml'), 'utf8');
  for (const name of order) {
    assert.match(junit, `<testsuite name="${name}"`);
    assert.match(await readFile(join(dir, 'summary.md'), 'utf8'), `### ${name}: PASS`);
  }
  assert.ok(files);
  const outputs = actionOutputs(report);
  for (const name of order) assert.is(outputs[`${name}-status`], 'pass', name);
  assert.is(outputs['replica-loss-unavailable-ms'], '0');
});

test.run();
