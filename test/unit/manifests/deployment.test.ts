import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inputErrorOf } from '../../support/input-error.ts';
import { redisDeployment } from '../../../src/manifests/deployment.ts';
import { loadManifests, parseManifestFile } from '../../../src/manifests/load.ts';
import type { ManifestSet } from '../../../src/manifests/model.ts';
import { objectAt } from '../../../src/manifests/object-path.ts';

/** A StatefulSet + ConfigMap in one file; `container`, `volumes` and `conf` are YAML/text spliced in. */
function setOf(opts: {
  container?: string;
  volumes?: string;
  conf?: string;
  extra?: string;
  templates?: string;
}): ManifestSet {
  const conf = (opts.conf ?? 'cluster-enabled yes\ndir /var/lib/redis\n').replace(/^/gm, '    ');
  const text = `apiVersion: v1
kind: ConfigMap
metadata:
  name: conf
data:
  redis.conf: |
${conf}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: team
spec:
  serviceName: db
  replicas: 6
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
${(
  opts.container ??
  `- name: redis
  image: redis:7.2.5
  command: [redis-server]
  args: [/etc/redis/redis.conf]
  volumeMounts:
  - {name: conf, mountPath: /etc/redis}
  - {name: data, mountPath: /var/lib/redis}`
).replace(/^/gm, '      ')}
      volumes:
${(opts.volumes ?? '- name: conf\n  configMap: {name: conf}').replace(/^/gm, '      ')}
  volumeClaimTemplates:
${(opts.templates ?? '- metadata: {name: data}\n  spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}').replace(/^/gm, '  ')}
${opts.extra ?? ''}`;
  return { dir: 'mem', files: ['mem.yaml'], objects: parseManifestFile('mem.yaml', text) };
}

test('default manifests: port, nodes.conf on the PVC, pod IP announced', async () => {
  const redis = redisDeployment(await loadManifests('manifests'));
  assert.is(redis.name, 'redis-app');
  assert.is(redis.namespace, 'default');
  assert.is(redis.replicas, 6);
  assert.is(redis.serviceName, 'redis-service');
  assert.equal(redis.podLabels, { app: 'redis', appCluster: 'redis-cluster' });
  assert.is(redis.container.image, 'redis:7.2.5');
  assert.equal(redis.container.env, [
    { name: 'POD_IP', fieldRef: 'status.podIP' },
    { name: 'PEER_SERVICE', value: 'redis-service' },
  ]);
  assert.is(redis.port, 6379);
  assert.is(redis.busPort, 16379);
  assert.is(redis.configFile, '/etc/redis/redis.conf');
  assert.is(redis.dataDir, '/var/lib/redis');
  assert.is(redis.clusterConfigFile, '/var/lib/redis/nodes.conf');
  assert.ok(redis.isPersistent(redis.clusterConfigFile));
  assert.ok(redis.isPersistent(redis.dataDir));
  assert.not.ok(redis.isPersistent('/etc/redis/redis.conf'));
  assert.not.ok(redis.isPersistent('/tmp/nodes.conf'));
  assert.is(redis.directive('cluster-enabled'), 'yes');
  assert.is(redis.directive('APPENDONLY'), 'yes');
  assert.is(redis.directive('cluster-announce-ip'), '$(POD_IP)');
  const announce = redis.directives.find((d) => d.name === 'cluster-announce-ip')!;
  assert.equal(announce.from, {
    kind: 'arg',
    index: 2,
    at: { file: 'manifests/statefulset.yaml', line: 52, column: 15 },
  });
  const ccf = redis.directives.find((d) => d.name === 'cluster-config-file')!;
  assert.equal(ccf.from, {
    kind: 'file',
    path: '/etc/redis/redis.conf',
    line: 5,
    at: { file: 'manifests/configmap.yaml', line: 31, column: 5 },
  });
  assert.equal(redis.claimTemplates, [
    { name: 'redis-data', storageClassName: 'redis-sc', accessModes: ['ReadWriteOnce'], storage: '1Gi' },
  ]);
  assert.equal(redis.mountFor('/var/lib/redis/appendonlydir/x.aof')?.source, {
    type: 'pvc',
    claimTemplate: 'redis-data',
  });
  const conf = redis.mountFor('/etc/redis/redis.conf')!;
  assert.is(conf.source.type, 'configMap');
  assert.equal(Object.keys(conf.source.type === 'configMap' ? conf.source.files : {}), [
    'redis.conf',
    'rediscover-peers.sh',
  ]);
  // The re-discovery wrapper execs redis-server with the container's args.
  assert.match(redis.launch.wrapper?.description ?? '', /^\/etc\/redis\/rediscover-peers\.sh/);
  assert.equal(redis.launch.redisArgv, ['redis-server', '/etc/redis/redis.conf', '--cluster-announce-ip', '$(POD_IP)']);
});

