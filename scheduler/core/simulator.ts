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
    /** Per-frame real/profiled factor. */
    readonly factor: number,
    /** The frame's layer-noise hash key (arrivals.ts layerNoiseKey). */
    readonly noiseKey: number,
  ) {
    super(id, tenant, frame, release, deadline, priority, layerCount, upstream, isolated);
  }
}

export function simulate(workload: SimWorkload, policy: Policy, options: SimOptions): SimResult {
  validateWorkload(workload);
  if (!(options.duration > 0)) throw new Error(`duration must be > 0 (got ${options.duration})`);
  const seed = options.seed ?? 1;
  const modelGranularity = (options.preemption ?? 'layer') === 'model';
  const noise = options.latencyNoise ?? 0;
  const jobNoise = options.jobNoise ?? 0;
  const adaptive = options.adaptive ?? true;
  const dropLate = options.dropLate ?? false;
  const windowLen = options.window ?? 0.5;
  const record = options.recordSlices ?? false;
  const tenants = workload.tenants;
  const nT = tenants.length;
  const lanes = workload.lanes;
  const nL = lanes.length;
  const model = new PredictionModel(workload);
  const isolated = Float64Array.from(tenants, (_, i) => model.isolated(i));

  const bias = new Float64Array(nT * nL).fill(1);
  if (options.latencyBias) {
    options.latencyBias.forEach((b, t) => {
      for (let l = 0; l < nL; l++) bias[t * nL + l] = Array.isArray(b) ? (b[l] ?? 1) : b;
    });
  }
  /** Real latency factor of (job, layer) on a lane. */
  const realFactor = (job: SimJob, layer: number, lane: number): number => {
    const f = bias[job.tenant * nL + lane] * job.factor;
    return noise > 0 ? f * layerFactorAt(job.noiseKey, layer, noise) : f;
  };
  const override = options.realLatency;
  const dispatcher = options.dispatcher;
  /** Real latency of (job, layer) on a lane with a variant. */
  const realLatency = (job: SimJob, layer: number, lane: number, variant: number): number =>
    override ? override(job.tenant, job.frame, layer, lane) : model.latency(job.tenant, layer, lane, variant) * realFactor(job, layer, lane);

  const predict = model.predictor(adaptive);
  const offline = model.predictor(false);
  const oracle = new OraclePredictor(model, realLatency, realFactor, !!override);
  const laneStates: LaneState[] = lanes.map((def, index) => ({ index, def, idle: true, busyUntil: 0, job: -1, power: def.idleWatts }));
  const readyView: JobState[] = [];
  const snapshot: Snapshot = { time: 0, ready: readyView, lanes: laneStates, workload, predict, offline, oracle, inSystem: 0, preemption: modelGranularity ? 'model' : 'layer' };

  const q = new EventQueue(64);
  const slices: Slice[] = [];
  const laneJob: (SimJob | null)[] = new Array(nL).fill(null);
  const laneProfiled = new Float64Array(nL);
  const laneReal = new Float64Array(nL);
  const laneVariant = new Int32Array(nL);
  const laneStart = new Float64Array(nL); // start of the layer proper (after any transfer)
  const busy = new Float64Array(nL);
  const busyEnergy = new Float64Array(nL);
  const laneLayers = new Int32Array(nL);
  let idleLanes = nL;
  let layerExecutions = 0;
  let transfers = 0;
  const sourceFrame = new Int32Array(nT);
  const nominal = new Float64Array(nT);
  const lastRelease = new Float64Array(nT);
  // Lane busy time and energy at the start of the current window (for the window feedback).
  const wBusy0 = new Float64Array(nL);
  const wEnergy0 = new Float64Array(nL);

  const book = new JobBook<SimJob>(workload, laneStates, policy, model, {
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

  // Hot mutable doubles live in object fields (stored unboxed in place), not in closure variables
  // (every write to which would allocate a heap number): the books' clock is the simulation's.
  const clk = book.clock;

  const scheduleArrival = (t: number) => {
    const r = frameRelease(seed, t, tenants[t].arrival, sourceFrame[t], nominal[t]);
    nominal[t] = r.nominal;
    let time = r.time;
    if (time < lastRelease[t]) time = lastRelease[t];
    if (time < 0) time = 0;
    if (nominal[t] < options.duration && time < options.duration) q.push(time, ARRIVAL, t);
  };

  // The model's flat tables, read directly on the per-layer path.
  const costLat = model.lat;
  const costEnergy = model.energy;
  const ratios = model.ratios;
  const busyWatts = Float64Array.from(lanes, (l) => l.busyWatts);

  /** Starts the job's next layer on a lane with a variant; `k` = model.costIndex of that (the book's assignee() found it). */
  const startLayer = (job: SimJob, lane: number, variant: number, k: number) => {
    const t = job.tenant;
    const layer = job.next;
    const profiled = costLat[k];
    if (!(profiled < Infinity)) {
      const tn = tenants[t];
      throw new InvalidDecisionError(`policy "${policy.name}" put layer ${layer} ("${tn.layers[layer].name}") of tenant "${tn.id}" with variant ${variant} on lane "${lanes[lane].id}", which cannot run it`);
    }
    const dt = job.lastLane < 0 || job.lastLane === lane ? 0 : model.transferTime(t, layer, job.lastLane, lane);
    let real = override ? override(t, job.frame, layer, lane) : profiled * realFactor(job, layer, lane);
    // The lane is held (not busy) while the dispatch waits for the dispatching thread.
    let held = 0;
    if (dispatcher) {
      held = dispatcher.wait(clk.now);
      real *= dispatcher.computeFactor(lane, laneStates);
    }
    const begin = clk.now + held + dt;
    const end = begin + real;
    if (dt > 0) {
      transfers++;
      if (record) slices.push({ job: job.id, tenant: t, lane, layer, variant, start: clk.now + held, end: begin, kind: 'transfer' });
    }
    busy[lane] += dt + real;
    busyEnergy[lane] += costEnergy[k] * (real / profiled) + dt * busyWatts[lane];
    laneLayers[lane]++;
    book.start(job, variant);
    laneJob[lane] = job;
    laneProfiled[lane] = profiled;
    laneReal[lane] = real;
    laneVariant[lane] = variant;
    laneStart[lane] = begin;
    const ls = laneStates[lane];
    if (ls.idle) idleLanes--;
    ls.idle = false;
    ls.busyUntil = begin + (adaptive ? profiled * ratios[t * nL + lane] : profiled);
    ls.job = job.id;
    ls.power = ls.def.busyWatts;
    layerExecutions++;
    q.push(end, LANE_DONE, lane);
  };

  const finishLayer = (lane: number) => {
    const job = laneJob[lane]!;
    laneJob[lane] = null;
    const ls = laneStates[lane];
    const layer = job.next;
    const profiled = laneProfiled[lane];
    const observed = laneReal[lane];
    if (record) slices.push({ job: job.id, tenant: job.tenant, lane, layer, variant: laneVariant[lane], start: laneStart[lane], end: clk.now, kind: 'layer' });
    if (adaptive) model.update(job.tenant, lane, profiled, observed);
    if (book.layerDone(job, lane, laneVariant[lane], profiled, observed)) {
      book.finish(job, clk.now, clk.now);
    } else if (modelGranularity) {
      startLayer(job, lane, 0, model.costIndex(job.tenant, job.next, lane, 0));
      return;
    }
    ls.idle = true;
    ls.busyUntil = clk.now;
    ls.job = -1;
    ls.power = ls.def.idleWatts;
    idleLanes++;
  };

  // Source tenants' first frames.
  for (let t = 0; t < nT; t++) if (!tenants[t].cascade) scheduleArrival(t);

  while (q.pop()) {
    clk.now = q.time;
    book.closeWindows();
    if (q.kind === ARRIVAL) {
      const t = q.arg;
      lastRelease[t] = clk.now;
      book.release(t, sourceFrame[t], clk.now, -1, clk.now);
      sourceFrame[t]++;
      scheduleArrival(t);
    } else {
      finishLayer(q.arg);
    }
    if (q.peekTime() === clk.now) continue; // apply every event of this instant first
    if (dropLate && book.readyCount > 0) book.dropLate();
    if (idleLanes > 0 && book.readyCount > 0) {
      const d = book.decide(snapshot);
      if (d) {
        for (let i = 0; i < d.assign.length; i++) {
          const a = d.assign[i];
          const job = book.assignee(a);
          startLayer(job, a.lane, a.variant, book.assignedCost);
        }
      }
    }
  }
  // Jobs still waiting when nothing is left to happen were never served (the policy left them).
  book.dropAll('unserved', clk.now, true);
  const jobs = book.jobs;

  const makespan = clk.now;
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
    slices,
    lanes: laneUsage,
    energyJ,
    makespan,
    horizon,
    layerExecutions,
    transfers,
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
 * The real latencies the simulator will use (for oracle baselines). Per job, the suffix sums of its
 * real layer latencies (on each layer's fastest lane, and on each lane) are computed once, on first
 * use, so every call after that is O(1). Rows are kept by job id (ids are dense in a run): an array
 * index, not a WeakMap lookup, on the hot path of dysta_oracle.
 */
class OraclePredictor implements Predictor {
  private readonly best: (Float64Array | undefined)[] = [];
  private readonly onLane: (Float64Array[] | undefined)[] = [];
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
    let row = this.best[job.id];
    if (!row) {
      const m = this.m;
      const base = m.layerBase[job.tenant];
      row = new Float64Array(job.layerCount + 1);
      for (let i = job.layerCount - 1; i >= 0; i--) row[i] = row[i + 1] + this.real(job as SimJob, i, m.bestLane[base + i], 0);
      this.best[job.id] = row;
    }
    return row[from];
  }
  isolated(job: JobState): number {
    return this.remainingBest(job, 0);
  }
  ratio(): number {
    return 1;
  }
}
