import { describe, expect, it } from 'vitest';
import { PredictionModel } from '../scheduler/core/predict';
import { createPolicy, listPolicies, policyNames, tesseraDream } from '../scheduler/core/policies';
import { simulate } from '../scheduler/core/simulator';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { Decision, JobState, LaneState, SimWorkload, Snapshot } from '../scheduler/core/types';

/** Two lanes: lane 0 slow (4 ms per layer), lane 1 fast (1 ms); 3 tenants, 2 layers each; variants on tenant 2. */
function w2(): SimWorkload {
  const layer = (name: string, variants = false) => ({
    name,
    outputBytes: 0,
    variants: [
      { id: 'o', accuracyDelta: 0, cost: [{ latency: 0.004 }, { latency: 0.001 }] },
      ...(variants ? [{ id: 'fast', accuracyDelta: 0.01, cost: [{ latency: 0.001 }, { latency: 0.0005 }] }] : []),
    ],
  });
  return {
    name: 'w2',
    lanes: [
      { id: 'slow', kind: 'cpu', idleWatts: 1, busyWatts: 10 },
      { id: 'fast', kind: 'gpu', idleWatts: 1, busyWatts: 20 },
    ],
    tenants: [0, 1, 2].map((t) => ({ id: `t${t}`, model: `m${t}`, layers: [layer(`t${t}a`, t === 2), layer(`t${t}b`, t === 2)], arrival: { type: 'periodic' as const, fps: 10 }, priority: [1, 3, 9][t], accuracyBudget: t === 2 ? 0.05 : 0 })),
    latencySource: { kind: 'synthetic', detail: 'test' },
    energySource: { kind: 'estimated', detail: 'test' },
  };
}

function job(p: Partial<JobState> & { id: number; tenant: number }): JobState {
  return { frame: p.id, release: 0, deadline: 0.1, priority: 1, next: 0, layerCount: 2, lastRun: 0, lastLane: -1, accuracyUsed: 0, upstream: -1, g: 1, ...p };
}

function snap(w: SimWorkload, time: number, ready: JobState[], idle: boolean[] = [true, true], busyUntil = 0): Snapshot {
  const m = new PredictionModel(w);
  const lanes: LaneState[] = w.lanes.map((def, index) => ({ index, def, idle: idle[index], busyUntil: idle[index] ? time : busyUntil, job: idle[index] ? -1 : 99, power: def.idleWatts }));
  return { time, ready, lanes, workload: w, predict: m.predictor(true), offline: m.predictor(false), inSystem: ready.length, preemption: 'layer' };
}

const order = (d: Decision) => d.assign.map((a) => `${a.job}@${a.lane}`);

