// Groups of k layers (scheduler/core/groups.ts, common/granularity.ts): the pure workload transform,
// and the simulator on it: group:1 is 'layer', a group of every layer is 'model'.
import { describe, expect, test } from 'vitest';
import { createPolicy, groupRanges, groupWorkload, policyNames, simulate, withGranularity, type SimWorkload, type TenantDef } from '../scheduler/core';
import { rng } from '../scheduler/core/rng';
import { describeGranularity, granularityProblem, groupSize, parseGranularity } from '../common/granularity';

const lanes = [
  { id: 'a', kind: 'cpu', idleWatts: 1, busyWatts: 5 },
  { id: 'b', kind: 'cpu', idleWatts: 1, busyWatts: 3 },
];
const meta = { latencySource: { kind: 'synthetic' as const, detail: 'test' }, energySource: { kind: 'estimated' as const, detail: 'test' } };

/** Three tenants; lane b is 1.7x slower on every layer (so each layer's fastest lane is a group's too). */
function workload(fps = [60, 40, 80]): SimWorkload {
  const r = rng(7);
  const tenants: TenantDef[] = [0, 1, 2].map((i) => ({
    id: `t${i}`,
    model: `m${i}`,
    priority: [1, 3, 9][i],
    arrival: { type: 'periodic', fps: fps[i], jitter: 0.001 },
    layers: Array.from({ length: [4, 6, 3][i] }, (_, l) => {
      const a = (0.5 + r()) * 2e-3;
      return { name: `L${l}`, outputBytes: 1000 * (l + 1), variants: [{ id: 'orig', accuracyDelta: 0, cost: [{ latency: a }, { latency: a * 1.7 }] }] };
    }),
  }));
  return { name: 'w', lanes, tenants, ...meta };
}

describe('granularity grammar', () => {
  test('layer, model and group:K parse; anything else is refused with what is accepted', () => {
    expect(parseGranularity('group:4')).toBe('group:4');
    expect(groupSize('group:4')).toBe(4);
    expect(groupSize('layer')).toBe(1);
    expect(groupSize('model')).toBeUndefined();
    expect(describeGranularity('group:2')).toBe('groups of 2 layers');
    for (const bad of ['group', 'group:0', 'group:-1', 'group:1.5', 'group:04', 'groups:2', 'Layer', 'group:99999']) expect(granularityProblem(bad), bad).toBeDefined();
    expect(() => parseGranularity('node')).toThrow(/layer, model or group:K/);
  });
});

