// Classic single-queue baselines. Each ranks the ready jobs; placement on several lanes follows
// common.ts (each job, best first, on the idle lane where its next layer finishes first). Remaining
// times use the refined predictions (Snapshot.predict), each layer on its fastest lane.
import type { Decision, JobState, Policy, SimWorkload, Snapshot } from '../types';
import { LayerMemo, Scratch, fastestIdleLane, idleCount, placeByKey } from './common';
import { ReadyIndex, layerSlots } from './ready-index';

/**
 * With one idle lane, a keyed policy's first pick in key order as placeOne finds it (the first of
 * the lowest keys; a NaN key first stays first), without storing the keys: from a ReadyIndex when
 * `indexed` (the run's change list, KEYED_INDEX_MIN_READY+ ready jobs) and it can say, else in one
 * pass over the ready jobs. undefined: the keys decide.
 */
type FirstPick = (s: Snapshot, indexed: boolean) => JobState | undefined;

/**
 * From this many ready jobs, a keyed policy with an index picks from it. Under overload the ready
 * jobs are mostly frames waiting at the same few layers (vr_gaming at load 1.2: 21-28 ready jobs at
 * 2.5-4.5 (tenant, layer) pairs a decision), so a decision reads a few groups' first jobs instead of
 * every job's key. Below it (a run that keeps up: one or two ready jobs) the scan is cheaper than
 * keeping the index.
 */
const KEYED_INDEX_MIN_READY = 8;

