// Pure logic of the Models & profiles view: form parsing, per-layer rows and their sorting, the
// heat-map scaling (latency relative to the layer's preferred lane), whole-model vs sum of layers,
// chart series and formats. No DOM here: the view stays thin and this module is unit-tested.
import type { EnergyFigure, LaneInfo, LaneMeasurement, Profile } from '../../profiler/types';
import { DASH, fmtMsBare, fmtNum, fmtPct, fmtRatio } from '../format';

export { DASH, fmtDate, fmtMsBare, fmtNum, fmtPct, fmtRatio, fmtSec } from '../format';

// ---------------------------------------------------------------------------------------------
// Formats (never show NaN / undefined: a missing figure is an en dash). The general ones are
// renderer/format.ts; here only the profile-specific units.

/** FLOPs as GFLOPs with enough digits for tiny layers. */
export function fmtGflops(flops: number): string {
  const g = flops / 1e9;
  if (g === 0) return '0';
  if (g < 1e-6) return '<0.000001';
  return g >= 10 ? g.toFixed(1) : g >= 0.01 ? g.toFixed(3) : g.toPrecision(2);
}

/** Bytes as MB (10^6). */
export function fmtMB(bytes: number): string {
  const mb = bytes / 1e6;
  if (mb === 0) return '0';
  return mb >= 10 ? mb.toFixed(1) : mb >= 0.01 ? mb.toFixed(3) : mb.toPrecision(2);
}

/** Joules as millijoules. */
export function fmtMJ(joules: number | undefined): string {
  if (joules === undefined || !Number.isFinite(joules)) return DASH;
  const mj = joules * 1000;
  if (mj === 0) return '0';
  return mj >= 100 ? mj.toFixed(0) : mj >= 1 ? mj.toFixed(2) : mj.toPrecision(2);
}

export function fmtGranularity(g: Profile['granularity']): string {
  return typeof g === 'number' ? `${g} layers` : g === 'group' ? 'group (default)' : 'node';
}

export function fmtShapes(shapes: Record<string, number[]>): string {
  const e = Object.entries(shapes);
  return e.length ? e.map(([k, v]) => `${k}=${v.length ? v.join('\u00d7') : 'scalar'}`).join(', ') : DASH;
}

/** The label of an energy figure: measured (meter) or ESTIMATE (model). */
export function energyKind(e: EnergyFigure | undefined): { text: 'measured' | 'estimate'; kind: 'ok' | 'warn'; title: string } | undefined {
  if (!e) return undefined;
  return e.source.kind === 'measured'
    ? { text: 'measured', kind: 'ok', title: `measured: ${e.source.detail}` }
    : { text: 'estimate', kind: 'warn', title: `ESTIMATE, not measured: ${e.source.detail}` };
}

// ---------------------------------------------------------------------------------------------
// The "New profile" form

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

