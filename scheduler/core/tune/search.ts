// The tuner's search: TPE (tpe.ts) proposes candidates in fixed-size batches, successive halving
// over simulation seeds decides which get more seeds, and every result lands in a cache keyed by
// (candidate, seed). Pure: the search is a generator that yields the simulations it needs and is
// resumed with their results, so the caller decides where they run (worker threads in
// scheduler/tune-run.ts, inline in tests).
//
// Determinism: suggestions depend only on the optimizer seed and on results, which depend only on
// (candidate, seed); batches have a fixed size and results are consumed in request order. So the
// same seed and candidate budget give the same search with 1 worker or 16. A time budget stops at
// a batch boundary and records how many candidates it tried: rerun with that many to reproduce.
// Resume: a checkpoint is the cache; a new search with it replays the same suggestions and skips
// every simulation already in the cache.
//
// Phases: (1) feasibility: a tenant whose fastest path (every layer on its fastest lane, variants
// within its accuracy budget, or the measured whole model where the space has model granularity;
// machine to itself) exceeds its deadline on every layout makes the
// scenario infeasible: reported, no search. (2) E_ref: the reference policy's mean energy over the
// seeds, so that UXCost means one thing for every candidate. (3) baselines: every untuned policy on
// the first layout with default parameters, at layer granularity (the simulator's default) and,
// where the space has it, at model granularity (the live runtime's default): a gain over the best
// of them is the tuner's own, not only a granularity the user would get untuned. With UXCost, a
// candidate missing more frames than the least-missing baseline, in all or of any one tenant (plus
// room for the seeds' noise, not for dropping), ranks after every one that does not, baselines
// included (miss-cap.ts says why).
// (4) floor: each tenant alone on the machine (EDF, with and without its fastest variants, at layer
// and, where profiles measured the whole model, model granularity), same seeds and noise, per
// layout: the misses no schedule of these implementations on that layout avoids, and the least
// energy that runs every frame there; the layout with the least UXCost says how much better any
// schedule can be.
// (5) batches: B suggestions on rung 0's seeds (the first batches start with the structured seeds,
// space.ts structuredSeeds: every policy under heavy-alone and packed pins at each granularity, and
// unpinned at the granularities and layouts the baselines do not cover), the
// best 1/eta of them on rung 1's, ..., the last rung = all seeds. Only last-rung candidates can be
// "best" and enter the Pareto front (miss rate vs energy), so every figure reported has all seeds.
import { fnv1a } from '../calibration';
import { t975 } from '../stats';
import { rng } from '../rng';
import { wholeModelWorkload } from '../groups';
import { relativeDeadline, type SimWorkload } from '../types';
import { evaluateCandidate, objectiveValue, type EvalResult, type Objective, type SimSettings, type TuneLayout } from './evaluate';
import { applyVariantChoice, candidateKey, checkSpace, defaultCandidate, isActive, paramsOf, structuredSeeds, tenantsWithVariants, toAssignment, toCandidate, type Candidate, type TuneSpace } from './space';
import { suggest, type Assignment, type Observation } from './tpe';
import { missCaps, missPenalty } from './miss-cap';

export interface TuneOptions {
  /** Optimizer seed (default 1). */
  seed?: number;
  /** Simulation seeds of the last rung: 1..simSeeds (default 5). */
  simSeeds?: number;
  /** Candidates to propose, baselines not counted (default 64). */
  maxCandidates?: number;
  /** Candidates per batch (default 8). Part of what makes a search reproducible. */
  batch?: number;
  /** Successive halving: keep the best 1/eta at each rung (default 2). */
  eta?: number;
  objective: Objective;
  space: TuneSpace;
  sim: SimSettings;
  /** Untuned policies to compare against (default: the space's policies). */
  baselines?: string[];
  /** Policy whose mean energy is E_ref (default the first baseline). */
  reference?: string;
  /** Checked at every batch boundary: true stops the search there (time budget, cancel). */
  shouldStop?: () => boolean;
  /** A previous search's cache (checkpoint()): those simulations are not run again. */
  resume?: Checkpoint;
  /**
   * A tenant that misses its deadline even alone: 'stop' (default) returns status 'infeasible'
   * with no search; 'search' searches anyway (the other tenants still gain) and returns the
   * result with `infeasible` set, so that it is never read as meeting every deadline.
   */
  whenInfeasible?: 'stop' | 'search';
}

