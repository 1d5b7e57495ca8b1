// The Simulate view's pure modules: formats (never NaN/null), best value per column, sorting, chart
// series, the form's parameters, and the timeline layout (time → x, window, visible slices, merging,
// frame marks, ticks, hit testing).
import { describe, expect, it } from 'vitest';
import {
  bestPerColumn,
  compareParams,
  DEFAULT_FORM,
  fixed,
  groupPolicies,
  laneUtilisation,
  latencySourceText,
  meanAndRange,
  METRIC_COLUMNS,
  nextSort,
  pct,
  perTenantMiss,
  rateWithRange,
  sig,
  sortRows,
  suggestProfiles,
  syntheticLabel,
  withSd,
  type Comparison,
  type PolicyInfo,
  type PolicyRow,
} from '../renderer/views/simulate-model';
import {
  clampWindow,
  coveredUntil,
  DEFAULT_GEOMETRY,
  formatMs,
  hitJob,
  hitSlice,
  jobCounts,
  layoutJobs,
  layoutSlices,
  lowerBound,
  niceTicks,
  sliderToSpan,
  spanToSlider,
  tenantY,
  timeToX,
  visibleRange,
  xToTime,
  zoomAt,
  type JobRow,
  type Slice,
  type TimelineData,
} from '../renderer/views/simulate-timeline';

const S = (mean: number | null, min = mean, max = mean, sd: number | null = 0) => ({ mean, min, max, sd });

function row(policy: string, o: Partial<Record<string, ReturnType<typeof S>>> = {}, perTenant: [string, number | null][] = [['a', 0.1], ['b', 0.2]]): PolicyRow {
  const base = S(0.5);
  return {
    policy,
    seeds: 3,
    missRate: base, dropRate: base, violationRate: base, antt: base, stp: base, energyJ: base, energyPerFrameJ: base, averageWatts: base, uxcost: base, xrbench: base, sloTenants: base, sloWindows: base, p95LatencyMs: base,
    finished: S(100),
    finishedNothing: false,
    layerExecutions: 10,
    perTenant: perTenant.map(([tenant, m]) => ({ tenant, missRate: S(m), dropRate: S(0), p95LatencyMs: S(1), meanAccuracy: S(1) })),
    ...o,
  } as unknown as PolicyRow;
}

describe('formats', () => {
  it('shows a dash for null, NaN and Infinity, never "NaN" or "null"', () => {
    for (const f of [(x: unknown) => fixed(x, 2), (x: unknown) => pct(x), (x: unknown) => sig(x)]) {
      expect(f(null)).toBe('–');
      expect(f(NaN)).toBe('–');
      expect(f(Infinity)).toBe('–');
      expect(f(undefined)).toBe('–');
    }
    expect(rateWithRange(S(null))).toBe('–');
    expect(withSd(S(null), (x) => fixed(x, 3))).toBe('–');
  });
  it('formats rates with their range and values with their spread', () => {
    expect(pct(0.0768)).toBe('7.7%');
    expect(rateWithRange(S(0.0768, 0.0697, 0.0818))).toBe('7.7% [7.0–8.2]');
    expect(rateWithRange(S(0.1, 0.1, 0.1))).toBe('10.0%');
    expect(rateWithRange({ mean: 0.1, min: null, max: null, sd: null })).toBe('10.0%');
    expect(withSd(S(0.0676, 0.06, 0.07, 0.005), (x) => fixed(x, 3))).toBe('0.068 ± 0.005');
    expect(withSd(S(0.0676, 0.0676, 0.0676, 0), (x) => fixed(x, 3))).toBe('0.068');
    expect(sig(102.676)).toBe('103');
    expect(sig(0.33628)).toBe('0.336');
    expect(sig(0)).toBe('0');
    expect(sig(1.5e-6)).toBe('1.50e-6');
  });
  it('every column renders a row with null stats as a dash', () => {
    const nulls = row('x', Object.fromEntries(METRIC_COLUMNS.map((c) => [c.key, S(null)])));
    for (const c of METRIC_COLUMNS) expect(c.cell(nulls)).toBe('–');
  });
});

