// Every scheduling policy, behind one interface (types.ts). Baselines that were designed for one
// queue pick a job by their rule and place it on the idle lane where its next layer is fastest.
import type { Assignment, Decision, Feedback, JobState, Policy, Snapshot } from './types';

const EMPTY: Decision = { assign: [], drop: [] };

/** Greedy placement: jobs in rank order, each on its fastest idle lane that can run it. */
function placeInOrder(s: Snapshot, ordered: JobState[]): Decision {
  const free = s.lanes.filter((l) => l.idle).map((l) => l.index);
  const assign: Assignment[] = [];
  for (const job of ordered) {
    if (free.length === 0) break;
    let best = -1;
    let bestLat = Infinity;
    for (let k = 0; k < free.length; k++) {
      const lat = s.predict.next(job, free[k]);
      if (lat < bestLat) {
        bestLat = lat;
        best = k;
      }
    }
    if (best < 0) continue;
    assign.push({ job, lane: free[best], variant: 0 });
    free.splice(best, 1);
  }
  return { assign, drop: [] };
}

/** A policy that ranks jobs by a key (lowest first; ties keep release order). */
function ranked(name: string, key: (job: JobState, s: Snapshot) => number): Policy {
  return {
    name,
    decide(s) {
      if (s.ready.length === 0) return EMPTY;
      const keyed = s.ready.map((job, i) => ({ job, k: key(job, s), i }));
      keyed.sort((a, b) => a.k - b.k || a.i - b.i);
      return placeInOrder(s, keyed.map((x) => x.job));
    },
  };
}

/** FCFS: earliest release first. */
export const fcfs = () => ranked('fcfs', (j) => j.release);
/** EDF: earliest absolute deadline first (Liu & Layland 1973). */
export const edf = () => ranked('edf', (j) => j.deadline);
/** SJF: shortest remaining estimated time (on the fastest lanes) first. */
export const sjf = () => ranked('sjf', (j, s) => s.predict.remainingBest(j));
/** Least slack first: deadline - now - remaining estimate (Band, MobiSys 2022 baseline). */
export const leastSlack = () => ranked('lsf', (j, s) => j.deadline - s.time - s.predict.remainingBest(j));

/** Round robin over tenants: the tenant after the last one served goes first. */
export function roundRobin(): Policy {
  let last = -1;
  return {
    name: 'rr',
    decide(s) {
      if (s.ready.length === 0) return EMPTY;
      const n = s.workload.tenants.length;
      const ordered = [...s.ready].sort((a, b) => ((a.tenant - last - 1 + n) % n) - ((b.tenant - last - 1 + n) % n) || a.release - b.release);
      const d = placeInOrder(s, ordered);
      if (d.assign.length) last = d.assign[d.assign.length - 1].job.tenant;
      return d;
    },
  };
}

/**
 * HEFT (Topcuoglu et al. 2002, as adapted per layer in Band, MobiSys 2022): jobs by upward rank
 * (mean remaining cost over lanes, highest first); each goes to the lane with the earliest finish
 * time, counting busy lanes' remaining time. If that lane is busy, the job waits for it.
 */
export function heft(): Policy {
  return {
    name: 'heft',
    decide(s) {
      if (s.ready.length === 0) return EMPTY;
      const lanes = s.lanes.length;
      const rank = (j: JobState) => {
        let sum = 0;
        for (let l = 0; l < lanes; l++) {
          const r = s.predict.remainingOn(j, l);
          if (Number.isFinite(r)) sum += r;
        }
        return sum / lanes;
      };
      const ordered = [...s.ready].sort((a, b) => rank(b) - rank(a));
      const free = new Set(s.lanes.filter((l) => l.idle).map((l) => l.index));
      const availableAt = s.lanes.map((l) => (l.idle ? s.time : l.busyUntil));
      const assign: Assignment[] = [];
      for (const job of ordered) {
        let best = -1;
        let bestFinish = Infinity;
        for (let l = 0; l < lanes; l++) {
          const finish = availableAt[l] + s.predict.next(job, l);
          if (finish < bestFinish) {
            bestFinish = finish;
            best = l;
          }
        }
        if (best < 0) continue;
        if (free.has(best)) {
          assign.push({ job, lane: best, variant: 0 });
          free.delete(best);
        }
        availableAt[best] = bestFinish; // reserve: later jobs see this lane as taken until then
      }
      return { assign, drop: [] };
    },
  };
}

