import { describe, expect, it } from 'vitest';
import { createPolicy, fcfs, listPolicies, policyNames } from '../scheduler/core/policies';
import { simulate, type SimResult } from '../scheduler/core/simulator';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { Policy, Snapshot } from '../scheduler/core/types';
import { oneLane, tiny } from './scheduler-fixtures';

function checkInvariants(r: SimResult, nLanes: number) {
  const byJob = new Map<number, typeof r.slices>();
  for (const s of r.slices) if (s.kind === 'layer') (byJob.get(s.job) ?? byJob.set(s.job, []).get(s.job)!).push(s);
  for (const [id, list] of byJob) {
    const job = r.jobs[id];
    list.forEach((s, i) => {
      expect(s.layer).toBe(i); // layers in order, each once
      expect(s.start).toBeGreaterThanOrEqual(job.release - 1e-12);
      if (i > 0) expect(s.start).toBeGreaterThanOrEqual(list[i - 1].end - 1e-12); // never on two lanes at once
    });
    if (!job.dropped) {
      expect(list.length).toBe(r.jobs[id].layersRun);
      expect(job.finish).toBeCloseTo(list[list.length - 1].end, 12);
    }
  }
  for (let lane = 0; lane < nLanes; lane++) {
    const on = r.slices.filter((s) => s.lane === lane).sort((x, y) => x.start - y.start || x.end - y.end);
    for (let i = 1; i < on.length; i++) expect(on[i].start).toBeGreaterThanOrEqual(on[i - 1].end - 1e-12);
  }
  for (const j of r.jobs) expect(j.dropped).toBe(Number.isNaN(j.finish)); // ends exactly once
}

