import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArgs } from '../../../src/cli-args.ts';
import { DEFAULTS, OPTIONS, parseConfig } from '../../../src/config.ts';
import { inputErrorOf } from '../../support/input-error.ts';

const flags = (argv: string[]) => parseConfig('check', parseArgs(argv).flags, 'flag', 'manifests');

test('defaults when nothing is given; empty action inputs mean "not set"', () => {
  const c = parseConfig('check', { 'write-rate': '', masters: ' ' }, 'input', 'manifests');
  assert.is(c.writeRate, DEFAULTS.writeRate);
  assert.is(c.masters, undefined);
  assert.is(c.manifests, 'manifests');
});

test('flags: --name value, --name=value, a bare boolean, durations in ms, s and m', () => {
  const c = flags([
    'check',
    '--write-rate',
    '50',
    '--masters=3',
    '--keep-cluster',
    '--failover-timeout',
    '90s',
    '--rejoin-timeout',
    '2m',
    '--max-failover-ms',
    '1500',
  ]);
  assert.is(c.writeRate, 50);
  assert.is(c.masters, 3);
  assert.is(c.keepCluster, true);
  assert.is(c.failoverTimeoutMs, 90_000);
  assert.is(c.rejoinTimeoutMs, 120_000);
  assert.is(c.maxFailoverMs, 1500);
  assert.is(flags(['--hold-restart', 'false']).holdRestart, false);
});

test('manifests given two ways, or chart settings without a chart, are refused instead of one silently ignored', () => {
  assert.match(
    inputErrorOf(() => flags(['--manifests', 'k8s', '--chart', 'charts/redis'])),
    '--manifests and --chart are two ways to give the manifests: give one of them',
  );
  assert.match(
    inputErrorOf(() => parseConfig('check', { manifests: 'k8s', kustomize: 'overlay' }, 'input', 'manifests')),
    'input manifests and kustomize are two ways to give the manifests: give one of them',
  );
  assert.match(
    inputErrorOf(() => flags(['--values', 'prod.yaml'])),
    '--values and --set are for a Helm chart: give --chart too',
  );
  assert.match(
    inputErrorOf(() => flags(['--kustomize', 'overlay', '--set', 'password=x'])),
    '--values and --set are for a Helm chart: give --chart too',
  );
  // Empty action inputs are "not set"; the action's release default needs no chart.
  const c = parseConfig('check', { manifests: '', chart: 'c', values: '', set: '', release: 'r' }, 'input', 'm');
  assert.is(c.chart, 'c');
  assert.is(parseConfig('check', { release: 'redis-resilience' }, 'input', 'm').chart, undefined);
});

test('bad values name the flag or input and what would be valid', () => {
  assert.match(
    inputErrorOf(() => flags(['--masters', 'three'])),
    '--masters: "three" is not valid; expected a whole number',
  );
  assert.match(
    inputErrorOf(() => flags(['--masters', '0'])),
    'expected a whole number of at least 1',
  );
  assert.match(
    inputErrorOf(() => flags(['--hold-restart', 'yes'])),
    'expected true or false',
  );
  assert.match(
    inputErrorOf(() => flags(['--failover-timeout', '1h'])),
    'expected a duration such as 5000, 90s or 2m',
  );
  // A zero timeout would fail every wait at once and blame the cluster for it.
  for (const name of ['failover-timeout', 'rollout-timeout', 'rejoin-timeout']) {
    assert.match(
      inputErrorOf(() => flags([`--${name}`, '0'])),
      `--${name}: "0" is not valid; expected a duration of at least 1 ms`,
    );
  }
  assert.is(flags(['--failover-timeout', '1']).failoverTimeoutMs, 1);
  assert.match(
    inputErrorOf(() => flags(['--kubernetes-version', '1.x'])),
    'expected a version such as 1.31 or v1.31.2',
  );
  assert.is(flags(['--kubernetes-version', 'v1.29.3']).kubernetesVersion, 'v1.29.3');
  assert.match(
    inputErrorOf(() => parseConfig('check', { 'kill-mode': 'sigterm' }, 'input', 'm')),
    'input kill-mode: "sigterm" is not valid; expected one of graceful, kill',
  );
});

