import { randomUUID } from 'node:crypto';
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import type { UndoJournal, UndoStep } from '../platform/undo.ts';

/** One recorded change: how to undo it, and whether that is still to be done. */
export interface JournalEntry {
  id: string;
  step: UndoStep;
  settled: boolean;
}

/** One change to a journal: an entry recorded, or one settled. */
export type JournalChange = { record: JournalEntry } | { settle: string };

/** Where a journal is kept: action state (main step → post step) or a file in the CLI's work dir. */
export interface JournalStore {
  load(): Promise<JournalEntry[]>;
  /**
   * Saves `change` durably before resolving: the change it announces comes right after. `entries` gives the
   * whole journal as it is now, for a store that can only keep a whole value (action state).
   */
  save(change: JournalChange, entries: () => JournalEntry[]): Promise<void>;
}

/**
 * The undo journal of a run (platform/undo.ts): every record and settle is saved in its store before it
 * resolves, one at a time and in order, so a kill at any moment leaves a journal that names every change made
 * (and possibly one about to be made, whose undo is idempotent).
 */
export class RecordingJournal implements UndoJournal {
  private saving: Promise<void> = Promise.resolve();
  private readonly byId: Map<string, JournalEntry>;

  private constructor(
    private readonly store: JournalStore,
    private readonly entries: JournalEntry[],
  ) {
    this.byId = new Map(entries.map((e) => [e.id, e]));
  }

  /** A journal continuing what `store` already holds (a run resumes nothing, but cleanup settles entries). */
  static async open(store: JournalStore): Promise<RecordingJournal> {
    return new RecordingJournal(store, await store.load());
  }

  /** The entries not settled yet, oldest first. */
  unsettled(): JournalEntry[] {
    return this.entries.filter((e) => !e.settled).map((e) => structuredClone(e));
  }

  async record(step: UndoStep): Promise<string> {
    const entry = { id: randomUUID(), step: structuredClone(step), settled: false };
    this.entries.push(entry);
    this.byId.set(entry.id, entry);
    await this.persist({ record: structuredClone(entry) });
    return entry.id;
  }

  async settle(id: string): Promise<void> {
    const entry = this.byId.get(id);
    if (!entry || entry.settled) return;
    entry.settled = true;
    await this.persist({ settle: id });
  }

  private persist(change: JournalChange): Promise<void> {
    // One save at a time and in order: a slower earlier save must not overwrite a later one.
    this.saving = this.saving.catch(() => {}).then(() => this.store.save(change, () => structuredClone(this.entries)));
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

/**
 * The CLI's store: `file` in the run's work dir, one JSON line per change appended (and flushed) on every save,
 * so a settle costs one line however long the journal (20,000 entries rewritten whole on each settle took
 * seconds). Loading replays the lines; a journal of an earlier version (one JSON array) is read too.
 */
export function fileStore(file: string): JournalStore {
  return {
    async load() {
      const text = await readFile(file, 'utf8').catch(() => '');
      const entries = replayJournal(text);
      // An earlier version's journal (one JSON array) becomes lines once, so that settles can be appended to it.
      if (isArrayJournal(text)) {
        const tmp = `${file}.${process.pid}.tmp`;
        await writeFile(tmp, entries.map((record) => `${JSON.stringify({ record })}\n`).join(''), { mode: 0o600 });
        await rename(tmp, file);
      }
      return entries;
    },
    async save(change) {
      await appendFile(file, `${JSON.stringify(change)}\n`, { mode: 0o600, flush: true });
    },
  };
}

const isArrayJournal = (text: string): boolean => text.trimStart().startsWith('[');

/** The entries of a file journal: its lines replayed in order (an unreadable line, a cut last one, is skipped). */
export function replayJournal(text: string): JournalEntry[] {
  if (isArrayJournal(text)) return parseJournal(text);
  const entries = new Map<string, JournalEntry>();
  for (const line of text.split('\n')) {
    let change: unknown;
    try {
      change = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof change !== 'object' || change === null) continue;
    const c = change as { record?: unknown; settle?: unknown };
    if (isJournalEntry(c.record) && !entries.has(c.record.id)) entries.set(c.record.id, c.record);
    else if (typeof c.settle === 'string') {
      const e = entries.get(c.settle);
      if (e) e.settled = true;
    }
  }
  return [...entries.values()];
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
    async save(_change, entries) {
      // core.saveState appends to the GITHUB_STATE file synchronously; the runner keeps the last value per name.
      state.save(name, JSON.stringify(entries()));
    },
  };
}
