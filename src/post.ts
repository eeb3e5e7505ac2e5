import * as core from '@actions/core';
import { messageOf } from './errors.ts';
import { cleanUpKind, loadKindState } from './platform/kind.ts';

/** The action's post step (post-if: always()): delete the kind cluster the main step created. */
async function post(): Promise<void> {
  const state = loadKindState();
  if (!state) {
    core.info('No kind cluster was created; nothing to clean up');
    return;
  }
  try {
    await cleanUpKind(state, { info: core.info, warn: core.warning, progress: core.info });
  } catch (err) {
    core.setFailed(`could not delete kind cluster ${state.cluster}: ${messageOf(err)}`);
  }
}

await post();
