// The Models & profiles view's pure logic: form parsing, per-layer rows and sorting, heat-map
// scaling, whole model vs sum of layers, chart series, formats (no NaN/undefined shown).
import { describe, expect, it } from 'vitest';
import * as pm from '../renderer/views/profiles-model';
import type { LaneMeasurement, Profile } from '../profiler/types';

function stats(median: number, n = 20) {
  return { median, p5: median * 0.9, p95: median * 1.2, mean: median, cv: 0.05, n, ciHalfWidthRel: 0.01, converged: true };
}

function meas(lane: string, median: number | undefined, baseline: number, extra: Partial<LaneMeasurement> = {}): LaneMeasurement {
  if (median === undefined) return { lane, ...extra };
  return { lane, raw: stats(median), latencyMs: Math.max(0, median - baseline), energy: { joulesPerRun: 0.002, source: { kind: 'estimated', meter: 'estimate:x', detail: 'ESTIMATE (no meter)' } }, ...extra };
}

function profile(): Profile {
  const layer = (index: number, name: string, a: number | undefined, b: number | undefined, extra: Partial<Profile['layers'][number]> = {}) => ({
    index,
    name,
    nodes: [name],
    opTypes: ['Conv', 'Relu'],
    inputs: [],
    outputs: [],
    flops: 2e6 * (index + 1),
    bytesMoved: 1e5 * (3 - index),
    lanes: [meas('cpu:1', a, 0.02), meas('cpu:2', b, 0.02)],
    ...extra,
  });
  return {
    schemaVersion: 1,
    id: 'm-1',
    createdAt: '2026-01-02T03:04:05.000Z',
    machine: { id: 'abcdef0123456789', hostname: 'h', cpu: 'CPU', cores: 2, memoryGiB: 8, os: 'Linux', gpus: [] },
    ortVersion: '1.30.0',
    model: { name: 'm', sha256: 'f'.repeat(64), inputShapes: { x: [1, 3, 8, 8] }, opsets: { '': 17 } },
    granularity: 'group',
    lanes: [
      { id: 'cpu:1', ep: 'cpu', threads: 1, baselineMs: 0.02, peakGflops: 50 },
      { id: 'cpu:2', ep: 'cpu', threads: 2, baselineMs: 0.02, peakGflops: 80 },
    ],
    layers: [
      layer(0, 'conv1', 0.12, 0.07, { preferredLane: 'cpu:2', gapToPreferred: { 'cpu:1': 2, 'cpu:2': 1 }, inGraphMs: { 'cpu:1': 0.05 }, cutToInGraph: { 'cpu:1': 2 } }),
      layer(1, 'Conv2', 0.52, 0.42, { preferredLane: 'cpu:2', gapToPreferred: { 'cpu:1': 1.25, 'cpu:2': 1 } }),
      layer(2, 'fc', 0.05, undefined, { preferredLane: 'cpu:1', gapToPreferred: { 'cpu:1': 1 } }),
    ],
    wholeModel: [meas('cpu:1', 0.62, 0.02), meas('cpu:2', 0.52, 0.02)],
    verification: { maxAbsError: 0, maxRelError: 0, passed: true, tolerance: { rel: 1e-5 } },
    cutOverhead: { 'cpu:1': 1.1 },
    settings: { budgetSec: 1, warmup: 3, ciTarget: 0.02 },
    status: 'partial',
    warnings: [],
  };
}

describe('profiles view model: form', () => {
  it('parses input shapes in several spellings and names a bad one', () => {
    expect(pm.parseShapes('')).toEqual({ ok: true, value: undefined });
    expect(pm.parseShapes('input=1,3,224,224')).toEqual({ ok: true, value: { input: [1, 3, 224, 224] } });
    expect(pm.parseShapes('a=1x3x8x8; b=2, 4')).toEqual({ ok: true, value: { a: [1, 3, 8, 8], b: [2, 4] } });
    expect(pm.parseShapes('a=1,2 b=3')).toEqual({ ok: true, value: { a: [1, 2], b: [3] } });
    const bad = pm.parseShapes('input=1,N,3');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/input=1,N,3/);
    expect(pm.parseShapes('=1,2').ok).toBe(false);
    expect(pm.parseShapes('a=1;a=2').ok).toBe(false);
  });

  it('parses input values, granularity and budget', () => {
    expect(pm.parseInputValues('sr=16000')).toEqual({ ok: true, value: { sr: 16000 } });
    expect(pm.parseInputValues('mask=1,1,0; sr=8000')).toEqual({ ok: true, value: { mask: [1, 1, 0], sr: 8000 } });
    expect(pm.parseInputValues('sr=fast').ok).toBe(false);
    expect(pm.parseGranularity('group', '')).toEqual({ ok: true, value: 'group' });
    expect(pm.parseGranularity('node', '')).toEqual({ ok: true, value: 'node' });
    expect(pm.parseGranularity('layers', '3')).toEqual({ ok: true, value: 3 });
    expect(pm.parseGranularity('layers', '0').ok).toBe(false);
    expect(pm.parseBudget('0.05')).toEqual({ ok: true, value: 0.05 });
    expect(pm.parseBudget('0').ok).toBe(false);
    expect(pm.parseBudget('abc').ok).toBe(false);
  });

  it('offers lanes with unavailable ones disabled with their reason, the widest CPU lane checked', () => {
    const c = pm.laneChoices([
      { id: 'cpu:1', ep: 'cpu', threads: 1 },
      { id: 'cpu:2', ep: 'cpu', threads: 2 },
      { id: 'cpu:1#1', ep: 'cpu', threads: 1 },
      { id: 'webgpu', ep: 'webgpu', error: 'no adapter' },
    ]);
    expect(c.map((x) => [x.id, x.checked, x.disabled])).toEqual([
      ['cpu:1', false, false],
      ['cpu:2', true, false],
      ['cpu:1#1', false, false],
      ['webgpu', false, true],
    ]);
    expect(c[3].reason).toBe('no adapter');
  });
});

