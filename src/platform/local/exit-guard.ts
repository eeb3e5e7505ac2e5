const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Kills the process groups led by `pids()` synchronously (SIGKILL) when this process exits or gets SIGINT/SIGTERM/SIGHUP, so an
 * interrupted or failing run leaves no redis-server behind. After a signal it re-raises the signal when no other
 * handler is left, keeping the default "terminate" behaviour. With `onSignals: false` only the exit is guarded:
 * the caller owns SIGINT/SIGTERM (a cancelled run tears down in order, see util/termination.ts). Returns the
 * function that unregisters it.
 */
export function guardChildren(pids: () => number[], onSignals = true): () => void {
  const killAll = (): void => {
    for (const pid of pids()) {
      try {
        process.kill(-pid, 'SIGKILL'); // the child's whole process group (see startProcess)
      } catch {
        // Already gone.
      }
    }
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    killAll();
    unregister();
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  const signals = onSignals ? SIGNALS : [];
  const unregister = (): void => {
    process.off('exit', killAll);
    for (const s of signals) process.off(s, onSignal);
  };
  process.on('exit', killAll);
  for (const s of signals) process.on(s, onSignal);
  return unregister;
}
