// Discrete-event simulator of a multi-model workload on several heterogeneous lanes, driven by any
// Policy (the same objects the live runtime drives).
//
// - Events (frame arrivals, layer ends) in a binary heap on typed arrays; all events at one instant
//   are applied before the policy is consulted, and it is consulted only when a lane is idle and a
//   job is ready. No allocation per layer in the hot path (only per frame), no Array.shift, no JSON.
// - Preemption at layer boundaries (the policy picks every layer), or at model boundaries (a job
//   keeps its lane to the end; the policy only places jobs that have not started).
// - Moving a job's activations between lanes costs link(from) + link(to) (see LaneDef.link); the
//   move occupies the destination lane and is drawn as a transfer slice.
// - Arrivals: periodic with uniform jitter, or Poisson; cascades: when an upstream frame finishes,
//   each dependent tenant's frame is released with its probability.
// - The job lifecycle (queue bound, drops and their causes, cascaded drops, feedback windows,
//   validating the policy's decisions) is jobs.ts' JobBook, which the live runtime drives too.
// - "Real" latencies = profiled x bias(tenant, lane) x a per-frame factor (lognormal, `jobNoise`) x a
//   per-layer factor (normal, `latencyNoise`, floored at 0.2). Jitter, noise and cascade outcomes are
//   fixed per (seed, tenant, frame, layer) so every policy sees the same frames (common random numbers).
// - Online refinement: the observed/profiled ratio per tenant and lane (EMA) feeds Snapshot.predict.
// - Energy per lane = busy energy (per-layer energy if the table has it, else busyWatts x latency,
//   scaled by real/profiled; transfers at busyWatts) + idleWatts x idle time, over the horizon
//   max(duration, last event).
// Seeded and deterministic. Pure: no clock, no I/O.
import { objectArray } from './arrays';
import { computeMetrics, type Metrics } from './metrics';
import { EventQueue } from './eventqueue';
import { countDrops, InvalidDecisionError, Job, JobBook, type DropCounts, type JobRecord } from './jobs';
import { PredictionModel } from './predict';
import { frameFactor, frameRelease, layerFactorAt, layerNoiseKey } from './arrivals';
import type { JobState, LaneState, Policy, PolicyEvent, Predictor, SimWorkload, Snapshot } from './types';
import { validateWorkload } from './workload';
import { variantUse, type VariantUse } from './variant-use';
import type { DispatchHook } from './dispatcher';

export interface SimOptions {
  /** Frames are released in [0, duration) s; the run then drains. */
  duration: number;
  seed?: number;
  /** 'layer' (default): the policy picks every layer; 'model': a started job keeps its lane. */
  preemption?: 'layer' | 'model';
  /** Relative std-dev of each layer's real latency around its profiled value (default 0). */
  latencyNoise?: number;
  /** Sigma of a per-frame lognormal factor on all its layers (default 0): frames that are all slow. */
  jobNoise?: number;
  /** Systematic real/profiled factor: per tenant, or per tenant and lane (default 1). */
  latencyBias?: number[] | number[][];
  /** Refine predictions online from observed layer times (default true). */
  adaptive?: boolean;
  /** Drop a waiting job as soon as its deadline has passed (applies to every policy; default false). */
  dropLate?: boolean;
  /** At most this many not-yet-started frames per tenant; the oldest gives way (default 32). */
  maxQueuePerTenant?: number;
  /** At most this many frames in the system; the oldest one not running gives way (cause 'system-cap'; default: no cap). */
  maxInSystem?: number;
  /** Length of the windows reported to policies and used for SLO windows (s, default 0.5). */
  window?: number;
  /** Keep per-layer slices (for traces; default false). */
  recordSlices?: boolean;
  /** E_ref for UXCost and the XRBench energy score (default: this run's energy). */
  referenceJoules?: number;
  /** Compute metrics (default true). */
  metrics?: boolean;
  /**
   * The real latency of (tenant, frame, layer) on a lane, replacing profiled x bias x noise (the
   * latency table stays what policies predict with). For replaying traces with per-frame measured
   * latencies, e.g. Dysta's samples (core/dysta/mainsim.ts).
   */
  realLatency?: (tenant: number, frame: number, layer: number, lane: number) => number;
  /**
   * The dispatching thread as a resource (core/dispatcher.ts; a calibrated live prediction's): each
   * layer start waits for the thread and CPU lanes slow by its core share. One object per run (it
   * has state). Absent (the default): no dispatcher is modelled.
   */
  dispatcher?: DispatchHook;
}

