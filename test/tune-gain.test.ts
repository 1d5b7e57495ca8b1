// What the tuner can gain and why not more (scheduler/core/tune): UXCost ranked among schedules
// that do not drop more frames, the floor (each tenant alone), per-tenant variant choices, tenants
// kept with their cascade upstreams when isolated, and a search that goes on past an infeasible
// tenant. Small hand-built and synthetic workloads keep it well under 30 s.
import { describe, expect, test } from 'vitest';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { LayerDef, SimWorkload } from '../scheduler/core/types';
import { DEFAULT_SPACE, TuneSearch, applyVariantChoice, candidateKey, defaultCandidate, evaluateCandidate, infeasibleTenants, isolateTenant, packedPins, simulatorOnlyLevers, staticVariantPicks, tenantsWithVariants, type TuneLayout } from '../scheduler/core/tune';

const sim = { duration: 2, latencyNoise: 0.05, jobNoise: 0.05, window: 0.5 };
const layoutsOf = (w: SimWorkload): TuneLayout[] => [{ lanes: w.lanes.map((l) => l.id), workload: w }];
const ms = (x: number) => ({ latency: x / 1000 });

/** One tenant, 3 layers of 10 ms on either of two CPU lanes; layer 1 has an exact variant at 5 ms, layer 2 an approximate one at 3 ms (accuracy delta 0.02). */
function variantWorkload(o: { fps: number; deadlineMs: number; accuracyBudget?: number }): SimWorkload {
  const layer = (i: number): LayerDef => ({
    name: `conv${i}`,
    outputBytes: 1000,
    variants: [
      { id: 'original', accuracyDelta: 0, cost: [ms(10), ms(10)] },
      ...(i === 1 ? [{ id: 'split-k', accuracyDelta: 0, cost: [ms(5), ms(5)] }] : []),
      ...(i === 2 ? [{ id: 'int8', accuracyDelta: 0.02, cost: [ms(3), null] }] : []),
    ],
  });
  return {
    name: 'variants',
    lanes: [
      { id: 'cpu:1', kind: 'cpu', idleWatts: 0, busyWatts: 10 },
      { id: 'cpu:1#1', kind: 'cpu', idleWatts: 0, busyWatts: 10 },
    ],
    tenants: [{ id: 'eyes', model: 'm', arrival: { type: 'periodic', fps: o.fps }, deadline: o.deadlineMs / 1000, priority: 5, layers: [0, 1, 2].map(layer), ...(o.accuracyBudget !== undefined ? { accuracyBudget: o.accuracyBudget } : {}) }],
    latencySource: { kind: 'synthetic' },
    energySource: { kind: 'estimated', detail: 'test' },
  } as SimWorkload;
}

