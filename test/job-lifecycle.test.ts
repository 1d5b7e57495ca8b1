// The one job lifecycle (scheduler/core/jobs.ts) that the simulator and the live runtime both drive:
// its rules by hand, every drop attributed to a cause in both, and an invalid decision an error in both.
// The live part needs the built lane worker: run `node scripts/build.mjs` first.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { countDrops, DROP_REASONS, InvalidDecisionError, Job, JobBook, type DropReason } from '../scheduler/core/jobs';
import { createPolicy, fcfs, policyNames } from '../scheduler/core/policies';
import { PredictionModel } from '../scheduler/core/predict';
import { simulate } from '../scheduler/core/simulator';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { Decision, Feedback, LaneState, Policy, Snapshot, SimWorkload } from '../scheduler/core/types';
import { LiveRun, parseLanes, type LiveScenario } from '../scheduler/live';
import { tiny } from './scheduler-fixtures';

process.env.TESSERA_HOME = mkdtempSync(join(tmpdir(), 'tessera-jobs-'));

/** A book over a workload with hand-driven lanes, recording what it reports. */
/** tiny() without cascade firings (b's frames come only when released by hand). */
function noCascade(): SimWorkload {
  const w = tiny();
  w.tenants[1].cascade = { upstream: 'a', probability: 0 };
  return w;
}

function handBook(w: SimWorkload, policy: Policy, opts: { maxQueuePerTenant?: number; maxInSystem?: number; seed?: number } = {}) {
  const lanes: LaneState[] = w.lanes.map((def, index) => ({ index, def, idle: true, busyUntil: 0, job: -1, power: def.idleWatts }));
  const ended: Job[] = [];
  const created: Job[] = [];
  const book = new JobBook<Job>(w, lanes, policy, new PredictionModel(w), { maxQueuePerTenant: opts.maxQueuePerTenant ?? 2, maxInSystem: opts.maxInSystem, window: 0.1, preemption: 'layer', seed: opts.seed ?? 1 }, {
    make: (id, t, frame, release, deadline, upstream) => new Job(id, t, frame, release, deadline, w.tenants[t].priority, w.tenants[t].layers.length, upstream, 0),
    created: (j) => created.push(j),
    ended: (j) => ended.push(j),
    windowEnergy: () => 1,
  });
  return { book, lanes, ended, created };
}

/** A policy that returns a fixed decision (then nothing). */
function once(decision: (s: Snapshot) => Decision): Policy {
  let done = false;
  return {
    name: 'scripted',
    decide(s) {
      if (done) return { assign: [], drop: [] };
      done = true;
      return decision(s);
    },
  };
}