describe('profiles view model: layers, sorting, heat map', () => {
  it('builds rows with baseline-subtracted spread, gaps and in-graph ratios', () => {
    const rows = pm.layerRows(profile());
    expect(rows).toHaveLength(3);
    const c = rows[0].cells[0];
    expect(c.lane).toBe('cpu:1');
    expect(c.latencyMs).toBeCloseTo(0.1);
    expect(c.p5Ms).toBeCloseTo(0.12 * 0.9 - 0.02);
    expect(c.cutToInGraph).toBe(2);
    expect(c.gap).toBe(2);
    expect(rows[0].cells[1].preferred).toBe(true);
    expect(rows[2].cells[1].latencyMs).toBeUndefined();
    expect(rows[0].fallback).toEqual([]);
  });

  it('flags CPU fallback and per-layer errors (not those of a lane that was unavailable throughout)', () => {
    const p = profile();
    p.layers[1].lanes[1].fallbackNodes = ['conv2', 'relu2'];
    p.layers[2].lanes[1].error = 'session failed';
    p.lanes.push({ id: 'webgpu', ep: 'webgpu', error: 'no adapter' });
    for (const l of p.layers) l.lanes.push({ lane: 'webgpu', error: 'lane unavailable: no adapter' });
    const rows = pm.layerRows(p);
    expect(rows[1].fallback).toEqual(['cpu:2: conv2, relu2']);
    expect(rows[2].errors).toEqual(['cpu:2: session failed']);
    expect(rows[0].errors).toEqual([]);
    expect(rows[2].cells[1].latencyMs).toBeUndefined();
    expect(pm.heatRows(p)[2].cells[1].text).toBe('error');
  });

  it('sorts by any column; unmeasured go last both ways; the same header flips', () => {
    const rows = pm.layerRows(profile());
    expect(pm.sortRows(rows, { key: 'ms:cpu:2', dir: 'desc' }).map((r) => r.index)).toEqual([1, 0, 2]);
    expect(pm.sortRows(rows, { key: 'ms:cpu:2', dir: 'asc' }).map((r) => r.index)).toEqual([0, 1, 2]);
    expect(pm.sortRows(rows, { key: 'name', dir: 'asc' }).map((r) => r.name)).toEqual(['conv1', 'Conv2', 'fc']);
    expect(pm.sortRows(rows, { key: 'bytes', dir: 'asc' }).map((r) => r.index)).toEqual([2, 1, 0]);
    expect(pm.sortRows(rows, { key: 'ingraph:cpu:1', dir: 'asc' }).map((r) => r.index)).toEqual([0, 1, 2]);
    expect(pm.nextSort({ key: 'index', dir: 'asc' }, 'ms:cpu:1')).toEqual({ key: 'ms:cpu:1', dir: 'desc' });
    expect(pm.nextSort({ key: 'ms:cpu:1', dir: 'desc' }, 'ms:cpu:1')).toEqual({ key: 'ms:cpu:1', dir: 'asc' });
    expect(pm.nextSort({ key: 'ms:cpu:1', dir: 'desc' }, 'name')).toEqual({ key: 'name', dir: 'asc' });
  });

  it('scales the heat map on a log scale from the preferred lane (0) to 8x slower (1)', () => {
    expect(pm.heatScale(1)).toBe(0);
    expect(pm.heatScale(0.5)).toBe(0);
    expect(pm.heatScale(2)).toBeCloseTo(1 / 3);
    expect(pm.heatScale(8)).toBe(1);
    expect(pm.heatScale(100)).toBe(1);
    expect(pm.heatColor(0)).toBe('#d1fadf');
    expect(pm.heatColor(0.5)).toBe('#fef0c7');
    expect(pm.heatColor(1)).toBe('#fda29b');
    expect(pm.heatColor(Number.NaN)).toBe('#fda29b');
    const h = pm.heatCell(0.2, 0.1);
    expect(h.ratio).toBeCloseTo(2);
    expect(h.title).toMatch(/2\.00\u00d7 the preferred lane/);
    expect(pm.heatCell(0, 0).ratio).toBe(1);
    expect(pm.heatCell(0.1, 0).ratio).toBeUndefined();
    expect(pm.heatCell(0.1, 0).t).toBe(1);
    expect(pm.heatCell(undefined, 0.1).text).toBe(pm.DASH);
    expect(pm.heatCell(1, 0.1, 'boom').text).toBe('error');
    const rows = pm.heatRows(profile());
    expect(rows[0].cells.map((c) => c.preferred)).toEqual([false, true]);
    expect(rows[0].cells[1].t).toBe(0);
    for (const r of rows) for (const c of r.cells) expect(c.text).not.toMatch(/NaN|undefined|null/);
  });
});

