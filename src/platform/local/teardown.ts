import fs from 'node:fs';
import path from 'node:path';
import { messageOf } from '../../errors.ts';
import { noUndoJournal } from '../undo.ts';
import { stopProcess } from './process.ts';
import { livePids, type LocalState } from './state.ts';

/** Teardown is not a test of graceful shutdown: SIGTERM, and SIGKILL after this. */
const TEARDOWN_GRACE_MS = 3000;

/**
 * Ends the run on the host: any partition lifted (`healPartitions`), every pod, Job and process stopped, and,
 * once none is left running, the journal entry settled, the addresses and firewall released; the dirs it made
 * are removed. The platform can deploy again afterwards.
 */
export async function teardown(s: LocalState, healPartitions: () => Promise<void>): Promise<void> {
  const { ctx, workDir } = s;
  // A partition still in place is lifted first: its rules name this run's addresses, soon given to others.
  await healPartitions().catch((err: unknown) =>
    ctx.log.warn(`local platform: lifting a partition: ${messageOf(err)}`),
  );
  try {
    for (const pod of s.pods.all()) pod.lifecycle.fire({ type: 'teardown' });
    await s.jobs?.stop();
    s.jobs = undefined;
    s.notRun = [];
    const stopAll = (): Promise<unknown> =>
      Promise.allSettled([...s.running].map((p) => stopProcess(p, 'graceful', TEARDOWN_GRACE_MS)));
    await stopAll();
    // A start that was under way may have spawned after the first sweep (startPod then kills it itself).
    await Promise.allSettled(s.pods.all().flatMap((p) => (p.starting ? [p.starting] : [])));
    await stopAll();
    const left = livePids(s);
    if (left.length) ctx.log.warn(`local platform: processes still running after teardown: ${left.join(', ')}`);
    else {
      s.unguard?.();
      s.unguard = undefined;
      if (s.undoId !== undefined) await (ctx.undo ?? noUndoJournal).settle(s.undoId);
      s.undoId = undefined;
      s.allocator?.release(); // the addresses are free for other runs once nothing of ours listens on them
      await s.confinement?.close();
      s.confinement = undefined;
    }
    for (const d of ['pods', 'pv', 'logs', 'pids'])
      fs.rmSync(s.inside(path.join(workDir, d), undefined, 'nofollow'), { recursive: true, force: true });
    if (s.createdWorkDir) fs.rmSync(workDir, { recursive: true, force: true });
  } catch (err) {
    ctx.log.warn(`local platform: teardown: ${messageOf(err)}`);
  }
  s.pods.clear();
  s.redis = undefined;
  s.applied = undefined;
  s.service = undefined;
  s.binary = undefined;
  s.provisioned = false;
}
