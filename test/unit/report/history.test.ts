/**
 * The checker's verdict in the reports: summary.md says it in words with a table of the first examples (their
 * operations' times from the fault and nodes), the terminal in words, report.json carries it whole.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderMarkdown } from '../../../src/report/markdown.ts';
import { renderTerminal } from '../../../src/report/terminal.ts';
import { reportJson } from '../../../src/report/json.ts';
import type { Report } from '../../../src/report/model.ts';
import { HistoryRecorder } from '../../../src/scenarios/history/model.ts';
import { checkHistory } from '../../../src/scenarios/history/check.ts';
import { failingRun } from '../../fixtures/report/samples.ts';

/**
 * A list key on which values 0-2 were acknowledged by 10.0.0.1; a read saw 0 and 1 (2 missing: stale), the last
 * saw only 2 (0 and 1 lost), and the two reads diverge.
 */
function verdict() {
  const h = new HistoryRecorder();
  h.declare('{a}:h:0', 'list');
  for (let i = 0; i < 3; i++) {
    const w = h.invokeWrite('{a}:h:0', 'writer');
    h.complete(w, 'ok', '10.0.0.1:6379');
  }
  const read = (values: string[]) => h.completeRead(h.invokeRead('{a}:h:0', 'reader'), values, '10.0.0.2:6379');
  read(['0', '1']);
  read(['2']);
  return checkHistory(h.keys(), { origin: Date.now() });
}

function report(): Report {
  const [s] = failingRun.scenarios;
  return { ...failingRun, scenarios: [{ ...s!, writes: { ...s!.writes!, history: verdict() } }] };
}

test('summary.md: the verdict in words and the first examples with their operations', () => {
  const md = renderMarkdown(report());
  assert.match(md, /History: 3 writes \(3 acknowledged, 0 refused, 0 indeterminate\) and 2 reads of 1 key\./);
  assert.match(md, /0 stable, 1 stale, 2 lost, 0 never read, 0 indeterminate/);
  assert.match(md, /1 read diverging from an earlier one \(two masters took writes for the same slots/);
  assert.match(md, /History anomalies: first examples \(4\)/);
  assert.match(md, /\| lost \| \{a\}:h:0 \| 0 \| writer wrote 0, -?\d+→-?\d+ ms, ok via 10\.0\.0\.1:6379 \|/);
  assert.match(md, /\| divergent reads \| \{a\}:h:0 \|/);
});

test('terminal: the verdict in words; report.json: the verdict whole', () => {
  assert.match(renderTerminal(report()), /History: 3 writes/);
  const json = JSON.parse(reportJson(report())) as Report;
  const h = json.scenarios[0]!.writes!.history!;
  assert.is(h.values.lost, 2);
  assert.is(h.divergence, 1);
  assert.is(h.examples.lost![0]!.write!.node, '10.0.0.1:6379');
});

test.run();
