import type { Feedback, Policy, Snapshot } from '../types';
import { Scratch } from './common';

export interface DreamWeights {
  /** Urgency: predicted remaining latency on this lane / slack, capped at 1. */
  urgency: number;
  /** Fairness: time waited since the job's last layer / its relative deadline, capped at 1. */
  fairness: number;
  /** Energy preference: lowest energy of this layer on any lane / its energy on this lane, scaled by (1 - urgency). */
  energy: number;
  /** Lane fit: the layer's fastest latency / its latency on this lane. */
  speed: number;
}

export interface DreamOptions {
  weights?: Partial<DreamWeights>;
  /** Retune the weights online from the UXCost of recent windows (default true). */
  adapt?: boolean;
  /** Windows per evaluation period of the online tuner (default 2). */
  periodWindows?: number;
}

export const DREAM_DEFAULT_WEIGHTS: DreamWeights = { urgency: 1, fairness: 0.25, energy: 0.3, speed: 0.5 };
const KEYS: (keyof DreamWeights)[] = ['urgency', 'fairness', 'energy', 'speed'];
const W_MIN = 0;
const W_MAX = 3;

/**
 * Tessera-DREAM: DREAM's scoring (Kim et al., ASPLOS 2023; arXiv 2212.03414) extended to several
 * heterogeneous lanes. Every (ready job, idle lane) pair gets
 *   score = wU x urgency + wF x fairness + wE x (1 - urgency) x energyPref + wS x speed
 * with urgency = min(1, (transfer + next layer on this lane + rest on fastest lanes) / slack),
 * fairness = min(1, waited / relative deadline), energyPref = min-lane energy / this lane's energy,
 * speed = fastest latency / this lane's latency (all predictions refined online). Pairs are taken
 * greedily, best first, one per job and lane. A pair after which the job would miss its deadline is
 * skipped when waiting for the job's fastest (busy) lane would still meet it, and ranked last
 * otherwise. A frame that cannot meet its deadline on any lane even with the machine to itself is
 * dropped, and its cascade dependents with it. At model granularity the whole remaining model counts.
 *
 * Online tuning (Tessera's): an A/B coordinate search on the weights. Each period (2 windows) runs
 * either the current weights or a trial with one weight moved by a step; a trial that lowers the
 * period's UXCost (metrics.ts, Tessera's definition) by 2% or more is kept, otherwise the search
 * reverses direction or moves to the next weight with a smaller step. Weights stay in [0, 3].
 * state() shows the weights in use and the tuner's step.
 */