export interface EvalRequest {
  candidate: Candidate;
  seed: number;
  /** undefined while E_ref is being measured. */
  referenceJoules?: number;
  /** Simulate this tenant alone (the floor; evaluateCandidate's isolate). */
  isolate?: number;
}

export interface Interval {
  mean: number;
  sd: number;
  /** 95% confidence interval of the mean over seeds (Student t). */
  lo: number;
  hi: number;
  n: number;
}

export interface CandidateSummary {
  candidate: Candidate;
  origin: 'baseline' | 'search';
  seeds: number[];
  objective: Interval;
  missRate: Interval;
  energyJ: Interval;
  averageWatts: Interval;
  uxcost: Interval;
  xrbench: Interval;
  p99Ms: Interval;
  perTenant: { tenant: string; missRate: Interval; p99Ms: Interval }[];
  /** UXCost: it misses more than a miss cap allows, in all or for a tenant, so it ranks after every candidate within them (its objective carries the penalty). */
  overMissCap?: true;
}

export interface TriedCandidate {
  index: number;
  batch: number;
  origin: 'baseline' | 'search';
  candidate: Candidate;
  /** Seeds it got (successive halving) and its mean objective over them. */
  seeds: number;
  objective: number;
  missRate: number;
  energyJ: number;
}

export interface InfeasibleTenant {
  tenant: string;
  /** Fastest isolated latency over every layout (ms) and the deadline (ms). */
  bestIsolatedMs: number;
  deadlineMs: number;
  /** Original layers only were counted: the same with the measured variants within its accuracy budget (when faster). */
  withVariantsMs?: number;
}

/** What no schedule of these implementations can beat by much (phase 4 above). */
export interface TuneFloor {
  /** The layout (index) whose lanes give the least floor UXCost: misses and energy are both that layout's. */
  layout: number;
  perTenant: { tenant: string; missRate: number; released: number; joulesPerFrame: number }[];
  /** Released-frame-weighted miss rate of every tenant alone on the machine. */
  missRate: number;
  /** Every released frame (the best baseline's mean counts) run once on its least-energy lane and implementation. */
  energyJ: number;
  /** (energyJ / E_ref) x (missRate + 0.01). */
  uxcost: number;
  /** 1 - floor UXCost / best baseline's: the most any schedule that runs every frame can gain (0.2 = 20%). */
  headroom?: number;
}

export interface TuneResult {
  status: 'done' | 'stopped' | 'infeasible';
  /** Tenants that cannot meet their deadline even alone (status 'infeasible', or any status with whenInfeasible 'search'). */
  infeasible?: InfeasibleTenant[];
  objective: Objective;
  referencePolicy: string;
  referenceJoules: number;
  simSeeds: number[];
  rungs: number[];
  baselines: CandidateSummary[];
  bestBaseline?: CandidateSummary;
  best?: CandidateSummary;
  /** (best baseline's objective - best's) / |best baseline's|: 0.2 = 20% better. */
  improvement?: number;
  /**
   * The same, paired seed by seed: (baseline's - best's objective on seed s) / |baseline's mean|,
   * mean (= improvement) and 95% CI. Both ran the same frames at the same speed drift on each seed
   * (common random numbers): this is the CI of the improvement itself. The two candidates' own CIs
   * overlap widely when drift moves both alike, and say little about their difference.
   */
  improvementInterval?: Interval;
  /** UXCost objective: candidates with a mean miss rate above this rank after every one within it. */
  missCap?: number;
  /** UXCost objective: likewise per tenant (tenantMissCap of the least-missing untuned policy, named by missCapBaseline). */
  tenantMissCaps?: { tenant: string; missCap: number }[];
  missCapBaseline?: Candidate;
  /** UXCost objective: the floor (not computed for an infeasible scenario). */
  floor?: TuneFloor;
  /** The best last-rung candidates, best first (at most 10). */
  top: CandidateSummary[];
  /** Last-rung candidates and baselines that no other beats on both mean miss rate and mean energy. */
  pareto: CandidateSummary[];
  /** Every candidate in the order tried, with the best objective so far (for a best-so-far chart). */
  tried: (TriedCandidate & { bestSoFar: number })[];
  candidatesTried: number;
  simulations: number;
  /** Simulations answered from a resumed checkpoint. */
  fromCheckpoint: number;
  /** Every configuration of the space was tried before the budget ran out. */
  spaceExhausted: boolean;
}

