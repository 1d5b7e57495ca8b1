// The live runtime running layer variants for real: generated and verified on the cut's
// activations, loaded as sessions on every lane before the run (memory reported), timed at
// calibration beside the originals, chosen by the policy within each tenant's budget or whitelist,
// and reported per tenant.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LiveRun, parseLanes, type LiveScenario } from '../scheduler/live';
import { attachVariants } from '../scheduler/live/variant-exec';
import { tinyCnn } from './support/tiny-model';

describe('live runs with layer variants', () => {
  beforeAll(() => {
    if (!existsSync(join(__dirname, '..', 'dist', 'workers', 'live-lane.worker.cjs'))) throw new Error('run `npm run build` first (the live lane worker is a built bundle)');
  });

  it('loads verified variants on every lane, runs the ones the policy picks, and reports their use', { retry: 1, timeout: 120_000 }, async () => {
    const bytes = tinyCnn({ channels: 16, size: 24, name: 'cnn_variants' });
    const scenario: LiveScenario = {
      name: 'variants',
      tenants: [
        { id: 'budget', model: { bytes, name: 'cnn_variants' }, arrival: { type: 'periodic', fps: 400 }, accuracyBudget: 0.5 },
        { id: 'listed', model: { bytes, name: 'cnn_variants' }, arrival: { type: 'periodic', fps: 400 }, maxOutputRelErr: 0.5 },
      ],
    };
    const run = new LiveRun(scenario, { policy: 'dream', duration: 1.5, lanes: parseLanes('cpu:1'), granularity: 'layer', seed: 2, meters: false, writeFiles: false, variants: 'fp16,lowrank', load: 1.5, calibration: { reps: 4, warmup: 1 } }, { attachVariants });
    const r = await run.run();
    expect(r.report.status).toBe('completed');
    const s = r.report.variantSessions!;
    expect(s).toHaveLength(1);
    expect(s[0].sessions).toBeGreaterThanOrEqual(2);
    expect(s[0].modelBytes).toBeGreaterThan(0);
    expect(s[0].rssGrowthBytes).toBeGreaterThanOrEqual(0);
    const use = r.report.variantUse!;
    expect(use.map((u) => [u.tenant, u.rule])).toEqual([['budget', 'budget'], ['listed', 'whitelist']]);
    // Overloaded: some approximate variant really ran (the slices name it), within the allowance.
    const ranVariant = r.slices.filter((x) => x.kind === 'layer' && x.variant > 0);
    expect(ranVariant.length).toBeGreaterThan(0);
    expect(use.some((u) => u.approximateShare > 0)).toBe(true);
    for (const u of use) expect(u.maxSpent).toBeLessThanOrEqual(u.allowance + 1e-9);
    const total = (u: (typeof use)[number]) => Object.values(u.runs).reduce((a, b) => a + b, 0);
    expect(total(use[0]) + total(use[1])).toBe(r.slices.filter((x) => x.kind === 'layer').length);
  });

  it('variants need layer granularity', async () => {
    const run = new LiveRun({ name: 'x', tenants: [{ id: 'a', model: { bytes: tinyCnn(), name: 'c' }, arrival: { type: 'periodic', fps: 10 } }] }, { policy: 'fcfs', duration: 1, lanes: parseLanes('cpu:1'), granularity: 'model', variants: 'fp16', meters: false, writeFiles: false }, { attachVariants });
    await expect(run.run()).rejects.toThrow(/run with granularity layer/);
  });
});