function splitEntries(text: string): string[] {
  return text
    .split(/[;\n]+|\s+(?=[^\s=]+=)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Input shapes for dynamic dims: "input=1,3,224,224" (also 1x3x224x224); several separated by ";",
 * new lines or spaces. Empty text: no shapes.
 */
export function parseShapes(text: string): ParseResult<Record<string, number[]> | undefined> {
  const entries = splitEntries(text);
  if (entries.length === 0) return { ok: true, value: undefined };
  const out: Record<string, number[]> = {};
  for (const e of entries) {
    const eq = e.indexOf('=');
    const name = e.slice(0, eq).trim();
    const rest = e.slice(eq + 1).trim();
    const dims = rest === '' ? [] : rest.split(/\s*[,x\u00d7]\s*/).map((d) => Number(d));
    if (eq <= 0 || rest === '' || dims.some((d) => !Number.isInteger(d) || d < 0)) {
      return { ok: false, error: `bad shape "${e}": expected NAME=D1,D2,... with non-negative integers, e.g. input=1,3,224,224` };
    }
    if (name in out) return { ok: false, error: `shape for "${name}" given twice` };
    out[name] = dims;
  }
  return { ok: true, value: out };
}

/** Sample input values: "sr=16000" or "mask=1,1,0"; several separated by ";" or spaces. */
export function parseInputValues(text: string): ParseResult<Record<string, number | number[]> | undefined> {
  const entries = splitEntries(text);
  if (entries.length === 0) return { ok: true, value: undefined };
  const out: Record<string, number | number[]> = {};
  for (const e of entries) {
    const eq = e.indexOf('=');
    const name = e.slice(0, eq).trim();
    const list = e.slice(eq + 1).split(',').map((x) => x.trim());
    const nums = list.map(Number);
    if (eq <= 0 || list.some((x) => x === '') || nums.some((x) => !Number.isFinite(x))) {
      return { ok: false, error: `bad input value "${e}": expected NAME=NUMBER or NAME=N1,N2,..., e.g. sr=16000` };
    }
    out[name] = nums.length === 1 ? nums[0] : nums;
  }
  return { ok: true, value: out };
}

export function parseGranularity(mode: string, layers: string): ParseResult<Profile['granularity']> {
  if (mode === 'group' || mode === 'node') return { ok: true, value: mode };
  const n = Number(layers);
  if (!Number.isInteger(n) || n <= 0) return { ok: false, error: `"N layers" needs a whole number of layers above 0 (got "${layers}")` };
  return { ok: true, value: n };
}

export function parseBudget(text: string): ParseResult<number> {
  const x = Number(text);
  if (!Number.isFinite(x) || x <= 0 || x > 86_400) return { ok: false, error: `the time budget must be a number of seconds above 0 (got "${text}")` };
  return { ok: true, value: x };
}

export interface LaneChoice {
  id: string;
  label: string;
  disabled: boolean;
  reason?: string;
  checked: boolean;
}

/** Lane checkboxes: unavailable lanes disabled with their reason; the CPU lane with the most threads checked by default (the engine's default lane). */
export function laneChoices(lanes: LaneInfo[]): LaneChoice[] {
  const cpu = lanes.filter((l) => l.ep === 'cpu' && !l.error && !l.id.includes('#'));
  const best = cpu.reduce<LaneInfo | undefined>((a, l) => (!a || (l.threads ?? 0) > (a.threads ?? 0) ? l : a), undefined);
  return lanes.map((l) => ({
    id: l.id,
    label: l.ep === 'cpu' ? `${l.id} (CPU, ${l.threads ?? '?'} thread${l.threads === 1 ? '' : 's'}${l.id.includes('#') ? ', a second lane' : ''})` : `${l.id} (${l.ep})`,
    disabled: Boolean(l.error),
    reason: l.error,
    checked: !l.error && l.id === best?.id,
  }));
}

// ---------------------------------------------------------------------------------------------
// Per-layer rows and sorting

export interface LaneCell {
  lane: string;
  m?: LaneMeasurement;
  latencyMs?: number;
  /** p5 and p95 with the lane's per-call baseline subtracted (like latencyMs), ms. */
  p5Ms?: number;
  p95Ms?: number;
  inGraphMs?: number;
  cutToInGraph?: number;
  gap?: number;
  preferred: boolean;
}

export interface LayerRow {
  index: number;
  name: string;
  ops: string;
  flops: number;
  bytesMoved: number;
  preferredLane?: string;
  cells: LaneCell[];
  fallback: string[];
  errors: string[];
}

export function layerRows(p: Profile): LayerRow[] {
  const laneIds = p.lanes.map((l) => l.id);
  const deadLanes = new Set(p.lanes.filter((l) => l.error).map((l) => l.id));
  const baseline = new Map(p.lanes.map((l) => [l.id, l.baselineMs ?? 0]));
  const sub = (x: number | undefined, id: string) => (x === undefined ? undefined : Math.max(0, x - (baseline.get(id) ?? 0)));
  return p.layers.map((l) => {
    const cells = laneIds.map((id): LaneCell => {
      const m = l.lanes.find((x) => x.lane === id);
      const ok = m && !m.error;
      return { lane: id, m, latencyMs: ok ? m.latencyMs : undefined, p5Ms: ok ? sub(m.raw?.p5, id) : undefined, p95Ms: ok ? sub(m.raw?.p95, id) : undefined, inGraphMs: l.inGraphMs?.[id], cutToInGraph: l.cutToInGraph?.[id], gap: l.gapToPreferred?.[id], preferred: l.preferredLane === id };
    });
    return {
      index: l.index,
      name: l.name,
      ops: l.opTypes.join('+'),
      flops: l.flops,
      bytesMoved: l.bytesMoved,
      preferredLane: l.preferredLane,
      cells,
      fallback: [...new Set(l.lanes.flatMap((m) => (m.fallbackNodes?.length ? [`${m.lane}: ${m.fallbackNodes.join(', ')}`] : [])))],
      errors: l.lanes.filter((m) => m.error && !deadLanes.has(m.lane)).map((m) => `${m.lane}: ${m.error}`),
    };
  });
}

/** Sort keys: index, name, ops, flops, bytes, preferred, or per lane `ms:<lane>`, `n:<lane>`, `gflops:<lane>`, `energy:<lane>`, `ingraph:<lane>`, `gap:<lane>`. */
export type SortKey = string;
export interface SortState {
  key: SortKey;
  dir: 'asc' | 'desc';
}

export function sortValue(r: LayerRow, key: SortKey): number | string | undefined {
  switch (key) {
    case 'index':
      return r.index;
    case 'name':
      return r.name.toLowerCase();
    case 'ops':
      return r.ops.toLowerCase();
    case 'flops':
      return r.flops;
    case 'bytes':
      return r.bytesMoved;
    case 'preferred':
      return r.preferredLane;
  }
  const colon = key.indexOf(':');
  const what = key.slice(0, colon);
  const cell = r.cells.find((c) => c.lane === key.slice(colon + 1));
  if (!cell) return undefined;
  switch (what) {
    case 'ms':
      return cell.latencyMs;
    case 'n':
      return cell.m?.raw?.n;
    case 'gflops':
      return cell.m?.achievedGflops;
    case 'energy':
      return cell.m?.energy?.joulesPerRun;
    case 'ingraph':
      return cell.inGraphMs;
    case 'gap':
      return cell.gap;
  }
  return undefined;
}

/** Sorted copy; rows without a value go last in either direction; ties keep layer order. */
export function sortRows(rows: LayerRow[], s: SortState): LayerRow[] {
  const sign = s.dir === 'asc' ? 1 : -1;
  return rows
    .map((r) => ({ r, v: sortValue(r, s.key) }))
    .sort((a, b) => {
      const av = a.v;
      const bv = b.v;
      if (av === undefined || bv === undefined || (typeof av === 'number' && Number.isNaN(av)) || (typeof bv === 'number' && Number.isNaN(bv))) {
        const am = av === undefined || Number.isNaN(av as number);
        const bm = bv === undefined || Number.isNaN(bv as number);
        if (am !== bm) return am ? 1 : -1;
        return a.r.index - b.r.index;
      }
      const c = typeof av === 'number' && typeof bv === 'number' ? av - bv : String(av).localeCompare(String(bv));
      return c !== 0 ? sign * c : a.r.index - b.r.index;
    })
    .map((x) => x.r);
}

/** Clicking a header: a new column sorts ascending (numbers of cost: descending first); the same column flips. */
export function nextSort(cur: SortState, key: SortKey): SortState {
  if (cur.key === key) return { key, dir: cur.dir === 'asc' ? 'desc' : 'asc' };
  const textual = key === 'index' || key === 'name' || key === 'ops' || key === 'preferred';
  return { key, dir: textual ? 'asc' : 'desc' };
}

// ---------------------------------------------------------------------------------------------
// Heat map: each cell's latency relative to its layer's preferred lane

/** Ratio at which the colour saturates (red). */
export const HEAT_MAX_RATIO = 8;

export interface HeatCell {
  /** latency / preferred lane's latency; undefined when it cannot be formed. */
  ratio?: number;
  /** 0 (the preferred lane) .. 1 (HEAT_MAX_RATIO times slower or more), log scale; undefined: no colour. */
  t?: number;
  color: string;
  text: string;
  title: string;
}

const STOPS: [number, [number, number, number]][] = [
  [0, [0xd1, 0xfa, 0xdf]],
  [0.5, [0xfe, 0xf0, 0xc7]],
  [1, [0xfd, 0xa2, 0x9b]],
];

/** Green (0) -> amber (0.5) -> red (1), as #rrggbb. */
export function heatColor(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 1));
  let k = 0;
  while (k < STOPS.length - 2 && x > STOPS[k + 1][0]) k++;
  const [t0, c0] = STOPS[k];
  const [t1, c1] = STOPS[k + 1];
  const f = (x - t0) / (t1 - t0);
  return '#' + c0.map((c, i) => Math.round(c + (c1[i] - c) * f).toString(16).padStart(2, '0')).join('');
}