describe('variant choices', () => {
  test('fastest: the fastest exact variant always, an approximate one only within the accuracy budget; original strips them', () => {
    const exactOnly = variantWorkload({ fps: 10, deadlineMs: 100 });
    expect(staticVariantPicks(exactOnly.tenants[0])).toEqual([0, 1, 0]);
    const withBudget = variantWorkload({ fps: 10, deadlineMs: 100, accuracyBudget: 0.05 });
    expect(staticVariantPicks(withBudget.tenants[0])).toEqual([0, 1, 1]); // per layer: the index into its own variants
    expect(staticVariantPicks(variantWorkload({ fps: 10, deadlineMs: 100, accuracyBudget: 0.01 }).tenants[0])).toEqual([0, 1, 0]);
    expect(tenantsWithVariants(exactOnly)).toEqual([0]);
    const fastest = applyVariantChoice(withBudget, ['fastest']).tenants[0];
    expect(fastest.layers.map((l) => l.variants.map((v) => v.id))).toEqual([['original'], ['split-k'], ['int8']]);
    // int8 was not measured on the second lane: the original's cost stands in there, its accuracy cost stays.
    expect(fastest.layers[2].variants[0].cost[1]).toEqual(ms(10));
    expect(fastest.layers[2].variants[0].accuracyDelta).toBe(0.02);
    expect(applyVariantChoice(withBudget, ['original']).tenants[0].layers.every((l) => l.variants.length === 1 && l.variants[0].id === 'original')).toBe(true);
    expect(applyVariantChoice(withBudget, ['policy'])).toBe(withBudget);
    // A whitelist of combinations verified together: the greedy set is not one of them, exact variants only.
    const listed = { ...withBudget, tenants: [{ ...withBudget.tenants[0], whitelist: { combos: [], costLabel: 'x' } }] } as unknown as SimWorkload;
    expect(staticVariantPicks(listed.tenants[0])).toEqual([0, 1, 0]);
    expect('whitelist' in applyVariantChoice(listed, ['fastest']).tenants[0]).toBe(false);
  });

  test('the search finds the variant choice where only faster layers can meet the deadline', () => {
    // 30 ms of originals against a 27 ms deadline: only the 5 ms exact variant (25 ms) makes it.
    const w = variantWorkload({ fps: 20, deadlineMs: 27 });
    const r = new TuneSearch(layoutsOf(w), { objective: { kind: 'uxcost' }, space: { ...DEFAULT_SPACE, policies: ['edf', 'fcfs'], pinning: false }, sim, simSeeds: 2, maxCandidates: 24, batch: 8, baselines: ['edf', 'fcfs'] }).runInline();
    expect(r.bestBaseline!.missRate.mean).toBeGreaterThan(0.5);
    expect(r.best!.candidate.variants).toEqual(['fastest']);
    expect(r.best!.missRate.mean).toBeLessThan(0.1);
    expect(r.improvement!).toBeGreaterThan(0.2);
    // The live runtime applies a 'fastest' choice; only a 'policy' choice of a tenant with variants stays simulator-only.
    expect(simulatorOnlyLevers(r.best!.candidate, ['eyes'], [0])).toEqual([]);
    expect(simulatorOnlyLevers({ ...r.best!.candidate, variants: undefined }, ['eyes'], [0])).toEqual(['variants (eyes: policy picks)']);
    expect(simulatorOnlyLevers({ ...r.best!.candidate, variants: undefined, pins: [0], dropLate: true }, ['eyes'], [])).toEqual([]);
    // The floor knows about the variants too: alone, with them, the tenant misses little.
    expect(r.floor!.perTenant[0].missRate).toBeLessThan(0.1);
  });

  test('feasibility counts variants only where the search can choose them; otherwise their figure is reported beside', () => {
    const w = variantWorkload({ fps: 20, deadlineMs: 27 });
    expect(infeasibleTenants(layoutsOf(w))).toEqual([]);
    const originals = infeasibleTenants(layoutsOf(w), false);
    expect(originals).toHaveLength(1);
    expect(originals[0].bestIsolatedMs).toBeCloseTo(30, 6);
    expect(originals[0].withVariantsMs).toBeCloseTo(25, 6);
    const r = new TuneSearch(layoutsOf(w), { objective: { kind: 'uxcost' }, space: { ...DEFAULT_SPACE, policies: ['edf'], variants: false }, sim, simSeeds: 1, maxCandidates: 2, batch: 2, baselines: ['edf'] }).runInline();
    expect(r.status).toBe('infeasible');
    expect(r.infeasible![0].withVariantsMs).toBeCloseTo(25, 6);
  });

  test('a candidate without variant choices keeps its old key (checkpoints stay valid)', () => {
    expect(candidateKey(defaultCandidate('edf'))).toBe(JSON.stringify(['edf', 0, 'layer', 32, false, null, null, null]));
    expect(candidateKey({ ...defaultCandidate('edf'), variants: ['fastest'] })).not.toBe(candidateKey(defaultCandidate('edf')));
  });
});