export interface Slice {
  job: number;
  tenant: number;
  lane: number;
  layer: number;
  variant: number;
  start: number;
  end: number;
  kind: 'layer' | 'transfer';
}

export type { DropReason, JobRecord } from './jobs';

export interface LaneUsage {
  id: string;
  busy: number;
  busyEnergy: number;
  idleEnergy: number;
  energy: number;
  layers: number;
}

export interface SimResult {
  workload: string;
  policy: string;
  seed: number;
  jobs: JobRecord[];
  slices: Slice[];
  lanes: LaneUsage[];
  energyJ: number;
  /** Time of the last event. */
  makespan: number;
  /** max(duration, makespan): the span energy covers. */
  horizon: number;
  /** Per tenant, where the workload has layer variants: how often each ran, accuracy budget spent. */
  variantUse?: VariantUse[];
  /** The policy's switches (DREAM's model variants), when it made any. */
  policyEvents?: PolicyEvent[];
  layerExecutions: number;
  transfers: number;
  /** Dropped jobs by cause. */
  drops: DropCounts;
  metrics?: Metrics;
  policyState?: Record<string, number>;
}

const ARRIVAL = 0;
const LANE_DONE = 1;

class SimJob extends Job {
  constructor(
    id: number,
    tenant: number,
    frame: number,
    release: number,
    deadline: number,
    priority: number,
    layerCount: number,
    upstream: number,
    isolated: number,
    factor: number,
    noiseKey: number,
  ) {
    super(id, tenant, frame, release, deadline, priority, layerCount, upstream, isolated);
    this.factor = factor;
    this.noiseKey = noiseKey;
  }
  /** Per-frame real/profiled factor (initialised as a double: see Job's fields). */
  readonly factor: number = NaN;
  /**
   * The frame's layer-noise hash key (arrivals.ts layerNoiseKey), an int32. Initialised as a double:
   * V8's small integers stop at 2^30, so half the keys are not one, and the first such key changed
   * every job's shape (SimJob's fields moved from small integer to double), deoptimising every
   * function that takes a job, in the first runs of every process.
   */
  readonly noiseKey: number = NaN;
}

export function simulate(workload: SimWorkload, policy: Policy, options: SimOptions): SimResult {
  validateWorkload(workload);
  if (!(options.duration > 0)) throw new Error(`duration must be > 0 (got ${options.duration})`);
  const run = new SimRun(workload, policy, options);
  run.run();
  const { seed, book, busy, busyEnergy, laneLayers, lanes, tenants } = run;
  const jobs = book.jobs;

  const makespan = book.clock.now;
  const horizon = Math.max(options.duration, makespan);
  const laneUsage: LaneUsage[] = lanes.map((l, i) => {
    const idleEnergy = Math.max(0, horizon - busy[i]) * l.idleWatts;
    return { id: l.id, busy: busy[i], busyEnergy: busyEnergy[i], idleEnergy, energy: busyEnergy[i] + idleEnergy, layers: laneLayers[i] };
  });
  const energyJ = laneUsage.reduce((a, l) => a + l.energy, 0);
  const result: SimResult = {
    workload: workload.name,
    policy: policy.name,
    seed,
    jobs,
    slices: run.slices,
    lanes: laneUsage,
    energyJ,
    makespan,
    horizon,
    layerExecutions: run.layerExecutions,
    transfers: run.transfers,
    drops: countDrops(jobs),
    policyState: policy.state?.(),
  };
  if (tenants.some((t) => t.layers.some((l) => l.variants.length > 1))) result.variantUse = variantUse(workload, book.variantRuns, jobs);
  const events = policy.events?.();
  if (events?.length) result.policyEvents = [...events];
  if (options.metrics !== false) {
    result.metrics = computeMetrics({
      jobs,
      tenants,
      energy: { joules: energyJ, source: workload.energySource },
      span: { duration: options.duration, horizon },
      referenceJoules: options.referenceJoules,
      window: options.window ?? 1,
    });
  }
  return result;
}

