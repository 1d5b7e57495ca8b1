import type { JobState, Policy, Predictor, Snapshot } from '../types';
import { LayerMemo, Scratch, fastestIdleLane, idleCount, placeByKey } from './common';
import { INDEX_MIN_READY, ReadyIndex } from './ready-index';

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
 *
 * Under overload (from INDEX_MIN_READY ready jobs, one idle lane, the run's change list) the ready
 * jobs are kept grouped by (tenant, quarter-octave band of the next layer's profiled latency), each
 * group in t_last order (ReadyIndex; one group per (tenant, layer) saved little: ~116 groups for ~200
 * jobs). Along a group the wait falls, and the band's lower edge x the tenant's lowest ratio bounds
 * every member's L_next from below, so once a job's wait is under cut x that bound the rest of the
 * group is out; the other jobs get the checks above. Groups are visited in no fixed order, so ties
 * go to the lower id explicitly (Snapshot.ready is in id order).
 */
// Bands of the overload index: quarter octaves of latency, BAND[BAND_ZERO] = 1 s; BAND[0] = 0.
const BAND_BITS = 8;
const BANDS = 1 << BAND_BITS;
const BAND_MASK = BANDS - 1;
const BAND_ZERO = 160;
const BAND = Float64Array.from({ length: BANDS }, (_, b) => (b === 0 ? 0 : 2 ** ((b - BAND_ZERO) / 4)));

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
  // Per tenant: the memo epoch its minRatio was read in (ratios move only with the epoch; 0: never).
  let minRatioAt = new Uint32Array(0);
  /** Per tenant: its lowest ratio over the lanes, this decision (a lower bound factor of L_next). */
  const fillMinRatio = (s: Snapshot, p: Predictor, nL: number): void => {
    const nT = s.workload.tenants.length;
    if (minRatio.length < nT) minRatio = new Float64Array(nT);
    if (minRatioAt.length < nT) minRatioAt = new Uint32Array(nT);
    const epoch = memo.epoch;
    for (let tn = 0; tn < nT; tn++) {
      if (minRatioAt[tn] === epoch[tn]) continue;
      minRatioAt[tn] = epoch[tn];
      let m = Infinity;
      for (let l = 0; l < nL; l++) {
        const r = p.ratio(tn, l);
        if (r < m) m = r;
      }
      minRatio[tn] = m;
    }
  };
  // The overload index: groups = (tenant, band of the next layer's profiled latency lo), each in
  // t_last order. Band b > 0 holds lo in [BAND[b], BAND[b + 1]) (quarter octaves), band 0 what fits
  // none (lo 0, tiny, not finite: no bound). Per memo slot its band, -1 until known (lo is offline:
  // fixed per slot for the run).
  let slotBand = new Int16Array(0);
  let snap: Snapshot | undefined;
  const bandOf = (j: JobState): number => {
    const k = memo.base[j.tenant] + j.next;
    let b = slotBand[k];
    if (b < 0) {
      let lo = minOff[k];
      if (lo !== lo) lo = offlineNext(snap!, j, k, snap!.lanes.length);
      b = 0;
      if (lo >= BAND[1] && lo < Infinity) {
        b = Math.min(BANDS - 1, Math.max(1, Math.floor(Math.log2(lo) * 4) + BAND_ZERO));
        // log2 may round: settle on the last band whose lower edge is <= lo.
        while (b > 1 && BAND[b] > lo) b--;
        while (b < BANDS - 1 && BAND[b + 1] <= lo) b++;
      }
      slotBand[k] = b;
    }
    return j.tenant * BANDS + b;
  };
  const index = new ReadyIndex(bandOf, (j) => j.lastRun);
  return {
    name: 'sdrm3',
    decide(s: Snapshot) {
      const n = s.ready.length;
      const nL = s.lanes.length;
      // The one-idle-lane paths use no per-job scratch (clearing it is a pass over every ready job):
      // sized for the ready jobs only before scoring them all.
      const d = sc.begin(0, nL);
      if (n === 0) return d;
      if (n === 1) {
        // One ready job (a balanced run's usual decision): it is the pick whatever its score (the
        // best, or the last released when none is positive), on its fastest idle lane; so is
        // placeByKey's. Its score is not computed.
        const lane = fastestIdleLane(s, s.ready[0], sc.laneTaken);
        if (lane >= 0) sc.assign(s.ready[0].id, lane, 0);
        return d;
      }
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
        slotBand = new Int16Array(stamp.length).fill(-1);
        minRatioAt = new Uint32Array(s.workload.tenants.length); // the new memo's epochs start over
      }
      const sR = stampR;
      const oneIdle = idleCount(s) === 1;
      snap = s;
      if (oneIdle && n >= INDEX_MIN_READY && alpha > 0 && alpha < Infinity && index.sync(s, s.workload.tenants.length * BANDS)) {
        // The highest positive score, the lowest id on ties (bestScore 0: none positive yet). The
        // checks per job are the scan's below; a band's jobs come in falling wait, and once one's
        // wait is below cut x (band's lower edge x the tenant's lowest ratio), a lower bound of
        // cut x L_next for every job of the band, the rest of the band cannot win.
        fillMinRatio(s, p, nL);
        let best: JobState | null = null;
        let bestScore = 0;
        let cut = -Infinity;
        const mo = minOff;
        const live = index.live;
        const gJobs = index.jobs;
        const gKeys = index.keys;
        const head = index.head;
        for (let gi = 0; gi < live.length; gi++) {
          const g = live[gi];
          const tn = g >> BAND_BITS;
          const bound = BAND[g & BAND_MASK] * minRatio[tn];
          // The group's first job (its longest wait) already out: so is the group, whose arrays are not read.
          if (cut > 0 && t - head[g] < cut * bound) continue;
          const keys = gKeys[g];
          const jobs = gJobs[g];
          for (let q = 0; q < jobs.length; q++) {
            const wait = t - keys[q];
            if (cut > 0 && wait < cut * bound) break;
            const j = jobs[q];
            const k = base[tn] + j.next;
            if (cut > 0) {
              // Not `lo = offlineNext(...)`: a phi of a typed-array load and a call's result boxed every
              // job's lo (a heap number per job per decision).
              if (mo[k] !== mo[k]) offlineNext(s, j, k, nL);
              if (wait < cut * (mo[k] * minRatio[tn])) continue;
            }
            if (stamp[k] !== epoch[tn]) refreshNext(p, j, k, nL);
            const l = mNext[k];
            if (wait < cut * l) continue;
            const af = alpha * (wait / l);
            if (!(1 + af >= bestScore)) continue;
            if (sR[k] !== epoch[tn]) refreshRest(p, j, k);
            const score = Math.min(1, mRest[k] / (j.deadline - t)) + af;
            if (score > bestScore || (score === bestScore && best !== null && j.id < best.id)) {
              bestScore = score;
              best = j;
              if (score > 1) cut = ((score - 1) / alpha) * (1 - 2 ** -40);
            }
          }
        }
        // None positive: the last-released job.
        if (best === null) best = ready[n - 1];
        const lane = fastestIdleLane(s, best, sc.laneTaken);
        if (lane >= 0) {
          sc.assign(best.id, lane, 0);
          return d;
        }
      } else if (oneIdle) {
        // The highest positive score, the earliest on ties (bestScore 0: none positive yet).
        let best = -1;
        let bestScore = 0;
        // Once the best score exceeds 1: a job whose wait t - t_last is below cut x L_next has
        // 1 + alpha x fairness < the best score, with a margin far above rounding (2^-40 relative),
        // so it is skipped without dividing.
        let cut = -Infinity;
        // Lowest ratios only once the cut needs them (with one ready job, never).
        let haveMin = false;
        const mo = minOff;
        for (let i = 0; i < n; i++) {
          const j = ready[i];
          const tn = j.tenant;
          const k = base[tn] + j.next;
          const wait = t - j.lastRun;
          if (cut > 0) {
            if (!haveMin) {
              fillMinRatio(s, p, nL);
              haveMin = true;
            }
            if (mo[k] !== mo[k]) offlineNext(s, j, k, nL); // (as above)
            if (wait < cut * (mo[k] * minRatio[tn])) continue;
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
      sc.begin(n, nL);
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