describe('job books (scheduler/core/jobs.ts)', () => {
  it('bounds each tenant\'s queue (the oldest waiting frame gives way) and caps the frames in the system', () => {
    const { book, ended } = handBook(noCascade(), fcfs(), { maxQueuePerTenant: 2, maxInSystem: 3 });
    book.release(0, 0, 0, -1, 0);
    book.release(0, 1, 0.02, -1, 0.02);
    book.release(0, 2, 0.04, -1, 0.04); // tenant a has 2 waiting: frame 0 gives way
    expect(ended.map((j) => [j.frame, j.dropReason])).toEqual([[0, 'queue']]);
    expect(Array.from(book.waiting)).toEqual([2, 0]);
    expect(book.maxQueued[0]).toBe(2);
    // Frame 1 starts; two frames of b (released by hand) go over the cap.
    book.clock.now = 0.05;
    book.start(book.find(1)!, 0);
    book.release(1, 7, 0.05, -1, 0.05); // 3 in the system now
    book.release(1, 8, 0.06, -1, 0.06); // over the cap of 3: the oldest one not running (frame 2 of a) gives way
    expect(ended.map((j) => [j.tenant, j.frame, j.dropReason])).toEqual([[0, 0, 'queue'], [0, 2, 'system-cap']]);
    expect(book.inSystem).toBe(3);
    expect(book.readyCount).toBe(2);
    expect(Array.from(book.released)).toEqual([3, 2]);
    expect(Array.from(book.dropped)).toEqual([2, 0]);
  });

  it('a dropped frame drops the cascade dependents it would have released; a finished one releases them', () => {
    const w = tiny();
    w.tenants[1].cascade = { upstream: 'a', probability: 1 };
    const { book, ended, created } = handBook(w, fcfs());
    const a0 = book.release(0, 0, 0, -1, 0);
    book.drop(a0, 'policy', 0.01);
    expect(ended.map((j) => [j.tenant, j.dropReason, j.upstream])).toEqual([[0, 'policy', -1], [1, 'cascade', a0.id]]);
    const a1 = book.release(0, 1, 0.02, -1, 0.02);
    book.clock.now = 0.02;
    book.start(a1, 0);
    book.clock.now = 0.021;
    expect(book.layerDone(a1, 1, 0, 0.001, 0.002)).toBe(false);
    expect(a1.g).toBe(2);
    book.start(a1, 0);
    book.clock.now = 0.022;
    expect(book.layerDone(a1, 1, 0, 0.001, 0.001)).toBe(true);
    book.finish(a1, 0.022, 0.022);
    expect(a1.finish).toBe(0.022);
    const dep = created.at(-1)!;
    expect([dep.tenant, dep.upstream, dep.release, dep.ended]).toEqual([1, a1.id, 0.022, false]);
    expect(book.find(dep.id)).toBe(dep);
    expect(Array.from(book.finished)).toEqual([1, 0]);
  });

  it('sends job and window feedback to the policy, with the window\'s ended, missed and dropped counts', () => {
    const seen: Feedback[] = [];
    const p: Policy = { name: 'obs', decide: () => ({ assign: [], drop: [] }), observe: (f) => seen.push(f.kind === 'window' ? { ...f } : { ...f }) };
    const { book } = handBook(noCascade(), p);
    const j = book.release(0, 0, 0, -1, 0);
    book.drop(j, 'late', 0.05);
    book.clock.now = 0.25;
    book.closeWindows(); // two windows of 0.1 s
    const windows = seen.filter((f) => f.kind === 'window');
    expect(windows.map((f) => f.kind === 'window' && [f.start, f.ended, f.dropped, f.missRate, f.energyJ])).toEqual([[0, 1, 1, 1, 1], [0.1, 0, 0, 0, 1]]);
    expect(seen.find((f) => f.kind === 'job')).toMatchObject({ job: j.id, dropped: true, time: 0.05 });
  });

  it('rejects invalid decisions, naming the policy and what is wrong', () => {
    const cases: [string, (s: Snapshot) => Decision, RegExp][] = [
      ['unknown job', () => ({ assign: [{ job: 999, lane: 0, variant: 0 }], drop: [] }), /policy "scripted" assigned job 999, which is not a ready job/],
      ['unknown lane', (s) => ({ assign: [{ job: s.ready[0].id, lane: 5, variant: 0 }], drop: [] }), /to lane 5, which is not an idle lane/],
      ['one lane twice', (s) => ({ assign: [{ job: s.ready[0].id, lane: 0, variant: 0 }, { job: s.ready[1].id, lane: 0, variant: 0 }], drop: [] }), /to lane 0, which is not an idle lane/],
      ['one job twice', (s) => ({ assign: [{ job: s.ready[0].id, lane: 0, variant: 0 }, { job: s.ready[0].id, lane: 1, variant: 0 }], drop: [] }), /which is not a ready job/],
      ['missing variant', (s) => ({ assign: [{ job: s.ready[0].id, lane: 0, variant: 3 }], drop: [] }), /with variant 3 on lane "cpu", which cannot run it/],
      ['drop a running job', (s) => ({ assign: [{ job: s.ready[0].id, lane: 0, variant: 0 }], drop: [s.ready[0].id, s.ready[0].id] }), /dropped job \d+, which is not a ready job/],
      ['not a decision', () => undefined as unknown as Decision, /returned undefined, not a decision/],
    ];
    for (const [what, decide, message] of cases) {
      const { book, lanes } = handBook(tiny(), once(decide));
      book.release(0, 0, 0, -1, 0);
      book.release(0, 1, 0.02, -1, 0.02);
      const snap: Snapshot = { time: 0, ready: [], lanes, workload: tiny(), predict: undefined!, offline: undefined!, inSystem: 0, preemption: 'layer' };
      const err = (() => {
        try {
          // As the simulator and the live runtime do: drops applied by decide(), each assignment checked, then started.
          book.clock.now = 0.02;
          for (const a of book.decide(snap)!.assign) {
            book.start(book.assignee(a), a.variant);
            lanes[a.lane].idle = false;
          }
        } catch (e) {
          return e as Error;
        }
      })();
      expect(err, what).toBeInstanceOf(InvalidDecisionError);
      expect(err!.message, what).toMatch(message);
    }
  });
});

