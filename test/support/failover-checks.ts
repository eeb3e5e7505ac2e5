// master-failover's checks as its report lists them, and the assertion that a run passed each: one list for the
// suites that run the default check (in process, as the CLI, as the action, on Redis and on Valkey).
import * as assert from 'uvu/assert';

/** master-failover's checks, in its report's order. */
export const FAILOVER_CHECKS = [
  'replica-promoted',
  'pod-recreated',
  'node-id-kept',
  'rejoined-as-replica',
  'cluster-healthy',
  'data-intact',
  'max-lost-writes',
] as const;

/** Each of `ids` is among `checks` with status pass; the message lists every check with its status. */
export function assertChecksPassed(
  checks: ReadonlyArray<{ id: string; status: string }>,
  ids: readonly string[] = FAILOVER_CHECKS,
): void {
  const seen = checks.map((c) => `${c.id}:${c.status}`);
  for (const id of ids) assert.ok(seen.includes(`${id}:pass`), `${id} in ${seen.join(', ')}`);
}
