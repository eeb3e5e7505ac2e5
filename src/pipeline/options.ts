import type { JournalStore } from '../undo/journal.ts';
import type { Log } from '../util/log.ts';

export interface PipelineOptions {
  log: Log;
  /** Local platform only: the /24 to take pod addresses from when --address-base is not given (tests pass their own). */
  addressBase?: string;
  /** Where run dirs live (undo/work-dir.ts; default: defaultRunsRoot()); the dirs of killed runs found there
   * are cleaned up first. */
  workDirs?: {
    root?: string;
    /** Where the undo journal is kept: default a file in the run dir (CLI); the action passes its state. */
    store?: JournalStore;
    /** Told the run dir once it exists (the action records it for its post step). */
    created?: (dir: string) => void;
  };
  /** What becomes of a kind cluster at the end, decided by the caller (PlatformContext.retain). */
  retain?: 'defer' | 'keep';
  /** The GitHub Action is the caller (platform auto then requires Docker, see resolvePlatformKind). */
  inAction?: boolean;
  /** Aborted on SIGINT/SIGTERM (see util/termination.ts): the run stops waiting, releases the hold, tears down,
   * and its report says `cancelled`. */
  signal?: AbortSignal;
  /** How the user names an option in this run (`--failover-timeout` in a CLI run, `input failover-timeout` in
   * the action), for messages; default: the bare name. */
  optionName?: (name: string) => string;
}