export function tesseraDream(options: DreamOptions = {}): Policy {
  const sc = new Scratch();
  let score = new Float64Array(256);
  let jobMeta = new Float64Array(64);
  const base: DreamWeights = { ...DREAM_DEFAULT_WEIGHTS, ...options.weights };
  let w: DreamWeights = { ...base };
  const adapt = options.adapt ?? true;
  const periodWindows = options.periodWindows ?? 2;
  // Tuner state.
  let phase: 'base' | 'trial' = 'base';
  let dim = 0;
  let dir = 1;
  let step = 0.25;
  let flips = 0;
  let baseCost = NaN;
  let pE = 0;
  let pRef = 0;
  let pEnded = 0;
  let pMissed = 0;
  let pWindows = 0;
  let trials = 0;
  let accepted = 0;

  const startTrial = () => {
    const k = KEYS[dim];
    w = { ...base };
    w[k] = Math.min(W_MAX, Math.max(W_MIN, base[k] + dir * step));
    phase = 'trial';
    trials++;
  };
  const nextMove = () => {
    flips++;
    dir = -dir;
    if (flips >= 2) {
      flips = 0;
      dim = (dim + 1) % KEYS.length;
      step = Math.max(0.05, step * 0.7);
    }
  };

  const endPeriod = () => {
    if (pEnded === 0) return; // nothing to judge by
    const cost = (pRef > 0 ? pE / pRef : 1) * (pMissed / pEnded + 0.01);
    if (phase === 'base') {
      baseCost = cost;
      startTrial();
    } else {
      if (cost < baseCost * 0.98) {
        Object.assign(base, w);
        accepted++;
        step = Math.min(1, step * 1.2);
        baseCost = cost;
        flips = 0;
      } else {
        nextMove();
      }
      w = { ...base };
      phase = 'base';
    }
    pE = pRef = pEnded = pMissed = 0;
  };

  return {
    name: 'dream',
    state: () => ({ ...w, tunerStep: step, tunerTrials: trials, tunerAccepted: accepted }),
    observe(f: Feedback) {
      if (!adapt || f.kind !== 'window') return;
      pE += f.energyJ;
      pRef += f.referenceJ;
      pEnded += f.ended;
      pMissed += f.missed;
      if (++pWindows >= periodWindows) {
        pWindows = 0;
        endPeriod();
      }
    },
    decide(s: Snapshot) {
      const ready = s.ready;
      const n = ready.length;
      const lanes = s.lanes;
      const nL = lanes.length;
      const d = sc.begin(n, nL);
      if (n === 0) return d;
      if (score.length < n * nL) score = new Float64Array(Math.max(n * nL, score.length * 2));
      if (jobMeta.length < n) jobMeta = new Float64Array(Math.max(n, jobMeta.length * 2));
      const p = s.predict;
      const t = s.time;
      const whole = s.preemption === 'model';
      const wU = w.urgency;
      const wF = w.fairness;
      const wE = w.energy;
      const wS = w.speed;
      let idle = 0;
      for (let l = 0; l < nL; l++) if (lanes[l].idle) idle++;

      for (let i = 0; i < n; i++) {
        const j = ready[i];
        const slack = j.deadline - t;
        const rest = whole ? 0 : p.remainingBest(j, j.next + 1);
        // Fastest way through, lowest energy, fastest lane for the next step.
        let bestEst = Infinity;
        let bestLat = Infinity;
        let minE = Infinity;
        let fastLane = -1;
        let fastEst = Infinity;
        for (let l = 0; l < nL; l++) {
          const lat = p.next(j, l);
          if (lat === Infinity) continue;
          const x = p.transfer(j, l);
          const est = (whole ? p.remainingOn(j, l) : lat + rest) + x;
          if (est < bestEst) bestEst = est;
          if (lat < bestLat) bestLat = lat;
          const e = p.nextEnergy(j, l);
          if (e < minE) minE = e;
          const start = lanes[l].idle ? t : Math.max(t, lanes[l].busyUntil);
          if (start + est < fastEst) {
            fastEst = start + est;
            fastLane = l;
          }
        }
        const row = i * nL;
        if (t + bestEst > j.deadline) {
          // Cannot make it on any lane even alone: drop it (and its cascade dependents).
          d.drop.push(j.id);
          sc.taken[i] = 1;
          for (let l = 0; l < nL; l++) score[row + l] = -Infinity;
          continue;
        }
        const waitOk = fastLane >= 0 && !lanes[fastLane].idle && fastEst <= j.deadline;
        const relDeadline = j.deadline - j.release;
        const waited = t - j.lastRun;
        const fairness = relDeadline > 0 ? Math.min(1, waited / relDeadline) : 1;
        jobMeta[i] = fairness;
        for (let l = 0; l < nL; l++) {
          if (!lanes[l].idle) {
            score[row + l] = -Infinity;
            continue;
          }
          const lat = p.next(j, l);
          if (lat === Infinity) {
            score[row + l] = -Infinity;
            continue;
          }
          const est = (whole ? p.remainingOn(j, l) : lat + rest) + p.transfer(j, l);
          const feasible = t + est <= j.deadline;
          if (!feasible && waitOk) {
            score[row + l] = -Infinity;
            continue;
          }
          const urgency = slack > 1e-12 ? Math.min(1, est / slack) : 1;
          const energyPref = minE / p.nextEnergy(j, l);
          const speed = bestLat / lat;
          score[row + l] = wU * urgency + wF * fairness + wE * (1 - urgency) * energyPref + wS * speed - (feasible ? 0 : 10);
        }
      }

      // Greedy matching: best pair first, one per job and lane.
      for (let round = 0; round < idle; round++) {
        let bi = -1;
        let bl = -1;
        let bs = -Infinity;
        for (let i = 0; i < n; i++) {
          if (sc.taken[i]) continue;
          const row = i * nL;
          for (let l = 0; l < nL; l++) {
            if (sc.laneTaken[l]) continue;
            const v = score[row + l];
            if (v > bs) {
              bs = v;
              bi = i;
              bl = l;
            }
          }
        }
        if (bi < 0) break;
        sc.taken[bi] = 1;
        sc.assign(ready[bi].id, bl, 0);
      }
      return d;
    },
  };
}
