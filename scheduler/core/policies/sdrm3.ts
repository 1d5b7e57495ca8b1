import type { Policy, Snapshot } from '../types';
import { LayerMemo, Scratch, fastestIdleLane, idleCount, placeByKey } from './common';

/**
 * SDRM3, the first version of DREAM (Kim et al., arXiv 2212.03414 v1), as re-implemented in Dysta's
 * artifact: urgency = min(1, R / (D - t)) (not clamped below: negative once late), fairness =
 * (t - t_last) / L_next, score = urgency + alpha x fairness, alpha = 1; the highest positive score
 * runs (ties: earlier release), if none is positive the last-released job. R is the predicted
 * remaining latency and L_next the next layer's, each layer on its fastest lane (refined online).
 * Both depend only on (tenant, next layer) and the tenant's ratios: cached per pair (LayerMemo; R
 * only when a job needs it).
 *
 * With one idle lane (the usual case) only the best job is needed: since urgency <= 1, a job whose
 * 1 + alpha x fairness does not beat the best score so far cannot win (rounding is monotone, so the
 * bound holds in floating point too) and its urgency is not computed. If the best job cannot run on
 * the idle lane, or more lanes are idle, every job is scored and placed by key (common.ts). The
 * decisions are the same either way.
 */
export function sdrm3(alpha = 1): Policy {
  const sc = new Scratch();
  const memo = new LayerMemo();
  let lat = new Float64Array(8);
  // Per memo slot: the epoch its R (memo.b) was computed in (L_next, memo.a, follows memo.stamp).
  let stampR = new Uint32Array(0);
  let stampOf: Uint32Array | undefined;
  return {
    name: 'sdrm3',
    decide(s: Snapshot) {
      const n = s.ready.length;
      const nL = s.lanes.length;
      const d = sc.begin(n, nL);
      if (n === 0) return d;
      if (lat.length < nL) lat = new Float64Array(nL);
      const p = s.predict;
      const t = s.time;
      const ready = s.ready;
      memo.begin(s, p);
      const base = memo.base;
      const stamp = memo.stamp;
      const epoch = memo.epoch;
      const mNext = memo.a;
      const mRest = memo.b;
      if (stampOf !== stamp) {
        // A new memo (workload, predictor or lanes changed): every R is stale.
        stampOf = stamp;
        stampR = new Uint32Array(stamp.length);
      }
      const sR = stampR;
      /** L_next of the job's slot k, computed when its tenant's ratios moved. */
      const next = (j: Snapshot['ready'][number], k: number): number => {
        if (stamp[k] !== epoch[j.tenant]) {
          stamp[k] = epoch[j.tenant];
          // The next layer's latency on each lane (as next(j, l) gives it), the fastest of them.
          p.nextAll(j, 0, lat);
          let m = Infinity;
          for (let l = 0; l < nL; l++) if (lat[l] < m) m = lat[l];
          mNext[k] = m;
        }
        return mNext[k];
      };
      const rest = (j: Snapshot['ready'][number], k: number): number => {
        if (sR[k] !== epoch[j.tenant]) {
          sR[k] = epoch[j.tenant];
          mRest[k] = p.remainingBest(j);
        }
        return mRest[k];
      };
      if (idleCount(s) === 1) {
        // The highest positive score, the earliest on ties (bestScore 0: none positive yet).
        let best = -1;
        let bestScore = 0;
        for (let i = 0; i < n; i++) {
          const j = ready[i];
          const k = base[j.tenant] + j.next;
          const af = alpha * ((t - j.lastRun) / next(j, k));
          if (!(1 + af > bestScore)) continue;
          const score = Math.min(1, rest(j, k) / (j.deadline - t)) + af;
          if (score > bestScore) {
            bestScore = score;
            best = i;
          }
        }
        // None positive: the last-released job.
        if (best < 0) best = n - 1;
        const lane = fastestIdleLane(s, ready[best], sc.laneTaken);
        if (lane >= 0) {
          sc.assign(ready[best].id, lane, 0);
          return d;
        }
      }
      const key = sc.key;
      for (let i = 0; i < n; i++) {
        const j = ready[i];
        const k = base[j.tenant] + j.next;
        const score = Math.min(1, rest(j, k) / (j.deadline - t)) + alpha * ((t - j.lastRun) / next(j, k));
        key[i] = score > 0 ? -score : 1e12 + (n - i); // scoreToKey
      }
      return placeByKey(s, sc, false);
    },
    state: () => ({ alpha }),
  };
}
