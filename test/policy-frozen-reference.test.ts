// Issue 10's cost work on Terastal, Convergo and Planaria (and later on HEFT, PREMA, dysta_oracle,
// Convergo, SDRM3, SJF, LSF) must leave their decisions exactly as they were: each policy runs here against a
// frozen copy of its code before that work (test/fixtures/decmisc/*-reference.ts,
// test/fixtures/ae9492f/), (1) through whole simulate() runs, decision by decision (balanced and overloaded loads, variants within accuracy budgets, whitelist tenants, cascades, 2
// and 4 lanes, layer and model preemption, refinement ratios that drift), and (2) on random
// snapshots of 8 tenants x 4 lanes (1..4 idle lanes, busy lanes free at various times, late and
// urgent jobs, ties, two lanes with equal costs, frames that already used part of their budget or of
// a whitelist).
import { describe, expect, it } from 'vitest';
import { decisionWorkload } from '../bench/scheduler';
import { createPolicy } from '../scheduler/core/policies';
import { PredictionModel } from '../scheduler/core/predict';
import { rng } from '../scheduler/core/rng';
import { simulate, type SimOptions } from '../scheduler/core/simulator';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { Decision, Feedback, JobState, LaneState, Policy, Predictor, SimWorkload, Snapshot, TenantDef } from '../scheduler/core/types';
import { convergo as convergoRef } from './fixtures/decmisc/convergo-reference';
import { planaria as planariaRef } from './fixtures/decmisc/planaria-reference';
import { terastal as terastalRef } from './fixtures/decmisc/terastal-reference';
import { dysta as dystaAt } from './fixtures/ae9492f/dysta';
import { heft as heftAt } from './fixtures/ae9492f/heft';
import { prema as premaAt } from './fixtures/ae9492f/prema';
import { sdrm3 as sdrm3At } from './fixtures/ae9492f/sdrm3';
import { leastSlack as lsfAt, sjf as sjfAt } from './fixtures/bbfd790/baselines';

const cases: { name: string; now: () => Policy; ref: () => Policy }[] = [
  { name: 'terastal', now: () => createPolicy('terastal'), ref: () => terastalRef() },
  { name: 'terastal budgetShare 0.7', now: () => createPolicy('terastal{"budgetShare":0.7}'), ref: () => terastalRef({ budgetShare: 0.7 }) },
  { name: 'convergo', now: () => createPolicy('convergo'), ref: () => convergoRef() },
  { name: 'planaria', now: () => createPolicy('planaria'), ref: () => planariaRef() },
  // hotpath3's work: against the code at ae9492f.
  { name: 'heft (ae9492f)', now: () => createPolicy('heft'), ref: () => heftAt() },
  { name: 'prema (ae9492f)', now: () => createPolicy('prema'), ref: () => premaAt() },
  { name: 'dysta_oracle (ae9492f)', now: () => createPolicy('dysta_oracle'), ref: () => dystaAt('dysta_oracle') },
  { name: 'sdrm3 (ae9492f)', now: () => createPolicy('sdrm3'), ref: () => sdrm3At() },
  // SJF and LSF picking from a ReadyIndex under overload: against the code at bbfd790.
  { name: 'sjf (bbfd790)', now: () => createPolicy('sjf'), ref: () => sjfAt() },
  { name: 'lsf (bbfd790)', now: () => createPolicy('lsf'), ref: () => lsfAt() },
];

const line = (d: Decision) => `${d.assign.map((a) => `${a.job}>${a.lane}.${a.variant}`).join(',')}|${d.drop.join(',')}`;