/** Log-scaled position of a ratio >= 1 between 1 (0) and HEAT_MAX_RATIO (1). */
export function heatScale(ratio: number): number {
  if (!(ratio > 1)) return 0;
  return Math.min(1, Math.log(ratio) / Math.log(HEAT_MAX_RATIO));
}

export function heatCell(latencyMs: number | undefined, preferredMs: number | undefined, error?: string): HeatCell {
  if (error) return { color: '#eef0f4', text: 'error', title: error };
  if (latencyMs === undefined) return { color: '#ffffff', text: DASH, title: 'not measured' };
  if (preferredMs === undefined) return { color: '#ffffff', text: fmtMsBare(latencyMs), title: `${fmtMsBare(latencyMs)} ms` };
  let ratio: number | undefined;
  if (preferredMs > 0) ratio = latencyMs / preferredMs;
  else if (latencyMs === 0) ratio = 1;
  if (ratio === undefined) {
    // The preferred lane ran this layer within its per-call baseline (0 ms after subtraction): no finite ratio.
    return { t: 1, color: heatColor(1), text: fmtMsBare(latencyMs), title: `${fmtMsBare(latencyMs)} ms; the preferred lane is at its per-call baseline (0 ms), so no ratio` };
  }
  const t = heatScale(ratio);
  return { ratio, t, color: heatColor(t), text: fmtMsBare(latencyMs), title: `${fmtMsBare(latencyMs)} ms, ${fmtRatio(ratio)} the preferred lane` };
}