export interface Checkpoint {
  version: 1;
  /** cacheKey -> result; non-finite numbers as strings (JSON has none). */
  results: [string, EvalResult][];
  /** The simulation settings its results were made with (a cached result is only valid under them). */
  sim?: SimSettings;
  /** problemKey() of the layouts it was made for: other profiles, load, lanes or calibration give other results. */
  problem?: string;
}

/** A fingerprint of what the simulations run on: every layout's lanes and workload (latencies, frame rates, deadlines). */
export function problemKey(layouts: readonly TuneLayout[]): string {
  const text = JSON.stringify(layouts.map((l) => [l.lanes, l.workload]));
  return `${fnv1a(text)}-${text.length.toString(16)}`;
}

/** The settings that change a simulation's result, in a fixed order (absent drift = 0). */
const simKey = (s: SimSettings) => JSON.stringify([s.duration, s.latencyNoise, s.jobNoise, s.window, s.speedDrift ?? 0]);

export interface TuneProgress {
  phase: 'reference' | 'baselines' | 'floor' | 'search';
  candidatesTried: number;
  maxCandidates: number;
  simulations: number;
  best?: number;
}

/**
 * Mean and Student-t 95% interval over the seeds, clipped to the quantity's range (`range`: a
 * miss rate [0, 1], an energy or a latency [0, Infinity)): with few, spread seeds the symmetric
 * interval of a rate near 0 reaches below it ("5.3% [-1.3%, 12.0%]"), which no run can measure.
 */
