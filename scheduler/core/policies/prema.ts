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
  // By job id, side by side: its tokens (NaN: not tracked) at [2 id], the time they were last
  // accrued at [2 id + 1] (one array: one bounds check, one cache line a job). Both hosts number
  // jobs 0, 1, 2, ... so an array indexed by id is a lookup, not a hash (a Map cost ~1 us a decision).
  let tok = new Float64Array(512).fill(NaN);
  let tracked = 0;
  /** The previous decision's token threshold (9, 3 or 1). */
  let lastThreshold = 1;
  const forget = (id: number) => {
    if (2 * id < tok.length && tok[2 * id] === tok[2 * id]) {
      tok[2 * id] = NaN;
      tracked--;
    }
  };
  const grow = (id: number) => {
    const t = new Float64Array(Math.max(2 * id + 2, tok.length * 2)).fill(NaN);
    t.set(tok);
    tok = t;
  };
  const forgetEnded = (s: Snapshot) => {
    if (tracked > 4 * s.ready.length + 256) {
      // Jobs that ended without a 'job' feedback (a host that does not send them): forget them.
      const live = new Set(s.ready.map((j) => j.id));
      for (let id = 0; 2 * id < tok.length; id++) if (tok[2 * id] === tok[2 * id] && !live.has(id) && tok[2 * id + 1] < s.time) forget(id);
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
        if (2 * id >= tok.length) grow(id);
        let tokens = tok[2 * id];
        const lastRun = j.lastRun;
        let since: number;
        if (tokens !== tokens) {
          tokens = j.priority;
          since = Math.max(lastRun, j.release);
          tracked++;
        } else since = tok[2 * id + 1];
        since = Math.max(since, lastRun);
        if (t > since) tokens += (j.priority * (t - since)) / p.isolated(j);
        tok[2 * id] = tokens;
        tok[2 * id + 1] = t;
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
      // Snapshot.ready is in id order in both hosts: growing for the last id first keeps the arrays
      // fixed through the pass (the check stays in it for hand-made snapshots in any order).
      if (2 * ready[n - 1].id >= tok.length) grow(ready[n - 1].id);
      let tk = tok;
      let added = 0;
      // The shortest remaining estimate among jobs with tokens >= the previous decision's threshold
      // (the earliest on ties): the first pick when this decision's tokens set the same threshold
      // (they usually do; else a second pass below finds it for the new one).
      const guess = lastThreshold;
      let first = -1;
      let firstV = Infinity;
      for (let i = 0; i < n; i++) {
        const j = ready[i];
        const id = j.id;
        const x = 2 * id;
        if (x >= tk.length) {
          grow(id);
          tk = tok;
        }
        // tokens in a local: one load and one store of tk[x] a job.
        let tokens = tk[x];
        const lastRun = j.lastRun;
        let since: number;
        if (tokens !== tokens) {
          tokens = j.priority;
          since = Math.max(lastRun, j.release);
          added++;
        } else since = tk[x + 1];
        since = Math.max(since, lastRun);
        const tn = j.tenant;
        const k = base[tn] + j.next;
        if (stamp[k] !== epoch[tn]) {
          stamp[k] = epoch[tn];
          ma[k] = p.remainingBest(j);
          mb[k] = p.isolated(j);
        }
        if (t > since) tokens += (j.priority * (t - since)) / mb[k];
        tk[x] = tokens;
        tk[x + 1] = t;
        // The remaining estimate now (the keys, with the threshold's offset, are written only when
        // placeByKey needs them: from tk and the memo, which hold this pass's values).
        const v = ma[k];
        if (tokens > max) max = tokens;
        if (tokens >= guess && v < firstV) {
          firstV = v;
          first = i;
        }
      }
      tracked += added;
      const threshold = max >= 9 ? 9 : max >= 3 ? 3 : 1;
      if (threshold !== guess) {
        lastThreshold = threshold;
        first = -1;
        firstV = Infinity;
        for (let i = 0; i < n; i++) {
          const j = ready[i];
          const v = ma[base[j.tenant] + j.next];
          if (tk[2 * j.id] >= threshold && v < firstV) {
            firstV = v;
            first = i;
          }
        }
      }
      // One idle lane: the first job in key order is that best one, when some job reached the
      // threshold with a finite estimate (else the keys below decide, 1e12 offsets and all).
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
        key[i] = (tk[2 * j.id] >= threshold ? 0 : 1e12) + ma[base[j.tenant] + j.next];
      }
      forgetEnded(s);
      sc.begin(n, s.lanes.length); // (large enough: the keys stay)
      return placeByKey(s, sc, false);
    },
    state: () => ({ trackedJobs: tracked }),
  };
}
