/** Bad input from the user (flag, action input, manifest). Exit code 2; the message names what and where. */
export class InputError extends Error {
  override name = 'InputError';
}

/** A deleted pod was recreated, but its container never came to serve (it exited, or keeps crashing): the
 * message names the exit and the container's last log lines. */
export class PodNotServingError extends Error {
  override name = 'PodNotServingError';
}

/** A bounded wait ran out. The message says what was awaited and what was seen last. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastSeen: string,
    /** The last error seen, when the wait saw one. */
    options?: ErrorOptions,
  ) {
    super(
      `timed out after ${(timeoutMs / 1000).toFixed(1)} s waiting for ${what}; last seen: ${lastSeen || 'nothing'}`,
      options,
    );
  }
}

/** The message of anything thrown, without a stack trace (users see messages, not stacks). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Debug mode's view of an error: its stack (or message), then each cause in turn (an AggregateError's errors
 * included), indented, so a rephrased error still shows where it started. Cycles and depth are bounded.
 */
export function errorChain(err: unknown): string {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number, label: string): void => {
    const pad = '  '.repeat(depth);
    if (seen.has(e) || depth > 10) {
      lines.push(`${pad}${label}(already shown or too deep)`);
      return;
    }
    seen.add(e);
    const text = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
    lines.push(...text.split('\n').map((l, i) => `${pad}${i === 0 ? label : ''}${l}`));
    if (e instanceof AggregateError) for (const inner of e.errors as unknown[]) visit(inner, depth + 1, '- ');
    if (e instanceof Error && e.cause !== undefined) visit(e.cause, depth + 1, 'caused by: ');
  };
  visit(err, 0, '');
  return lines.join('\n');
}

/** The run was cancelled (SIGINT/SIGTERM, a cancelled or timed-out job). Raised by waits that see the abort. */
export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(readonly what: string) {
    super(`cancelled while waiting for ${what}`);
  }
}

/** The request a Kubernetes API error answered, as RBAC names it: verb, resource, object, namespace. */
export interface KubeRequest {
  verb: string;
  resource: string;
  /** The API group, where the request knows it (the object's apiVersion). */
  group?: string;
  name?: string;
  namespace?: string;
}

/**
 * An error answered by the Kubernetes API server (or no answer at all: `code` undefined), with the server's
 * own message and causes; `cause` keeps the client's exception. Which errors are worth asking again is decided
 * here once, so a wait never polls a refusal until it times out.
 */
export class KubeApiError extends Error {
  override name = 'KubeApiError';
  constructor(
    message: string,
    readonly code: number | undefined,
    /** The Status reason (NotFound, Forbidden, BadRequest, ...), when the server sent one. */
    readonly reason: string | undefined,
    /** The server's message alone (Status.message). */
    readonly serverMessage: string,
    /** Status.details.causes as `field: message`. */
    readonly causes: string[],
    readonly request: KubeRequest | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** The same error in other words (what the caller was doing, where), this one kept as the cause. */
  rephrased(message: string): KubeApiError {
    return new KubeApiError(message, this.code, this.reason, this.serverMessage, this.causes, this.request, {
      cause: this,
    });
  }

  /**
   * Whether asking again may succeed: no answer, conflicts, throttling and server errors may pass; a refused
   * identity (401), a refused right (403), a request the server calls wrong (400, 405, 415, 422) or a resource
   * it does not serve never will. A 404 for an object is retryable (it may appear), for a path it is not.
   */
  get retryable(): boolean {
    if (this.code === undefined) return true;
    if ([400, 401, 403, 405, 415, 422].includes(this.code)) return false;
    if (this.code === 404) return !isUnservedPath(this);
    return true;
  }
}

/** The API server's 404 for a path it does not serve (a group/version or resource this cluster lacks). */
export const isUnservedPath = (err: KubeApiError): boolean =>
  err.code === 404 && err.serverMessage === 'the server could not find the requested resource';

/** The platform cannot do what a scenario asks (freeze a process on a cluster without node access): the
 * scenario is skipped with this reason, not failed. */
export class UnsupportedError extends Error {
  override name = 'UnsupportedError';
}

/** Where in the manifests an error points: a file and its 1-based line and column. */
export interface ManifestPlace {
  file: string;
  line: number;
  column: number;
}
const places = new WeakMap<Error, ManifestPlace>();

/** `err`, marked as pointing at `at` (the report shows the place; the action annotates that line). */
export function placed<E extends Error>(err: E, at: ManifestPlace): E {
  places.set(err, at);
  return err;
}

/** The manifest place an error (or one of its causes) points at, if any. */
export function placeOf(err: unknown): ManifestPlace | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    const at = places.get(e);
    if (at) return at;
  }
  return undefined;
}