test('the seed manifests load despite their faults (apps/v1beta1, no selector, no ConfigMap manifest of their own)', async () => {
  const redis = redisDeployment(await loadManifests('test/fixtures/seed'));
  assert.is(redis.statefulSet.apiVersion, 'apps/v1beta1');
  assert.is(redis.replicas, 3);
  assert.is(redis.container.image, 'redis:3.2.8');
  assert.is(redis.clusterConfigFile, '/var/lib/redis/nodes.conf');
  assert.ok(redis.isPersistent(redis.clusterConfigFile));
  assert.is(redis.directive('protected-mode'), 'no');
  assert.is(redis.directive('cluster-announce-ip'), undefined);
  assert.equal(redis.directives.find((d) => d.name === 'dir')!.from.at, {
    file: 'test/fixtures/seed/redis-conf.yml',
    line: 14,
    column: 5,
  });
});

test('nodes.conf on an emptyDir is not persistent; the seed topology has 3 replicas', async () => {
  const off = redisDeployment(await loadManifests('test/fixtures/manifests/nodes-conf-off-pvc'));
  assert.is(off.clusterConfigFile, '/var/run/redis/nodes.conf');
  assert.equal(off.mountFor(off.clusterConfigFile)?.source, { type: 'emptyDir' });
  assert.not.ok(off.isPersistent(off.clusterConfigFile));
  assert.ok(off.isPersistent(off.dataDir), 'the AOF stays on the PVC');
  const topo = redisDeployment(await loadManifests('test/fixtures/manifests/seed-topology'));
  assert.is(topo.replicas, 3);
});

test('arguments override the config file; relative cluster-config-file is relative to the last dir', () => {
  const redis = redisDeployment(
    setOf({
      conf: 'port 7000\ndir /var/lib\ndir redis\ncluster-config-file cluster/nodes-7000.conf\n',
      container: `- name: redis
  image: registry.example.com/mirror/redis@sha256:abc
  command: [/usr/local/bin/redis-server]
  args: [/etc/redis/redis.conf, --port, "7001"]
  volumeMounts:
  - {name: conf, mountPath: /etc/redis}
  - {name: data, mountPath: /var/lib/redis}`,
    }),
  );
  assert.is(redis.port, 7001);
  assert.is(redis.busPort, 17001, 'the bus follows the effective port');
  assert.is(redis.directives.filter((d) => d.name === 'port').length, 2);
  assert.is(redis.dataDir, '/var/lib/redis');
  assert.is(redis.clusterConfigFile, '/var/lib/redis/cluster/nodes-7000.conf');
  assert.ok(redis.isPersistent(redis.clusterConfigFile));
  assert.is(redis.namespace, 'team');
});

test('without command: the image entrypoint runs redis-server; defaults are /data and nodes.conf there', () => {
  const redis = redisDeployment(
    setOf({
      conf: 'cluster-enabled yes\n',
      container:
        '- name: r\n  image: redis:7\n  args: ["/etc/redis/redis.conf"]\n  volumeMounts:\n  - {name: conf, mountPath: /etc/redis}',
    }),
  );
  assert.is(redis.configFile, '/etc/redis/redis.conf');
  assert.is(redis.port, 6379);
  assert.is(redis.dataDir, '/data');
  assert.is(redis.clusterConfigFile, '/data/nodes.conf');
  assert.not.ok(redis.isPersistent(redis.clusterConfigFile));
  const bare = redisDeployment(setOf({ container: '- name: r\n  image: redis:7\n  workingDir: /work' }));
  assert.is(bare.configFile, undefined);
  assert.is(bare.dataDir, '/work');
  assert.is(bare.container.workingDir, '/work');
  assert.equal(bare.directives, []);
  assert.is(redis.container.workingDir, '/data', "the redis image's WORKDIR when none is set");
});