export function heatRows(p: Profile): { index: number; name: string; cells: (HeatCell & { lane: string; preferred: boolean })[] }[] {
  return layerRows(p).map((r) => {
    const pref = r.cells.find((c) => c.preferred)?.latencyMs;
    return { index: r.index, name: r.name, cells: r.cells.map((c) => ({ ...heatCell(c.latencyMs, pref, c.m?.error), lane: c.lane, preferred: c.preferred })) };
  });
}

// ---------------------------------------------------------------------------------------------
// Whole model vs sum of layers, chart series

export interface WholeRow {
  lane: string;
  /** GPU lanes: the adapter the lane ran on (software adapters get a SOFTWARE label). */
  adapter?: { name: string; vendor: string; software: boolean };
  wholeMs?: number;
  p5?: number;
  p95?: number;
  n?: number;
  ciRel?: number;
  sumLayersMs?: number;
  /** Layers measured on this lane / all layers. */
  measuredLayers: number;
  layers: number;
  /** Sum of layer medians / whole-model median (the engine's cutOverhead where present). */
  overhead?: number;
  inGraphKernelMs?: number;
  energy?: EnergyFigure;
  error?: string;
}

/** What the GFLOP/s cell shows: the figures, "unresolved" with why (the profiler's rule, profiler/stats.ts), or nothing. */
export type ThroughputCell = { kind: 'value'; text: string; sub: string } | { kind: 'unresolved'; text: string; why: string } | { kind: 'none' };

export function throughputCell(m: LaneMeasurement | undefined): ThroughputCell {
  if (!m || m.error) return { kind: 'none' };
  if (m.unresolved) return { kind: 'unresolved', text: 'unresolved', why: `No throughput: the latency is not resolved (${m.unresolved}).` };
  if (m.achievedGflops === undefined) return { kind: 'none' };
  return { kind: 'value', text: fmtNum(m.achievedGflops), sub: m.peakFraction !== undefined ? `${fmtPct(m.peakFraction, 0)} of peak` : '' };
}

