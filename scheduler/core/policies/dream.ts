import type { Decision, Feedback, JobState, Policy, Predictor, SimWorkload, Snapshot } from '../types';
import { budgetLeftOf, variantAllowed, variantUsable } from '../whitelist';
import { Scratch, fastestSuffix } from './common';
import { ModelSwitch, type ModelSwitchOptions } from './model-switch';

export interface DreamWeights {
  /** Urgency: predicted remaining latency on this lane / slack, capped at 1. */
  urgency: number;
  /** Fairness: time waited since the job's last layer / its relative deadline, capped at 1. */
  fairness: number;
  /** Energy preference: lowest energy of this layer on any lane / its energy on this lane, scaled by (1 - urgency). */
  energy: number;
  /** Lane fit: the layer's fastest latency / its latency on this lane. */
  speed: number;
  /** Progress: share of the job's layers already run (finishing a started frame wastes no work). */
  progress: number;
}

export interface DreamOptions {
  weights?: Partial<DreamWeights>;
  /** Switching whitelist tenants to their model variant under overload (model-switch.ts). */
  modelSwitch?: ModelSwitchOptions;
  /** Retune the weights online from the UXCost of recent windows (default true). */
  adapt?: boolean;
  /** Windows per evaluation period of the online tuner (default 2). */
  periodWindows?: number;
  /**
   * Drop a frame only when even its fastest path would finish this share of its relative deadline
   * late (default 0.6): predictions are means, and a frame predicted late may still make it (a
   * larger margin cost a few % energy and saved misses on the synthetic XRBench-like workloads).
   */
  dropMargin?: number;
}

interface VariantTables {
  w: SimWorkload;
  hasVariants: Uint8Array;
  /** Per tenant: its accuracy budget (0 when it has none). */
  budget: Float64Array;
  minSuffix: Float64Array[];
  /** Per tenant: index of its layer 0 in fastLat's rows. */
  layerBase: Int32Array;
  /** Per (tenant layer, lane): fastest profiled latency over the variants within the tenant's budget, and that variant's accuracy loss. */
  fastLat: Float64Array;
  fastDelta: Float64Array;
  /** Which variant that is (whitelist tenants check it against the frame's combinations). */
  fastVar: Int32Array;
}

function variantTables(w: SimWorkload): VariantTables {
  const nL = w.lanes.length;
  const layerBase = new Int32Array(w.tenants.length);
  let n = 0;
  w.tenants.forEach((t, i) => {
    layerBase[i] = n;
    n += t.layers.length;
  });
  const fastLat = new Float64Array(n * nL).fill(Infinity);
  const fastDelta = new Float64Array(n * nL);
  const fastVar = new Int32Array(n * nL);
  w.tenants.forEach((t, i) => {
    const budget = (t.accuracyBudget ?? 0) + 1e-12;
    t.layers.forEach((layer, li) => {
      layer.variants.forEach((v, vi) => {
        if (!variantUsable(t, li, vi, budget)) return;
        v.cost.forEach((c, l) => {
          const k = (layerBase[i] + li) * nL + l;
          if (c && c.latency < fastLat[k]) {
            fastLat[k] = c.latency;
            fastDelta[k] = v.accuracyDelta;
            fastVar[k] = vi;
          }
        });
      });
    });
  });
  return {
    w,
    budget: Float64Array.from(w.tenants, (t) => t.accuracyBudget ?? 0),
    hasVariants: Uint8Array.from(w.tenants, (t) => ((t.whitelist ? t.whitelist.combos.length > 0 : (t.accuracyBudget ?? 0) > 0) && t.layers.some((l) => l.variants.length > 1) ? 1 : 0)),
    minSuffix: fastestSuffix(w, (t) => t.accuracyBudget ?? 0),
    layerBase,
    fastLat,
    fastDelta,
    fastVar,
  };
}

/**
 * The variant for a chosen (job, lane), within the tenant's accuracy budget: if the original layer
 * cannot meet the deadline here, the least accuracy loss that can (else the fastest); if other jobs
 * queue for this lane, the fastest variant within the budget spent at a steady pace (1.5x the share
 * of layers done); otherwise the original.
 */
function chooseVariant(s: Snapshot, j: Snapshot['ready'][number], l: number, rows: Float64Array, o: number, b: number, contended: boolean, forced: number, always = false): number {
  // The pair's latency, estimate and rest are read from its PathMemo row (offsets are small integers:
  // double arguments of a call that is not inlined are boxed, an allocation per call).
  const lat = rows[b + L_LAT];
  const est = rows[b + L_EST];
  const rest = rows[o + R_REST];
  const tenant = s.workload.tenants[j.tenant];
  // A tenant switched to its model variant runs that combination's variant wherever it is faster
  // than the original (a variant may be slower on another lane).
  if (forced > 0 && variantAllowed(tenant, j, forced, 0, 0) && (always || s.predict.next(j, l, forced) < lat)) return forced;
  const budget = tenant.accuracyBudget ?? 0;
  const budgetLeft = budgetLeftOf(tenant, j);
  const variants = tenant.layers[j.next].variants;
  if (budgetLeft <= 1e-9 || variants.length < 2) return 0;
  const t = s.time;
  const feasible = t + est <= j.deadline;
  if (feasible && !contended) return 0;
  const x = est - lat - rest;
  const paced = budgetLeft - budget * (1 - Math.min(1, (1.5 * (j.next + 1)) / j.layerCount));
  let fastV = 0;
  let fastLat = lat;
  let okV = -1;
  let okDelta = Infinity;
  for (let k = 1; k < variants.length; k++) {
    const delta = variants[k].accuracyDelta;
    if (!variantAllowed(tenant, j, k, delta, budgetLeft)) continue;
    const lk = s.predict.next(j, l, k);
    if (lk < fastLat && (!feasible || delta <= paced)) {
      fastLat = lk;
      fastV = k;
    }
    if (!feasible && delta < okDelta && t + x + lk + rest <= j.deadline) {
      okV = k;
      okDelta = delta;
    }
  }
  return okV >= 0 ? okV : fastV;
}