describe('profiles view model: throughput only where the latency is resolved', () => {
  it('shows GFLOP/s and share of peak for a resolved latency, "unresolved" with why otherwise, nothing for errors', () => {
    expect(pm.throughputCell(meas('cpu:1', 2.01, 0.01, { achievedGflops: 50, peakFraction: 0.5 }))).toEqual({ kind: 'value', text: '50.0', sub: '50% of peak' });
    const why = 'not resolved: net 0.00050 ms is under 4x its 95% uncertainty 0.00048 ms';
    const t = pm.throughputCell(meas('cpu:1', 0.0088, 0.0083, { unresolved: why }));
    expect(t).toMatchObject({ kind: 'unresolved', text: 'unresolved' });
    expect(t.kind === 'unresolved' && t.why).toContain(why);
    expect(pm.throughputCell(meas('cpu:1', undefined, 0, { error: 'lane unavailable' }))).toEqual({ kind: 'none' });
    expect(pm.throughputCell(undefined)).toEqual({ kind: 'none' });
  });
});

describe('profiles view model: whole model, chart, formats', () => {
  it('compares the whole model with the sum of layers per lane', () => {
    const [a, b] = pm.wholeRows(profile());
    expect(a.wholeMs).toBeCloseTo(0.6);
    expect(a.sumLayersMs).toBeCloseTo(0.1 + 0.5 + 0.03);
    expect(a.overhead).toBe(1.1); // the engine's figure
    expect(a.measuredLayers).toBe(3);
    expect(b.measuredLayers).toBe(2);
    expect(b.overhead).toBeUndefined(); // not every layer measured
    expect(pm.measuredPairs(profile())).toEqual({ done: 5, total: 6 });
  });

  it('names a GPU lane\'s adapter, software ones marked', () => {
    const p = profile();
    p.lanes[1].adapter = { name: 'SwiftShader Device (Subzero)', vendor: 'Google (SwiftShader, software)', backend: 'vulkan', driver: '/usr/lib/chromium/libvk_swiftshader.so', software: true, source: 'test' };
    const [a, b] = pm.wholeRows(p);
    expect(a.adapter).toBeUndefined();
    expect(b.adapter).toEqual({ name: 'SwiftShader Device (Subzero)', vendor: 'Google (SwiftShader, software)', software: true });
  });

  it('gives one chart series per usable lane with null for unmeasured layers', () => {
    const p = profile();
    p.lanes.push({ id: 'webgpu', ep: 'webgpu', error: 'no adapter' });
    const s = pm.chartSeries(p);
    expect(s.labels).toEqual(['#0', '#1', '#2']);
    expect(s.lanes.map((l) => l.id)).toEqual(['cpu:1', 'cpu:2']);
    expect(s.lanes[1].data[2]).toBeNull();
  });

  it('formats without NaN or undefined', () => {
    expect(pm.fmtMsBare(undefined)).toBe(pm.DASH);
    expect(pm.fmtMsBare(Number.NaN)).toBe(pm.DASH);
    expect(pm.fmtMsBare(0)).toBe('0');
    expect(pm.fmtMsBare(0.1234)).toBe('0.123');
    expect(pm.fmtMsBare(12.345)).toBe('12.3');
    expect(pm.fmtMsBare(0.0012)).toBe('0.0012');
    expect(pm.fmtGflops(2e6)).toBe('0.0020');
    expect(pm.fmtMB(60420)).toBe('0.060');
    expect(pm.fmtMJ(0.0005)).toBe('0.50');
    expect(pm.fmtMJ(0)).toBe('0');
    expect(pm.fmtRatio(Infinity)).toBe(pm.DASH);
    expect(pm.fmtRatio(2.5)).toBe('2.50\u00d7');
    expect(pm.fmtPct(0.281)).toBe('28.1%');
    expect(pm.fmtGranularity(4)).toBe('4 layers');
    expect(pm.fmtShapes({ x: [1, 3], sr: [] })).toBe('x=1\u00d73, sr=scalar');
    expect(pm.fmtDate('')).toBe(pm.DASH);
    expect(pm.fmtDate('2026-01-02T03:04:05.000Z', true)).toMatch(/^2026-01-0[12] \d\d:\d\d:05$/);
    expect(pm.driftFlag({ beforeMs: 1, afterMs: 1.2, ratio: 1.2 })).toMatchObject({ kind: 'warn', text: expect.stringMatching(/^\+20%/) });
    expect(pm.energyKind({ joulesPerRun: 1, source: { kind: 'estimated', meter: 'e', detail: 'd' } })?.text).toBe('estimate');
    expect(pm.progressPercent(undefined)).toBe(0);
    expect(pm.progressPercent(0.456)).toBe(46);
  });
});

