import { describe, expect, it } from 'vitest';
import { binomialHalfCdf, deriveLatencyFigures, latencyStats, logGamma, median, medianCi, medianCiRank, netLatency, normalQuantile, quantile, RESOLVED_RATIO, StoppingRule, UNKNOWN_CI_REL } from '../profiler/stats';
import type { LaneMeasurement } from '../profiler/types';

describe('stats', () => {
  it('median and quantiles interpolate between order statistics', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.05)).toBeCloseTo(1.2);
    expect(quantile([1, 2, 3, 4, 5], 0.95)).toBeCloseTo(4.8);
    expect(quantile([7], 0.3)).toBe(7);
  });

  it('log-gamma and the binomial CDF are exact enough', () => {
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 10);
    expect(binomialHalfCdf(10, 1)).toBeCloseTo(11 / 1024, 12);
    expect(binomialHalfCdf(4, 4)).toBe(1);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
  });

  it('order-statistic ranks match the published tables for the 95% CI of the median', () => {
    // n: lower rank j, interval [x(j), x(n-j+1)] (e.g. Conover, Practical Nonparametric Statistics, table A3).
    expect(medianCiRank(5)).toBe(0); // no 95% interval exists
    expect(medianCiRank(6)).toBe(1);
    expect(medianCiRank(10)).toBe(2);
    expect(medianCiRank(20)).toBe(6);
    expect(medianCiRank(100)).toBe(40);
    // Coverage of the chosen interval is >= 95% and the next narrower one is below.
    for (const n of [6, 11, 37, 250, 999]) {
      const j = medianCiRank(n);
      expect(1 - 2 * binomialHalfCdf(n, j - 1)).toBeGreaterThanOrEqual(0.95);
      expect(1 - 2 * binomialHalfCdf(n, j)).toBeLessThan(0.95);
    }
    // The normal approximation used above n = 2000 agrees with the exact rank within 1.
    const exactAt2000 = medianCiRank(2000);
    expect(Math.abs(medianCiRank(2001) - exactAt2000)).toBeLessThanOrEqual(1);
  });

  it('the CI of the median covers the true median about 95% of the time (simulation)', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    let covered = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      // Skewed (exponential) latencies with true median ln 2.
      const xs = Array.from({ length: 30 }, () => -Math.log(1 - rnd()));
      const ci = medianCi(xs);
      if (ci.lo <= Math.LN2 && Math.LN2 <= ci.hi) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.93);
    expect(covered / trials).toBeLessThan(0.99);
  });

  it('latencyStats reports median, p5, p95, cv, n and convergence', () => {
    const xs = Array.from({ length: 200 }, (_, i) => 10 + (i % 10) * 0.01);
    const s = latencyStats(xs, 0.02);
    expect(s.n).toBe(200);
    expect(s.median).toBeCloseTo(10.045, 3);
    expect(s.p5).toBeLessThan(s.median);
    expect(s.p95).toBeGreaterThan(s.median);
    expect(s.cv).toBeGreaterThan(0);
    expect(s.ciHalfWidthRel).toBeLessThan(0.02);
    expect(s.converged).toBe(true);
    const few = latencyStats([1, 2, 3], 0.02);
    expect(few.ciHalfWidthRel).toBe(UNKNOWN_CI_REL);
    expect(few.converged).toBe(false);
    const noisy = latencyStats([1, 5, 2, 9, 3, 7, 1, 8, 2, 6], 0.02);
    expect(noisy.converged).toBe(false);
    expect(JSON.parse(JSON.stringify(noisy)).ciHalfWidthRel).toBe(noisy.ciHalfWidthRel);
  });

  it('the stopping rule stops on a tight CI, on the budget, or at the cap', () => {
    const tight = new StoppingRule({ budgetMs: 1e9, ciTarget: 0.02 });
    const xs: number[] = [];
    let reason;
    for (let i = 0; i < 1000 && !reason; i++) {
      xs.push(5 + (i % 3) * 0.001);
      reason = tight.check(xs, i);
    }
    expect(reason).toBe('converged');
    expect(xs.length).toBeLessThan(20);

    const noisy = new StoppingRule({ budgetMs: 100, ciTarget: 0.02 });
    const ys: number[] = [];
    reason = undefined;
    for (let i = 0; i < 1e6 && !reason; i++) {
      ys.push(i % 2 ? 1 : 10);
      reason = noisy.check(ys, i * 10);
    }
    expect(reason).toBe('budget');
    expect(ys.length).toBe(11); // elapsed 100 ms at the 11th sample

    const capped = new StoppingRule({ budgetMs: 1e9, ciTarget: 0, maxSamples: 50 });
    const zs: number[] = [];
    reason = undefined;
    while (!reason) {
      zs.push(zs.length % 2 ? 1 : 2);
      reason = capped.check(zs, 0);
    }
    expect(reason).toBe('max-samples');
    expect(zs.length).toBe(50);

    // A slow layer past its budget still gets the hard minimum of samples.
    const slow = new StoppingRule({ budgetMs: 10 });
    expect(slow.check([500], 500)).toBeUndefined();
    expect(slow.check([500, 500], 1000)).toBeUndefined();
    expect(slow.check([500, 500, 500], 1500)).toBe('budget');
  });
});

