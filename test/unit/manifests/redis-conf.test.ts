/**
 * The expected values below were checked against redis-server 7.0.15 (CONFIG GET after starting it with the same
 * config file and arguments): escapes, single quotes, quotes inside a word, includes after `dir`, and arguments
 * overriding the file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inputErrorOf } from '../../support/input-error.ts';
import { parseRedisArgs, parseRedisConf, splitArgs } from '../../../src/manifests/redis-conf.ts';

const opts = { file: '/etc/redis/redis.conf', cwd: '/data' };
const where = (i: number) => `arg ${i}`;

test('directives with line numbers; comments, blank lines and indentation ignored; names lower-cased', () => {
  const text = '# comment\n   # indented comment\n\n  maxmemory 1mb\nMAXMEMORY 2mb\r\ncluster-enabled yes\n';
  assert.equal(parseRedisConf(text, opts), [
    { name: 'maxmemory', args: ['1mb'], file: '/etc/redis/redis.conf', line: 4 },
    { name: 'maxmemory', args: ['2mb'], file: '/etc/redis/redis.conf', line: 5 },
    { name: 'cluster-enabled', args: ['yes'], file: '/etc/redis/redis.conf', line: 6 },
  ]);
});

test("double quotes take C escapes, single quotes only \\'", () => {
  assert.equal(splitArgs('masterauth "a b\\x41\\n\\"q\\""', 'l'), ['masterauth', 'a bA\n"q"']);
  assert.equal(splitArgs("masteruser 'it\\'s \"x\"'", 'l'), ['masteruser', 'it\'s "x"']);
  assert.equal(splitArgs("a 'back\\slash\\n'", 'l'), ['a', 'back\\slash\\n']);
  assert.equal(splitArgs('save ""', 'l'), ['save', '']);
  assert.equal(splitArgs('a "\\t\\r\\b\\a\\z"', 'l'), ['a', '\t\r\b\x07z']);
  // A quote inside a word opens a quoted part of the same word (redis-server: `a"b c"` is one argument "ab c").
  assert.equal(splitArgs('masterauth a"b c"', 'l'), ['masterauth', 'ab c']);
  assert.equal(splitArgs('  spaced\t\targs  ', 'l'), ['spaced', 'args']);
});

test('unbalanced quotes are refused with file:line, as redis-server refuses to start', () => {
  assert.match(
    inputErrorOf(() => parseRedisConf('port 1\nmasterauth "ab"c\n', opts)),
    /^\/etc\/redis\/redis\.conf:2: unbalanced quotes/,
  );
  assert.match(
    inputErrorOf(() => parseRedisConf("masterauth 'ab'c\n", opts)),
    /redis\.conf:1: unbalanced quotes/,
  );
  assert.match(
    inputErrorOf(() => parseRedisConf('masterauth "open\n', opts)),
    /redis\.conf:1: unbalanced quotes/,
  );
});

test('include is expanded in place, relative to the directory redis-server is in at that point', () => {
  const files: Record<string, string> = {
    '/etc/redis/extra.conf': 'maxmemory-policy allkeys-lru\n',
    '/var/lib/inc.conf': 'appendonly yes\n',
  };
  const readInclude = (p: string) => files[p];
  const text = 'port 1\ninclude /etc/redis/extra.conf\ndir /var/lib/redis\ninclude ../inc.conf\nport 2\n';
  const out = parseRedisConf(text, { ...opts, readInclude });
  assert.equal(
    out.map((d) => `${d.file}:${d.line} ${d.name}`),
    [
      '/etc/redis/redis.conf:1 port',
      '/etc/redis/extra.conf:1 maxmemory-policy',
      '/etc/redis/redis.conf:3 dir',
      '/var/lib/inc.conf:1 appendonly',
      '/etc/redis/redis.conf:5 port',
    ],
  );
  assert.match(
    inputErrorOf(() => parseRedisConf('include missing.conf\n', { ...opts, readInclude })),
    /redis\.conf:1: include \/data\/missing\.conf: no such file/,
  );
  const loop = { '/a.conf': 'include /a.conf\n' };
  assert.match(
    inputErrorOf(() => parseRedisConf('include /a.conf\n', { ...opts, readInclude: (p) => loop[p as '/a.conf'] })),
    /nested more than/,
  );
});

test('argv: config file first, then --name values; "--name value" in one argument; names lower-cased', () => {
  const parsed = parseRedisArgs(
    [
      '/etc/redis/redis.conf',
      '--cluster-announce-ip',
      '$(POD_IP)',
      '--loglevel warning',
      '--client-output-buffer-limit',
      'normal',
      '0',
      '0',
      '0',
      '--Port',
      '7000',
    ],
    where,
  );
  assert.equal(parsed.configFile, { path: '/etc/redis/redis.conf', index: 0 });
  assert.equal(parsed.directives, [
    { name: 'cluster-announce-ip', args: ['$(POD_IP)'], index: 1 },
    { name: 'loglevel', args: ['warning'], index: 3 },
    { name: 'client-output-buffer-limit', args: ['normal', '0', '0', '0'], index: 4 },
    { name: 'port', args: ['7000'], index: 9 },
  ]);
  // Values are taken as they are (no quote processing), as redis-server quotes them itself before parsing.
  assert.equal(parseRedisArgs(['--masterauth', 'a "b"'], where).directives[0]!.args, ['a "b"']);
  assert.is(parseRedisArgs(['--port', '1'], where).configFile, undefined);
  assert.equal(parseRedisArgs([], where), { directives: [] });
});

test('argv: a plain argument that is neither the config file nor a value is refused, naming it', () => {
  assert.match(
    inputErrorOf(() => parseRedisArgs(['/etc/redis.conf', 'x'], where)),
    /^arg 1: "x" is neither the config file/,
  );
});

test.run();
