import path from 'node:path/posix';
import type { RedisDeployment } from '../../manifests/model.ts';
import { effectiveArgv } from '../../manifests/container.ts';

/** A CLUSTER MEET in a script: the sign of a peer re-discovery (docs/design.md, whole-cluster restart). */
const CLUSTER_MEET = /cluster\s+meet\b/i;

/**
 * What direct mode leaves out that a whole-cluster restart depends on: the wrapper script is not run, so a peer
 * re-discovery it starts (a CLUSTER MEET loop) does not run either. Said plainly in the report rather than
 * letting cluster-restart blame the manifests. Undefined when the container runs nothing of the kind.
 */
export function directModeRediscoveryGap(r: RedisDeployment): string | undefined {
  const wrapper = r.launch.wrapper;
  if (!wrapper) return undefined;
  const argv = effectiveArgv(r.container.command, r.container.args, r.server.program);
  const texts = [...argv, ...argv.flatMap((word) => scriptText(r, word) ?? [])];
  if (!texts.some((t) => CLUSTER_MEET.test(t))) return undefined;
  return (
    `local-mode direct: ${wrapper.description} (${wrapper.at.file}:${wrapper.at.line}) was not run, and with it the peer re-discovery ` +
    '(CLUSTER MEET) it starts: after a whole-cluster restart (cluster-restart) nothing re-introduces the nodes here, so that scenario ' +
    "tests Redis without the manifests' re-discovery. Install bubblewrap (local-mode sandbox) or use platform kind to run it"
  );
}

/** A ConfigMap/Secret file's text at a container path the word names, when the manifests hold it. */
function scriptText(r: RedisDeployment, word: string): string | undefined {
  if (!word.startsWith('/')) return undefined;
  const p = path.resolve(r.container.workingDir, word);
  const mount = r.mountFor(p);
  if (!mount || (mount.source.type !== 'configMap' && mount.source.type !== 'secret')) return undefined;
  return mount.source.files[path.relative(mount.mountPath, p)];
}
