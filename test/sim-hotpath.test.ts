// The simulator's per-layer shortcuts give exactly what the plain formulas give (bit for bit): the
// layer noise from a per-frame hash prefix, and a policy's assignment started with the cost index
// the books found while checking it.
import { describe, expect, it } from 'vitest';
import { hashGaussian, hashGaussianAt, hashPrefix, rng } from '../scheduler/core/rng';
import { layerFactor, layerFactorAt, layerNoiseKey, SALT } from '../scheduler/core/arrivals';
import { PredictionModel } from '../scheduler/core/predict';
import { syntheticWorkload } from '../scheduler/core/synthetic';

describe('simulator hot path', () => {
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
