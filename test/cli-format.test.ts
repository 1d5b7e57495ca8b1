// The CLI's human-readable output and argument parsing that need no engine: `tessera profile`'s summary
// vs --layers, `tessera run --switch`.
import { describe, expect, it } from 'vitest';
import { formatProfile, SUMMARY_LAYERS } from '../cli/commands/profile';
import { parseSwitches } from '../cli/commands/run';
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
