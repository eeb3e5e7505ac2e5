import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redisDeployment } from '../../../src/manifests/deployment.ts';
import { lintManifests } from '../../../src/manifests/lint/index.ts';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import type { ManifestSet } from '../../../src/manifests/model.ts';
import { serverOfContainer, serverOfImage, serverOfProgram } from '../../../src/manifests/server.ts';

test('images: official, Bitnami and mirrored references of Redis and Valkey; anything else is neither', () => {
  const cases: Array<[string, string | undefined]> = [
    ['redis', 'redis'],
    ['redis:7.2.5', 'redis'],
    ['docker.io/library/redis@sha256:abc', 'redis'],
    ['bitnami/redis-cluster:7.2', 'redis'],
    ['redis/redis-stack-server:7.2.0-v10', 'redis'],
    ['valkey/valkey:8.0.1', 'valkey'],
    ['valkey/valkey', 'valkey'],
    ['registry.example.com:5000/mirror/valkey:8.0@sha256:abc', 'valkey'],
    ['bitnami/valkey-cluster:8.0.1', 'valkey'],
    ['docker.io/bitnami/valkey:8.0', 'valkey'],
    ['nginx:1.27', undefined],
    ['valkey-exporter:1.0', undefined],
    ['registry.example.com/redis-operator:1.2', undefined],
  ];
  for (const [image, kind] of cases) assert.is(serverOfImage(image), kind, image);
  assert.is(serverOfImage(42), undefined);
});

test('programs and the one decision: the image wins, then the program, then a mention', () => {
  assert.is(serverOfProgram('redis-server'), 'redis');
  assert.is(serverOfProgram('/usr/local/bin/valkey-server'), 'valkey');
  assert.is(serverOfProgram('redis-cli'), undefined);
  assert.is(serverOfProgram(undefined), undefined);
  // Valkey images answer to redis-server too: still Valkey.
  assert.is(serverOfContainer('valkey/valkey:8.0.1', 'redis-server').name, 'Valkey');
  assert.is(serverOfContainer('redis:7.2.5', 'redis-server').name, 'Redis');
  assert.is(serverOfContainer('example.com/cache:1', 'valkey-server').program, 'valkey-server');
  assert.is(
    serverOfContainer('example.com/cache:1', '/conf/start.sh', [
      '/conf/start.sh',
      'exec valkey-server /conf/valkey.conf',
    ]).kind,
    'valkey',
  );
  assert.is(serverOfContainer('example.com/cache:1', undefined).kind, 'redis');
});

/** A Valkey StatefulSet: `container` YAML spliced in, valkey.conf from a ConfigMap. */
function valkeySet(container: string, conf = 'cluster-enabled yes\ndir /data\n'): ManifestSet {
  const text = `apiVersion: v1
kind: ConfigMap
metadata: {name: conf}
data:
  valkey.conf: |
${conf.replace(/^/gm, '    ')}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: vk}
spec:
  serviceName: vk
  replicas: 6
  selector: {matchLabels: {app: vk}}
  template:
    metadata: {labels: {app: vk}}
    spec:
      containers:
${container.replace(/^/gm, '      ')}
      volumes:
      - name: conf
        configMap: {name: conf}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`;
  return { dir: 'mem', files: ['mem.yaml'], objects: parseManifestFile('mem.yaml', text) };
}
const mounts = '  volumeMounts:\n  - {name: conf, mountPath: /etc/valkey}\n  - {name: data, mountPath: /data}';

