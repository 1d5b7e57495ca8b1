// The tuner's pure search (scheduler/core/tune): TPE, successive halving, determinism, resume,
// infeasibility, Pareto front, lane layouts. Small synthetic workloads keep it under ~20 s.
import { describe, expect, test } from 'vitest';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { SimWorkload } from '../scheduler/core/types';
import { DEFAULT_SPACE, TuneSearch, applyPins, defaultCandidate, evaluateCandidate, infeasibleTenants, interval, laneLayouts, objectiveValue, rungsFor, structuredSeeds, suggest, type Granularity, type ParamDef, type TuneLayout } from '../scheduler/core/tune';
import { rng } from '../scheduler/core/rng';

const sim = { duration: 1.5, latencyNoise: 0.1, jobNoise: 0.1, window: 0.5 };
const workload = (): SimWorkload => syntheticWorkload({ scenario: 'vr_gaming', skew: 'gpu', load: 1.2, variants: false });
const layoutsOf = (w: SimWorkload): TuneLayout[] => [{ lanes: w.lanes.map((l) => l.id), workload: w }];
const small = { objective: { kind: 'uxcost' as const }, space: { ...DEFAULT_SPACE, policies: ['edf', 'dream_static', 'terastal'] }, sim, maxCandidates: 8, batch: 4, simSeeds: 3, baselines: ['fcfs', 'edf', 'dream_static', 'terastal'] };

describe('TPE', () => {
  test('beats its own random start on a 2-d quadratic and is reproducible', () => {
    const params: ParamDef[] = [
      { name: 'x', kind: 'real', lo: -5, hi: 5 },
      { name: 'c', kind: 'categorical', choices: ['a', 'b', 'c'] },
    ];
    const f = (a: Record<string, unknown>) => (Number(a.x) - 1.5) ** 2 + (a.c === 'b' ? 0 : 4);
    const runOnce = (seed: number) => {
      const random = rng(seed);
      const hist: { values: Record<string, string | number | boolean>; active: string[]; score: number }[] = [];
      for (let i = 0; i < 40; i++) {
        const a = suggest(params, hist, () => true, random);
        hist.push({ values: a, active: ['x', 'c'], score: f(a) });
      }
      return hist.map((h) => h.score);
    };
    const s = runOnce(7);
    expect(runOnce(7)).toEqual(s);
    const randomBest = Math.min(...s.slice(0, 10));
    const tpeMean = s.slice(30).reduce((a, b) => a + b, 0) / 10;
    const randomMean = s.slice(0, 10).reduce((a, b) => a + b, 0) / 10;
    expect(Math.min(...s)).toBeLessThanOrEqual(randomBest);
    expect(tpeMean).toBeLessThan(randomMean); // the model concentrates on the good region
  });
});

