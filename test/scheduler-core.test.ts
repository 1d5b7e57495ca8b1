import { describe, expect, it } from 'vitest';
import { comparePolicies, runOne } from '../scheduler/core/compare';
import { computeMetrics } from '../scheduler/core/metrics';
import { POLICIES, createPolicy, edf, fcfs } from '../scheduler/core/policies';
import { simulate } from '../scheduler/core/simulator';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import { chromeTrace } from '../scheduler/core/trace';
import type { JobState, SimWorkload, Snapshot } from '../scheduler/core/types';

const tiny = (): SimWorkload => ({
  name: 'tiny',
  lanes: [
    { id: 'cpu', kind: 'cpu', idleWatts: 1, busyWatts: 10 },
    { id: 'gpu', kind: 'gpu', idleWatts: 2, busyWatts: 20 },
  ],
  tenants: [
    { id: 'a', layers: [0, 1].map((i) => ({ name: `a${i}`, outputBytes: 1000, variants: [{ id: 'o', accuracyDelta: 0, cost: [{ latency: 0.004 }, { latency: 0.001 }] }] })), arrival: { type: 'periodic', fps: 50 }, deadline: 0.02, priority: 3 },
    { id: 'b', layers: [{ name: 'b0', outputBytes: 0, variants: [{ id: 'o', accuracyDelta: 0, cost: [{ latency: 0.002 }, undefined] }] }], arrival: { type: 'periodic', fps: 20 }, deadline: 0.05, priority: 1, cascade: { upstream: 'a', probability: 0.5 } },
  ],
  transfer: { latency: 0.0001, bytesPerSec: 1e9 },
  latencySource: 'synthetic (test)',
  energySource: { kind: 'estimated', detail: 'test watts' },
});

describe('simulator', () => {
  it('is deterministic for a seed and every frame ends exactly once', () => {
    const w = syntheticWorkload({ load: 3, gpuSlowdown: 4 });
    for (const p of POLICIES) {
      const a = simulate(w, createPolicy(p.name), { duration: 2, seed: 3, latencyNoise: 0.1 });
      const b = simulate(w, createPolicy(p.name), { duration: 2, seed: 3, latencyNoise: 0.1 });
      expect(a.jobs.map((j) => j.finish)).toEqual(b.jobs.map((j) => j.finish));
      for (const j of a.jobs) expect(j.dropped !== Number.isFinite(j.finish)).toBe(true);
    }
  });

  it('never runs a job on two lanes at once, keeps layer order, and a lane runs one layer at a time', () => {
    const w = syntheticWorkload({ load: 3, gpuSlowdown: 4, variants: true });
    const r = simulate(w, createPolicy('dream'), { duration: 2, seed: 1, recordSlices: true });
    const byJob = new Map<number, typeof r.slices>();
    for (const s of r.slices) if (s.kind === 'layer') (byJob.get(s.job) ?? byJob.set(s.job, []).get(s.job)!).push(s);
    for (const list of byJob.values()) {
      list.forEach((s, i) => {
        expect(s.layer).toBe(i);
        if (i > 0) expect(s.start).toBeGreaterThanOrEqual(list[i - 1].end - 1e-12);
      });
    }
    for (let lane = 0; lane < w.lanes.length; lane++) {
      const onLane = r.slices.filter((s) => s.lane === lane).sort((x, y) => x.start - y.start);
      for (let i = 1; i < onLane.length; i++) expect(onLane[i].start).toBeGreaterThanOrEqual(onLane[i - 1].end - 1e-12);
    }
  });

  it('releases cascade dependents only after their upstream frame finishes', () => {
    const r = simulate(tiny(), fcfs(), { duration: 1, seed: 2 });
    const deps = r.jobs.filter((j) => j.tenant === 1);
    expect(deps.length).toBeGreaterThan(10);
    expect(deps.length).toBeLessThan(r.jobs.filter((j) => j.tenant === 0).length);
    for (const d of deps) {
      const up = r.jobs[d.upstream];
      expect(up.tenant).toBe(0);
      expect(d.release).toBe(up.finish);
    }
  });

  it('charges a transfer when consecutive layers change lanes', () => {
    // Layer 0 of "a" is fastest on gpu; force layer 1 to cpu with a policy that alternates lanes.
    const alternate = { name: 'alt', decide: (s: Snapshot) => ({ assign: s.ready.slice(0, 1).filter((j) => s.lanes[j.next % 2 === 0 ? 1 : 0].idle).map((job: JobState) => ({ job, lane: job.next % 2 === 0 ? 1 : 0, variant: 0 })), drop: [] }) };
    const w = tiny();
    w.tenants = [{ ...w.tenants[0] }];
    const r = simulate(w, alternate, { duration: 0.1, seed: 1, recordSlices: true });
    const transfers = r.slices.filter((s) => s.kind === 'transfer');
    expect(transfers.length).toBeGreaterThan(0);
    expect(transfers[0].end - transfers[0].start).toBeCloseTo(0.0001 + 1000 / 1e9, 12);
  });

  it('rejects a policy placing a layer on a lane that cannot run it', () => {
    const bad = { name: 'bad', decide: (s: Snapshot) => ({ assign: s.ready.filter((j) => j.tenant === 1).map((job) => ({ job, lane: 1, variant: 0 })), drop: [] }) };
    const w = tiny();
    delete w.tenants[1].cascade; // b arrives on its own, so the bad placement happens
    expect(() => simulate(w, bad, { duration: 1 })).toThrow(/cannot run it/);
  });

  it('names unknown policies and bad cascades', () => {
    expect(() => createPolicy('nope')).toThrow(/Unknown policy "nope". Known policies: fcfs/);
    const w = tiny();
    w.tenants[1].cascade = { upstream: 'zzz', probability: 1 };
    expect(() => simulate(w, edf(), { duration: 1 })).toThrow(/cascade.upstream "zzz"/);
  });
});

