// SIGKILL (no handler runs) of the CLI and of the action's main step, and the action cancelled: a SIGKILL leaves a
// run dir that `cleanup`, the post step or the next run finishes; a run after them passes. The other signals:
// cancel.test.ts.
import { readFile } from 'node:fs/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { processRunning } from '../../src/platform/local/process.ts';
import { LOCAL_STEPS, nodeRun, signalledRuns, stateForPost, unsettledSteps } from '../support/signalled-runs.ts';

const { actionEnv, cliRun, killedRun, leftDirs, runs } = signalledRuns(test);

test('action: SIGINT (a cancelled job): exit 130, verdict output cancelled, the post step finds nothing left', async () => {
  const env = await actionEnv('action-sigint');
  const main = await nodeRun(['src/main.ts'], env, { sig: 'SIGINT', when: /Deleting pod / });
  assert.is(main.code, 130, main.stderr.slice(-1500));
  assert.match(main.stderr, /::warning::SIGINT received: cancelling the run/);
  assert.match(await readFile(env.GITHUB_OUTPUT, 'utf8'), /verdict<<(\S+)\ncancelled\n\1/);
  assert.equal(main.pids.filter(processRunning), []);
  const post = await nodeRun(['src/post.ts'], { ...(await stateForPost(env.GITHUB_STATE)), GITHUB_STATE: '' });
  assert.is(post.code, 0, post.stderr);
  assert.match(post.stderr, /Nothing left to undo/);
  assert.equal(await leftDirs(), []);
});

test('action: SIGKILL of the main step during the hold, then the post step with its state: nothing is left', async () => {
  const env = await actionEnv('action-sigkill');
  const stateFile = env.GITHUB_STATE;
  const main = await nodeRun(['src/main.ts'], env, { sig: 'SIGKILL', when: /Deleting pod / });
  assert.is(main.signal, 'SIGKILL');
  const state = await stateForPost(stateFile);
  assert.equal(
    unsettledSteps(state['STATE_undo-journal'] ?? '[]'),
    LOCAL_STEPS,
    'recorded in action state before the processes started',
  );
  assert.equal(await leftDirs(), [state['STATE_work-dir']!.split('/').at(-1)]);
  const post = await nodeRun(['src/post.ts'], { ...state, GITHUB_STATE: '' });
  assert.is(post.code, 0, post.stderr);
  assert.match(post.stderr, /undone: local redis-server processes of /);
  assert.equal(await leftDirs(), [], 'the post step removed the run dir');
  assert.equal(main.pids.filter(processRunning), []);
  // Run again (a re-run of the post step): nothing left to do, nothing fails.
  const again = await nodeRun(['src/post.ts'], { ...state, GITHUB_STATE: '' });
  assert.is(again.code, 0, again.stderr);
});

test('SIGKILL: its redis-servers die with it; `cleanup` finishes the run dir it left', async () => {
  await killedRun('sigkill-cleanup');
  const cleanup = await nodeRun(['src/cli.ts', 'cleanup', '--work-dir', runs()], {});
  assert.is(cleanup.code, 0, cleanup.stderr);
  assert.match(cleanup.stderr, /undone: local redis-server processes of /);
  assert.match(cleanup.stderr, /1 run dir\(s\) cleaned up under /);
  assert.equal(await leftDirs(), []);
});

test("SIGKILL, then a run with the same work dir: it cleans the dead run's dir first, passes, and ends by itself", async () => {
  await killedRun('sigkill-next');
  const run = await cliRun('after', []);
  assert.is(run.code, 0, run.stderr.slice(-1500));
  assert.match(run.stderr, /cleaning up after a run that did not finish: /);
  assert.equal(run.pids.filter(processRunning), []);
  assert.equal(await leftDirs(), [], "nothing left: neither the dead run's dir nor its own");
});

test.run();
