import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ScenarioResult } from '../../../src/report/model.ts';
import { renderMarkdown } from '../../../src/report/markdown.ts';
import { renderTimelineSvg } from '../../../src/report/svg.ts';
import { failingRun, passingRun } from '../../fixtures/report/samples.ts';
import { records, tablesByHeading } from './markdown-tables.ts';
import { xmllint } from './xmllint.ts';

const scenario = passingRun.scenarios[0]!;

test('the timeline SVG is well-formed XML and shows every event with its time', () => {
  for (const s of [scenario, failingRun.scenarios[0]!]) {
    const svg = renderTimelineSvg(s);
    const r = xmllint(['--noout'], svg);
    assert.ok(r.ok, r.output);
    for (const e of s.timeline) assert.match(svg, `>${e.event} ${e.atMs} ms</text>`);
  }
});

test('the SVG shows the same events as the Markdown timeline table', () => {
  const table = tablesByHeading(renderMarkdown(passingRun)).get('master-failover: PASS / Timeline')!;
  const fromMarkdown = records(table).map((r) => `${r.Event} ${r['ms after deletion']} ms`);
  const fromSvg = [...renderTimelineSvg(scenario).matchAll(/<circle [^>]*\/>\n<text [^>]*>([^<]*)<\/text>/g)].map(
    (m) => m[1],
  );
  assert.equal(fromSvg, fromMarkdown);
});

test('it is self-contained: no scripts, links, external fonts or images', () => {
  const svg = renderTimelineSvg(scenario);
  assert.not.match(svg, /<script|href=|@import|url\(|<image|@font-face/i);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="960" height="\d+" viewBox="0 0 960 \d+"/);
});

test('the phases between events are drawn with their length', () => {
  const svg = renderTimelineSvg(scenario);
  assert.match(svg, '>writes refused: 7087 ms</text>');
  assert.match(svg, '>failover: 7108 ms</text>');
  assert.match(svg, '>rejoin: 2641 ms</text>');
});

test('one rejoin time: without a hold the rejoin bar and the timings agree (counted from the deletion)', () => {
  const noHold: ScenarioResult = {
    ...scenario,
    holdRestart: false,
    timeline: scenario.timeline.filter((e) => e.event !== 'hold-released'),
    timings: { ...scenario.timings, rejoinMs: 10_061 },
  };
  const svg = renderTimelineSvg(noHold);
  assert.match(svg, '>rejoin: 10061 ms</text>');
  const run = { ...passingRun, scenarios: [noHold] };
  const md = renderMarkdown(run);
  assert.match(md, 'rejoin 10061 ms :');
  assert.match(md, '| Rejoin (hold released, or the pod deleted when not held, to the old pod rejoined) | 10061 ms |');
});

test('event details with < & | are escaped', () => {
  const nasty: ScenarioResult = {
    ...scenario,
    timeline: [
      ...scenario.timeline,
      { event: 'redis-up', atMs: 12_000, detail: 'ERR <loading> & "quoted" | \u0001 raw' },
    ],
  };
  const svg = renderTimelineSvg(nasty);
  assert.ok(xmllint(['--noout'], svg).ok);
  assert.match(svg, '<title>redis-up: ERR &lt;loading&gt; &amp; "quoted" | \\u0001 raw</title>');
});

test('a scenario without events still renders, and says so', () => {
  const svg = renderTimelineSvg({ ...scenario, timeline: [] });
  assert.ok(xmllint(['--noout'], svg).ok);
  assert.match(svg, 'No timeline events were recorded.');
});

test.run();
