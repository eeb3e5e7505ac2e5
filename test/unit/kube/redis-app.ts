import { DEFAULTS, type Config } from '../../../src/config.ts';
import type { ManifestSet, MountView, RedisDeployment } from '../../../src/manifests/model.ts';
import { parseManifestFile } from '../../../src/manifests/load.ts';

// The manifests the Kubernetes platform tests deploy against the API fixture (kube-platform, rbac-doc).

/** A ConfigMap and a 3-pod StatefulSet with a claim template; namespaced objects only. */
export const MANIFESTS = `apiVersion: v1
kind: ConfigMap
metadata: { name: redis-conf }
data: { redis.conf: "cluster-enabled yes" }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: redis-app }
spec:
  replicas: 3
  serviceName: redis-service
  selector: { matchLabels: { app: redis } }
  template:
    metadata: { labels: { app: redis } }
    spec:
      terminationGracePeriodSeconds: 10
      containers: [{ name: redis, image: "redis:7.2.5", ports: [{ containerPort: 6379 }] }]
  volumeClaimTemplates:
    - metadata: { name: redis-data }
      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
`;
export const dataMount: MountView = {
  name: 'redis-data',
  mountPath: '/var/lib/redis',
  readOnly: false,
  source: { type: 'pvc', claimTemplate: 'redis-data' },
};
/** The manifests as the one file redis.yaml. */
const manifestSet = (text: string): ManifestSet => ({
  dir: '.',
  files: ['redis.yaml'],
  objects: parseManifestFile('redis.yaml', text),
});
export const set = (): ManifestSet => manifestSet(MANIFESTS);
export const redis = {
  name: 'redis-app',
  namespace: 'default',
  replicas: 3,
  podLabels: { app: 'redis' },
  claimTemplates: [{ name: 'redis-data', accessModes: [] }],
  mountFor: (p: string) => (p.startsWith('/var/lib/redis/') ? dataMount : undefined),
} as unknown as RedisDeployment;
/** An NFS PersistentVolume of the StorageClass redis-sc, exporting /exports/<id>. */
const nfsVolume = (id: string, reclaim: 'Retain' | 'Delete') => `apiVersion: v1
kind: PersistentVolume
metadata: { name: redis-pv-${id} }
spec:
  capacity: { storage: 1Gi }
  accessModes: [ReadWriteOnce]
  storageClassName: redis-sc
  persistentVolumeReclaimPolicy: ${reclaim}
  nfs: { server: nfs.example, path: /exports/${id} }
`;
/** The StatefulSet with a StorageClass (the manifests' default class) and two NFS volumes, Retain and Delete. */
export const SHARED = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: redis-sc, annotations: { storageclass.kubernetes.io/is-default-class: "true" } }
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
${nfsVolume('a', 'Retain')}---
${nfsVolume('b', 'Delete')}---
${MANIFESTS.replace('replicas: 3', 'replicas: 2')}`;
export const sharedSet = (): ManifestSet => manifestSet(SHARED);
export const redis2 = { ...redis, replicas: 2 };

/** A check on an existing cluster through `kubeconfig` (the fixture's), with a short rollout timeout. */
export const existingConfig = (kubeconfig: string, extra: Partial<Config> = {}): Config => ({
  ...DEFAULTS,
  command: 'check',
  manifests: '.',
  platform: 'existing',
  kubeconfig,
  rolloutTimeoutMs: 5000,
  ...extra,
});
