// Finding a load that separates policies: the pure choice (scheduler/core/separate.ts) and the engine's
// simulate.findLoad on synthetic XRBench workloads, where the default load may tie the policies.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localClient } from '../engine/local';
import { MAX_BEST_MISS, MIN_SPREAD, pickSeparatingLoad } from '../scheduler/core/separate';

process.env.TESSERA_HOME = mkdtempSync(join(tmpdir(), 'tessera-separate-'));

describe('pickSeparatingLoad', () => {
  it('picks the widest spread among loads where the best policy keeps up', () => {
    const r = pickSeparatingLoad([
      { load: 0.5, missRate: { a: 0.001, b: 0.001 } },
      { load: 1.0, missRate: { a: 0.05, b: 0.25 } },
      { load: 0.8, missRate: { a: 0.01, b: 0.08 } },
      { load: 2.0, missRate: { a: 0.6, b: 0.95 } }, // widest, but even the best fails
    ]);
    expect(r.load).toBe(1.0);
    expect(r.spread).toBeCloseTo(0.2);
    expect(r.best).toEqual({ policy: 'a', missRate: 0.05 });
    expect(r.worst).toEqual({ policy: 'b', missRate: 0.25 });
    expect(r.separates).toBe(true);
    expect(r.probes.map((p) => p.load)).toEqual([0.5, 0.8, 1.0, 2.0]);
    expect(r.reason).toMatch(/from 5.0% \(a\) to 25.0% \(b\)/);
  });

  it('says so when nothing separates the policies, or when every load is too much', () => {
    const tie = pickSeparatingLoad([
      { load: 0.5, missRate: { a: 0, b: 0 } },
      { load: 1.0, missRate: { a: 0.01, b: 0.015 } },
    ]);
    expect(tie.separates).toBe(false);
    expect(tie.load).toBe(1.0);
    expect(tie.reason).toMatch(/no load from 0.5 to 1 separates/);
    const over = pickSeparatingLoad([{ load: 0.5, missRate: { a: MAX_BEST_MISS + 0.1, b: 0.9 } }, { load: 1, missRate: { a: 0.8, b: 0.9 } }]);
    expect(over.load).toBe(0.5);
    expect(over.reason).toMatch(/cannot keep up/);
    expect(() => pickSeparatingLoad([])).toThrow(/no load probes/);
  });
});

describe('simulate.findLoad', () => {
  it('finds a load where the six default policies differ on synthetic vr_gaming', async () => {
    const { client, close } = localClient();
    try {
      const policies = ['fcfs', 'edf', 'sdrm3', 'dysta', 'dream', 'terastal'];
      for (const scenario of ['synthetic:vr_gaming']) {
        const r = await client.call('simulate.findLoad', { scenario, policies, durationSec: 3 });
        expect(r.probes).toHaveLength(10);
        expect(r.separates).toBe(true);
        expect(r.spread).toBeGreaterThanOrEqual(MIN_SPREAD);
        expect(r.best.missRate).toBeLessThanOrEqual(MAX_BEST_MISS);
        expect(r.meaning).toMatch(/busiest lane/);
        console.log(`${scenario}: load ${r.load}; ${r.reason}`);
        // The comparison at that load separates them too (more seeds, same duration).
        const c = await client.call('simulate.compare', { scenario, policies, load: r.load, seeds: 2, durationSec: 3, timelineSlices: 10 });
        const miss = c.comparison.rows.map((row) => row.missRate.mean);
        expect(Math.max(...miss) - Math.min(...miss)).toBeGreaterThanOrEqual(MIN_SPREAD);
      }
      await expect(client.call('simulate.findLoad', { scenario: 'synthetic:vr_gaming', policies: ['edf', 'nope'] })).rejects.toThrow(/unknown policy "nope"/);
    } finally {
      close();
    }
  }, 120_000);
});
