// Names and paths the Kubernetes API server refuses, and redis.conf paths that climb out of the container, are
// bad input with file:line before any host path is built from them (the local platform and the NFS stand-in
// turn them into directories and files on the runner).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redisDeployment } from '../../../src/manifests/deployment.ts';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import { nfsStandIn } from '../../../src/manifests/nfs-standin.ts';
import {
  climbsAboveRoot,
  configMapKeyProblem,
  descendingPathProblem,
  dns1123LabelProblem,
} from '../../../src/manifests/path-refusals.ts';
import { inputErrorOf } from '../../support/input-error.ts';

const BASE = `apiVersion: v1
kind: ConfigMap
metadata:
  name: conf
data:
  redis.conf: |
    cluster-enabled yes
    dir /data
    logfile redis.log
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: redis
spec:
  serviceName: redis
  replicas: 3
  selector: {matchLabels: {app: redis}}
  template:
    metadata: {labels: {app: redis}}
    spec:
      containers:
      - name: redis
        image: redis:7.2.5
        command: [redis-server]
        args: [/conf/redis.conf]
        volumeMounts:
        - name: conf
          mountPath: /conf
        - name: data
          mountPath: /data
          subPath: node
      volumes:
      - name: conf
        configMap:
          name: conf
          items:
          - key: redis.conf
            path: redis.conf
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv-one
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  nfs: {server: nfs.example, path: /exports/one}
`;

/** BASE with one line replaced; returns the file and the 1-based line of the replacement. */
function variant(from: string, to: string): { text: string; line: number } {
  const lines = BASE.split('\n');
  const i = lines.findIndex((l) => l === from);
  assert.ok(i >= 0, `no line ${JSON.stringify(from)} in the base manifest`);
  lines[i] = to;
  return { text: lines.join('\n'), line: i + 1 };
}

const deploy = (text: string) =>
  redisDeployment({ dir: 'mem', files: ['mem.yaml'], objects: parseManifestFile('mem.yaml', text) });

test('the base manifest is accepted', () => {
  assert.is(deploy(BASE).name, 'redis');
});

const CASES: Array<[string, string, string, RegExp]> = [
  [
    'StatefulSet name with ..',
    '  name: redis',
    '  name: ../../escape',
    /StatefulSet name "..\/..\/escape" must be a DNS-1123 label/,
  ],
  ['StatefulSet name in capitals', '  name: redis', '  name: Redis', /DNS-1123 label/],
  [
    'volume name with a slash',
    '      - name: conf',
    '      - name: ../conf',
    /volume name "..\/conf" must be a DNS-1123 label/,
  ],
  ['claim template name', '  - metadata: {name: data}', '  - metadata: {name: ../../data}', /volumeClaimTemplate name/],
  [
    'items path with ..',
    '            path: redis.conf',
    '            path: ../../../redis.conf',
    /configMap items path "..\/..\/..\/redis.conf" must not contain '..'/,
  ],
  [
    'absolute items path',
    '            path: redis.conf',
    '            path: /etc/redis.conf',
    /must be a relative path/,
  ],
  [
    'subPath with ..',
    '          subPath: node',
    '          subPath: ../../../outside',
    /volumeMount subPath "..\/..\/..\/outside" must not contain '..'/,
  ],
  ['absolute subPath', '          subPath: node', '          subPath: /tmp', /must be a relative path/],
  [
    'relative logfile climbing out',
    '    logfile redis.log',
    '    logfile ../../../../tmp/planted.log',
    /logfile "..\/..\/..\/..\/tmp\/planted.log" climbs above the container's root from \/data/,
  ],
  [
    'relative dir climbing out',
    '    dir /data',
    '    dir ../../..',
    /dir "..\/..\/.." climbs above the container's root from \/data/,
  ],
];

for (const [name, from, to, message] of CASES) {
  test(`refused with file:line: ${name}`, () => {
    const { text, line } = variant(from, to);
    const error = inputErrorOf(() => deploy(text));
    assert.match(error, message);
    assert.match(error, new RegExp(`^mem\\.yaml:${line}: `));
  });
}

test('ConfigMap keys become file names without items: a key starting with .. is refused at its line', () => {
  const noItems = BASE.replace(
    '          items:\n          - key: redis.conf\n            path: redis.conf\n',
    '',
  ).replace('\ndata:\n', '\ndata:\n  ..data: x\n');
  const error = inputErrorOf(() => deploy(noItems));
  assert.match(error, /^mem\.yaml:6: ConfigMap key "..data" must not start with '..'/);
});

test('the NFS stand-in refuses a PersistentVolume name that would leave its directory', () => {
  const { text, line } = variant('  name: pv-one', '  name: ../../etc');
  const set = { dir: 'mem', files: ['mem.yaml'], objects: parseManifestFile('mem.yaml', text) };
  assert.match(
    inputErrorOf(() => nfsStandIn(set, '/var/local-pv')),
    new RegExp(`^mem\\.yaml:${line}: PersistentVolume name "../../etc" must be a DNS-1123 subdomain`),
  );
  assert.is(nfsStandIn({ ...set, objects: parseManifestFile('mem.yaml', BASE) }, '/var/local-pv').rewrites.length, 1);
});

test('the rules themselves', () => {
  assert.is(dns1123LabelProblem('redis-app'), undefined);
  assert.ok(dns1123LabelProblem('a'.repeat(64)));
  assert.ok(dns1123LabelProblem('-a'));
  assert.is(descendingPathProblem('a/b..c/d'), undefined, 'only a whole .. element is a step back');
  assert.is(configMapKeyProblem('redis.conf'), undefined);
  assert.ok(configMapKeyProblem('a/b'));
  assert.not.ok(climbsAboveRoot('/data', '../x'));
  assert.ok(climbsAboveRoot('/data', '../../x'));
  assert.ok(climbsAboveRoot('/', '/../x'));
  assert.not.ok(climbsAboveRoot('/a/b', 'c/../../..'));
  assert.ok(climbsAboveRoot('/a/b', 'c/../../../..'));
});

test.run();
