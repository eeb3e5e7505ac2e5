import path from 'node:path';
import { readContainedTail } from '../../util/contained-path.ts';
import { toHostPath } from './pod-fs.ts';
import { requireDeployed, type LocalState } from './state.ts';

/** nodes.conf and other volume files the tool reads back: far above a real nodes.conf (~200 bytes a node). */
const MAX_PERSISTENT_FILE_BYTES = 4 * 1024 * 1024;

/** A file of a pod's persistent volume, as the pod sees it at `containerPath`; undefined when not persistent or
 * not readable whole. */
export async function readPersistentFile(
  s: LocalState,
  podName: string,
  containerPath: string,
): Promise<string | undefined> {
  const r = requireDeployed(s);
  const pod = s.pods.named(podName);
  const p = path.posix.resolve(r.dataDir, containerPath);
  if (!r.isPersistent(p)) return undefined;
  try {
    const file = readContainedTail(
      s.workDir,
      toHostPath(p, r, pod.layout),
      MAX_PERSISTENT_FILE_BYTES,
      `${p} of pod ${podName}`,
    );
    return file.skipped ? undefined : file.text; // a cut nodes.conf would be misread: unreadable instead
  } catch {
    return undefined;
  }
}

/** Host path of a pod's in-container path (its current incarnation's filesystem). */
export function hostPath(s: LocalState, podName: string, containerPath: string): string {
  const r = requireDeployed(s);
  return toHostPath(containerPath, r, s.pods.named(podName).layout, r.container.workingDir);
}
