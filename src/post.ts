import * as core from '@actions/core';
import { actionJournalStore, WORK_DIR_STATE } from './action-state.ts';
import { messageOf } from './errors.ts';
import { defaultExecutors, undoUnsettled } from './undo/executors.ts';
import { RecordingJournal } from './undo/journal.ts';
import { finishRunDir, isKept } from './undo/work-dir.ts';
import type { Log } from './util/log.ts';

const log: Log = { info: (m) => core.info(m), warn: (m) => core.warning(m), progress: (m) => core.info(m) };

/**
 * The action's post step (post-if: always()): undoes, newest first, every change the main step recorded and
 * did not undo itself (a cancel, a timeout, a kill, or a kind cluster deferred to this step): pod routes, the
 * kind cluster, namespaces and cluster-scoped objects, the restart hold, node cordons, local processes. Then
 * the run dir goes, unless keep-cluster kept it. Safe to run twice: every undo is idempotent.
 */
async function post(): Promise<void> {
  try {
    const journal = await RecordingJournal.open(actionJournalStore());
    if (journal.unsettled().length === 0) log.info('Nothing left to undo');
    const failed = await undoUnsettled(journal, defaultExecutors, log);
    const dir = core.getState(WORK_DIR_STATE);
    if (dir && !(await isKept(dir))) await finishRunDir({ dir, journal }, log);
    if (failed.length) core.setFailed(`the post step could not undo ${failed.length} change(s): ${failed.join('; ')}`);
  } catch (err) {
    core.setFailed(`post step: ${messageOf(err)}`);
  }
}

await post();