/**
 * One simulation run's state and its event loop. A class, not closures in simulate(): its methods
 * are the same functions in every run, so V8 can inline them into the loop (closures made afresh
 * per run are different call targets each run); per-run constants and hot numbers are fields.
 */
class SimRun {
  readonly seed: number;
  private readonly duration: number;
  private readonly modelGranularity: boolean;
  private readonly noise: number;
  private readonly adaptive: boolean;
  private readonly dropLate: boolean;
  private readonly record: boolean;
  readonly tenants: SimWorkload['tenants'];
  readonly lanes: SimWorkload['lanes'];
  private readonly nL: number;
  private readonly model: PredictionModel;
  private readonly bias: Float64Array;
  private readonly override: SimOptions['realLatency'];
  private readonly dispatcher: DispatchHook | undefined;
  private readonly policy: Policy;
  private readonly laneStates: LaneState[];
  private readonly snapshot: Snapshot;
  private readonly q = new EventQueue(64);
  readonly slices: Slice[] = [];
  private readonly laneJob: (SimJob | null)[];
  private readonly laneProfiled: Float64Array;
  private readonly laneReal: Float64Array;
  private readonly laneVariant: Int32Array;
  /** Start of the layer proper (after any transfer). */
  private readonly laneStart: Float64Array;
  readonly busy: Float64Array;
  readonly busyEnergy: Float64Array;
  readonly laneLayers: Int32Array;
  private idleLanes: number;
  layerExecutions = 0;
  transfers = 0;
  private readonly sourceFrame: Int32Array;
  private readonly nominal: Float64Array;
  private readonly lastRelease: Float64Array;
  // The model's flat tables, read directly on the per-layer path.
  private readonly costLat: Float64Array;
  private readonly costEnergy: Float64Array;
  private readonly ratios: Float64Array;
  private readonly busyWatts: Float64Array;
  readonly book: JobBook<SimJob>;
  /** The books' clock is the simulation's (a field: stored unboxed, no heap number per write). */
  private readonly clk: { now: number };