describe('groupWorkload (pure)', () => {
  const layer = (name: string, costs: ([number, number?] | null)[], variants: { id: string; delta: number; costs: ([number, number?] | null)[] }[] = [], outputBytes = 10) => ({
    name,
    outputBytes,
    variants: [{ id: 'orig', accuracyDelta: 0, costs }, ...variants.map((v) => ({ id: v.id, accuracyDelta: v.delta, costs: v.costs }))].map((v) => ({ id: v.id, accuracyDelta: v.accuracyDelta, cost: v.costs.map((c) => (c ? { latency: c[0], ...(c[1] !== undefined ? { energy: c[1] } : {}) } : null)) })),
  });
  const t: TenantDef = {
    id: 'x',
    model: 'm',
    priority: 1,
    arrival: { type: 'periodic', fps: 10 },
    accuracyBudget: 0.1,
    layers: [
      layer('c1', [[1, 2], [3]], [{ id: 'fp16', delta: 0.01, costs: [[0.5], [2]] }, { id: 'int8', delta: 0.02, costs: [[0.4], null] }], 100),
      layer('c2', [[2], [4]], [{ id: 'fp16', delta: 0.03, costs: [[1], [3]] }], 200),
      layer('c3', [[1], null], [], 300),
      layer('c4', [[4], [1]], [], 400),
      layer('c5', [[5], [5]], [{ id: 'fp16', delta: 0.01, costs: [[2], [2]] }], 500),
    ],
    whitelist: {
      costLabel: 'test',
      combos: [
        { id: 'both-fp16', variants: [1, 1, 0, 0, 0], cost: 0.04 },
        { id: 'mixed', variants: [2, 1, 0, 0, 0], cost: 0.05 },
        { id: 'half', variants: [1, 0, 0, 0, 0], cost: 0.01 },
        { id: 'last', variants: [0, 0, 0, 0, 1], cost: 0.01 },
      ],
    },
  };
  const w: SimWorkload = { name: 'p', lanes, tenants: [t], ...meta };

  test('ranges: consecutive, the last one shorter', () => {
    expect(groupRanges(5, 2)).toEqual([[0, 2], [2, 4], [4, 5]]);
    expect(groupRanges(3, 8)).toEqual([[0, 3]]);
    expect(() => groupRanges(3, 0)).toThrow(/positive integer/);
  });

  test('costs add up per lane (energy: its own figure, else busyWatts x latency); a lane that cannot run one layer cannot run the group', () => {
    const g = groupWorkload(w, 2).tenants[0];
    expect(g.layers.map((l) => l.name)).toEqual(['c1..c2', 'c3..c4', 'c5']);
    expect(g.layers.map((l) => l.outputBytes)).toEqual([200, 400, 500]);
    const [g0, g1, g2] = g.layers;
    expect(g0.variants[0].cost).toEqual([{ latency: 3, energy: 2 + 2 * 5 }, { latency: 7 }]);
    expect(g1.variants[0].cost).toEqual([{ latency: 5 }, null]);
    // A group of one layer is that layer, every variant kept.
    expect(g2).toEqual(t.layers[4]);
  });

  test('variants: a group keeps variant X only where every layer has X (costs and accuracy summed)', () => {
    const [g0, g1] = groupWorkload(w, 2).tenants[0].layers;
    expect(g0.variants.map((v) => v.id)).toEqual(['orig', 'fp16']);
    expect(g0.variants[1].accuracyDelta).toBeCloseTo(0.04);
    expect(g0.variants[1].cost).toEqual([{ latency: 1.5 }, { latency: 5 }]);
    expect(g1.variants.map((v) => v.id)).toEqual(['orig']);
  });

  test('whitelist: combinations that choose one variant per group survive, mapped; mixed ones are dropped', () => {
    const wl = groupWorkload(w, 2).tenants[0].whitelist!;
    expect(wl.combos.map((c) => [c.id, c.variants])).toEqual([['both-fp16', [1, 0, 0]], ['last', [0, 0, 1]]]);
  });

  test('k = 1 leaves every tenant as it was; the input is not modified', () => {
    const before = JSON.stringify(w);
    expect(groupWorkload(w, 1).tenants).toEqual(w.tenants);
    groupWorkload(w, 3);
    expect(JSON.stringify(w)).toBe(before);
  });

  test('withGranularity: layer and model pass through; group:K groups and dispatches at layer preemption', () => {
    expect(withGranularity(w, 'model')).toEqual({ workload: w, preemption: 'model' });
    expect(withGranularity(w, 'layer').preemption).toBe('layer');
    const g = withGranularity(w, 'group:3');
    expect(g.preemption).toBe('layer');
    expect(g.workload.tenants[0].layers.map((l) => l.name)).toEqual(['c1..c3', 'c4..c5']);
  });
});