export function interval(xs: number[], range: readonly [number, number] = [-Infinity, Infinity]): Interval {
  const v = xs.filter(Number.isFinite);
  const n = v.length;
  if (n === 0) return { mean: xs.length ? Infinity : NaN, sd: NaN, lo: NaN, hi: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? t975(n - 1) * (sd / Math.sqrt(n)) : 0;
  return { mean, sd, lo: Math.max(range[0], mean - half), hi: Math.min(range[1], mean + half), n };
}

/**
 * The 95% prediction interval of ONE more run, from a figure's interval over n seeds: mean +-
 * t(n-1) x sd x sqrt(1 + 1/n), clipped to `range`. A live run is one run, and varies as one seed does
 * (noise, and the speed drift, which a longer run does not average out); the confidence interval of
 * the mean (lo, hi) is about sqrt(n + 1) times narrower. Without sd or with n < 2: (lo, hi) as
 * given, else the mean; null without a mean. Takes a schedule file's nullable figures too.
 */
export function runInterval(i: { mean: number | null; sd: number | null; lo: number | null; hi: number | null; n: number }, range: readonly [number, number] = [-Infinity, Infinity]): { lo: number; hi: number } | null {
  if (i.mean === null || !Number.isFinite(i.mean)) return null;
  if (i.sd === null || !Number.isFinite(i.sd) || !(i.n >= 2)) return { lo: i.lo ?? i.mean, hi: i.hi ?? i.mean };
  const half = t975(i.n - 1) * i.sd * Math.sqrt(1 + 1 / i.n);
  return { lo: Math.max(range[0], i.mean - half), hi: Math.min(range[1], i.mean + half) };
}

export const RATE = [0, 1] as const;
const NON_NEGATIVE = [0, Infinity] as const;

/**
 * Tenants that cannot meet their deadline even alone on the machine, on any of the layouts.
 * `useVariants`: count layer variants within the tenant's accuracy budget (false: originals only,
 * what the live runtime runs; the variants' figure is then reported beside it). `wholeModel`: the
 * space has model granularity, so a tenant's measured whole-model latency counts as a path too.
 */
export function infeasibleTenants(layouts: readonly { workload: SimWorkload }[], useVariants = true, wholeModel = false): InfeasibleTenant[] {
  const w0 = layouts[0].workload;
  const out: InfeasibleTenant[] = [];
  const fastest = (ti: number, variants: boolean) => {
    let best = Infinity;
    for (const { workload: w } of layouts) {
      const budget = (w.tenants[ti].accuracyBudget ?? 0) + 1e-12;
      let sum = 0;
      for (const layer of w.tenants[ti].layers) {
        let b = Infinity;
        for (const v of variants ? layer.variants : layer.variants.slice(0, 1)) if (v.accuracyDelta <= budget) for (const c of v.cost) if (c && c.latency < b) b = c.latency;
        sum += b;
      }
      best = Math.min(best, sum);
      // Run whole (model granularity): one session, measured; often well under the layers' sum.
      if (wholeModel) for (const c of w.tenants[ti].wholeModel ?? []) if (c && c.latency < best) best = c.latency;
    }
    return best;
  };
  w0.tenants.forEach((t, ti) => {
    const best = fastest(ti, useVariants);
    const d = relativeDeadline(t);
    if (best > d * (1 + 1e-9)) {
      const withVariants = useVariants ? best : fastest(ti, true);
      out.push({ tenant: t.id, bestIsolatedMs: best * 1000, deadlineMs: d * 1000, ...(withVariants < best ? { withVariantsMs: withVariants * 1000 } : {}) });
    }
  });
  return out;
}

/** Rung seed counts: 1, then x eta... up to all seeds (e.g. 5 seeds, eta 2: 1, 2, 5 -> [1, 3, 5] with eta 3). */
export function rungsFor(simSeeds: number, eta: number): number[] {
  const r: number[] = [];
  for (let n = 1; n < simSeeds; n *= Math.max(2, eta)) r.push(n);
  r.push(simSeeds);
  return r;
}

const cacheKey = (c: Candidate, seed: number) => `${candidateKey(c)}|${seed}`;

export class TuneSearch {
  readonly options: Required<Omit<TuneOptions, 'shouldStop' | 'resume' | 'reference' | 'baselines' | 'whenInfeasible'>> & { baselines: string[]; reference: string };
  readonly seeds: number[];
  readonly rungs: number[];
  private cache = new Map<string, EvalResult>();
  private fromCheckpoint = 0;
  private simulations = 0;
  private eRef = NaN;
  private tried: TriedCandidate[] = [];
  private full = new Map<string, { c: Candidate; origin: 'baseline' | 'search' }>();
  private history: Observation[] = [];
  private triedKeys = new Set<string>();
  private spaceExhausted = false;
  private missCap = Infinity;
  private tenantCaps: number[] = [];
  private missCapBaseline?: Candidate;
  private floor?: TuneFloor;
  private infeasible?: InfeasibleTenant[];
  progress: TuneProgress;

  constructor(
    readonly layouts: readonly TuneLayout[],
    private readonly o: TuneOptions,
  ) {
    checkSpace(o.space, layouts.length);
    const baselines = o.baselines ?? o.space.policies;
    this.options = {
      seed: o.seed ?? 1,
      simSeeds: o.simSeeds ?? 5,
      maxCandidates: o.maxCandidates ?? 64,
      batch: o.batch ?? 8,
      eta: o.eta ?? 2,
      objective: o.objective,
      space: o.space,
      sim: o.sim,
      baselines,
      reference: o.reference ?? baselines[0],
    };
    if (!baselines.length) throw new Error('tune: no baseline policy to compare with');
    if (!(this.options.simSeeds >= 1 && this.options.batch >= 1 && this.options.eta >= 2)) throw new Error('tune: simSeeds and batch must be >= 1 and eta >= 2');
    this.seeds = Array.from({ length: this.options.simSeeds }, (_, i) => i + 1);
    this.rungs = rungsFor(this.options.simSeeds, this.options.eta);
    if (o.resume) {
      if (o.resume.version !== 1) throw new Error(`tune: checkpoint version ${String(o.resume.version)} is not supported (this Tessera reads version 1)`);
      // Its results hold only under the settings they were simulated with (duration, noise, speed drift).
      if (!o.resume.sim || simKey(o.resume.sim) !== simKey(o.sim)) throw new Error(`tune: the checkpoint was made with other simulation settings (${o.resume.sim ? `duration, noise, window, speed drift ${simKey(o.resume.sim)}` : 'not recorded: an older checkpoint'}; now ${simKey(o.sim)}): resume with the same settings, or delete the checkpoint to start afresh`);
      if (o.resume.problem !== this.problem()) throw new Error(`tune: the checkpoint was made for ${o.resume.problem ? 'another problem: other profiles, load, lanes or machine calibration' : 'a problem it did not record (an older checkpoint)'}: resume with the same scenario, profiles, load and layouts, or delete the checkpoint to start afresh`);
      for (const [k, r] of o.resume.results) this.cache.set(k, reviveResult(r));
    }
    this.progress = { phase: 'reference', candidatesTried: 0, maxCandidates: this.options.maxCandidates, simulations: 0 };
  }

  /** The cache so far, for resume. */
  checkpoint(): Checkpoint {
    return { version: 1, results: [...this.cache].map(([k, r]) => [k, encodeResult(r)]), sim: this.options.sim, problem: this.problem() };
  }

  private problemText: string | undefined;
  /** problemKey(this.layouts), computed once (a checkpoint is written after every batch). */
  private problem(): string {
    return (this.problemText ??= problemKey(this.layouts));
  }

  /** Runs the whole search inline (tests, small problems). */
  runInline(): TuneResult {
    const gen = this.run();
    let step = gen.next();
    while (!step.done) step = gen.next(step.value.map((r) => evaluateCandidate(this.layouts, r.candidate, r.seed, this.options.sim, r.referenceJoules, r.isolate)));
    return step.value;
  }

  /** The search: yields the simulations it needs (in a fixed order), takes their results in that order. */
  *run(): Generator<EvalRequest[], TuneResult, EvalResult[]> {
    const { space, batch, maxCandidates, eta } = this.options;
    // Without variant choices in the space, the originals are what a schedule runs (the live runtime runs nothing else).
    const infeasible = infeasibleTenants(this.layouts, space.variants === true, space.granularities.includes('model'));
    if (infeasible.length && this.o.whenInfeasible !== 'search') return this.result('infeasible', infeasible);
    if (infeasible.length) this.infeasible = infeasible;
    // E_ref: the reference policy's own runs (their UXCost is against their own energy, so they are not reused).
    const ref = defaultCandidate(this.options.reference);
    const refRuns = yield* this.evaluate([ref], this.seeds, { prefix: 'ref|' });
    this.eRef = refRuns[0].reduce((a, r) => a + r.energyJ, 0) / refRuns[0].length;
    this.progress.phase = 'baselines';
    const baseGranularities: Candidate['granularity'][] = space.granularities.includes('model') ? ['layer', 'model'] : ['layer'];
    const baseCands = baseGranularities.flatMap((g) => this.options.baselines.map((p) => ({ ...defaultCandidate(p), granularity: g })));
    const baseRuns = yield* this.evaluate(baseCands, this.seeds);
    if (this.options.objective.kind === 'uxcost') {
      const caps = missCaps(baseRuns);
      this.missCap = caps.total;
      this.tenantCaps = caps.perTenant;
      this.missCapBaseline = baseCands[caps.baseline];
    }
    baseCands.forEach((c, i) => {
      const score = this.mean(baseRuns[i]);
      this.full.set(candidateKey(c), { c, origin: 'baseline' });
      this.triedKeys.add(candidateKey(c));
      this.record(c, 'baseline', -1, baseRuns[i].length, score, baseRuns[i]);
      if (space.policies.includes(c.policy)) this.history.push({ values: toAssignment(c), active: this.activeOf(toAssignment(c)), score });
    });
    if (this.options.objective.kind === 'uxcost') {
      this.progress.phase = 'floor';
      const bestBase = baseRuns[baseCands.map((_, i) => i).sort((a, b) => cmp(this.mean(baseRuns[a]), this.mean(baseRuns[b])))[0]];
      this.floor = yield* this.computeFloor(bestBase);
    }
    this.progress.phase = 'search';
    const params = paramsOf(space, this.layouts.length, this.tenants, Math.max(...this.layouts.map((l) => l.lanes.length)), tenantsWithVariants(this.layouts[0].workload));
    const random = rng(this.options.seed);
    const packed: Candidate[] = structuredSeeds(this.layouts, space);
    let status: 'done' | 'stopped' = 'done';
    for (let b = 0; this.progress.candidatesTried < maxCandidates; b++) {
      if (this.o.shouldStop?.()) {
        status = 'stopped';
        break;
      }
      const n = Math.min(batch, maxCandidates - this.progress.candidatesTried);
      const members: { c: Candidate; obs: Observation; results: EvalResult[] }[] = [];
      // The first batches start from the structured seeds (space.ts structuredSeeds), before TPE's own draws.
      while (packed.length && members.length < n) {
        const c = packed.shift()!;
        if (this.triedKeys.has(candidateKey(c))) continue;
        this.triedKeys.add(candidateKey(c));
        const a = toAssignment(c);
        const obs: Observation = { values: a, active: this.activeOf(a), score: NaN };
        this.history.push(obs);
        members.push({ c, obs, results: [] });
      }
      for (let i = members.length; i < n; i++) {
        // A configuration already tried would waste a slot: draw again from the model, then
        // uniformly (exploration); none new after that: the slot stays empty.
        let a: Assignment | undefined;
        for (let k = 0; k < 24 && !a; k++) {
          const x = suggest(params, k < 8 ? this.history : [], isActive, random);
          if (!this.triedKeys.has(candidateKey(toCandidate(x, this.tenants)))) a = x;
        }
        if (!a) continue;
        const c = toCandidate(a, this.tenants);
        this.triedKeys.add(candidateKey(c));
        const obs: Observation = { values: a, active: this.activeOf(a), score: NaN };
        this.history.push(obs);
        members.push({ c, obs, results: [] });
      }
      // Every configuration of a (discrete) space tried: nothing left to search.
      if (members.length === 0) {
        this.spaceExhausted = true;
        break;
      }
      this.progress.candidatesTried += members.length;
      let alive = members;
      for (let r = 0; r < this.rungs.length; r++) {
        const seeds = this.seeds.slice(0, this.rungs[r]);
        const runs = yield* this.evaluate(alive.map((m) => m.c), seeds);
        alive.forEach((m, i) => {
          m.results = runs[i];
          m.obs.score = this.mean(runs[i]);
        });
        if (r === this.rungs.length - 1) break;
        const keep = Math.max(1, Math.ceil(alive.length / eta));
        // Stable sort: ties keep suggestion order (determinism).
        alive = [...alive].sort((x, y) => cmp(x.obs.score, y.obs.score)).slice(0, keep);
      }
      for (const m of members) {
        this.record(m.c, 'search', b, m.results.length, m.obs.score, m.results);
        if (m.results.length === this.seeds.length) this.full.set(candidateKey(m.c), { c: m.c, origin: 'search' });
      }
      this.progress.best = Math.min(...this.tried.map((t) => (t.seeds === this.seeds.length ? t.objective : Infinity)));
    }
    return this.result(status);
  }

  private get tenants(): number {
    return this.layouts[0].workload.tenants.length;
  }

  private activeOf(a: Record<string, string | number | boolean>): string[] {
    return Object.keys(a).filter((k) => isActive(k, a));
  }

  /** Mean objective over the runs, plus the miss-cap penalty (UXCost). */
  private mean(rs: EvalResult[]): number {
    const v = rs.map((r) => objectiveValue(this.options.objective, r));
    return v.reduce((a, b) => a + b, 0) / v.length + this.penalty(rs);
  }

  private penalty(rs: EvalResult[]): number {
    return missPenalty({ total: this.missCap, perTenant: this.tenantCaps }, rs);
  }

  /**
   * Phase 4: every tenant alone, with and without its fastest variants, at layer and (measured
   * whole models) model granularity, on each layout; the floor is the layout where that gives the
   * least UXCost. Misses and energy come from the same layout: a schedule runs on one, so a tenant
   * that meets its deadline only on one layout's lanes (reading_assistant's ocr_det on cpu:2) and
   * costs least energy on another's does not get both.
   */
  private *computeFloor(bestBase: EvalResult[]): Generator<EvalRequest[], TuneFloor, EvalResult[]> {
    const w0 = this.layouts[0].workload;
    const withVariants = new Set(tenantsWithVariants(w0));
    const wholeFigures = w0.tenants.some((x) => x.wholeModel?.some((c) => c));
    let floor: TuneFloor | undefined;
    const baseUx = avg(bestBase.map((r) => r.uxcost));
    for (let l = 0; l < this.layouts.length; l++) {
      const perTenant: TuneFloor['perTenant'] = [];
      for (let t = 0; t < this.tenants; t++) {
        const cands: Candidate[] = [];
        // With a measured whole-model time (profiles), running the model whole can beat its cut
        // layers: the floor tries model granularity too (synthetic workloads: layer only).
        for (const granularity of wholeFigures ? (['layer', 'model'] as const) : (['layer'] as const)) {
          cands.push({ ...defaultCandidate('edf', l), granularity });
          if (withVariants.has(t)) cands.push({ ...defaultCandidate('edf', l), granularity, variants: Array.from({ length: this.tenants }, (_, i) => (i === t ? 'fastest' : 'policy')) });
        }
        const runs = yield* this.evaluate(cands, this.seeds, { prefix: `iso${t}|`, isolate: t });
        const missRate = Math.min(...runs.map((rs) => avg(rs.map((r) => r.perTenant[t].missRate))));
        perTenant.push({ tenant: w0.tenants[t].id, missRate, released: avg(bestBase.map((r) => r.perTenant[t].released)), joulesPerFrame: leastJoulesPerFrame([this.layouts[l]], t) });
      }
      const released = perTenant.reduce((a, t) => a + t.released, 0);
      const missRate = released > 0 ? perTenant.reduce((a, t) => a + t.released * t.missRate, 0) / released : 0;
      const energyJ = perTenant.reduce((a, t) => a + t.released * t.joulesPerFrame, 0);
      const uxcost = (this.eRef > 0 ? energyJ / this.eRef : 1) * (missRate + 0.01);
      if (!floor || uxcost < floor.uxcost) floor = { layout: l, perTenant, missRate, energyJ, uxcost, ...(baseUx > 0 ? { headroom: 1 - uxcost / baseUx } : {}) };
    }
    return floor!;
  }

  private record(c: Candidate, origin: 'baseline' | 'search', batch: number, seeds: number, objective: number, rs: EvalResult[]): void {
    this.tried.push({ index: this.tried.length, batch, origin, candidate: c, seeds, objective, missRate: avg(rs.map((r) => r.missRate)), energyJ: avg(rs.map((r) => r.energyJ)) });
  }

  /** Results of candidates x seeds, from the cache or by yielding the missing simulations. */
  private *evaluate(cands: Candidate[], seeds: number[], o: { prefix?: string; isolate?: number } = {}): Generator<EvalRequest[], EvalResult[][], EvalResult[]> {
    const prefix = o.prefix ?? '';
    const referenceJoules = prefix.startsWith('ref') ? undefined : this.eRef;
    const need: EvalRequest[] = [];
    const needKeys: string[] = [];
    for (const c of cands)
      for (const seed of seeds) {
        const k = prefix + cacheKey(c, seed);
        if (this.cache.has(k) || needKeys.includes(k)) continue;
        need.push({ candidate: c, seed, ...(referenceJoules !== undefined ? { referenceJoules } : {}), ...(o.isolate !== undefined ? { isolate: o.isolate } : {}) });
        needKeys.push(k);
      }
    const hits = cands.length * seeds.length - need.length;
    if (this.o.resume) this.fromCheckpoint += hits;
    if (need.length) {
      const got = yield need;
      if (got.length !== need.length) throw new Error(`tune: asked for ${need.length} simulations, got ${got.length} results`);
      got.forEach((r, i) => this.cache.set(needKeys[i], r));
      this.simulations += need.length;
      this.progress.simulations = this.simulations;
    }
    return cands.map((c) => seeds.map((seed) => this.cache.get(prefix + cacheKey(c, seed))!));
  }

  /** A fully evaluated candidate's objective on each seed (its miss-cap penalty included). */
  private objectives(c: Candidate): number[] {
    const rs = this.seeds.map((s) => this.cache.get(cacheKey(c, s))!);
    return rs.map((r) => objectiveValue(this.options.objective, r) + this.penalty(rs));
  }

  private summary(c: Candidate, origin: 'baseline' | 'search'): CandidateSummary {
    const rs = this.seeds.map((s) => this.cache.get(cacheKey(c, s))!);
    const tenants = this.layouts[c.layout].workload.tenants;
    return {
      candidate: c,
      origin,
      seeds: this.seeds,
      objective: interval(this.objectives(c)),
      missRate: interval(rs.map((r) => r.missRate), RATE),
      energyJ: interval(rs.map((r) => r.energyJ), NON_NEGATIVE),
      averageWatts: interval(rs.map((r) => r.averageWatts), NON_NEGATIVE),
      uxcost: interval(rs.map((r) => r.uxcost), NON_NEGATIVE),
      xrbench: interval(rs.map((r) => r.xrbench)),
      p99Ms: interval(rs.map((r) => r.p99 * 1000), NON_NEGATIVE),
      perTenant: tenants.map((t, i) => ({ tenant: t.id, missRate: interval(rs.map((r) => r.perTenant[i].missRate), RATE), p99Ms: interval(rs.map((r) => r.perTenant[i].p99 * 1000), NON_NEGATIVE) })),
      ...(this.penalty(rs) > 0 ? { overMissCap: true as const } : {}),
    };
  }

  private result(status: TuneResult['status'], infeasible = this.infeasible): TuneResult {
    const all = [...this.full.values()].map(({ c, origin }) => this.summary(c, origin));
    const byObjective = [...all].sort((a, b) => cmp(a.objective.mean, b.objective.mean));
    const baselines = all.filter((s) => s.origin === 'baseline');
    const bestBaseline = [...baselines].sort((a, b) => cmp(a.objective.mean, b.objective.mean))[0];
    const best = byObjective[0];
    const dominated = (a: CandidateSummary) => all.some((b) => b !== a && b.missRate.mean <= a.missRate.mean && b.energyJ.mean <= a.energyJ.mean && (b.missRate.mean < a.missRate.mean || b.energyJ.mean < a.energyJ.mean));
    // Candidates with the very same figures (settings that change nothing here) count once: the first found.
    const pareto = all.filter((a, i) => !dominated(a) && !all.slice(0, i).some((b) => b.missRate.mean === a.missRate.mean && b.energyJ.mean === a.energyJ.mean));
    pareto.sort((a, b) => a.missRate.mean - b.missRate.mean || a.energyJ.mean - b.energyJ.mean);
    let bestSoFar = Infinity;
    const tried = this.tried.map((t) => {
      if (t.seeds === this.seeds.length) bestSoFar = Math.min(bestSoFar, t.objective);
      return { ...t, bestSoFar };
    });
    const improvement = best && bestBaseline && bestBaseline.objective.mean !== 0 ? (bestBaseline.objective.mean - best.objective.mean) / Math.abs(bestBaseline.objective.mean) : undefined;
    let improvementInterval: Interval | undefined;
    if (improvement !== undefined) {
      const tuned = this.objectives(best!.candidate);
      // A non-negative objective (all but xrbench's negated score) cannot improve by more than 100%.
      const bounded = tuned.every((x) => x >= 0) && bestBaseline!.objective.mean > 0;
      improvementInterval = interval(this.objectives(bestBaseline!.candidate).map((b, k) => (b - tuned[k]) / Math.abs(bestBaseline!.objective.mean)), bounded ? [-Infinity, 1] : undefined);
    }
    return {
      status,
      ...(infeasible ? { infeasible } : {}),
      objective: this.options.objective,
      referencePolicy: this.options.reference,
      referenceJoules: this.eRef,
      simSeeds: this.seeds,
      rungs: this.rungs,
      baselines,
      ...(bestBaseline ? { bestBaseline } : {}),
      ...(best ? { best } : {}),
      ...(improvement !== undefined ? { improvement } : {}),
      ...(improvementInterval ? { improvementInterval } : {}),
      ...(Number.isFinite(this.missCap) ? { missCap: this.missCap, tenantMissCaps: this.tenantCaps.map((missCap, t) => ({ tenant: this.layouts[0].workload.tenants[t].id, missCap })), missCapBaseline: this.missCapBaseline! } : {}),
      ...(this.floor ? { floor: this.floor } : {}),
      top: byObjective.slice(0, 10),
      pareto,
      tried,
      candidatesTried: this.progress.candidatesTried,
      simulations: this.simulations,
      fromCheckpoint: this.fromCheckpoint,
      spaceExhausted: this.spaceExhausted,
    };
  }
}

/** Ascending, NaN last. */
function cmp(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a - b;
}

const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** JSON keeps no Infinity or NaN: they travel as strings. */
export function encodeResult(r: EvalResult): EvalResult {
  return JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)));
}