/** Whether some lane and variant within the budget lets the job still meet its deadline (rest at its fastest). */
function feasibleWithVariants(s: Snapshot, j: Snapshot['ready'][number], budgetLeft: number, restFast: number): boolean {
  const tenant = s.workload.tenants[j.tenant];
  const variants = tenant.layers[j.next].variants;
  for (let l = 0; l < s.lanes.length; l++) {
    const x = s.predict.transfer(j, l);
    for (let k = 0; k < variants.length; k++) {
      if (!variantAllowed(tenant, j, k, variants[k].accuracyDelta, budgetLeft)) continue;
      if (s.time + x + s.predict.next(j, l, k) + restFast <= j.deadline) return true;
    }
  }
  return false;
}

/**
 * Upper bound of a feasible pair's score (lane block at `b`), `base` = wF + progress: urgency in
 * [0, 1] and fairness <= 1 give score <= base + max(wU, pre), plus a margin for rounding.
 * -Infinity: the lane never scores the job; NaN: no bound (infeasible: a variant could raise pre).
 */
function pairBoundAt(rows: Float64Array, b: number, base: number, wU: number, t: number, deadline: number): number {
  if (rows[b + L_LAT] === Infinity) return -Infinity;
  const est = rows[b + L_EST];
  if (!(est >= 0 && t + est <= deadline)) return NaN;
  const pre = rows[b + L_PRE];
  return base + (pre > wU ? pre : wU) + 1e-9 * (1 + Math.abs(base) + Math.abs(pre) + Math.abs(wU));
}

/**
 * Whether a frame whose fastest row estimate misses its deadline (plus the margin) misses even with
 * variants within its accuracy budget on any lane, the rest of it at its fastest (`minRatio`: the
 * tenant's lowest ratio): then it is dropped.
 */
function hopeless(s: Snapshot, j: JobState, whole: boolean, V: VariantTables, minRatio: number): boolean {
  const budgetLeft = !whole && V.hasVariants[j.tenant] ? budgetLeftOf(s.workload.tenants[j.tenant], j) : 0;
  return budgetLeft <= 1e-9 || !feasibleWithVariants(s, j, budgetLeft, V.minSuffix[j.tenant][j.next + 1] * minRatio);
}

/** The job's part of every pair's score: wF x fairness (time waited since its last layer / its relative deadline, capped at 1) + progress. */
function commonTerm(wF: number, t: number, j: JobState, progress: number): number {
  const relDeadline = j.deadline - j.release;
  const waited = t - j.lastRun;
  const fairness = relDeadline > 0 && waited < relDeadline ? waited / relDeadline : 1;
  return wF * fairness + progress;
}

/** When the job's next layer would end on its fastest lane: after what the lane still runs plus half the backlog of the others that prefer it. */
function fastLaneFinish(t: number, wait: number, backlog: number, bestLat: number, estFast: number): number {
  return t + (wait + 0.5 * Math.max(0, backlog - bestLat)) + estFast;
}

/** A detour to lane l, slower than the job's fastest, that waiting for the fastest is expected to beat (and the deadline can wait): the pair is not scored. */
function detourNotWorth(l: number, fast: number, t: number, est: number, feasible: boolean, fastFinish: number, deadline: number): boolean {
  return l !== fast && t + est > fastFinish && (fastFinish <= deadline || !feasible);
}

/** A pair's score: wU x urgency (estimate / slack, capped at 1) + the job's common term + (1 - urgency) x pre, minus 10 when it misses. */
function pairScore(est: number, feasible: boolean, slack: number, invSlack: number, wU: number, common: number, pre: number): number {
  const urgency = est < slack ? est * invSlack : 1;
  return wU * urgency + common + (1 - urgency) * pre - (feasible ? 0 : 10);
}

/**
 * An infeasible pair (the job, row at `o`, on lane l) scored with the fastest variant within the
 * budget (offline table x the lane's ratio) when that is faster and allowed: its estimate, whether it
 * meets the deadline and its pre term go into out[0..2] (true); false when no variant applies. The
 * variant itself is chosen after matching (chooseVariant).
 */
