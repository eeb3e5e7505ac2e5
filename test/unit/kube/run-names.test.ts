/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/restrict-template-expressions -- the assertions read Kubernetes objects as the API fixture keeps them: free-form JSON (Obj in test/unit/kube/api-server.ts) */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import type { ManifestSet } from '../../../src/manifests/model.ts';
import { isolateRun, RUN_LABEL } from '../../../src/platform/kube/run-names.ts';

const MANIFESTS = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: fast }
provisioner: kubernetes.io/no-provisioner
---
apiVersion: v1
kind: PersistentVolume
metadata: { name: big }
spec: { capacity: { storage: 5Gi }, accessModes: [ReadWriteOnce], storageClassName: fast, hostPath: { path: /d/big } }
---
apiVersion: v1
kind: PersistentVolume
metadata: { name: small }
spec: { capacity: { storage: 1Gi }, accessModes: [ReadWriteOnce], storageClassName: fast, persistentVolumeReclaimPolicy: Delete, hostPath: { path: /d/small } }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: extra }
spec: { storageClassName: fast, volumeName: big, accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db }
spec:
  replicas: 1
  volumeClaimTemplates:
    - metadata: { name: data }
      spec: { storageClassName: fast, accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
    - metadata: { name: scratch }
      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
`;
const set = (): ManifestSet => ({ dir: '.', files: ['m.yaml'], objects: parseManifestFile('m.yaml', MANIFESTS) });

test('per-run names, references followed, the claim pre-bound to the volume the PV controller would pick, input untouched', () => {
  const s = set();
  const input = s.objects.map((o) => o.body);
  const before = JSON.stringify(input);
  const out = isolateRun(s, input, { runId: 'r1', namespace: 'ns-r1' });
  assert.is(JSON.stringify(input), before, 'the input bodies are not changed');
  const [sc, big, small, pvc, sts] = out.bodies as any[];
  assert.equal(out.renamed, [
    { kind: 'StorageClass', from: 'fast', to: 'fast-r1' },
    { kind: 'PersistentVolume', from: 'big', to: 'big-r1' },
    { kind: 'PersistentVolume', from: 'small', to: 'small-r1' },
  ]);
  for (const b of out.bodies as any[]) assert.is(b.metadata.labels[RUN_LABEL], 'r1', `${b.kind} labelled`);
  assert.is(sc.metadata.name, 'fast-r1');
  assert.is(big.spec.storageClassName, 'fast-r1');
  assert.equal(
    [pvc.spec.storageClassName, pvc.spec.volumeName],
    ['fast-r1', 'big-r1'],
    'a claim follows the renamed class and volume',
  );
  assert.is(sts.spec.volumeClaimTemplates[0].spec.storageClassName, 'fast-r1');
  assert.is(
    sts.spec.volumeClaimTemplates[1].spec.storageClassName,
    undefined,
    'no class and no default class in the manifests: the cluster default, left alone',
  );
  // The smallest volume that fits, as the PV controller picks; the other stays unbound.
  assert.equal(small.spec.claimRef, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    namespace: 'ns-r1',
    name: 'data-db-0',
  });
  assert.is(big.spec.claimRef, undefined);
  assert.equal(out.bound, [{ persistentVolume: 'small-r1', claim: 'data-db-0' }]);
  assert.equal(out.notes.length, 1, 'Retain (the default of a volume made by hand) is noted; Delete is not');
  assert.match(out.notes[0]!, 'PersistentVolume big-r1 (from big) has reclaimPolicy Retain');
});

test.run();