/**
 * PREMA (Choi & Rhu, HPCA 2020): each job accumulates tokens at priority x waited / isolated time;
 * the threshold is the highest class (9, 3, 1) some job has reached; among jobs at or above it, the
 * shortest remaining estimate runs.
 */
export function prema(): Policy {
  const tokens = new Map<number, { tokens: number; at: number }>();
  return {
    name: 'prema',
    decide(s) {
      if (s.ready.length === 0) return EMPTY;
      let max = 0;
      for (const j of s.ready) {
        const t = tokens.get(j.id);
        if (!t) tokens.set(j.id, { tokens: j.priority, at: s.time });
        else {
          t.tokens += (j.priority * (s.time - t.at)) / s.predict.isolated(j);
          t.at = s.time;
        }
        max = Math.max(max, tokens.get(j.id)!.tokens);
      }
      const threshold = max >= 9 ? 9 : max >= 3 ? 3 : 1;
      const candidates = s.ready.filter((j) => tokens.get(j.id)!.tokens >= threshold);
      const rest = s.ready.filter((j) => tokens.get(j.id)!.tokens < threshold);
      const byR = (a: JobState, b: JobState) => s.predict.remainingBest(a) - s.predict.remainingBest(b);
      if (tokens.size > 4 * s.ready.length + 64) for (const id of tokens.keys()) if (!s.ready.some((j) => j.id === id)) tokens.delete(id);
      return placeInOrder(s, [...candidates.sort(byR), ...rest.sort(byR)]);
    },
  };
}

/** Highest score first; jobs with no positive score go after, latest release first (Planaria's rule). */
function byScoreDesc(s: Snapshot, score: (j: JobState) => number): JobState[] {
  const scored = s.ready.map((job, i) => ({ job, v: score(job), i }));
  const positive = scored.filter((x) => x.v > 0).sort((a, b) => b.v - a.v || a.i - b.i);
  const other = scored.filter((x) => !(x.v > 0)).sort((a, b) => b.i - a.i);
  return [...positive, ...other].map((x) => x.job);
}

/** Planaria (Ghodrati et al., MICRO 2020) as in Dysta's artifact: priority / slack, highest first. */
export function planaria(): Policy {
  return { name: 'planaria', decide: (s) => (s.ready.length ? placeInOrder(s, byScoreDesc(s, (j) => j.priority / (j.deadline - s.time))) : EMPTY) };
}

/**
 * SDRM3 (DREAM's first version, Kim et al., arXiv 2212.03414 v1, as re-implemented in Dysta's
 * artifact): urgency = min(1, R / (D - t)), fairness = (t - t_last) / L_next, score = U + alpha F,
 * alpha = 1, highest first. R and L_next on the fastest lanes.
 */
export function sdrm3(alpha = 1): Policy {
  return {
    name: 'sdrm3',
    decide: (s) =>
      s.ready.length
        ? placeInOrder(s, byScoreDesc(s, (j) => {
            const best = bestNext(s, j);
            return Math.min(1, s.predict.remainingBest(j) / (j.deadline - s.time)) + (alpha * (s.time - j.lastRun)) / best;
          }))
        : EMPTY,
  };
}

function bestNext(s: Snapshot, j: JobState): number {
  let best = Infinity;
  for (const l of s.lanes) best = Math.min(best, s.predict.next(j, l.index));
  return best;
}

/**
 * Dysta (Fan et al., MICRO 2023): score = gR + beta (max(0, slack - gR) + (idle / T_iso) / n),
 * beta = 0.01, lowest first; g is the observed/expected latency ratio (here per tenant and lane,
 * folded into the predictor). 'naive' ignores g; 'oracle' uses the true latencies (simulator only).
 */
