import fs from 'node:fs/promises';
import path from 'node:path';
import type { MountView, RedisDeployment } from '../../manifests/model.ts';
import { containedPath } from '../../util/contained-path.ts';

/**
 * A local pod's filesystem. Ephemeral (wiped on every restart, like a new container): `rootfs` (the container's
 * own filesystem) and `volumes/<name>` (configMap and emptyDir volumes) under `pods/<pod>/`. Persistent (kept
 * across restarts, like a PV): `pv/<claimTemplate>-<statefulset>-<ordinal>/`, the PVC name Kubernetes uses.
 */
export interface PodLayout {
  /** The run's directory: nothing of the pod's lies outside it (containedPath checks every path built here). */
  root: string;
  podDir: string;
  rootfs: string;
  volumeDir(mount: MountView): string;
}

/** Directories the image has (the official redis image's WORKDIR is /data), so paths under them can be used. */
const IMAGE_DIRS = ['/data', '/tmp', '/etc', '/run', '/var/run', '/var/log', '/var/lib'];

export function podLayout(workDir: string, redis: RedisDeployment, pod: string, ordinal: number): PodLayout {
  const podDir = path.join(workDir, 'pods', pod);
  return {
    root: workDir,
    podDir,
    rootfs: path.join(podDir, 'rootfs'),
    volumeDir: (m) =>
      m.source.type === 'pvc'
        ? path.join(workDir, 'pv', `${m.source.claimTemplate}-${redis.name}-${ordinal}`)
        : path.join(podDir, 'volumes', m.name),
  };
}

/**
 * Host path of an in-container path: below the mount that holds it (its volume directory, plus subPath), else
 * below the ephemeral root. Relative paths are relative to `cwd` (a container path), as in the process.
 */
export function toHostPath(containerPath: string, redis: RedisDeployment, layout: PodLayout, cwd = '/'): string {
  const p = path.posix.resolve(cwd, containerPath);
  const mount = redis.mountFor(p);
  if (!mount) return path.join(layout.rootfs, p);
  const base = path.join(layout.volumeDir(mount), mount.subPath ?? '');
  return path.join(base, path.posix.relative(path.posix.normalize(mount.mountPath), p));
}

/**
 * Builds a fresh filesystem: for a new pod everything ephemeral is wiped; for a restarted container (same pod)
 * only its own root, as on Kubernetes where emptyDir volumes live as long as the pod. Then creates the image's
 * directories, writes configMap files, creates emptyDir and PV directories (PVs keep their contents).
 */
export async function preparePodFs(
  layout: PodLayout,
  redis: RedisDeployment,
  warn: (message: string) => void,
  fresh: 'pod' | 'container' = 'pod',
): Promise<void> {
  const inside = (p: string, what: string) => containedPath(layout.root, p, { what });
  // Retried: after a mass delete the old incarnation's last writes can still land while the tree is removed
  // (seen as ENOTEMPTY recreating every pod at once).
  await fs.rm(containedPath(layout.root, fresh === 'pod' ? layout.podDir : layout.rootfs, { leaf: 'nofollow' }), {
    recursive: true,
    force: true,
    maxRetries: 5,
    retryDelay: 100,
  });
  for (const d of IMAGE_DIRS)
    await fs.mkdir(inside(path.join(layout.rootfs, d), 'image directory'), { recursive: true });
  const seen = new Set<string>();
  // The init containers' volumes too: a template only they mount, an emptyDir they share with the container.
  for (const m of [...redis.mounts, ...redis.initContainers.flatMap((c) => c.mounts)]) {
    const dir = layout.volumeDir(m);
    // Kubernetes creates a missing subPath directory on PVC and emptyDir volumes.
    const base = path.join(dir, m.subPath ?? '');
    const projected = m.source.type === 'configMap' || m.source.type === 'secret';
    await fs.mkdir(inside(projected ? dir : base, `volume ${m.name}`), { recursive: true });
    if (m.source.type === 'configMap' || m.source.type === 'secret') {
      // Files are named relative to the mount; '' is the mount itself (a subPath mount of one file). Their modes
      // are the volume's (defaultMode 0755 makes a ConfigMap script executable).
      const object = m.source.type === 'configMap' ? `ConfigMap ${m.source.configMap}` : `Secret ${m.source.secret}`;
      for (const [file, content] of Object.entries(m.source.files)) {
        const target = file === '' ? base : path.join(base, file);
        const what = `file ${file || m.subPath || ''} of ${object}`;
        const mode = m.source.modes[file] ?? 0o644;
        await fs.mkdir(inside(path.dirname(target), what), { recursive: true });
        await fs.writeFile(inside(target, what), content, { mode });
        await fs.chmod(inside(target, what), mode);
      }
    } else if (m.source.type === 'emptyDir') {
      // The kubelet makes an emptyDir 0777 (pkg/volume/emptydir/empty_dir.go, perm): a runAsUser container writes it.
      await fs.chmod(inside(dir, `volume ${m.name}`), 0o777);
    } else if (m.source.type === 'other' && !seen.has(m.name)) {
      warn(`volume ${m.name} (${m.source.description}) is not emulated locally: it is an empty directory`);
    }
    seen.add(m.name);
  }
}
