// Classic single-queue baselines. Each ranks the ready jobs; placement on several lanes follows
// common.ts (each job, best first, on the idle lane where its next layer finishes first). Remaining
// times use the refined predictions (Snapshot.predict), each layer on its fastest lane.
import type { Decision, Policy, Snapshot } from '../types';
import { LayerMemo, Scratch, placeByKey } from './common';

function keyed(name: string, fill: (s: Snapshot, key: Float64Array, key2: Float64Array) => void, useKey2 = false): Policy {
  const sc = new Scratch();
  return {
    name,
    decide(s: Snapshot): Decision {
      sc.begin(s.ready.length, s.lanes.length);
      if (s.ready.length === 0) return sc.decision;
      fill(s, sc.key, sc.key2);
      return placeByKey(s, sc, useKey2);
    },
  };
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
    for (let i = 0; i < s.ready.length; i++) key[i] = remainingBest(s, memo, s.ready[i]);
  });
}

/** s.predict.remainingBest(job), cached per (tenant, next layer) until the tenant's ratios move. */
function remainingBest(s: Snapshot, memo: LayerMemo, j: Snapshot['ready'][number]): number {
  const k = memo.slot(j.tenant, j.next);
  if (!memo.has(j.tenant, k)) memo.a[k] = s.predict.remainingBest(j);
  return memo.a[k];
}

/**
 * Least slack first (least laxity; a baseline in Band, Jeong et al., MobiSys 2022): slack =
 * deadline - now - predicted remaining latency; the smallest slack first.
 */
export function leastSlack(): Policy {
  const memo = new LayerMemo();
  return keyed('lsf', (s, key) => {
    memo.begin(s, s.predict);
    for (let i = 0; i < s.ready.length; i++) {
      const j = s.ready[i];
      key[i] = j.deadline - s.time - remainingBest(s, memo, j);
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
      const d = sc.begin(s.ready.length, s.lanes.length);
      if (s.ready.length === 0) return d;
      const n = s.workload.tenants.length;
      for (let i = 0; i < s.ready.length; i++) {
        const j = s.ready[i];
        sc.key[i] = (j.tenant - last - 1 + 2 * n) % n;
        sc.key2[i] = j.release;
      }
      placeByKey(s, sc, true);
      if (d.assign.length) {
        const id = d.assign[d.assign.length - 1].job;
        for (const j of s.ready) if (j.id === id) last = j.tenant;
      }
      return d;
    },
    state: () => ({ lastTenant: last }),
  };
}
