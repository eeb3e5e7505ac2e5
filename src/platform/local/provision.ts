import fs from 'node:fs';
import { noUndoJournal } from '../undo.ts';
import { guardChildren } from './exit-guard.ts';
import { PodConfinement } from './pod-confinement.ts';
import { killStaleProcesses } from './process.ts';
import { findExecutable } from './redis-binary.ts';
import { findBwrap } from './sandbox.ts';
import { livePids, type LocalState } from './state.ts';

/**
 * Readies the host for the run's pods, once: the processes journalled (before any starts), an earlier run's
 * leftovers killed, the exit guard, the mode (sandbox where bwrap works, unless told) and the sandboxes'
 * loopback firewall.
 */
export async function provision(s: LocalState): Promise<void> {
  const { ctx, workDir } = s;
  if (s.provisioned) return;
  s.createdWorkDir ||= !fs.existsSync(workDir);
  fs.mkdirSync(workDir, { recursive: true });
  // Before any process starts: a run killed outright leaves its pid registry for the cleanup (undo/executors.ts).
  s.undoId ??= await (ctx.undo ?? noUndoJournal).record({ kind: 'local-processes', workDir });
  const stale = killStaleProcesses(s.registryDir);
  if (stale.length)
    ctx.log.warn(`local platform: killed redis-server left by an earlier run (pids ${stale.join(', ')})`);
  s.setpriv = findExecutable('setpriv');
  if (!s.setpriv)
    ctx.log.info('local platform: setpriv not found; children of a hard-killed run are cleaned by the next run');
  // With a run signal the caller owns SIGINT/SIGTERM and tears down in order; the exit guard stays.
  s.unguard ??= guardChildren(() => livePids(s), !ctx.signal);
  const wanted = s.opts.mode ?? 'auto';
  const sandboxTool = wanted === 'direct' ? undefined : await findBwrap();
  if (sandboxTool && 'path' in sandboxTool) {
    s.bwrap = sandboxTool.path;
    s.mode = 'sandbox';
  } else if (wanted === 'sandbox') {
    throw new Error(
      `local platform: local-mode sandbox, but ${sandboxTool && 'missing' in sandboxTool ? sandboxTool.missing : 'no sandbox tool'}`,
    );
  } else {
    s.mode = 'direct';
    if (sandboxTool && 'missing' in sandboxTool) ctx.log.info(`local platform: direct mode (${sandboxTool.missing})`);
  }
  ctx.log.info(`local platform: pods run in ${s.mode} mode`);
  if (s.mode === 'sandbox') {
    s.confinement ??= await PodConfinement.open(ctx.undo, ctx.log);
    if (s.confinement.skipped) ctx.log.warn(`local platform: ${s.confinement.skipped}`);
  }
  s.provisioned = true;
}
