// The simulator's per-layer shortcuts give exactly what the plain formulas give (bit for bit): the
// layer noise from a per-frame hash prefix, and a policy's assignment started with the cost index
// the books found while checking it.
import { describe, expect, it } from 'vitest';
import { hashGaussian, hashGaussianAt, hashPrefix, normalQuantile, rng } from '../scheduler/core/rng';
import { layerFactor, layerFactorAt, layerNoiseKey, SALT } from '../scheduler/core/arrivals';
import { PredictionModel } from '../scheduler/core/predict';
import { syntheticWorkload } from '../scheduler/core/synthetic';

describe('simulator hot path', () => {
  it('the hashed normal numbers are standard normal quantiles (Acklam: relative error < 1.2e-9) and distributed as N(0, 1)', () => {
    // Reference quantiles: Python's statistics.NormalDist().inv_cdf (Wichura's AS241, ~1e-16).
    const ref: [number, number][] = [
      [1e-9, -5.9978070150076865], [1e-6, -4.753424308822899], [0.001, -3.090232306167813], [0.01, -2.3263478740408408],
      [0.02425, -1.9729610513118845], [0.025, -1.9599639845400538], [0.1, -1.2815515655446008], [0.3, -0.5244005127080407],
      [0.5, 0], [0.6, 0.2533471031357998], [0.841344746068543, 1.0000000000000007], [0.9, 1.2815515655446008],
      [0.97575, 1.9729610513118847], [0.975, 1.9599639845400536], [0.999, 3.090232306167813], [0.9999999, 5.199337582290662],
    ];
    for (const [p, z] of ref) expect(Math.abs(normalQuantile(p) - z)).toBeLessThan(1.2e-9 * (1 + Math.abs(z)));
    // Monotone across the central region's edges (no jump where the rational functions meet).
    for (const edge of [0.02425, 0.97575]) expect(normalQuantile(edge - 1e-12)).toBeLessThan(normalQuantile(edge + 1e-12));
    const n = 200000;
    let sum = 0;
    let sq = 0;
    let below = 0;
    for (let i = 0; i < n; i++) {
      const z = hashGaussian(11, i, 3, 0);
      sum += z;
      sq += z * z;
      if (z < -1.959963984540054) below++;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(Math.abs(Math.sqrt(sq / n) - 1)).toBeLessThan(0.01);
    expect(Math.abs(below / n - 0.025)).toBeLessThan(0.002);
  });

  it('hashGaussianAt(hashPrefix(s, a, b), c) is hashGaussian(s, a, b, c), bit for bit', () => {
    const r = rng(7);
    for (let i = 0; i < 20000; i++) {
      const s = Math.floor(r() * 2 ** 32);
      const a = Math.floor(r() * 1000);
      const b = Math.floor(r() * 1e6);
      const c = Math.floor(r() * 500);
      expect(Object.is(hashGaussianAt(hashPrefix(s, a, b), c), hashGaussian(s, a, b, c))).toBe(true);
    }
  });

  it('layerFactorAt with the frame key is the per-layer hash of (seed, tenant, frame, layer)', () => {
    for (const noise of [0, 0.1, 0.7]) {
      for (let t = 0; t < 3; t++) {
        for (let f = 0; f < 50; f++) {
          const key = layerNoiseKey(5, t, f);
          for (let l = 0; l < 40; l++) {
            const plain = noise > 0 ? Math.max(0.2, 1 + noise * hashGaussian(5, t * 8 + SALT.layer, f, l)) : 1;
            expect(layerFactorAt(key, l, noise)).toBe(plain);
            expect(layerFactor(5, t, f, l, noise)).toBe(plain);
          }
        }
      }
    }
  });

  it('costIndex points at latency() and layerEnergy() of the same (tenant, layer, lane, variant), -1 for a missing variant', () => {
    const w = syntheticWorkload({ scenario: 'vr_gaming', load: 0.6, variants: true });
    const m = new PredictionModel(w);
    let checked = 0;
    w.tenants.forEach((t, ti) => t.layers.forEach((layer, li) => {
      for (let v = 0; v <= layer.variants.length; v++) {
        for (let lane = 0; lane < w.lanes.length; lane++) {
          const k = m.costIndex(ti, li, lane, v);
          if (v === layer.variants.length) expect(k).toBe(-1);
          else {
            expect(m.lat[k]).toBe(m.latency(ti, li, lane, v));
            expect(m.energy[k]).toBe(m.layerEnergy(ti, li, lane, v));
            checked++;
          }
        }
      }
    }));
    expect(checked).toBeGreaterThan(100);
  });
});
