// DREAM's decision-cost work (issue 10) must not move a single decision: the optimised policy
// (scheduler/core/policies/dream.ts) runs beside a frozen copy of the code before it
// (fixtures/dream-reference.ts) on the same snapshots, and every decision (assignments, variants,
// drops) must be equal. In simulate() both see the same snapshots only while they decide alike, so
// the reference is driven by the optimised policy's run: each snapshot is handed to both.
import { describe, expect, it } from 'vitest';
import { decisionSnapshot, decisionWorkload } from '../bench/scheduler';
import { tesseraDream, type DreamOptions } from '../scheduler/core/policies/dream';
import { PredictionModel } from '../scheduler/core/predict';
import { simulate, type SimOptions } from '../scheduler/core/simulator';
import { rng } from '../scheduler/core/rng';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { Decision, JobState, Policy, SimWorkload, Snapshot } from '../scheduler/core/types';
import { dreamReference } from './fixtures/dream-reference';

const line = (d: Decision) => `${d.assign.map((a) => `${a.job}>${a.lane}.${a.variant}`).join(',')}|${d.drop.join(',')}`;

/** Every tenant may switch to its whole-model variant (variant 1 on each layer): DREAM's model switch. */
function withModelVariants(w: SimWorkload): SimWorkload {
  return {
    ...w,
    tenants: w.tenants.map((t, i) => (i % 2 ? t : { ...t, whitelist: { combos: [{ id: 'fp16', variants: t.layers.map((l) => (l.variants.length > 1 ? 1 : 0)), cost: 0.001, whole: true }], costLabel: 'test' } })),
  };
}

const cases: { name: string; w: () => SimWorkload; o: SimOptions }[] = [
  { name: 'vr_gaming balanced 0.6, variants', w: () => syntheticWorkload({ scenario: 'vr_gaming', load: 0.6, variants: true }), o: { duration: 2, seed: 3, latencyNoise: 0.1, jobNoise: 0.1 } },
  { name: 'vr_gaming gpu-skewed 1.3 (overload)', w: () => syntheticWorkload({ scenario: 'vr_gaming', skew: 'gpu', load: 1.3, variants: true }), o: { duration: 2, seed: 4, latencyNoise: 0.1, jobNoise: 0.1 } },
  { name: 'ar_assistant 0.9, cascades, no variants', w: () => syntheticWorkload({ scenario: 'ar_assistant', load: 0.9 }), o: { duration: 2, seed: 8, latencyNoise: 0.15, jobNoise: 0.1 } },
  { name: 'ar_assistant 1.1, model preemption, drop late', w: () => syntheticWorkload({ scenario: 'ar_assistant', load: 1.1, variants: true }), o: { duration: 1.5, seed: 6, latencyNoise: 0.05, preemption: 'model', dropLate: true, maxQueuePerTenant: 4 } },
  { name: '8 tenants x 4 lanes, biased lanes', w: decisionWorkload, o: { duration: 1, seed: 5, latencyNoise: 0.1, jobNoise: 0.2, latencyBias: [1.3, 0.8, 1, 1.1] } },
  { name: 'social_a 1.5, model variants (switch)', w: () => withModelVariants(syntheticWorkload({ scenario: 'social_a', load: 1.5, variants: true, seed: 9 })), o: { duration: 3, seed: 2, latencyNoise: 0.1, jobNoise: 0.1 } },
];

/** Runs the optimised policy in simulate(); the reference decides every same snapshot beside it. */
function compare(w: SimWorkload, o: SimOptions, options: DreamOptions): { decisions: number; drops: number; variants: number } {
  const opt = tesseraDream(options);
  const ref = dreamReference(options);
  let decisions = 0;
  let drops = 0;
  let variants = 0;
  const both: Policy = {
    name: opt.name,
    state: opt.state?.bind(opt),
    events: opt.events?.bind(opt),
    observe(f) {
      opt.observe?.(f);
      ref.observe?.(f);
    },
    decide(s: Snapshot) {
      const want = line(ref.decide(s));
      const d = opt.decide(s);
      expect(line(d), `decision ${decisions} at t=${s.time}, ${s.ready.length} ready`).toBe(want);
      decisions++;
      drops += d.drop.length;
      for (const a of d.assign) if (a.variant > 0) variants++;
      return d;
    },
  };
  simulate(w, both, o);
  return { decisions, drops, variants };
}