/** A whitelist on tenant `ti` over its first layers (layer and, when `whole`, model-level combinations). */
function withWhitelist(w: SimWorkload, ti: number, whole: boolean): SimWorkload {
  const t = w.tenants[ti];
  const n = t.layers.length;
  const pick = (f: (i: number) => number) => Array.from({ length: n }, (_, i) => Math.min(f(i), t.layers[i].variants.length - 1));
  const combos = [
    { id: 'a', variants: pick((i) => (i % 3 === 0 ? 1 : 0)), cost: 0.01 },
    { id: 'b', variants: pick((i) => (i % 2 === 1 ? 2 : 0)), cost: 0.02 },
    { id: 'ab', variants: pick((i) => (i % 3 === 0 ? 1 : i % 2 === 1 ? 2 : 0)), cost: 0.025 },
    ...(whole ? [{ id: 'whole', variants: pick(() => 1), cost: 0.03, whole: true }] : []),
  ];
  const tenants = w.tenants.map((x, i): TenantDef => (i === ti ? { ...x, accuracyBudget: undefined, whitelist: { combos, costLabel: 'test' } } : x));
  return { ...w, tenants };
}

/**
 * decisionWorkload's 4 lanes (cpu0, cpu1, gpu, npu: with `gaps`, some layers absent on the npu) with
 * the scenario's cascades kept; with `twins`, cpu1 costs exactly what cpu0 does (equal finish times).
 */
function fourLanes(scenario: string, load: number, gaps = true, twins = false): SimWorkload {
  const w = syntheticWorkload({ scenario, variants: true, load });
  const lanes = decisionWorkload().lanes;
  const tenants = w.tenants.map((t) => ({
    ...t,
    layers: t.layers.map((l, li) => ({
      ...l,
      variants: l.variants.map((v) => ({ ...v, cost: [v.cost[0], v.cost[0] ? { latency: v.cost[0].latency * (twins ? 1 : 1.05) } : null, v.cost[1], gaps && li % 3 === 2 ? null : v.cost[1] ? { latency: v.cost[1].latency * 0.8 } : null] })),
    })),
  }));
  return { ...w, lanes, tenants };
}

/**
 * The scenario with a twin of its first tenant appended (same layers, same unjittered arrivals, no
 * cascade): frames of the two at one layer have equal remaining estimates and equal deadlines, so
 * keys tie across tenants and the order falls to the job ids.
 */
function withTwin(w: SimWorkload): SimWorkload {
  const a = w.tenants[0].arrival;
  const first: TenantDef = { ...w.tenants[0], cascade: undefined, arrival: a.type === 'periodic' ? { ...a, jitter: 0 } : a };
  return { ...w, tenants: [first, ...w.tenants.slice(1), { ...first, id: `${first.id}-twin` }] };
}

const runs: { label: string; w: SimWorkload; o: SimOptions }[] = [
  { label: 'vr_gaming balanced 0.6', w: syntheticWorkload({ scenario: 'vr_gaming', load: 0.6, variants: true }), o: { duration: 1.5, seed: 1, latencyNoise: 0.1, jobNoise: 0.1 } },
  { label: 'vr_gaming skewed (gpu) 1.2', w: syntheticWorkload({ scenario: 'vr_gaming', skew: 'gpu', load: 1.2, variants: true }), o: { duration: 1.5, seed: 2, latencyNoise: 0.1, jobNoise: 0.1 } },
  { label: 'ar_assistant 4 lanes 0.9, whitelist tenant, biased', w: withWhitelist(fourLanes('ar_assistant', 0.9), 0, false), o: { duration: 2, seed: 3, latencyNoise: 0.15, latencyBias: [1.3, 0.8, 1.1, 0.9, 1.2] } },
  { label: 'social_a 4 lanes 1.4, model-level whitelist', w: withWhitelist(fourLanes('social_a', 1.4), 1, true), o: { duration: 1.5, seed: 4, latencyNoise: 0.1, jobNoise: 0.2 } },
  { label: 'outdoor_a 4 lanes 1.1, model preemption', w: withWhitelist(fourLanes('outdoor_a', 1.1, false), 2, false), o: { duration: 4, seed: 5, latencyNoise: 0.1, preemption: 'model' } },
  { label: 'social_b 4 lanes 1.0, twin cpus', w: fourLanes('social_b', 1.0, true, true), o: { duration: 1.5, seed: 7, latencyNoise: 0.1, jobNoise: 0.1 } },
  { label: 'vr_gaming no variants 1.0', w: syntheticWorkload({ scenario: 'vr_gaming', load: 1.0 }), o: { duration: 1.5, seed: 6, latencyNoise: 0.1 } },
  { label: 'vr_gaming 1.1 with a twin tenant, no noise (ties across tenants)', w: withTwin(syntheticWorkload({ scenario: 'vr_gaming', load: 1.1 })), o: { duration: 1.5, seed: 8 } },
];