describe('best values and sorting', () => {
  const rows = [row('fcfs', { missRate: S(0.3), xrbench: S(0.5) }), row('edf', { missRate: S(0.2), xrbench: S(0.7) }), row('dream', { missRate: S(0.05), xrbench: S(0.7), antt: S(null) })];
  it('highlights the lowest or highest mean per column; ties all win; equal columns none', () => {
    const best = bestPerColumn(rows);
    expect([...best.get('missRate')!]).toEqual(['dream']);
    expect([...best.get('xrbench')!].sort()).toEqual(['dream', 'edf']);
    expect(best.has('energyJ')).toBe(false); // all equal
    expect([...best.get('antt') ?? []]).toEqual([]); // two equal values left after the null: no winner
  });
  it('a policy that finished nothing is best at nothing; energy and power compete only among the policies that did the most work', () => {
    // Issue 10 (5): a DREAM that dropped every frame had its (idle) energy coloured best.
    const idle = row('dream', { missRate: S(1), energyJ: S(0.1), averageWatts: S(0.01), uxcost: S(0.004), energyPerFrameJ: S(null), finished: S(0) });
    const partial = row('dream_static', { missRate: S(0.3), energyJ: S(0.3), averageWatts: S(0.03), uxcost: S(0.2), finished: S(70) });
    const full = [row('fcfs', { missRate: S(0.1), energyJ: S(0.5), uxcost: S(0.3) }), row('edf', { missRate: S(0.05), energyJ: S(0.6), uxcost: S(0.35), energyPerFrameJ: S(0.4) })];
    const best = bestPerColumn([{ ...idle, finishedNothing: true }, partial, ...full]);
    for (const [key, set] of best) expect({ key, dream: set.has('dream') }).toEqual({ key, dream: false });
    expect([...best.get('energyJ')!]).toEqual(['fcfs']); // dream_static spent less by finishing 70 of 100 frames
    expect(best.has('averageWatts')).toBe(false); // fcfs and edf equal: no winner
    expect([...best.get('uxcost')!]).toEqual(['dream_static']); // UXCost already counts the misses
    expect([...best.get('missRate')!]).toEqual(['edf']);
  });
  it('sorts by a metric with missing values last, and back to compared order', () => {
    expect(sortRows(rows, { key: 'missRate', dir: 'asc' }).map((r) => r.policy)).toEqual(['dream', 'edf', 'fcfs']);
    expect(sortRows(rows, { key: 'missRate', dir: 'desc' }).map((r) => r.policy)).toEqual(['fcfs', 'edf', 'dream']);
    expect(sortRows(rows, { key: 'antt', dir: 'desc' }).map((r) => r.policy)).toEqual(['fcfs', 'edf', 'dream']);
    expect(sortRows(rows, { key: 'antt', dir: 'asc' }).map((r) => r.policy)).toEqual(['fcfs', 'edf', 'dream']);
    expect(sortRows(rows, { key: 'policy', dir: 'desc' }).map((r) => r.policy)).toEqual(['dream', 'edf', 'fcfs']);
  });
  it('a click on a new header sorts best first; again flips', () => {
    expect(nextSort({ key: 'policy', dir: 'asc' }, 'missRate')).toEqual({ key: 'missRate', dir: 'asc' });
    expect(nextSort({ key: 'policy', dir: 'asc' }, 'xrbench')).toEqual({ key: 'xrbench', dir: 'desc' });
    expect(nextSort({ key: 'xrbench', dir: 'desc' }, 'xrbench')).toEqual({ key: 'xrbench', dir: 'asc' });
  });
});