describe('resolved latencies and throughput (issue 10, part 5)', () => {
  const raw = (median: number, ciHalfWidthRel: number, n = 200) => ({ median, p5: median * 0.95, p95: median * 1.05, mean: median, cv: 0.03, n, ciHalfWidthRel, converged: ciHalfWidthRel < 0.02 });
  // A PP-OCR cls layer as a user saw it: 8.8 us per call over an 8.3 us baseline, 0.13 MFLOP: "2844 GFLOP/s, 2790% of peak".
  const lane = { baselineMs: 0.0083, baselineCiMs: 0.0002, timerResolutionMs: 0.0001, peakGflops: 102 };
  const flops = 2844e9 * 0.0005e-3;

  it('a latency within a few uncertainties of the baseline is unresolved, and says why; a clear one is resolved', () => {
    const tiny = netLatency(raw(0.0088, 0.02), { ms: lane.baselineMs, ciMs: lane.baselineCiMs, timerMs: lane.timerResolutionMs });
    expect(tiny.ms).toBeCloseTo(0.0005, 12);
    expect(tiny.uncertaintyMs).toBeCloseTo(0.0088 * 0.02 + 0.0002 + 0.0001, 12);
    expect(tiny.resolved).toBe(false);
    expect(tiny.why).toMatch(/under 4x its 95% uncertainty/);
    const big = netLatency(raw(1.2, 0.02), { ms: 0.0083, ciMs: 0.0002, timerMs: 0.0001 });
    expect(big.resolved).toBe(true);
    expect(big.why).toBeUndefined();
    // Exactly at the ratio: resolved; just under: not.
    const u = 0.1 * 0.01;
    expect(netLatency(raw(0.1, 0.01), { ms: 0.1 - RESOLVED_RATIO * u }).resolved).toBe(true);
    expect(netLatency(raw(0.1, 0.01), { ms: 0.1 - RESOLVED_RATIO * u * 0.99 }).resolved).toBe(false);
    // A coarse timer alone makes a latency unresolved, however tight the CI of identical samples.
    expect(netLatency(raw(1, 0), { ms: 0, timerMs: 1 }).resolved).toBe(false);
    // Too few runs for a CI: unresolved, whatever the numbers.
    expect(netLatency(raw(50, UNKNOWN_CI_REL, 5)).why).toMatch(/5 runs: too few/);
    expect(netLatency(raw(50, 0.01, 6)).resolved).toBe(true);
  });

  it('throughput figures only where the latency is resolved; stale figures are removed; idempotent', () => {
    const m: LaneMeasurement = { lane: 'cpu:1', raw: raw(0.0088, 0.02), latencyMs: 0.0005, achievedGflops: 2844, peakFraction: 27.9 };
    deriveLatencyFigures(m, lane, flops);
    expect(m.achievedGflops).toBeUndefined();
    expect(m.peakFraction).toBeUndefined();
    expect(m.unresolved).toMatch(/under 4x/);
    expect(m.latencyCiMs).toBeCloseTo(0.0088 * 0.02 + 0.0003, 12);
    const ok: LaneMeasurement = { lane: 'cpu:1', raw: raw(2.0083, 0.01) };
    deriveLatencyFigures(ok, lane, 2e8);
    expect(ok.latencyMs).toBeCloseTo(2, 12);
    expect(ok.achievedGflops).toBeCloseTo(100, 9);
    expect(ok.peakFraction).toBeCloseTo(100 / 102, 9);
    expect(ok.unresolved).toBeUndefined();
    const again = structuredClone(ok);
    deriveLatencyFigures(again, lane, 2e8);
    expect(again).toEqual(ok);
    // Unknown CI: no latencyCiMs (JSON has no Infinity), unresolved.
    const few: LaneMeasurement = { lane: 'cpu:1', raw: raw(5, UNKNOWN_CI_REL, 3) };
    deriveLatencyFigures(few, lane, 1e9);
    expect(few.latencyCiMs).toBeUndefined();
    expect(few.achievedGflops).toBeUndefined();
    expect(few.unresolved).toMatch(/3 runs/);
  });
});