describe('dream decides exactly as the reference implementation', () => {
  for (const c of cases) {
    for (const [label, options] of [
      ['dream', {}],
      ['dream_static', { adapt: false }],
    ] as const) {
      it(`${label}: ${c.name}`, () => {
        const r = compare(c.w(), c.o, { ...options, periodWindows: 1 });
        expect(r.decisions).toBeGreaterThan(100);
      }, 60_000);
    }
  }

  it('the runs exercise drops and variants (else the comparison would prove less)', () => {
    const over = compare(cases[1].w(), cases[1].o, { adapt: false });
    expect(over.drops).toBeGreaterThan(0);
    expect(over.variants).toBeGreaterThan(0);
    const sw = compare(cases[5].w(), cases[5].o, {});
    expect(sw.variants).toBeGreaterThan(0);
  }, 60_000);

  it("the bench's snapshots: one tenant's ratio moves before every decision, 1 to 4 idle lanes", () => {
    for (const idle of [1, 2, 3, 4]) {
      const snap = decisionSnapshot(idle);
      const opt = tesseraDream({ adapt: false });
      const ref = dreamReference({ adapt: false });
      for (let i = 0; i < 400; i++) {
        snap.layerEnd(i);
        // A sliding subset of the ready jobs too, so rows are reused across changing job sets.
        const s: Snapshot = i % 2 ? snap : { ...snap, ready: snap.ready.slice(i % 48, (i % 48) + 16) };
        expect(line(opt.decide(s)), `${idle} idle, decision ${i}`).toBe(line(ref.decide(s)));
      }
    }
  });
  // Default weights, and weights under which the pruning bound differs by lane (lane fit and energy
  // weigh more than urgency: a pair's bound is wF + progress + its lane's pre, not wF + progress + wU),
  // with the first or the last lanes idle (the bench's lane 0 is the fastest for most layers).
  const runWeights = [undefined, { urgency: 0.2, speed: 2, energy: 1 }];
  it('the bench workload as a run: time moves, jobs run a layer and come back (or end and new ones arrive), drops, 1 to 3 idle lanes', () => {
    for (const weights of runWeights)
    for (const last of [false, true])
    for (const idle of [1, 2, 3]) {
      const base = decisionSnapshot(idle);
      const w = base.workload;
      const r = rng(11 + idle);
      let nextId = 1000;
      const fresh = (tenant: number, time: number): JobState => {
        const iso = base.predict.isolated({ tenant } as JobState);
        return { id: nextId++, tenant, frame: nextId, release: time, deadline: time + iso * (0.8 + 3 * r()), priority: 1, next: 0, layerCount: w.tenants[tenant].layers.length, lastRun: time, lastLane: -1, accuracyUsed: 0, upstream: -1, g: 1 };
      };
      // Ready jobs (mutated as a run does: a job that ran a layer comes back with its next layer), and
      // those running: back at a later time.
      let ready: JobState[] = base.ready.map((j) => ({ ...j }));
      let running: { job: JobState; back: number }[] = [];
      const opt = tesseraDream({ adapt: false, weights });
      const ref = dreamReference({ adapt: false, weights });
      let time = base.time;
      let drops = 0;
      let variants = 0;
      for (let i = 0; i < 400; i++) {
        time += 2e-4 * r();
        base.layerEnd(i);
        for (const x of running) if (x.back <= time) ready.push(x.job);
        running = running.filter((x) => x.back > time);
        ready.sort((a, b) => a.release - b.release || a.id - b.id);
        const lanes = base.lanes.map((l, k) => {
          const free = last ? k >= base.lanes.length - idle : k < idle;
          return { ...l, idle: free, job: free ? -1 : 1000 + k, busyUntil: free ? time : time + r() * 2e-3 };
        });
        const s: Snapshot = { ...base, time, ready, lanes };
        const want = ref.decide(s);
        const got = opt.decide(s);
        expect(line(got), `${idle} idle (${last ? 'last' : 'first'} lanes), weights ${JSON.stringify(weights)}, decision ${i}`).toBe(line(want));
        drops += got.drop.length;
        for (const a of got.assign) if (a.variant > 0) variants++;
        const gone = new Set([...got.drop, ...got.assign.map((a) => a.job)]);
        for (const a of got.assign) {
          const j = ready.find((x) => x.id === a.job)!;
          // Runs its layer: back later with the next one, or ends (a new frame of its tenant arrives).
          const next = j.next + 1 >= j.layerCount ? fresh(j.tenant, time) : { ...j, next: j.next + 1, lastLane: a.lane, lastRun: time + 1e-4 };
          running.push({ job: next, back: time + 1e-4 + 5e-4 * r() });
        }
        ready = ready.filter((j) => !gone.has(j.id));
        for (const id of got.drop) ready.push(fresh(id % 8, time));
      }
      expect(drops, `${idle} idle`).toBeGreaterThan(0);
      expect(variants, `${idle} idle`).toBeGreaterThan(0);
    }
  });
});

