import type { Policy, Snapshot } from '../types';
import { LayerMemo, Scratch, placeByKey, scoreToKey } from './common';

/**
 * SDRM3, the first version of DREAM (Kim et al., arXiv 2212.03414 v1), as re-implemented in Dysta's
 * artifact: urgency = min(1, R / (D - t)) (not clamped below: negative once late), fairness =
 * (t - t_last) / L_next, score = urgency + alpha x fairness, alpha = 1; the highest positive score
 * runs (ties: earlier release), if none is positive the last-released job. R is the predicted
 * remaining latency and L_next the next layer's, each layer on its fastest lane (refined online).
 * Both depend only on (tenant, next layer) and the tenant's ratios: cached per pair (LayerMemo).
 */
export function sdrm3(alpha = 1): Policy {
  const sc = new Scratch();
  const memo = new LayerMemo();
  return {
    name: 'sdrm3',
    decide(s: Snapshot) {
      const d = sc.begin(s.ready.length, s.lanes.length);
      const n = s.ready.length;
      if (n === 0) return d;
      const nL = s.lanes.length;
      memo.begin(s, s.predict);
      const mNext = memo.a;
      const mRest = memo.b;
      for (let i = 0; i < n; i++) {
        const j = s.ready[i];
        const k = memo.slot(j.tenant, j.next);
        if (!memo.has(j.tenant, k)) {
          let next = Infinity;
          for (let l = 0; l < nL; l++) {
            const x = s.predict.next(j, l);
            if (x < next) next = x;
          }
          mNext[k] = next;
          mRest[k] = s.predict.remainingBest(j);
        }
        const urgency = Math.min(1, mRest[k] / (j.deadline - s.time));
        const fairness = (s.time - j.lastRun) / mNext[k];
        sc.key[i] = scoreToKey(urgency + alpha * fairness, i, n);
      }
      return placeByKey(s, sc, false);
    },
    state: () => ({ alpha }),
  };
}