describe('simulator', () => {
  it('runs every policy deterministically, and every frame finishes or is dropped exactly once', () => {
    const w = syntheticWorkload({ scenario: 'vr_gaming', skew: 'gpu', load: 1.2, variants: true });
    for (const name of policyNames()) {
      const a = simulate(w, createPolicy(name), { duration: 0.5, seed: 3, latencyNoise: 0.1, jobNoise: 0.1, recordSlices: true });
      const b = simulate(w, createPolicy(name), { duration: 0.5, seed: 3, latencyNoise: 0.1, jobNoise: 0.1 });
      expect(a.jobs.map((j) => j.finish)).toEqual(b.jobs.map((j) => j.finish));
      expect(a.energyJ).toBe(b.energyJ);
      expect(a.jobs.length).toBeGreaterThan(50);
      checkInvariants(a, w.lanes.length);
    }
    expect(listPolicies().length).toBe(policyNames().length);
  });

  it('matches hand-computed finishes and energy on one lane', () => {
    // 3 layers x 2 ms at 100 fps for 0.05 s: every frame takes 6 ms alone, no contention.
    const r = simulate(oneLane(3, 0.002, 100), fcfs(), { duration: 0.05 });
    expect(r.jobs.length).toBe(5);
    r.jobs.forEach((j, k) => {
      expect(j.release).toBeCloseTo(k * 0.01, 12);
      expect(j.finish).toBeCloseTo(k * 0.01 + 0.006, 12);
      expect(j.deadline).toBeCloseTo(k * 0.01 + 0.01, 12); // default deadline: the next frame
    });
    expect(r.layerExecutions).toBe(15);
    // busy 15 x 2 ms at 5 W; idle over the horizon max(0.05, 0.046) at 1 W.
    expect(r.horizon).toBeCloseTo(0.05, 12);
    expect(r.energyJ).toBeCloseTo(0.03 * 5 + (0.05 - 0.03) * 1, 12);
    expect(r.metrics!.overall.missRate).toBe(0);
    expect(r.metrics!.overall.antt).toBeCloseTo(1, 12);
  });

  it('queues frames on an overloaded lane (FCFS order) and counts late ones', () => {
    // 12 ms of work every 10 ms: frame k finishes at 12 (k + 1) ms.
    const r = simulate(oneLane(2, 0.006, 100), fcfs(), { duration: 0.05 });
    r.jobs.forEach((j, k) => expect(j.finish).toBeCloseTo(0.012 * (k + 1), 12));
    expect(r.metrics!.overall.finishedLate).toBe(5);
    expect(r.metrics!.overall.missRate).toBe(1);
  });

  it('charges link(from) + link(to) when consecutive layers change lanes', () => {
    const alternate: Policy = {
      name: 'alt',
      decide: (s: Snapshot) => {
        const j = s.ready.find((x) => x.tenant === 0);
        const lane = j && j.next === 0 ? 1 : 0;
        return { assign: j && s.lanes[lane].idle ? [{ job: j.id, lane, variant: 0 }] : [], drop: [] };
      },
    };
    const w = tiny();
    w.tenants = [w.tenants[0]];
    const r = simulate(w, alternate, { duration: 0.1, recordSlices: true });
    const transfers = r.slices.filter((s) => s.kind === 'transfer');
    expect(transfers.length).toBe(r.jobs.length);
    // gpu -> cpu: the gpu link (100 us + 1000 B / 1 GB/s); the cpu works in host memory.
    for (const t of transfers) expect(t.end - t.start).toBeCloseTo(0.0001 + 1000 / 1e9, 12);
    expect(r.transfers).toBe(transfers.length);
  });

  it('releases cascade dependents when the upstream frame finishes, and drops them with it', () => {
    const r = simulate(tiny(), fcfs(), { duration: 2, seed: 2 });
    const ups = r.jobs.filter((j) => j.tenant === 0);
    const deps = r.jobs.filter((j) => j.tenant === 1);
    expect(deps.length).toBeGreaterThan(0.35 * ups.length);
    expect(deps.length).toBeLessThan(0.65 * ups.length);
    for (const d of deps) {
      const up = r.jobs[d.upstream];
      expect(up.tenant).toBe(0);
      expect(d.frame).toBe(up.frame);
      expect(d.release).toBe(up.finish);
    }
    // A policy that drops every upstream frame: dependents that would have fired are dropped too.
    const dropper: Policy = { name: 'drop-a', decide: (s) => ({ assign: [], drop: s.ready.filter((j) => j.tenant === 0).map((j) => j.id) }) };
    const r2 = simulate(tiny(), dropper, { duration: 2, seed: 2 });
    const deps2 = r2.jobs.filter((j) => j.tenant === 1);
    expect(deps2.map((d) => d.frame)).toEqual(deps.map((d) => d.frame)); // same cascade outcomes under both policies
    for (const d of deps2) expect(d.dropReason).toBe('cascade');
    expect(r2.metrics!.overall.dropRate).toBe(1);
  });

  it('keeps a started job on its lane at model granularity', () => {
    const w = syntheticWorkload({ scenario: 'vr_gaming', load: 0.9 });
    const r = simulate(w, createPolicy('dream'), { duration: 1, preemption: 'model', recordSlices: true });
    const lanesOf = new Map<number, Set<number>>();
    for (const s of r.slices) (lanesOf.get(s.job) ?? lanesOf.set(s.job, new Set()).get(s.job)!).add(s.lane);
    for (const set of lanesOf.values()) expect(set.size).toBe(1);
    expect(r.transfers).toBe(0);
    checkInvariants(r, 2);
  });

  it('rejects invalid decisions with a clear error', () => {
    const w = tiny();
    delete w.tenants[1].cascade;
    const onGpu: Policy = { name: 'bad', decide: (s) => ({ assign: s.ready.filter((j) => j.tenant === 1).slice(0, 1).map((j) => ({ job: j.id, lane: 1, variant: 0 })), drop: [] }) };
    expect(() => simulate(w, onGpu, { duration: 1 })).toThrow(/layer 0 \("b0"\) of tenant "b" with variant 0 on lane "gpu", which cannot run it/);
    const ghost: Policy = { name: 'ghost', decide: () => ({ assign: [{ job: 999, lane: 0, variant: 0 }], drop: [] }) };
    expect(() => simulate(w, ghost, { duration: 1 })).toThrow(/job 999, which is not a ready job/);
    const twice: Policy = { name: 'twice', decide: (s) => ({ assign: s.ready.slice(0, 2).map((j) => ({ job: j.id, lane: 0, variant: 0 })), drop: [] }) };
    const w2 = oneLane(1, 0.001, 100);
    w2.tenants.push({ ...w2.tenants[0], id: 't2' });
    expect(() => simulate(w2, twice, { duration: 0.1 })).toThrow(/not an idle lane/);
  });

  it('names what is wrong with a workload', () => {
    const w = tiny();
    w.tenants[1].cascade = { upstream: 'zzz', probability: 1 };
    expect(() => simulate(w, fcfs(), { duration: 1 })).toThrow(/tenant "b" \(model "mb"\): cascade.upstream "zzz" is not a tenant/);
    const w2 = tiny();
    w2.tenants[0].layers[1].variants[0].cost = [null, null];
    expect(() => simulate(w2, fcfs(), { duration: 1 })).toThrow(/layer 1 "a1": the original variant has a latency on no lane/);
    expect(() => createPolicy('nope')).toThrow(/unknown policy "nope"; known policies: fcfs, rr, edf/);
  });

  it('refines predictions online from observed latencies (ratio per tenant and lane)', () => {
    const seen: number[] = [];
    const spy: Policy = { name: 'spy', decide: (s) => { seen.push(s.predict.ratio(0, 0)); return fcfs().decide(s); } };
    simulate(oneLane(4, 0.001, 50), spy, { duration: 1, latencyBias: [2] });
    expect(seen[0]).toBe(1);
    expect(seen[seen.length - 1]).toBeCloseTo(2, 3);
    const off: number[] = [];
    const spy2: Policy = { name: 'spy', decide: (s) => { off.push(s.predict.ratio(0, 0)); return fcfs().decide(s); } };
    simulate(oneLane(4, 0.001, 50), spy2, { duration: 1, latencyBias: [2], adaptive: false });
    expect(off.every((x) => x === 1)).toBe(true);
  });

  it('draws Poisson arrivals at the given rate, and drops late frames when asked', () => {
    const w = oneLane(1, 0.0001, 1);
    w.tenants[0].arrival = { type: 'poisson', ratePerSec: 200 };
    w.tenants[0].deadline = 0.01;
    const r = simulate(w, fcfs(), { duration: 20, seed: 4 });
    expect(r.jobs.length / 20).toBeGreaterThan(190);
    expect(r.jobs.length / 20).toBeLessThan(210);
    const late = simulate(oneLane(2, 0.006, 100), fcfs(), { duration: 0.2, dropLate: true });
    expect(late.jobs.some((j) => j.dropReason === 'late')).toBe(true);
    for (const j of late.jobs) if (j.dropReason === 'late') expect(Number.isNaN(j.start) || j.layersRun < 2).toBe(true);
  });
});
