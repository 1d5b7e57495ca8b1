// chart.js for every view: registered once, with the app's fonts and one palette so that a lane or
// a tenant keeps its colour across charts. Views build their own chart configs; this module only
// holds what they share.
import { Chart, registerables, type ChartConfiguration, type ChartType } from 'chart.js';

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
