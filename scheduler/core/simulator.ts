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
//   each dependent tenant's frame is released with its probability. Dropping a frame drops the
//   dependent frames it would have released (counted as released and dropped).
// - "Real" latencies = profiled x bias(tenant, lane) x a per-frame factor (lognormal, `jobNoise`) x a
//   per-layer factor (normal, `latencyNoise`, floored at 0.2). Jitter, noise and cascade outcomes are
//   fixed per (seed, tenant, frame, layer) so every policy sees the same frames (common random numbers).
// - Online refinement: the observed/profiled ratio per tenant and lane (EMA) feeds Snapshot.predict.
// - Energy per lane = busy energy (per-layer energy if the table has it, else busyWatts x latency,
//   scaled by real/profiled; transfers at busyWatts) + idleWatts x idle time, over the horizon
//   max(duration, last event).
// Seeded and deterministic. Pure: no clock, no I/O.
import { computeMetrics, uxcost, type Metrics } from './metrics';
import { EventQueue } from './eventqueue';
import { PredictionModel } from './predict';
import { cascadeFires as fires, frameFactor, frameRelease, layerFactor } from './arrivals';
import { relativeDeadline, type Feedback, type JobState, type LaneState, type Policy, type Predictor, type SimWorkload, type Snapshot } from './types';
import { validateWorkload } from './workload';

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

export type DropReason = 'policy' | 'late' | 'queue' | 'cascade' | 'unserved';

export interface JobRecord {
  id: number;
  tenant: number;
  frame: number;
  release: number;
  deadline: number;
  /** Start of its first layer (NaN if it never ran). */
  start: number;
  /** Finish time, or NaN if dropped. */
  finish: number;
  dropped: boolean;
  dropReason?: DropReason;
  /** Isolated latency estimate (all layers on their fastest lanes). */
  isolated: number;
  accuracyUsed: number;
  upstream: number;
  /** Layers executed. */
  layersRun: number;
}

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
  layerExecutions: number;
  transfers: number;
  metrics?: Metrics;
  policyState?: Record<string, number>;
}

const ARRIVAL = 0;
const LANE_DONE = 1;

class SimJob implements JobState, JobRecord {
  start = NaN;
  finish = NaN;
  dropped = false;
  dropReason?: DropReason = undefined;
  next = 0;
  lastLane = -1;
  accuracyUsed = 0;
  g = 1;
  layersRun = 0;
  gSum = 0;
  running = false;
  waiting = true; // not started yet (for the per-tenant queue bound)
  lastRun: number;
  constructor(
    readonly id: number,
    readonly tenant: number,
    readonly frame: number,
    readonly release: number,
    readonly deadline: number,
    readonly priority: number,
    readonly layerCount: number,
    readonly upstream: number,
    readonly isolated: number,
    /** Per-frame real/profiled factor. */
    readonly factor: number,
  ) {
    this.lastRun = release;
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
  const maxQueue = options.maxQueuePerTenant ?? 32;
  const windowLen = options.window ?? 0.5;
  const record = options.recordSlices ?? false;
  const tenants = workload.tenants;
  const nT = tenants.length;
  const lanes = workload.lanes;
  const nL = lanes.length;
  const model = new PredictionModel(workload);
  const tenantIndex = new Map(tenants.map((t, i) => [t.id, i]));
  const dependents: number[][] = tenants.map(() => []);
  tenants.forEach((t, i) => t.cascade && dependents[tenantIndex.get(t.cascade.upstream)!].push(i));
  const relDeadline = Float64Array.from(tenants, relativeDeadline);
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
    return noise > 0 ? f * layerFactor(seed, job.tenant, job.frame, layer, noise) : f;
  };
  const override = options.realLatency;
  /** Real latency of (job, layer) on a lane with a variant. */
  const realLatency = (job: SimJob, layer: number, lane: number, variant: number): number =>
    override ? override(job.tenant, job.frame, layer, lane) : model.latency(job.tenant, layer, lane, variant) * realFactor(job, layer, lane);