export function dysta(variant: 'dysta' | 'dysta_naive' | 'dysta_oracle' = 'dysta', beta = 0.01): Policy {
  return {
    name: variant,
    decide(s) {
      if (s.ready.length === 0) return EMPTY;
      const n = s.ready.length;
      const key = (j: JobState) => {
        let gR = s.predict.remainingBest(j);
        if (variant === 'dysta_naive') {
          // Undo the online correction: the naive form plans with the offline averages only.
          let ratio = 0;
          for (const l of s.lanes) ratio += s.predict.ratio(j.tenant, l.index);
          gR /= ratio / s.lanes.length;
        }
        return gR + beta * (Math.max(0, j.deadline - s.time - gR) + (s.time - j.lastRun) / s.predict.isolated(j) / n);
      };
      const ordered = s.ready.map((job, i) => ({ job, k: key(job), i })).sort((a, b) => a.k - b.k || a.i - b.i);
      return placeInOrder(s, ordered.map((x) => x.job));
    },
  };
}

export interface DreamWeights {
  urgency: number;
  fairness: number;
  energy: number;
}

/**
 * Tessera-DREAM: DREAM's scoring (Kim et al., ASPLOS 2023) extended to several heterogeneous lanes.
 * Each (job, idle lane) pair scores wU x urgency on that lane (remaining latency there / slack,
 * capped at 1) + wF x fairness (time waiting / next layer time) + wE x energy preference (1 - this
 * lane's energy for the layer / the worst lane's). Pairs are taken greedily, best first. A frame
 * that cannot meet its deadline on any lane is dropped (its cascade dependents with it). Online,
 * wE is retuned by hill-climbing on the UXCost of recent windows (Tessera's UXCost definition).
 */
export function tesseraDream(initial: Partial<DreamWeights> = {}): Policy {
  const w: DreamWeights = { urgency: 1, fairness: 0.5, energy: 0.3, ...initial };
  let lastUx: number | undefined;
  let step = 0.1;
  return {
    name: 'dream',
    state: () => ({ ...w }),
    observe(f: Feedback) {
      if (f.kind !== 'window') return;
      if (lastUx !== undefined && f.uxcost > lastUx) step = -step / 2 || 0.05; // worse: reverse, smaller step
      if (Math.abs(step) < 0.01) step = Math.sign(step || 1) * 0.05;
      w.energy = Math.min(2, Math.max(0, w.energy + step));
      // Misses matter more than energy: raise urgency while frames are missed, relax it when not.
      w.urgency = Math.min(3, Math.max(0.5, w.urgency + (f.missRate > 0.05 ? 0.1 : -0.05)));
      lastUx = f.uxcost;
    },
    decide(s) {
      if (s.ready.length === 0) return EMPTY;
      const drop: JobState[] = [];
      const pairs: { job: JobState; lane: number; score: number }[] = [];
      for (const job of s.ready) {
        const slack = job.deadline - s.time;
        if (s.predict.remainingBest(job) > slack) {
          drop.push(job);
          continue;
        }
        let worstEnergy = 0;
        for (const l of s.lanes) {
          const e = s.predict.nextEnergy(job, l.index);
          if (Number.isFinite(e)) worstEnergy = Math.max(worstEnergy, e);
        }
        for (const l of s.lanes) {
          if (!l.idle) continue;
          const next = s.predict.next(job, l.index);
          if (!Number.isFinite(next)) continue;
          const remaining = s.predict.remainingOn(job, l.index);
          const urgency = Math.min(1, remaining / Math.max(slack, 1e-9));
          const fairness = (s.time - job.lastRun) / next;
          const energyPref = worstEnergy > 0 ? 1 - s.predict.nextEnergy(job, l.index) / worstEnergy : 0;
          // A lane on which the whole rest of the job still meets the deadline gets a bonus; others
          // remain allowed (later layers may move) but rank below.
          const feasible = s.time + remaining <= job.deadline ? 1 : 0;
          pairs.push({ job, lane: l.index, score: w.urgency * urgency + w.fairness * fairness + w.energy * energyPref + feasible });
        }
      }
      pairs.sort((a, b) => b.score - a.score);
      const usedJobs = new Set<number>();
      const usedLanes = new Set<number>();
      const assign: Assignment[] = [];
      for (const p of pairs) {
        if (usedJobs.has(p.job.id) || usedLanes.has(p.lane)) continue;
        assign.push({ job: p.job, lane: p.lane, variant: 0 });
        usedJobs.add(p.job.id);
        usedLanes.add(p.lane);
      }
      return { assign, drop };
    },
  };
}

