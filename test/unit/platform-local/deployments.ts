/** Deployments for the local platform's unit tests, built by the real deployment view from inline manifests. */
import { redisDeployment } from '../../../src/manifests/deployment.ts';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import type { RedisDeployment } from '../../../src/manifests/model.ts';

/**
 * A StatefulSet that exercises every kind of mount: a ConfigMap both as a directory and as one subPath file, a
 * PVC as a directory and through a subPath, an emptyDir nested inside the PVC mount, a hostPath volume.
 */
export const MANY_MOUNTS = `
apiVersion: v1
kind: ConfigMap
metadata: { name: cache-conf }
data:
  redis.conf: |
    port 7000
    bind 0.0.0.0
    dir /data
    daemonize yes
    cluster-enabled yes
    save ""
    appendonly yes
    rename-command FLUSHALL ""
  extra.conf: |
    maxmemory 100mb
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: cache, namespace: shop }
spec:
  serviceName: cache
  replicas: 3
  selector: { matchLabels: { app: cache } }
  template:
    metadata: { labels: { app: cache, tier: db } }
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: redis
          image: redis:7.2.5
          command: [redis-server]
          args:
            - /etc/redis.conf
            - --cluster-announce-ip
            - $(POD_IP)
            - --logfile
            - /var/log/redis/redis.log
            - --pidfile
            - run/redis.pid
            - --unixsocket
            - /tmp/redis.sock
            - --cluster-config-file
            - $(CONF_DIR)/nodes.conf
          env:
            - name: POD_IP
              valueFrom: { fieldRef: { fieldPath: status.podIP } }
            - name: CONF_DIR
              value: /data
          volumeMounts:
            - { name: conf, mountPath: /conf }
            - { name: conf, mountPath: /etc/redis.conf, subPath: redis.conf }
            - { name: data, mountPath: /data }
            - { name: data, mountPath: /var/log/redis, subPath: logs }
            - { name: scratch, mountPath: /data/tmp }
            - { name: host, mountPath: /host }
      volumes:
        - { name: conf, configMap: { name: cache-conf } }
        - { name: scratch, emptyDir: {} }
        - { name: host, hostPath: { path: /srv } }
  volumeClaimTemplates:
    - metadata: { name: data }
      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
`;

export function deploymentFrom(yaml: string): RedisDeployment {
  return redisDeployment({ dir: 'inline', files: ['inline.yaml'], objects: parseManifestFile('inline.yaml', yaml) });
}
