/** Bad input from the user (flag, action input, manifest). Exit code 2; the message names what and where. */
export class InputError extends Error {
  override name = 'InputError';
}

/** A bounded wait ran out. The message says what was awaited and what was seen last. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastSeen: string,
  ) {
    super(`timed out after ${(timeoutMs / 1000).toFixed(1)} s waiting for ${what}; last seen: ${lastSeen || 'nothing'}`);
  }
}

/** The message of anything thrown, without a stack trace (users see messages, not stacks). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The run was cancelled (SIGINT/SIGTERM, a cancelled or timed-out job). Raised by waits that see the abort. */
export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(readonly what: string) {
    super(`cancelled while waiting for ${what}`);
  }
}