  const predict = model.predictor(adaptive);
  const offline = model.predictor(false);
  const oracle = new OraclePredictor(model, realLatency, realFactor, !!override);
  const laneStates: LaneState[] = lanes.map((def, index) => ({ index, def, idle: true, busyUntil: 0, job: -1, power: def.idleWatts }));
  const readyView: SimJob[] = [];
  const snapshot: Snapshot = { time: 0, ready: readyView, lanes: laneStates, workload, predict, offline, oracle, inSystem: 0, preemption: modelGranularity ? 'model' : 'layer' };

  // Hot mutable doubles live in object fields (stored unboxed in place), not in closure
  // variables (every write to which would allocate a heap number).
  const clk = { now: 0.5, windowStart: 0.5 };
  clk.now = 0;
  clk.windowStart = 0;
  const q = new EventQueue(64);
  const jobs: SimJob[] = [];
  const slices: Slice[] = [];
  const active: SimJob[] = []; // in the system, release order
  const waitingPerTenant = new Int32Array(nT);
  const laneJob: (SimJob | null)[] = new Array(nL).fill(null);
  const laneProfiled = new Float64Array(nL);
  const laneReal = new Float64Array(nL);
  const laneVariant = new Int32Array(nL);
  const laneStart = new Float64Array(nL); // start of the layer proper (after any transfer)
  const busy = new Float64Array(nL);
  const busyEnergy = new Float64Array(nL);
  const laneLayers = new Int32Array(nL);
  let idleLanes = nL;
  let readyCount = 0; // active and not running
  let layerExecutions = 0;
  let transfers = 0;
  const sourceFrame = new Int32Array(nT);
  const nominal = new Float64Array(nT);
  const lastRelease = new Float64Array(nT);

  // Window bookkeeping (reported to policies that observe).
  const observe = policy.observe ? (f: Feedback) => policy.observe!(f) : null;
  let wEnded = 0;
  let wMissed = 0;
  let wDropped = 0;
  const wBusy0 = new Float64Array(nL);
  const wEnergy0 = new Float64Array(nL);
  let refWindowJ = 0;
  for (const l of lanes) refWindowJ += l.busyWatts * windowLen;
  const layerFb = { kind: 'layer' as const, time: 0, job: 0, tenant: 0, layer: 0, lane: 0, variant: 0, predicted: 0, observed: 0 };
  const jobFb = { kind: 'job' as const, time: 0, job: 0, tenant: 0, release: 0, deadline: 0, finish: NaN, dropped: false, accuracyUsed: 0 };

  const scheduleArrival = (t: number) => {
    const r = frameRelease(seed, t, tenants[t].arrival, sourceFrame[t], nominal[t]);
    nominal[t] = r.nominal;
    let time = r.time;
    if (time < lastRelease[t]) time = lastRelease[t];
    if (time < 0) time = 0;
    if (nominal[t] < options.duration && time < options.duration) q.push(time, ARRIVAL, t);
  };

  const newJob = (t: number, frame: number, time: number, upstream: number): SimJob => {
    const f = frameFactor(seed, t, frame, jobNoise);
    const job = new SimJob(jobs.length, t, frame, time, time + relDeadline[t], tenants[t].priority, tenants[t].layers.length, upstream, isolated[t], f);
    jobs.push(job);
    return job;
  };

  const release = (t: number, frame: number, upstream: number) => {
    const job = newJob(t, frame, clk.now, upstream);
    if (waitingPerTenant[t] >= maxQueue) {
      for (let i = 0; i < active.length; i++) {
        const o = active[i];
        if (o.tenant === t && o.waiting && !o.running) {
          endDropped(o, 'queue');
          break;
        }
      }
    }
    active.push(job);
    waitingPerTenant[t]++;
    readyCount++;
  };

  const cascadeFires = (d: number, frame: number) => fires(seed, d, frame, tenants[d].cascade!.probability);

