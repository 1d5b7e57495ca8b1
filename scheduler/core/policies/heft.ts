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
      // The rank depends on (tenant, next layer) and the tenant's ratios only: cached per pair.
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
      // Jobs in order of (key, position). Jobs of one tenant at one layer share a key, so after
      // taking the earliest job with the smallest key K, the next in order is the first later job
      // with key K if there is one (earlier ones were taken already); only then a full scan.
      let left = n;
      let prev = -1;
      while (freeLanes > 0 && left > 0) {
        let bi = -1;
        if (prev >= 0) {
          const k = sc.key[prev];
          for (let i = prev + 1; i < n; i++) {
            if (!sc.taken[i] && sc.key[i] === k) {
              bi = i;
              break;
            }
          }
        }
        if (bi < 0) for (let i = 0; i < n; i++) if (!sc.taken[i] && (bi < 0 || sc.key[i] < sc.key[bi])) bi = i;
        if (bi < 0) break;
        sc.taken[bi] = 1;
        left--;
        prev = bi;
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