/** Every decision of a run, as text. */
function record(w: SimWorkload, p: Policy, o: SimOptions): string[] {
  const out: string[] = [];
  const recorded: Policy = { name: p.name, observe: p.observe?.bind(p), state: p.state?.bind(p), decide: (s) => {
    const d = p.decide(s);
    out.push(line(d));
    return d;
  } };
  simulate(w, recorded, { ...o, metrics: false });
  return out;
}

describe('Terastal, Convergo, Planaria decide as their frozen references (whole runs)', () => {
  for (const c of cases) {
    it(c.name, () => {
      for (const r of runs) {
        const want = record(r.w, c.ref(), r.o);
        const got = record(r.w, c.now(), r.o);
        let i = 0;
        while (i < want.length && got[i] === want[i]) i++;
        // The first decision that differs (undefined past the end of a run).
        expect(got[i], `${r.label}, decision ${i} of ${want.length}`).toBe(want[i]);
        expect(got.length, r.label).toBe(want.length);
        // Enough placements to mean something (a run that never places decides nothing).
        expect(want.filter((x) => x[0] !== '|').length, r.label).toBeGreaterThan(100);
      }
    });
  }
});

/**
 * Random snapshots over one set of jobs: time advances, jobs come and go, ratios move (the model's
 * update() between decisions, so ratio versions move; now and then one that leaves the ratio as it
 * was), lanes free at various times. `predict`: one refined predictor for every snapshot
 * ('versioned': caches that follow ratioVersion live across decisions), the same without
 * ratioVersion ('bare': ratios must be polled), or a new one per snapshot ('fresh').
 */
function* snapshots(seed: number, count: number, whitelist: boolean, twins: boolean, predict: 'versioned' | 'bare' | 'fresh'): Generator<Snapshot> {
  const w0 = whitelist ? withWhitelist(withWhitelist(decisionWorkload(), 0, false), 3, true) : decisionWorkload();
  // twins: cpu1 costs exactly what cpu0 does (equal finish times on two lanes).
  const w = twins ? { ...w0, tenants: w0.tenants.map((t) => ({ ...t, layers: t.layers.map((l) => ({ ...l, variants: l.variants.map((v) => ({ ...v, cost: [v.cost[0], v.cost[0], v.cost[2], v.cost[3]] })) })) })) } : w0;
  const model = new PredictionModel(w);
  const refined = model.predictor(true);
  const bare: Predictor = Object.assign(Object.create(refined) as Predictor, { ratioVersion: undefined });
  const r = rng(seed);
  let time = 1;
  const jobs: JobState[] = [];
  let nextId = 0;
  const fresh = (): JobState => {
    const twin = r() < 0.3 && jobs.length ? jobs[Math.floor(r() * jobs.length)] : undefined;
    if (twin && r() < 0.5) return { ...twin, id: nextId++, frame: nextId };
    const tenant = twin ? twin.tenant : Math.floor(r() * 8);
    const layerCount = w.tenants[tenant].layers.length;
    const next = twin ? twin.next : Math.floor(r() * layerCount);
    const iso = model.isolated(tenant);
    const release = time - r() * iso * 0.5;
    const deadline = r() < 0.15 && jobs.length ? jobs[Math.floor(r() * jobs.length)].deadline : time + iso * (-1 + 5 * r());
    const lastRun = release + r() * (time - release);
    const wl = w.tenants[tenant].whitelist;
    const variantSet = wl ? [-1, 1, 2, 3, 4, 6, 8, 15][Math.floor(r() * 8)] : undefined;
    const accuracyUsed = r() < 0.3 ? r() * 0.025 : 0;
    return { id: nextId++, tenant, frame: nextId, release, deadline, priority: [1, 3, 9][Math.floor(r() * 3)], next, layerCount, lastRun, lastLane: next === 0 ? -1 : Math.floor(r() * 4), accuracyUsed, upstream: -1, g: 0.9 + 0.2 * r(), ...(variantSet !== undefined ? { variantSet } : {}) };
  };
  for (let i = 0; i < 64; i++) jobs.push(fresh());
  for (let c = 0; c < count; c++) {
    time += r() * 0.002;
    for (let i = 0; i < jobs.length; i++) if (r() < 0.05) jobs.splice(i, 1);
    while (jobs.length < 10 + Math.floor(r() * 100)) jobs.push(fresh());
    for (let u = 0; u < 1 + Math.floor(r() * 3); u++) {
      const tn = Math.floor(r() * 8);
      const l = Math.floor(r() * 4);
      model.update(tn, l, 1, r() < 0.1 ? model.ratio(tn, l) : 0.7 + 0.6 * r());
    }
    const idle = 1 + Math.floor(r() * 4);
    const lanes: LaneState[] = w.lanes.map((def, index) => {
      const isIdle = r() < idle / 4;
      return { index, def, idle: isIdle, busyUntil: isIdle ? time : time + r() * 0.003, job: isIdle ? -1 : 100000 + index, power: def.idleWatts };
    });
    yield { time, ready: jobs.slice(), lanes, workload: w, predict: predict === 'versioned' ? refined : predict === 'bare' ? bare : model.predictor(true), offline: model.predictor(false), inSystem: jobs.length + 4 - idle, preemption: r() < 0.1 ? 'model' : 'layer' };
  }
}

