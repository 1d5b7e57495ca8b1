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
  const tokens = new Map<number, { tokens: number; at: number }>();
  return {
    name: 'prema',
    observe(f) {
      if (f.kind === 'job') tokens.delete(f.job);
    },
    decide(s: Snapshot) {
      const d = sc.begin(s.ready.length, s.lanes.length);
      const ready = s.ready;
      const n = ready.length;
      if (n === 0) return d;
      let max = 0;
      memo.begin(s.workload);
      for (let i = 0; i < n; i++) {
        const j = ready[i];
        let t = tokens.get(j.id);
        if (!t) tokens.set(j.id, (t = { tokens: j.priority, at: Math.max(j.lastRun, j.release) }));
        const since = Math.max(t.at, j.lastRun);
        const k = memo.slot(j.tenant, j.next);
        if (!memo.has(k)) {
          memo.a[k] = s.predict.remainingBest(j);
          memo.b[k] = s.predict.isolated(j);
        }
        if (s.time > since) t.tokens += (j.priority * (s.time - since)) / memo.b[k];
        t.at = s.time;
        sc.key2[i] = t.tokens;
        if (t.tokens > max) max = t.tokens;
      }
      const threshold = max >= 9 ? 9 : max >= 3 ? 3 : 1;
      for (let i = 0; i < n; i++) sc.key[i] = (sc.key2[i] >= threshold ? 0 : 1e12) + memo.a[memo.slot(ready[i].tenant, ready[i].next)];
      if (tokens.size > 4 * n + 256) {
        // Jobs that ended without a 'job' feedback (a host that does not send them): forget them.
        const live = new Set(ready.map((j) => j.id));
        for (const id of tokens.keys()) if (!live.has(id) && tokens.get(id)!.at < s.time) tokens.delete(id);
      }
      return placeByKey(s, sc, false);
    },
    state: () => ({ trackedJobs: tokens.size }),
  };
}