/**
 * Terastal-style (Wu, Song, Bozorgzadeh, RTCSA 2026): offline, each tenant's deadline is split into
 * per-layer virtual budgets in proportion to the layer's best-lane latency. Online, jobs run in order
 * of their next layer's virtual deadline; each picks the (idle lane, variant) that finishes the
 * layer soonest within the job's remaining accuracy budget; a job whose fastest lane is busy moves
 * to another lane only if it still meets its virtual deadline there, otherwise it waits.
 */
export function terastal(): Policy {
  let budgets: Float64Array[] | undefined; // per tenant: cumulative virtual budget after layer i
  return {
    name: 'terastal',
    decide(s) {
      if (s.ready.length === 0) return EMPTY;
      if (!budgets) {
        budgets = s.workload.tenants.map((t) => {
          const best = t.layers.map((layer) => Math.min(...layer.variants[0].cost.map((c) => (c ? c.latency : Infinity))));
          const total = best.reduce((a, b) => a + b, 0);
          let acc = 0;
          return Float64Array.from(best.map((b) => (acc += (b / total) * t.deadline)));
        });
      }
      const vd = (j: JobState) => j.release + budgets![j.tenant][j.next];
      const ordered = [...s.ready].sort((a, b) => vd(a) - vd(b));
      const free = new Set(s.lanes.filter((l) => l.idle).map((l) => l.index));
      const assign: Assignment[] = [];
      const drop: JobState[] = [];
      for (const job of ordered) {
        if (free.size === 0) break;
        if (s.time + s.predict.remainingBest(job) > job.deadline + s.workload.tenants[job.tenant].deadline) {
          drop.push(job); // hopelessly late (a full period past its deadline): free the lanes
          continue;
        }
        const tenant = s.workload.tenants[job.tenant];
        const budgetLeft = (tenant.accuracyBudget ?? 0) - job.accuracyUsed;
        const layer = tenant.layers[job.next];
        let fastestLane = -1;
        let fastest = Infinity;
        for (const l of s.lanes) {
          const lat = s.predict.next(job, l.index);
          const start = l.idle ? s.time : l.busyUntil;
          if (start + lat < fastest) {
            fastest = start + lat;
            fastestLane = l.index;
          }
        }
        let best: { lane: number; variant: number; finish: number } | undefined;
        for (const lane of free) {
          for (let v = 0; v < layer.variants.length; v++) {
            if (layer.variants[v].accuracyDelta > budgetLeft + 1e-12) continue;
            const finish = s.time + s.predict.next(job, lane, v);
            if (finish < (best?.finish ?? Infinity)) best = { lane, variant: v, finish };
          }
        }
        if (!best) continue;
        if (best.lane !== fastestLane && !free.has(fastestLane) && best.finish > vd(job) && fastest < best.finish) continue; // wait for the better lane
        assign.push({ job, lane: best.lane, variant: best.variant });
        free.delete(best.lane);
      }
      return { assign, drop };
    },
  };
}

/**
 * Convergo-style (IEEE 2025): tenants carry accuracy, throughput and deadline SLOs. The policy keeps
 * each tenant's recent record (deadline misses, finished frames) and serves first the tenant closest
 * to violating one of its SLOs; each job takes the fastest variant whose accuracy keeps the tenant
 * above its accuracy floor, on the idle lane where it finishes first.
 */