describe('profiles view model: summary first', () => {
  it('gives whole-model p50/p95 and frames/s per lane, the fastest lane, the slowest layers and the verdict', () => {
    const p = profile();
    const s = pm.profileSummary(p);
    expect(s.lanes.map((l) => l.lane)).toEqual(['cpu:1', 'cpu:2']);
    const [a, b] = s.lanes;
    expect(a.p50Ms).toBeCloseTo(0.6);
    expect(a.p95Ms).toBeCloseTo(0.62 * 1.2 - 0.02);
    // Frames per second from the raw median (the per-call overhead is paid on every frame).
    expect(a.fps).toBeCloseTo(1000 / 0.62);
    expect(b.best).toBe(true);
    expect(a.best).toBe(false);
    // Slowest first, on the preferred lane, with the share of that lane's sum of layers.
    expect(s.slowest.map((l) => [l.name, l.lane])).toEqual([['Conv2', 'cpu:2'], ['conv1', 'cpu:2'], ['fc', 'cpu:1']]);
    expect(s.slowest[0].ms).toBeCloseTo(0.4);
    expect(s.slowest[0].share).toBeCloseTo(0.4 / (0.05 + 0.4));
    expect(pm.profileSummary(p, 1).slowest).toHaveLength(1);
    // The fixture is partial: verified, but not every pair measured.
    expect(s.verdict.kind).toBe('partial');
    expect(s.verdict.text).toMatch(/5 of 6/);
  });

  it('says FAILED when the CPU chain or a lane check fails, and ok when complete and verified', () => {
    const p = profile();
    p.status = 'complete';
    expect(pm.profileSummary(p).verdict.kind).toBe('ok');
    p.verification.lanes = { 'webgpu': { maxAbsError: 1, maxRelError: 0.5, passed: false, tolerance: { rel: 1e-3 } } };
    const v = pm.profileSummary(p).verdict;
    expect(v.kind).toBe('bad');
    expect(v.text).toMatch(/FAILED on webgpu/);
    expect(v.details.join(' ')).toMatch(/on webgpu: max rel 5\.0e-1/);
    p.verification.lanes = undefined;
    p.verification.passed = false;
    expect(pm.profileSummary(p).verdict.text).toMatch(/do not reproduce/);
  });

  it('leaves out lanes that failed or have no whole-model figure, and marks no best lane when only one is left', () => {
    const p = profile();
    p.lanes[1].error = 'lane unavailable';
    const s = pm.profileSummary(p);
    expect(s.lanes.map((l) => l.lane)).toEqual(['cpu:1']);
    expect(s.lanes[0].best).toBe(false);
  });

  it('filters layer rows by words in name, ops or preferred lane, and by #index', () => {
    const rows = pm.layerRows(profile());
    expect(pm.filterRows(rows, '').length).toBe(3);
    // Every layer is Conv+Relu: "conv" matches the ops of all three; a name narrows it.
    expect(pm.filterRows(rows, 'conv').length).toBe(3);
    expect(pm.filterRows(rows, 'CONV2').map((r) => r.name)).toEqual(['Conv2']);
    expect(pm.filterRows(rows, 'relu cpu:2').map((r) => r.name)).toEqual(['conv1', 'Conv2']);
    expect(pm.filterRows(rows, 'relu cpu:1').map((r) => r.name)).toEqual(['fc']);
    expect(pm.filterRows(rows, '#1').map((r) => r.name)).toEqual(['Conv2']);
    expect(pm.filterRows(rows, 'nothing-like-this')).toEqual([]);
  });
});