  const jobEnded = (job: SimJob) => {
    wEnded++;
    if (job.dropped) {
      wDropped++;
      wMissed++;
    } else if (job.finish > job.deadline) wMissed++;
    if (observe) {
      jobFb.time = clk.now;
      jobFb.job = job.id;
      jobFb.tenant = job.tenant;
      jobFb.release = job.release;
      jobFb.deadline = job.deadline;
      jobFb.finish = job.finish;
      jobFb.dropped = job.dropped;
      jobFb.accuracyUsed = job.accuracyUsed;
      observe(jobFb);
    }
  };

  /** Drops a job that is in the system and not running, and the dependents it would have released. */
  const endDropped = (job: SimJob, reason: DropReason) => {
    const i = active.indexOf(job);
    if (i >= 0) active.splice(i, 1);
    if (job.waiting) waitingPerTenant[job.tenant]--;
    readyCount--;
    job.dropped = true;
    job.dropReason = reason;
    jobEnded(job);
    dropDependents(job);
  };

  const dropDependents = (job: SimJob) => {
    for (const d of dependents[job.tenant]) {
      if (!cascadeFires(d, job.frame)) continue;
      const dep = newJob(d, job.frame, clk.now, job.id);
      dep.dropped = true;
      dep.dropReason = 'cascade';
      jobEnded(dep);
      dropDependents(dep);
    }
  };

  const startLayer = (job: SimJob, lane: number, variant: number) => {
    const t = job.tenant;
    const layer = job.next;
    const profiled = model.latency(t, layer, lane, variant);
    if (!(profiled < Infinity)) {
      const tn = tenants[t];
      throw new Error(`policy "${policy.name}" put layer ${layer} ("${tn.layers[layer].name}") of tenant "${tn.id}" with variant ${variant} on lane "${lanes[lane].id}", which cannot run it`);
    }
    const dt = model.transferTime(t, layer, job.lastLane, lane);
    const real = override ? override(t, job.frame, layer, lane) : profiled * realFactor(job, layer, lane);
    const begin = clk.now + dt;
    const end = begin + real;
    if (dt > 0) {
      transfers++;
      if (record) slices.push({ job: job.id, tenant: t, lane, layer, variant, start: clk.now, end: begin, kind: 'transfer' });
    }
    busy[lane] += dt + real;
    busyEnergy[lane] += model.layerEnergy(t, layer, lane, variant) * (real / profiled) + dt * lanes[lane].busyWatts;
    laneLayers[lane]++;
    if (job.waiting) {
      job.waiting = false;
      job.start = clk.now;
      waitingPerTenant[t]--;
    }
    job.running = true;
    readyCount--;
    job.accuracyUsed += tenants[t].layers[layer].variants[variant].accuracyDelta;
    laneJob[lane] = job;
    laneProfiled[lane] = profiled;
    laneReal[lane] = real;
    laneVariant[lane] = variant;
    laneStart[lane] = begin;
    const ls = laneStates[lane];
    if (ls.idle) idleLanes--;
    ls.idle = false;
    ls.busyUntil = begin + (adaptive ? profiled * model.ratio(t, lane) : profiled);
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
    job.running = false;
    job.lastRun = clk.now;
    job.lastLane = lane;
    job.next = layer + 1;
    job.layersRun++;
    job.gSum += observed / profiled;
    job.g = job.gSum / job.layersRun;
    if (adaptive) model.update(job.tenant, lane, profiled, observed);
    if (observe) {
      layerFb.time = clk.now;
      layerFb.job = job.id;
      layerFb.tenant = job.tenant;
      layerFb.layer = layer;
      layerFb.lane = lane;
      layerFb.variant = laneVariant[lane];
      layerFb.predicted = profiled;
      layerFb.observed = observed;
      observe(layerFb);
    }
    if (job.next >= job.layerCount) {
      active.splice(active.indexOf(job), 1);
      job.finish = clk.now;
      jobEnded(job);
      for (const d of dependents[job.tenant]) if (cascadeFires(d, job.frame)) release(d, job.frame, job.id);
    } else if (modelGranularity) {
      readyCount++;
      startLayer(job, lane, 0);
      return;
    } else {
      readyCount++;
    }
    ls.idle = true;
    ls.busyUntil = clk.now;
    ls.job = -1;
    ls.power = ls.def.idleWatts;
    idleLanes++;
  };

