import type { Policy, Predictor, Snapshot } from '../types';
import { Scratch, placeByKey } from './common';

export type DystaForm = 'dysta' | 'dysta_naive' | 'dysta_oracle';

/**
 * Dysta (Fan et al., MICRO 2023), bi-level dynamic and static scheduling: score = g R +
 * beta (max(0, (D - t) - g R) + ((t - t_last) / T_iso) / n), beta = 0.01, the lowest score runs
 * first; R = the offline (static) estimate of the remaining latency, each layer on its fastest lane;
 * g = the job's own observed/expected ratio over its executed layers (the dynamic part; Dysta
 * measures it from sparsity, Tessera from layer times); T_iso = the isolated latency estimate; n =
 * jobs in the system.
 * - dysta_naive: g = 1 (static predictor only).
 * - dysta_oracle: R and T_iso are the real latencies (the simulator knows them; the live runtime
 *   does not, and there it falls back to the refined predictor).
 */
export function dysta(form: DystaForm = 'dysta', beta = 0.01): Policy {
  const sc = new Scratch();
  return {
    name: form,
    decide(s: Snapshot) {
      const d = sc.begin(s.ready.length, s.lanes.length);
      const n = s.ready.length;
      if (n === 0) return d;
      const p: Predictor = form === 'dysta_oracle' ? (s.oracle ?? s.predict) : s.offline;
      const inSystem = Math.max(1, s.inSystem);
      for (let i = 0; i < n; i++) {
        const j = s.ready[i];
        const g = form === 'dysta' ? j.g : 1;
        const gR = g * p.remainingBest(j);
        sc.key[i] = gR + beta * (Math.max(0, j.deadline - s.time - gR) + (s.time - j.lastRun) / p.isolated(j) / inSystem);
      }
      return placeByKey(s, sc, false);
    },
    state: () => ({ beta }),
  };
}
