import type { JobState, Policy, Predictor, Snapshot } from '../types';
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
 * bound holds in floating point too) and its urgency is not computed; a job whose wait is short even
 * against a lower bound of its L_next (profiled latency x the tenant's lowest ratio) is skipped
 * before its L_next is refreshed (under overload most are: ~190 ready jobs over ~116 slots). If the best job cannot run on
 * the idle lane, or more lanes are idle, every job is scored and placed by key (common.ts). The
 * decisions are the same either way.
 */
export function sdrm3(alpha = 1): Policy {
  const sc = new Scratch();
  const memo = new LayerMemo();
  // Per memo slot: the epoch its R (memo.b) was computed in (L_next, memo.a, follows memo.stamp).
  let stampR = new Uint32Array(0);
  /** L_next of the job's slot k, after its tenant's ratios moved: the fastest lane's refined latency. */
  const refreshNext = (p: Predictor, j: JobState, k: number, nL: number): void => {
    memo.stamp[k] = memo.epoch[j.tenant];
    let m = Infinity;
    for (let l = 0; l < nL; l++) {
      const x = p.next(j, l);
      if (x < m) m = x;
    }
    memo.a[k] = m;
  };
  // Per memo slot: the fastest lane's profiled (offline) latency of the next layer, NaN until needed;
  // per tenant: its lowest ratio this decision. Their product is a lower bound of L_next (refined =
  // profiled x ratio, Snapshot.predict), which lets the cut skip a job before L_next is refreshed.
  let minOff = new Float64Array(0);
  let minRatio = new Float64Array(0);
  const offlineNext = (s: Snapshot, j: JobState, k: number, nL: number): number => {
    let m = Infinity;
    for (let l = 0; l < nL; l++) {
      const x = s.offline.next(j, l);
      if (x < m) m = x;
    }
    return (minOff[k] = m);
  };
  const refreshRest = (p: Predictor, j: JobState, k: number): void => {
    stampR[k] = memo.epoch[j.tenant];
    memo.b[k] = p.remainingBest(j);
  };
  return {
    name: 'sdrm3',
    decide(s: Snapshot) {
      const n = s.ready.length;
      const nL = s.lanes.length;
      const d = sc.begin(n, nL);
      if (n === 0) return d;
      const p = s.predict;
      const t = s.time;
      const ready = s.ready;
      const oldStamp = memo.stamp;
      memo.begin(s, p);
      const base = memo.base;
      const stamp = memo.stamp;
      const epoch = memo.epoch;
      const mNext = memo.a;
      const mRest = memo.b;
      // A new memo (workload, predictor or lanes changed): every R is stale.
      if (stamp !== oldStamp || stampR.length !== stamp.length) {
        stampR = new Uint32Array(stamp.length);
        minOff = new Float64Array(stamp.length).fill(NaN);
      }
      const sR = stampR;
      if (idleCount(s) === 1) {
        // The highest positive score, the earliest on ties (bestScore 0: none positive yet).
        let best = -1;
        let bestScore = 0;
        // Once the best score exceeds 1: a job whose wait t - t_last is below cut x L_next has
        // 1 + alpha x fairness < the best score, with a margin far above rounding (2^-40 relative),
        // so it is skipped without dividing.
        let cut = -Infinity;
        const nT = s.workload.tenants.length;
        if (minRatio.length < nT) minRatio = new Float64Array(nT);
        for (let tn = 0; tn < nT; tn++) {
          let m = Infinity;
          for (let l = 0; l < nL; l++) {
            const r = p.ratio(tn, l);
            if (r < m) m = r;
          }
          minRatio[tn] = m;
        }
        const mo = minOff;
        for (let i = 0; i < n; i++) {
          const j = ready[i];
          const tn = j.tenant;
          const k = base[tn] + j.next;
          const wait = t - j.lastRun;
          if (cut > 0) {
            let lo = mo[k];
            if (lo !== lo) lo = offlineNext(s, j, k, nL);
            if (wait < cut * (lo * minRatio[tn])) continue;
          }
          if (stamp[k] !== epoch[tn]) refreshNext(p, j, k, nL);
          const l = mNext[k];
          if (wait < cut * l) continue;
          const af = alpha * (wait / l);
          if (!(1 + af > bestScore)) continue;
          if (sR[k] !== epoch[tn]) refreshRest(p, j, k);
          const score = Math.min(1, mRest[k] / (j.deadline - t)) + af;
          if (score > bestScore) {
            bestScore = score;
            best = i;
            if (score > 1 && alpha > 0) cut = ((score - 1) / alpha) * (1 - 2 ** -40);
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
        const tn = j.tenant;
        const k = base[tn] + j.next;
        const e = epoch[tn];
        if (stamp[k] !== e) refreshNext(p, j, k, nL);
        if (sR[k] !== e) refreshRest(p, j, k);
        const score = Math.min(1, mRest[k] / (j.deadline - t)) + alpha * ((t - j.lastRun) / mNext[k]);
        key[i] = score > 0 ? -score : 1e12 + (n - i); // scoreToKey
      }
      return placeByKey(s, sc, false);
    },
    state: () => ({ alpha }),
  };
}