describe('policies', () => {
  it('registry lists every policy with a description and a source; unknown names fail naming the known ones', () => {
    const list = listPolicies();
    expect(list.map((p) => p.name)).toEqual(policyNames());
    for (const n of ['fcfs', 'rr', 'edf', 'sjf', 'lsf', 'heft', 'prema', 'planaria', 'sdrm3', 'dysta', 'dysta_naive', 'dysta_oracle', 'dream', 'terastal', 'convergo']) expect(policyNames()).toContain(n);
    for (const p of list) {
      expect(p.description.length).toBeGreaterThan(10);
      expect(p.source.length).toBeGreaterThan(3);
    }
    expect(() => createPolicy('xyz')).toThrow(/unknown policy "xyz"; known policies: .*dream.*terastal/);
  });

  it('single-queue baselines pick by their rule and place the best job on its fastest idle lane', () => {
    const w = w2();
    const jobs = [
      job({ id: 0, tenant: 0, release: 0.0, deadline: 0.09, priority: 1, next: 0 }),
      job({ id: 1, tenant: 1, release: 0.001, deadline: 0.05, priority: 9, next: 1 }),
      job({ id: 2, tenant: 2, release: 0.002, deadline: 0.07, priority: 3, next: 0 }),
    ];
    const s = snap(w, 0.01, jobs);
    expect(order(createPolicy('fcfs').decide(s))).toEqual(['0@1', '1@0']);
    expect(order(createPolicy('edf').decide(s))).toEqual(['1@1', '2@0']);
    expect(order(createPolicy('sjf').decide(s))).toEqual(['1@1', '0@0']); // 1 has one layer left
    expect(order(createPolicy('lsf').decide(s))).toEqual(['1@1', '2@0']);
    expect(order(createPolicy('planaria').decide(s))).toEqual(['1@1', '2@0']); // priority / slack
    // Only the slow lane idle: the first job by the rule goes there.
    expect(order(createPolicy('edf').decide(snap(w, 0.01, jobs, [true, false], 0.011)))).toEqual(['1@0']);
  });

  it('Planaria and SDRM3 run the last-released job when every score is negative (Dysta artifact rule)', () => {
    const w = w2();
    const late = [job({ id: 0, tenant: 0, release: 0, deadline: 0.005 }), job({ id: 1, tenant: 1, release: 0.001, deadline: 0.006 })];
    expect(order(createPolicy('planaria').decide(snap(w, 0.01, late, [false, true], 0.02)))).toEqual(['1@1']);
  });

  it('round robin rotates over tenants', () => {
    const w = w2();
    const rr = createPolicy('rr');
    const jobs = [job({ id: 0, tenant: 0 }), job({ id: 1, tenant: 1 }), job({ id: 2, tenant: 2 })];
    const picks: number[] = [];
    for (let k = 0; k < 4; k++) picks.push(rr.decide(snap(w, 0.01, jobs, [false, true], 0.02)).assign[0].job);
    expect(picks).toEqual([0, 1, 2, 0]);
  });

  it('HEFT waits for a busy faster lane instead of using an idle slow one', () => {
    const w = w2();
    const s = snap(w, 0.01, [job({ id: 0, tenant: 0 })], [true, false], 0.0105); // fast lane frees in 0.5 ms
    expect(createPolicy('heft').decide(s).assign).toEqual([]);
    const s2 = snap(w, 0.01, [job({ id: 0, tenant: 0 })], [true, false], 0.02); // frees in 10 ms: slow lane wins
    expect(order(createPolicy('heft').decide(s2))).toEqual(['0@0']);
  });

  it('PREMA serves the job whose tokens reached the top class, then shortest first', () => {
    const w = w2();
    const p = createPolicy('prema');
    const jobs = [job({ id: 0, tenant: 0, priority: 1, next: 1 }), job({ id: 1, tenant: 2, priority: 9, next: 0 })];
    // priority 9 starts at the top class: it runs although job 0 is shorter.
    expect(order(p.decide(snap(w, 0.01, jobs, [false, true], 0.02)))).toEqual(['1@1']);
  });

  it('Dysta: lowest g R first; the naive form ignores g, the oracle uses real latencies', () => {
    const w = w2();
    const a = job({ id: 0, tenant: 0, next: 0, g: 3 }); // observed 3x slower so far
    const b = job({ id: 1, tenant: 1, next: 0, g: 1 });
    const s = snap(w, 0.01, [a, b], [false, true], 0.02);
    expect(order(createPolicy('dysta').decide(s))).toEqual(['1@1']);
    expect(order(createPolicy('dysta_naive').decide(s))).toEqual(['0@1']); // tie on R: first wins
    const oracle = { ...s.offline, remainingBest: (j: JobState) => (j.id === 0 ? 0.001 : 0.01), isolated: () => 0.002 };
    expect(order(createPolicy('dysta_oracle').decide({ ...s, oracle }))).toEqual(['0@1']);
  });

  it('Tessera-DREAM drops frames that cannot make it, prefers feasible lanes and exposes its weights', () => {
    const w = w2();
    const hopeless = job({ id: 0, tenant: 0, release: 0.009, deadline: 0.0105 }); // needs >= 2 ms from t = 0.01: 1.5 ms late, margin 0.6 x 1.5 ms
    const ok = job({ id: 1, tenant: 1, deadline: 0.05 });
    const d = tesseraDream().decide(snap(w, 0.01, [hopeless, ok]));
    expect(d.drop).toEqual([0]);
    expect(order(d)).toEqual(['1@1']);
    const state = createPolicy('dream').state!();
    for (const k of ['urgency', 'fairness', 'energy', 'speed', 'progress']) expect(typeof state[k]).toBe('number');
    // Tenant 2 may use its fast variant to make a deadline the original cannot.
    const tight = job({ id: 2, tenant: 2, deadline: 0.0115, next: 1 });
    const d2 = tesseraDream().decide(snap(w, 0.01, [tight], [false, true], 0.02));
    expect(d2.drop).toEqual([]);
    expect(d2.assign).toEqual([{ job: 2, lane: 1, variant: 0 }]);
    const tighter = job({ id: 3, tenant: 2, deadline: 0.0107, next: 1 });
    const d3 = tesseraDream().decide(snap(w, 0.01, [tighter]));
    expect(d3.assign).toEqual([{ job: 3, lane: 1, variant: 1 }]);
  });

  it('every policy serves layers whose profiled energy is 0 (a layer below the timer resolution, as measured profiles have)', () => {
    // Issue 10 (5): DREAM scored such a layer 0/0 = NaN, never chose it, idled the lane and dropped every frame of that tenant.
    const w = w2();
    for (const t of w.tenants) t.layers[1].variants[0].cost = [{ latency: 0.004, energy: 0 }, { latency: 0.001, energy: 0 }];
    for (const name of policyNames()) {
      const r = simulate(w, createPolicy(name), { duration: 2, seed: 1 });
      const onTime = r.jobs.filter((j) => !j.dropped && j.finish <= j.deadline).length;
      expect({ name, onTime }).toEqual({ name, onTime: r.jobs.length });
    }
  });

  it('Tessera-DREAM retunes its weights online from window UXCost', () => {
    const p = tesseraDream();
    const before = JSON.stringify(p.state!());
    const win = (uxMiss: number) => p.observe!({ kind: 'window', start: 0, end: 0.5, ended: 10, missed: Math.round(uxMiss * 10), dropped: 0, missRate: uxMiss, energyJ: 10, uxcost: uxMiss, referenceJ: 20 });
    // A base period, then a trial period that is much better: the trial weights are kept.
    win(0.5);
    win(0.5);
    win(0.1);
    win(0.1);
    const after = p.state!();
    expect(JSON.stringify(after)).not.toBe(before);
    expect(after.tunerAccepted).toBe(1);
    const fixed = createPolicy('dream_static');
    fixed.observe?.({ kind: 'window', start: 0, end: 0.5, ended: 10, missed: 5, dropped: 0, missRate: 0.5, energyJ: 10, uxcost: 0.5, referenceJ: 20 });
    expect(fixed.state!().tunerTrials).toBe(0);
  });

  it('Terastal-style splits deadlines into per-layer virtual budgets and chooses lanes without variants', () => {
    const w = w2();
    // Same release and deadline; job 1 is on its last layer, so its next virtual deadline is later.
    const a = job({ id: 0, tenant: 0, next: 0, deadline: 0.1 });
    const b = job({ id: 1, tenant: 1, next: 1, deadline: 0.1 });
    const d = createPolicy('terastal').decide(snap(w, 0.01, [b, a]));
    expect(d.assign[0]).toEqual({ job: 0, lane: 1, variant: 0 });
    expect(d.assign[1].job).toBe(1);
  });

  it('Terastal-style and Convergo-style stay within the accuracy budget and SLO floor', () => {
    const w = syntheticWorkload({ scenario: 'vr_gaming', skew: 'gpu', load: 1.3, variants: true, accuracyBudget: 0.004 });
    for (const name of ['terastal', 'convergo', 'dream']) {
      const r = simulate(w, createPolicy(name), { duration: 1, seed: 1 });
      const used = Math.max(...r.jobs.map((j) => j.accuracyUsed));
      expect(used).toBeGreaterThan(0); // variants are used under overload
      expect(used).toBeLessThanOrEqual(0.004 + 1e-9);
    }
  });

  it('Convergo-style favours the tenant closest to violating an SLO', () => {
    const w = w2();
    w.tenants[0].slos = { minThroughput: 10 };
    w.tenants[1].slos = { minThroughput: 10 };
    const p = createPolicy('convergo');
    const jobs = [job({ id: 0, tenant: 0 }), job({ id: 1, tenant: 1 })];
    p.decide(snap(w, 0, jobs, [false, true], 1)); // binds the workload
    // Tenant 1 finished nothing in the last window, tenant 0 finished 10 frames.
    for (let k = 0; k < 10; k++) p.observe!({ kind: 'job', time: 0.5, job: 100 + k, tenant: 0, release: 0, deadline: 0.1, finish: 0.05, dropped: false, accuracyUsed: 0 });
    p.observe!({ kind: 'window', start: 0, end: 1, ended: 10, missed: 0, dropped: 0, missRate: 0, energyJ: 1, uxcost: 0, referenceJ: 1 });
    expect(order(p.decide(snap(w, 1, jobs, [false, true], 2)))).toEqual(['1@1']);
    expect(p.state!()['risk.t1']).toBeGreaterThan(p.state!()['risk.t0']);
  });
});