function keyed(name: string, fill: (s: Snapshot, key: Float64Array, key2: Float64Array) => void, useKey2 = false, firstPick?: FirstPick): Policy {
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
      if (one && firstPick && n > 1) {
        // placeOne's pick; if it cannot run on the idle lane, the keys decide.
        const j = firstPick(s, n >= KEYED_INDEX_MIN_READY && s.readyChanges !== undefined);
        if (j) {
          const d = sc.begin(0, nL);
          const lane = fastestIdleLane(s, j, sc.laneTaken);
          if (lane >= 0) {
            sc.assign(j.id, lane, 0);
            return d;
          }
        }
      }
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
 * artifact, extended to several lanes. With one idle lane the first pick is found without ranking
 * every job (FirstPick: from the (tenant, next layer) groups under overload, else in one pass).
 */
export function sjf(): Policy {
  return byRemaining('sjf', false);
}

/**
 * SJF (slack false) or LSF (slack true): keys from the remaining estimate R (per (tenant, next
 * layer), LayerMemo), and with one idle lane the first pick from the (tenant, next layer) groups
 * under overload or else in one pass. SJF's groups are in id order: a group's jobs share the key,
 * so its earliest job is its pick. LSF's are in deadline order: the key (deadline - now) - R does
 * not fall along a group (rounding is monotone), so its lowest key is its first job's, shared by the
 * first few at most (equal deadlines, or rounding).
 */
function byRemaining(name: string, slack: boolean): Policy {
  const memo = new LayerMemo();
  const groups = new LayerGroups(slack ? (j) => j.deadline : (j) => j.id);
  const fromGroups = slack ? firstBySlack : firstByEstimate;
  return keyed(
    name,
    (s, key) => remainingKeys(s, memo, key, slack),
    false,
    (s, indexed) => {
      memo.begin(s, s.predict);
      return (indexed && groups.sync(s) && fromGroups(s, memo, groups)) || firstByRemaining(s, memo, slack);
    },
  );
}

/** SJF's first pick from the groups (see byRemaining): the lowest of their remaining estimates; undefined when one is NaN. */
function firstByEstimate(s: Snapshot, memo: LayerMemo, groups: LayerGroups): JobState | undefined {
  const live = groups.index.live;
  const jobs = groups.index.jobs;
  let best: JobState | undefined;
  let bestKey = 0;
  for (let gi = 0; gi < live.length; gi++) {
    const head = jobs[live[gi]][0];
    const k = remainingOf(s, memo, head);
    if (k !== k) return undefined; // (the scan's order: a NaN key first stays first)
    if (!best || k < bestKey || (k === bestKey && head.id < best.id)) {
      best = head;
      bestKey = k;
    }
  }
  return best;
}

/** SJF's (slack false) or LSF's (slack true) keys for placeByKey: the remaining estimate R, or (deadline - now) - R. */
function remainingKeys(s: Snapshot, memo: LayerMemo, key: Float64Array, slack: boolean): void {
  memo.begin(s, s.predict);
  const ready = s.ready;
  const t = s.time;
  for (let i = 0; i < ready.length; i++) {
    const j = ready[i];
    const r = remainingOf(s, memo, j);
    key[i] = slack ? j.deadline - t - r : r;
  }
}

/**
 * The ready jobs grouped by (tenant, next layer), each group in `order` (then id) order, kept from
 * the run's change list (ReadyIndex); jobs whose order is NaN go to group 0, which the picks refuse.
 */
class LayerGroups {
  readonly index: ReadyIndex;
  private slots: ReturnType<typeof layerSlots> = { base: new Int32Array(0), count: 0 };
  private workload: SimWorkload | undefined;
  constructor(order: (j: JobState) => number) {
    this.index = new ReadyIndex(
      (j) => {
        const o = order(j);
        return o === o ? this.slots.base[j.tenant] + j.next + 1 : 0;
      },
      (j) => {
        const o = order(j);
        return o === o ? o : 0;
      },
    );
  }

  /** Brings the groups up to s.ready; false without a change list or with a job in group 0. */
  sync(s: Snapshot): boolean {
    if (s.workload !== this.workload) {
      this.workload = s.workload;
      this.slots = layerSlots(s.workload);
    }
    return this.index.sync(s, this.slots.count + 1) && this.index.jobs[0].length === 0;
  }
}

/**
 * The job's remaining estimate, s.predict.remainingBest(job), cached per (tenant, next layer) slot
 * and recomputed only when the tenant's ratios moved (memo.begin() called for this decision): the
 * one place SJF's and LSF's keys, scans and group picks read it.
 */
function remainingOf(s: Snapshot, memo: LayerMemo, j: JobState): number {
  const k = memo.slot(j.tenant, j.next);
  if (!memo.has(j.tenant, k)) memo.a[k] = s.predict.remainingBest(j);
  return memo.a[k];
}

/**
 * Least slack first (least laxity; a baseline in Band, Jeong et al., MobiSys 2022): slack =
 * deadline - now - predicted remaining latency; the smallest slack first. With one idle lane the
 * first pick is found as SJF's is (FirstPick).
 */
export function leastSlack(): Policy {
  return byRemaining('lsf', true);
}

/** LSF's first pick from the groups (see byRemaining); undefined when a key may be NaN. */
function firstBySlack(s: Snapshot, memo: LayerMemo, groups: LayerGroups): JobState | undefined {
  const t = s.time;
  const live = groups.index.live;
  let best: JobState | undefined;
  let bestKey = 0;
  for (let gi = 0; gi < live.length; gi++) {
    const g = live[gi];
    const jobs = groups.index.jobs[g];
    const deadlines = groups.index.keys[g];
    const r = remainingOf(s, memo, jobs[0]);
    // Not finite: an infinite deadline in the group could make a key NaN (the scan's order then).
    if (!(r < Infinity)) return undefined;
    const k = deadlines[0] - t - r;
    if (k !== k) return undefined;
    let pick = jobs[0];
    for (let q = 1; q < jobs.length && deadlines[q] - t - r === k; q++) if (jobs[q].id < pick.id) pick = jobs[q];
    if (!best || k < bestKey || (k === bestKey && pick.id < best.id)) {
      best = pick;
      bestKey = k;
    }
  }
  return best;
}

/**
 * SJF's (slack false) or LSF's (slack true) first pick in one pass over the ready jobs, placeOne's
 * rule (the first of the lowest keys; a NaN key first stays first) on the keys remainingKeys
 * stores: one pass instead of three (estimates, keys, then placeOne), and no key stored.
 * memo.begin() called for this decision.
 */
function firstByRemaining(s: Snapshot, memo: LayerMemo, slack: boolean): JobState {
  const ready = s.ready;
  const t = s.time;
  let best = -1;
  let bestKey = 0;
  for (let i = 0; i < ready.length; i++) {
    const j = ready[i];
    const r = remainingOf(s, memo, j);
    const x = slack ? j.deadline - t - r : r;
    if (best < 0 || x < bestKey) {
      best = i;
      bestKey = x;
    }
  }
  return ready[best];
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
