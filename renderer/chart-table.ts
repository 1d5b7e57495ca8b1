// A chart's data as a table (the accessible "Show as table" of every chart): category charts give a
// row per label and a column per series; x/y charts (time series, scatter) a row per point with its
// series, newest first, capped. Pure: charts.ts renders what this returns.

export interface ChartDataLike {
  labels?: unknown[];
  datasets: { label?: string; data: unknown[] }[];
}

export interface ChartTable {
  head: string[];
  rows: string[][];
  /** Rows there would be without the cap. */
  total: number;
}

const num = (v: unknown, digits: number): string =>
  typeof v === 'number' ? (Number.isFinite(v) ? String(Number(v.toFixed(digits))) : '\u2013')
    : Array.isArray(v) ? v.map((x) => num(x, digits)).join(' \u2013 ') // a floating bar: [min, max]
      : v === null || v === undefined ? '\u2013' : String(v);

function xy(p: unknown): { x: unknown; y: unknown } | undefined {
  return p && typeof p === 'object' && 'y' in p ? (p as { x: unknown; y: unknown }) : undefined;
}

export function chartTable(d: ChartDataLike, o: { xTitle?: string; yTitle?: string; maxRows?: number; digits?: number; skip?: (label: string) => boolean } = {}): ChartTable {
  const maxRows = o.maxRows ?? 200;
  const digits = o.digits ?? 4;
  const sets = d.datasets.filter((s) => !o.skip?.(s.label ?? ''));
  const pointData = sets.some((s) => s.data.some((p) => xy(p) !== undefined));
  if (!pointData && d.labels?.length) {
    const rows = d.labels.map((label, i) => [String(label), ...sets.map((s) => num(s.data[i], digits))]);
    return { head: [o.xTitle ?? '', ...sets.map((s) => s.label ?? '')], rows: rows.slice(0, maxRows), total: rows.length };
  }
  const rows: { x: number; cells: string[] }[] = [];
  for (const s of sets) {
    for (const p of s.data) {
      const v = xy(p);
      if (!v) continue;
      rows.push({ x: typeof v.x === 'number' ? v.x : NaN, cells: [s.label ?? '', num(v.x, digits), num(v.y, digits)] });
    }
  }
  rows.sort((a, b) => (Number.isNaN(b.x) ? -1 : Number.isNaN(a.x) ? 1 : b.x - a.x));
  return { head: ['series', o.xTitle ?? 'x', o.yTitle ?? 'y'], rows: rows.slice(0, maxRows).map((r) => r.cells), total: rows.length };
}
