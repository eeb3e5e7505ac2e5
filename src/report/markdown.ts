import {
  checkCounts,
  masterOf,
  msText,
  noWritesText,
  SCENARIO_WORD,
  scenarioFacts,
  phases,
  secondsText,
  serverText,
  shortId,
  showControls,
  skippedText,
  sortedTimeline,
  STATUS_WORD,
  TIMINGS,
  VERDICT_WORD,
  verdictReason,
} from './facts.ts';
import { historyExampleRows, historyText } from './history.ts';
import { byMessage, groupFindings, severityTotals, whereText, type FindingGroup } from '../manifests/lint/group.ts';
import { SEVERITIES } from '../manifests/lint/rule.ts';
import type { LintFinding, Report, ScenarioResult, Severity, Topology } from './model.ts';
import type { HistoryVerdict } from '../scenarios/history/check.ts';

export const SUMMARY_FILE = 'summary.md';

/** HTML-significant characters as entities (GitHub renders raw HTML in Markdown). */
export function html(text: string): string {
  return showControls(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Text from outside (an error carrying a pod's log tail, a note, a hold's detail) as one line of Markdown prose:
 * its line breaks become <br>, so no block (a heading, a table, a list, a quote, a fence, a `</details>` line)
 * can start inside it and forge a section, and its inline markup (emphasis, code, links, images) is escaped.
 */
function prose(text: string): string {
  return html(text)
    .replace(/[\\`*_[\]|~!]/g, '\\$&')
    .replace(/\r?\n/g, '<br>');
}

/** A table cell: `|` would end the cell and a line break the row. */
export function cell(value: string | number): string {
  return html(String(value)).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** Cell content made safe by its builder (its text through cell()), with HTML tags of the builder's own. */
interface HtmlCell {
  html: string;
}

export function table(header: string[], rows: Array<Array<string | number | HtmlCell>>): string[] {
  const shown = (value: string | number | HtmlCell) => (typeof value === 'object' ? value.html : cell(value));
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(shown).join(' | ')} |`),
  ];
}

/** A fenced block that no backtick run inside the content can close early. */
function fenced(lang: string, content: string): string[] {
  const longest = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}${lang}`, content, fence];
}

function details(summary: string, body: string[]): string[] {
  return [`<details><summary>${html(summary)}</summary>`, '', ...body, '', '</details>', ''];
}

// Mermaid gantt: task text ends at ':' and '#', ';' and '%%' have meanings of their own.
function mermaidText(text: string): string {
  return text.replace(/[:;#%\r\n]+/g, ' ').trim();
}

const TICKS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600];

/**
 * The timeline as a Mermaid gantt (GitHub renders ```mermaid blocks). Times are Unix-ms values (dateFormat x)
 * with the deletion at 0, so the axis' whole seconds (%s) count from the deletion as every label does. Events
 * before it (the writer's start) stay in the table below: a negative Unix-ms date is not one the gantt takes.
 */
function mermaidGantt(s: ScenarioResult): string[] {
  const events = sortedTimeline(s).filter((e) => e.atMs >= 0);
  if (events.length === 0) return [];
  const x = (ms: number) => Math.round(ms);
  const spanS = events.at(-1)!.atMs / 1000;
  const tick = TICKS_S.find((t) => spanS / t <= 12) ?? 600;
  const axis = 'seconds after the pod was deleted';
  const lines = [
    'gantt',
    `  title ${mermaidText(`${s.name} - ${axis}`)}`,
    '  dateFormat x',
    '  axisFormat %s',
    tick < 60 ? `  tickInterval ${tick}second` : `  tickInterval ${tick / 60}minute`,
    '  todayMarker off',
  ];
  const spans = phases({ ...s, timeline: events }).filter((p) => p.fromMs >= 0);
  if (spans.length > 0) {
    lines.push('  section phases');
    spans.forEach((p, i) => {
      const tags = p.critical ? 'crit, ' : '';
      lines.push(
        `  ${mermaidText(`${p.label} ${Math.round(p.toMs - p.fromMs)} ms`)} : ${tags}p${i}, ${x(p.fromMs)}, ${x(p.toMs)}`,
      );
    });
  }
  lines.push('  section events');
  events.forEach((e, i) => {
    lines.push(`  ${mermaidText(`${e.event} at ${Math.round(e.atMs)} ms`)} : milestone, e${i}, ${x(e.atMs)}, 0ms`);
  });
  return fenced('mermaid', lines.join('\n'));
}

function topologyTable(t: Topology): string[] {
  // Where each pod runs, when the platform said (a shard on one Kubernetes node is the placement check's concern).
  const placed = t.nodes.some((n) => n.kubeNode);
  const where = (n: Topology['nodes'][number]) =>
    placed ? [`${n.kubeNode ?? ''}${n.zone ? ` (${n.zone})` : ''}`] : [];
  return table(
    ['Node', 'Pod', ...(placed ? ['Kubernetes node'] : []), 'Address', 'Role', 'Master', 'Slots'],
    t.nodes.map((n) => [
      shortId(n.nodeId),
      n.pod ?? '',
      ...where(n),
      n.address,
      n.role,
      masterOf(n, t),
      n.slots.join(' '),
    ]),
  );
}

function writesSection(s: ScenarioResult): string[] {
  const w = s.writes;
  if (!w) return [`Writes: ${html(noWritesText(s))}.`, ''];
  const out = [
    ...table(
      ['Mode', 'Rate/s', 'Attempted', 'Skipped', 'Acknowledged', 'Failed', 'Lost', 'Unavailable ms'],
      [
        [
          w.mode,
          w.ratePerSecond,
          w.attempted,
          w.skipped,
          w.acknowledged,
          w.failed,
          w.lost,
          Math.round(w.unavailableMs),
        ],
      ],
    ),
    '',
  ];
  const skipped = skippedText(w);
  if (skipped) out.push(html(skipped), '');
  if (w.lostKeys.length > 0)
    out.push(...details(`Lost keys (first ${w.lostKeys.length})`, fenced('', w.lostKeys.join('\n'))));
  if (w.firstErrors.length > 0) {
    out.push(...details(`First write errors (${w.firstErrors.length})`, fenced('', w.firstErrors.join('\n'))));
  }
  if (w.history) out.push(...historyBlock(w.history));
  if (s.pauseLoss?.history)
    out.push(...historyBlock(s.pauseLoss.history, 'Stale client (no WAIT, connected before the freeze) history'));
  return out;
}

/** The checker's verdict in words, then its first examples folded (times in ms from the fault). */
function historyBlock(v: HistoryVerdict, label?: string): string[] {
  const out = [html(historyText(v, label)), ''];
  const rows = historyExampleRows(v);
  if (rows.length > 0)
    out.push(
      ...details(
        `${label ?? 'History'} anomalies: first examples (${rows.length}), times in ms from the fault`,
        table(['Anomaly', 'Key', 'Value', 'Write', 'Read', 'Detail'], rows),
      ),
    );
  return out;
}

/** Base against head: each scenario's figures side by side with the change, and the lint findings compared. */
export function comparisonSection(report: Report): string[] {
  const c = report.comparison;
  if (!c) return [];
  const change = (p?: number) => (p === undefined ? '' : `${p > 0 ? '+' : ''}${p} %`);
  const rows = c.scenarios.flatMap((s) =>
    s.figures.map((f) => [s.name, f.label, f.base ?? 'not measured', f.head ?? 'not measured', change(f.changePct)]),
  );
  const out = [
    `### Base against head`,
    '',
    `The same scenarios on the base manifests (${html(c.baseManifests)}, verdict ${c.baseVerdict}) and on the head, a fresh cluster each, the same settings.`,
    '',
    ...(rows.length
      ? table(['Scenario', 'Figure', 'Base', 'Head', 'Change'], rows)
      : ['No figure measured on both sides.']),
    '',
    `Lint: ${c.lint.new.length} new in head, ${c.lint.fixed.length} fixed by head, ${c.lint.unchanged} unchanged.`,
    '',
  ];
  if (c.lint.new.length)
    out.push(
      ...table(
        ['New finding', 'Severity', 'Where', 'Message'],
        c.lint.new.map((f) => [f.rule, f.severity, f.at ? `${f.at.file}:${f.at.line}` : '', f.message]),
      ),
      '',
    );
  return out;
}

/**
 * rollout: what the pull request changes that matters to the running cluster, what the StatefulSet did with it,
 * the versions that ran side by side, and per pod its revision, version, NodeID and restart.
 */
export function rolloutSection(s: ScenarioResult): string[] {
  const r = s.rollout;
  if (!r) return [];
  const c = r.changes;
  const out = ['#### What the pull request changes', ''];
  const changes: Array<[string, string]> = [];
  if (c.image) changes.push(['image', `${c.image.before} → ${c.image.after}`]);
  if (c.server) changes.push(['server', `${c.server.before} → ${c.server.after}`]);
  for (const d of c.directives)
    changes.push([`redis.conf ${d.name}`, `${d.before ?? '(unset)'} → ${d.after ?? '(unset)'}`]);
  if (c.clusterConfigFile)
    changes.push([
      'nodes.conf',
      `${c.clusterConfigFile.before}${c.clusterConfigFile.persistentBefore ? ' (on a claim)' : ''} → ${c.clusterConfigFile.after}${c.clusterConfigFile.persistentAfter ? ' (on a claim)' : ' (not on a claim)'}`,
    ]);
  for (const m of c.configMaps) changes.push(['ConfigMap', m]);
  if (c.templateFields.length) changes.push(['pod template', c.templateFields.join(', ')]);
  out.push(...(changes.length ? table(['What', 'Change'], changes) : ['Nothing that matters to Redis.']), '');
  if (r.refused)
    out.push(
      `**The API server refuses the update** of ${html(r.refused.object)} (${html(r.refused.field)}): ${html(r.refused.message)}`,
      '',
    );
  if (r.update)
    out.push(
      r.restartsNoPod
        ? `The pod template is unchanged (revision ${html(r.update.updateRevision)}): applying the pull request restarts no pod.`
        : `Revision ${html(r.update.currentRevision)} → ${html(r.update.updateRevision)}, updateStrategy ${r.update.strategy}` +
            (r.update.strategy === 'RollingUpdate'
              ? ` (partition ${r.update.partition}, maxUnavailable ${r.update.maxUnavailable})`
              : r.deletedByScenario
                ? ': the scenario deleted the pods in the controller order'
                : '') +
            '.',
      '',
    );
  if (r.mixedVersions)
    out.push(
      `Mixed versions: ${html(r.mixedVersions.versions.join(' + '))} side by side from ${msText(r.mixedVersions.fromMs)} after the apply` +
        (r.mixedVersions.durationMs !== undefined ? ` for ${msText(r.mixedVersions.durationMs)}.` : ' until the end.'),
      '',
    );
  const restarts = new Map((s.pods ?? []).map((p) => [p.pod, p]));
  out.push(
    ...table(
      ['Pod', 'Revision', 'Version', 'NodeID kept', 'Restart', 'Failover'],
      r.pods.map((p) => {
        const x = restarts.get(p.pod);
        const pair = (a?: string, b?: string) => (a === b ? (a ?? '') : `${a ?? '?'} → ${b ?? '?'}`);
        return [
          p.pod,
          pair(p.revisionBefore, p.revisionAfter),
          pair(p.versionBefore, p.versionAfter),
          x?.nodeIdKept === undefined ? '' : x.nodeIdKept ? 'yes' : '**no**',
          x?.restartMs === undefined ? '' : msText(x.restartMs),
          x?.failover ? 'yes' : '',
        ];
      }),
    ),
    '',
  );
  if (s.shards?.length)
    out.push(
      ...table(
        ['Shard slots', 'Master before', 'Writes refused for', 'Lost'],
        s.shards.map((sh) => [sh.slots.join(','), sh.masterPod ?? '', msText(sh.writes.unavailableMs), sh.writes.lost]),
      ),
      '',
    );
  return out;
}

function scenarioSection(s: ScenarioResult): string[] {
  const counts = checkCounts(s.checks);
  const out = [
    `### ${s.name}: ${SCENARIO_WORD[s.status]}`,
    '',
    `${counts.pass} passed, ${counts.fail} failed, ${counts.skipped} skipped` +
      `${s.startedAt !== undefined && s.durationMs !== undefined ? `; started ${html(s.startedAt)}, took ${secondsText(s.durationMs)}` : ''}.`,
    ...scenarioFacts(s).map(prose),
    '',
  ];
  if (s.error) out.push(`**Stopped early:** ${prose(s.error)}`, '');

  // Failed checks first and in bold: what a reviewer must see at a glance; the rest in the order they ran.
  const checks = [...s.checks.filter((c) => c.status === 'fail'), ...s.checks.filter((c) => c.status !== 'fail')];
  const status = (c: (typeof checks)[number]) =>
    c.status === 'fail' ? `**${STATUS_WORD[c.status]}**` : STATUS_WORD[c.status];
  out.push(
    '#### Checks',
    '',
    ...table(
      ['Check', 'Status', 'Summary'],
      checks.map((c) => [c.id, status(c), c.summary]),
    ),
    '',
  );
  out.push(...rolloutSection(s));
  for (const c of s.checks.filter((c) => Object.keys(c.evidence).length > 0)) {
    out.push(
      ...details(`Evidence: ${c.id} (${STATUS_WORD[c.status]})`, fenced('json', JSON.stringify(c.evidence, null, 2))),
    );
  }

  const events = sortedTimeline(s);
  out.push('#### Timeline', '');
  if (events.length === 0) out.push('No timeline events were recorded.', '');
  else {
    out.push(...mermaidGantt(s), '');
    out.push(
      ...table(
        ['Event', 'ms after deletion', 'Detail'],
        events.map((e) => [e.event, Math.round(e.atMs), e.detail ?? '']),
      ),
      '',
    );
  }

  out.push('#### Writes', '', ...writesSection(s));
  out.push(
    '#### Timings',
    '',
    ...table(
      ['Timing', 'Time'],
      TIMINGS.map((t) => [t.label, msText(s.timings[t.key])]),
    ),
    '',
  );

  out.push('#### Topology before', '', ...topologyTable(s.topologyBefore), '');
  out.push('#### Topology after', '');
  if (s.topologyAfter) out.push(...topologyTable(s.topologyAfter), '');
  else out.push('Not captured: the scenario stopped before it could read the topology again.', '');
  for (const [when, t] of [
    ['before', s.topologyBefore],
    ['after', s.topologyAfter],
  ] as const) {
    if (t?.clusterNodes) out.push(...details(`CLUSTER NODES ${when}`, fenced('', t.clusterNodes.trimEnd())));
  }
  return out;
}

/** A group's findings shown in full up to this many; more fold into a <details> block, so a rule that fires on
 * every PersistentVolume stays one line of the table until opened. */
const FINDINGS_SHOWN = 3;

/**
 * Where a group's findings are and what they say: one line per distinct message ("file:line:column: message",
 * several places before one message), every place kept. A larger group folds into <details>, so a rule that
 * fires everywhere does not push the errors off the page. Writing a group's fix and repeated message once also
 * keeps the summary small: the runner refuses a step summary over 1 MiB ("$GITHUB_STEP_SUMMARY upload aborted,
 * supports content up to a size of 1024k"; docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#adding-a-markdown-summary).
 */
function findingsCell(group: FindingGroup): HtmlCell {
  const messages = byMessage(group);
  const places = (findings: LintFinding[]) => findings.map(whereText).join(', ');
  const n = group.findings.length;
  if (n <= FINDINGS_SHOWN) return { html: cell(messages.map((m) => `${places(m.findings)}: ${m.message}`).join('\n')) };
  const [summary, body] =
    messages.length === 1
      ? [`${messages[0]!.message} (${n} places)`, group.findings.map(whereText)]
      : [`${n} findings`, messages.map((m) => `${places(m.findings)}: ${m.message}`)];
  return { html: `<details><summary>${cell(summary)}</summary>${cell(body.join('\n'))}</details>` };
}

/** Errors first, then warnings and infos, each by rule; findings of one rule with one fix in one row. */
function lintSection(report: Report): string[] {
  if (report.lint.length === 0) return ['### Lint findings: none', ''];
  const rank = (g: FindingGroup) => SEVERITIES.indexOf(g.findings[0].severity);
  const rule = (g: FindingGroup) => g.findings[0].rule;
  const groups = groupFindings(report.lint).sort(
    (a, b) => rank(a) - rank(b) || (rule(a) < rule(b) ? -1 : rule(a) > rule(b) ? 1 : 0),
  );
  const severity = (s: Severity) => (s === 'error' ? `**${s}**` : s);
  return [
    `### Lint findings: ${severityTotals(report.lint)}`,
    '',
    ...table(
      ['Severity', 'Rule', 'Where: message', 'Fix'],
      groups.map((g) => [severity(g.findings[0].severity), rule(g), findingsCell(g), g.findings[0].fix]),
    ),
    '',
  ];
}

/** The job summary of a run that stopped before it had a report (bad input): the verdict and why. */
export function renderStoppedMarkdown(message: string): string {
  return [
    '## Redis Cluster resilience check',
    '',
    `**Verdict: ${VERDICT_WORD.error}.** ${prose(message)}`,
    '',
    'The run stopped before any check could be judged.',
    '',
  ].join('\n');
}

/** The GitHub job summary: verdict and why, then per scenario checks, timeline, writes, timings, topology. */
export function renderMarkdown(report: Report): string {
  const out = [
    '## Redis Cluster resilience check',
    '',
    `**Verdict: ${VERDICT_WORD[report.verdict]}.** ${prose(verdictReason(report))}`,
    '',
    `Platform ${prose(report.platform)}${report.reach ? ` (reach: ${report.reach})` : ''}${report.localMode ? ` (local-mode ${report.localMode})` : ''}${report.server ? `, ${html(serverText(report.server))}` : ''}, manifests ${prose(report.manifests)}, started ${html(report.startedAt)}, ` +
      `took ${secondsText(report.durationMs)} (${html(report.tool.name)} ${html(report.tool.version)}, report schema ${report.schemaVersion}).`,
  ];
  if (report.bootstrap) {
    const b = report.bootstrap;
    out.push(
      `Bootstrap${b.source ? ` ${html(b.source)}` : ''}: ${b.masters} masters with ${b.replicasPerMaster} replica(s) each, ` +
        `${b.changed ? 'formed' : 'already formed, left alone'} in ${Math.round(b.durationMs)} ms.`,
    );
    for (const line of b.exposed ?? []) out.push(`Bootstrap could not keep a shard off one node: ${html(line)}.`);
    if (b.placement) out.push(`Placement: ${STATUS_WORD[b.placement.status]}: ${html(b.placement.summary)}`);
  }
  if (report.hold) {
    const h = report.hold;
    const held = h.replacementHeld === false ? ' **The hold failed.**' : '';
    out.push(`Restart hold: ${h.mode}: ${prose(h.detail)}.${held}`);
  }
  out.push('');
  for (const note of report.notes ?? []) out.push(`> ${prose(note)}`, '');
  if (report.error) out.push(`**Error:** ${prose(report.error)}`, '');
  out.push(...comparisonSection(report));
  for (const s of report.scenarios) out.push(...scenarioSection(s));
  out.push(...lintSection(report));
  if (report.nfsRewrites.length > 0) {
    out.push(
      `### NFS stand-in (${report.nfsRewrites.length} PersistentVolumes rewritten)`,
      '',
      ...table(
        ['PersistentVolume', 'From', 'To'],
        report.nfsRewrites.map((r) => [r.persistentVolume, r.from, r.to]),
      ),
      '',
    );
  }
  if (report.evidence?.length) {
    out.push(
      `### Evidence (${report.evidence.length} files in the report directory)`,
      '',
      "Each Redis node's CLUSTER NODES and CLUSTER INFO after the run, the pods' logs, and what the platform recorded (the last 256 KiB of each file):",
      '',
      ...report.evidence.map((f) => `- \`${html(f)}\``),
      '',
    );
  }
  return `${out.join('\n').trimEnd()}\n`;
}
