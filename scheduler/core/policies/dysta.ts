import type { Policy, Predictor, Snapshot } from '../types';
import { LayerMemo, Scratch, fastestIdleLane, idleCount, placeByKey } from './common';

export type DystaForm = 'dysta' | 'dysta_naive' | 'dysta_oracle';

/**
 * Dysta (Fan et al., MICRO 2023), bi-level dynamic and static scheduling: score = g R +
 * beta (max(0, (D - t) - g R) + ((t - t_last) / T_iso) / n), beta = 0.01, the lowest score runs
 * first; R = the offline (static) estimate of the remaining latency, each layer on its fastest lane;
 * g = the job's own observed/expected ratio over its executed layers (the dynamic part; Dysta
 * measures it from sparsity, Tessera from layer times); T_iso = the isolated latency estimate; n =
 * jobs in the system.
 * - dysta_naive: g = 1 (static predictor only).
 * - dysta_oracle: R and T_iso are the real latencies (the simulator knows them; the live runtime
 *   does not, and there it falls back to the refined predictor).
 */
export function dysta(form: DystaForm = 'dysta', beta = 0.01): Policy {
  const sc = new Scratch();
  const memo = new LayerMemo();
  return {
    name: form,
    decide(s: Snapshot) {
      const n = s.ready.length;
      // The one-idle paths use no per-job `taken` flags (clearing them is a pass over every ready
      // job): the scratch is sized for n jobs here and cleared only before placeByKey.
      const d = sc.begin(sc.key.length < n ? n : 0, s.lanes.length);
      if (n === 0) return d;
      if (n === 1) {
        // One ready job (a balanced run's usual decision): the one-idle pick and placeByKey both put
        // it on its fastest idle lane, whatever its key, so the key (R, T_iso) is not computed.
        const lane = fastestIdleLane(s, s.ready[0], sc.laneTaken);
        if (lane >= 0) sc.assign(s.ready[0].id, lane, 0);
        return d;
      }
      const p: Predictor = form === 'dysta_oracle' ? (s.oracle ?? s.predict) : s.offline;
      const inSystem = Math.max(1, s.inSystem);
      const t = s.time;
      const ready = s.ready;
      const key = sc.key;
      const useG = form === 'dysta';
      // The table predictors' R and T_iso depend on (tenant, next layer) and the tenant's ratios
      // only: cached per pair. The oracle's are per job (its real latencies).
      if (p !== s.offline && p !== s.predict) {
        // The lowest key found in the same pass: with one idle lane it is the pick (NaN: the selection decides).
        let best = -1;
        let bestKey = Infinity;
        let sane = true;
        for (let i = 0; i < n; i++) {
          const j = ready[i];
          const gR = (useG ? j.g : 1) * p.remainingBest(j);
          const x = (key[i] = gR + beta * (Math.max(0, j.deadline - t - gR) + (t - j.lastRun) / p.isolated(j) / inSystem));
          if (x < bestKey) {
            bestKey = x;
            best = i;
          } else if (!(x >= bestKey)) sane = false;
        }
        if (sane && best >= 0 && idleCount(s) === 1) {
          const lane = fastestIdleLane(s, ready[best], sc.laneTaken);
          if (lane >= 0) {
            sc.assign(ready[best].id, lane, 0);
            return d;
          }
        }
        sc.begin(n, s.lanes.length); // (large enough: the keys stay)
        return placeByKey(s, sc, false);
      }
      memo.begin(s, p);
      const base = memo.base;
      const stamp = memo.stamp;
      const epoch = memo.epoch;
      const ma = memo.a;
      const mb = memo.b;
      if (beta > 0 && idleCount(s) === 1) {
        // One idle lane: only the lowest key is needed. The beta term is >= 0 (and not NaN) for a job
        // with a finite gR, t >= t_last, T_iso > 0 and a deadline, so a job whose gR alone is >= the
        // best key so far cannot come first (ties: the earlier job) and is not scored further.
        let best = -1;
        let bestKey = Infinity;
        let sane = true;
        for (let i = 0; i < n; i++) {
          const j = ready[i];
          const tn = j.tenant;
          const k = base[tn] + j.next;
          if (stamp[k] !== epoch[tn]) {
            stamp[k] = epoch[tn];
            ma[k] = p.remainingBest(j);
            mb[k] = p.isolated(j);
          }
          const gR = (useG ? j.g : 1) * ma[k];
          const dl = j.deadline;
          const lr = j.lastRun;
          const iso = mb[k];
          if (gR >= bestKey && gR < Infinity && t >= lr && iso > 0 && dl === dl) continue;
          const x = gR + beta * (Math.max(0, dl - t - gR) + (t - lr) / iso / inSystem);
          if (x < bestKey) {
            bestKey = x;
            best = i;
          } else if (!(x >= bestKey)) sane = false; // NaN: the selection below handles it as it always did
        }
        if (sane && best >= 0) {
          const lane = fastestIdleLane(s, ready[best], sc.laneTaken);
          if (lane >= 0) {
            sc.assign(ready[best].id, lane, 0);
            return d;
          }
        }
      }
      for (let i = 0; i < n; i++) {
        const j = ready[i];
        const tn = j.tenant;
        const k = base[tn] + j.next;
        if (stamp[k] !== epoch[tn]) {
          stamp[k] = epoch[tn];
          ma[k] = p.remainingBest(j);
          mb[k] = p.isolated(j);
        }
        const gR = (useG ? j.g : 1) * ma[k];
        key[i] = gR + beta * (Math.max(0, j.deadline - t - gR) + (t - j.lastRun) / mb[k] / inSystem);
      }
      sc.begin(n, s.lanes.length); // (as above)
      return placeByKey(s, sc, false);
    },
    state: () => ({ beta }),
  };
}
