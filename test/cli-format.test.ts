// The CLI's human-readable output and argument parsing that need no engine: `tessera profile`'s summary
// vs --layers, `tessera run --switch`.
import { describe, expect, it } from 'vitest';
import { formatProfile, SUMMARY_LAYERS } from '../cli/commands/profile';
import { energyAttributionLines, parseSwitches } from '../cli/commands/run';
import type { LiveReport } from '../scheduler/live/types';
import { UsageError } from '../cli/command';
import { fakeProfile } from './support/fake-profile';

function profile(layers: number) {
  // Layer i takes (i * 7) % layers + 1 ms on cpu: a shuffled order, so "slowest" is not "last".
  const p = fakeProfile('p1', 'm', ['cpu'], Array.from({ length: layers }, (_, i) => [((i * 7) % layers) + 1]));
  for (const l of p.layers) l.preferredLane = 'cpu';
  return p;
}

describe('tessera profile output', () => {
  it('prints a summary by default: the slowest layers only, and says how to get all', () => {
    const p = profile(40);
    const text = formatProfile(p);
    const rows = text.split('\n').filter((l) => /^\s+\d+ layer\d+/.test(l));
    expect(rows).toHaveLength(SUMMARY_LAYERS);
    const ms = rows.map((r) => Number(/layer\d+\s+Conv\s+([\d.]+)/.exec(r)![1]));
    expect(ms).toEqual([40, 39, 38, 37, 36]);
    expect(text).toMatch(/the 5 slowest of 40 layers .*--layers for the full table/);
    expect(text.split('\n').length).toBeLessThan(25);
  });

  it('--layers prints every layer in model order', () => {
    const text = formatProfile(profile(40), { layers: true });
    const rows = text.split('\n').filter((l) => /^\s+\d+ layer\d+/.test(l));
    expect(rows).toHaveLength(40);
    expect(rows[0]).toMatch(/^\s+0 layer0 /);
    expect(text).not.toMatch(/slowest/);
  });
});

describe('tessera run --switch', () => {
  it('parses POLICY@TIME, repeatable and comma-separated, sorted by time', () => {
    expect(parseSwitches(undefined)).toBeUndefined();
    expect(parseSwitches(['fcfs@2m', 'edf@5s,dream@500ms'])).toEqual([
      { policy: 'dream', at: 0.5 },
      { policy: 'edf', at: 5 },
      { policy: 'fcfs', at: 120 },
    ]);
    expect(parseSwitches('edf@0')).toEqual([{ policy: 'edf', at: 0 }]);
    expect(() => parseSwitches(['edf'])).toThrow(UsageError);
    expect(() => parseSwitches(['edf@soon'])).toThrow(/--switch edf@soon: the time must look like 5s/);
  });
});

describe('tessera run: energy per tenant', () => {
  const report = (attribution: LiveReport['energy']['attribution']) => ({ energy: { joules: 1, averageWatts: 1, source: { kind: 'measured', detail: 'x' }, meters: [], attribution } }) as unknown as LiveReport;
  it('prints the regression with n, R² and the 95% intervals, or says why it is not available', () => {
    const e = (value: number) => ({ value, lo: value - 1, hi: value + 1 });
    const lines = energyAttributionLines(report([{ attribution: 'regression', meter: 'rapl', samples: 120, r2: 0.91, confidence: 0.95, idleWatts: e(12), lanes: [], tenants: [{ tenant: 'a', busySec: 2, joules: e(30) }, { tenant: 'b', busySec: 1, joules: e(9) }], measuredJoules: 100, baselineJoules: e(61), spanSec: 5, method: 'm' }]));
    expect(lines).toEqual(['Energy per tenant, attributed by regression on rapl (120 samples, R² 0.91, 95% intervals): a 30.00 J [29.00, 31.00], b 9.00 J [8.00, 10.00]; baseline (idle 12.0 W, other processes included) 61.00 J [60.00, 62.00] of 100.00 J measured']);
    expect(energyAttributionLines(report([{ attribution: 'unavailable', reason: 'no power meter covers the lanes' }]))).toEqual(['Energy per tenant: not available (no power meter covers the lanes)']);
    expect(energyAttributionLines(report(undefined))).toEqual([]);
  });
});
