// master-partition cancelled (SIGINT) and killed (SIGKILL, then `cleanup`) while its pod is cut off: no partition
// rule of the run may outlive it. The other cancel cases: cancel.test.ts, cancel-kill.test.ts.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostIptables } from '../../src/platform/local/faults/partition.ts';
import { CHAIN_PREFIX, iptablesProblem } from '../../src/platform/packet-filter.ts';
import { LOCAL_STEPS, nodeRun, signalledRuns, unsettledSteps } from '../support/signalled-runs.ts';

const { cancelled, cliRun, leftDirs, runs } = signalledRuns(test);

/** The partition chains and jumps of any run in the host's packet filter: none may outlive its run. */
/** Where the partition cases' pods take their addresses: their rules name them, other runs' (a master-partition
 * test beside this file) do not. Claims may move a run to the next /24s. */
const PARTITION_BASE = '127.0.150';
const OURS = /127\.0\.15\d\./;

/** This file's partition rules: every rule of a chain one of whose rules names this file's pod addresses. */
async function partitionRules(): Promise<string[]> {
  assert.is(await iptablesProblem(hostIptables), undefined, 'iptables works here (root, installed)');
  const lines = (await hostIptables(['-w', '5', '-S'])).stdout.split('\n').filter((l) => l.includes(CHAIN_PREFIX));
  const chains = new Set(lines.filter((l) => OURS.test(l)).map((l) => l.split(' ')[1]));
  return lines.filter((l) => [...chains].some((c) => c !== undefined && l.includes(c)));
}

test('master-partition: SIGINT in the middle of the partition lifts its rules', async () => {
  const { report } = await cancelled('partition', 'SIGINT', /Cut pod \S+ off for/, [
    '--scenario',
    'master-partition',
    '--address-base',
    PARTITION_BASE,
  ]);
  assert.match(report.error!, /^cancelled by SIGINT while (holding the partition|healing the partition)/);
  assert.equal(await partitionRules(), [], 'no partition rule left');
});

test('master-partition: SIGKILL during the partition leaves its rules in the journal; `cleanup` removes them', async () => {
  const run = await cliRun('partition-kill', ['--scenario', 'master-partition', '--address-base', PARTITION_BASE], {
    sig: 'SIGKILL',
    when: /Cut pod \S+ off for/,
  });
  assert.is(run.signal, 'SIGKILL');
  assert.ok((await partitionRules()).length > 0, 'the killed run left its rules in place');
  const left = await leftDirs();
  assert.is(left.length, 1, `one run dir left: ${left.join(', ')}`);
  assert.equal(unsettledSteps(await readFile(join(runs(), left[0]!, 'undo.json'), 'utf8')), [
    ...LOCAL_STEPS,
    'partition-rules',
  ]);
  const cleanup = await nodeRun(['src/cli.ts', 'cleanup', '--work-dir', runs()], {});
  assert.is(cleanup.code, 0, cleanup.stderr);
  assert.match(cleanup.stderr, /undone: partition rules \(iptables chain RCR-PART-/);
  assert.equal(await partitionRules(), [], 'no partition rule left after cleanup');
  assert.equal(await leftDirs(), []);
});

test.run();