function withFastVariant(s: Snapshot, j: JobState, l: number, rows: Float64Array, o: number, memo: PathMemo, V: VariantTables, budgetLeft: number, wE: number, wS: number, out: Float64Array): boolean {
  const nL = s.lanes.length;
  const tn = j.tenant;
  const b = o + R_LANES + l * LB;
  const lat = rows[b + L_LAT];
  const vk = (V.layerBase[tn] + j.next) * nL + l;
  const fl = V.fastLat[vk] * memo.tRatio[tn * nL + l];
  if (!(fl < lat && variantAllowed(s.workload.tenants[tn], j, V.fastVar[vk], V.fastDelta[vk], budgetLeft))) return false;
  const rest = rows[o + R_REST];
  const rFast = V.minSuffix[tn][j.next + 1] * memo.tMinRatio[tn];
  const x = rows[b + L_EST] - lat - rest;
  const e = (rows[o + memo.COLD + l * CB + C_ENERGY] * fl) / lat;
  out[0] = x + fl + rest;
  out[1] = s.time + x + fl + rFast <= j.deadline ? 1 : 0;
  out[2] = wE * (e > 0 ? rows[o + R_MIN_E] / e : 1) + wS * (rows[o + R_BEST_LAT] / fl);
  return true;
}

/**
 * Puts the job (row at `o`) on lane `bl`, `backlog`: the lane's backlog. The original layer when no
 * variant is forced, nobody else queues for the lane and the deadline is met with it; else
 * chooseVariant's pick.
 */
function assignPair(s: Snapshot, sc: Scratch, switcher: ModelSwitch, j: JobState, bl: number, rows: Float64Array, o: number, backlog: number, whole: boolean): void {
  const rest = rows[o + R_REST];
  const b = o + R_LANES + bl * LB;
  const estHere = rows[b + L_EST];
  // Others queue for this lane: its backlog holds more than this job's own next layer.
  const contended = backlog > ((rows[o + R_FAST] | 0) === bl ? estHere - rest : 0) + 1e-12;
  const forced = whole ? 0 : switcher.forced(j.tenant, j.next);
  const keep = whole || (forced <= 0 && !contended && s.time + estHere <= j.deadline);
  sc.assign(j.id, bl, keep ? 0 : chooseVariant(s, j, bl, rows, o, b, contended, forced, switcher.always(j.tenant)));
}

/** Row layout of PathMemo: scalars, one block of LB values per lane from R_LANES, then one of CB per lane from COLD. */
const R_STAMP = 0;
const R_XDONE = 1;
const R_REST = 2;
const R_BEST_EST = 3;
const R_FAST = 4;
const R_FAST_DONE = 5;
const R_MIN_E = 6;
const R_BEST_LAT = 7;
const R_EST_FAST = 8;
/** (wP x layers done) / layers: the progress part of the score. */
const R_PROGRESS = 9;
const R_LANES = 10;
/**
 * A lane's block: the values a (job, lane) score reads sit together (one cache line, not one per
 * quantity): the next layer's latency, the estimated rest of the job, wE x energy preference + wS x
 * lane fit (original variant).
 */
const L_LAT = 0;
const L_EST = 1;
const L_PRE = 2;
const LB = 3;
/** After the lane blocks, per lane, what only a row's fill (and a variant) reads: kept out of the scored lines. */
const C_ENERGY = 0;
const C_X = 1;
const C_XE = 2;
const CB = 3;

/**
 * DREAM's per-job terms that depend only on (tenant, next layer, lane holding the activations), the
 * tenant's observed/expected ratios and the weights: per lane, the next layer's refined latency and
 * energy, the estimated rest of the job if that layer runs there, and the weighted energy and
 * lane-fit part of the score; the fastest lane and when the layer would end there; the lowest
 * energy. Jobs of a tenant at the same layer and lane share an entry, and an entry stays valid until
 * one of its tenant's ratios changes (LayerMemo's rule, with the lane of the activations added to
 * the key because transfers depend on it) or a weight does (the online tuner moves them once per
 * evaluation period, every few windows). Each entry is one row of a Float64Array (stride `R`), so a job's terms sit together in
 * memory; the transfer terms, which no ratio changes, are computed once per entry.
 * A tenant's ratios are read again only when the predictor's ratioVersion for it moved (one number
 * per tenant, not one per lane, per decision); predictors without it are polled.
 */
class PathMemo {
  private w: SimWorkload | undefined;
  private p: Predictor | undefined;
  private whole = false;
  private nL = 0;
  /** Per tenant: its first row; the stamp its rows are valid for. */
  base = new Int32Array(0);
  epoch = new Uint32Array(0);
  private ratios = new Float64Array(0);
  /** Per tenant: the predictor's ratioVersion when its ratios were last read (NaN: never). */
  private version = new Float64Array(0);
  /** The ratios as last read (tenant x lane), and each tenant's lowest. */
  tRatio = new Float64Array(0);
  tMinRatio = new Float64Array(0);
  private counter = 0;
  private wE = NaN;
  private wS = NaN;
  private wP = NaN;
  private tmpLat = new Float64Array(0);
  private tmpE = new Float64Array(0);
  /** Row stride (see the R_* and L_* constants). */
  R = 0;
  COLD = 0;
  rows = new Float64Array(0);

