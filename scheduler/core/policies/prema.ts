import type { Policy, Snapshot } from '../types';
import { LayerMemo, Scratch, fastestIdleLane, idleCount, placeByKey } from './common';

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
  const forgetEnded = (s: Snapshot) => {
    if (tracked > 4 * s.ready.length + 256) {
      // Jobs that ended without a 'job' feedback (a host that does not send them): forget them.
      const live = new Set(s.ready.map((j) => j.id));
      for (let id = 0; id < tok.length; id++) if (tok[id] === tok[id] && !live.has(id) && at[id] < s.time) forget(id);
    }
  };
  return {
    name: 'prema',
    observe(f) {
      if (f.kind === 'job') forget(f.job);
    },
    decide(s: Snapshot) {
      const ready = s.ready;
      const n = ready.length;
      // The one-idle path uses no per-job `taken` flags (clearing them is a pass over every ready
      // job): the scratch is sized for n jobs here and cleared only before placeByKey.
      const d = sc.begin(sc.key.length < n ? n : 0, s.lanes.length);
      if (n === 0) return d;
      let max = 0;
      const p = s.predict;
      const t = s.time;
      if (n === 1) {
        // One ready job (a balanced run's usual decision): the one-idle pick and placeByKey both put
        // it on its fastest idle lane, whatever the threshold; only its tokens move, as in the pass
        // below (T_iso read directly: the memo holds p.isolated(), and R is not needed).
        const j = ready[0];
        const id = j.id;
        if (id >= tok.length) grow(id);
        let tokens = tok[id];
        const lastRun = j.lastRun;
        let since: number;
        if (tokens !== tokens) {
          tokens = j.priority;
          since = at[id] = Math.max(lastRun, j.release);
          tracked++;
        } else since = at[id];
        since = Math.max(since, lastRun);
        if (t > since) tokens += (j.priority * (t - since)) / p.isolated(j);
        tok[id] = tokens;
        at[id] = t;
        const lane = fastestIdleLane(s, j, sc.laneTaken);
        if (lane >= 0) sc.assign(id, lane, 0);
        forgetEnded(s);
        return d;
      }
      memo.begin(s, p);
      const base = memo.base;
      const stamp = memo.stamp;
      const epoch = memo.epoch;
      const ma = memo.a;
      const mb = memo.b;
      let tk = tok;
      let ta = at;
      // The shortest remaining estimate among jobs with tokens >= 9, >= 3, >= 1 (the earliest on
      // ties): the first pick for whichever threshold this decision's tokens set.
      let b9 = -1;
      let b3 = -1;
      let b1 = -1;
      let v9 = Infinity;
      let v3 = Infinity;
      let v1 = Infinity;
      for (let i = 0; i < n; i++) {
        const j = ready[i];
        const id = j.id;
        if (id >= tk.length) {
          grow(id);
          tk = tok;
          ta = at;
        }
        // tokens in a local: one load and one store of tk[id] a job.
        let tokens = tk[id];
        const lastRun = j.lastRun;
        let since: number;
        if (tokens !== tokens) {
          tokens = j.priority;
          since = ta[id] = Math.max(lastRun, j.release);
          tracked++;
        } else since = ta[id];
        since = Math.max(since, lastRun);
        const tn = j.tenant;
        const k = base[tn] + j.next;
        if (stamp[k] !== epoch[tn]) {
          stamp[k] = epoch[tn];
          ma[k] = p.remainingBest(j);
          mb[k] = p.isolated(j);
        }
        if (t > since) tokens += (j.priority * (t - since)) / mb[k];
        tk[id] = tokens;
        ta[id] = t;
        // The remaining estimate now (the keys, with the threshold's offset, are written only when
        // placeByKey needs them: from tk and the memo, which hold this pass's values).
        const v = ma[k];
        if (tokens > max) max = tokens;
        if (tokens >= 1 && v < v1) {
          v1 = v;
          b1 = i;
        }
        if (tokens >= 3 && v < v3) {
          v3 = v;
          b3 = i;
        }
        if (tokens >= 9 && v < v9) {
          v9 = v;
          b9 = i;
        }
      }
      const threshold = max >= 9 ? 9 : max >= 3 ? 3 : 1;
      // One idle lane: the first job in key order is that best one, when some job reached the
      // threshold with a finite estimate (else the keys below decide, 1e12 offsets and all).
      const first = threshold === 9 ? b9 : threshold === 3 ? b3 : b1;
      const firstV = threshold === 9 ? v9 : threshold === 3 ? v3 : v1;
      if (first >= 0 && firstV < Infinity && idleCount(s) === 1) {
        const lane = fastestIdleLane(s, ready[first], sc.laneTaken);
        if (lane >= 0) {
          sc.assign(ready[first].id, lane, 0);
          forgetEnded(s);
          return d;
        }
      }
      const key = sc.key;
      for (let i = 0; i < n; i++) {
        const j = ready[i];
        key[i] = (tk[j.id] >= threshold ? 0 : 1e12) + ma[base[j.tenant] + j.next];
      }
      forgetEnded(s);
      sc.begin(n, s.lanes.length); // (large enough: the keys stay)
      return placeByKey(s, sc, false);
    },
    state: () => ({ trackedJobs: tracked }),
  };
}
