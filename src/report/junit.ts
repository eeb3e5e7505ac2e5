import { serverText, skippedText, sortedTimeline, STATUS_WORD, writesText } from './facts.ts';
import type { Check, CheckId, LintFinding, Report, ScenarioResult, TimelineEntry, TimelineEvent } from './model.ts';
import { xmlAttr, xmlText } from './xml.ts';

export const JUNIT_FILE = 'junit.xml';

const CLASS_PREFIX = 'redis-cluster-resilience';

interface Case {
  name: string;
  /** Seconds the case took (a check: from the fault to the event that decided it). */
  seconds?: number;
  /** Where the finding is (lint): the `file`/`line` attributes annotation actions place a case by. */
  at?: { file: string; line: number };
  /** `type` says what kind of failure or error (the strict Ant schema requires it on both). */
  outcome?:
    | { element: 'failure' | 'error'; type: string; message: string; body: string }
    | { element: 'skipped'; message: string; body: string };
}

interface Suite {
  name: string;
  /** Zone-less start, see timestamp(). */
  timestamp: string;
  seconds: number;
  cases: Case[];
  properties: Record<string, string>;
  out: string;
  err: string;
}

// The strict Ant schema (Windy Road JUnit.xsd) wants a zone-less, fraction-less timestamp.
function timestamp(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '1970-01-01T00:00:00' : d.toISOString().slice(0, 19);
}

/** The timeline event that decides a check; checks without one (budgets, read-backs) end with the scenario. */
const DECIDED_BY: Partial<Record<CheckId, TimelineEvent>> = {
  'replica-promoted': 'replica-promoted',
  'pod-recreated': 'pod-back',
  'rejoined-as-replica': 'rejoined',
  'cluster-healthy': 'cluster-healthy',
  'replica-resynced': 'resynced',
  'stepped-down': 'stepped-down',
  'pods-replaced': 'restart-done',
  'all-pods-recreated': 'all-pods-back',
  'cluster-reformed': 'cluster-reformed',
  'minority-stopped-writes': 'minority-refused',
  'shards-failed-over': 'replica-promoted',
};

function checkCase(c: Check, events: TimelineEntry[]): Case {
  const body = `${c.summary}\n\nEvidence:\n${JSON.stringify(c.evidence, null, 2)}`;
  if (c.status === 'skipped') return { name: c.id, outcome: { element: 'skipped', message: c.summary, body: '' } };
  const decided = events.find((e) => e.event === DECIDED_BY[c.id]) ?? events.at(-1);
  const seconds = Math.max(0, decided?.atMs ?? 0) / 1000;
  if (c.status === 'fail')
    return { name: c.id, seconds, outcome: { element: 'failure', type: 'check-failed', message: c.summary, body } };
  return { name: c.id, seconds };
}

function scenarioSuite(report: Report, s: ScenarioResult): Suite {
  const events = sortedTimeline(s);
  const cases = s.checks.map((c) => checkCase(c, events));
  // A scenario that stopped early may have no failed check at all; reporters must still show it red.
  if (s.error)
    cases.push({
      name: 'scenario-finished',
      outcome: { element: 'error', type: 'scenario-error', message: s.error, body: s.error },
    });
  // A report written before scenarios had a clock: the run's start, and its recorded events span what it took.
  const spanMs = events.length > 1 ? events.at(-1)!.atMs - events[0]!.atMs : 0;
  const w = s.writes;
  const writeLines = w ? [writesText(w), skippedText(w)].filter((l): l is string => l !== undefined).concat('') : [];
  return {
    name: s.name,
    timestamp: timestamp(s.startedAt ?? report.startedAt),
    seconds: (s.durationMs ?? spanMs) / 1000,
    cases,
    properties: {
      platform: report.platform,
      ...serverProperty(report),
      ...(s.path ? { path: s.path } : {}),
      'hold-restart': String(s.holdRestart),
      ...(s.victim ? { victim: s.victim.pod } : {}),
      ...(s.failovers !== undefined ? { failovers: String(s.failovers) } : {}),
      // Every property name in kebab-case, as the action's outputs (failoverMs -> failover-ms).
      ...Object.fromEntries(
        Object.entries(s.timings).flatMap(([k, v]: [string, number | undefined]) =>
          v === undefined ? [] : [[kebab(k), String(Math.round(v))]],
        ),
      ),
      ...(w
        ? {
            'writes-attempted': String(w.attempted),
            'writes-skipped': String(w.skipped),
            'writes-acknowledged': String(w.acknowledged),
            'writes-lost': String(w.lost),
            'unavailable-ms': String(Math.round(w.unavailableMs)),
          }
        : {}),
    },
    out: [
      ...s.checks.map((c) => `${STATUS_WORD[c.status].padEnd(7)} ${c.id}: ${c.summary}`),
      '',
      ...writeLines,
      ...events.map(
        (e) => `${String(Math.round(e.atMs)).padStart(7)} ms  ${e.event}${e.detail ? `  ${e.detail}` : ''}`,
      ),
    ].join('\n'),
    err: s.error ?? '',
  };
}