/**
 * Feedback between decisions, to both policies alike: per tenant with a throughput SLO, finished
 * (now and then dropped or late) frames at 0.8..1.2x that SLO's rate, then a window's end, so that
 * Convergo's risk and throughput-at-risk flags move (and flip) during the snapshots.
 */
function feed(s: Snapshot, r: () => number, ps: Policy[]): void {
  const len = 0.05;
  s.workload.tenants.forEach((tn, k) => {
    const want = tn.slos?.minThroughput;
    if (!want) return;
    const count = Math.round(want * len * (0.8 + 0.4 * r()));
    for (let c = 0; c < count; c++) {
      const dropped = r() < 0.1;
      const f: Feedback = { kind: 'job', time: s.time, job: -1, tenant: k, release: s.time - 0.02, deadline: s.time - 0.02 + 1 / want, finish: dropped ? NaN : s.time - 0.02 + (r() < 0.2 ? 2 : 0.5) / want, dropped, accuracyUsed: 0 };
      for (const p of ps) p.observe?.(f);
    }
  });
  const w: Feedback = { kind: 'window', start: s.time - len, end: s.time, ended: 0, missed: 0, dropped: 0, missRate: 0, energyJ: 0, uxcost: 0, referenceJ: 0 };
  for (const p of ps) p.observe?.(w);
}

describe('Terastal, Convergo, Planaria decide as their frozen references (random snapshots)', () => {
  for (const c of cases) {
    it(c.name, () => {
      for (const seed of [1, 2, 3, 4, 5, 6, 7]) {
        const now = c.now();
        const ref = c.ref();
        let n = 0;
        let placed = 0;
        const predict = seed <= 4 ? 'versioned' : seed <= 6 ? 'bare' : 'fresh';
        const fr = rng(100 + seed);
        for (const s of snapshots(seed, 400, seed === 3 || seed === 4 || seed === 6, seed % 2 === 0, predict)) {
          if (n % 4 === 3) feed(s, fr, [ref, now]);
          const want = line(ref.decide(s));
          const got = line(now.decide(s));
          expect(got, `${c.name}, seed ${seed} (${predict}), decision ${n}`).toBe(want);
          if (want[0] !== '|') placed++;
          n++;
        }
        expect(placed).toBeGreaterThan(200);
      }
    });
  }
});

/**
 * Jobs that advance as in a run: each decision's placed jobs come back at their next layer (from
 * the lane they ran on), often with no ratio moved in between (a policy's per-(tenant, layer) memo
 * filled while placing a job at layer L is then read for that job at L + 1), and deadlines near
 * the predicted remaining time (jobs cross the meets / drop lines as time passes).
 */