describe('metrics', () => {
  const jobs = [
    { tenant: 0, release: 0, deadline: 1, finish: 0.5, dropped: false, isolated: 0.25 },
    { tenant: 0, release: 1, deadline: 2, finish: 2.5, dropped: false, isolated: 0.25 },
    { tenant: 1, release: 0, deadline: 1, finish: NaN, dropped: true, isolated: 0.5 },
    { tenant: 1, release: 1, deadline: 2, finish: 1.5, dropped: false, isolated: 0.5 },
  ];
  const m = computeMetrics(jobs, [{ id: 'x' }, { id: 'y', maxLatency: 0.4 }], { joules: 20, source: { kind: 'estimated', detail: 't' } }, { duration: 2, makespan: 2.5 }, { referenceJoules: 10 });
  it('follows the BRIEF definitions', () => {
    expect(m.overall.missRate).toBe(2 / 4);
    expect(m.overall.dropRate).toBe(1 / 4);
    expect(m.overall.violationRate).toBe(1 / 4);
    expect(m.overall.antt).toBeCloseTo((2 + 6 + 1) / 3, 12);
    expect(m.perTenant[0].missRate).toBe(0.5);
    expect(m.stp).toBeCloseTo(4 / 2.5, 12);
    expect(m.uxcost.value).toBeCloseTo((20 / 10) * (0.5 + 0.01), 12);
    expect(m.uxcost.definition).toMatch(/Tessera's definition/);
    expect(m.energy.perFrameJ).toBeCloseTo(20 / 3, 12);
    expect(m.energy.source.kind).toBe('estimated');
    expect(m.slo.perTenant[1].deadline).toBe(false);
    expect(m.slo.satisfiedTenantsShare).toBe(0.5);
    // RT score: exactly at the deadline = 0.5; 0.5 s early ~ 1; 0.5 s late ~ 0.
    expect(m.xrbench.realtime).toBeCloseTo((1 + 0 + 0 + 1) / 4, 6);
  });
});

describe('comparison and traces', () => {
  it('compares every policy on a skewed load and Tessera policies beat FCFS/EDF/SDRM3 on misses', () => {
    const w = syntheticWorkload({ load: 3, gpuSlowdown: 4, variants: true });
    const r = comparePolicies(w, ['fcfs', 'edf', 'sdrm3', 'dream', 'terastal'], { duration: 4, seeds: 2, latencyNoise: 0.1, adaptive: true });
    const miss = Object.fromEntries(r.rows.map((x) => [x.policy, x.missRate.mean]));
    const bestBaseline = Math.min(miss.fcfs, miss.edf, miss.sdrm3);
    expect(bestBaseline).toBeGreaterThan(0);
    expect(miss.terastal).toBeLessThan(0.7 * bestBaseline);
    expect(miss.dream).toBeLessThan(0.7 * bestBaseline);
    expect(r.rows.find((x) => x.policy === 'dream')!.policyState).toHaveProperty('energy');
  });

  it('exports a Chrome trace with one track per lane, slices and job flows', () => {
    const w = tiny();
    const { result } = runOne(w, 'dream', { duration: 0.5, seed: 1, recordSlices: true });
    const trace = chromeTrace(w, result.slices);
    const names = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args!.name);
    expect(names).toEqual(['lane cpu (cpu)', 'lane gpu (gpu)']);
    const slices = trace.traceEvents.filter((e) => e.ph === 'X');
    expect(slices.length).toBe(result.slices.length);
    for (const e of slices) expect(e.dur).toBeGreaterThanOrEqual(0);
    const flows = trace.traceEvents.filter((e) => e.ph === 's' || e.ph === 'f');
    expect(flows.filter((e) => e.ph === 's').length).toBe(flows.filter((e) => e.ph === 'f').length);
    expect(JSON.parse(JSON.stringify(trace)).metadata.latencySource).toBe('synthetic (test)');
  });
});
