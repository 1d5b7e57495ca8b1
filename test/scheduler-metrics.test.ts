import { describe, expect, it } from 'vitest';
import { comparePolicies, stat } from '../scheduler/core/compare';
import { computeMetrics, percentile, uxcost, UXCOST_DEFINITION, xrbenchRealtime, XRBENCH_CONSTANTS } from '../scheduler/core/metrics';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import { describeWorkload } from '../scheduler/core/workload';

describe('metrics (BRIEF definitions)', () => {
  const jobs = [
    { tenant: 0, release: 0, deadline: 1, finish: 0.5, dropped: false, isolated: 0.25 },
    { tenant: 0, release: 1, deadline: 2, finish: 2.5, dropped: false, isolated: 0.25 },
    { tenant: 1, release: 0, deadline: 1, finish: NaN, dropped: true, isolated: 0.5 },
    { tenant: 1, release: 1, deadline: 2, finish: 1.5, dropped: false, isolated: 0.5, accuracyUsed: 0.02 },
  ];
  const m = computeMetrics({
    jobs,
    tenants: [{ id: 'x', slos: { minThroughput: 0.9 } }, { id: 'y', slos: { maxLatency: 0.4, minAccuracy: 0.97 }, baseAccuracy: 0.98 }],
    energy: { joules: 20, source: { kind: 'estimated', detail: 'test model' } },
    span: { duration: 2, horizon: 2.5 },
    referenceJoules: 10,
    window: 1,
  });

  it('miss, drop and violation rates, ANTT, STP', () => {
    expect(m.overall.missRate).toBe(2 / 4);
    expect(m.overall.dropRate).toBe(1 / 4);
    expect(m.overall.violationRate).toBe(1 / 4);
    expect(m.overall.antt).toBeCloseTo((2 + 6 + 1) / 3, 12);
    expect(m.perTenant[0].missRate).toBe(0.5);
    expect(m.perTenant[1].dropRate).toBe(0.5);
    expect(m.stp).toBeCloseTo(4 / 2.5, 12);
    expect(m.overall.p95Latency).toBeCloseTo(percentile([0.5, 0.5, 1.5], 0.95), 12);
  });

  it('energy per frame and average power carry their source; UXCost is labelled as Tessera\'s', () => {
    expect(m.energy.perFrameJ).toBeCloseTo(20 / 3, 12);
    expect(m.energy.averageWatts).toBeCloseTo(20 / 2.5, 12);
    expect(m.energy.source).toEqual({ kind: 'estimated', detail: 'test model' });
    expect(m.uxcost.value).toBeCloseTo((20 / 10) * (0.5 + 0.01), 12);
    expect(m.uxcost.definition).toBe(UXCOST_DEFINITION);
    expect(UXCOST_DEFINITION).toMatch(/Tessera's definition/);
    expect(uxcost(5, 10, 0)).toBeCloseTo(0.005, 12);
  });

  it('XRBench score with k = 15', () => {
    expect(XRBENCH_CONSTANTS).toMatch(/k = 15/);
    expect(xrbenchRealtime(0)).toBe(0.5);
    expect(xrbenchRealtime(-0.001)).toBeCloseTo(1 / (1 + Math.exp(-15)), 12);
    expect(xrbenchRealtime(0.001)).toBeCloseTo(1 / (1 + Math.exp(15)), 12);
    expect(m.xrbench.realtime).toBeCloseTo((xrbenchRealtime(-0.5) + xrbenchRealtime(0.5) + 0 + xrbenchRealtime(-0.5)) / 4, 12);
    expect(m.xrbench.energyScore).toBeCloseTo(0.5, 12);
    expect(m.xrbench.qoe).toBe(0.75);
    expect(m.xrbench.score).toBeCloseTo(m.xrbench.realtime * 0.5 * 0.75, 12);
  });

  it('multi-SLO satisfaction per tenant and per window', () => {
    const [x, y] = m.slo.perTenant;
    expect(x.throughput).toBe(true); // 2 finished in 2 s >= 0.9/s
    expect(x.all).toBe(true);
    expect(y.latency).toBe(false); // p95 of [0.5] > 0.4
    expect(y.accuracy).toBe(false); // 0.98 - 0.02 = 0.96 < 0.97
    expect(y.all).toBe(false);
    expect(m.slo.tenantsAll).toBe(0.5);
    expect(m.slo.tenantsLatency).toBe(0.5);
    expect(m.slo.tenantsThroughput).toBe(1);
    // Frames bucketed by release: x finishes one frame per 1 s window (>= 0.9/s) in both windows;
    // y's window 0 has only a dropped frame (it finished nothing: every SLO failed), window 1 a 0.5 s
    // latency > 0.4 and accuracy 0.96 < 0.97.
    expect(x.windows.throughput).toBe(1);
    expect(x.windows.all).toBe(1);
    expect(y.windows.latency).toBe(0);
    expect(y.windows.accuracy).toBe(0);
    expect(m.slo.windowsAll).toBe(0);
  });

  it('a tenant or window that released frames and finished none meets no SLO, declared or not', () => {
    // Issue 10 (5): a tenant whose every frame was dropped showed "SLO tenants 1.00" and "SLO windows 1.00".
    const dropped = (tenant: number, release: number) => ({ tenant, release, deadline: release + 1, finish: NaN, dropped: true, isolated: 0.1 });
    const done = (tenant: number, release: number) => ({ tenant, release, deadline: release + 1, finish: release + 0.1, dropped: false, isolated: 0.1 });
    const r = computeMetrics({
      jobs: [done(0, 0), done(0, 1), dropped(1, 0), dropped(1, 1), dropped(2, 0), done(2, 1)],
      tenants: [{ id: 'ok' }, { id: 'starved' }, { id: 'half', slos: { minAccuracy: 0.9 } }],
      energy: { joules: 1, source: { kind: 'estimated', detail: 'test' } },
      span: { duration: 2, horizon: 2 },
      window: 1,
    });
    const [ok, starved, half] = r.slo.perTenant;
    expect(ok).toMatchObject({ latency: true, throughput: true, accuracy: true, all: true, windows: { all: 1 } });
    expect(starved).toMatchObject({ latency: false, throughput: false, accuracy: false, all: false, windows: { latency: 0, throughput: 0, accuracy: 0, all: 0 } });
    expect(half.all).toBe(true); // finished a frame over the run, at full accuracy
    expect(half.windows).toEqual({ latency: 0.5, throughput: 0.5, accuracy: 0.5, all: 0.5 }); // window 0 finished nothing
    expect(r.slo.tenantsAll).toBeCloseTo(2 / 3, 12);
    expect(r.slo.windowsAll).toBe(0);
    // Nothing released (a tenant with no frames in the run, a window without releases): nothing was asked.
    const idle = computeMetrics({ jobs: [done(0, 0)], tenants: [{ id: 'a' }, { id: 'b', slos: { maxLatency: 0.01 } }], energy: { joules: 1, source: { kind: 'estimated', detail: 'test' } }, span: { duration: 2, horizon: 2 }, window: 1 });
    expect(idle.slo.tenantsAll).toBe(1);
    expect(idle.slo.windowsAll).toBe(1);
  });
});

describe('comparison', () => {
  it('summarises mean, spread and a shared E_ref over seeds', () => {
    expect(stat([1, 2, 3])).toEqual({ mean: 2, min: 1, max: 3, sd: 1 });
    const w = syntheticWorkload({ scenario: 'social_b', load: 0.8 });
    const c = comparePolicies(w, ['fcfs', 'edf', 'dream'], { duration: 1, seeds: [1, 2], latencyNoise: 0.1 });
    expect(c.rows.map((r) => r.policy)).toEqual(['fcfs', 'edf', 'dream']);
    expect(c.referencePolicy).toBe('fcfs');
    expect(c.referenceJoules).toBeCloseTo(c.rows[0].energyJ.mean, 9);
    for (const r of c.rows) {
      expect(r.seeds).toBe(2);
      expect(r.missRate.min).toBeLessThanOrEqual(r.missRate.mean);
      expect(r.missRate.max).toBeGreaterThanOrEqual(r.missRate.mean);
      expect(r.uxcost.mean).toBeGreaterThan(0);
      expect(r.perTenant.map((t) => t.tenant)).toEqual(w.tenants.map((t) => t.id));
    }
    expect(c.latencySource.kind).toBe('synthetic');
    expect(() => comparePolicies(w, ['fcfs', 'nope'], { duration: 1 })).toThrow(/unknown policy "nope"/);
  });

  it('the synthetic generator hits the requested load and is labelled synthetic', () => {
    const w = syntheticWorkload({ scenario: 'vr_gaming', skew: 'gpu', load: 1.2 });
    const d = describeWorkload(w);
    expect(d.favouriteUtilisation.gpu).toBeCloseTo(1.2, 9);
    expect(d.favouriteUtilisation.cpu).toBeLessThan(0.1);
    expect(w.latencySource.kind).toBe('synthetic');
    expect(w.energySource.kind).toBe('estimated');
    const b = describeWorkload(syntheticWorkload({ scenario: 'social_a', load: 0.8 }));
    expect(Math.max(b.favouriteUtilisation.cpu, b.favouriteUtilisation.gpu)).toBeCloseTo(0.8, 9);
    expect(Math.min(b.favouriteUtilisation.cpu, b.favouriteUtilisation.gpu)).toBeGreaterThan(0.2);
    expect(() => syntheticWorkload({ scenario: 'nope' })).toThrow(/unknown synthetic scenario "nope"; known: vr_gaming/);
  });

  it('under a skewed load Tessera-DREAM and Terastal-style miss at least 30% fewer deadlines than the best of FCFS, EDF and SDRM3', () => {
    const w = syntheticWorkload({ scenario: 'vr_gaming', skew: 'gpu', load: 1.2, variants: true });
    const c = comparePolicies(w, ['fcfs', 'edf', 'sdrm3', 'dream', 'terastal'], { duration: 3, seeds: [1, 2], latencyNoise: 0.1, jobNoise: 0.1 });
    const miss = Object.fromEntries(c.rows.map((r) => [r.policy, r.missRate.mean]));
    const best = Math.min(miss.fcfs, miss.edf, miss.sdrm3);
    expect(best).toBeGreaterThan(0.2); // the load really is too much for them
    expect(miss.dream).toBeLessThan(0.7 * best);
    expect(miss.terastal).toBeLessThan(0.7 * best);
    const ux = Object.fromEntries(c.rows.map((r) => [r.policy, r.uxcost.mean]));
    expect(Math.min(ux.dream, ux.terastal)).toBeLessThan(Math.min(ux.fcfs, ux.edf, ux.sdrm3));
  });

  it('near capacity with one dominant model, Tessera-DREAM and Terastal-style do not miss more than FCFS (variant budget respected when scoring)', () => {
    const w = syntheticWorkload({ scenario: 'outdoor_b', load: 0.8, variants: true });
    const c = comparePolicies(w, ['fcfs', 'dream', 'terastal'], { duration: 4, seeds: [1, 2], latencyNoise: 0.1, jobNoise: 0.1 });
    const miss = Object.fromEntries(c.rows.map((r) => [r.policy, r.missRate.mean]));
    expect(miss.dream).toBeLessThan(miss.fcfs + 0.03);
    expect(miss.terastal).toBeLessThan(miss.fcfs + 0.03);
  });
});
