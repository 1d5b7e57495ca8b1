// The decision shortcuts of sdrm3, prema and dysta* (issue 10: with one idle lane the scoring pass
// finds the pick itself, and a job that cannot win is not scored in full) must decide exactly as
// ranking every ready job and placing by key does. Each policy runs here against a plain reference
// written from its documented rule (the code before the shortcuts), on random snapshots of 8 tenants
// x 4 lanes with 1..4 idle lanes, late and urgent jobs, equal deadlines and last-run times (ties),
// and refinement ratios moving between decisions. (test/policy-decisions.test.ts pins whole runs.)
import { describe, expect, it } from 'vitest';
import { decisionWorkload } from '../bench/scheduler';
import { createPolicy } from '../scheduler/core/policies';
import { Scratch, placeByKey, scoreToKey } from '../scheduler/core/policies/common';
import { INDEX_MIN_READY } from '../scheduler/core/policies/ready-index';
import { PredictionModel } from '../scheduler/core/predict';
import { rng } from '../scheduler/core/rng';
import type { Decision, JobState, LaneState, Snapshot } from '../scheduler/core/types';

type Ref = (s: Snapshot) => Decision;

/** Rank every ready job by `key` (lowest first, earliest on ties) and place by key, as common.ts does. */
function ranked(fill: (s: Snapshot, key: Float64Array) => void): Ref {
  const sc = new Scratch();
  return (s) => {
    sc.begin(s.ready.length, s.lanes.length);
    if (s.ready.length === 0) return sc.decision;
    fill(s, sc.key);
    return placeByKey(s, sc, false);
  };
}

const best = (p: Snapshot['predict'], j: JobState, nL: number) => {
  let m = Infinity;
  for (let l = 0; l < nL; l++) m = Math.min(m, p.next(j, l));
  return m;
};

const refs: Record<string, () => Ref> = {
  sdrm3: () =>
    ranked((s, key) => {
      const n = s.ready.length;
      s.ready.forEach((j, i) => {
        const score = Math.min(1, s.predict.remainingBest(j) / (j.deadline - s.time)) + 1 * ((s.time - j.lastRun) / best(s.predict, j, s.lanes.length));
        key[i] = scoreToKey(score, i, n);
      });
    }),
  dysta: () => dystaRef('dysta'),
  dysta_naive: () => dystaRef('dysta_naive'),
  dysta_oracle: () => dystaRef('dysta_oracle'),
  prema: () => {
    const tok = new Map<number, { tokens: number; at: number }>();
    return ranked((s, key) => {
      const t = s.time;
      const tokens = s.ready.map((j) => {
        let e = tok.get(j.id);
        if (!e) tok.set(j.id, (e = { tokens: j.priority, at: Math.max(j.lastRun, j.release) }));
        const since = Math.max(e.at, j.lastRun);
        if (t > since) e.tokens += (j.priority * (t - since)) / s.predict.isolated(j);
        e.at = t;
        return e.tokens;
      });
      const max = Math.max(0, ...tokens);
      const threshold = max >= 9 ? 9 : max >= 3 ? 3 : 1;
      s.ready.forEach((j, i) => (key[i] = (tokens[i] >= threshold ? 0 : 1e12) + s.predict.remainingBest(j)));
    });
  },
};

function dystaRef(form: 'dysta' | 'dysta_naive' | 'dysta_oracle'): Ref {
  return ranked((s, key) => {
    const p = form === 'dysta_oracle' ? (s.oracle ?? s.predict) : s.offline;
    const inSystem = Math.max(1, s.inSystem);
    s.ready.forEach((j, i) => {
      const gR = (form === 'dysta' ? j.g : 1) * p.remainingBest(j);
      key[i] = gR + 0.01 * (Math.max(0, j.deadline - s.time - gR) + (s.time - j.lastRun) / p.isolated(j) / inSystem);
    });
  });
}