  /** Call at the start of every decide(), with the weights in use (wv, in KEYS' order; an array: double arguments of a call that is not inlined are boxed, an allocation per decision). */
  begin(s: Snapshot, p: Predictor, whole: boolean, weights: Float64Array): void {
    const wE = weights[W_E];
    const wS = weights[W_S];
    const wP = weights[W_P];
    const w = s.workload;
    const nL = s.lanes.length;
    const nT = w.tenants.length;
    if (this.w !== w || this.p !== p || this.nL !== nL || this.whole !== whole || this.counter > 0xfffff000) {
      this.w = w;
      this.p = p;
      this.nL = nL;
      this.whole = whole;
      this.base = new Int32Array(nT);
      let n = 0;
      w.tenants.forEach((t, i) => {
        this.base[i] = n;
        n += t.layers.length * (nL + 1); // lane of the activations: -1 (none) .. nL - 1
      });
      this.COLD = R_LANES + LB * nL;
      this.R = this.COLD + CB * nL;
      this.rows = new Float64Array(n * this.R); // stamps 0: no entry is valid (epochs start at 1)
      this.tmpLat = new Float64Array(nL);
      this.tmpE = new Float64Array(nL);
      this.epoch = new Uint32Array(nT);
      this.ratios = new Float64Array(nT * nL).fill(NaN); // NaN: never equal, so every tenant starts stale
      this.version = new Float64Array(nT).fill(NaN);
      this.tRatio = new Float64Array(nT * nL);
      this.tMinRatio = new Float64Array(nT);
      this.counter = 0;
    }
    const all = wE !== this.wE || wS !== this.wS || wP !== this.wP;
    if (all) {
      this.wE = wE;
      this.wS = wS;
      this.wP = wP;
    }
    for (let t = 0; t < nT; t++) this.refresh(p, t, all);
  }

  /**
   * begin() for a decision that reads one tenant's rows only (a lone ready job): the same check for
   * that tenant; the others are checked when a decision reads theirs (each ratio is compared with the
   * one read last, so a later check finds what an earlier one would have). begin() itself when the
   * workload, predictor or weights changed (every tenant's rows go stale then).
   */
  beginOne(s: Snapshot, p: Predictor, whole: boolean, weights: Float64Array, t: number): void {
    if (this.w !== s.workload || this.p !== p || this.nL !== s.lanes.length || this.whole !== whole || this.counter > 0xfffff000 || weights[W_E] !== this.wE || weights[W_S] !== this.wS || weights[W_P] !== this.wP) {
      this.begin(s, p, whole, weights);
      return;
    }
    this.refresh(p, t, false);
  }

  /** Reads tenant t's ratios if its ratioVersion moved (always without one); a change, or `all`, moves its epoch. */
  private refresh(p: Predictor, t: number, all: boolean): void {
    const nL = this.nL;
    if (p.ratioVersion !== undefined) {
      const v = p.ratioVersion(t);
      if (v === this.version[t]) {
        if (all) this.epoch[t] = ++this.counter;
        return;
      }
      this.version[t] = v;
    }
    const r = this.ratios;
    const tRatio = this.tRatio;
    let stale = all;
    let m = Infinity;
    for (let l = 0; l < nL; l++) {
      const x = p.ratio(t, l);
      tRatio[t * nL + l] = x;
      if (x < m) m = x;
      if (r[t * nL + l] !== x) {
        r[t * nL + l] = x;
        stale = true;
      }
    }
    this.tMinRatio[t] = m;
    if (stale) this.epoch[t] = ++this.counter;
  }

  /**
   * Fills the job's row at offset `o`: (base[tenant] + next x (lanes + 1) + lastLane + 1) x R. The
   * row is valid while rows[o + R_STAMP] equals epoch[tenant] (the caller checks, inline).
   */
  fill(j: JobState, o: number, p: Predictor, whole: boolean): void {
    const nL = this.nL;
    const rows = this.rows;
    rows[o + R_STAMP] = this.epoch[j.tenant];
    const oL = o + R_LANES;
    const oC = o + this.COLD;
    if (rows[o + R_XDONE] === 0) {
      // Transfers depend on the layer and the two lanes only. A move to another lane costs the move
      // there and, most likely, a move back: count both in the estimate (the link costs are
      // symmetric) when the job's activations are elsewhere.
      const twice = j.lastLane >= 0 && j.next + 1 < j.layerCount;
      for (let l = 0; l < nL; l++) {
        const x = p.transfer(j, l);
        rows[oC + l * CB + C_X] = x;
        rows[oC + l * CB + C_XE] = twice ? 2 * x : x;
      }
      rows[o + R_XDONE] = 1;
    }
    const rest = whole ? 0 : p.remainingBest(j, j.next + 1);
    rows[o + R_REST] = rest;
    const lat = this.tmpLat;
    const en = this.tmpE;
    p.nextAll(j, 0, lat, en, 0);
    let bestEst = Infinity;
    let fast = -1;
    let fastDone = Infinity;
    let minE = Infinity;
    for (let l = 0; l < nL; l++) {
      const b = oL + l * LB;
      const el = en[l];
      const c = oC + l * CB;
      rows[c + C_ENERGY] = el;
      if (el < minE) minE = el;
      const ll = lat[l];
      rows[b + L_LAT] = ll;
      if (ll === Infinity) {
        rows[b + L_EST] = Infinity;
        continue;
      }
      const x = rows[c + C_X];
      const v = (whole ? p.remainingOn(j, l) : ll + rest) + rows[c + C_XE];
      rows[b + L_EST] = v;
      if (v < bestEst) bestEst = v;
      if (ll + x < fastDone) {
        fastDone = ll + x;
        fast = l;
      }
    }
    const bestLat = fast >= 0 ? lat[fast] : Infinity;
    rows[o + R_BEST_EST] = bestEst;
    rows[o + R_FAST] = fast;
    rows[o + R_FAST_DONE] = fastDone;
    rows[o + R_MIN_E] = minE;
    rows[o + R_BEST_LAT] = bestLat;
    rows[o + R_EST_FAST] = fast >= 0 ? rows[oL + fast * LB + L_EST] : Infinity;
    rows[o + R_PROGRESS] = (this.wP * j.next) / j.layerCount;
    const wE = this.wE;
    const wS = this.wS;
    for (let l = 0; l < nL; l++) {
      // A zero-energy layer (a profile's estimate for a layer below the timer's resolution, or a
      // meter reading 0) is the cheapest there is: 0/0 would make the score NaN, never chosen.
      const el = en[l];
      rows[oL + l * LB + L_PRE] = wE * (el > 0 ? minE / el : 1) + wS * (bestLat / lat[l]);
    }
  }
}

