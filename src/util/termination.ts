import { constants } from 'node:os';

export type TerminationSignal = 'SIGINT' | 'SIGTERM';

/** What SIGINT/SIGTERM do to a run: abort one signal that every wait and platform call of the run honours. */
export interface Termination {
  /** Aborted at the first SIGINT/SIGTERM; its reason is the signal's name. */
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  received(): TerminationSignal | undefined;
  /** Removes the handlers, so the process can end by itself once nothing is left open. */
  dispose(): void;
}

/**
 * Takes over SIGINT and SIGTERM for the run. The first one aborts `signal` and says so on `say`; later ones
 * only say that cleanup is under way: the run's `finally` (hold release, teardown, report) must not be cut
 * short by a second Ctrl-C or by GitHub's SIGTERM 7.5 s after its SIGINT (docs/design.md, cancel protocol).
 */
export function trapTermination(say: (line: string) => void): Termination {
  const controller = new AbortController();
  let first: TerminationSignal | undefined;
  const onSignal = (sig: TerminationSignal): void => {
    if (first) {
      say(`${sig} received: still cleaning up after ${first} (releasing the hold, stopping the pods), please wait`);
      return;
    }
    first = sig;
    say(`${sig} received: cancelling the run; cleaning up (the hold is released first) and writing the report`);
    controller.abort(sig);
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    received: () => first,
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

/** The shell's exit code for a process ended by `sig`: 128 + its number (130 SIGINT, 143 SIGTERM). */
export function signalExitCode(sig: TerminationSignal): number {
  return 128 + constants.signals[sig];
}

/** The signal name an aborted run signal carries (see trapTermination), or a generic word. */
export function cancelCause(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return typeof reason === 'string' ? reason : 'a cancel';
}
