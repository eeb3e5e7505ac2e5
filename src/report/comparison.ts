import path from 'node:path';
import type { LintFinding } from '../manifests/lint/rule.ts';
import type { Check, ScenarioName, ScenarioResult } from '../scenarios/model.ts';

/** One figure of a scenario, measured on the base manifests and on the head ones. */
export interface ComparedFigure {
  figure: 'failoverMs' | 'unavailableMs' | 'lostWrites' | 'rejoinMs' | 'reformMs';
  label: string;
  base?: number;
  head?: number;
  /** head against base, in percent; absent when either was not measured or base is 0. */
  changePct?: number;
}

/** Base against head: the same scenarios on a fresh cluster each, the same settings. */
export interface Comparison {
  baseManifests: string;
  baseVerdict: string;
  scenarios: Array<{ name: ScenarioName; figures: ComparedFigure[] }>;
  /** Lint findings matched by rule, file name and message (which names the object), not by line. */
  lint: { new: LintFinding[]; fixed: LintFinding[]; unchanged: number };
}

/** What a regression may cost, in percent of the base figure, before it fails the head's scenario. */
export interface RegressionBudgets {
  maxFailoverRegressionPct?: number;
  maxUnavailableRegressionPct?: number;
}

const FIGURES: Array<{
  figure: ComparedFigure['figure'];
  label: string;
  of: (s: ScenarioResult) => number | undefined;
}> = [
  { figure: 'failoverMs', label: 'failover (ms)', of: (s) => s.timings.failoverMs },
  { figure: 'unavailableMs', label: 'writes refused for (ms)', of: (s) => s.writes?.unavailableMs },
  { figure: 'lostWrites', label: 'lost writes', of: (s) => s.writes?.lost },
  { figure: 'rejoinMs', label: 'rejoin (ms)', of: (s) => s.timings.rejoinMs },
  { figure: 'reformMs', label: 're-form (ms)', of: (s) => s.timings.reformMs },
];

const pct = (base: number, head: number) => Math.round(((head - base) / base) * 1000) / 10;

export function compareScenario(base: ScenarioResult | undefined, head: ScenarioResult): ComparedFigure[] {
  return FIGURES.flatMap(({ figure, label, of }) => {
    const b = base ? of(base) : undefined;
    const h = of(head);
    if (b === undefined && h === undefined) return [];
    return [
      {
        figure,
        label,
        ...(b !== undefined ? { base: Math.round(b) } : {}),
        ...(h !== undefined ? { head: Math.round(h) } : {}),
        ...(b !== undefined && h !== undefined && b > 0 ? { changePct: pct(b, h) } : {}),
      },
    ];
  });
}

const lintKey = (f: LintFinding) => `${f.rule}\u0000${f.at ? path.basename(f.at.file) : ''}\u0000${f.message}`;

export function compareLint(base: LintFinding[], head: LintFinding[]): Comparison['lint'] {
  const before = new Set(base.map(lintKey));
  const after = new Set(head.map(lintKey));
  return {
    new: head.filter((f) => !before.has(lintKey(f))),
    fixed: base.filter((f) => !after.has(lintKey(f))),
    unchanged: head.filter((f) => before.has(lintKey(f))).length,
  };
}

/** A budget on one figure's regression as a check of the head's scenario (skipped where not measured). */
function regressionCheck(
  id: 'failover-regression' | 'unavailable-regression',
  what: string,
  f: ComparedFigure | undefined,
  budgetPct: number,
): Check {
  const evidence = { base: f?.base, head: f?.head, changePct: f?.changePct, budgetPct };
  if (f?.base === undefined || f.head === undefined)
    return { id, status: 'skipped', summary: `${what} not measured on both sides`, evidence };
  const limit = f.base * (1 + budgetPct / 100);
  const change = f.changePct === undefined ? '' : ` (${f.changePct >= 0 ? '+' : ''}${f.changePct} %)`;
  const ok = f.head <= limit;
  return {
    id,
    status: ok ? 'pass' : 'fail',
    summary: `${what}: ${f.base} ms on base, ${f.head} ms on head${change}, ${ok ? 'within' : 'over'} the ${budgetPct} % budget`,
    evidence,
  };
}

export function regressionChecks(figures: ComparedFigure[], budgets: RegressionBudgets): Check[] {
  const of = (figure: ComparedFigure['figure']) => figures.find((f) => f.figure === figure);
  const checks: Check[] = [];
  if (budgets.maxFailoverRegressionPct !== undefined && of('failoverMs'))
    checks.push(regressionCheck('failover-regression', 'failover', of('failoverMs'), budgets.maxFailoverRegressionPct));
  if (budgets.maxUnavailableRegressionPct !== undefined && of('unavailableMs'))
    checks.push(
      regressionCheck(
        'unavailable-regression',
        'writes refused',
        of('unavailableMs'),
        budgets.maxUnavailableRegressionPct,
      ),
    );
  return checks;
}

/**
 * The head's scenarios with the base's figures beside them: each scenario of the head gets its regression checks
 * (and fails with them); returns the comparison for the report.
 */
export function applyComparison(
  base: { manifests: string; verdict: string; scenarios: ScenarioResult[]; lint: LintFinding[] },
  head: { scenarios: ScenarioResult[]; lint: LintFinding[] },
  budgets: RegressionBudgets,
): Comparison {
  const scenarios: Comparison['scenarios'] = [];
  for (const s of head.scenarios) {
    if (s.name === 'rollout') continue; // runs on the head only: it is itself the base-to-head change
    const figures = compareScenario(
      base.scenarios.find((b) => b.name === s.name),
      s,
    );
    scenarios.push({ name: s.name, figures });
    const checks = regressionChecks(figures, budgets);
    if (checks.length === 0) continue;
    s.checks.push(...checks);
    if (s.status === 'pass' && checks.some((c) => c.status === 'fail')) s.status = 'fail';
  }
  return {
    baseManifests: base.manifests,
    baseVerdict: base.verdict,
    scenarios,
    lint: compareLint(base.lint, head.lint),
  };
}