describe('what the tuner can gain', () => {
  const overloaded = (): SimWorkload => syntheticWorkload({ scenario: 'vr_gaming', skew: 'gpu', load: 1.2, variants: false });

  test('UXCost is ranked among schedules that miss no more than the least-missing untuned policy (dropping frames saves energy)', () => {
    const w = overloaded();
    const r = new TuneSearch(layoutsOf(w), { objective: { kind: 'uxcost' }, space: { ...DEFAULT_SPACE, policies: ['edf', 'terastal', 'dream_static'] }, sim, simSeeds: 2, maxCandidates: 16, batch: 8, baselines: ['fcfs', 'edf', 'terastal', 'dream_static'] }).runInline();
    const leastMiss = Math.min(...r.baselines.map((b) => b.missRate.mean));
    expect(r.missCap).toBeCloseTo(leastMiss * 1.1 + 0.005, 10);
    expect(r.best!.missRate.mean).toBeLessThanOrEqual(r.missCap!);
    expect(r.bestBaseline!.missRate.mean).toBeLessThanOrEqual(r.missCap!);
    // Every baseline above the cap ranks after every one within it, whatever its UXCost.
    const above = r.baselines.filter((b) => b.missRate.mean > r.missCap!);
    expect(above.length).toBeGreaterThan(0);
    for (const b of above) expect(b.objective.mean).toBeGreaterThan(1e3);
    // Other objectives are not capped.
    const p99 = new TuneSearch(layoutsOf(w), { objective: { kind: 'p99' }, space: DEFAULT_SPACE, sim, simSeeds: 1, maxCandidates: 1, batch: 1, baselines: ['edf'] }).runInline();
    expect(p99.missCap).toBeUndefined();
    expect(p99.floor).toBeUndefined();
  });

  test('the floor: a tenant alone is what the untuned policy gets when it is the only tenant; cascades keep their upstream', () => {
    const w = overloaded();
    const cascaded = w.tenants.findIndex((t) => t.cascade);
    expect(cascaded).toBeGreaterThanOrEqual(0);
    const iso = isolateTenant(w, cascaded);
    expect(iso.workload.tenants.map((t) => t.id)).toContain(w.tenants[cascaded].cascade!.upstream);
    expect(iso.workload.tenants[iso.index].id).toBe(w.tenants[cascaded].id);
    const alone: SimWorkload = { ...w, tenants: [w.tenants.find((t) => !t.cascade)!] };
    const r = new TuneSearch(layoutsOf(alone), { objective: { kind: 'uxcost' }, space: { ...DEFAULT_SPACE, policies: ['edf'] }, sim, simSeeds: 2, maxCandidates: 2, batch: 2, baselines: ['edf'] }).runInline();
    const edfMiss = [1, 2].map((s) => evaluateCandidate(layoutsOf(alone), defaultCandidate('edf'), s, sim).missRate);
    expect(r.floor!.missRate).toBeCloseTo((edfMiss[0] + edfMiss[1]) / 2, 10);
    expect(r.floor!.energyJ).toBeGreaterThan(0);
    expect(r.floor!.headroom).toBeDefined();
  });

  test('an infeasible tenant: reported, and with whenInfeasible "search" the others are still tuned', () => {
    const w = overloaded();
    const tight: SimWorkload = { ...w, tenants: [{ ...w.tenants[0], deadline: 1e-6 }, ...w.tenants.slice(1)] };
    const r = new TuneSearch(layoutsOf(tight), { objective: { kind: 'uxcost' }, space: { ...DEFAULT_SPACE, policies: ['edf'] }, sim, simSeeds: 1, maxCandidates: 2, batch: 2, baselines: ['edf'], whenInfeasible: 'search' }).runInline();
    expect(r.status).toBe('done');
    expect(r.infeasible!.map((t) => t.tenant)).toEqual([w.tenants[0].id]);
    expect(r.best).toBeDefined();
  });
});

describe('packed pins (the search\'s structured start)', () => {
  test('the heaviest tenant gets a lane to itself; the light ones share the other; a tenant no lane runs whole stays free', () => {
    const base = variantWorkload({ fps: 10, deadlineMs: 100 });
    const tenant = (id: string, fps: number, layerMs: number, lanes = [ms(layerMs), ms(layerMs)]) => ({ ...base.tenants[0], id, arrival: { type: 'periodic' as const, fps }, layers: [{ name: 'l', outputBytes: 1, variants: [{ id: 'original', accuracyDelta: 0, cost: lanes }] }] });
    const w = { ...base, tenants: [tenant('light1', 30, 2), tenant('big', 2, 300), tenant('light2', 30, 2), tenant('light3', 10, 3)] } as SimWorkload;
    expect(packedPins(w)).toEqual([1, 0, 1, 1]);
    const stuck = { ...w, tenants: [...w.tenants, tenant('gpuOnly', 1, 1, [null, null] as never)] } as SimWorkload;
    expect(packedPins(stuck)[4]).toBeNull();
  });
});