test('a Valkey StatefulSet: valkey-server with valkey.conf, redis-server in a valkey image, the image entrypoint', () => {
  const direct = redisDeployment(
    valkeySet(
      `- name: valkey\n  image: valkey/valkey:8.0.1\n  command: [valkey-server, /etc/valkey/valkey.conf]\n${mounts}`,
    ),
  );
  assert.is(direct.server.name, 'Valkey');
  assert.is(direct.configFile, '/etc/valkey/valkey.conf');
  assert.is(direct.directive('cluster-enabled'), 'yes');
  assert.is(direct.clusterConfigFile, '/data/nodes.conf');
  assert.ok(direct.isPersistent(direct.clusterConfigFile));

  const alias = redisDeployment(
    valkeySet(
      `- name: valkey\n  image: valkey/valkey:8.0\n  command: [redis-server, /etc/valkey/valkey.conf]\n${mounts}`,
    ),
  );
  assert.is(alias.server.name, 'Valkey');

  // No command: the valkey image's entrypoint runs valkey-server with a .conf argument; its WORKDIR is /data.
  const entry = redisDeployment(
    valkeySet(
      `- name: valkey\n  image: valkey/valkey:8.0.1\n  args: [/etc/valkey/valkey.conf]\n${mounts}`,
      'cluster-enabled yes\n',
    ),
  );
  assert.equal(entry.launch.redisArgv, ['valkey-server', '/etc/valkey/valkey.conf']);
  assert.is(entry.server.program, 'valkey-server');
  assert.is(entry.dataDir, '/data');

  // Any image: the program decides.
  const custom = redisDeployment(
    valkeySet(
      `- name: valkey\n  image: example.com/cache:3\n  command: [/usr/bin/valkey-server, /etc/valkey/valkey.conf]\n${mounts}`,
    ),
  );
  assert.is(custom.server.name, 'Valkey');
});

test('lint on a Valkey StatefulSet names Valkey and valkey-server: image age, cluster mode, announce IP, persistence', () => {
  const set = valkeySet(
    `- name: valkey\n  image: valkey/valkey:7.0\n  command: [valkey-server, /etc/valkey/valkey.conf]\n  volumeMounts:\n  - {name: conf, mountPath: /etc/valkey}`,
    'dir /tmp\n',
  );
  const findings = lintManifests(set);
  const of = (rule: string) => findings.filter((f) => f.rule === rule);
  assert.match(of('image-version')[0]?.message ?? '', /image valkey\/valkey:7\.0 is Valkey 7\.0, older than 7\.2/);
  assert.match(of('image-version')[0]?.fix ?? '', /valkey\/valkey:8\.0\.1/);
  assert.match(of('redis-cluster-enabled')[0]?.message ?? '', /valkey-server runs without cluster-enabled/);
  assert.match(of('redis-cluster-enabled')[0]?.fix ?? '', /A standalone Valkey .* in valkey\.conf/);
  assert.match(of('redis-announce-ip')[0]?.fix ?? '', /to valkey-server\./);
  assert.ok(
    of('redis-persistence').length === 2,
    of('redis-persistence')
      .map((f) => f.message)
      .join('\n'),
  );
  assert.match(of('redis-persistence')[0]!.fix, /Valkey/);
  for (const f of findings)
    assert.not.match(`${f.message} ${f.fix}`, /redis-server|A standalone Redis|Redis 7\.0/, f.message);

  // Valkey's images are all >= 7.2: a supported one passes; an unpinned one is named as Valkey.
  assert.equal(
    lintManifests(
      valkeySet(
        `- name: valkey\n  image: valkey/valkey:8.0.1\n  command: [valkey-server, /etc/valkey/valkey.conf]\n${mounts}`,
      ),
    ).filter((f) => f.rule === 'image-version'),
    [],
  );
  const latest = lintManifests(
    valkeySet(
      `- name: valkey\n  image: valkey/valkey:latest\n  command: [valkey-server, /etc/valkey/valkey.conf]\n${mounts}`,
    ),
  ).filter((f) => f.rule === 'image-version');
  assert.match(latest[0]?.fix ?? '', /a different Valkey than their peers/);
});

test('the image tag of an image that is not a server image says nothing about the server version', () => {
  const findings = lintManifests(
    valkeySet(`- name: valkey\n  image: nginx:1.27\n  command: [valkey-server, /etc/valkey/valkey.conf]\n${mounts}`),
  );
  const messages = findings.filter((f) => f.rule === 'image-version').map((f) => f.message);
  // Named as another program's image, never aged by its tag.
  assert.is(messages.length, 1);
  assert.match(messages[0]!, 'image nginx:1.27 is not a Redis or Valkey image, yet the container runs valkey-server');
  assert.not.match(messages[0]!, /Valkey 1\.27|older than/);
});

test.run();
