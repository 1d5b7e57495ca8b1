// The ready list the job books keep incrementally, its change list (Snapshot.readyChanges), and the
// policies that index the ready jobs from it (policies/ready-index.ts: heft, planaria): the change
// list must reproduce Snapshot.ready at every decision, and an indexed policy must decide exactly as
// its scan of Snapshot.ready does (the scan runs when a snapshot has no change list).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decisionWorkload } from '../bench/scheduler';
import { createPolicy } from '../scheduler/core/policies';
import { ReadyIndex } from '../scheduler/core/policies/ready-index';
import { simulate, type SimOptions } from '../scheduler/core/simulator';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { JobState, Policy, SimWorkload, Snapshot } from '../scheduler/core/types';

const overload = () => syntheticWorkload({ scenario: 'vr_gaming', skew: 'gpu', load: 1.2, variants: true });
const cases: { name: string; w: () => SimWorkload; o: SimOptions }[] = [
  { name: 'vr_gaming gpu-skewed 1.2 (overload: hundreds ready)', w: overload, o: { duration: 3, seed: 11, latencyNoise: 0.1, jobNoise: 0.1 } },
  { name: '8 tenants x 4 lanes, priorities 1/3/9', w: decisionWorkload, o: { duration: 1, seed: 5, latencyNoise: 0.1, jobNoise: 0.2, latencyBias: [1.3, 0.8, 1, 1.1] } },
  { name: 'ar_assistant 1.3, model preemption, drop late', w: () => syntheticWorkload({ scenario: 'ar_assistant', load: 1.3, variants: true }), o: { duration: 1.5, seed: 6, latencyNoise: 0.05, preemption: 'model', dropLate: true, maxQueuePerTenant: 4 } },
];

/** Hash of every decision (time, ready ids, assignments, drops); `strip` hides the change list from the policy. */
function digest(name: string, w: SimWorkload, o: SimOptions, strip: boolean): { digest: string; decisions: number; maxReady: number } {
  const p = createPolicy(name);
  const h = createHash('sha256');
  let decisions = 0;
  let maxReady = 0;
  const wrapped: Policy = {
    name: p.name,
    observe: p.observe?.bind(p),
    decide(s: Snapshot) {
      const d = p.decide(strip ? { ...s, readyChanges: undefined } : s);
      decisions++;
      maxReady = Math.max(maxReady, s.ready.length);
      let line = `${s.time}|${s.ready.map((j) => j.id).join(',')}|`;
      for (const a of d.assign) line += `${a.job}>${a.lane}.${a.variant},`;
      line += `|${d.drop.join(',')}\n`;
      h.update(line);
      return d;
    },
  };
  simulate(w, wrapped, o);
  return { digest: h.digest('hex'), decisions, maxReady };
}

describe('the books keep the ready list and its changes', () => {
  for (const c of cases) {
    it(`readyChanges applied to the previous ready set give Snapshot.ready (${c.name})`, () => {
      let set = new Set<JobState>();
      let seq = -1;
      let source: object | undefined;
      let checked = 0;
      const edf = createPolicy('edf');
      simulate(c.w(), {
        name: 'check',
        decide(s) {
          const ch = s.readyChanges!;
          expect(ch).toBeDefined();
          if (source === ch.source) expect(ch.seq).toBe(seq + 1);
          source = ch.source;
          seq = ch.seq;
          const next = new Set(set);
          for (const j of ch.removed) next.delete(j);
          for (const j of ch.added) next.add(j);
          // Ids in order, each ready job once, and exactly the set the changes give.
          for (let i = 1; i < s.ready.length; i++) expect(s.ready[i].id).toBeGreaterThan(s.ready[i - 1].id);
          expect([...next].map((j) => j.id).sort((a, b) => a - b)).toEqual(s.ready.map((j) => j.id));
          expect(new Set(ch.removed).size).toBe(ch.removed.length);
          set = next;
          checked++;
          return edf.decide(s);
        },
      }, { ...c.o, duration: Math.min(c.o.duration, 1.5) });
      expect(checked).toBeGreaterThan(30);
    }, 60_000);
  }
});

describe('indexed policies decide as their scans do', () => {
  for (const name of ['heft', 'planaria']) {
    for (const c of cases) {
      it(`${name}: ${c.name}`, () => {
        const w = c.w();
        const indexed = digest(name, w, c.o, false);
        const scanned = digest(name, w, c.o, true);
        expect(indexed.decisions).toBeGreaterThan(30);
        expect(indexed.digest).toBe(scanned.digest);
        if (c.w === overload) expect(indexed.maxReady).toBeGreaterThan(50);
      }, 60_000);
    }
  }
});

describe('ReadyIndex', () => {
  it('keeps each group in (key, id) order and its first key in head, through random changes, and rebuilds on a gap', () => {
    let seed = 3;
    const r = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const jobs: JobState[] = Array.from({ length: 60 }, (_, id) => ({ id, tenant: id % 3, frame: id, release: 0, deadline: Math.floor(r() * 5), priority: 1, next: 0, layerCount: 1, lastRun: 0, lastLane: -1, accuracyUsed: 0, upstream: -1, g: 1 }));
    const index = new ReadyIndex((j) => j.tenant, (j) => j.deadline);
    const w = { tenants: [] } as unknown as SimWorkload;
    const source = {};
    const ready = new Set<JobState>();
    for (let seq = 1; seq < 400; seq++) {
      const removed: JobState[] = [];
      for (const j of jobs) {
        if (r() < 0.1) {
          removed.push(j);
          if (ready.has(j)) {
            ready.delete(j);
            // A key may move once the job left, before the sync that removes it (SDRM3's t_last).
            if (r() < 0.5) (j as { deadline: number }).deadline = Math.floor(r() * 5);
          } else {
            ready.add(j);
            (j as { deadline: number }).deadline = Math.floor(r() * 5); // may change while not ready
          }
        }
      }
      const list = [...ready].sort((a, b) => a.id - b.id);
      // Every 50th decision skips one seq: the index must rebuild from Snapshot.ready.
      const s = { workload: w, ready: list, readyChanges: { source, seq: seq % 50 === 0 ? seq + 1000 : seq, removed, added: removed.filter((j) => ready.has(j)) } } as unknown as Snapshot;
      expect(index.sync(s, 3)).toBe(true);
      for (let g = 0; g < 3; g++) {
        const want = list.filter((j) => j.tenant === g).sort((a, b) => a.deadline - b.deadline || a.id - b.id);
        expect(index.jobs[g].map((j) => j.id)).toEqual(want.map((j) => j.id));
        expect([...index.keys[g].subarray(0, want.length)]).toEqual(want.map((j) => j.deadline));
        expect(index.live.includes(g)).toBe(want.length > 0);
        expect(index.head[g]).toBe(want.length > 0 ? want[0].deadline : NaN);
      }
    }
    expect(index.sync({ ready: [] } as unknown as Snapshot, 3)).toBe(false); // no change list: the policy scans
  });
});