export const DREAM_DEFAULT_WEIGHTS: DreamWeights = { urgency: 1, fairness: 0.25, energy: 0.3, speed: 0.5, progress: 0.5 };
const KEYS: (keyof DreamWeights)[] = ['urgency', 'fairness', 'energy', 'speed', 'progress'];
/**
 * The weights in use as decide() reads them: a Float64Array in KEYS' order (W_U ... W_P), not the
 * tuner's objects. Those start with a small integer (urgency 1) that the tuner's first fraction
 * turned into a double, and each such change of object shape deoptimised decide(), decideOne() and
 * PathMemo.begin() in every run (V8's "wrong map"; they were compiled again each time).
 */
const W_U = 0;
const W_F = 1;
const W_E = 2;
const W_S = 3;
const W_P = 4;
const W_MIN = 0;
const W_MAX = 3;

/**
 * Tessera-DREAM: DREAM's scoring (Kim et al., ASPLOS 2023; arXiv 2212.03414) extended to several
 * heterogeneous lanes and to layer variants. Every (ready job, idle lane) pair gets
 *   score = wU x U + wF x F + wP x P + (1 - U) x (wE x E + wS x S)
 *   U = urgency on this lane = min(1, (transfer + next layer here + rest on the fastest lanes) / slack)
 *   F = fairness = min(1, time waited since its last layer / its relative deadline)
 *   P = progress = layers done / layers (finishing a started frame wastes no work)
 *   E = energy preference = lowest energy of this layer on any lane / its energy here
 *   S = lane fit = the layer's fastest latency / its latency here
 * (all predictions refined online), minus 10 if the job would miss its deadline this way. Pairs are
 * taken greedily, best first, one per job and lane. A detour to a lane slower than the job's
 * fastest is skipped when waiting for the fastest lane (what it still runs plus half the backlog of
 * other jobs that prefer it) would finish sooner and still meet the deadline. Variants, within the
 * tenant's accuracy budget (layer granularity only): when the original layer cannot meet the
 * deadline on a lane, the variant with the least accuracy loss that can; when others queue for the
 * lane, the fastest variant within the budget spent at a steady pace (1.5x the share of layers
 * done). A frame that cannot meet its deadline (plus a margin, 60% of its relative deadline) on any lane even with the machine
 * to itself, variants included, is dropped, and its cascade dependents with it. At model
 * granularity the whole remaining model counts.
 *
 * Online tuning (Tessera's): an A/B coordinate search on the five weights. Each period (2 windows)
 * runs either the current weights or a trial with one weight moved by a step; a trial that lowers
 * the period's UXCost (metrics.ts, Tessera's definition, against the all-lanes-busy energy of the
 * period) by 2% or more is kept, otherwise the search reverses direction or moves to the next weight
 * with a smaller step. Weights stay in [0, 3]. state() shows the weights in use and the tuner's step.
 */
