import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArgs } from '../../../src/cli-args.ts';
import { errorChain, TimeoutError } from '../../../src/errors.ts';
import { waitFor } from '../../../src/util/wait.ts';

test('errorChain shows the error, then each cause with its stack, indented', () => {
  const root = new Error('ECONNREFUSED 10.0.0.1:6379');
  const err = new Error('cannot connect to Redis node redis-0', {
    cause: new Error('reading the cluster state', { cause: root }),
  });
  const text = errorChain(err);
  assert.match(text, /^Error: cannot connect to Redis node redis-0\n\s+at /);
  assert.match(text, /\n {2}caused by: Error: reading the cluster state\n/);
  assert.match(text, /\n {4}caused by: Error: ECONNREFUSED 10\.0\.0\.1:6379\n {4}\s+at /);
});

test('errorChain lists an AggregateError cause and stops on a cycle', () => {
  const a = new Error('node a');
  const err = new Error('could not uncordon 2 node(s)', { cause: new AggregateError([a, 'plain text'], 'failed') });
  assert.match(errorChain(err), /- Error: node a[\s\S]*- plain text/);
  const loop = new Error('loop');
  loop.cause = loop;
  assert.match(errorChain(loop), /caused by: \(already shown or too deep\)/);
});

test('a wait that times out keeps the last error its probe threw as the cause', async () => {
  const probeError = new Error('connection refused');
  const err = await waitFor('redis-0 to answer', () => Promise.reject(probeError), {
    timeoutMs: 30,
    intervalMs: 5,
    minProbeMs: 10,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(err, TimeoutError);
  assert.is((err as TimeoutError).cause, probeError);
});

test('--debug is a flag of its own, anywhere on the command line', () => {
  assert.equal(parseArgs(['check', '--debug', '--platform', 'local']).flags, { debug: 'true', platform: 'local' });
  assert.equal(parseArgs(['--debug']).flags, { debug: 'true' });
});

test.run();
