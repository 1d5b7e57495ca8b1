// HEFT per layer, as Band (Jeong et al., MobiSys 2022) uses it among its baselines.
import type { Policy, Snapshot } from '../types';
import { LayerMemo, Scratch } from './common';

/**
 * HEFT, heterogeneous earliest finish time (Topcuoglu, Hariri & Wu, IEEE TPDS 2002), applied per
 * layer as in Band (Jeong et al., MobiSys 2022): ready jobs in order of upward rank (the mean over
 * lanes of the predicted remaining latency, highest first); each job's next layer goes to the lane
 * where it would finish earliest, counting the time a busy lane still needs (its predicted
 * busyUntil) and the activation transfer. If that lane is busy the job waits for it (the lane is
 * reserved until the layer's predicted finish, so later jobs see it as taken): HEFT never puts a
 * layer on a slower lane just because it is idle.
 */
export function heft(): Policy {
  const sc = new Scratch();
  const memo = new LayerMemo();
  let order = new Int32Array(64);
  let available = new Float64Array(8);
  return {
    name: 'heft',
    decide(s: Snapshot) {
      const d = sc.begin(s.ready.length, s.lanes.length);
      const ready = s.ready;
      const n = ready.length;
      if (n === 0) return d;
      const nL = s.lanes.length;
      if (available.length < nL) available = new Float64Array(nL);
      let freeLanes = 0;
      for (let l = 0; l < nL; l++) {
        const ls = s.lanes[l];
        available[l] = ls.idle ? s.time : Math.max(s.time, ls.busyUntil);
        if (ls.idle) freeLanes++;
      }
      // The rank depends on (tenant, next layer) only: once per pair and decision.
      memo.begin(s, s.predict);
      for (let i = 0; i < n; i++) {
        const j = ready[i];
        const k = memo.slot(j.tenant, j.next);
        if (!memo.has(j.tenant, k)) {
          let sum = 0;
          let count = 0;
          for (let l = 0; l < nL; l++) {
            const r = s.predict.remainingOn(j, l);
            if (r < Infinity) {
              sum += r;
              count++;
            }
          }
          memo.a[k] = count ? -sum / count : Infinity; // highest rank first
        }
        sc.key[i] = memo.a[k];
      }
      // Jobs in order of (key, position): selection for the first few (the usual case), then one
      // sort of the rest when many jobs wait for busy lanes before one takes an idle lane.
      let left = n;
      let sorted = -1;
      let sortedEnd = 0;
      let rounds = 0;
      while (freeLanes > 0 && left > 0) {
        let bi = -1;
        if (sorted >= 0) {
          if (sorted < sortedEnd) bi = order[sorted++];
        } else if (++rounds > 8) {
          if (order.length < n) order = new Int32Array(Math.max(n, order.length * 2));
          let m = 0;
          for (let i = 0; i < n; i++) if (!sc.taken[i]) order[m++] = i;
          const key = sc.key;
          order.subarray(0, m).sort((a, b) => key[a] - key[b] || a - b);
          sortedEnd = m;
          sorted = 0;
          if (m > 0) bi = order[sorted++];
        } else {
          for (let i = 0; i < n; i++) if (!sc.taken[i] && (bi < 0 || sc.key[i] < sc.key[bi])) bi = i;
        }
        if (bi < 0) break;
        sc.taken[bi] = 1;
        left--;
        const job = ready[bi];
        let best = -1;
        let bestFinish = Infinity;
        for (let l = 0; l < nL; l++) {
          const lat = s.predict.next(job, l);
          if (lat === Infinity) continue;
          const f = available[l] + s.predict.transfer(job, l) + lat;
          if (f < bestFinish) {
            bestFinish = f;
            best = l;
          }
        }
        if (best < 0) continue;
        if (s.lanes[best].idle && !sc.laneTaken[best]) {
          sc.assign(job.id, best, 0);
          freeLanes--;
        }
        available[best] = bestFinish;
      }
      return d;
    },
  };
}
