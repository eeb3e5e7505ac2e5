import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SERVERS } from '../../../src/manifests/server.ts';
import { podShims } from '../../../src/platform/local/sandbox.ts';

test('a Valkey pod: valkey-server and its redis-server alias are both shims of the host valkey-server on the pod address', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcr-shims-'));
  try {
    const fake = path.join(dir, 'valkey-server-binary');
    fs.writeFileSync(fake, '', { mode: 0o755 });
    const binds = podShims(path.join(dir, 'shim'), '127.0.60.7', {
      path: fake,
      name: 'valkey-server',
      aliases: SERVERS.valkey.aliases,
    });
    for (const name of ['valkey-server', 'redis-server']) {
      const text = fs.readFileSync(path.join(dir, 'shim', name), 'utf8');
      assert.match(
        text,
        /exec \S+\/valkey-server "\$@" --bind 127\.0\.60\.7 --bind-source-addr 127\.0\.60\.7 --daemonize no/,
        name,
      );
      assert.ok(
        binds.some((b) => b.container === `/usr/local/bin/${name}` && b.host === path.join(dir, 'shim', name)),
        name,
      );
    }
    assert.equal(binds.filter((b) => b.host === fs.realpathSync(fake)).length, 1, 'one real server');
    // Its client too, under both names (Valkey's images link redis-cli to valkey-cli): a readiness probe that runs
    // redis-cli must reach this pod, not 127.0.0.1 (a Redis-to-Valkey rollout's probes did before).
    if (fs.existsSync('/usr/bin/valkey-cli'))
      for (const name of ['valkey-cli', 'redis-cli'])
        assert.match(fs.readFileSync(path.join(dir, 'shim', name), 'utf8'), /valkey-cli -h 127\.0\.60\.7 "\$@"/, name);
    // Redis has no alias.
    const redis = podShims(path.join(dir, 'shim-redis'), '127.0.60.8', {
      path: fake,
      name: 'redis-server',
      aliases: SERVERS.redis.aliases,
    });
    assert.equal(
      fs.readdirSync(path.join(dir, 'shim-redis')).filter((f) => f.endsWith('-server')),
      ['redis-server'],
    );
    assert.is(redis.filter((b) => b.container.startsWith('/usr/local/bin/')).length, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
