// JobBook's ready list (scheduler/core/jobs.ts), kept as jobs move (and, in commit 79c8f79, settled
// lazily from 64 jobs on: see the overload report; now with one hole, the job that left last, which
// the next job to come fills): whatever order jobs are released, started,
// brought back, finished, dropped or taken off their lanes in, and whenever it is read, it must be
// exactly the jobs in the system that are ready, in id order, and a decision's change list must
// name every job that came or left.
import { describe, expect, it } from 'vitest';
import { Job, JobBook } from '../scheduler/core/jobs';
import { PredictionModel } from '../scheduler/core/predict';
import { rng } from '../scheduler/core/rng';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { LaneState, Policy, Snapshot } from '../scheduler/core/types';

describe('JobBook ready list', () => {
  it('is the ready jobs in id order after any sequence of moves, read at any time', () => {
    const w = syntheticWorkload({ scenario: 'ar_assistant', load: 1 });
    // Short and long lists (seeds 3, 4 and 6 release more and grow lists past 150 jobs).
    let longest = 0;
    let short = 0;
    // Seeds 5 and 6 read the list between moves rarely, so that jobs come in while a hole is open.
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const r = rng(seed);
      const releases = seed <= 2 || seed === 5 ? 0.2 : 0.32;
      const reads = seed > 4 ? 0.02 : 0.3;
      const lanes: LaneState[] = w.lanes.map((def, index) => ({ index, def, idle: true, busyUntil: 0, job: -1, power: def.idleWatts }));
      let seen: { ready: number[]; removed: number[]; added: number[] } | undefined;
      const policy: Policy = {
        name: 'probe',
        decide: (s: Snapshot) => {
          seen = { ready: s.ready.map((j) => j.id), removed: s.readyChanges!.removed.map((j) => j.id), added: s.readyChanges!.added.map((j) => j.id) };
          return { assign: [], drop: [] };
        },
      };
      const book = new JobBook<Job>(w, lanes, policy, new PredictionModel(w), { maxQueuePerTenant: 1000, window: 1, preemption: 'layer', seed }, {
        make: (id, t, frame, release, deadline, upstream) => new Job(id, t, frame, release, deadline, 1, w.tenants[t].layers.length, upstream, 0),
        windowEnergy: () => 0,
      });
      const snapshot = { time: 0, ready: [], lanes, workload: w, predict: undefined!, offline: undefined!, inSystem: 0, preemption: 'layer' } as unknown as Snapshot;
      const running: Job[] = [];
      const frames = new Int32Array(w.tenants.length);
      let before = new Set<number>();
      const want = () => book.active.filter((j) => book.isReady(j)).map((j) => j.id);
      for (let step = 0; step < 4000; step++) {
        book.clock.now = step * 1e-3;
        const now = book.clock.now;
        const x = r();
        const ready = want();
        longest = Math.max(longest, ready.length);
        if (ready.length < 64) short++;
        if (x < releases || book.active.length < 5) {
          const t = Math.floor(r() * w.tenants.length);
          book.release(t, frames[t]++, now, -1, now);
        } else if (x < releases + 0.25 && ready.length) {
          const job = book.find(ready[Math.floor(r() * ready.length)])!;
          book.start(job, 0);
          running.push(job);
        } else if (x < releases + 0.5 && running.length) {
          const job = running.splice(Math.floor(r() * running.length), 1)[0];
          if (book.layerDone(job, 0, 0, 1, 1)) book.finish(job, now, now, false);
        } else if (x < releases + 0.58 && running.length) {
          book.unrun(running.splice(Math.floor(r() * running.length), 1)[0]);
        } else if (x < releases + 0.64 && ready.length) {
          book.drop(book.find(ready[Math.floor(r() * ready.length)])!, 'policy', now);
        } else if (x < releases + 0.72) {
          // A decision: the policy sees the ready list and the changes since the last decision.
          const after = want();
          seen = undefined;
          book.decide(snapshot);
          if (after.length) {
            expect(seen!.ready).toEqual(after);
            const now = new Set(after);
            const changed = [...before].filter((id) => !now.has(id)).concat(after.filter((id) => !before.has(id)));
            for (const id of changed) expect(seen!.removed, `job ${id} came or left`).toContain(id);
            expect([...seen!.added].sort((a, b) => a - b)).toEqual(seen!.removed.filter((id) => now.has(id)).sort((a, b) => a - b));
            before = now;
          }
        }
        // Read at random moments too (the list settles when read).
        if (r() < reads) expect(book.ready.map((j) => j.id)).toEqual(want());
      }
    }
    expect(longest).toBeGreaterThan(150);
    expect(short).toBeGreaterThan(1000);
  });
});
