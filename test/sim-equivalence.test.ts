// Speed work on sdrm3, heft and the simulator (issue 10: overload) must leave whole runs
// bit for bit as they were: the current policy runs through simulate() against a frozen copy of the
// code before it (test/fixtures/*-reference.ts) on balanced and overloaded workloads, cascades, four
// lanes and model preemption, and the runs' slices (job, lane, layer, times), job outcomes and
// metrics must be identical. The overloaded cases must put >= INDEX_MIN_READY jobs before a
// decision, or the index is never used.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decisionWorkload } from '../bench/scheduler';
import { createPolicy } from '../scheduler/core/policies';
import { INDEX_MIN_READY } from '../scheduler/core/policies/ready-index';
import { simulate, type SimOptions } from '../scheduler/core/simulator';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { Policy, SimWorkload } from '../scheduler/core/types';
import { heftReference } from './fixtures/heft-reference';
import { sdrm3Reference } from './fixtures/sdrm3-reference';

const cases: { name: string; w: () => SimWorkload; o: SimOptions; overload: boolean }[] = [
  { name: 'vr_gaming balanced 0.6', w: () => syntheticWorkload({ scenario: 'vr_gaming', load: 0.6, variants: true }), o: { duration: 1.5, seed: 3, latencyNoise: 0.1, jobNoise: 0.1 }, overload: false },
  { name: 'vr_gaming gpu-skewed 1.2', w: () => syntheticWorkload({ scenario: 'vr_gaming', skew: 'gpu', load: 1.2, variants: true }), o: { duration: 3, seed: 4, latencyNoise: 0.1, jobNoise: 0.1 }, overload: true },
  { name: 'ar_assistant 1.4 (cascades)', w: () => syntheticWorkload({ scenario: 'ar_assistant', load: 1.4, seed: 9 }), o: { duration: 3, seed: 8, latencyNoise: 0.2, jobNoise: 0.3 }, overload: true },
  { name: '8 tenants x 4 lanes, slowed 1.8x', w: decisionWorkload, o: { duration: 1.5, seed: 5, latencyNoise: 0.1, jobNoise: 0.2, latencyBias: [1.8, 2.2, 1.6, 1.9, 2, 1.7, 1.8, 2.1] }, overload: true },
  { name: 'social_a 1.3, model preemption, drop late', w: () => syntheticWorkload({ scenario: 'social_a', load: 1.3, variants: true }), o: { duration: 2, seed: 6, latencyNoise: 0.05, preemption: 'model', dropLate: true, maxQueuePerTenant: 4 }, overload: false },
];

/** A whole run as a hash: every slice, every job's outcome, the metrics; and the mean ready jobs per decision. */
function runDigest(p: Policy, w: SimWorkload, o: SimOptions): { digest: string; meanReady: number } {
  let ready = 0;
  let decisions = 0;
  const counted: Policy = { name: p.name, observe: p.observe?.bind(p), state: p.state?.bind(p), decide: (s) => ((ready += s.ready.length), decisions++, p.decide(s)) };
  const r = simulate(w, counted, { ...o, recordSlices: true });
  const h = createHash('sha256');
  for (const s of r.slices) h.update(`${s.job} ${s.lane} ${s.layer} ${s.variant} ${s.start} ${s.end} ${s.kind}\n`);
  for (const j of r.jobs) h.update(`${j.id} ${j.start} ${j.finish} ${j.dropReason ?? ''} ${j.layersRun}\n`);
  h.update(JSON.stringify(r.metrics));
  return { digest: h.digest('hex'), meanReady: decisions ? ready / decisions : 0 };
}

const pairs: { name: string; current: () => Policy; reference: () => Policy }[] = [
  { name: 'sdrm3', current: () => createPolicy('sdrm3'), reference: () => sdrm3Reference() },
  { name: 'heft', current: () => createPolicy('heft'), reference: () => heftReference() },
];

describe('sped-up policies run exactly as their frozen reference', () => {
  for (const pair of pairs) {
    for (const c of cases) {
      it(`${pair.name}: ${c.name}`, () => {
        const w = c.w();
        const now = runDigest(pair.current(), w, c.o);
        const ref = runDigest(pair.reference(), w, c.o);
        if (c.overload) expect(now.meanReady, 'ready jobs per decision (the index needs >= INDEX_MIN_READY)').toBeGreaterThan(INDEX_MIN_READY);
        expect(now.digest).toBe(ref.digest);
      }, 60_000);
    }
  }

  it('the digest sees a small change of the policy (the test can fail)', () => {
    const c = cases[1];
    const w = c.w();
    expect(runDigest(sdrm3Reference(1.001), w, c.o).digest).not.toBe(runDigest(sdrm3Reference(), w, c.o).digest);
  }, 60_000);
});