  constructor(workload: SimWorkload, policy: Policy, options: SimOptions) {
    const seed = (this.seed = options.seed ?? 1);
    this.duration = options.duration;
    const modelGranularity = (this.modelGranularity = (options.preemption ?? 'layer') === 'model');
    const noise = (this.noise = options.latencyNoise ?? 0);
    const jobNoise = options.jobNoise ?? 0;
    const adaptive = (this.adaptive = options.adaptive ?? true);
    this.dropLate = options.dropLate ?? false;
    const windowLen = options.window ?? 0.5;
    this.record = options.recordSlices ?? false;
    this.policy = policy;
    const tenants = (this.tenants = workload.tenants);
    const nT = tenants.length;
    const lanes = (this.lanes = workload.lanes);
    const nL = (this.nL = lanes.length);
    const model = (this.model = new PredictionModel(workload));
    const isolated = Float64Array.from(tenants, (_, i) => model.isolated(i));

    const bias = (this.bias = new Float64Array(nT * nL).fill(1));
    if (options.latencyBias) {
      options.latencyBias.forEach((b, t) => {
        for (let l = 0; l < nL; l++) bias[t * nL + l] = Array.isArray(b) ? (b[l] ?? 1) : b;
      });
    }
    /** Real latency factor of (job, layer) on a lane (startLayer computes the same inline). */
    const realFactor = (job: SimJob, layer: number, lane: number): number => {
      const f = bias[job.tenant * nL + lane] * job.factor;
      return noise > 0 ? f * layerFactorAt(job.noiseKey, layer, noise) : f;
    };
    const override = (this.override = options.realLatency);
    this.dispatcher = options.dispatcher;
    /** Real latency of (job, layer) on a lane with a variant. */
    const realLatency = (job: SimJob, layer: number, lane: number, variant: number): number =>
      override ? override(job.tenant, job.frame, layer, lane) : model.latency(job.tenant, layer, lane, variant) * realFactor(job, layer, lane);

    const predict = model.predictor(adaptive);
    const offline = model.predictor(false);
    const oracle = new OraclePredictor(model, realLatency, realFactor, !!override);
    // Times and powers are created as fractions and then set (JobBook's DOUBLE_FIELD: a field first
    // written with a small integer changes the objects' shape at the first fraction, deoptimising
    // everything that reads them).
    const laneStates = (this.laneStates = lanes.map((def, index) => ({ index, def, idle: true, busyUntil: 0.5, job: -1, power: 0.5 })));
    laneStates.forEach((ls) => {
      ls.busyUntil = 0;
      ls.power = ls.def.idleWatts;
    });
    const readyView: JobState[] = objectArray();
    // readyChanges present from the start (the books set it at the first decision): adding it then
    // gave each run's snapshot a shape that the previous run's compiled code had not seen.
    this.snapshot = { time: 0.5, ready: readyView, lanes: laneStates, workload, predict, offline, oracle, inSystem: 0, preemption: modelGranularity ? 'model' : 'layer', readyChanges: undefined };
    this.snapshot.time = 0;

    this.laneJob = new Array(nL).fill(null);
    this.laneProfiled = new Float64Array(nL);
    this.laneReal = new Float64Array(nL);
    this.laneVariant = new Int32Array(nL);
    this.laneStart = new Float64Array(nL);
    const busy = (this.busy = new Float64Array(nL));
    const busyEnergy = (this.busyEnergy = new Float64Array(nL));
    this.laneLayers = new Int32Array(nL);
    this.idleLanes = nL;
    this.sourceFrame = new Int32Array(nT);
    this.nominal = new Float64Array(nT);
    this.lastRelease = new Float64Array(nT);
    this.costLat = model.lat;
    this.costEnergy = model.energy;
    this.ratios = model.ratios;
    this.busyWatts = Float64Array.from(lanes, (l) => l.busyWatts);
    // Lane busy time and energy at the start of the current window (for the window feedback).
    const wBusy0 = new Float64Array(nL);
    const wEnergy0 = new Float64Array(nL);

    this.book = new JobBook<SimJob>(workload, laneStates, policy, model, {
      maxQueuePerTenant: options.maxQueuePerTenant ?? 32,
      maxInSystem: options.maxInSystem,
      window: windowLen,
      preemption: modelGranularity ? 'model' : 'layer',
      seed,
      keepJobs: true,
    }, {
      make: (id, t, frame, release, deadline, upstream) => new SimJob(id, t, frame, release, deadline, tenants[t].priority, tenants[t].layers.length, upstream, isolated[t], frameFactor(seed, t, frame, jobNoise), layerNoiseKey(seed, t, frame)),
      windowEnergy: (start, end) => {
        let energy = 0;
        for (let l = 0; l < nL; l++) {
          const b = busy[l] - wBusy0[l];
          energy += busyEnergy[l] - wEnergy0[l] + Math.max(0, end - start - b) * lanes[l].idleWatts;
        }
        wBusy0.set(busy);
        wEnergy0.set(busyEnergy);
        return energy;
      },
    });
    this.clk = this.book.clock;
  }

  private scheduleArrival(t: number): void {
    const r = frameRelease(this.seed, t, this.tenants[t].arrival, this.sourceFrame[t], this.nominal[t]);
    this.nominal[t] = r.nominal;
    let time = r.time;
    if (time < this.lastRelease[t]) time = this.lastRelease[t];
    if (time < 0) time = 0;
    if (this.nominal[t] < this.duration && time < this.duration) this.q.push(time, ARRIVAL, t);
  }

