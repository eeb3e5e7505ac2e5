import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { removalOf } from '../../../src/manifests/lint/api-removed.ts';
import { imageTag } from '../../../src/manifests/lint/image-version.ts';
import { lintManifests, parseKubernetesVersion } from '../../../src/manifests/lint/index.ts';
import { parseQuantity } from '../../../src/manifests/quantity.ts';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import type { ManifestSet } from '../../../src/manifests/model.ts';

// Cases the fixture pairs do not cover: options, boundaries and the other branches of a rule.
const BASE = path.join(import.meta.dirname, '../../fixtures/lint/probes/pass');
const read = (name: string) => readFileSync(path.join(BASE, name), 'utf8');

/** The passing Redis fixture with text replacements ([file, from, to], in order), as a ManifestSet. */
type Edit = [file: string, from: string, to: string];
function redisSetWith(edits: Edit[]): ManifestSet {
  const names = ['configmap.yaml', 'service.yaml', 'statefulset.yaml'];
  const objects = names.flatMap((n) => {
    let text = read(n);
    for (const [file, from, to] of edits.filter((e) => e[0] === n)) {
      assert.ok(text.includes(from), `${file} has no ${from}`);
      text = text.replace(from, to);
    }
    return parseManifestFile(n, text);
  });
  return { dir: 'mem', files: names, objects };
}
/** The passing Redis fixture with one text replacement. */
const redisSet = (file = 'statefulset.yaml', from = '', to = ''): ManifestSet =>
  redisSetWith(from ? [[file, from, to]] : []);
const rules = (set: ManifestSet, rule: string, opts = {}) => lintManifests(set, opts).filter((f) => f.rule === rule);

test('Kubernetes versions: 1.31, v1.29.3; anything else is an InputError', () => {
  assert.equal(parseKubernetesVersion('v1.29.3'), { major: 1, minor: 29, text: '1.29' });
  assert.throws(() => parseKubernetesVersion('latest'), /expected MAJOR.MINOR/);
  assert.throws(() => lintManifests(redisSet(), { kubernetesVersion: '1' }), /not a version/);
});

test('removals depend on the target version', () => {
  assert.is(removalOf('apps/v1beta1', 'StatefulSet', parseKubernetesVersion('1.15')), undefined);
  assert.is(removalOf('apps/v1beta1', 'StatefulSet', parseKubernetesVersion('1.16'))?.use, 'apps/v1');
  assert.is(removalOf('policy/v1beta1', 'PodDisruptionBudget', parseKubernetesVersion('1.24')), undefined);
  assert.is(removalOf('policy/v1beta1', 'PodSecurityPolicy', parseKubernetesVersion('1.25'))?.use, undefined);
  assert.is(removalOf('apps/v1', 'StatefulSet', parseKubernetesVersion('1.36')), undefined);
});

test('quantities', () => {
  assert.is(parseQuantity('1Gi'), 2 ** 30);
  assert.is(parseQuantity('512Mi')! < parseQuantity('1G')!, true);
  assert.is(parseQuantity('1e3'), 1000);
  assert.is(parseQuantity(5), 5);
  assert.is(parseQuantity('10Gigs'), undefined);
});

test('image tags: version, latest, untagged, digest, registry with port', () => {
  assert.equal(imageTag('redis:7.2.5'), { tag: '7.2.5', digest: false });
  assert.equal(imageTag('registry:5000/redis'), { tag: '', digest: false });
  assert.equal(imageTag('redis@sha256:abc'), { tag: '', digest: true });
  const sev = (image: string) =>
    rules(redisSet('statefulset.yaml', 'image: redis:7.2.5', `image: ${image}`), 'image-version').map(
      (f) => f.severity,
    );
  assert.equal(sev('redis:latest'), ['warning']);
  assert.equal(sev('redis'), ['warning']);
  assert.equal(sev('redis:6.2.14-alpine'), []);
  assert.equal(sev('redis:6.0'), ['error']);
  assert.equal(sev('bitnami/redis:5'), ['error']);
  // Another program's image is named as such, never aged by its tag.
  const [nginx] = rules(redisSet('statefulset.yaml', 'image: redis:7.2.5', 'image: nginx:1.27'), 'image-version');
  assert.is(nginx?.severity, 'warning');
  assert.match(nginx!.message, 'image nginx:1.27 is not a Redis or Valkey image, yet the container runs redis-server');
  assert.not.match(nginx!.message, /Redis 1\.27/);
  assert.equal(sev('nginx'), ['warning']);
});

test('cluster-node-timeout: missing is info, extreme is a warning, boundaries pass', () => {
  const sev = (line: string) =>
    rules(redisSet('configmap.yaml', 'cluster-node-timeout 5000', line), 'redis-node-timeout').map((f) => f.severity);
  assert.equal(sev(''), ['info']);
  assert.equal(sev('cluster-node-timeout 999'), ['warning']);
  assert.equal(sev('cluster-node-timeout 1000'), []);
  assert.equal(sev('cluster-node-timeout 60000'), []);
  assert.equal(sev('cluster-node-timeout 60001'), ['warning']);
  assert.equal(sev('cluster-node-timeout 5s'), ['error']);
  // What redis-server refuses although Number() reads a number (checked on redis-server 7.0).
  for (const bad of ['1e3', '+5000', '05000', '5000.0', '0x1388', '-1'])
    assert.equal(sev(`cluster-node-timeout ${bad}`), ['error'], bad);
  assert.match(
    rules(redisSet('configmap.yaml', 'cluster-node-timeout 5000', 'cluster-node-timeout 1e3'), 'redis-node-timeout')[0]!
      .message,
    '"1e3" is not a whole number of milliseconds as redis-server reads it',
  );
});