export function convergo(): Policy {
  const record = new Map<number, { done: number; late: number }>();
  return {
    name: 'convergo',
    observe(f) {
      if (f.kind !== 'layer' || f.job.next + 1 < f.job.layerCount) return;
      const r = record.get(f.job.tenant) ?? { done: 0, late: 0 };
      r.done = r.done * 0.95 + 1; // exponentially forgetting recent window
      record.set(f.job.tenant, r);
    },
    decide(s) {
      if (s.ready.length === 0) return EMPTY;
      const risk = (j: JobState) => {
        const t = s.workload.tenants[j.tenant];
        const slack = j.deadline - s.time - s.predict.remainingBest(j);
        const deadlineRisk = 1 - slack / t.deadline; // 1 = no slack left
        const want = t.slos?.minThroughput ?? 0;
        const rate = t.arrival.type === 'periodic' ? t.arrival.fps : t.arrival.ratePerSec;
        const throughputRisk = want > 0 ? want / Math.max(rate, 1e-9) : 0;
        return Math.max(deadlineRisk, throughputRisk) + j.priority * 1e-3;
      };
      const ordered = [...s.ready].sort((a, b) => risk(b) - risk(a));
      const free = new Set(s.lanes.filter((l) => l.idle).map((l) => l.index));
      const assign: Assignment[] = [];
      const drop: JobState[] = [];
      for (const job of ordered) {
        if (free.size === 0) break;
        const t = s.workload.tenants[job.tenant];
        if (s.time + s.predict.remainingBest(job) > job.deadline + t.deadline) {
          drop.push(job);
          continue;
        }
        const floor = t.slos?.minAccuracy;
        const base = t.baseAccuracy ?? 1;
        const allowance = Math.min(t.accuracyBudget ?? 0, floor !== undefined ? base - floor : Infinity);
        const layer = t.layers[job.next];
        let best: { lane: number; variant: number; finish: number } | undefined;
        for (const lane of free) {
          for (let v = 0; v < layer.variants.length; v++) {
            if (job.accuracyUsed + layer.variants[v].accuracyDelta > allowance + 1e-12) continue;
            const finish = s.predict.next(job, lane, v);
            if (finish < (best?.finish ?? Infinity)) best = { lane, variant: v, finish };
          }
        }
        if (!best) continue;
        assign.push({ job, lane: best.lane, variant: best.variant });
        free.delete(best.lane);
      }
      return { assign, drop };
    },
  };
}

export interface PolicyInfo {
  name: string;
  description: string;
  source: string;
  create: () => Policy;
}

export const POLICIES: PolicyInfo[] = [
  { name: 'fcfs', description: 'First come, first served', source: 'baseline', create: fcfs },
  { name: 'rr', description: 'Round robin over tenants', source: 'baseline', create: roundRobin },
  { name: 'edf', description: 'Earliest deadline first', source: 'Liu & Layland, JACM 1973', create: edf },
  { name: 'sjf', description: 'Shortest remaining estimated time first', source: 'baseline (Dysta artifact)', create: sjf },
  { name: 'lsf', description: 'Least slack first', source: 'Band, MobiSys 2022 (baseline)', create: leastSlack },
  { name: 'heft', description: 'Earliest finish time per layer, upward rank order; waits for a busy better lane', source: 'Topcuoglu et al., TPDS 2002; Band, MobiSys 2022', create: heft },
  { name: 'prema', description: 'Token-based priorities 1/3/9, then shortest job', source: 'Choi & Rhu, HPCA 2020', create: prema },
  { name: 'planaria', description: 'Priority / slack, highest first', source: 'Ghodrati et al., MICRO 2020 (as in Dysta)', create: planaria },
  { name: 'sdrm3', description: 'Urgency + fairness (DREAM v1 as in Dysta\'s artifact)', source: 'Kim et al., arXiv 2212.03414v1', create: () => sdrm3() },
  { name: 'dysta', description: 'Predicted remaining time refined online + slack and fairness terms', source: 'Fan et al., MICRO 2023', create: () => dysta('dysta') },
  { name: 'dysta_naive', description: 'Dysta without online refinement', source: 'Fan et al., MICRO 2023', create: () => dysta('dysta_naive') },
  { name: 'dream', description: 'Tessera-DREAM: per-lane urgency, fairness, energy preference; drops hopeless frames; retunes online from UXCost', source: 'Tessera, after Kim et al., ASPLOS 2023', create: () => tesseraDream() },
  { name: 'terastal', description: 'Per-layer virtual budgets; joint lane + variant choice within the accuracy budget', source: 'Tessera, after Wu et al., RTCSA 2026', create: terastal },
  { name: 'convergo', description: 'Serves the tenant closest to violating an SLO; variants within the accuracy floor', source: 'Tessera, after Convergo, IEEE 2025', create: convergo },
];

export function createPolicy(name: string): Policy {
  const info = POLICIES.find((p) => p.name === name);
  if (!info) throw new Error(`Unknown policy "${name}". Known policies: ${POLICIES.map((p) => p.name).join(', ')}`);
  return info.create();
}