  /** Starts the job's next layer on a lane with a variant; `k` = model.costIndex of that (the book's assignee() found it). */
  private startLayer(job: SimJob, lane: number, variant: number, k: number): void {
    const t = job.tenant;
    const layer = job.next;
    const profiled = this.costLat[k];
    if (!(profiled < Infinity)) this.cannotRun(job, lane, variant);
    const from = job.lastLane;
    const dt = from < 0 || from === lane ? 0 : this.model.transferTime(t, layer, from, lane);
    let real: number;
    if (this.override) real = this.override(t, job.frame, layer, lane);
    else {
      // profiled x realFactor(job, layer, lane), inline (the same operations in the same order).
      const f = this.bias[t * this.nL + lane] * job.factor;
      real = profiled * (this.noise > 0 ? f * layerFactorAt(job.noiseKey, layer, this.noise) : f);
    }
    const clk = this.clk;
    // The lane is held (not busy) while the dispatch waits for the dispatching thread.
    let held = 0;
    const dispatcher = this.dispatcher;
    if (dispatcher) {
      held = dispatcher.wait(clk.now);
      real *= dispatcher.computeFactor(lane, this.laneStates);
    }
    const begin = clk.now + held + dt;
    const end = begin + real;
    if (dt > 0) {
      this.transfers++;
      if (this.record) this.slices.push({ job: job.id, tenant: t, lane, layer, variant, start: clk.now + held, end: begin, kind: 'transfer' });
    }
    this.busy[lane] += dt + real;
    this.busyEnergy[lane] += this.costEnergy[k] * (real / profiled) + dt * this.busyWatts[lane];
    this.laneLayers[lane]++;
    this.book.start(job, variant);
    this.laneJob[lane] = job;
    this.laneProfiled[lane] = profiled;
    this.laneReal[lane] = real;
    this.laneVariant[lane] = variant;
    this.laneStart[lane] = begin;
    const ls = this.laneStates[lane];
    if (ls.idle) this.idleLanes--;
    ls.idle = false;
    ls.busyUntil = begin + (this.adaptive ? profiled * this.ratios[t * this.nL + lane] : profiled);
    ls.job = job.id;
    ls.power = ls.def.busyWatts;
    this.layerExecutions++;
    this.q.push(end, LANE_DONE, lane);
  }

  private cannotRun(job: SimJob, lane: number, variant: number): never {
    const tn = this.tenants[job.tenant];
    throw new InvalidDecisionError(`policy "${this.policy.name}" put layer ${job.next} ("${tn.layers[job.next].name}") of tenant "${tn.id}" with variant ${variant} on lane "${this.lanes[lane].id}", which cannot run it`);
  }

  private finishLayer(lane: number): void {
    const job = this.laneJob[lane]!;
    this.laneJob[lane] = null;
    const ls = this.laneStates[lane];
    const layer = job.next;
    const profiled = this.laneProfiled[lane];
    const observed = this.laneReal[lane];
    const now = this.clk.now;
    if (this.record) this.slices.push({ job: job.id, tenant: job.tenant, lane, layer, variant: this.laneVariant[lane], start: this.laneStart[lane], end: now, kind: 'layer' });
    if (this.adaptive) this.model.update(job.tenant, lane, profiled, observed);
    if (this.book.layerDone(job, lane, this.laneVariant[lane], profiled, observed)) {
      this.book.finish(job, now, now);
    } else if (this.modelGranularity) {
      this.startLayer(job, lane, 0, this.model.costIndex(job.tenant, job.next, lane, 0));
      return;
    }
    ls.idle = true;
    ls.busyUntil = now;
    ls.job = -1;
    ls.power = ls.def.idleWatts;
    this.idleLanes++;
  }

  /** Runs every event; then drops the jobs still waiting when nothing is left to happen. */
  run(): void {
    const q = this.q;
    const clk = this.clk;
    const book = this.book;
    const snapshot = this.snapshot;
    const nT = this.tenants.length;
    // Source tenants' first frames.
    for (let t = 0; t < nT; t++) if (!this.tenants[t].cascade) this.scheduleArrival(t);

    while (q.pop()) {
      clk.now = q.time;
      book.closeWindows();
      if (q.kind === ARRIVAL) {
        const t = q.arg;
        this.lastRelease[t] = clk.now;
        book.release(t, this.sourceFrame[t], clk.now, -1, clk.now);
        this.sourceFrame[t]++;
        this.scheduleArrival(t);
      } else {
        this.finishLayer(q.arg);
      }
      if (q.peekTime() === clk.now) continue; // apply every event of this instant first
      if (this.dropLate && book.readyCount > 0) book.dropLate();
      if (this.idleLanes > 0 && book.readyCount > 0) {
        const d = book.decide(snapshot);
        if (d) {
          for (let i = 0; i < d.assign.length; i++) {
            const a = d.assign[i];
            const job = book.assignee(a);
            this.startLayer(job, a.lane, a.variant, book.assignedCost);
          }
        }
      }
    }
    // Jobs still waiting when nothing is left to happen were never served (the policy left them).
    book.dropAll('unserved', clk.now, true);
  }
}

