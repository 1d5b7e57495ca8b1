import type { Policy, Snapshot } from '../types';
import { Scratch, placeByKey, scoreToKey } from './common';

/**
 * Planaria (Ghodrati et al., MICRO 2020) as re-implemented in Dysta's artifact: score = priority /
 * slack, slack = deadline - now; the highest positive score runs first (ties: earlier release); if
 * no score is positive (every job is past its deadline), the last-released job first.
 */
export function planaria(): Policy {
  const sc = new Scratch();
  return {
    name: 'planaria',
    decide(s: Snapshot) {
      const d = sc.begin(s.ready.length, s.lanes.length);
      const n = s.ready.length;
      if (n === 0) return d;
      for (let i = 0; i < n; i++) {
        const j = s.ready[i];
        sc.key[i] = scoreToKey(j.priority / (j.deadline - s.time), i, n);
      }
      return placeByKey(s, sc, false);
    },
  };
}