test('unknown names list the valid ones; a flag without its value is refused', () => {
  const msg = inputErrorOf(() => flags(['--wirte-rate', '5']));
  assert.match(msg, 'unknown flag --wirte-rate');
  for (const name of Object.keys(OPTIONS)) assert.match(msg, `--${name}`);
  assert.match(
    inputErrorOf(() => flags(['--manifests'])),
    'flag --manifests needs a value',
  );
  // Unknown comes first: a misspelt flag with no value after it is named as unknown, not as missing its value.
  assert.match(
    inputErrorOf(() => flags(['check', '--wirte-rate'])),
    'unknown flag --wirte-rate; valid:',
  );
  assert.match(
    inputErrorOf(() => flags(['--no-such', '--masters', '3'])),
    'unknown flag --no-such; valid:',
  );
  assert.match(
    inputErrorOf(() => flags(['check', 'extra'])),
    'unexpected argument "extra"',
  );
});

test('scenario: one or a comma-separated list, in order; unknown names and repeats refused naming the input', () => {
  assert.equal(flags([]).scenario, ['master-failover']);
  assert.equal(flags(['--scenario', 'replica-loss, master-failover']).scenario, ['replica-loss', 'master-failover']);
  assert.equal(parseConfig('check', { scenario: 'replica-loss' }, 'input', 'manifests').scenario, ['replica-loss']);
  assert.match(
    inputErrorOf(() => flags(['--scenario', 'replica-loss,chaos'])),
    /flag --scenario: "replica-loss,chaos" is not valid; expected a comma-separated list of master-failover, replica-loss.* \(unknown: chaos\)/,
  );
  assert.match(
    inputErrorOf(() => flags(['--scenario', 'replica-loss,,'])),
    /--scenario: .*expected a comma-separated list/,
  );
  assert.match(
    inputErrorOf(() => flags(['--scenario', 'replica-loss,replica-loss'])),
    /each scenario at most once \(replica-loss twice\)/,
  );
});

test('platform existing needs a kubeconfig', () => {
  const saved = process.env.KUBECONFIG;
  delete process.env.KUBECONFIG;
  try {
    assert.match(
      inputErrorOf(() => flags(['--platform', 'existing'])),
      'needs flag --kubeconfig',
    );
    assert.is(flags(['--platform', 'existing', '--kubeconfig', '/tmp/kc']).kubeconfig, '/tmp/kc');
  } finally {
    if (saved !== undefined) process.env.KUBECONFIG = saved;
  }
});

test('--address-base takes a loopback /24 other than 127.0.0', () => {
  assert.is(flags(['--address-base', '127.0.60']).addressBase, '127.0.60');
  assert.is(flags(['--address-base', '127.255.0']).addressBase, '127.255.0');
  for (const bad of ['127.0.0', '10.0.50', '127.0.50.1', '127.0.256', '127.0']) {
    assert.match(
      inputErrorOf(() => flags(['--address-base', bad])),
      /--address-base: .* expected a loopback \/24 such as 127\.0\.50/,
    );
  }
});

test('write-rate is bounded: a rate that would size memory past reason is refused naming the bound', () => {
  assert.is(flags(['--write-rate', '5000']).writeRate, 5000);
  assert.match(
    inputErrorOf(() => flags(['--write-rate', '1000000000'])),
    /--write-rate: "1000000000" is not valid; expected a whole number of at most 5000/,
  );
});

test('the Redis password from a file (one trailing newline dropped) or, for the CLI, from REDIS_PASSWORD; never both flag and file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rcr-password-'));
  try {
    const file = join(dir, 'password');
    writeFileSync(file, 's3cret\n');
    assert.is(flags(['--redis-password-file', file]).redisPassword, 's3cret');
    assert.is(parseConfig('check', { 'redis-password-file': file }, 'input', 'm').redisPassword, 's3cret');
    assert.match(
      inputErrorOf(() => flags(['--redis-password', 'x', '--redis-password-file', file])),
      /both set/,
    );
    assert.match(
      inputErrorOf(() => flags(['--redis-password-file', join(dir, 'missing')])),
      /--redis-password-file .*missing: cannot be read/,
    );
    writeFileSync(file, '\n');
    assert.match(
      inputErrorOf(() => flags(['--redis-password-file', file])),
      /empty/,
    );
    process.env.REDIS_PASSWORD = 'from-env';
    assert.is(flags([]).redisPassword, 'from-env');
    assert.is(flags(['--redis-password', 'flag']).redisPassword, 'flag', 'the flag wins');
    assert.is(parseConfig('check', {}, 'input', 'm').redisPassword, undefined, "the action's inputs only");
  } finally {
    delete process.env.REDIS_PASSWORD;
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