/** A run of random snapshots over one set of jobs: time advances, some jobs move on, ratios move. */
function* snapshots(seed: number, count: number): Generator<Snapshot> {
  const w = decisionWorkload();
  const model = new PredictionModel(w);
  const r = rng(seed);
  let time = 1;
  const jobs: JobState[] = [];
  let nextId = 0;
  const fresh = (): JobState => {
    // A third of the jobs share (tenant, next layer) with another, some also its deadline and last
    // run: equal scores, where the earlier job must win.
    // (The nearest to its end of three picks: short remaining work, often the one to beat.)
    const pick = () => jobs[Math.floor(r() * jobs.length)];
    const near = (a: JobState, b: JobState) => (a.next / a.layerCount > b.next / b.layerCount ? a : b);
    const twin = r() < 0.3 && jobs.length ? near(near(pick(), pick()), pick()) : undefined;
    if (twin && r() < 0.5) return { ...twin, id: nextId++, frame: nextId };
    const tenant = twin ? twin.tenant : Math.floor(r() * 8);
    const layerCount = w.tenants[tenant].layers.length;
    const next = twin ? twin.next : Math.floor(r() * layerCount);
    const iso = model.isolated(tenant);
    // The first jobs have waited long (PREMA: tokens at 9), later ones a little (below 3 or 9).
    const release = time - r() * (nextId < 64 ? 0.02 : iso * 0.3);
    // Late, urgent (D - t below the remaining time) and relaxed deadlines; some shared.
    const deadline = r() < 0.15 && jobs.length ? jobs[Math.floor(r() * jobs.length)].deadline : time + iso * (-2 + 6 * r());
    const lastRun = r() < 0.15 && jobs.length ? Math.min(time, jobs[Math.floor(r() * jobs.length)].lastRun) : release + r() * (time - release);
    return { id: nextId++, tenant, frame: nextId, release, deadline, priority: [1, 3, 9][Math.floor(r() * 3)], next, layerCount, lastRun, lastLane: next === 0 ? -1 : Math.floor(r() * 4), accuracyUsed: 0, upstream: -1, g: 0.9 + 0.2 * r() };
  };
  for (let i = 0; i < 64; i++) jobs.push(fresh());
  for (let c = 0; c < count; c++) {
    time += r() * 0.002;
    // Some jobs leave and new ones come (ids keep growing: the ready list stays in id order).
    for (let i = 0; i < jobs.length; i++) if (r() < 0.05) jobs.splice(i, 1);
    while (jobs.length < 20 + Math.floor(r() * 100)) jobs.push(fresh());
    for (let u = 0; u < 3; u++) model.update(Math.floor(r() * 8), Math.floor(r() * 4), 1, 0.7 + 0.6 * r());
    const idle = 1 + Math.floor(r() * 4);
    const lanes: LaneState[] = w.lanes.map((def, index) => {
      const isIdle = index < idle;
      return { index, def, idle: isIdle, busyUntil: isIdle ? time : time + 0.002, job: isIdle ? -1 : 100000 + index, power: def.idleWatts };
    });
    yield { time, ready: jobs.slice(), lanes, workload: w, predict: model.predictor(true), offline: model.predictor(false), inSystem: jobs.length + 4 - idle, preemption: 'layer' };
  }
}

const line = (d: Decision) => `${d.assign.map((a) => `${a.job}>${a.lane}.${a.variant}`).join(',')}|${d.drop.join(',')}`;

describe('decision shortcuts decide as ranking every job does', () => {
  for (const name of Object.keys(refs)) {
    it(name, () => {
      for (const seed of [1, 2, 3]) {
        const policy = createPolicy(name);
        const ref = refs[name]();
        let oneIdle = 0;
        let n = 0;
        for (const s of snapshots(seed, 400)) {
          const want = line(ref(s));
          const got = line(policy.decide(s));
          expect(got, `${name}, seed ${seed}, decision ${n}`).toBe(want);
          if (s.lanes.filter((l) => l.idle).length === 1) oneIdle++;
          n++;
        }
        expect(oneIdle).toBeGreaterThan(50);
      }
    });
  }
});

describe('with the run\'s change list (the overload index), decisions are the same', () => {
  // The snapshots above carry no readyChanges; here each gets the change list a run's books would
  // give it (jobs that left or came since the previous decision), so the index paths run.
  for (const name of ['sdrm3']) {
    it(name, () => {
      for (const seed of [4, 5, 6]) {
        const policy = createPolicy(name);
        const ref = refs[name]();
        const source = {};
        let prev = new Map<number, JobState>();
        let n = 0;
        let indexed = 0;
        for (const s of snapshots(seed, 400)) {
          const now = new Map(s.ready.map((j) => [j.id, j]));
          const added = s.ready.filter((j) => !prev.has(j.id));
          const removed = [...[...prev.values()].filter((j) => !now.has(j.id)), ...added];
          s.readyChanges = { source, seq: n, removed, added };
          prev = now;
          const want = line(ref(s));
          const got = line(policy.decide(s));
          expect(got, `${name}, seed ${seed}, decision ${n}`).toBe(want);
          if (s.ready.length >= INDEX_MIN_READY && s.lanes.filter((l) => l.idle).length === 1) indexed++;
          n++;
        }
        expect(indexed).toBeGreaterThan(50);
      }
    });
  }
});
