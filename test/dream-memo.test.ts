// Tessera-DREAM caches per-(tenant, layer, activation lane) terms between decisions (dream.ts,
// PathMemo), some of them weighted. The decision digests (policy-decisions.test.ts) cover ratio
// changes but runs too short for the online tuner to move a weight, so this test moves them: after
// every tuner step, the long-lived policy must decide exactly as a fresh one built with the weights
// it now uses, on the same snapshots, while the refinement also moves between decisions.
import { describe, expect, it } from 'vitest';
import { decisionSnapshot } from '../bench/scheduler';
import { tesseraDream, type DreamWeights } from '../scheduler/core/policies/dream';
import type { Decision, Feedback, Snapshot } from '../scheduler/core/types';

const line = (d: Decision) => `${d.assign.map((a) => `${a.job}>${a.lane}.${a.variant}`).join(',')}|${d.drop.join(',')}`;
const weightsOf = (st: Record<string, unknown>): DreamWeights => ({ urgency: st.urgency as number, fairness: st.fairness as number, energy: st.energy as number, speed: st.speed as number, progress: st.progress as number });

describe('dream: cached terms follow the weights and the refinement', () => {
  it('decides as a fresh instance with the same weights after every tuner step', () => {
    const snaps: (Snapshot & { layerEnd(i: number): void })[] = [decisionSnapshot(4), decisionSnapshot(2), decisionSnapshot(1)];
    // One long-lived instance per snapshot (a memo is rebuilt when the predictor changes).
    const lives = snaps.map(() => tesseraDream({ periodWindows: 1 }));
    const seen = new Set<string>();
    let compared = 0;
    for (let step = 0; step < 40; step++) {
      snaps.forEach((snap, si) => {
        const live = lives[si];
        snap.layerEnd(step);
        // Eight jobs at a time: with few candidates, a weight moves the choice more often.
        for (let k = 0; k < 8; k++) {
          const s: Snapshot = { ...snap, ready: snap.ready.slice(8 * k, 8 * k + 8) };
          const w = weightsOf(live.state!());
          const fresh = tesseraDream({ weights: w, adapt: false }).decide(s);
          expect(fresh.assign.length, 'the fresh instance places jobs').toBeGreaterThan(0);
          expect(line(live.decide(s)), `snapshot ${si}, step ${step}, jobs ${8 * k}.., weights ${JSON.stringify(w)}`).toBe(line(fresh));
          compared++;
        }
      });
      seen.add(JSON.stringify(weightsOf(lives[0].state!())));
      // A window whose cost alternates, so trials are kept or rejected and the tuner walks every weight.
      const f: Feedback = { kind: 'window', start: step, end: step + 1, ended: 20, missed: step % 3 === 0 ? 1 : 6, dropped: 0, missRate: 0, energyJ: 1 + (step % 5), uxcost: 0, referenceJ: 10 };
      for (const live of lives) live.observe!(f);
    }
    expect(compared).toBe(40 * 3 * 8);
    // The tuner moved the weights several times (else the test would prove nothing).
    expect(seen.size).toBeGreaterThan(5);
  });
});
