// 'model' granularity costs what the profile measured for the whole model (one session per frame),
// not the sum of its cut layers: in the simulator (profile-built workloads, core/groups.ts
// wholeModelWorkload) and in the live runtime's latency table (live/calibrate.ts fromProfile).
import { describe, expect, test } from 'vitest';
import { createPolicy, simulate, withGranularity, type SimWorkload } from '../scheduler/core';
import { DEFAULT_SPACE, TuneSearch } from '../scheduler/core/tune';
import { fromProfile } from '../scheduler/live/calibrate';
import { profileWorkload } from '../scheduler/sim-workload';
import { SCENARIO_SCHEMA_VERSION, type Scenario } from '../workloads/scenario';
import type { Profile } from '../profiler/types';
import { fakeProfile } from './support/fake-profile';

const model = { kind: 'file' as const, path: 'x.onnx' };
const scenario: Scenario = {
  schemaVersion: SCENARIO_SCHEMA_VERSION,
  name: 'whole vs cut',
  tenants: [
    { id: 'A', model, arrival: { type: 'periodic', fps: 10 }, deadlineMs: 100, priority: 5 },
    { id: 'B', model, arrival: { type: 'periodic', fps: 10 }, deadlineMs: 100, priority: 5 },
  ],
};

const stats = (ms: number) => ({ median: ms, p5: ms, p95: ms, mean: ms, cv: 0, n: 1, ciHalfWidthRel: 0, converged: true });

/** A: layers 2 + 3 ms on cpu:1 (whole model measured 2.5 ms, 0.02 J), 4 + 6 ms on cpu:2 (whole model not measured). */
function withWhole(): Profile {
  const p = fakeProfile('pa', 'a', ['cpu:1', 'cpu:2'], [[2, 4], [3, 6]]);
  p.wholeModel = [
    { lane: 'cpu:1', raw: stats(2.5), latencyMs: 2.4, energy: { joulesPerRun: 0.02, source: { kind: 'measured', meter: 'test', detail: 'hand-made' } } },
    { lane: 'cpu:2', error: 'not measured' },
  ];
  return p;
}
/** B: no whole-model figure at all (layers 1 + 1 ms on both lanes). */
const without = () => fakeProfile('pb', 'b', ['cpu:1', 'cpu:2'], [[1, 1], [1, 1]]);

/** Per tenant and lane: the sum of the original layers' latencies (ms). */
const sums = (w: SimWorkload) => w.tenants.map((t) => w.lanes.map((_, l) => +(1000 * t.layers.reduce((a, layer) => a + layer.variants[0].cost[l]!.latency, 0)).toFixed(9)));

describe('a profile-built workload at model granularity charges the measured whole-model time', () => {
  test('model: the whole-model raw median per lane; layer and group:K: the layer sum; no figure: the layer sum', () => {
    const w = profileWorkload(scenario, [withWhole(), without()]);
    expect(w.tenants[0].wholeModel).toEqual([{ latency: 0.0025, energy: 0.02 }, null]);
    expect(w.tenants[1].wholeModel).toBeUndefined();
    expect(sums(withGranularity(w, 'layer').workload)).toEqual([[5, 10], [2, 2]]);
    expect(sums(withGranularity(w, 'group:2').workload)).toEqual([[5, 10], [2, 2]]);
    const m = withGranularity(w, 'model');
    expect(m.preemption).toBe('model');
    expect(sums(m.workload)).toEqual([[2.5, 10], [2, 2]]);
    // The layer structure stays, scaled in proportion (2 : 3), and the input workload is untouched.
    expect(m.workload.tenants[0].layers.map((l) => l.variants[0].cost[0]!.latency)).toEqual([0.001, 0.0015]);
    expect(w.tenants[0].layers[0].variants[0].cost[0]!.latency).toBe(0.002);
    // Energy: the measured whole-model figure on cpu:1, split like the layers' estimates were.
    const e = m.workload.tenants[0].layers.map((l) => l.variants[0].cost[0]!.energy!);
    expect(e[0] + e[1]).toBeCloseTo(0.02, 12);
    expect(e[0] / e[1]).toBeCloseTo(2 / 3, 12);
    expect(m.workload.tenants[0].layers[0].variants[0].cost[1]!.energy).toBeUndefined();
  });

  test('a copy of a lane (cpu:1#1) takes the figure of the lane it copies', () => {
    const w = profileWorkload(scenario, [withWhole(), without()], ['cpu:1', 'cpu:1', 'cpu:2']);
    expect(w.lanes.map((l) => l.id)).toEqual(['cpu:1', 'cpu:1#1', 'cpu:2']);
    expect(sums(withGranularity(w, 'model').workload)[0]).toEqual([2.5, 2.5, 10]);
  });

  test('layer variants keep their ratio to the original on a scaled lane', () => {
    const w = profileWorkload(scenario, [withWhole(), without()]);
    const t = w.tenants[0];
    t.layers[0].variants.push({ id: 'fast', accuracyDelta: 0, cost: [{ latency: 0.001 }, { latency: 0.002 }] });
    const layer0 = withGranularity(w, 'model').workload.tenants[0].layers[0];
    expect(layer0.variants[1].cost[0]!.latency / layer0.variants[0].cost[0]!.latency).toBeCloseTo(0.5, 12);
    expect(layer0.variants[1].cost[1]!.latency).toBe(0.002); // cpu:2: no whole-model figure, unchanged
  });

  test('the simulator at model granularity finishes a lone frame in the whole-model time', () => {
    const solo: Scenario = { ...scenario, tenants: [scenario.tenants[0]] };
    const w = profileWorkload(solo, [withWhole()], ['cpu:1']);
    const run = (g: 'layer' | 'model') => {
      const x = withGranularity(w, g);
      const r = simulate(x.workload, createPolicy('fcfs'), { duration: 1, seed: 1, preemption: x.preemption });
      return r.jobs.filter((j) => Number.isFinite(j.finish)).map((j) => +(1000 * (j.finish - j.release)).toFixed(6));
    };
    expect(new Set(run('model'))).toEqual(new Set([2.5]));
    expect(new Set(run('layer'))).toEqual(new Set([5]));
  });
});

