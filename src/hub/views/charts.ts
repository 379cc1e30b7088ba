/**
 * Charts drawn as SVG in the page, by the hub (no chart library, no script, nothing fetched):
 * bars by day for several series, horizontal bars for a ranking, a histogram and a line over
 * time. Each has a title, a scale with its unit, and a text alternative for screen readers.
 */
import { type Html, html } from '../html';

export interface Series {
  name: string;
  values: number[];
}

const WIDTH = 720;
const HEIGHT = 240;
const LEFT = 56;
const BOTTOM = 36;
const TOP = 24;
const RIGHT = 12;
const PLOT_W = WIDTH - LEFT - RIGHT;
const PLOT_H = HEIGHT - TOP - BOTTOM;
/** Colours told apart by most people with colour blindness (Okabe and Ito's). */
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];

/** The smallest 1, 2 or 5 times a power of ten at or above `v`. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * power).find((m) => m >= v) ?? 10 * power;
}

function label(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(n < 1 ? 2 : 1);
}

function frame(id: string, title: string, summary: string, body: Html | Html[], height = HEIGHT): Html {
  return html`<figure class="chart" id="${id}"><figcaption>${title}</figcaption>
<svg viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${title}: ${summary}"
 xmlns="http://www.w3.org/2000/svg"><title>${title}</title>${body}</svg></figure>`;
}

/** The vertical scale: gridlines and their values, from 0 to `max`, with the unit on top. */
function yAxis(max: number, unit: string): Html[] {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = TOP + PLOT_H * (1 - f);
    return html`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}" stroke="#ddd"/>
<text x="${LEFT - 6}" y="${y + 4}" text-anchor="end" font-size="11">${label(max * f)}</text>`;
  });
  return [...ticks, html`<text x="4" y="${TOP - 12}" font-size="11">${unit}</text>`];
}

/** Labels under the plot, thinned so that they do not overlap. */
function xLabels(labels: string[], centre: (i: number) => number): Html[] {
  const every = Math.max(1, Math.ceil(labels.length / 10));
  return labels.flatMap((l, i) =>
    i % every === 0
      ? [html`<text x="${centre(i)}" y="${HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11">${l}</text>`]
      : [],
  );
}

function legend(series: Series[]): Html[] {
  return series.map(
    (s, i) => html`<rect x="${LEFT + 8 + i * 110}" y="${HEIGHT - 12}" width="10" height="10" fill="${PALETTE[i % 8]}"/>
<text x="${LEFT + 22 + i * 110}" y="${HEIGHT - 3}" font-size="11">${s.name.slice(0, 14)}</text>`,
  );
}

function empty(): Html {
  return html`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" font-size="13">No data yet</text>`;
}

/** Bars for each label (a day), one per series side by side. */
export function groupedBars(id: string, title: string, labels: string[], series: Series[], unit: string): Html {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const slot = PLOT_W / Math.max(1, labels.length);
  const bar = Math.max(1, (slot * 0.8) / Math.max(1, series.length));
  const bars = series.flatMap((s, si) =>
    s.values.map((v, i) => {
      const h = (PLOT_H * v) / max;
      const x = LEFT + i * slot + slot * 0.1 + si * bar;
      return html`<rect x="${x}" y="${TOP + PLOT_H - h}" width="${bar}" height="${h}" fill="${PALETTE[si % 8]}"><title>${s.name}, ${labels[i]}: ${label(v)} ${unit}</title></rect>`;
    }),
  );
  const total = series.reduce((sum, s) => sum + s.values.reduce((a, b) => a + b, 0), 0);
  const summary = `${series.length} series over ${labels.length} days, ${label(total)} ${unit} in all`;
  const body = labels.length === 0 || series.length === 0 ? [empty()] : [];
  return frame(id, title, summary, [
    ...yAxis(max, unit),
    ...bars,
    ...xLabels(labels, (i) => LEFT + (i + 0.5) * slot),
    ...legend(series.slice(0, 6)),
    ...body,
  ]);
}

/** A ranking: one horizontal bar per item, largest first. */
export function rankedBars(
  id: string,
  title: string,
  items: Array<{ label: string; value: number }>,
  unit: string,
): Html {
  const rows = [...items].sort((a, b) => b.value - a.value).slice(0, 10);
  const max = niceMax(Math.max(0, ...rows.map((r) => r.value)));
  const rowH = 20;
  const height = Math.max(60, TOP + rows.length * rowH + 20);
  const width = PLOT_W - 80;
  const bars = rows.map((r, i) => {
    const y = TOP + i * rowH;
    const w = (width * r.value) / max;
    return html`<text x="${LEFT + 70}" y="${y + 14}" text-anchor="end" font-size="12">${r.label}</text>
<rect x="${LEFT + 76}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${PALETTE[0]}"/>
<text x="${LEFT + 80 + w}" y="${y + 14}" font-size="11">${label(r.value)} ${unit}</text>`;
  });
  const summary = rows.map((r) => `${r.label} ${label(r.value)} ${unit}`).join(', ') || 'none';
  const body = rows.length === 0 ? [html`<text x="${LEFT}" y="30" font-size="13">No data yet</text>`] : bars;
  return frame(id, title, summary, body, height);
}

/** How `values` spread: counts in equal bins from 0 to the largest. */
export function histogram(id: string, title: string, values: number[], unit: string, bins = 12): Html {
  const top = niceMax(Math.max(0, ...values));
  const width = top / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(v / width))]++;
  const labels = counts.map((_, i) => label(Number(((i + 1) * width).toPrecision(3))));
  const chart = groupedBars(id, title, values.length ? labels : [], [{ name: 'starts', values: counts }], 'starts');
  return html`${chart}<p class="chart-note">Bars count starts that took up to the ${unit} below each.</p>`;
}

/** A line through `points` (time in ms, value) with its times under it. */
export function lineOverTime(
  id: string,
  title: string,
  points: Array<{ at: number; value: number }>,
  unit: string,
): Html {
  if (points.length === 0) return frame(id, title, 'no data yet', [...yAxis(1, unit), empty()]);
  const max = niceMax(Math.max(1, ...points.map((p) => p.value)));
  const first = points[0].at;
  const span = Math.max(1, points[points.length - 1].at - first);
  const x = (at: number) => LEFT + (PLOT_W * (at - first)) / span;
  const y = (v: number) => TOP + PLOT_H * (1 - v / max);
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const when = (at: number) => new Date(at).toISOString().slice(5, 16).replace('T', ' ');
  const ticks = [0, 0.5, 1].map((f) => first + span * f);
  const ANCHORS = ['start', 'middle', 'end'];
  const summary = `from ${when(first)} to ${when(first + span)} UTC, at most ${Math.max(...points.map((p) => p.value))} ${unit}`;
  return frame(id, title, summary, [
    ...yAxis(max, unit),
    html`<path d="${path}" fill="none" stroke="${PALETTE[0]}" stroke-width="2"/>`,
    ...ticks.map(
      (at, i) =>
        html`<text x="${x(at)}" y="${HEIGHT - BOTTOM + 16}" text-anchor="${ANCHORS[i]}" font-size="11">${when(at)}</text>`,
    ),
  ]);
}