function* advancing(seed: number, count: number, whitelist: boolean): Generator<Snapshot, void, Decision> {
  const w = whitelist ? withWhitelist(withWhitelist(decisionWorkload(), 0, false), 3, true) : decisionWorkload();
  const model = new PredictionModel(w);
  const refined = model.predictor(true);
  const r = rng(seed);
  let time = 1;
  let jobs: JobState[] = [];
  let nextId = 0;
  const fresh = (): JobState => {
    const tenant = Math.floor(r() * 8);
    const layerCount = w.tenants[tenant].layers.length;
    const next = Math.floor(r() * layerCount * 0.7);
    const j: JobState = { id: nextId++, tenant, frame: nextId, release: time, deadline: 0, priority: [1, 3, 9][Math.floor(r() * 3)], next, layerCount, lastRun: time, lastLane: next === 0 ? -1 : Math.floor(r() * 4), accuracyUsed: r() < 0.3 ? r() * 0.02 : 0, upstream: -1, g: 1, ...(w.tenants[tenant].whitelist ? { variantSet: [-1, 1, 2, 3, 6][Math.floor(r() * 5)] } : {}) };
    j.deadline = time + refined.remainingBest(j) * (0.7 + 0.8 * r());
    return j;
  };
  for (let i = 0; i < 24; i++) jobs.push(fresh());
  for (let c = 0; c < count; c++) {
    const idle = 1 + Math.floor(r() * 4);
    const lanes: LaneState[] = w.lanes.map((def, index) => {
      const isIdle = r() < idle / 4;
      return { index, def, idle: isIdle, busyUntil: isIdle ? time : time + r() * 0.003, job: isIdle ? -1 : 100000 + index, power: def.idleWatts };
    });
    const d = yield { time, ready: jobs.slice(), lanes, workload: w, predict: refined, offline: model.predictor(false), inSystem: jobs.length, preemption: r() < 0.1 ? 'model' : 'layer' };
    const dropped = new Set(d.drop);
    const ran = new Map(d.assign.map((a) => [a.job, a.lane]));
    time += r() * 0.0005;
    jobs = jobs.flatMap((j) => {
      if (dropped.has(j.id)) return [];
      const lane = ran.get(j.id);
      if (lane === undefined) return [j];
      return j.next + 1 < j.layerCount ? [{ ...j, next: j.next + 1, lastLane: lane, lastRun: time }] : [];
    });
    while (jobs.length < 24) jobs.push(fresh());
    // Half the time no ratio moves (the memos stay valid); else one does.
    if (r() < 0.5) model.update(Math.floor(r() * 8), Math.floor(r() * 4), 1, 0.8 + 0.4 * r());
  }
}

describe('Terastal, Convergo, Planaria decide as their frozen references (jobs advancing layer by layer)', () => {
  for (const c of cases) {
    it(c.name, () => {
      for (const seed of [1, 2, 3, 4]) {
        const now = c.now();
        const ref = c.ref();
        const gen = advancing(seed, 600, seed % 2 === 0);
        let placed = 0;
        let dropped = 0;
        let it = gen.next(undefined as unknown as Decision);
        for (let n = 0; !it.done; n++) {
          const s = it.value;
          const want = ref.decide(s);
          const wantLine = line(want);
          // The reference's decision drives the run (copied: both policies reuse their Decision).
          const copy: Decision = { assign: want.assign.map((a) => ({ ...a })), drop: [...want.drop] };
          expect(line(now.decide(s)), `${c.name}, seed ${seed}, decision ${n}`).toBe(wantLine);
          placed += copy.assign.length;
          dropped += copy.drop.length;
          it = gen.next(copy);
        }
        expect(placed).toBeGreaterThan(300);
        // Terastal and Convergo drop hopeless frames: they must cross the drop line now and then.
        if (c.name.startsWith('terastal') || c.name.startsWith('convergo')) expect(dropped).toBeGreaterThan(20);
      }
    });
  }
});