describe('the simulator on groups', () => {
  test('group:1 gives the same result as layer granularity, for every policy (with noise)', () => {
    const w = workload();
    for (const p of policyNames()) {
      const o = { duration: 2, seed: 3, jobNoise: 0.2, latencyNoise: 0.1 };
      const a = simulate(w, createPolicy(p), { ...o, preemption: 'layer' });
      const g = withGranularity(w, 'group:1');
      const b = simulate(g.workload, createPolicy(p), { ...o, preemption: g.preemption });
      expect(b.jobs, p).toEqual(a.jobs);
      expect(b.energyJ, p).toBe(a.energyJ);
      expect(b.metrics, p).toEqual(a.metrics);
    }
  });

  // Policies that reason about the layers inside a frame (HEFT's per-layer plan, SDRM3's and
  // Terastal's per-layer terms, DREAM's per-layer scores) see one layer where model granularity shows
  // them several, so they decide differently; every other policy must give the same frames.
  const LAYER_AWARE = ['heft', 'sdrm3', 'terastal', 'dream', 'dream_static'];
  test('one group of every layer gives the same frames as model granularity', () => {
    const w = workload();
    const o = { duration: 2, seed: 3, jobNoise: 0.2, adaptive: false };
    let missed = 0;
    for (const p of policyNames().filter((x) => !LAYER_AWARE.includes(x))) {
      const a = simulate(w, createPolicy(p), { ...o, preemption: 'model' });
      const g = withGranularity(w, 'group:1000');
      expect(g.workload.tenants.every((t) => t.layers.length === 1)).toBe(true);
      const b = simulate(g.workload, createPolicy(p), { ...o, preemption: g.preemption });
      expect(b.jobs.length, p).toBe(a.jobs.length);
      b.jobs.forEach((j, i) => {
        const k = a.jobs[i];
        expect([j.tenant, j.frame, j.dropped, j.dropReason], `${p} job ${i}`).toEqual([k.tenant, k.frame, k.dropped, k.dropReason]);
        if (!j.dropped) expect(j.finish, `${p} job ${i}`).toBeCloseTo(k.finish, 9);
        expect(j.isolated).toBeCloseTo(k.isolated, 12);
      });
      expect(b.energyJ, p).toBeCloseTo(a.energyJ, 9);
      expect(b.metrics!.overall.missRate, p).toBe(a.metrics!.overall.missRate);
      expect(b.layerExecutions, p).toBe(b.jobs.filter((j) => j.layersRun > 0).length);
      missed += a.metrics!.overall.missRate;
    }
    // The load makes policies matter (frames are missed), so equal results are not vacuous.
    expect(missed).toBeGreaterThan(0);
  });

  test('group:2 dispatches fewer, longer units than layer granularity', () => {
    const w = workload([20, 20, 20]);
    const o = { duration: 1, seed: 1, recordSlices: true };
    const a = simulate(w, createPolicy('edf'), o);
    const g = withGranularity(w, 'group:2');
    const b = simulate(g.workload, createPolicy('edf'), { ...o, preemption: g.preemption });
    expect(a.layerExecutions).toBe(a.jobs.reduce((s, j) => s + j.layersRun, 0));
    // 4, 6 and 3 layers become 2, 3 and 2 groups.
    expect(b.layerExecutions).toBe(b.jobs.reduce((s, j) => s + [2, 3, 2][j.tenant] * (j.layersRun > 0 ? 1 : 0), 0));
    expect(b.layerExecutions).toBeLessThan(a.layerExecutions);
    expect(new Set(b.slices.filter((s) => s.tenant === 1 && s.kind === 'layer').map((s) => s.layer))).toEqual(new Set([0, 1, 2]));
  });
});

describe('the live runtime\'s latency table from a profile, at group granularity', () => {
  test('unit i gets the sum of the profile\'s layers [2i, 2i + 2) on each lane; a unit count that does not match is not taken', async () => {
    const { fromProfile } = await import('../scheduler/live/calibrate');
    const { fakeProfile } = await import('./support/fake-profile');
    const p = fakeProfile('p', 'm', ['cpu:1', 'cpu:2'], [[1, 0.5], [2, 1], [4, 2], [8, 4], [16, 8]]);
    const unit = { name: 'u', bytes: new Uint8Array(), inputs: [], outputs: [] };
    const exec = (n: number) => ({ name: 'm', inputs: [], units: Array.from({ length: n }, () => unit), granularity: 'cut' });
    expect(fromProfile(exec(3), 'group:2', ['cpu:2', 'cpu:1'], [p])?.ms).toEqual([[1.5, 3], [6, 12], [8, 16]]);
    expect(fromProfile(exec(5), 'layer', ['cpu:1'], [p])?.ms).toEqual([[1], [2], [4], [8], [16]]);
    expect(fromProfile(exec(5), 'group:2', ['cpu:1'], [p])).toBeUndefined();
  });
});
