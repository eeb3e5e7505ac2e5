import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createStandInDirs } from '../../../src/platform/kube/pv-files.ts';
import { inputErrorOf } from '../../support/input-error.ts';
import { loadManifests, parseManifestFile } from '../../../src/manifests/load.ts';
import type { ManifestSet } from '../../../src/manifests/model.ts';
import { nfsStandIn } from '../../../src/manifests/nfs-standin.ts';

const NFS_PV = `apiVersion: v1
kind: PersistentVolume
metadata:
  name: redis-pv1
  labels: { tier: cache }
  annotations: { note: kept }
spec:
  capacity: { storage: 200M }
  accessModes: [ReadWriteMany]
  storageClassName: redis-sc
  persistentVolumeReclaimPolicy: Recycle
  volumeMode: Filesystem
  claimRef: { namespace: default, name: redis-data-redis-app-0 }
  mountOptions: [nfsvers=4.1, hard]
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions: [{ key: kubernetes.io/os, operator: In, values: [linux] }]
  nfs:
    server: nfs.internal
    path: /exports/redis/pv1
    readOnly: false
`;
const OTHERS = `apiVersion: v1
kind: PersistentVolume
metadata: { name: local-pv }
spec:
  capacity: { storage: 1Gi }
  accessModes: [ReadWriteOnce]
  hostPath: { path: /data/local-pv }
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: redis-sc }
provisioner: kubernetes.io/no-provisioner
---
apiVersion: v1
kind: Pod
metadata: { name: uses-nfs-inline }
spec:
  containers: [{ name: c, image: busybox }]
  volumes: [{ name: v, nfs: { server: nfs.internal, path: /x } }]
`;

function set(): ManifestSet {
  const objects = [...parseManifestFile('pv.yaml', NFS_PV), ...parseManifestFile('others.yaml', OTHERS)];
  return { dir: '.', files: ['pv.yaml', 'others.yaml'], objects };
}

test('an nfs PV becomes hostPath under the node dir with every other field kept', () => {
  const input = set();
  const before = structuredClone(input.objects.map((o) => o.body));
  const { objects, rewrites } = nfsStandIn(input, '/var/local/pv');
  const { nfs: _nfs, mountOptions: _mo, ...keptSpec } = before[0]!.spec as Record<string, unknown>;
  assert.equal(objects[0], {
    ...before[0],
    spec: { ...keptSpec, hostPath: { path: '/var/local/pv/redis-pv1', type: 'DirectoryOrCreate' } },
  });
  assert.equal(rewrites, [
    {
      persistentVolume: 'redis-pv1',
      from: 'nfs nfs.internal:/exports/redis/pv1',
      to: 'hostPath /var/local/pv/redis-pv1; mountOptions nfsvers=4.1,hard dropped (NFS client options, hostPath takes none)',
    },
  ]);
  assert.equal(
    input.objects.map((o) => o.body),
    before,
    'input not modified',
  );
});

test('other objects are untouched copies, in the same order', () => {
  const input = set();
  const { objects, rewrites } = nfsStandIn(input, '/n');
  assert.is(objects.length, 4);
  assert.is(rewrites.length, 1);
  for (let i = 1; i < 4; i++) {
    assert.equal(objects[i], input.objects[i]!.body);
    assert.is.not(objects[i], input.objects[i]!.body, 'a copy, not the same object');
  }
});

test('the default manifests: every nfs PV rewritten', async () => {
  const manifests = await loadManifests(new URL('../../../manifests', import.meta.url).pathname);
  const nfsPvs = manifests.objects.filter(
    (o) => o.kind === 'PersistentVolume' && JSON.stringify(o.body).includes('"nfs"'),
  );
  assert.ok(nfsPvs.length > 0);
  const { rewrites } = nfsStandIn(manifests, '/pv');
  assert.equal(
    rewrites.map((r) => r.to),
    nfsPvs.map((o) => `hostPath /pv/${o.name}`),
  );
});

test('the stand-in never creates or chmods a directory outside its own, whatever a PV is called', async () => {
  const base = mkdtempSync(join(tmpdir(), 'standin-test-'));
  try {
    const hostDir = join(base, 'pv');
    const outside = join(base, 'outside');
    mkdirSync(outside, { mode: 0o700 });
    const before = statSync(outside).mode;
    const refused = await createStandInDirs(hostDir, ['../outside']).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(refused, 'a name leaving the stand-in directory is refused');
    inputErrorOf(() => {
      throw refused as Error;
    });
    assert.is(statSync(outside).mode, before, 'the outside directory keeps its mode');
    await createStandInDirs(hostDir, ['redis-pv1']);
    assert.is(statSync(join(hostDir, 'redis-pv1')).mode & 0o777, 0o777);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test.run();
