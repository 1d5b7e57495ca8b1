// HEFT per layer, as Band (Jeong et al., MobiSys 2022) uses it among its baselines.
import type { JobState, Policy, Snapshot, SimWorkload } from '../types';
import { LayerMemo, Scratch } from './common';
import { INDEX_MIN_READY, ReadyIndex, layerSlots } from './ready-index';

/**
 * HEFT, heterogeneous earliest finish time (Topcuoglu, Hariri & Wu, IEEE TPDS 2002), applied per
 * layer as in Band (Jeong et al., MobiSys 2022): ready jobs in order of upward rank (the mean over
 * lanes of the predicted remaining latency, highest first); each job's next layer goes to the lane
 * where it would finish earliest, counting the time a busy lane still needs (its predicted
 * busyUntil) and the activation transfer. If that lane is busy the job waits for it (the lane is
 * reserved until the layer's predicted finish, so later jobs see it as taken): HEFT never puts a
 * layer on a slower lane just because it is idle.
 *
 * The rank depends on (tenant, next layer) only: with the run's change list (Snapshot.readyChanges)
 * the ready jobs are kept grouped by (tenant, next layer) in id order (ReadyIndex), and jobs are taken
 * in (rank, id) order by merging the groups, one rank per group, instead of ranking every ready job.
 */
export function heft(): Policy {
  const sc = new Scratch();
  const memo = new LayerMemo();
  let available = new Float64Array(8);
  let slots: ReturnType<typeof layerSlots> = { base: new Int32Array(0), count: 0 };
  let slotsOf: SimWorkload | undefined;
  const index = new ReadyIndex((j) => slots.base[j.tenant] + j.next, (j) => j.id);
  let groupRank = new Float64Array(0);
  let groupPos = new Int32Array(0);
  /** The upward rank of the job's (tenant, next layer), cached (highest rank first: the key is minus the rank). */
  const rankKey = (s: Snapshot, j: JobState, nL: number): number => {
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
      memo.a[k] = count ? -sum / count : Infinity;
    }
    return memo.a[k];
  };
  /** Places the job's next layer by earliest finish (waiting for a busy lane); true when it took an idle lane. */
  const place = (s: Snapshot, job: JobState, nL: number): boolean => {
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
    if (best < 0) return false;
    available[best] = bestFinish;
    if (s.lanes[best].idle && !sc.laneTaken[best]) {
      sc.assign(job.id, best, 0);
      return true;
    }
    return false;
  };
  return {
    name: 'heft',
    decide(s: Snapshot) {
      // The index path and the one-idle scan use no per-job scratch (clearing it is a pass over every
      // ready job): it is sized for the ready jobs only when the scan needs it.
      const ready = s.ready;
      const n = ready.length;
      const d = sc.begin(0, s.lanes.length);
      if (n === 0) return d;
      const nL = s.lanes.length;
      if (available.length < nL) available = new Float64Array(nL);
      let freeLanes = 0;
      for (let l = 0; l < nL; l++) {
        const ls = s.lanes[l];
        available[l] = ls.idle ? s.time : Math.max(s.time, ls.busyUntil);
        if (ls.idle) freeLanes++;
      }
      // One ready job (a balanced run's usual decision): its rank orders nothing. (The memo's next
      // begin compares each tenant's ratios with what it read last, so skipping it here changes no
      // later rank.)
      if (n === 1) {
        place(s, ready[0], nL);
        return d;
      }
      // The rank depends on (tenant, next layer) and the tenant's ratios only: cached per pair.
      memo.begin(s, s.predict);
      if (s.workload !== slotsOf) {
        slots = layerSlots(s.workload);
        slotsOf = s.workload;
        groupRank = new Float64Array(slots.count);
        groupPos = new Int32Array(slots.count);
      }
      if (n >= INDEX_MIN_READY && index.sync(s, slots.count)) {
        const live = index.live;
        const groups = index.jobs;
        let nan = false;
        for (let gi = 0; gi < live.length; gi++) {
          const g = live[gi];
          groupRank[g] = rankKey(s, groups[g][0], nL);
          groupPos[g] = 0;
          if (groupRank[g] !== groupRank[g]) nan = true;
        }
        // (A NaN rank has no order: the scan below selects as it always did.)
        if (!nan) {
          let left = n;
          while (freeLanes > 0 && left > 0) {
            let bg = -1;
            let bk = 0;
            let bid = 0;
            for (let gi = 0; gi < live.length; gi++) {
              const g = live[gi];
              const p = groupPos[g];
              if (p >= groups[g].length) continue;
              const k = groupRank[g];
              if (bg < 0 || k < bk || (k === bk && groups[g][p].id < bid)) {
                bg = g;
                bk = k;
                bid = groups[g][p].id;
              }
            }
            if (bg < 0) break;
            const job = groups[bg][groupPos[bg]++];
            left--;
            if (place(s, job, nL)) freeLanes--;
          }
          return d;
        }
      }
      // With one idle lane the first job in order usually takes it (else it waits for a busy lane
      // and the next one is needed): the pass stores no keys, and the keys and per-job flags are
      // written only when the next job is needed.
      const oneFree = freeLanes === 1;
      if (!oneFree) sc.begin(n, nL);
      // The first job in (key, position) order, found in the ranking pass (NaN: the scans below).
      let first = -1;
      let firstKey = Infinity;
      let sane = true;
      const mBase = memo.base;
      const mStamp = memo.stamp;
      const mEpoch = memo.epoch;
      const mRank = memo.a;
      const key = sc.key;
      for (let i = 0; i < n; i++) {
        const j = ready[i];
        const k = mBase[j.tenant] + j.next;
        // rankKey's cache check inline: the call only to compute a stale rank.
        const x = mStamp[k] === mEpoch[j.tenant] ? mRank[k] : rankKey(s, j, nL);
        if (!oneFree) key[i] = x;
        if (x < firstKey || first < 0) {
          if (!(x === x)) sane = false;
          firstKey = x;
          first = i;
        } else if (!(x >= firstKey)) sane = false;
      }
      // Jobs in order of (key, position). Jobs of one tenant at one layer share a key, so after
      // taking the earliest job with the smallest key K, the next in order is the first later job
      // with key K if there is one (earlier ones were taken already); only then a full scan.
      let left = n;
      let prev = -1;
      if (sane) {
        left--;
        prev = first;
        if (place(s, ready[first], nL)) freeLanes--;
        if (freeLanes === 0) return d;
      }
      if (oneFree) {
        // (Every rank is cached now: the pass computed the stale ones.)
        sc.begin(n, nL);
        const keys = sc.key;
        for (let i = 0; i < n; i++) {
          const j = ready[i];
          keys[i] = mRank[mBase[j.tenant] + j.next];
        }
      }
      if (sane) sc.taken[first] = 1;
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
        if (place(s, ready[bi], nL)) freeLanes--;
      }
      return d;
    },
  };
}
