// The eleven schedulers of Dysta's public simulator, as decision rules over the running list
// (kept in arrival order, so "first wins" means the earliest arrival wins a tie). Each rule returns
// the index of the task whose next layer runs. Behaviour follows ../shared/dysta-parity/README.md;
// none of that simulator's code is used.
import type { DystaCompat, DystaScheduler } from './types';

/** A running task as the rules see it. */
export interface DystaTask {
  id: string;
  /** Position in the request trace (its row in the output). */
  order: number;
  arrival: number;
  target: number;
  priority: number;
  /** Real layer latencies of this task's sample. */
  real: number[];
  /** realSuffix[i] = real[i] + real[i+1] + ... summed left to right (dysta_oracle only, else empty). */
  realSuffix: number[];
  /** The estimate queue (avg_lat_per_pattern or avg_lat_per_model). */
  est: number[];
  /** estSuffix[i] = est[i] + est[i+1] + ... summed left to right, as the reference sums R. */
  estSuffix: number[];
  sparsity: number[];
  avgSparsity: number[];
  /** Index of the next layer to run. */
  next: number;
  lastRun: number;
  /** Mean over executed layers of (1 - measured sparsity) / (1 - average sparsity); 1 before any. */
  g: number;
  gSum: number;
  gCount: number;
  /** PREMA's token; negative until the first decision that sees the task. */
  token: number;
  realIsolated: number;
  estIsolated: number;
}

export type DystaRule = (running: DystaTask[], clock: number, compat: DystaCompat) => number;

const BETA = 0.01; // Dysta's weight of the slack and fairness terms
const ALPHA = 1; // SDRM3's weight of fairness

/** Remaining estimate R, scaled by g where the variant monitors sparsity. */
const gR = (t: DystaTask, useG: boolean) => (useG ? t.g * t.estSuffix[t.next] : t.estSuffix[t.next]);

/** Smallest score; the earliest arrival wins ties (strict <). */
function argMin(tasks: DystaTask[], score: (t: DystaTask) => number): number {
  let best = 0;
  let bestScore = Infinity;
  for (let i = 0; i < tasks.length; i++) {
    const v = score(tasks[i]);
    if (v < bestScore) {
      bestScore = v;
      best = i;
    }
  }
  return best;
}

/**
 * Highest strictly positive score, the earliest arrival winning ties; when no score is positive
 * the last-arrived task runs (the reference's "index -1" fallback).
 */
function highestPositive(tasks: DystaTask[], score: (t: DystaTask) => number): number {
  let best = -1;
  let bestScore = 0;
  for (let i = 0; i < tasks.length; i++) {
    const v = score(tasks[i]);
    if (v > bestScore) {
      bestScore = v;
      best = i;
    }
  }
  return best >= 0 ? best : tasks.length - 1;
}

/** SJF: smallest (g x) remaining estimate. */
const sjf = (useG: boolean): DystaRule => (running) => argMin(running, (t) => gR(t, useG));

/**
 * PREMA (Choi & Rhu, HPCA 2020) as in the reference: tokens grow by priority x idle / isolated
 * estimate at every decision; the threshold is the highest of 9/3/1 that some old token reaches;
 * among tasks at or above it the shortest remaining estimate wins.
 */
function prema(sparse: boolean): DystaRule {
  return (running, clock, compat) => {
    let maxToken = 0;
    for (const t of running) {
      if (t.token < 0) {
        t.token = t.priority; // first decision that sees it; not counted in max_token this time
        continue;
      }
      const idle = clock - t.lastRun;
      t.token += (t.priority * idle) / (sparse ? t.g * t.estIsolated : t.estIsolated);
      if (t.token > maxToken) maxToken = t.token;
    }
    const threshold = maxToken >= 9 ? 9 : maxToken >= 3 ? 3 : 1;
    // Reference quirk: prema_sparse scales every candidate by the g of the last running task.
    const lastG = running[running.length - 1].g;
    let best = -1;
    let bestR = Infinity;
    for (let i = 0; i < running.length; i++) {
      const t = running[i];
      if (t.token < threshold) continue;
      const r = sparse ? (compat === 'dysta-reference' ? lastG : t.g) * t.estSuffix[t.next] : t.estSuffix[t.next];
      if (r < bestR) {
        bestR = r;
        best = i;
      }
    }
    // With priorities >= 1 some task always qualifies; keep FCFS order if a trace breaks that.
    return best >= 0 ? best : 0;
  };
}

/** SDRM3 (DREAM v1): urgency + alpha x fairness, highest positive wins as in Planaria. */
function sdrm3(useG: boolean): DystaRule {
  return (running, clock, compat) =>
    highestPositive(running, (t) => {
      const g = useG ? t.g : 1;
      const slack = t.target - clock;
      let urgency = Math.min(1, (g * t.estSuffix[t.next]) / slack);
      // The reference leaves a late task's urgency negative; Tessera treats it as fully urgent.
      if (compat === 'tessera') urgency = slack > 0 ? Math.max(0, urgency) : 1;
      const fairness = (clock - t.lastRun) / (g * t.est[t.next]);
      return urgency + ALPHA * fairness;
    });
}

/** Dysta: g R + beta (max(0, slack - g R) + (idle / isolated) / n), lowest wins. */
function dysta(kind: 'dysta' | 'dysta_naive' | 'dysta_oracle'): DystaRule {
  return (running, clock) => {
    const n = running.length;
    return argMin(running, (t) => {
      const r = kind === 'dysta' ? t.g * t.estSuffix[t.next] : kind === 'dysta_oracle' ? t.realSuffix[t.next] : t.estSuffix[t.next];
      const isolated = kind === 'dysta_oracle' ? t.realIsolated : t.estIsolated;
      return r + BETA * (Math.max(0, t.target - clock - r) + (clock - t.lastRun) / isolated / n);
    });
  };
}

export const DYSTA_RULES: Record<DystaScheduler, DystaRule> = {
  fcfs: () => 0, // the running list is in arrival order
  sjf: sjf(false),
  sjf_sparse: sjf(true),
  prema: prema(false),
  prema_sparse: prema(true),
  planaria: (running, clock) => highestPositive(running, (t) => t.priority / (t.target - clock)),
  sdrm3: sdrm3(false),
  sdrm3_sparse: sdrm3(true),
  dysta: dysta('dysta'),
  dysta_naive: dysta('dysta_naive'),
  dysta_oracle: dysta('dysta_oracle'),
};
