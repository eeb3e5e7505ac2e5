/**
 * The one place that knows which strings are secret (Redis passwords, Secret values from the manifests) and
 * removes them from anything the tool shows or writes: logs, terminal output, reports, evidence files. The action
 * also hands each to the runner (core.setSecret) through `onSecret`, so the job log masks it too.
 */
const secrets = new Set<string>();
const listeners: Array<(value: string) => void> = [];

/** Shown instead of a secret. */
export const REDACTED = '***';

/** Secrets shorter than this are not replaced in text: masking every "a" would make output unreadable and
 * would itself reveal the value. (The runner's masker works the same way on short values.) */
const MIN_LENGTH = 3;

export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < MIN_LENGTH || secrets.has(value)) return;
  secrets.add(value);
  for (const l of listeners) l(value);
}

/** Called for every secret registered, before and after this call. */
export function onSecret(listener: (value: string) => void): void {
  listeners.push(listener);
  for (const s of secrets) listener(s);
}

/** `text` with every registered secret replaced by ***, longest first (a secret containing another stays hidden). */
export function redact(text: string): string {
  if (secrets.size === 0) return text;
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(REDACTED);
  return out;
}

/** A copy of a JSON-like value with every string redacted (before serialising: JSON escapes would hide a match). */
export function redactDeep<T>(value: T): T {
  if (secrets.size === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
