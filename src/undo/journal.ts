import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { UndoJournal, UndoStep } from '../platform/undo.ts';

/** One recorded change: how to undo it, and whether that is still to be done. */
export interface JournalEntry {
  id: string;
  step: UndoStep;
  settled: boolean;
}

/** Where a journal is kept: action state (main step → post step) or a file in the CLI's work dir. */
export interface JournalStore {
  load(): Promise<JournalEntry[]>;
  /** Saves the whole journal durably before resolving: the change it announces comes right after. */
  save(entries: JournalEntry[]): Promise<void>;
}

/**
 * The undo journal of a run (platform/undo.ts): every record and settle rewrites the whole journal in its
 * store before it resolves, one at a time, so a kill at any moment leaves a journal that names every change
 * made (and possibly one about to be made, whose undo is idempotent).
 */
export class RecordingJournal implements UndoJournal {
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: JournalStore,
    private readonly entries: JournalEntry[],
  ) {}

  /** A journal continuing what `store` already holds (a run resumes nothing, but cleanup settles entries). */
  static async open(store: JournalStore): Promise<RecordingJournal> {
    return new RecordingJournal(store, await store.load());
  }

  /** The entries not settled yet, oldest first. */
  unsettled(): JournalEntry[] {
    return this.entries.filter((e) => !e.settled).map((e) => structuredClone(e));
  }

  async record(step: UndoStep): Promise<string> {
    const id = randomUUID();
    this.entries.push({ id, step: structuredClone(step), settled: false });
    await this.persist();
    return id;
  }

  async settle(id: string): Promise<void> {
    const entry = this.entries.find((e) => e.id === id);
    if (!entry || entry.settled) return;
    entry.settled = true;
    await this.persist();
  }

  private persist(): Promise<void> {
    const snapshot = structuredClone(this.entries);
    // One save at a time and in order: a slower earlier save must not overwrite a later one.
    this.saving = this.saving.catch(() => {}).then(() => this.store.save(snapshot));
    return this.saving;
  }
}

function isJournalEntry(e: unknown): e is JournalEntry {
  if (typeof e !== 'object' || e === null) return false;
  const r = e as { id?: unknown; settled?: unknown; step?: { kind?: unknown } | null };
  return typeof r.id === 'string' && typeof r.settled === 'boolean' && typeof r.step?.kind === 'string';
}

/** Reads a journal as saved by either store; anything else is an empty journal (nothing can be undone from it). */
export function parseJournal(text: string): JournalEntry[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return [];
    return (value as unknown[]).filter(isJournalEntry);
  } catch {
    return [];
  }
}

/** The CLI's store: `file` in the run's work dir, replaced atomically (write then rename) on every save. */
export function fileStore(file: string): JournalStore {
  return {
    async load() {
      return parseJournal(await readFile(file, 'utf8').catch(() => ''));
    },
    async save(entries) {
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(entries, null, 1), { mode: 0o600, flush: true });
      await rename(tmp, file);
    },
  };
}

/** The action's store, passed in by the action entry points (core.saveState / core.getState under one name). */
export function actionStateStore(
  state: { save(name: string, value: string): void; get(name: string): string },
  name = 'undo-journal',
): JournalStore {
  return {
    async load() {
      return parseJournal(state.get(name));
    },
    async save(entries) {
      // core.saveState appends to the GITHUB_STATE file synchronously; the runner keeps the last value per name.
      state.save(name, JSON.stringify(entries));
    },
  };
}
