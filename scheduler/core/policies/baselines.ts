// Classic single-queue baselines. Each ranks the ready jobs; placement on several lanes follows
// common.ts (each job, best first, on the idle lane where its next layer finishes first). Remaining
// times use the refined predictions (Snapshot.predict), each layer on its fastest lane.
import type { Decision, Policy, Snapshot } from '../types';
import { LayerMemo, Scratch, fastestIdleLane, idleCount, placeByKey } from './common';

function keyed(name: string, fill: (s: Snapshot, key: Float64Array, key2: Float64Array) => void, useKey2 = false): Policy {
  const sc = new Scratch();
  return {
    name,
    decide(s: Snapshot): Decision {
      const n = s.ready.length;
      const nL = s.lanes.length;
      // One ready job (most decisions of a run that keeps up): whatever its key, placeByKey and the
      // one-idle pick put it on its fastest idle lane; its key is not computed.
      if (n === 1) return placeOnly(s, sc);
      // The per-job `taken` flags are cleared only for placeByKey (the one-idle path needs none).
      const one = idleCount(s) === 1;
      sc.begin(one && sc.key.length >= n ? 0 : n, nL);
      if (n === 0) return sc.decision;
      fill(s, sc.key, sc.key2);
      if (one) {
        if (placeOne(s, sc, n, useKey2) >= 0) return sc.decision;
        sc.begin(n, nL); // (large enough: the keys stay)
      }
      return placeByKey(s, sc, useKey2);
    },
  };
}

/** The only ready job on its fastest idle lane (none: no assignment), as placeByKey would place it. */
function placeOnly(s: Snapshot, sc: Scratch): Decision {
  const d = sc.begin(0, s.lanes.length);
  const job = s.ready[0];
  const lane = fastestIdleLane(s, job, sc.laneTaken);
  if (lane >= 0) sc.assign(job.id, lane, 0);
  return d;
}

/**
 * With one idle lane (the caller checks), what placeByKey does, without its per-job `taken` flags:
 * its first pick (its comparison, NaN keys and all) on that job's fastest idle lane. Returns the
 * job's index, or -1 when the pick cannot run on the idle lane (then placeByKey decides, after
 * sc.begin(n) clears its flags).
 */
function placeOne(s: Snapshot, sc: Scratch, n: number, useKey2: boolean): number {
  const key = sc.key;
  const key2 = sc.key2;
  let best = -1;
  for (let i = 0; i < n; i++) {
    if (best < 0 || key[i] < key[best] || (key[i] === key[best] && useKey2 && key2[i] < key2[best])) best = i;
  }
  const job = s.ready[best];
  const lane = fastestIdleLane(s, job, sc.laneTaken);
  if (lane < 0) return -1;
  sc.assign(job.id, lane, 0);
  return best;
}

/**
 * FCFS, first come first served: the earliest-released job first. The reference point of every
 * comparison (Dysta's artifact, Band, DREAM).
 */
export function fcfs(): Policy {
  return keyed('fcfs', (s, key) => {
    for (let i = 0; i < s.ready.length; i++) key[i] = s.ready[i].release;
  });
}

/**
 * EDF, earliest deadline first (Liu & Layland, JACM 1973): the job with the earliest absolute
 * deadline first. Optimal on one preemptive processor when the load is feasible; collapses into a
 * domino of misses under overload because it keeps serving already-late frames.
 */
export function edf(): Policy {
  return keyed('edf', (s, key) => {
    for (let i = 0; i < s.ready.length; i++) key[i] = s.ready[i].deadline;
  });
}

/**
 * SJF, shortest (remaining estimated) job first: the job with the least predicted remaining latency
 * (each remaining layer on its fastest lane, refined online) first. As the `sjf` baseline of Dysta's
 * artifact, extended to several lanes.
 */
export function sjf(): Policy {
  const memo = new LayerMemo();
  return keyed('sjf', (s, key) => {
    memo.begin(s, s.predict);
    fillRemaining(s, memo);
    const ready = s.ready;
    const a = memo.a;
    const base = memo.base;
    for (let i = 0; i < ready.length; i++) {
      const j = ready[i];
      key[i] = a[base[j.tenant] + j.next];
    }
  });
}

/**
 * Makes memo.a hold s.predict.remainingBest(job) for every ready job's (tenant, next layer) slot,
 * recomputing only slots whose tenant's ratios moved (the memo's arrays in locals: the loop loads
 * no memo field per job).
 */
function fillRemaining(s: Snapshot, memo: LayerMemo): void {
  const ready = s.ready;
  const p = s.predict;
  const base = memo.base;
  const stamp = memo.stamp;
  const epoch = memo.epoch;
  const a = memo.a;
  for (let i = 0; i < ready.length; i++) {
    const j = ready[i];
    const tn = j.tenant;
    const k = base[tn] + j.next;
    if (stamp[k] !== epoch[tn]) {
      stamp[k] = epoch[tn];
      a[k] = p.remainingBest(j);
    }
  }
}

/**
 * Least slack first (least laxity; a baseline in Band, Jeong et al., MobiSys 2022): slack =
 * deadline - now - predicted remaining latency; the smallest slack first.
 */
export function leastSlack(): Policy {
  const memo = new LayerMemo();
  return keyed('lsf', (s, key) => {
    memo.begin(s, s.predict);
    fillRemaining(s, memo);
    const ready = s.ready;
    const t = s.time;
    const a = memo.a;
    const base = memo.base;
    for (let i = 0; i < ready.length; i++) {
      const j = ready[i];
      key[i] = j.deadline - t - a[base[j.tenant] + j.next];
    }
  });
}

/**
 * Round robin over tenants: the tenant after the one served last goes first (its oldest job), then
 * the next tenant, and so on. Ignores deadlines and sizes: a fairness baseline.
 */
export function roundRobin(): Policy {
  let last = -1;
  const sc = new Scratch();
  return {
    name: 'rr',
    decide(s) {
      const ready = s.ready;
      const nR = ready.length;
      if (nR === 1) {
        // (As keyed's.) The tenant served last is the job's when it took a lane.
        const d = placeOnly(s, sc);
        if (d.assign.length) last = ready[0].tenant;
        return d;
      }
      const oneIdle = idleCount(s) === 1;
      const d = sc.begin(oneIdle && sc.key.length >= nR ? 0 : nR, s.lanes.length); // (as keyed's)
      if (nR === 0) return d;
      const n = s.workload.tenants.length;
      const key = sc.key;
      const key2 = sc.key2;
      // (tenant - last - 1 + 2n) mod n, without a division per job: tenant - last - 1 is in
      // [-n, n - 1] for a last tenant in [-1, n) (else the modulo, as written).
      const plain = last >= -1 && last < n;
      for (let i = 0; i < ready.length; i++) {
        const j = ready[i];
        let x = j.tenant - last - 1;
        if (!plain) x = (x + 2 * n) % n;
        else if (x < 0) x += n;
        key[i] = x;
        key2[i] = j.release;
      }
      if (oneIdle) {
        const one = placeOne(s, sc, nR, true);
        if (one >= 0) {
          last = ready[one].tenant;
          return d;
        }
        sc.begin(nR, s.lanes.length); // (large enough: the keys stay)
      }
      placeByKey(s, sc, true);
      if (d.assign.length) {
        // Ids are unique among the ready jobs: the first match is the one.
        const id = d.assign[d.assign.length - 1].job;
        for (let i = 0; i < ready.length; i++) {
          if (ready[i].id === id) {
            last = ready[i].tenant;
            break;
          }
        }
      }
      return d;
    },
    state: () => ({ lastTenant: last }),
  };
}