/**
 * The real latencies the simulator will use (for oracle baselines). Per job, the suffix sums of its
 * real layer latencies (on each layer's fastest lane, and on each lane) are computed once, on first
 * use, so every call after that is O(1). Rows are kept by job id (ids are dense in a run): an array
 * index, not a WeakMap lookup, on the hot path of dysta_oracle.
 */
class OraclePredictor implements Predictor {
  private readonly onLane: (Float64Array[] | undefined)[] = [];
  /**
   * The best-lane suffix rows, one after another in one growing array (not a typed array per job:
   * under overload the policy reads every ready job's row per decision, and scattered small arrays
   * cost a cache miss each and garbage); by job id: its row's offset + 1 (0: none yet).
   */
  private bestRows = new Float64Array(1 << 12);
  private bestUsed = 0;
  private bestAt = new Int32Array(256);
  constructor(
    private readonly m: PredictionModel,
    /** The simulator's real latency of (job, layer) on a lane with a variant. */
    private readonly real: (job: SimJob, layer: number, lane: number, variant: number) => number,
    private readonly factor: (job: SimJob, layer: number, lane: number) => number,
    /** SimOptions.realLatency is set: real latencies are not table x factor. */
    private readonly overridden: boolean,
  ) {}
  next(job: JobState, lane: number, variant = 0): number {
    return this.real(job as SimJob, job.next, lane, variant);
  }
  nextEnergy(job: JobState, lane: number, variant = 0): number {
    const e = this.m.layerEnergy(job.tenant, job.next, lane, variant);
    if (!this.overridden) return e * this.factor(job as SimJob, job.next, lane);
    const profiled = this.m.latency(job.tenant, job.next, lane, variant);
    return profiled < Infinity ? e * (this.real(job as SimJob, job.next, lane, variant) / profiled) : Infinity;
  }
  nextAll(job: JobState, variant: number, lat: Float64Array, energy?: Float64Array, offset = 0): void {
    for (let l = 0; l < this.m.nLanes; l++) {
      lat[offset + l] = this.next(job, l, variant);
      if (energy) energy[offset + l] = this.nextEnergy(job, l, variant);
    }
  }
  transfer(job: JobState, lane: number): number {
    return this.m.transferTime(job.tenant, job.next, job.lastLane, lane);
  }
  remainingOn(job: JobState, lane: number, from = job.next): number {
    let rows = this.onLane[job.id];
    if (!rows) this.onLane[job.id] = rows = [];
    let row = rows[lane];
    if (!row) {
      row = rows[lane] = new Float64Array(job.layerCount + 1);
      for (let i = job.layerCount - 1; i >= 0; i--) row[i] = row[i + 1] + this.real(job as SimJob, i, lane, 0);
    }
    return row[from];
  }
  remainingBest(job: JobState, from = job.next): number {
    const id = job.id;
    const at = id < this.bestAt.length ? this.bestAt[id] : 0;
    return at > 0 ? this.bestRows[at - 1 + from] : this.bestRow(job, from);
  }
  /** Computes the job's row (sum of its real latencies from each layer on, on the layer's fastest lane). */
  private bestRow(job: JobState, from: number): number {
    const id = job.id;
    if (id >= this.bestAt.length) {
      const grown = new Int32Array(Math.max(id + 1, 2 * this.bestAt.length));
      grown.set(this.bestAt);
      this.bestAt = grown;
    }
    const n = job.layerCount;
    if (this.bestUsed + n + 1 > this.bestRows.length) {
      const grown = new Float64Array(Math.max(this.bestUsed + n + 1, 2 * this.bestRows.length));
      grown.set(this.bestRows.subarray(0, this.bestUsed));
      this.bestRows = grown;
    }
    const o = this.bestUsed;
    this.bestUsed += n + 1;
    const rows = this.bestRows;
    const m = this.m;
    const base = m.layerBase[job.tenant];
    // rows[o + n] is 0 (the array is never written past bestUsed).
    for (let i = n - 1; i >= 0; i--) rows[o + i] = rows[o + i + 1] + this.real(job as SimJob, i, m.bestLane[base + i], 0);
    this.bestAt[id] = o + 1;
    return rows[o + from];
  }
  isolated(job: JobState): number {
    return this.remainingBest(job, 0);
  }
  ratio(): number {
    return 1;
  }
}