function where(f: LintFinding): string {
  return f.at ? `${f.at.file}:${f.at.line}:${f.at.column}` : '';
}

function lintSuite(report: Report): Suite {
  const errors = report.lint.filter((f) => f.severity === 'error');
  const cases: Case[] =
    errors.length === 0
      ? [{ name: 'no lint errors' }]
      : errors.map((f) => ({
          name: [f.rule, where(f)].filter(Boolean).join(' '),
          ...(f.at ? { at: { file: f.at.file, line: f.at.line } } : {}),
          outcome: {
            element: 'failure',
            type: 'lint-error',
            message: f.message,
            body: `${where(f) || 'manifests'}: ${f.message}\nFix: ${f.fix}`,
          },
        }));
  const others = report.lint.filter((f) => f.severity !== 'error');
  return {
    name: 'lint',
    timestamp: timestamp(report.startedAt),
    seconds: 0,
    cases,
    properties: { manifests: report.manifests },
    out: others.map((f) => `${f.severity} ${f.rule} ${where(f)}: ${f.message}`).join('\n'),
    err: '',
  };
}

/** A run that broke before any scenario (deploy failure, lint gate) must not read as green. */
function runSuite(report: Report): Suite | undefined {
  if (!report.error || report.scenarios.length > 0) return undefined;
  // Stopped by the lint gate: a failure of the input. Anything else broke the run: an error.
  const element = report.verdict === 'error' || report.verdict === 'cancelled' ? 'error' : 'failure';
  const type = report.verdict === 'cancelled' ? 'run-cancelled' : element === 'error' ? 'run-error' : 'run-failed';
  return {
    name: 'run',
    timestamp: timestamp(report.startedAt),
    seconds: report.durationMs / 1000,
    cases: [{ name: 'run-finished', outcome: { element, type, message: report.error, body: report.error } }],
    properties: { platform: report.platform, ...serverProperty(report) },
    out: '',
    err: report.error,
  };
}

function renderSuite(suite: Suite, id: number): string {
  const count = (el: string) => suite.cases.filter((c) => c.outcome?.element === el).length;
  const attrs = {
    name: suite.name,
    package: CLASS_PREFIX,
    id: String(id),
    timestamp: suite.timestamp,
    hostname: 'localhost',
    tests: String(suite.cases.length),
    failures: String(count('failure')),
    errors: String(count('error')),
    skipped: String(count('skipped')),
    time: suite.seconds.toFixed(3),
  };
  const lines = [
    `  <testsuite ${Object.entries(attrs)
      .map(([k, v]) => `${k}="${xmlAttr(v)}"`)
      .join(' ')}>`,
    '    <properties>',
  ];
  for (const [name, value] of Object.entries(suite.properties)) {
    lines.push(`      <property name="${xmlAttr(name)}" value="${xmlAttr(value)}"/>`);
  }
  lines.push('    </properties>');
  const classname = xmlAttr(`${CLASS_PREFIX}.${suite.name}`);
  for (const c of suite.cases) {
    const at = c.at ? ` file="${xmlAttr(c.at.file)}" line="${c.at.line}"` : '';
    const open = `    <testcase classname="${classname}" name="${xmlAttr(c.name)}" time="${(c.seconds ?? 0).toFixed(3)}"${at}`;
    if (!c.outcome) {
      lines.push(`${open}/>`);
      continue;
    }
    const { element, message, body } = c.outcome;
    const type = 'type' in c.outcome ? ` type="${xmlAttr(c.outcome.type)}"` : '';
    const content = body ? `>${xmlText(body)}</${element}>` : '/>';
    lines.push(`${open}>`, `      <${element}${type} message="${xmlAttr(message)}"${content}`, '    </testcase>');
  }
  lines.push(
    `    <system-out>${xmlText(suite.out)}</system-out>`,
    `    <system-err>${xmlText(suite.err)}</system-err>`,
    '  </testsuite>',
  );
  return lines.join('\n');
}

/** JUnit XML: one testsuite per scenario (a testcase per check), one for lint errors, one for a broken run. */
export function renderJUnit(report: Report): string {
  const run = runSuite(report);
  const suites = [...report.scenarios.map((s) => scenarioSuite(report, s)), lintSuite(report), ...(run ? [run] : [])];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<testsuites>',
    ...suites.map((s, i) => renderSuite(s, i)),
    '</testsuites>',
    '',
  ].join('\n');
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`);
}

/** The server the pods ran (e.g. "Valkey 8.0.1"), when the run got as far as asking them. */
function serverProperty(report: Report): Record<string, string> {
  return report.server ? { server: serverText(report.server) } : {};
}