  const closeWindow = (end: number) => {
    if (observe) {
      let energy = 0;
      for (let l = 0; l < nL; l++) {
        const b = busy[l] - wBusy0[l];
        energy += busyEnergy[l] - wEnergy0[l] + Math.max(0, end - clk.windowStart - b) * lanes[l].idleWatts;
      }
      const missRate = wEnded ? wMissed / wEnded : 0;
      observe({ kind: 'window', start: clk.windowStart, end, ended: wEnded, missed: wMissed, dropped: wDropped, missRate, energyJ: energy, uxcost: uxcost(energy, refWindowJ, missRate), referenceJ: refWindowJ });
    }
    clk.windowStart = end;
    wEnded = wMissed = wDropped = 0;
    wBusy0.set(busy);
    wEnergy0.set(busyEnergy);
  };

  const dropLateJobs = () => {
    for (let i = active.length - 1; i >= 0; i--) {
      const j = active[i];
      if (!j.running && clk.now >= j.deadline) endDropped(j, 'late');
    }
  };

  const consult = () => {
    // Overwrite in place and trim with pop(): no reallocation of the array's backing store.
    let k = 0;
    for (let i = 0; i < active.length; i++) {
      const j = active[i];
      if (!j.running && (!modelGranularity || j.waiting)) {
        if (k < readyView.length) readyView[k] = j;
        else readyView.push(j);
        k++;
      }
    }
    while (readyView.length > k) readyView.pop();
    if (k === 0) return;
    snapshot.time = clk.now;
    snapshot.inSystem = active.length;
    const d = policy.decide(snapshot);
    for (let i = 0; i < d.drop.length; i++) {
      const job = jobs[d.drop[i]];
      if (!job || job.running || job.dropped || !Number.isNaN(job.finish) || (modelGranularity && !job.waiting)) {
        throw new Error(`policy "${policy.name}" dropped job ${d.drop[i]}, which is not a ready job`);
      }
      endDropped(job, 'policy');
    }
    for (let i = 0; i < d.assign.length; i++) {
      const a = d.assign[i];
      const job = jobs[a.job];
      if (!job || job.running || job.dropped || !Number.isNaN(job.finish) || (modelGranularity && !job.waiting)) {
        throw new Error(`policy "${policy.name}" assigned job ${a.job}, which is not a ready job`);
      }
      const ls = laneStates[a.lane];
      if (!ls || !ls.idle) throw new Error(`policy "${policy.name}" assigned job ${a.job} to lane ${a.lane}, which is not an idle lane`);
      startLayer(job, a.lane, a.variant);
    }
  };

  // Source tenants' first frames.
  for (let t = 0; t < nT; t++) if (!tenants[t].cascade) scheduleArrival(t);

  while (q.pop()) {
    clk.now = q.time;
    while (clk.now >= clk.windowStart + windowLen) closeWindow(clk.windowStart + windowLen);
    if (q.kind === ARRIVAL) {
      const t = q.arg;
      lastRelease[t] = clk.now;
      release(t, sourceFrame[t], -1);
      sourceFrame[t]++;
      scheduleArrival(t);
    } else {
      finishLayer(q.arg);
    }
    if (q.peekTime() === clk.now) continue; // apply every event of this instant first
    if (dropLate && readyCount > 0) dropLateJobs();
    if (idleLanes > 0 && readyCount > 0) consult();
  }
  // Jobs still waiting when nothing is left to happen were never served (the policy left them).
  for (let i = active.length - 1; i >= 0; i--) endDropped(active[i], 'unserved');

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
    policyState: policy.state?.(),
  };
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
