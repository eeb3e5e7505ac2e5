import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRedisConf } from '../../../src/manifests/redis-conf.ts';
import { podLayout, toHostPath } from '../../../src/platform/local/pod-fs.ts';
import { localRedisConf, quoteConfArg } from '../../../src/platform/local/redis-conf.ts';
import { deploymentFrom, MANY_MOUNTS } from './deployments.ts';

const W = '/work/run';
const IP = '127.0.50.4';

function generate(yaml = MANY_MOUNTS) {
  const redis = deploymentFrom(yaml);
  const layout = podLayout(W, redis, `${redis.name}-0`, 0);
  const infos: string[] = [];
  const text = localRedisConf(redis, {
    ip: IP,
    hostPath: (p) => toHostPath(p, redis, layout),
    env: new Map([
      ['POD_IP', IP],
      ['CONF_DIR', '/data'],
    ]),
    info: (m) => infos.push(m),
  });
  // Read back with redis-server's own rules.
  const directives = parseRedisConf(text, { file: 'generated', cwd: '/' });
  const last = (name: string) => directives.findLast((d) => d.name === name)?.args;
  return { text, directives, last, infos };
}

test('path directives are translated to host paths, from the config file and from expanded arguments', () => {
  const { last } = generate();
  assert.equal(last('dir'), [`${W}/pv/data-cache-0`]);
  assert.equal(last('cluster-config-file'), [`${W}/pv/data-cache-0/nodes.conf`]);
  assert.equal(last('logfile'), [`${W}/pv/data-cache-0/logs/redis.log`]);
  assert.equal(last('unixsocket'), [`${W}/pods/cache-0/rootfs/tmp/redis.sock`]);
  assert.equal(
    last('pidfile'),
    [`${W}/pv/data-cache-0/run/redis.pid`],
    'a relative path is resolved from the final dir in the container, then mapped',
  );
});

test("the manifest's own settings stay as written, in order, and $(VAR) in arguments is expanded", () => {
  const { directives, last } = generate();
  assert.equal(last('port'), ['7000']);
  assert.equal(last('save'), ['']);
  assert.equal(last('rename-command'), ['FLUSHALL', '']);
  assert.equal(last('cluster-enabled'), ['yes']);
  assert.equal(last('cluster-announce-ip'), [IP]);
  const names = directives.map((d) => d.name);
  assert.ok(names.indexOf('appendonly') < names.indexOf('cluster-announce-ip'), 'config file first, then arguments');
});

test("bind, bind-source-addr and daemonize are the platform's, last, and replacing them is said", () => {
  const { directives, infos } = generate();
  assert.equal(
    directives.slice(-3).map((d) => [d.name, ...d.args]),
    [
      ['bind', IP],
      ['bind-source-addr', IP],
      ['daemonize', 'no'],
    ],
  );
  assert.equal(directives.filter((d) => d.name === 'bind').length, 1);
  assert.is(infos.length, 2);
  assert.match(infos[0]!, /'bind 0\.0\.0\.0' \(\/etc\/redis\.conf:2\)/);
  assert.match(infos[1]!, /daemonize yes/);
});

test('directives that cannot be emulated are errors that name them', () => {
  const withModule = MANY_MOUNTS.replace(
    'cluster-enabled yes',
    'cluster-enabled yes\n    loadmodule /usr/lib/redis/modules/x.so',
  );
  assert.throws(
    () => generate(withModule),
    /cannot emulate 'loadmodule \/usr\/lib\/redis\/modules\/x\.so' \(\/etc\/redis\.conf:6\)/,
  );
  const longSocket = MANY_MOUNTS.replace('/tmp/redis.sock', `/tmp/${'s'.repeat(120)}.sock`);
  assert.throws(() => generate(longSocket), /too long for a unix socket/);
});

test('quoted arguments read back unchanged', () => {
  for (const arg of [
    'plain',
    '',
    'two words',
    'say "hi"',
    "it's",
    'back\\slash',
    'line\nbreak',
    'tab\there',
    '\x01',
    'héllo wörld',
  ]) {
    const line = `x ${quoteConfArg(arg)}`;
    assert.equal(parseRedisConf(line, { file: 't', cwd: '/' })[0]!.args, [arg], line);
  }
  assert.is(quoteConfArg('/var/lib/redis'), '/var/lib/redis');
});

test.run();
