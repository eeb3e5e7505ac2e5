import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { MountView } from '../../manifests/model.ts';
import { containedPath, readContainedTail } from '../../util/contained-path.ts';

/** A file read back from a volume (nodes.conf) is far smaller; a larger one is taken as unreadable. */
const MAX_STAND_IN_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Where a file a pod sees at `containerPath` lies on the runner, when its volume is a hostPath PV under the
 * NFS stand-in: `nodeDir` (inside every node) is `hostDir` (on the runner). undefined when it is not there.
 */
export function runnerPathFor(opts: {
  hostDir: string;
  nodeDir: string;
  pvHostPath: string;
  mount: Pick<MountView, 'mountPath' | 'subPath'>;
  containerPath: string;
}): string | undefined {
  const inStandIn = path.posix.relative(opts.nodeDir, opts.pvHostPath);
  const inMount = path.posix.relative(opts.mount.mountPath, opts.containerPath);
  const outside = (rel: string) => rel.startsWith('..') || path.posix.isAbsolute(rel);
  if (outside(inStandIn) || outside(inMount)) return undefined;
  return path.join(opts.hostDir, inStandIn, opts.mount.subPath ?? '', inMount);
}

/**
 * Creates the runner directory of each stand-in PV before anything mounts it, open to every user (0777, as an
 * NFS export usually is). Left to the kubelet (hostPath DirectoryOrCreate), it would be root's with mode 0755,
 * and a Redis that runs as a non-root user (securityContext.runAsUser; fsGroup does not apply to hostPath)
 * could not write its nodes.conf there.
 */
export async function createStandInDirs(hostDir: string, persistentVolumes: string[]): Promise<void> {
  for (const name of persistentVolumes) {
    // Never mkdir or chmod anything outside the stand-in's own directory, whatever the PV is called.
    const dir = containedPath(hostDir, name, { what: `PersistentVolume ${name}'s stand-in directory` });
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o777); // mkdir's mode is cut by the umask
  }
}

/**
 * Reads a pod's file from its PersistentVolume on the runner's disk: the pod's claim (<template>-<pod>) → the
 * bound PV → its hostPath under the stand-in. undefined wherever that chain does not lead to a readable file.
 */
export async function readStandInFile(
  core: CoreV1Api,
  opts: {
    namespace: string;
    podName: string;
    mount: MountView;
    containerPath: string;
    hostDir: string;
    nodeDir: string;
  },
): Promise<string | undefined> {
  if (opts.mount.source.type !== 'pvc') return undefined;
  try {
    const claim = await core.readNamespacedPersistentVolumeClaim({
      name: `${opts.mount.source.claimTemplate}-${opts.podName}`,
      namespace: opts.namespace,
    });
    const volume = claim.spec?.volumeName;
    if (!volume) return undefined;
    const pvHostPath = (await core.readPersistentVolume({ name: volume })).spec?.hostPath?.path;
    if (!pvHostPath) return undefined;
    const file = runnerPathFor({ ...opts, pvHostPath });
    if (file === undefined) return undefined;
    // A pod can plant a link or a FIFO on its volume: read as a pod's files are read (no link, no wait).
    const read = readContainedTail(opts.hostDir, file, MAX_STAND_IN_FILE_BYTES);
    return read.skipped ? undefined : read.text;
  } catch {
    return undefined; // not bound yet, not ours, not readable: the caller reports "could not read"
  }
}