describe('chart series', () => {
  const comparison = { rows: [row('fcfs', { energyJ: S(10, 9, 11) }, [['a', 0.1], ['b', null]]), row('edf', { energyJ: S(null) }, [['a', 0], ['b', 0.5]])] } as unknown as Comparison;
  it('per-tenant miss rate in percent, one series per policy, null kept', () => {
    const m = perTenantMiss(comparison);
    expect(m.labels).toEqual(['a', 'b']);
    expect(m.series).toEqual([{ policy: 'fcfs', values: [10, null] }, { policy: 'edf', values: [0, 50] }]);
  });
  it('mean and min–max range per policy', () => {
    expect(meanAndRange(comparison.rows, 'energyJ')).toEqual({ labels: ['fcfs', 'edf'], means: [10, null], ranges: [[9, 11], null] });
  });
  it('lane utilisation in percent with overloaded lanes named', () => {
    expect(laneUtilisation({ favouriteUtilisation: { cpu: 0.5, gpu: 1.2 }, isolatedOverDeadline: {}, rate: {} })).toEqual({ lanes: ['cpu', 'gpu'], percent: [50, 120], overloaded: ['gpu'] });
  });
});

describe('policies, scenarios and the form', () => {
  it('groups policies by family in a fixed order', () => {
    const p = (name: string, family: PolicyInfo['family']) => ({ name, label: name, family, description: '', source: '', variants: false, drops: false, adaptive: false });
    const g = groupPolicies([p('dream', 'tessera'), p('fcfs', 'baseline'), p('sdrm3', 'published'), p('edf', 'baseline')]);
    expect(g.map((x) => [x.family, x.policies.map((q) => q.name)])).toEqual([['baseline', ['fcfs', 'edf']], ['published', ['sdrm3']], ['tessera', ['dream']]]);
  });
  it('labels synthetic references as synthetic', () => {
    expect(syntheticLabel('synthetic:vr_gaming:skewed')).toBe('vr_gaming, skewed to the GPU (synthetic)');
    expect(syntheticLabel('synthetic:ar_gaming')).toBe('ar_gaming, balanced (synthetic)');
  });
  it('suggests the newest profile of each tenant model', () => {
    const profiles = [{ id: 'p2', model: 'xrbench/KD' }, { id: 'p1', model: 'xrbench/KD' }, { id: 'bad', model: 'x', error: 'broken' }, { id: 'p3', model: 'ASR.onnx' }];
    expect(suggestProfiles(['xrbench/KD', 'xrbench/ASR', 'xrbench/KD', 'x'], profiles)).toEqual(['p2', 'p3']);
  });
  it('builds compare params; library scenarios go without profiles (the engine says what is missing)', () => {
    const { params, errors } = compareParams({ ...DEFAULT_FORM, policies: ['fcfs', 'dream'], seeds: '3', durationSec: '2' });
    expect(errors).toEqual([]);
    expect(params).toMatchObject({ scenario: 'synthetic:vr_gaming', policies: ['fcfs', 'dream'], seeds: 3, durationSec: 2, timelinePolicy: 'dream', preemption: 'layer', dropLate: false });
    expect(params!.load).toBeUndefined();
    expect(params!.profiles).toBeUndefined();
    const lib = compareParams({ ...DEFAULT_FORM, scenario: 'xrbench/vr_gaming', profiles: [], load: '0.8' });
    expect(lib.params!.profiles).toBeUndefined();
    expect(lib.params!.load).toBe(0.8);
    expect(compareParams({ ...DEFAULT_FORM, scenario: 'xrbench/vr_gaming', profiles: ['p1'] }).params!.profiles).toEqual(['p1']);
    expect(compareParams({ ...DEFAULT_FORM, scenario: 'synthetic:vr_gaming', profiles: ['p1'] }).params!.profiles).toBeUndefined();
  });
  it('names what is wrong with the form', () => {
    const { params, errors } = compareParams({ ...DEFAULT_FORM, policies: [], seeds: '2.5', durationSec: '', load: '-1' });
    expect(params).toBeUndefined();
    expect(errors).toEqual(['Choose at least one policy', 'Seeds: a whole number', 'Duration: enter a number', 'Load: must be > 0']);
  });
  it('describes the latency source', () => {
    expect(latencySourceText({ latencySource: { kind: 'synthetic', detail: 'generated' } } as Comparison)).toEqual({ kind: 'synthetic', text: 'generated' });
    expect(latencySourceText({ latencySource: { kind: 'measured', profileId: 'p1, p2' } } as Comparison)).toEqual({ kind: 'measured', text: 'measured profiles: p1, p2' });
  });
});