describe('tuner search', () => {
  test('same seed, same search; resume from the checkpoint reruns nothing; the best is no worse than the best baseline', () => {
    const w = workload();
    const a = new TuneSearch(layoutsOf(w), { ...small, seed: 3 });
    const ra = a.runInline();
    const rb = new TuneSearch(layoutsOf(w), { ...small, seed: 3 }).runInline();
    expect(rb.tried.map((t) => t.objective)).toEqual(ra.tried.map((t) => t.objective));
    expect(ra.status).toBe('done');
    expect(ra.candidatesTried).toBe(8);
    // Successive halving: fewer simulations than every candidate on every seed.
    // (Baselines: every policy at layer and at model granularity, each on every seed.)
    expect(ra.baselines.map((b) => b.candidate.granularity).sort()).toEqual([...Array(4).fill('layer'), ...Array(4).fill('model')]);
    expect(ra.simulations).toBeLessThan(3 + ra.baselines.length * 3 + 8 * 3);
    expect(ra.best!.objective.mean).toBeLessThanOrEqual(ra.bestBaseline!.objective.mean);
    expect(ra.best!.objective.n).toBe(3);
    expect(ra.best!.objective.lo).toBeLessThanOrEqual(ra.best!.objective.mean);
    const resumed = new TuneSearch(layoutsOf(w), { ...small, seed: 3, resume: JSON.parse(JSON.stringify(a.checkpoint())) }).runInline();
    expect(resumed.simulations).toBe(0);
    expect(resumed.fromCheckpoint).toBeGreaterThan(0);
    expect(resumed.tried.map((t) => t.objective)).toEqual(ra.tried.map((t) => t.objective));
    // A checkpoint holds only under the simulation settings it was made with.
    expect(() => new TuneSearch(layoutsOf(w), { ...small, sim: { ...small.sim, speedDrift: 0.1 }, seed: 3, resume: a.checkpoint() })).toThrow(/other simulation settings/);
    expect(() => new TuneSearch(layoutsOf(w), { ...small, seed: 3, resume: { ...a.checkpoint(), sim: undefined } })).toThrow(/older checkpoint/);
    // ... and for the problem it was made for: other latencies, frame rates or lanes are refused.
    const faster = { ...w, tenants: w.tenants.map((t) => ({ ...t, arrival: t.arrival.type === 'periodic' ? { ...t.arrival, fps: t.arrival.fps * 1.2 } : t.arrival })) };
    expect(() => new TuneSearch(layoutsOf(faster), { ...small, seed: 3, resume: a.checkpoint() })).toThrow(/another problem/);
    expect(() => new TuneSearch(layoutsOf(w), { ...small, seed: 3, resume: { ...a.checkpoint(), problem: undefined } })).toThrow(/did not record/);
    // The first candidates are the structured seeds (space.ts structuredSeeds), whatever the seed;
    // in a space without any (no pinning, only the baselines' granularities), another seed explores differently.
    expect(ra.tried.filter((t) => t.origin === 'search').map((t) => t.candidate)).toEqual(structuredSeeds(layoutsOf(w), small.space).slice(0, 8));
    const plain = { ...small, maxCandidates: 4, space: { ...small.space, pinning: false, granularities: ['layer', 'model'] as Granularity[] } };
    const r3 = new TuneSearch(layoutsOf(w), { ...plain, seed: 3 }).runInline();
    const r4 = new TuneSearch(layoutsOf(w), { ...plain, seed: 4 }).runInline();
    expect(r4.tried.filter((t) => t.origin === 'search').map((t) => t.candidate)).not.toEqual(r3.tried.filter((t) => t.origin === 'search').map((t) => t.candidate));
  });

  test('the Pareto front holds no dominated point; stopping at a batch boundary is reported', () => {
    const w = workload();
    let batches = 0;
    const r = new TuneSearch(layoutsOf(w), { ...small, maxCandidates: 12, shouldStop: () => batches++ >= 1 }).runInline();
    expect(r.status).toBe('stopped');
    expect(r.candidatesTried).toBe(4);
    for (const p of r.pareto) for (const q of r.pareto) if (p !== q) expect(q.missRate.mean <= p.missRate.mean && q.energyJ.mean < p.energyJ.mean && q.missRate.mean < p.missRate.mean).toBe(false);
    const bestSoFar = r.tried.map((t) => t.bestSoFar);
    for (let i = 1; i < bestSoFar.length; i++) expect(bestSoFar[i]).toBeLessThanOrEqual(bestSoFar[i - 1]);
  });

  test('a small discrete space is searched without repeats and reported exhausted', () => {
    const w = workload();
    const space = { policies: ['edf'], granularities: ['layer' as const], queueBounds: [1, 2], dropLate: [false], pinning: false };
    const r = new TuneSearch(layoutsOf(w), { ...small, space, baselines: ['edf'], maxCandidates: 10 }).runInline();
    expect(r.candidatesTried).toBe(2);
    expect(r.spaceExhausted).toBe(true);
    expect(new Set(r.tried.map((t) => JSON.stringify(t.candidate))).size).toBe(r.tried.length);
  });

  test('an infeasible scenario is reported with the tenant that cannot make its deadline, and nothing is searched', () => {
    const w = workload();
    const t0 = w.tenants[0];
    const tight: SimWorkload = { ...w, tenants: [{ ...t0, deadline: 1e-6 }, ...w.tenants.slice(1)] };
    expect(infeasibleTenants(layoutsOf(tight)).map((t) => t.tenant)).toEqual([t0.id]);
    const r = new TuneSearch(layoutsOf(tight), small).runInline();
    expect(r.status).toBe('infeasible');
    expect(r.infeasible![0].tenant).toBe(t0.id);
    expect(r.infeasible![0].bestIsolatedMs).toBeGreaterThan(r.infeasible![0].deadlineMs);
    expect(r.best).toBeUndefined();
    expect(r.simulations).toBe(0);
  });

  test('objectives: miss-under-cap penalises power above the cap; p99 counts never-finished frames', () => {
    const w = workload();
    const r = evaluateCandidate(layoutsOf(w), defaultCandidate('edf'), 1, sim, 1);
    expect(objectiveValue({ kind: 'miss-under-cap', energyCapWatts: 1e9 }, r)).toBeCloseTo(r.missRate);
    expect(objectiveValue({ kind: 'miss-under-cap', energyCapWatts: r.averageWatts / 2 }, r)).toBeGreaterThan(1 + r.missRate);
    expect(() => objectiveValue({ kind: 'miss-under-cap' }, r)).toThrow(/energy cap/);
    expect(objectiveValue({ kind: 'xrbench' }, r)).toBe(-r.xrbench);
    if (r.dropRate > 0.01) expect(objectiveValue({ kind: 'p99' }, r)).toBeGreaterThan(1e3);
  });

  test('pinning keeps a pinned tenant on its lane (and never strands a layer)', () => {
    const w = workload();
    const pinned = applyPins(w, [1, ...w.tenants.slice(1).map(() => null)]);
    pinned.tenants[0].layers.forEach((layer, i) => {
      const usable = layer.variants[0].cost.map((c, l) => (c ? l : -1)).filter((l) => l >= 0);
      const original = w.tenants[0].layers[i].variants[0].cost.map((c, l) => (c ? l : -1)).filter((l) => l >= 0);
      expect(usable).toEqual(original.includes(1) ? [1] : original);
    });
    expect(pinned.tenants[1]).toBe(w.tenants[1]);
  });

  test('lane layouts split the cores: one cpu:2 or two cpu:1, with and without the GPU', () => {
    expect(laneLayouts(['cpu:1', 'cpu:2'], 2)).toEqual([['cpu:1', 'cpu:1'], ['cpu:2']]);
    expect(laneLayouts(['cpu:2', 'cpu:4'], 8)[0]).toEqual(['cpu:2', 'cpu:2', 'cpu:2', 'cpu:2']); // no cpu:3 measured: the smallest, as many as the cores allow
    expect(laneLayouts(['cpu:3'], 8)[0]).toEqual(['cpu:3', 'cpu:3']);
    const withGpu = laneLayouts(['cpu:1', 'webgpu'], 2);
    expect(withGpu[0]).toEqual(['cpu:1', 'cpu:1', 'webgpu']);
    expect(withGpu).toContainEqual(['cpu:1', 'cpu:1', 'webgpu']);
    expect(withGpu).toContainEqual(['webgpu']);
    expect(laneLayouts(['cpu:2', 'cpu:1'], 2, ['cpu:2'])[0]).toEqual(['cpu:2']);
    expect(rungsFor(5, 2)).toEqual([1, 2, 4, 5]);
    expect(rungsFor(1, 2)).toEqual([1]);
    const i = interval([1, 2, 3]);
    expect(i.mean).toBe(2);
    expect(i.hi - i.mean).toBeCloseTo(4.303 * (1 / Math.sqrt(3)), 3);
    // A rate's interval stays within [0, 1]: no run measures a negative miss rate.
    const rate = interval([0, 0, 0.16], [0, 1]);
    expect(rate.lo).toBe(0);
    expect(rate.hi).toBeCloseTo(0.0533 + 4.303 * (Math.sqrt(0.008533) / Math.sqrt(3)), 3);
    expect(interval([0, 0, 0.16]).lo).toBeLessThan(0);
    expect(interval([1, 1, 0.7], [0, 1]).hi).toBe(1);
  });
});

describe('policy with parameters in its name', () => {
  test('createPolicy builds a tuned DREAM or Terastal from one string, and refuses unknown parameters', async () => {
    const { createPolicy, policySpec } = await import('../scheduler/core/policies');
    const spec = policySpec('dream_static', { weights: { urgency: 2 }, dropMargin: 0.3 });
    expect(spec).toBe('dream_static{"weights":{"urgency":2},"dropMargin":0.3}');
    expect(createPolicy(spec).state?.()).toMatchObject({ urgency: 2 });
    expect(createPolicy('terastal{"budgetShare":0.7}').name).toBe('terastal');
    expect(() => createPolicy('terastal{"budget":0.7}')).toThrow(/unknown parameter budget/);
    expect(() => createPolicy('edf{"x":1}')).toThrow(/unknown parameter x/);
    expect(() => createPolicy('terastal{"budgetShare":9}')).toThrow(/budgetShare/);
  });
});
