// chart.js for every view: registered once, with the app's fonts and one palette so that a lane or
// a tenant keeps its colour across charts. Views build their own chart configs; this module only
// holds what they share.
import { Chart, registerables, type ChartConfiguration, type ChartType } from 'chart.js';
import { chartTable, type ChartDataLike } from './chart-table';

Chart.register(...registerables);
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.font.size = 12;
Chart.defaults.color = '#475467';
Chart.defaults.maintainAspectRatio = false;

export { Chart };

const PALETTE = ['#3056d3', '#e8590c', '#1a7f4b', '#b42318', '#7a5af8', '#0e9384', '#c11574', '#854a0e', '#475467', '#2e90fa'];

/** The i-th colour of the palette (wraps around). */
export function color(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** A colour with alpha, from a #rrggbb palette colour. */
export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/**
 * Creates a chart in a sized box (`.chart-box`, height from CSS) and returns it with the box; the
 * caller destroys the chart when its view goes away (chart.destroy()).
 */
export function chartIn<T extends ChartType>(config: ChartConfiguration<T>, attrs: { testId?: string; height?: number } = {}): { box: HTMLDivElement; chart: Chart<T> } {
  const box = document.createElement('div');
  box.className = 'chart-box';
  if (attrs.height) box.style.height = `${attrs.height}px`;
  if (attrs.testId) box.dataset.testid = attrs.testId;
  const canvas = document.createElement('canvas');
  box.append(canvas);
  const chart = new Chart(canvas, config);
  return { box, chart };
}

// ---------------------------------------------------------------------------------------------
// Markers on time charts: vertical lines (policy switches) and ticks on the time axis (drops), drawn
// by a small plugin of our own over any chart with a linear x scale. Kept beside the chart (not in
// its options) so that chart.js does not wrap hundreds of drops in its option resolver.

export interface ChartMarkers {
  /** Full-height dashed lines with a label at the top, e.g. "→ edf". */
  lines?: { x: number; label: string }[];
  /** Small triangles on the x axis, e.g. one per dropped frame. */
  ticks?: { x: number }[];
}

const MARKER_LINE = '#7a5af8';
const MARKER_TICK = '#b42318';
const markers = new WeakMap<Chart, ChartMarkers>();

/** Sets (replaces) the markers a chart draws on its next update. */
export function setMarkers(chart: Chart<any>, m: ChartMarkers): void {
  markers.set(chart as Chart, m);
}

Chart.register({
  id: 'tesseraMarkers',
  afterDatasetsDraw(chart) {
    const m = markers.get(chart as Chart);
    const x = chart.scales.x;
    if (!m || !x) return;
    const { top, bottom, left, right } = chart.chartArea;
    const ctx = chart.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top - 14, right - left, bottom - top + 20);
    ctx.clip();
    // One path for all ticks, one per pixel column at most (a burst of drops is one dense row of ticks).
    ctx.fillStyle = MARKER_TICK;
    ctx.beginPath();
    let lastPx = -Infinity;
    for (const t of [...(m.ticks ?? [])].sort((a, b) => a.x - b.x)) {
      const px = Math.round(x.getPixelForValue(t.x));
      if (px < left || px > right || px - lastPx < 2) continue;
      lastPx = px;
      ctx.moveTo(px, bottom - 7);
      ctx.lineTo(px - 4, bottom);
      ctx.lineTo(px + 4, bottom);
      ctx.closePath();
    }
    ctx.fill();
    ctx.strokeStyle = MARKER_LINE;
    ctx.fillStyle = MARKER_LINE;
    ctx.lineWidth = 1.5;
    ctx.font = 'bold 11px system-ui, sans-serif';
    for (const l of m.lines ?? []) {
      const px = Math.round(x.getPixelForValue(l.x)) + 0.5;
      if (px < left || px > right) continue;
      ctx.setLineDash([5, 3]);
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillText(l.label, Math.min(px + 4, right - ctx.measureText(l.label).width - 2), top + 11);
    }
    ctx.restore();
  },
});

// ---------------------------------------------------------------------------------------------
// Every chart's data as a table: an accessible toggle beside the chart (chart-table.ts makes the rows).

const tables = new WeakMap<Chart, () => void>();
let tableIds = 0;

/**
 * Wraps a chart's box with a "Show as table" toggle: pressed, the chart's data shows as a table in
 * place of the canvas, and follows the chart's updates (live charts too).
 */
export function withTable(box: HTMLElement, chart: Chart<any>, o: { caption: string; xTitle?: string; yTitle?: string; maxRows?: number; digits?: number; skip?: (label: string) => boolean }): HTMLElement {
  const id = `chart-table-${++tableIds}`;
  const holder = document.createElement('div');
  holder.id = id;
  holder.className = 'chart-table';
  holder.hidden = true;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'secondary small chart-table-toggle';
  button.setAttribute('aria-pressed', 'false');
  button.setAttribute('aria-controls', id);
  button.textContent = 'Show as table';
  if (box.dataset.testid) button.dataset.testid = `${box.dataset.testid}-table-toggle`;
  const render = () => {
    const t = chartTable(chart.data as ChartDataLike, o);
    const table = document.createElement('table');
    table.className = 'data chart-data-table';
    const cap = document.createElement('caption');
    cap.textContent = `${o.caption}${t.total > t.rows.length ? ` (the newest ${t.rows.length} of ${t.total} points)` : ''}`;
    table.append(cap);
    const thead = table.createTHead().insertRow();
    for (const hd of t.head) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = hd;
      thead.append(th);
    }
    const tbody = table.createTBody();
    for (const r of t.rows) {
      const tr = tbody.insertRow();
      r.forEach((c, i) => {
        const td = tr.insertCell();
        td.textContent = c;
        if (i > 0) td.className = 'num';
      });
    }
    if (t.rows.length === 0) {
      const td = tbody.insertRow().insertCell();
      td.colSpan = t.head.length;
      td.textContent = 'No data yet.';
    }
    holder.replaceChildren(table);
  };
  button.addEventListener('click', () => {
    const show = holder.hidden;
    holder.hidden = !show;
    box.hidden = show;
    button.setAttribute('aria-pressed', String(show));
    button.textContent = show ? 'Show as chart' : 'Show as table';
    if (show) {
      render();
      tables.set(chart as Chart, render);
    } else tables.delete(chart as Chart);
  });
  const wrap = document.createElement('div');
  wrap.className = 'chart-with-table';
  const bar = document.createElement('div');
  bar.className = 'chart-table-bar';
  bar.append(button);
  wrap.append(bar, box, holder);
  return wrap;
}

Chart.register({
  id: 'tesseraTables',
  afterUpdate(chart) {
    tables.get(chart as Chart)?.();
  },
});