describe('PredictionModel: the ratio version DREAM relies on', () => {
  it('moves for the written tenant on every write path, and never for the offline predictor', () => {
    const w = decisionWorkload();
    const m = new PredictionModel(w);
    const live = m.predictor(true);
    const offline = m.predictor(false);
    const v = (t: number) => live.ratioVersion!(t);
    const before = [v(0), v(1)];
    m.update(1, 2, 1, 1.2);
    expect(v(1)).not.toBe(before[1]);
    expect(v(0)).toBe(before[0]); // other tenants keep theirs: their cached rows stay valid
    const mid = [v(0), v(1)];
    m.setRatios(new Float64Array(m.ratios.length).fill(1.1)); // the live runtime, after a lane fails
    expect(v(0)).not.toBe(mid[0]);
    expect(v(1)).not.toBe(mid[1]);
    const after = [v(0), v(1)];
    m.resetRatios();
    expect(v(0)).not.toBe(after[0]);
    expect(v(1)).not.toBe(after[1]);
    expect(offline.ratioVersion!(1)).toBe(0);
  });
});

describe('dream with a tenant switched to its model variant', () => {
  it('runs the forced variant on an idle machine too, as the reference does (no queue, deadline met)', () => {
    const w = withModelVariants(syntheticWorkload({ scenario: 'social_a', load: 0.5, variants: true, seed: 9 }));
    const m = new PredictionModel(w);
    const opt = tesseraDream({ adapt: false, modelSwitch: { high: 0.2, low: 0.05, hold: 2 } });
    const ref = dreamReference({ adapt: false, modelSwitch: { high: 0.2, low: 0.05, hold: 2 } });
    const lanes = w.lanes.map((def, index) => ({ index, def, idle: true, busyUntil: 0, job: -1, power: def.idleWatts }));
    const snap = (time: number, id: number, tenant: number): Snapshot => {
      const iso = m.isolated(tenant);
      const job = { id, tenant, frame: id, release: time, deadline: time + 4 * iso, priority: 1, next: 0, layerCount: w.tenants[tenant].layers.length, lastRun: time, lastLane: -1, accuracyUsed: 0, variantSet: -1, upstream: -1, g: 1 };
      return { time, ready: [job], lanes: lanes.map((l) => ({ ...l, busyUntil: time })), workload: w, predict: m.predictor(true), offline: m.predictor(false), inSystem: 1, preemption: 'layer' };
    };
    let forced = 0;
    for (let round = 0; round < 3; round++) {
      // A window in which every frame of tenant 0 (a whitelist tenant) missed switches it on.
      for (const p of [opt, ref]) {
        p.decide(snap(round, 1000 * round, 0)); // binds the workload
        for (let k = 0; k < 5; k++) p.observe!({ kind: 'job', time: round + 0.5, job: k, tenant: 0, release: round, deadline: round + 0.1, finish: NaN, dropped: true, accuracyUsed: 0 });
        p.observe!({ kind: 'window', start: round, end: round + 1, ended: 5, missed: 5, dropped: 5, missRate: 1, energyJ: 1, uxcost: 1, referenceJ: 1 });
      }
      for (let k = 1; k <= 20; k++) {
        const s = snap(round + 1 + k * 1e-3, 1000 * round + k, 0);
        const d = opt.decide(s);
        expect(line(d), `round ${round}, decision ${k}`).toBe(line(ref.decide(s)));
        if (d.assign.some((a) => a.variant > 0)) forced++;
      }
    }
    expect(forced).toBeGreaterThan(0); // else the switch was never exercised
  });
});

