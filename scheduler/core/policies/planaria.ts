import type { JobState, Policy, Snapshot } from '../types';
import { Scratch, fastestIdleLane, idleCount, placeByKey, scoreToKey } from './common';
import { INDEX_MIN_READY, ReadyIndex } from './ready-index';

/**
 * Planaria (Ghodrati et al., MICRO 2020) as re-implemented in Dysta's artifact: score = priority /
 * slack, slack = deadline - now; the highest positive score runs first (ties: earlier release); if
 * no score is positive (every job is past its deadline), the last-released job first.
 *
 * Within one priority class the score falls as the deadline grows, so with the run's change list
 * (Snapshot.readyChanges) the ready jobs are kept per class in deadline order (ReadyIndex): the next
 * job in score order is the first one not yet late in some class, found by a binary search per class
 * instead of scoring every ready job. Jobs with equal scores still go in release order, and the
 * late ones last-released first, exactly as the scan does.
 */
export function planaria(): Policy {
  const sc = new Scratch();
  // Classes 1..9 (PREMA's 1/3/9 and the rest); group 0 holds anything else, which the scan handles.
  const index = new ReadyIndex((j) => (j.priority >= 1 && j.priority <= 9 && j.priority === Math.floor(j.priority) && j.deadline === j.deadline ? j.priority : 0), (j) => j.deadline);
  const pos = new Int32Array(10);
  const took: JobState[] = [];
  const taken = (j: JobState) => took.includes(j);

  /** Places by class; false when the index cannot (then the scan runs on a fresh decision). */
  const byClass = (s: Snapshot): boolean => {
    if (s.ready.length < INDEX_MIN_READY || !index.sync(s, 10) || index.jobs[0].length > 0) return false;
    const t = s.time;
    const live = index.live;
    const groups = index.jobs;
    const keys = index.keys;
    while (took.length) took.pop();
    for (let gi = 0; gi < live.length; gi++) {
      // The first job not yet late (deadline >= now: a positive score, or +Infinity at the deadline).
      const k = keys[live[gi]];
      let lo = 0;
      let hi = groups[live[gi]].length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (k[mid] < t) lo = mid + 1;
        else hi = mid;
      }
      pos[live[gi]] = lo;
    }
    let free = idleCount(s);
    let left = s.ready.length;
    // Positive scores, highest first (ties: the earlier job).
    while (free > 0 && left > 0) {
      let best: JobState | undefined;
      let bestKey = 0;
      for (let gi = 0; gi < live.length; gi++) {
        const g = live[gi];
        const list = groups[g];
        const k = keys[g];
        let p = pos[g];
        while (p < list.length && taken(list[p])) p++;
        pos[g] = p;
        if (p >= list.length) continue;
        const score = g / (k[p] - t);
        if (!(score > 0)) {
          pos[g] = list.length; // an infinite deadline: so are the rest's
          continue;
        }
        // Equal scores (equal deadlines, or rounding): the earliest job among them.
        for (let q = p; q < list.length && g / (k[q] - t) === score; q++) {
          const j = list[q];
          if (taken(j)) continue;
          if (!best || -score < bestKey || (-score === bestKey && j.id < best.id)) {
            best = j;
            bestKey = -score;
          }
        }
      }
      if (!best) break;
      took.push(best);
      left--;
      const lane = fastestIdleLane(s, best, sc.laneTaken);
      if (lane < 0) continue;
      sc.assign(best.id, lane, 0);
      free--;
    }
    // No positive score left: the last-released first.
    for (let i = s.ready.length - 1; i >= 0 && free > 0 && left > 0; i--) {
      const j = s.ready[i];
      if (j.priority / (j.deadline - t) > 0) continue; // taken above
      left--;
      const lane = fastestIdleLane(s, j, sc.laneTaken);
      if (lane < 0) continue;
      sc.assign(j.id, lane, 0);
      free--;
    }
    return true;
  };

  return {
    name: 'planaria',
    decide(s: Snapshot) {
      const d = sc.begin(s.ready.length, s.lanes.length);
      const n = s.ready.length;
      if (n === 0) return d;
      if (byClass(s)) return d;
      // The scan: with one idle lane (the usual case) the first job in placeByKey's order (the lowest
      // key, the earliest on ties; scoreToKey's keys are never NaN) is found with the keys.
      const key = sc.key;
      const t = s.time;
      if (idleCount(s) === 1) {
        let first = 0;
        for (let i = 0; i < n; i++) {
          const j = s.ready[i];
          const k = (key[i] = scoreToKey(j.priority / (j.deadline - t), i, n));
          if (k < key[first]) first = i;
        }
        sc.taken[first] = 1;
        const lane = fastestIdleLane(s, s.ready[first], sc.laneTaken);
        if (lane >= 0) {
          sc.assign(s.ready[first].id, lane, 0);
          return d;
        }
        // It cannot run on the idle lane: the others in key order.
        return placeByKey(s, sc, false);
      }
      for (let i = 0; i < n; i++) {
        const j = s.ready[i];
        key[i] = scoreToKey(j.priority / (j.deadline - t), i, n);
      }
      return placeByKey(s, sc, false);
    },
  };
}
