import { PATH_TEXT, phases, sortedTimeline } from './facts.ts';
import type { ScenarioResult } from './model.ts';
import { xmlText } from './xml.ts';

export function timelineSvgFile(scenario: Pick<ScenarioResult, 'name'>): string {
  return `timeline-${scenario.name}.svg`;
}

const WIDTH = 960;
const LEFT = 24;
const RIGHT = 24;
const AXIS_Y = 64;
const ROW = 24;
const FONT = 'font-family="sans-serif"';
/** Rough width of a 13px sans-serif character, to keep labels inside the picture. */
const CHAR_WIDTH = 7.5;

/** A tick step of 1, 2 or 5 × 10^n ms giving at most ~10 ticks. */
function tickStep(spanMs: number): number {
  const raw = spanMs / 10;
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
}

/**
 * The scenario's timeline as a self-contained SVG (no fonts, scripts or links): a ms axis from the pod
 * deletion, the phases between events as bars, and every event on its own row, labelled with its time.
 */
export function renderTimelineSvg(scenario: ScenarioResult): string {
  const events = sortedTimeline(scenario);
  const spans = phases(scenario);
  const from = Math.min(0, events[0]?.atMs ?? 0);
  const to = Math.max(1000, events.at(-1)?.atMs ?? 0);
  const step = tickStep(to - from);
  const start = Math.floor(from / step) * step;
  const end = Math.ceil(to / step) * step;
  const x = (ms: number) => LEFT + ((ms - start) / (end - start)) * (WIDTH - LEFT - RIGHT);
  const rows = spans.length + Math.max(events.length, 1);
  const height = AXIS_Y + 24 + rows * ROW + 16;
  const title = `${scenario.name} (${scenario.status.toUpperCase()})${scenario.path ? `: ${PATH_TEXT[scenario.path]}` : ''}`;

  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img">`,
    `<title>${xmlText(`${title}; times in ms after the pod was deleted`)}</title>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="22" ${FONT} font-size="15" font-weight="bold" fill="#111111">${xmlText(title)}</text>`,
    `<text x="${LEFT}" y="40" ${FONT} font-size="13" fill="#555555">ms after the pod was deleted</text>`,
    `<line x1="${LEFT}" y1="${AXIS_Y}" x2="${WIDTH - RIGHT}" y2="${AXIS_Y}" stroke="#333333"/>`,
  ];
  for (let t = start; t <= end; t += step) {
    const tx = x(t).toFixed(1);
    out.push(
      `<line x1="${tx}" y1="${AXIS_Y - 4}" x2="${tx}" y2="${height - 12}" stroke="#dddddd"/>`,
      `<text x="${tx}" y="${AXIS_Y - 8}" ${FONT} font-size="11" text-anchor="middle" fill="#333333">${t}</text>`,
    );
  }
  // A label sits right of its mark when it fits, else left of `leftOf` (a bar's start), else inside the bar from
  // its start (a long bar that spans the picture): none leaves the picture.
  const label = (rightOf: number, leftOf: number, y: number, text: string) => {
    const width = text.length * CHAR_WIDTH;
    const right = x(rightOf) + 8 + width <= WIDTH - 4;
    const left = !right && x(leftOf) - 8 - width >= 4;
    const lx = right ? x(rightOf) + 8 : left ? x(leftOf) - 8 : x(leftOf) + 8;
    return `<text x="${lx.toFixed(1)}" y="${y + 4}" ${FONT} font-size="13" text-anchor="${left ? 'end' : 'start'}" fill="#111111">${xmlText(text)}</text>`;
  };
  const firstEventRow = AXIS_Y + 24 + spans.length * ROW;
  // Guide lines first, so bars and labels are drawn over them.
  events.forEach((e, i) => {
    const ex = x(e.atMs).toFixed(1);
    out.push(
      `<line x1="${ex}" y1="${AXIS_Y}" x2="${ex}" y2="${firstEventRow + i * ROW}" stroke="#bbbbbb" stroke-dasharray="2,3"/>`,
    );
  });
  spans.forEach((p, i) => {
    const y = AXIS_Y + 24 + i * ROW;
    const x1 = x(p.fromMs);
    const w = Math.max(2, x(p.toMs) - x1);
    const fill = p.critical ? '#f3b3ba' : '#b4d2f0';
    out.push(`<rect x="${x1.toFixed(1)}" y="${y - 7}" width="${w.toFixed(1)}" height="14" rx="3" fill="${fill}"/>`);
    out.push(label(p.toMs, p.fromMs, y, `${p.label}: ${Math.round(p.toMs - p.fromMs)} ms`));
  });
  if (events.length === 0) {
    out.push(
      `<text x="${LEFT}" y="${firstEventRow + 4}" ${FONT} font-size="13" fill="#555555">No timeline events were recorded.</text>`,
    );
  }
  events.forEach((e, i) => {
    const y = firstEventRow + i * ROW;
    const ex = x(e.atMs).toFixed(1);
    out.push(
      '<g>',
      `<title>${xmlText(e.detail ? `${e.event}: ${e.detail}` : e.event)}</title>`,
      `<circle cx="${ex}" cy="${y}" r="5" fill="${e.event === 'pod-deleted' ? '#d73a49' : '#24292e'}"/>`,
      label(e.atMs, e.atMs, y, `${e.event} ${Math.round(e.atMs)} ms`),
      '</g>',
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}