describe('the live latency table at model granularity: the same measured figure', () => {
  test('fromProfile: the whole-model raw median per lane, copies take the lane they copy', () => {
    const p = withWhole();
    p.wholeModel[1] = { lane: 'cpu:2', raw: stats(7) };
    const exec = { name: 'a', inputs: [], units: [{ name: 'u', bytes: new Uint8Array(), inputs: [], outputs: [] }], granularity: 'whole model' };
    expect(fromProfile(exec, 'model', ['cpu:1', 'cpu:1#1', 'cpu:2'], [p])?.ms).toEqual([[2.5, 2.5, 7]]);
    // And the simulator charges the same figures.
    const w = profileWorkload(scenario, [p, without()], ['cpu:1', 'cpu:1', 'cpu:2']);
    expect(sums(withGranularity(w, 'model').workload)[0]).toEqual([2.5, 2.5, 7]);
  });
});

describe('the tuner\'s floor (each tenant alone) knows the whole model can be cheaper than its layers', () => {
  /** One tenant: 3 layers of 10 ms on two 10 W lanes; with `whole`, the whole model measured at 15 ms on both. */
  const workload = (whole: boolean): SimWorkload => ({
    name: 'whole',
    lanes: [
      { id: 'cpu:1', kind: 'cpu', idleWatts: 0, busyWatts: 10 },
      { id: 'cpu:1#1', kind: 'cpu', idleWatts: 0, busyWatts: 10 },
    ],
    tenants: [{
      id: 't', model: 'm', arrival: { type: 'periodic', fps: 10 }, deadline: 0.1, priority: 5,
      layers: [0, 1, 2].map((i) => ({ name: `l${i}`, outputBytes: 100, variants: [{ id: 'original', accuracyDelta: 0, cost: [{ latency: 0.01 }, { latency: 0.01 }] }] })),
      ...(whole ? { wholeModel: [{ latency: 0.015 }, { latency: 0.015 }] } : {}),
    }],
    latencySource: { kind: 'measured', profileId: 'hand-made', detail: 'test' },
    energySource: { kind: 'estimated', detail: 'test' },
  });
  const floorJoules = (w: SimWorkload) => {
    const r = new TuneSearch([{ lanes: w.lanes.map((l) => l.id), workload: w }], { objective: { kind: 'uxcost' }, space: { ...DEFAULT_SPACE, policies: ['edf'] }, sim: { duration: 1, latencyNoise: 0, jobNoise: 0, window: 0.5 }, simSeeds: 1, maxCandidates: 1, batch: 1, baselines: ['edf'] }).runInline();
    return r.floor!.perTenant[0].joulesPerFrame;
  };

  test('least energy per frame: the whole model on one lane (15 ms x 10 W) where measured, else the layer sum (30 ms x 10 W)', () => {
    expect(floorJoules(workload(false))).toBeCloseTo(0.3, 9);
    expect(floorJoules(workload(true))).toBeCloseTo(0.15, 9);
  });
});