export function tesseraDream(options: DreamOptions = {}): Policy {
  const sc = new Scratch();
  const memo = new PathMemo();
  const switcher = new ModelSwitch(options.modelSwitch);
  let jobRow = new Int32Array(64);
  let laneWait = new Float64Array(8);
  let idleLanes = new Int32Array(8);
  let backlog = new Float64Array(8);
  // Per idle lane (by its position q among the idle lanes): its `idle` best-scoring jobs, best first
  // (ties: the lower job index), how many, and the score a job must beat to enter a full list.
  let topScore = new Float64Array(64);
  let topJob = new Int32Array(64);
  let topCount = new Int32Array(8);
  let topMin = new Float64Array(8);
  // Pruning with one or two idle lanes: per (job, idle lane) the bound.
  let pairBound = new Float64Array(128);
  let V: VariantTables | undefined;
  // withFastVariant's answer (estimate, meets, pre).
  const alt = new Float64Array(3);
  const base: DreamWeights = { ...DREAM_DEFAULT_WEIGHTS, ...options.weights };
  let w: DreamWeights = { ...base };
  const wv = new Float64Array(KEYS.length);
  /** Puts weights `x` in use (w for the tuner and state(), wv for decide()). */
  const use = (x: DreamWeights) => {
    w = x;
    KEYS.forEach((k, i) => (wv[i] = x[k]));
  };
  use(w);
  const adapt = options.adapt ?? true;
  const periodWindows = options.periodWindows ?? 2;
  const dropMargin = options.dropMargin ?? 0.6;
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
    const trial = { ...base };
    trial[k] = Math.min(W_MAX, Math.max(W_MIN, base[k] + dir * step));
    use(trial);
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
      use({ ...base });
      phase = 'base';
    }
    pE = pRef = pEnded = pMissed = 0;
  };

  /**
   * decide() for one ready job (most decisions of a run that keeps up) in a short code path of its
   * own: the general one (passes, lane lists, matching) runs through tens of kB of machine code, and
   * with the simulator's code around it that overflowed the instruction cache in every decision
   * (cachegrind, vr_gaming balanced: 266 I1 misses per layer execution, fcfs 27). The same rules
   * (the helpers above), so the same decision: the job's best-scoring idle lane (the first on ties).
   */
  const decideOne = (s: Snapshot, d: Decision, Vt: VariantTables): Decision => {
    const j = s.ready[0];
    const tn = j.tenant;
    const p = s.predict;
    const t = s.time;
    const whole = s.preemption === 'model';
    const lanes = s.lanes;
    const nL = lanes.length;
    memo.beginOne(s, p, whole, wv, tn);
    const rows = memo.rows;
    const o = (memo.base[tn] + j.next * (nL + 1) + j.lastLane + 1) * memo.R;
    if (rows[o + R_STAMP] !== memo.epoch[tn]) memo.fill(j, o, p, whole);
    if (t + rows[o + R_BEST_EST] > j.deadline + dropMargin * (j.deadline - j.release) && hopeless(s, j, whole, Vt, memo.tMinRatio[tn])) {
      d.drop.push(j.id);
      return d;
    }
    const fast = rows[o + R_FAST] | 0;
    // The only job's backlog: its own next layer on its fastest lane.
    const backlog = fast >= 0 ? rows[o + R_FAST_DONE] : 0;
    const fastFinish = fast >= 0 ? fastLaneFinish(t, (lanes[fast].idle || lanes[fast].busyUntil < t ? t : lanes[fast].busyUntil) - t, backlog, rows[o + R_BEST_LAT], rows[o + R_EST_FAST]) : Infinity;
    const deadline = j.deadline;
    const slack = deadline - t;
    const invSlack = slack > 1e-12 ? 1 / slack : Infinity;
    const common = commonTerm(wv[W_F], t, j, rows[o + R_PROGRESS]);
    let budgetLeft = NaN;
    let bl = -1;
    let bs = -Infinity;
    for (let l = 0; l < nL; l++) {
      if (!lanes[l].idle) continue;
      const b = o + R_LANES + l * LB;
      if (rows[b + L_LAT] === Infinity) continue;
      let est = rows[b + L_EST];
      let feasible = t + est <= deadline;
      let pre = rows[b + L_PRE];
      if (!feasible) {
        if (budgetLeft !== budgetLeft) budgetLeft = !whole && Vt.hasVariants[tn] ? budgetLeftOf(s.workload.tenants[tn], j) : 0;
        if (budgetLeft > 1e-9 && withFastVariant(s, j, l, rows, o, memo, Vt, budgetLeft, wv[W_E], wv[W_S], alt)) {
          est = alt[0];
          feasible = alt[1] === 1;
          pre = alt[2];
        }
      }
      if (detourNotWorth(l, fast, t, est, feasible, fastFinish, deadline)) continue;
      const v = pairScore(est, feasible, slack, invSlack, wv[W_U], common, pre);
      if (v > bs) {
        bs = v;
        bl = l;
      }
    }
    if (bl >= 0) assignPair(s, sc, switcher, j, bl, rows, o, fast === bl ? backlog : 0, whole);
    return d;
  };

  return {
    name: 'dream',
    state: () => ({ ...w, tunerStep: step, tunerTrials: trials, tunerAccepted: accepted, ...(switcher.active ? switcher.state() : {}) }),
    events: () => switcher.events(),
    observe(f: Feedback) {
      switcher.observe(f);
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
      if (jobRow.length < n) {
        jobRow = new Int32Array(Math.max(n, jobRow.length * 2));
        pairBound = new Float64Array(2 * jobRow.length);
      }
      if (!V || V.w !== s.workload) {
        V = variantTables(s.workload);
        switcher.ensure(s.workload);
      }
      if (n === 1) return decideOne(s, d, V);
      if (laneWait.length < nL) {
        laneWait = new Float64Array(nL);
        idleLanes = new Int32Array(nL);
        backlog = new Float64Array(nL);
        topCount = new Int32Array(nL);
        topMin = new Float64Array(nL);
      }
      if (topScore.length < nL * nL) {
        topScore = new Float64Array(nL * nL);
        topJob = new Int32Array(nL * nL);
      }
      const p = s.predict;
      const t = s.time;
      const whole = s.preemption === 'model';
      const wU = wv[W_U];
      const wF = wv[W_F];
      const wE = wv[W_E];
      const wS = wv[W_S];
      // Locals: the hot loops below read them many times (a closure variable is a load each time).
      const Vt = V;
      const rowOf = jobRow;
      const wait = laneWait;
      const idleL = idleLanes;
      const back = backlog;
      const taken = sc.taken;
      let idle = 0;
      for (let l = 0; l < nL; l++) {
        const ls = lanes[l];
        // When the lane is free, minus now: what a job waits for it before the rest of the queue.
        wait[l] = (ls.idle || ls.busyUntil < t ? t : ls.busyUntil) - t;
        back[l] = 0;
        if (ls.idle) idleL[idle++] = l;
      }

      // Per (tenant, next layer, lane of the activations): the next layer's latency and energy per
      // lane, the estimated rest of the job if it runs there, the fastest lane: they depend on the
      // tenant's ratios only, so jobs share them and a decision recomputes only the tenants whose
      // ratios moved since the last one (in a run: the tenant whose layer just ended).
      memo.begin(s, p, whole, wv);
      const rows = memo.rows;
      const tMinRatio = memo.tMinRatio;

      // With one or two idle lanes, pass 2 skips a pair whose best case cannot enter its lane's list
      // (see there): its bound is found here, where the job's row is read anyway, and pass 2 reads
      // one number per pair (job i, idle lane q: bound[2i + q]). NaN: the pair is scored.
      const prune = wF >= 0 && idle >= 1 && idle <= 2;
      const two = idle === 2;
      const bO0 = R_LANES + (idle >= 1 ? idleL[0] : 0) * LB;
      const bO1 = R_LANES + (two ? idleL[1] : 0) * LB;
      const bound = pairBound;
      // Per idle lane, the job with the highest bound (-1: none), scored first (see pass 2).
      let seed0 = -1;
      let seed1 = -1;
      let seedB0 = -Infinity;
      let seedB1 = -Infinity;
      // Pass 1: drops, and each lane's backlog (the next layers of the jobs that would rather run there).
      const mBase = memo.base;
      const mEpoch = memo.epoch;
      const R = memo.R;
      const stride = nL + 1;
      for (let i = 0; i < n; i++) {
        const j = ready[i];
        const tn = j.tenant;
        const o = (mBase[tn] + j.next * stride + j.lastLane + 1) * R;
        if (rows[o + R_STAMP] !== mEpoch[tn]) memo.fill(j, o, p, whole);
        rowOf[i] = o;
        if (t + rows[o + R_BEST_EST] > j.deadline + dropMargin * (j.deadline - j.release) && hopeless(s, j, whole, Vt, tMinRatio[j.tenant])) {
          // Cannot make it on any lane even with the machine to itself (variants within its
          // accuracy budget included): drop it, and its cascade dependents with it.
          d.drop.push(j.id);
          taken[i] = 1;
          continue;
        }
        const fast = rows[o + R_FAST] | 0;
        if (fast >= 0) back[fast] += rows[o + R_FAST_DONE];
        if (prune) {
          const deadline = j.deadline;
          const live = deadline - t > 1e-12;
          const base = wF + rows[o + R_PROGRESS];
          const u0 = live ? pairBoundAt(rows, o + bO0, base, wU, t, deadline) : NaN;
          bound[2 * i] = u0;
          if (u0 > seedB0) {
            seedB0 = u0;
            seed0 = i;
          }
          if (two) {
            const u1 = live ? pairBoundAt(rows, o + bO1, base, wU, t, deadline) : NaN;
            bound[2 * i + 1] = u1;
            if (u1 > seedB1) {
              seedB1 = u1;
              seed1 = i;
            }
          }
        }
      }
      if (seed1 === seed0) seed1 = -1;

      // Pass 2: scores of (job, idle lane) pairs. The matching below takes pairs best first (ties:
      // the lower job index, then the lower lane), one per job and lane, for at most `idle` rounds:
      // a lane's pick is then among its `idle` best jobs (fewer than `idle` jobs are taken before
      // it), so each idle lane keeps only those, not a score per pair.
      const K = idle;
      const tS = topScore;
      const tJ = topJob;
      const tC = topCount;
      const tMin = topMin;
      for (let q = 0; q < idle; q++) {
        tC[q] = 0;
        tMin[q] = -Infinity; // -Infinity or NaN never enters (such a pair is never taken)
      }
      // A pair cannot enter its lane's list when even its best case scores less than the list's last
      // entry: with urgency in [0, 1] and fairness <= 1, score <= wF + progress + max(wU, pre)
      // (rounding covered by a margin; pass 1 found it). Only feasible pairs (a variant could raise
      // pre otherwise) with slack > 1e-12 (else urgency may leave [0, 1]), and wF >= 0. With one or
      // two idle lanes, most jobs are skipped this way (a job when no pair of it can enter), before
      // their own terms are computed; a job kept for one lane is scored on both (cheaper than a test
      // per pair at 4 idle). A pair whose lane never scores it (bound -Infinity) is skipped too once
      // its list is full (before, scoring it finds nothing). The seeds (per lane, the job of highest
      // bound, likely a high score) are scored before the others (steps -2, -1), so that fewer pass
      // the bound; the lists are kept in (score, lower job index) order whatever order jobs are
      // scored in, so a job of a lower index that ties a seed's score, scored later, still takes its
      // place.
      for (let step = prune ? -2 : 0; step < n; step++) {
        const i = step < 0 ? (step === -2 ? seed0 : seed1) : step;
        if (step < 0 ? i < 0 : i === seed0 || i === seed1) continue;
        if (taken[i]) continue;
        if (prune && bound[2 * i] < tMin[0] && (!two || bound[2 * i + 1] < tMin[1])) continue;
        const j = ready[i];
        const o = rowOf[i];
        const deadline = j.deadline;
        const slack = deadline - t;
        const invSlack = slack > 1e-12 ? 1 / slack : Infinity;
        const fast = rows[o + R_FAST] | 0;
        const fastFinish = fast >= 0 ? fastLaneFinish(t, wait[fast], back[fast], rows[o + R_BEST_LAT], rows[o + R_EST_FAST]) : Infinity;
        const common = commonTerm(wF, t, j, rows[o + R_PROGRESS]);
        // The accuracy budget left, looked up only when a lane needs a variant (NaN: not yet).
        let budgetLeft = NaN;
        for (let q = 0; q < idle; q++) {
          const l = idleL[q];
          const b = o + R_LANES + l * LB;
          if (rows[b + L_LAT] === Infinity) continue;
          let est = rows[b + L_EST];
          let feasible = t + est <= deadline;
          let pre = rows[b + L_PRE];
          // withFastVariant, detourNotWorth and pairScore, written out: calls to them here (V8 then
          // inlines less of this loop) cost a 2-idle-lane decision 30-70% (A/B on the bench
          // snapshot); dream-equivalence holds both paths to the reference's decisions.
          if (!feasible) {
            if (budgetLeft !== budgetLeft) budgetLeft = !whole && Vt.hasVariants[j.tenant] ? budgetLeftOf(s.workload.tenants[j.tenant], j) : 0;
            if (budgetLeft > 1e-9) {
              const vk = (Vt.layerBase[j.tenant] + j.next) * nL + l;
              const lat = rows[b + L_LAT];
              const fl = Vt.fastLat[vk] * memo.tRatio[j.tenant * nL + l];
              if (fl < lat && variantAllowed(s.workload.tenants[j.tenant], j, Vt.fastVar[vk], Vt.fastDelta[vk], budgetLeft)) {
                const rest = rows[o + R_REST];
                const rFast = Vt.minSuffix[j.tenant][j.next + 1] * tMinRatio[j.tenant];
                const x = est - lat - rest;
                const e = (rows[o + memo.COLD + l * CB + C_ENERGY] * fl) / lat;
                est = x + fl + rest;
                feasible = t + x + fl + rFast <= deadline;
                pre = wE * (e > 0 ? rows[o + R_MIN_E] / e : 1) + wS * (rows[o + R_BEST_LAT] / fl);
              }
            }
          }
          if (l !== fast && t + est > fastFinish && (fastFinish <= deadline || !feasible)) continue; // a detour not worth it
          const urgency = est < slack ? est * invSlack : 1;
          const v = wU * urgency + common + (1 - urgency) * pre - (feasible ? 0 : 10);
          if (v > tMin[q] || (v === tMin[q] && tC[q] >= K && i < tJ[q * K + K - 1])) {
            // Into lane q's list, after every entry scoring more or as much with a lower job index.
            const c = tC[q];
            const qb = q * K;
            let at = c < K ? c : K - 1;
            while (at > 0 && (tS[qb + at - 1] < v || (tS[qb + at - 1] === v && tJ[qb + at - 1] > i))) {
              tS[qb + at] = tS[qb + at - 1];
              tJ[qb + at] = tJ[qb + at - 1];
              at--;
            }
            tS[qb + at] = v;
            tJ[qb + at] = i;
            if (c < K) tC[q] = c + 1;
            if (c + 1 >= K) tMin[q] = tS[qb + K - 1];
          }
        }
      }

      // Greedy matching: each round, the best pair among the free lanes' best untaken jobs (ties: the
      // lower job index, then the lower lane).
      // Each round takes one job: no more rounds than jobs left after the drops (a later round finds none).
      const rounds = Math.min(idle, n - d.drop.length);
      for (let round = 0; round < rounds; round++) {
        let bq = -1;
        let bi = -1;
        let bs = -Infinity;
        for (let q = 0; q < idle; q++) {
          if (sc.laneTaken[idleL[q]]) continue;
          const qb = q * K;
          for (let r = 0; r < tC[q]; r++) {
            const i = tJ[qb + r];
            if (taken[i]) continue;
            const v = tS[qb + r];
            if (bq < 0 || v > bs || (v === bs && i < bi)) {
              bq = q;
              bi = i;
              bs = v;
            }
            break;
          }
        }
        if (bq < 0) break;
        const bl = idleL[bq];
        taken[bi] = 1;
        assignPair(s, sc, switcher, ready[bi], bl, rows, rowOf[bi], back[bl], whole);
      }
      return d;
    },
  };
}
