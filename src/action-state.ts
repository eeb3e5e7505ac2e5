import * as core from '@actions/core';
import { actionStateStore, type JournalStore } from './undo/journal.ts';

/**
 * What the action's main step hands to its post step, through action state (core.saveState appends to the
 * GITHUB_STATE file at once, so a main step killed right after still handed it over). Only the action's entry
 * points touch it: the platforms get a JournalStore and never import @actions/core for state.
 */
export const WORK_DIR_STATE = 'work-dir';

export const actionJournalStore = (): JournalStore =>
  actionStateStore({ save: (name, value) => core.saveState(name, value), get: (name) => core.getState(name) });