// A small timeline: 2 lanes, 2 tenants, horizon 1 s.
function timeline(): TimelineData {
  const slices: Slice[] = [
    [0, 0, 0, 0.0, 0.1, 0, 0],
    [0, 0, 1, 0.1, 0.2, 0, 0],
    [1, 1, 0, 0.15, 0.5, 0, 1],
    [1, 0, 0, 0.3, 0.31, 1, 2],
    [0, 0, 0, 0.6, 0.9, 0, 3],
  ];
  return {
    lanes: ['cpu', 'gpu'],
    tenants: ['a', 'b'],
    horizon: 1,
    slices,
    truncated: false,
    jobs: [
      [0, 0, 0.25, 0.2, false],
      [1, 0.1, 0.4, 0.5, false],
      [1, 0.5, 0.8, null, true],
      [0, 0.55, 0.85, 0.9, false],
    ],
  };
}

describe('timeline layout', () => {
  const g = { ...DEFAULT_GEOMETRY, width: 1100, left: 100, right: 0 }; // 1000 px for the plot
  it('maps time to x and back', () => {
    const w = { start: 0.5, end: 1 };
    expect(timeToX(0.5, w, g)).toBe(100);
    expect(timeToX(0.75, w, g)).toBe(600);
    expect(xToTime(600, w, g)).toBeCloseTo(0.75);
  });
  it('keeps the window inside the run and zooms around a point', () => {
    expect(clampWindow(-1, 0.2, 1)).toEqual({ start: 0, end: 0.2 });
    expect(clampWindow(0.9, 0.2, 1)).toEqual({ start: 0.8, end: 1 });
    expect(clampWindow(0, 5, 1)).toEqual({ start: 0, end: 1 });
    const z = zoomAt({ start: 0, end: 1 }, 0.5, 0.5, 1);
    expect(z.start).toBeCloseTo(0.25);
    expect(z.end).toBeCloseTo(0.75);
    const z2 = zoomAt({ start: 0, end: 1 }, 0, 0.1, 1);
    expect(z2).toEqual({ start: 0, end: 0.1 });
    expect(zoomAt(z2, 0.05, 100, 1)).toEqual({ start: 0, end: 1 });
  });
  it('maps the zoom slider on a log scale and back', () => {
    expect(sliderToSpan(1, 2)).toBeCloseTo(2);
    expect(sliderToSpan(0, 2)).toBeCloseTo(1e-4);
    expect(spanToSlider(sliderToSpan(0.37, 2), 2)).toBeCloseTo(0.37);
  });
  it('finds the visible slices by binary search', () => {
    const t = timeline();
    expect(lowerBound(t.slices, 0.15)).toBe(2);
    expect(lowerBound(t.slices, 2)).toBe(5);
    expect(visibleRange(t.slices, { start: 0.4, end: 0.55 }, 0.35)).toEqual([1, 4]);
    const rects = layoutSlices(t, { start: 0.4, end: 0.55 }, g);
    expect(rects.map((r) => r.index)).toEqual([2]); // only the gpu slice [0.15, 0.5] reaches into the window
    expect(rects[0].x).toBe(100); // clipped at the left edge
    expect(rects[0].w).toBeCloseTo((0.1 / 0.15) * 1000);
  });
  it('merges touching slices of one tenant on one lane; transfers are their own rectangles', () => {
    const t = timeline();
    const all = layoutSlices(t, { start: 0, end: 1 }, g);
    // cpu: [0, 0.2] merged (two layers of tenant a), transfer of b, [0.6, 0.9]; gpu: one slice
    expect(all.map((r) => [r.lane, r.tenant, r.kind, r.count])).toEqual([[0, 0, 0, 2], [1, 1, 0, 1], [0, 1, 1, 1], [0, 0, 0, 1]]);
    expect(all[0].w).toBeCloseTo(200);
    expect(all[2].h).toBeLessThan(g.laneRow); // transfers are drawn lower and thinner
    const tiny = layoutSlices(t, { start: 0.3, end: 0.3001 }, g);
    expect(tiny.find((r) => r.kind === 1)!.w).toBeGreaterThanOrEqual(1);
  });
  it('lays out frames per tenant with their outcome', () => {
    const t = timeline();
    expect(jobCounts(t)).toEqual({ ontime: 1, late: 2, dropped: 1, unfinished: 0 });
    const marks = layoutJobs(t, { start: 0, end: 1 }, g);
    expect(marks.map((m) => m.outcome)).toEqual(['ontime', 'late', 'dropped', 'late']);
    expect(marks[1].y).toBe(tenantY(1, 2, g));
    expect(marks[1].xEnd).toBe(600); // finished at 0.5
    expect(marks[2].xEnd).toBe(900); // dropped: drawn to its deadline
    expect(layoutJobs(t, { start: 0.95, end: 1 }, g)).toHaveLength(0);
    expect(hitJob(marks, 550, marks[1].y + 2)?.index).toBe(1);
    expect(hitJob(marks, 550, 0)).toBeUndefined();
  });
  it('keeps a dense run to about one rectangle per pixel per lane and a few frame marks per pixel per row', () => {
    // 20,000 alternating 10-µs slices of two tenants on one lane, and 20,000 on-time frames, in 1 s on a 1000-px plot.
    const slices: Slice[] = [];
    const jobs: JobRow[] = [];
    for (let i = 0; i < 20_000; i++) {
      slices.push([i % 2, 0, 0, i * 5e-5, i * 5e-5 + 1e-5, 0, i]);
      jobs.push([0, i * 5e-5, i * 5e-5 + 0.01, i * 5e-5 + 2e-5, false]);
    }
    const t: TimelineData = { lanes: ['cpu'], tenants: ['a', 'b'], horizon: 1, slices, jobs, truncated: false };
    const rects = layoutSlices(t, { start: 0, end: 1 }, g);
    expect(rects.length).toBeLessThanOrEqual(1000);
    expect(rects.reduce((n, r) => n + r.count, 0)).toBe(20_000);
    expect(rects.some((r) => r.mixed)).toBe(true);
    const marks = layoutJobs(t, { start: 0, end: 1 }, g);
    expect(marks.length).toBeLessThanOrEqual(2000);
    expect(marks.length + (marks.hidden ?? 0)).toBe(20_000);
    // Zoomed in, every slice and frame is its own again.
    const zoom = { start: 0.1, end: 0.1 + 0.002 };
    expect(layoutSlices(t, zoom, g).every((r) => r.count === 1)).toBe(true);
    expect(layoutJobs(t, zoom, g).hidden).toBe(0);
  });

  it('hit-tests slices', () => {
    const rects = layoutSlices(timeline(), { start: 0, end: 1 }, g);
    const y = rects[0].y + 5;
    expect(hitSlice(rects, 150, y)?.index).toBe(0);
    expect(hitSlice(rects, 550, y)).toBeUndefined();
  });
  it('says how far a truncated timeline reaches', () => {
    const t = timeline();
    expect(coveredUntil(t)).toBe(1);
    expect(coveredUntil({ ...t, truncated: true })).toBe(0.6);
  });
  it('makes round ticks and readable times', () => {
    expect(niceTicks({ start: 0, end: 1 }, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks({ start: 0.013, end: 0.021 }, 4)).toEqual([0.014, 0.016, 0.018, 0.02]);
    expect(niceTicks({ start: 1, end: 1 })).toEqual([]);
    expect(formatMs(0.5, 1)).toBe('500 ms');
    expect(formatMs(0.0123, 0.005)).toBe('12.30 ms');
  });
});
