// The tuner's structured start and its bounds (scheduler/core/tune): heavy-alone and packed pins
// at each granularity as the first candidates, feasibility that counts a measured whole model
// where the space runs models whole, and a floor whose misses and energy come from one layout.
import { describe, expect, test } from 'vitest';
import type { LayerCost, SimWorkload, TenantDef } from '../scheduler/core/types';
import { DEFAULT_SPACE, TuneSearch, candidateKey, defaultCandidate, heavyAlonePins, infeasibleTenants, packedPins, structuredSeeds, type TuneLayout } from '../scheduler/core/tune';

const sim = { duration: 2, latencyNoise: 0.05, jobNoise: 0.05, window: 0.5 };
const ms = (x: number, watts?: number): LayerCost => ({ latency: x / 1000, ...(watts !== undefined ? { energy: (x / 1000) * watts } : {}) });
const lane = (id: string, busyWatts = 10) => ({ id, kind: 'cpu' as const, idleWatts: 0, busyWatts });

/** A tenant of `layers` layers of `layerMs` each on every lane; `wholeMs`: its measured whole model. */
function tenant(id: string, fps: number, layerMs: number, o: { layers?: number; lanes?: number; wholeMs?: number; deadlineMs?: number } = {}): TenantDef {
  const nL = o.lanes ?? 2;
  return {
    id,
    model: id,
    arrival: { type: 'periodic', fps },
    priority: 5,
    ...(o.deadlineMs !== undefined ? { deadline: o.deadlineMs / 1000 } : {}),
    layers: Array.from({ length: o.layers ?? 1 }, (_, i) => ({ name: `l${i}`, outputBytes: 1, variants: [{ id: 'original', accuracyDelta: 0, cost: Array.from({ length: nL }, () => ms(layerMs)) }] })),
    ...(o.wholeMs !== undefined ? { wholeModel: Array.from({ length: nL }, () => ms(o.wholeMs!)) } : {}),
  } as TenantDef;
}

const workload = (tenants: TenantDef[], lanes = [lane('cpu:1'), lane('cpu:1#1')]): SimWorkload =>
  ({ name: 'w', lanes, tenants, latencySource: { kind: 'synthetic' }, energySource: { kind: 'estimated', detail: 'test' } }) as SimWorkload;

describe('structured seeds', () => {
  test('heavy-alone pins: the heaviest (lanes - 1) tenants each alone, every other on the last lane; packing balances instead', () => {
    // big 2 x 300 ms = 0.6 lane; mid 10 x 30 ms = 0.3; lights 30 x 2 ms = 0.06 each.
    const w = workload([tenant('light1', 30, 2), tenant('big', 2, 300), tenant('mid', 10, 30), tenant('light2', 30, 2)]);
    expect(heavyAlonePins(w)).toEqual([1, 0, 1, 1]);
    const three = workload(w.tenants.map((t) => ({ ...t, layers: t.layers.map((l) => ({ ...l, variants: l.variants.map((v) => ({ ...v, cost: [...v.cost, v.cost[0]] })) })) })), [lane('a'), lane('b'), lane('c')]);
    expect(heavyAlonePins(three)).toEqual([2, 0, 1, 2]);
    expect(packedPins(three)).toEqual([2, 0, 1, 2]);
    expect(heavyAlonePins(workload(w.tenants, [lane('a')]))).toEqual([null, null, null, null]);
  });

  test('pins at model granularity are costed with the measured whole model', () => {
    // Summed, "cut" is the heaviest (10 x 12 ms x 5 fps = 0.6); run whole it takes 20 ms (0.1), and "solid" (0.4) is.
    const w = workload([tenant('cut', 5, 12, { layers: 10, wholeMs: 20 }), tenant('solid', 5, 80, { wholeMs: 80 }), tenant('small', 10, 5)]);
    expect(heavyAlonePins(w, 'layer')).toEqual([0, 1, 1]);
    expect(heavyAlonePins(w, 'model')).toEqual([1, 0, 1]);
  });

  test('every policy under each pin layout, coarsest granularity first; then what the baselines do not cover; no duplicates', () => {
    const w = workload([tenant('big', 2, 300, { wholeMs: 250 }), tenant('small', 20, 5)]);
    const single = workload([tenant('big', 2, 300, { lanes: 1 }), tenant('small', 20, 5, { lanes: 1 })], [lane('cpu:2', 20)]);
    const layouts = [{ workload: w }, { workload: single }];
    const space = { ...DEFAULT_SPACE, policies: ['edf', 'terastal'], granularities: ['layer', 'group:4', 'model'] as const } as typeof DEFAULT_SPACE;
    const seeds = structuredSeeds(layouts, space);
    expect(seeds.slice(0, 2)).toEqual([
      { ...defaultCandidate('edf'), granularity: 'model', pins: [0, 1] },
      { ...defaultCandidate('terastal'), granularity: 'model', pins: [0, 1] },
    ]);
    expect(new Set(seeds.map(candidateKey)).size).toBe(seeds.length);
    // The baselines' own configurations (layout 0, no pins, layer or model) are not repeated.
    expect(seeds.some((c) => c.layout === 0 && !c.pins && (c.granularity === 'layer' || c.granularity === 'model'))).toBe(false);
    expect(seeds).toContainEqual({ ...defaultCandidate('terastal'), granularity: 'group:4' });
    expect(seeds).toContainEqual({ ...defaultCandidate('edf', 1), granularity: 'model' });
    // The single-lane layout is never pinned.
    expect(seeds.some((c) => c.layout === 1 && c.pins)).toBe(false);
    expect(structuredSeeds(layouts, { ...space, pinning: false }).some((c) => c.pins)).toBe(false);
  });

  test('the search tries the structured seeds before its own draws: the heavy tenant alone, at model granularity, under each policy', () => {
    const w = workload([tenant('heavy', 6, 50, { layers: 3, wholeMs: 150 }), tenant('small', 60, 4)]);
    const layouts: TuneLayout[] = [{ lanes: w.lanes.map((l) => l.id), workload: w }];
    const space = { ...DEFAULT_SPACE, policies: ['fcfs', 'edf'], granularities: ['layer', 'model'] as const, variants: false } as typeof DEFAULT_SPACE;
    const r = new TuneSearch(layouts, { objective: { kind: 'uxcost' }, space, sim, simSeeds: 2, maxCandidates: 2, batch: 2, baselines: ['fcfs', 'edf'] }).runInline();
    expect(r.tried.filter((t) => t.origin === 'search').map((t) => t.candidate)).toEqual([
      { ...defaultCandidate('fcfs'), granularity: 'model', pins: [0, 1] },
      { ...defaultCandidate('edf'), granularity: 'model', pins: [0, 1] },
    ]);
  });
});

