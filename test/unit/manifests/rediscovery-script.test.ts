/** The default manifests' peer re-discovery script as the container gets it (its behaviour on real Redis:
 * test/integration/cluster-restart-default.test.ts). */
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadManifests } from '../../../src/manifests/load.ts';
import { redisDeployment } from '../../../src/manifests/deployment.ts';

test('rediscover-peers.sh: executable, valid POSIX sh (dash, as in the redis image), execs its arguments last', async () => {
  const redis = redisDeployment(await loadManifests('manifests'));
  const mount = redis.mountFor('/etc/redis/rediscover-peers.sh');
  if (mount?.source.type !== 'configMap') {
    assert.unreachable(`a ConfigMap file, not ${JSON.stringify(mount?.source)}`);
    return;
  }
  const script = mount.source.files['rediscover-peers.sh']!;
  assert.is(mount.source.modes['rediscover-peers.sh'], 0o755);
  // dash -n parses without running: a syntax error fails here, not in a pod.
  execFileSync('dash', ['-n'], { input: script });
  const lines = script.trim().split('\n');
  assert.equal(lines.slice(-2), ['rediscover &', 'exec "$@"']);
  assert.match(script, /getent ahostsv4 "\$PEER_SERVICE"/);
  assert.match(script, /cluster meet "\$ip"/);
  // Every question to a peer is bounded: redis-cli has no reply timeout of its own.
  assert.match(script, /timeout \d+ redis-cli -h "\$ip"/);
  assert.not.match(script, /\$\(redis-cli -h/);
  assert.match(script, /REDISCLI_AUTH="\$REDIS_PASSWORD"/);
  assert.equal(redis.container.env.find((e) => e.name === 'PEER_SERVICE')?.value, redis.serviceName);
});

test.run();
