import type { ApiServer, Obj } from './api-server.ts';

// Objects are free-form JSON here, as on the wire (as in api-server.ts).
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- free-form objects, as on the wire */

/**
 * The kubelet's volume mounts, for the API fixture (its default kubelet mounts everything). The kubelet
 * records a failed mount as a Warning event FailedMount on the pod, worded by the operation generator
 * (pkg/volume/util/operationexecutor/operation_generator.go: `MountVolume.SetUp failed for volume "<volume>" :
 * <error>`; for a volume from a claim, <volume> is the PersistentVolume's name) and leaves the containers
 * waiting in ContainerCreating; it retries the mount with back-off, and the event's count grows.
 */

/** The NFS source of each of the pod's volumes: direct `nfs:` volumes and claims bound to NFS volumes. */
function nfsVolumes(server: ApiServer, pod: Obj): Array<{ volume: string; server: string; path: string }> {
  const out: Array<{ volume: string; server: string; path: string }> = [];
  for (const v of (pod.spec?.volumes ?? []) as Obj[]) {
    const direct = v.nfs as { server: string; path: string } | undefined;
    if (direct) out.push({ volume: String(v.name), ...direct });
    const claim = (v.persistentVolumeClaim as { claimName?: string } | undefined)?.claimName;
    const pvc = claim ? server.get('PersistentVolumeClaim', pod.metadata.namespace, claim) : undefined;
    const pv = pvc?.spec?.volumeName
      ? server.get('PersistentVolume', undefined, String(pvc.spec.volumeName))
      : undefined;
    const nfs = pv?.spec?.nfs as { server: string; path: string } | undefined;
    if (pv && nfs) out.push({ volume: pv.metadata.name, ...nfs });
  }
  return out;
}

/** The containers waiting to be created, as the kubelet reports a pod whose volumes are not mounted yet. */
function containerCreating(pod: Obj): void {
  pod.status = {
    phase: 'Pending',
    conditions: [
      { type: 'PodScheduled', status: 'True' },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
    ],
    containerStatuses: ((pod.spec?.containers ?? []) as Obj[]).map((c) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      ready: false,
      started: false,
      restartCount: 0,
      state: { waiting: { reason: 'ContainerCreating' } },
    })),
  };
}

/**
 * NFS servers the nodes cannot mount from (no stand-in rewrote the volume; a server that does not resolve or
 * answer): a pod with an NFS volume never starts, and the kubelet says why. The error is the nfs plugin's
 * mount through mount-utils (`mount failed: exit status 32`, the command, its arguments and mount.nfs's output:
 * k8s.io/mount-utils mount_linux.go).
 */
export function unreachableNfs(server: ApiServer, output = 'mount.nfs: Connection timed out'): void {
  const start = server.startPod;
  server.startPod = (pod, node) => {
    const volumes = nfsVolumes(server, pod);
    if (volumes.length === 0) {
      start(pod, node);
      return;
    }
    containerCreating(pod);
    for (const v of volumes) {
      const dir = `/var/lib/kubelet/pods/${pod.metadata.uid}/volumes/kubernetes.io~nfs/${v.volume}`;
      server.event(
        pod,
        'Warning',
        'FailedMount',
        `MountVolume.SetUp failed for volume "${v.volume}" : mount failed: exit status 32\nMounting command: mount\nMounting arguments: -t nfs ${v.server}:${v.path} ${dir}\nOutput: ${output}\n`,
        'kubelet',
      );
    }
  };
}

/**
 * The kubelet's transient FailedMount: a ConfigMap volume mounted before its object cache has the ConfigMap
 * (`object "<ns>"/"<name>" not registered`, pkg/kubelet/util/manager/watch_based_manager.go), then mounted on
 * the next try: the pod starts `afterMs` later.
 */
export function configMapNotRegisteredAtFirst(server: ApiServer, afterMs: number): void {
  const start = server.startPod;
  server.startPod = (pod, node) => {
    const cm = ((pod.spec?.volumes ?? []) as Obj[]).find((v) => v.configMap);
    if (!cm) {
      start(pod, node);
      return;
    }
    containerCreating(pod);
    const name = (cm.configMap as { name: string }).name;
    server.event(
      pod,
      'Warning',
      'FailedMount',
      `MountVolume.SetUp failed for volume "${String(cm.name)}" : object "${pod.metadata.namespace}"/"${name}" not registered`,
      'kubelet',
    );
    setTimeout(() => {
      const now = server.get('Pod', pod.metadata.namespace, pod.metadata.name);
      if (now?.metadata.uid !== pod.metadata.uid) return;
      start(now, node);
      server.put(now);
    }, afterMs);
  };
}