export function wholeRows(p: Profile): WholeRow[] {
  return p.lanes.map((l) => {
    const w = p.wholeModel.find((m) => m.lane === l.id);
    const ms = p.layers.map((x) => x.lanes.find((m) => m.lane === l.id)?.latencyMs).filter((x): x is number => x !== undefined);
    const sum = ms.length ? ms.reduce((a, b) => a + b, 0) : undefined;
    const overhead = p.cutOverhead?.[l.id] ?? (sum !== undefined && ms.length === p.layers.length && w?.latencyMs ? sum / w.latencyMs : undefined);
    return {
      lane: l.id,
      ...(l.adapter ? { adapter: { name: l.adapter.name, vendor: l.adapter.vendor, software: l.adapter.software } } : {}),
      wholeMs: w?.latencyMs,
      p5: w?.raw?.p5,
      p95: w?.raw?.p95,
      n: w?.raw?.n,
      ciRel: w?.raw?.ciHalfWidthRel,
      sumLayersMs: sum,
      measuredLayers: ms.length,
      layers: p.layers.length,
      overhead,
      inGraphKernelMs: p.inGraph?.[l.id]?.totalKernelMs,
      energy: w?.energy,
      error: l.error ?? w?.error,
    };
  });
}

export function chartSeries(p: Profile): { labels: string[]; names: string[]; lanes: { id: string; data: (number | null)[] }[] } {
  return {
    labels: p.layers.map((l) => `#${l.index}`),
    names: p.layers.map((l) => l.name),
    lanes: p.lanes
      .filter((l) => !l.error)
      .map((l) => ({ id: l.id, data: p.layers.map((x) => { const m = x.lanes.find((y) => y.lane === l.id); return m && !m.error && m.latencyMs !== undefined ? m.latencyMs : null; }) })),
  };
}

/** (layer, lane) pairs measured / all, for partial profiles. */
export function measuredPairs(p: Profile): { done: number; total: number } {
  let done = 0;
  for (const l of p.layers) for (const m of l.lanes) if (m.raw || m.error) done++;
  return { done, total: p.layers.length * p.lanes.length };
}

/** Drift of a lane's whole-model median across the run: flagged beyond +-10%. */
export function driftFlag(d: LaneInfo['drift']): { text: string; kind: 'ok' | 'warn' } | undefined {
  if (!d) return undefined;
  const pct = (d.ratio - 1) * 100;
  return { text: `${pct >= 0 ? '+' : ''}${pct.toFixed(0)}% (${fmtMsBare(d.beforeMs)} \u2192 ${fmtMsBare(d.afterMs)} ms)`, kind: Math.abs(pct) > 10 ? 'warn' : 'ok' };
}

/** Progress from the engine's job progress (fraction may be missing early on). */
export function progressPercent(fraction: number | undefined): number {
  if (fraction === undefined || !Number.isFinite(fraction)) return 0;
  return Math.round(Math.min(1, Math.max(0, fraction)) * 100);
}

// ---------------------------------------------------------------------------------------------
// The summary at the top of a profile: what the user came for, before the details.

export interface SummaryLane {
  lane: string;
  /** Whole-model median with the lane's per-call baseline subtracted, ms (as in the whole-model table). */
  p50Ms: number;
  /** Whole-model p95, baseline subtracted, ms. */
  p95Ms?: number;
  /** Back-to-back frames per second, one at a time: 1000 / the raw median (per-call overhead included). */
  fps?: number;
  best: boolean;
}

export interface SummarySlowLayer {
  index: number;
  name: string;
  ops: string;
  lane: string;
  ms: number;
  /** Share of the sum of the layers' medians on that lane. */
  share?: number;
}

export interface ProfileSummaryView {
  lanes: SummaryLane[];
  slowest: SummarySlowLayer[];
  /** ok: every check passed; bad: a check failed; partial: passed but not every (layer, lane) was measured. */
  verdict: { kind: 'ok' | 'bad' | 'partial'; text: string; details: string[] };
}

