import type { Policy, Snapshot } from '../types';
import { LayerMemo, Scratch, placeByKey } from './common';

/**
 * PREMA (Choi & Rhu, HPCA 2020), token-based preemptive scheduling of several DNNs, as in Dysta's
 * artifact: a job's tokens start at its priority (classes 1, 3, 9) and grow while it waits by
 * priority x waited time / its isolated latency estimate. The threshold is the highest class (9, 3,
 * then 1) some waiting job has reached; among jobs at or above it, the shortest predicted remaining
 * latency runs first; the others follow, also shortest first. Tessera accrues tokens for the time
 * waited since the previous decision (Dysta's reference adds the whole idle time at every decision;
 * the Dysta parity mode keeps that).
 */
export function prema(): Policy {
  const sc = new Scratch();
  const memo = new LayerMemo();
  // Tokens and the time they were last accrued, by job id (NaN: not tracked). Both hosts number
  // jobs 0, 1, 2, ... so an array indexed by id is a lookup, not a hash (a Map cost ~1 us a decision).
  let tok = new Float64Array(256).fill(NaN);
  let at = new Float64Array(256);
  let tracked = 0;
  const forget = (id: number) => {
    if (id < tok.length && tok[id] === tok[id]) {
      tok[id] = NaN;
      tracked--;
    }
  };
  const grow = (id: number) => {
    const size = Math.max(id + 1, tok.length * 2);
    const t = new Float64Array(size).fill(NaN);
    t.set(tok);
    const a = new Float64Array(size);
    a.set(at);
    tok = t;
    at = a;
  };
  return {
    name: 'prema',
    observe(f) {
      if (f.kind === 'job') forget(f.job);
    },
    decide(s: Snapshot) {
      const d = sc.begin(s.ready.length, s.lanes.length);
      const ready = s.ready;
      const n = ready.length;
      if (n === 0) return d;
      let max = 0;
      const p = s.predict;
      const t = s.time;
      memo.begin(s, p);
      const base = memo.base;
      const stamp = memo.stamp;
      const epoch = memo.epoch;
      const ma = memo.a;
      const mb = memo.b;
      const key = sc.key;
      const key2 = sc.key2;
      let tk = tok;
      let ta = at;
      for (let i = 0; i < n; i++) {
        const j = ready[i];
        const id = j.id;
        if (id >= tk.length) {
          grow(id);
          tk = tok;
          ta = at;
        }
        if (tk[id] !== tk[id]) {
          tk[id] = j.priority;
          ta[id] = Math.max(j.lastRun, j.release);
          tracked++;
        }
        const since = Math.max(ta[id], j.lastRun);
        const tn = j.tenant;
        const k = base[tn] + j.next;
        if (stamp[k] !== epoch[tn]) {
          stamp[k] = epoch[tn];
          ma[k] = p.remainingBest(j);
          mb[k] = p.isolated(j);
        }
        if (t > since) tk[id] += (j.priority * (t - since)) / mb[k];
        ta[id] = t;
        const tokens = tk[id];
        key2[i] = tokens;
        // The remaining estimate now; the threshold's offset is added once every job's tokens are known.
        key[i] = ma[k];
        if (tokens > max) max = tokens;
      }
      const threshold = max >= 9 ? 9 : max >= 3 ? 3 : 1;
      for (let i = 0; i < n; i++) key[i] = (key2[i] >= threshold ? 0 : 1e12) + key[i];
      if (tracked > 4 * n + 256) {
        // Jobs that ended without a 'job' feedback (a host that does not send them): forget them.
        const live = new Set(ready.map((j) => j.id));
        for (let id = 0; id < tok.length; id++) if (tok[id] === tok[id] && !live.has(id) && at[id] < s.time) forget(id);
      }
      return placeByKey(s, sc, false);
    },
    state: () => ({ trackedJobs: tracked }),
  };
}