describe('feasibility and the floor', () => {
  test('a tenant whose layers add up past its deadline is feasible where the space runs its measured whole model', () => {
    const w = workload([tenant('hand', 2, 50, { layers: 10, wholeMs: 150, deadlineMs: 300 })]);
    const layouts = [{ workload: w }];
    expect(infeasibleTenants(layouts).map((t) => t.tenant)).toEqual(['hand']);
    expect(infeasibleTenants(layouts, true, true)).toEqual([]);
    const r = new TuneSearch([{ lanes: ['cpu:1', 'cpu:1#1'], workload: w }], { objective: { kind: 'uxcost' }, space: { ...DEFAULT_SPACE, policies: ['edf'] }, sim, simSeeds: 1, maxCandidates: 1, batch: 1, baselines: ['edf'] }).runInline();
    expect(r.status).toBe('done');
    expect(new TuneSearch([{ lanes: ['cpu:1', 'cpu:1#1'], workload: w }], { objective: { kind: 'uxcost' }, space: { ...DEFAULT_SPACE, policies: ['edf'], granularities: ['layer'] }, sim, simSeeds: 1, maxCandidates: 1, batch: 1, baselines: ['edf'] }).runInline().status).toBe('infeasible');
  });

  test('the floor takes misses and energy from one layout: a tenant fast only on a power-hungry lane does not also get the frugal lane\'s energy', () => {
    // Layout 0: one fast lane at 100 W (10 ms: meets the 20 ms deadline, 1 J a frame);
    // layout 1: one slow lane at 1 W (50 ms: misses every frame, 0.05 J a frame).
    const fast = workload([{ ...tenant('t', 10, 10, { lanes: 1, deadlineMs: 20 }) }], [lane('gpu', 100)]);
    const slow = workload([{ ...tenant('t', 10, 50, { lanes: 1, deadlineMs: 20 }) }], [lane('cpu:1', 1)]);
    const layouts: TuneLayout[] = [{ lanes: ['gpu'], workload: fast }, { lanes: ['cpu:1'], workload: slow }];
    const r = new TuneSearch(layouts, { objective: { kind: 'uxcost' }, space: { ...DEFAULT_SPACE, policies: ['edf'], granularities: ['layer'] }, sim, simSeeds: 2, maxCandidates: 1, batch: 1, baselines: ['edf'], whenInfeasible: 'search' }).runInline();
    const f = r.floor!;
    expect(f.layout).toBe(0);
    expect(f.missRate).toBe(0);
    // Every released frame at layout 0's 1 J, not layout 1's 0.05 J.
    expect(f.energyJ / f.perTenant[0].released).toBeCloseTo(1, 6);
  });
});
