import { redact, registerSecret } from './secrets.ts';

/** Where progress goes: stderr for the CLI, the job log for the action. */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  /** A line during a long wait; the CLI and the action both show it. */
  progress(message: string): void;
  /** A long phase begins (bootstrap, a scenario, teardown): the action folds its lines into a group. */
  section?(title: string): void;
  /** Debug mode only (the CLI's --debug, the action's RUNNER_DEBUG=1): errors' cause chains and stacks. */
  debug?(message: string): void;
  /** A value that must never be printed (a token from a kubeconfig): the action masks it in its log. */
  secret?: (value: string) => void;
}

/** Registered secrets never reach stderr. */
export const stderrLog: Log = {
  info: (m) => process.stderr.write(`${redact(m)}\n`),
  warn: (m) => process.stderr.write(`warning: ${redact(m)}\n`),
  progress: (m) => process.stderr.write(`  … ${redact(m)}\n`),
  secret: registerSecret,
};

/** stderrLog that also prints debug lines (the CLI's --debug). */
export const stderrDebugLog: Log = {
  ...stderrLog,
  debug: (m) => process.stderr.write(`debug: ${redact(m).replace(/\n/g, '\ndebug: ')}\n`),
};

export const silentLog: Log = { info: () => {}, warn: () => {}, progress: () => {} };