test('cluster bus port: a port above 55535 puts the bus past 65535 (redis-server refuses to start) unless cluster-port is set', () => {
  const found = (conf: string) => rules(redisSet('configmap.yaml', 'port 6379', conf), 'cluster-bus-port');
  const [high] = found('port 60000');
  assert.is(high?.severity, 'error');
  assert.match(high!.message, 'port 60000 puts the cluster bus on 70000, above 65535');
  assert.is(high!.at?.line, 7); // the port line of redis.conf
  assert.equal(
    found('port 55535')
      .map((f) => f.message)
      .filter((m) => m.includes('above 65535')),
    [],
  );
  assert.equal(
    found('port 60000\n    cluster-port 16379')
      .map((f) => f.message)
      .filter((m) => m.includes('above 65535')),
    [],
  );
});

test('topology from options: fewer than 3 masters, uneven split, no replicas', () => {
  const set = redisSet();
  assert.equal(rules(set, 'topology'), []);
  assert.match(rules(set, 'topology', { masters: 2, replicasPerMaster: 2 })[0]!.message, /2 master/);
  assert.match(rules(set, 'topology', { masters: 4 })[0]!.message, /do not split/);
  assert.match(rules(set, 'topology', { masters: 6, replicasPerMaster: 0 })[0]!.message, /without replicas/);
  assert.equal(rules(set, 'topology', { replicasPerMaster: 1 }), []);
});

test('announce-ip: a fixed address for every pod is an error; $(VAR) not from status.podIP a warning', () => {
  const fixed = redisSet('statefulset.yaml', '- $(POD_IP)', '- 10.0.0.5');
  assert.equal(
    rules(fixed, 'redis-announce-ip').map((f) => f.severity),
    ['error'],
  );
  const other = redisSet('statefulset.yaml', 'fieldPath: status.podIP', 'fieldPath: status.hostIP');
  assert.equal(
    rules(other, 'redis-announce-ip').map((f) => f.severity),
    ['warning'],
  );
});

test('preferred anti-affinity: pointless on one node, and a possible shared node on more', () => {
  const pref = path.join(import.meta.dirname, '../../fixtures/lint/anti-affinity/preferred-statefulset.yaml');
  const set = {
    ...redisSet(),
    objects: [
      ...redisSet().objects.filter((o) => o.kind !== 'StatefulSet'),
      ...parseManifestFile('s.yaml', readFileSync(pref, 'utf8')),
    ],
  };
  assert.equal(
    rules(set, 'anti-affinity', { nodes: 1 }).map((f) => f.severity),
    ['info'],
  );
  // On more nodes it says what a node loss may cost with preferred rules only.
  const two = rules(set, 'anti-affinity', { nodes: 2 });
  assert.equal(
    two.map((f) => f.severity),
    ['info'],
  );
  assert.match(two[0]!.message, 'preferred only: the scheduler may put a master and its replica on one node');
  // The node count unknown (the lint command): nothing is assumed, so nothing is said.
  assert.equal(rules(set, 'anti-affinity'), []);
});

test('no Redis StatefulSet: one redis-statefulset error, the other rules still run', () => {
  const set: ManifestSet = {
    dir: 'mem',
    files: ['c.yaml'],
    objects: parseManifestFile('c.yaml', read('configmap.yaml')),
  };
  const found = lintManifests(set);
  assert.equal(
    found.map((f) => f.rule),
    ['redis-statefulset'],
  );
  assert.is(found[0]!.at?.file, 'c.yaml');
});

test('placeholders: a bare $VAR value, but not in a Secret; $(VAR) with envFrom is not judged', () => {
  const objects = parseManifestFile(
    'o.yaml',
    [
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: auth\nstringData:\n  password: $ecret',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: env\ndata:\n  host: $NFS_HOST',
    ].join('\n---\n'),
  );
  const found = rules({ dir: 'mem', files: ['o.yaml'], objects }, 'unresolved-placeholder');
  assert.equal(
    found.map((f) => `${f.at?.line} ${f.message}`),
    ['13 ConfigMap env: data.host holds the unresolved placeholder $NFS_HOST'],
  );
  const withEnvFrom = redisSet(
    'statefulset.yaml',
    '- $(POD_IP)',
    '- $(FROM_CONFIGMAP)\n          envFrom:\n            - configMapRef: {name: env}',
  );
  assert.equal(rules(withEnvFrom, 'unresolved-placeholder'), []);
});