test('mounts: items rename keys, subPath mounts one file, the longest mount path wins', () => {
  const redis = redisDeployment(
    setOf({
      container: `- name: redis
  image: redis:7.2.5
  command: [redis-server, /usr/local/etc/redis.conf]
  volumeMounts:
  - {name: conf, mountPath: /usr/local/etc/redis.conf, subPath: main.conf}
  - {name: data, mountPath: /var/lib/redis}
  - {name: scratch, mountPath: /var/lib/redis/tmp}
  - {name: certs, mountPath: /tls, readOnly: true}`,
      volumes: `- name: conf
  configMap:
    name: conf
    items: [{key: redis.conf, path: main.conf}]
- {name: scratch, emptyDir: {}}
- {name: certs, secret: {secretName: tls}}`,
    }),
  );
  assert.is(redis.directive('cluster-enabled'), 'yes');
  assert.equal(redis.mountFor('/usr/local/etc/redis.conf')?.subPath, 'main.conf');
  assert.is(redis.mountFor('/var/lib/redis/tmp/x')?.name, 'scratch');
  assert.is(redis.mountFor('/var/lib/redis/tmpx')?.name, 'data', 'a sibling with a common prefix is not inside');
  assert.not.ok(redis.isPersistent('/var/lib/redis/tmp/x'));
  const certs = redis.mountFor('/tls/ca.crt')!;
  assert.equal(
    [certs.readOnly, certs.source],
    [true, { type: 'secret', secret: 'tls', files: {}, modes: {} }],
    'Secret tls is not among the manifests',
  );
  assert.is(redis.mountFor('/etc/passwd'), undefined);
});

test('no Redis StatefulSet, or two, is refused', () => {
  const none = {
    dir: 'mem',
    files: [],
    objects: parseManifestFile(
      'x.yaml',
      'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: pg}\nspec:\n  template:\n    spec:\n      containers: [{name: pg, image: postgres:16}]\n',
    ),
  };
  assert.match(
    inputErrorOf(() => redisDeployment(none)),
    /^no Redis StatefulSet in mem: expected .*; found only pg \(x\.yaml:1\)/,
  );
  const two = setOf({
    extra: `---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: other}
spec:
  template:
    spec:
      containers: [{name: r, image: "redis:7"}]
`,
  });
  assert.match(
    inputErrorOf(() => redisDeployment(two)),
    /more than one Redis StatefulSet in mem: db \(mem\.yaml:\d+\), other \(mem\.yaml:\d+\)/,
  );
});

test("a config file that cannot be read from the manifests is refused with the argument's file:line", () => {
  const noConfigMap = setOf({ volumes: '- name: conf\n  configMap: {name: missing}' });
  assert.match(
    inputErrorOf(() => redisDeployment(noConfigMap)),
    /^mem\.yaml:\d+: redis-server reads \/etc\/redis\/redis\.conf, but ConfigMap missing is not among the manifests/,
  );
  const wrongName = setOf({
    container:
      '- name: r\n  image: redis:7\n  args: [/etc/redis/other.conf]\n  volumeMounts:\n  - {name: conf, mountPath: /etc/redis}',
  });
  assert.match(
    inputErrorOf(() => redisDeployment(wrongName)),
    /has no such file \(it has redis\.conf\)/,
  );
  const onPvc = setOf({
    container:
      '- name: r\n  image: redis:7\n  args: [/var/lib/redis/redis.conf]\n  volumeMounts:\n  - {name: data, mountPath: /var/lib/redis}',
  });
  assert.match(
    inputErrorOf(() => redisDeployment(onPvc)),
    /not on a ConfigMap mount \(\/var\/lib\/redis is pvc\) and no init container writes it/,
  );
});