/** The whole-model figures per lane, the `n` slowest layers (on their preferred lane) and the verification verdict. */
export function profileSummary(p: Profile, n = 5): ProfileSummaryView {
  const baseline = new Map(p.lanes.map((l) => [l.id, l.baselineMs ?? 0]));
  const lanes: SummaryLane[] = [];
  for (const l of p.lanes) {
    const w = p.wholeModel.find((m) => m.lane === l.id);
    if (l.error || !w || w.error || w.latencyMs === undefined) continue;
    const b = baseline.get(l.id) ?? 0;
    const rawMedian = w.raw?.median;
    lanes.push({ lane: l.id, p50Ms: w.latencyMs, p95Ms: w.raw ? Math.max(0, w.raw.p95 - b) : undefined, fps: rawMedian && rawMedian > 0 ? 1000 / rawMedian : undefined, best: false });
  }
  const fastest = lanes.reduce<SummaryLane | undefined>((a, x) => (!a || x.p50Ms < a.p50Ms ? x : a), undefined);
  if (fastest && lanes.length > 1) fastest.best = true;

  const laneSum = new Map<string, number>();
  for (const l of p.layers) for (const m of l.lanes) if (!m.error && m.latencyMs !== undefined) laneSum.set(m.lane, (laneSum.get(m.lane) ?? 0) + m.latencyMs);
  const slowest = p.layers
    .map((l): SummarySlowLayer | undefined => {
      const m = l.lanes.find((x) => x.lane === l.preferredLane && !x.error && x.latencyMs !== undefined);
      if (!m || m.latencyMs === undefined) return undefined;
      const sum = laneSum.get(m.lane);
      return { index: l.index, name: l.name, ops: l.opTypes.join('+'), lane: m.lane, ms: m.latencyMs, share: sum && sum > 0 ? m.latencyMs / sum : undefined };
    })
    .filter((x): x is SummarySlowLayer => x !== undefined)
    .sort((a, b) => b.ms - a.ms || a.index - b.index)
    .slice(0, n);

  const v = p.verification;
  const details: string[] = [`chained layers vs the whole model: max rel error ${v.maxRelError.toExponential(1)} (tolerance ${v.tolerance.rel})`];
  const laneChecks = Object.entries(v.lanes ?? {});
  for (const [id, x] of laneChecks) details.push(`on ${id}: max rel ${x.maxRelError.toExponential(1)} (tolerance ${x.tolerance.rel})${x.passed ? '' : ' FAILED'}`);
  const failedLanes = laneChecks.filter(([, x]) => !x.passed).map(([id]) => id);
  const m = measuredPairs(p);
  let verdict: ProfileSummaryView['verdict'];
  if (!v.passed || failedLanes.length) {
    verdict = { kind: 'bad', text: !v.passed ? 'Verification FAILED: the chained layers do not reproduce the model' : `Verification FAILED on ${failedLanes.join(', ')}`, details };
  } else if (p.status !== 'complete') {
    verdict = { kind: 'partial', text: `Verified, but partial: ${m.done} of ${m.total} (layer, lane) measurements`, details };
  } else {
    verdict = { kind: 'ok', text: `Verified: the chained layers reproduce the model${laneChecks.length ? ' on every lane' : ''}`, details };
  }
  return { lanes, slowest, verdict };
}

// ---------------------------------------------------------------------------------------------
// The layer table's filter box

/**
 * Rows whose index, name, ops or preferred lane contain every word of the query (case-insensitive);
 * "#12" matches layer 12 exactly. Empty query: every row.
 */
export function filterRows(rows: LayerRow[], query: string): LayerRow[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return rows;
  return rows.filter((r) => {
    const hay = `${r.name} ${r.ops} ${r.preferredLane ?? ''}`.toLowerCase();
    return words.every((w) => (/^#\d+$/.test(w) ? r.index === Number(w.slice(1)) : hay.includes(w) || String(r.index) === w));
  });
}