describe('dream with one idle lane: the job with the highest bound is scored first', () => {
  it('a job of a lower index that ties its score still wins, as in the reference', () => {
    // Weights chosen so that scores are exact binary fractions: score = fairness + progress.
    // Job 0: layer 0 (progress 0), waited 3 of 4 s (fairness 0.75); job 1: layer 4 of 8 (progress
    // 0.5), waited 1 of 4 s (0.25). Both score 0.75; job 1's bound (fairness 1 + progress) is the
    // higher one, so it is scored first, and job 0 must still take the lane (lower index).
    const w = decisionWorkload();
    const m = new PredictionModel(w);
    const weights = { urgency: 0, fairness: 1, energy: 0, speed: 0, progress: 1 };
    const t = 3;
    const job = (id: number, next: number, lastRun: number) => ({ id, tenant: 0, frame: id, release: 0, deadline: 4, priority: 1, next, layerCount: w.tenants[0].layers.length, lastRun, lastLane: next === 0 ? -1 : 0, accuracyUsed: 0, upstream: -1, g: 1 });
    expect(w.tenants[0].layers.length).toBe(8);
    // Other lanes busy long after the deadline: no detour rule applies.
    const lanes = w.lanes.map((def, index) => ({ index, def, idle: index === 0, busyUntil: index === 0 ? t : t + 100, job: index === 0 ? -1 : 100 + index, power: def.idleWatts }));
    const s: Snapshot = { time: t, ready: [job(0, 0, 0), job(1, 4, 2)], lanes, workload: w, predict: m.predictor(true), offline: m.predictor(false), inSystem: 5, preemption: 'layer' };
    const want = line(dreamReference({ adapt: false, weights }).decide(s));
    expect(want).toMatch(/^0>0\.\d+\|$/); // job 0 on lane 0 (the variant is the reference's choice)
    expect(line(tesseraDream({ adapt: false, weights }).decide(s))).toBe(want);
  });
});

describe('dream with two idle lanes: each lane\'s best-bound job is scored first', () => {
  it('a job of a lower index that ties its score still ranks first in both lanes\' lists, as in the reference', () => {
    // As the one-idle case above (score = fairness + progress, exact binary fractions), with two idle
    // lanes, both slower for tenant 0 than the two busy ones (so no detour rule applies): job 1 (the
    // higher bound) is scored first on both; job 0 ties it and must come first in both lists, so the
    // first round gives job 0 the better lane and job 1 gets the other.
    const w = decisionWorkload();
    const m = new PredictionModel(w);
    const weights = { urgency: 0, fairness: 1, energy: 0, speed: 0, progress: 1 };
    const t = 3;
    const job = (id: number, next: number, lastRun: number) => ({ id, tenant: 0, frame: id, release: 0, deadline: 4, priority: 1, next, layerCount: w.tenants[0].layers.length, lastRun, lastLane: -1, accuracyUsed: 0, upstream: -1, g: 1 });
    const probe = job(0, 0, 0);
    const lat = w.lanes.map((_, l) => m.predictor(true).next(probe, l, 0));
    const bySpeed = w.lanes.map((_, l) => l).sort((a, b) => lat[a] - lat[b]);
    const idle = new Set(bySpeed.slice(2)); // the two slowest lanes
    expect(lat[bySpeed[3]]).toBeLessThan(Infinity);
    const lanes = w.lanes.map((def, index) => ({ index, def, idle: idle.has(index), busyUntil: idle.has(index) ? t : t + 100, job: idle.has(index) ? -1 : 100 + index, power: def.idleWatts }));
    const s: Snapshot = { time: t, ready: [job(0, 0, 0), { ...job(1, 4, 2), lastLane: -1 }], lanes, workload: w, predict: m.predictor(true), offline: m.predictor(false), inSystem: 5, preemption: 'layer' };
    const want = line(dreamReference({ adapt: false, weights }).decide(s));
    expect(want).toMatch(/^0>\d\.\d+,1>\d\.\d+\|$/); // both run, job 0 chosen first
    expect(line(tesseraDream({ adapt: false, weights }).decide(s))).toBe(want);
  });
});