test('an unknown volume, a relative workingDir and a bad port are refused with file:line', () => {
  const unknown = setOf({ container: '- name: r\n  image: redis:7\n  volumeMounts:\n  - {name: nope, mountPath: /x}' });
  assert.match(
    inputErrorOf(() => redisDeployment(unknown)),
    /^mem\.yaml:\d+: volumeMount "nope" names no volume/,
  );
  const relative = setOf({ container: '- name: r\n  image: redis:7\n  workingDir: data' });
  assert.match(
    inputErrorOf(() => redisDeployment(relative)),
    /^mem\.yaml:\d+: workingDir "data" is not an absolute path/,
  );
  const port = setOf({ conf: 'port 99999\n' });
  assert.match(
    inputErrorOf(() => redisDeployment(port)),
    /^mem\.yaml:7: port must be 1-65535, got "99999"/,
  );
});

test('a wrapper script from the ConfigMap that execs its arguments: redis-server found in them, the script recorded', () => {
  const redis = redisDeployment(
    setOf({
      conf: 'cluster-enabled yes\nport 7000\n',
      extra: `---
apiVersion: v1
kind: ConfigMap
metadata: {name: scripts}
data:
  fix-ip.sh: |
    #!/bin/sh
    sed -i -e "/myself/ s/[0-9.]*:/\${POD_IP}:/" /data/nodes.conf
    exec "$@"
`,
      container: `- name: redis
  image: redis:7
  command: [/conf/fix-ip.sh, redis-server, /etc/redis/redis.conf]
  args: [--cluster-announce-ip, $(POD_IP)]
  env: [{name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]
  volumeMounts:
  - {name: conf, mountPath: /etc/redis}
  - {name: scripts, mountPath: /conf}
  - {name: data, mountPath: /data}`,
      volumes:
        '- name: conf\n  configMap: {name: conf}\n- name: scripts\n  configMap: {name: scripts, defaultMode: 0755}',
    }),
  );
  assert.equal(redis.launch.redisArgv, ['redis-server', '/etc/redis/redis.conf', '--cluster-announce-ip', '$(POD_IP)']);
  assert.match(redis.launch.wrapper!.description, /^\/conf\/fix-ip\.sh \(ConfigMap scripts key fix-ip\.sh\)$/);
  assert.is(redis.launch.config, 'static');
  assert.equal(redis.launch.gaps, []);
  assert.is(redis.port, 7000);
  assert.is(redis.directive('cluster-announce-ip'), '$(POD_IP)');
  const scripts = redis.mountFor('/conf/fix-ip.sh')!.source;
  assert.equal(scripts.type === 'configMap' ? scripts.modes : {}, { 'fix-ip.sh': 0o755 });
});

test("sh -c: the exec'd redis-server is read, env variables become $(VAR), computed words are gaps", () => {
  const redis = redisDeployment(
    setOf({
      container: `- name: redis
  image: redis:7
  command: [sh, -c]
  args:
  - |
    set -e
    echo starting; exec redis-server /etc/redis/redis.conf --cluster-announce-ip "$POD_IP" --cluster-announce-hostname "$(hostname -f)"
  env: [{name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]
  volumeMounts:
  - {name: conf, mountPath: /etc/redis}
  - {name: data, mountPath: /var/lib/redis}`,
    }),
  );
  assert.equal(redis.launch.redisArgv, [
    'redis-server',
    '/etc/redis/redis.conf',
    '--cluster-announce-ip',
    '$(POD_IP)',
    '--cluster-announce-hostname',
    '$(hostname -f)',
  ]);
  assert.is(redis.directive('cluster-enabled'), 'yes');
  assert.is(redis.directive('cluster-announce-ip'), '$(POD_IP)');
  assert.equal(
    redis.launch.gaps.map((g) => g.message),
    ['redis-server argument "$(hostname -f)" depends on $(hostname -f), known only when the script runs'],
  );
  assert.match(redis.launch.wrapper!.description, /sh -c script/);
});