describe('drop causes in the simulator', () => {
  it('attributes every drop to one cause, for every policy, under overload with cascades, late dropping and a system cap', () => {
    const w = syntheticWorkload({ scenario: 'ar_assistant', skew: 'gpu', load: 2.5 });
    const seen = new Set<DropReason>();
    for (const name of policyNames()) {
      const r = simulate(w, createPolicy(name), { duration: 1, seed: 2, maxQueuePerTenant: 3, maxInSystem: 12, dropLate: name === 'edf', latencyNoise: 0.1 });
      const m = r.metrics!.overall;
      expect(m.dropped, name).toBeGreaterThan(0);
      expect(r.drops.total, name).toBe(m.dropped);
      expect(DROP_REASONS.reduce((a, c) => a + r.drops.byCause[c], 0), name).toBe(m.dropped);
      expect(countDrops(r.jobs)).toEqual(r.drops);
      for (const c of DROP_REASONS) if (r.drops.byCause[c] > 0) seen.add(c);
    }
    // The simulator's own causes all occur in this mix (drain and no-lane are the live runtime's).
    expect([...seen].sort()).toEqual(expect.arrayContaining(['cascade', 'late', 'policy', 'queue', 'system-cap']));
  });
});

describe('an invalid decision is an error in the simulator and in the live runtime', () => {
  beforeAll(() => {
    if (!existsSync(join(__dirname, '..', 'dist', 'workers', 'live-lane.worker.cjs'))) throw new Error('run `node scripts/build.mjs` first (the live lane worker is a built bundle)');
  });
  const scenario: LiveScenario = { name: 'bad-policy', tenants: [{ id: 'm', model: 'demo:mlp:4:64:2', arrival: { type: 'periodic', fps: 50 } }] };
  // Well-formed until the third decision, then names a job that does not exist / a variant the layer lacks.
  const bad = (kind: 'job' | 'variant'): Policy => {
    const base = fcfs();
    let calls = 0;
    return {
      name: `bad-${kind}`,
      decide(s) {
        const d = base.decide(s);
        if (++calls < 3 || d.assign.length === 0) return d;
        return kind === 'job' ? { assign: [{ ...d.assign[0], job: 123456 }], drop: [] } : { assign: [{ ...d.assign[0], variant: 2 }], drop: [] };
      },
    };
  };
  const expected = { job: /policy "bad-job" assigned job 123456, which is not a ready job/, variant: /with variant 2 on lane "cpu:1", which cannot run it/ };

  for (const kind of ['job', 'variant'] as const) {
    it(`${kind}: the live run fails with the simulator's message`, async () => {
      const run = new LiveRun(scenario, { policy: `bad-${kind}`, duration: 1, lanes: parseLanes('cpu:1'), meters: false }, { createPolicy: () => bad(kind) });
      const r = await run.run();
      expect(r.report.status).toBe('failed');
      expect(r.report.error).toMatch(expected[kind]);
      expect(r.report.error).toMatch(/^policy "bad-\w+" failed at [\d.]+ s: /);
      // The simulator, on the run's own table, rejects the same decision (so there is no prediction).
      expect(r.report.predicted).toBeUndefined();
      expect(r.report.warnings.join('\n')).toMatch(expected[kind]);
      expect(() => simulate(r.workload, bad(kind), { duration: 1 })).toThrow(InvalidDecisionError);
      expect(() => simulate(r.workload, bad(kind), { duration: 1 })).toThrow(expected[kind]);
    }, 30_000);
  }
});