export function reviveResult(r: EvalResult): EvalResult {
  return JSON.parse(JSON.stringify(r), (_k, v) => (v === 'Infinity' || v === '-Infinity' || v === 'NaN' ? Number(v) : v));
}

/** Least busy energy of one frame of tenant t: each layer on its cheapest lane of any layout, original or its 'fastest' pick. */
function leastJoulesPerFrame(layouts: readonly TuneLayout[], t: number): number {
  let best = Infinity;
  for (const { workload: w } of layouts) {
    // The whole model as one session on one lane (measured whole-model figures; see groups.ts).
    const whole = wholeModelWorkload(w);
    if (whole !== w) {
      const picked = applyVariantChoice(whole, whole.tenants.map((_, i) => (i === t ? 'fastest' : 'policy')), 'model').tenants[t];
      for (const tenant of [whole.tenants[t], picked])
        w.lanes.forEach((lane, l) => {
          if (tenant.layers.every((layer) => layer.variants[0].cost[l])) best = Math.min(best, tenant.layers.reduce((a, layer) => a + (layer.variants[0].cost[l]!.energy ?? layer.variants[0].cost[l]!.latency * lane.busyWatts), 0));
        });
    }
    const picked = applyVariantChoice(w, w.tenants.map((_, i) => (i === t ? 'fastest' : 'policy'))).tenants[t];
    let sum = 0;
    w.tenants[t].layers.forEach((layer, i) => {
      let e = Infinity;
      for (const v of [layer.variants[0], picked.layers[i].variants[0]])
        v.cost.forEach((c, lane) => {
          if (c) e = Math.min(e, c.energy ?? c.latency * w.lanes[lane].busyWatts);
        });
      sum += e;
    });
    best = Math.min(best, sum);
  }
  return best;
}