test('a config an init container renders: template found, or the config unknown (not refused)', () => {
  const withInit = (script: string, conf = 'cluster-enabled yes\ncluster-announce-ip ${POD_IP}\ndir /data\n') => {
    const set = setOf({
      conf,
      container: `- name: redis
  image: redis:7
  command: [redis-server, /etc/redis/redis.conf]
  volumeMounts:
  - {name: rendered, mountPath: /etc/redis}
  - {name: data, mountPath: /data}`,
      volumes: '- name: conf\n  configMap: {name: conf}\n- {name: rendered, emptyDir: {}}',
    });
    const sts = set.objects.find((o) => o.kind === 'StatefulSet')!;
    objectAt(sts.body, ['spec', 'template', 'spec']).initContainers = [
      {
        name: 'config',
        image: 'busybox',
        command: ['sh', '-c', script],
        volumeMounts: [
          { name: 'conf', mountPath: '/tmpl' },
          { name: 'rendered', mountPath: '/out' },
        ],
      },
    ];
    return redisDeployment(set);
  };
  const rendered = withInit('sed "s/\\${POD_IP}/$POD_IP/" /tmpl/redis.conf > /out/redis.conf');
  assert.is(rendered.launch.config, 'template');
  assert.is(rendered.launch.renderedBy, 'config');
  assert.is(rendered.directive('cluster-enabled'), 'yes');
  assert.is(rendered.dataDir, '/data');
  assert.equal(
    rendered.launch.gaps.map((g) => g.message),
    [
      'redis-server reads /etc/redis/redis.conf, which init container config writes at start from /tmpl/redis.conf (ConfigMap conf key redis.conf); its placeholders are filled in only when the pod runs',
      'cluster-announce-ip ${POD_IP} is a placeholder the init container fills in',
    ],
  );
  assert.equal(
    rendered.initContainers.map((c) => [c.name, c.workingDir, c.mounts.map((m) => m.mountPath)]),
    [['config', '/', ['/tmpl', '/out']]],
  );
  const unknown = withInit('curl -s http://config-server/redis.conf > /out/redis.conf');
  assert.is(unknown.launch.config, 'unknown');
  assert.match(
    unknown.launch.gaps[0]!.message,
    /init container config writes at start from nothing among the manifests/,
  );
});

test('env from a Secret (data base64, stringData) and a ConfigMap key; Secret volumes with their files', () => {
  const redis = redisDeployment(
    setOf({
      extra: `---
apiVersion: v1
kind: Secret
metadata: {name: auth}
data: {password: c2VjcmV0LXB3}
stringData: {user: app}
`,
      container: `- name: redis
  image: redis:7
  command: [redis-server, /etc/redis/redis.conf, --requirepass, $(PW)]
  env:
  - {name: PW, valueFrom: {secretKeyRef: {name: auth, key: password}}}
  - {name: U, valueFrom: {secretKeyRef: {name: auth, key: user}}}
  - {name: MISSING, valueFrom: {secretKeyRef: {name: elsewhere, key: x}}}
  volumeMounts:
  - {name: conf, mountPath: /etc/redis}
  - {name: auth, mountPath: /etc/auth}
  - {name: data, mountPath: /var/lib/redis}`,
      volumes: '- name: conf\n  configMap: {name: conf}\n- name: auth\n  secret: {secretName: auth, defaultMode: 0400}',
    }),
  );
  assert.equal(
    redis.container.env.map((e) => [e.name, e.value, e.from?.description, e.from?.secret]),
    [
      ['PW', 'secret-pw', 'Secret auth key password', true],
      ['U', 'app', 'Secret auth key user', true],
      ['MISSING', undefined, 'Secret elsewhere key x', true],
    ],
  );
  const auth = redis.mountFor('/etc/auth/password')!.source;
  assert.equal(auth, {
    type: 'secret',
    secret: 'auth',
    files: { password: 'secret-pw', user: 'app' },
    modes: { password: 0o400, user: 0o400 },
  });
});

test('the cluster bus port: cluster-port when set, port + 10000 when it is 0 or absent', () => {
  assert.is(redisDeployment(setOf({ conf: 'cluster-enabled yes\nport 7000\ncluster-port 7100\n' })).busPort, 7100);
  assert.is(redisDeployment(setOf({ conf: 'cluster-enabled yes\nport 7000\ncluster-port 0\n' })).busPort, 17000);
});

test.run();
