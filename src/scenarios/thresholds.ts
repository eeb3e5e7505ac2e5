import type { Check, FailoverPath, WriteStats } from './model.ts';

export interface Thresholds {
  maxFailoverMs?: number;
  maxUnavailableMs?: number;
  maxLostWrites: number;
  /** cluster-restart: every pod back and answering to the cluster re-formed (ms). */
  maxReformMs?: number;
}

/**
 * One check per configured budget (max-lost-writes always). A budget whose measure does not exist on this
 * run (no writer, no failover on the path taken) is skipped with the reason; one never measured because the
 * scenario stopped early is skipped with `notReached`.
 */
export function thresholdChecks(
  t: Thresholds,
  m: { path: FailoverPath; failoverMs?: number; writes?: WriteStats; writerOn: boolean; finished: boolean },
  notReached: string,
): Check[] {
  const checks: Check[] = [];
  if (t.maxFailoverMs !== undefined) {
    const limit = t.maxFailoverMs;
    if (m.failoverMs !== undefined) checks.push(budget('max-failover-ms', 'failover', m.failoverMs, limit, 'ms'));
    else if (m.path === 'restarted-before-failover')
      checks.push(
        skip('max-failover-ms', 'the pod came back before any failover: there is no failover time on this path'),
      );
    else if (!m.finished && m.path !== 'no-failover') checks.push(skip('max-failover-ms', notReached));
    else
      checks.push({
        id: 'max-failover-ms',
        status: 'fail',
        summary: `no failover happened (budget ${limit} ms)`,
        evidence: { limitMs: limit, failoverMs: null },
      });
  }
  const writes = m.writes;
  if (t.maxUnavailableMs !== undefined) {
    if (!m.writerOn)
      checks.push(skip('max-unavailable-ms', 'writer off (write rate 0): unavailability was not measured'));
    else if (!writes) checks.push(skip('max-unavailable-ms', notReached));
    else
      checks.push(budget('max-unavailable-ms', 'writes refused for', writes.unavailableMs, t.maxUnavailableMs, 'ms'));
  }
  if (!m.writerOn) checks.push(skip('max-lost-writes', 'writer off (write rate 0): no acknowledged writes to lose'));
  else if (!writes) checks.push(skip('max-lost-writes', notReached));
  else {
    const c = budget('max-lost-writes', 'acknowledged writes lost:', writes.lost, t.maxLostWrites, '');
    checks.push({ ...c, evidence: { ...c.evidence, acknowledged: writes.acknowledged, lostKeys: writes.lostKeys } });
  }
  return checks;
}

function budget(id: Check['id'], what: string, value: number, limit: number, unit: string): Check {
  const ok = value <= limit;
  return {
    id,
    status: ok ? 'pass' : 'fail',
    summary: `${what} ${value}${unit ? ' ' + unit : ''} ${ok ? '<=' : '>'} budget ${limit}${unit ? ' ' + unit : ''}`,
    evidence: { value, limit },
  };
}

const skip = (id: Check['id'], why: string): Check => ({ id, status: 'skipped', summary: why, evidence: {} });