test('peer re-discovery: CLUSTER MEET from a hook, a sidecar argv or a mounted script; a myself-only nodes.conf fix is not one', () => {
  const at = (set: ManifestSet) =>
    rules(set, 'redis-peer-rediscovery').map((f) => `${f.severity} ${f.at?.file}:${f.at?.line}`);
  const none = ['warning statefulset.yaml:17']; // the Redis container: nothing re-introduces the nodes
  assert.equal(at(redisSet()), none);
  const hook: Edit = [
    'statefulset.yaml',
    '          livenessProbe:',
    '          lifecycle:\n            postStart:\n              exec:\n                command: [sh, -c, "redis-cli CLUSTER MEET 10.0.0.1 6379"]\n          livenessProbe:',
  ];
  // A mechanism, but the Service lacks publishNotReadyAddresses: the finding moves to the Service's spec.
  assert.equal(at(redisSetWith([hook])), ['warning service.yaml:6']);
  assert.match(rules(redisSetWith([hook]), 'redis-peer-rediscovery')[0]!.message, /container redis runs CLUSTER MEET/);
  assert.equal(
    at(redisSetWith([hook, ['service.yaml', 'clusterIP: None', 'clusterIP: None\n  publishNotReadyAddresses: true']])),
    [],
  );
  assert.equal(
    at(redisSetWith([hook, ['service.yaml', 'clusterIP: None', 'clusterIP: None\n  publishNotReadyAddresses: false']])),
    ['warning service.yaml:7'],
  );
  const sidecar: Edit = [
    'statefulset.yaml',
    '      volumes:',
    '        - name: meet\n          image: redis:7.2.5\n          command: [redis-cli, -h, redis-0.redis, cluster, meet, "$(PEER_IP)", "6379"]\n      volumes:',
  ];
  assert.equal(at(redisSetWith([sidecar])), ['warning service.yaml:6']);
  // update-node.sh as most copied manifests have it: only the myself line; nobody learns where the peers went.
  const script = (body: string): Edit[] => [
    [
      'configmap.yaml',
      '    appendonly yes',
      `    appendonly yes\n  start.sh: |\n${body
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n')}`,
    ],
  ];
  assert.equal(at(redisSetWith(script('sed -i -e "/myself/ s/[0-9.]*/${POD_IP}/" /data/nodes.conf\nexec "$@"'))), none);
  assert.equal(
    at(redisSetWith(script('for p in $(getent hosts redis); do :; done # rewrite peers in /data/nodes.conf'))),
    ['warning service.yaml:6'],
  );
  // A script in a ConfigMap that is not mounted runs nowhere.
  const unmounted = redisSetWith([
    ...script('redis-cli cluster meet 10.0.0.1 6379'),
    [
      'statefulset.yaml',
      '            name: redis-conf',
      '            name: redis-conf\n            items: [{key: redis.conf, path: redis.conf}]',
    ],
  ]);
  assert.equal(at(unmounted), none);
  // An operator manages the cluster: the StatefulSet is owned by a controller.
  assert.equal(
    at(
      redisSet(
        'statefulset.yaml',
        '  name: redis\n',
        '  name: redis\n  ownerReferences: [{apiVersion: redis.example.com/v1, kind: RedisCluster, name: c, uid: u, controller: true}]\n',
      ),
    ),
    [],
  );
  // Or an operator's custom resource is among the manifests.
  const cr = parseManifestFile(
    'cr.yaml',
    'apiVersion: redis.redis.opstreelabs.in/v1beta2\nkind: RedisCluster\nmetadata:\n  name: c\nspec: {}\n',
  );
  assert.equal(at({ ...redisSet(), objects: [...redisSet().objects, ...cr] }), []);
});

// redis-announce-ip: a hostname in the address field (redis/redis#4289), by the longest pod's name.
const announceBy = (word: string): Edit[] => [
  [
    'statefulset.yaml',
    `command: [redis-server]
          args:
            - /etc/redis/redis.conf
            - --cluster-announce-ip
            - $(POD_IP)`,
    `command: [sh, -c, 'exec redis-server /etc/redis/redis.conf --cluster-announce-ip ${word}']`,
  ],
];
test('redis-announce-ip: $(hostname -f) is a hostname (warning), over 45 bytes an error naming its length', () => {
  const short = rules(redisSetWith(announceBy('$(hostname -f)')), 'redis-announce-ip');
  assert.is(short.length, 1);
  assert.is(short[0]!.severity, 'warning');
  assert.match(short[0]!.message, /redis-5\.redis\.default\.svc\.cluster\.local for pod redis-5\) is a hostname/);
  const long = rules(
    redisSetWith([
      ...announceBy('$(hostname -f)'),
      ['statefulset.yaml', 'name: redis\n', 'name: redis\n  namespace: production-cache\n'],
    ]),
    'redis-announce-ip',
  );
  assert.is(long.length, 1);
  assert.is(long[0]!.severity, 'error');
  assert.match(long[0]!.message, /redis-5\.redis\.production-cache\.svc\.cluster\.local .* is 48 bytes, over the 45/);
  assert.is(rules(redisSetWith(announceBy('$(hostname -i)')), 'redis-announce-ip').length, 0, 'an address: nothing');
});

test.run();
