// Every chart's data as a table (renderer/chart-table.ts): category charts by label and series, x/y
// charts by point, newest first and capped, skipped series left out, no NaN shown.
import { describe, expect, it } from 'vitest';
import { chartTable } from '../renderer/chart-table';

describe('chart data as a table', () => {
  it('gives a category chart a row per label and a column per series', () => {
    const t = chartTable({ labels: ['a', 'b'], datasets: [{ label: 'late', data: [1, 2.123456] }, { label: 'dropped', data: [0, null] }] }, { xTitle: 'tenant' });
    expect(t.head).toEqual(['tenant', 'late', 'dropped']);
    expect(t.rows).toEqual([['a', '1', '0'], ['b', '2.1235', '\u2013']]);
    expect(t.total).toBe(2);
    // Floating bars (min-max over seeds) read as a range.
    expect(chartTable({ labels: ['edf'], datasets: [{ label: 'min–max', data: [[0.25, 1.5]] }] }).rows).toEqual([['edf', '0.25 \u2013 1.5']]);
  });

  it('gives an x/y chart a row per point, newest first, capped, without the skipped series', () => {
    const t = chartTable({ datasets: [
      { label: 'det', data: [{ x: 0.1, y: 5 }, { x: 0.3, y: 7 }] },
      { label: 'kws', data: [{ x: 0.2, y: NaN }] },
      { label: 'det deadline', data: [{ x: 0, y: 25 }, { x: 5, y: 25 }] },
    ] }, { xTitle: 'time (s)', yTitle: 'latency (ms)', maxRows: 2, skip: (l) => / deadline$/.test(l) });
    expect(t.head).toEqual(['series', 'time (s)', 'latency (ms)']);
    expect(t.rows).toEqual([['det', '0.3', '7'], ['kws', '0.2', '\u2013']]);
    expect(t.total).toBe(3);
  });
});
