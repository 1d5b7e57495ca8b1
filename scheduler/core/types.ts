// The scheduler's vocabulary, shared by the simulator and the live runtime.
//
//   input model   SimWorkload = lanes + tenants (+ where the numbers come from)
//   policy        decide(Snapshot) -> Decision; optional observe(Feedback) and state()
//
// Pure data and interfaces: no Node, no clock, no I/O. Units: seconds, joules, watts, bytes.
// Lanes, tenants, layers and variants are referred to by their index in the workload's arrays;
// a LayerCost array is indexed by lane index. These types are the stable contract: adapters from
// profiles and scenarios produce a SimWorkload; the live runtime builds Snapshots.

// ---------------------------------------------------------------------------------------------
// Input model
// ---------------------------------------------------------------------------------------------

/** One execution target (device + execution provider + settings). */
export interface LaneDef {
  id: string;
  /** 'cpu' | 'gpu' | 'npu' | ...: for display and energy defaults. */
  kind: string;
  /** Power drawn while idle (W). */
  idleWatts: number;
  /** Power drawn while running a layer (W); a layer's energy is busyWatts x latency unless given. */
  busyWatts: number;
  /**
   * Cost of moving activations between this lane's memory and host memory. Moving a job's
   * activations from lane a to lane b costs link(a) + link(b), each latency + bytes / bytesPerSec;
   * a lane without a link works in host memory (cost 0), so CPU-to-CPU moves are free.
   */
  link?: { latency: number; bytesPerSec: number };
}

/** What one layer costs on one lane with one variant. */
export interface LayerCost {
  /** Predicted (profiled) latency, s. */
  latency: number;
  /** Energy per run (J) when known (measured or estimated); else busyWatts x latency. */
  energy?: number;
}

/** One implementation of a layer. variants[0] of every layer is the original. */
export interface VariantDef {
  id: string;
  /** Accuracy lost by using this variant (0 for the original and for exact variants). */
  accuracyDelta: number;
  /** Per lane index; null/undefined = this variant cannot run on that lane. */
  cost: (LayerCost | null | undefined)[];
}

export interface LayerDef {
  name: string;
  variants: VariantDef[];
  /** Size of the activations this layer passes to the next one (for lane-to-lane moves). */
  outputBytes: number;
}

export type Arrival =
  /** Frames at a fixed rate; each release moved uniformly within +-jitter seconds (clamped at 0). */
  | { type: 'periodic'; fps: number; jitter?: number; phase?: number }
  /** Poisson process. */
  | { type: 'poisson'; ratePerSec: number };

export interface TenantSlos {
  /** Minimum accuracy of every frame: baseAccuracy minus the accuracy lost to variants. */
  minAccuracy?: number;
  /** Minimum finished frames per second (frames that finished, late or not). */
  minThroughput?: number;
  /** Maximum latency (s), checked on the p95 of finished frames. */
  maxLatency?: number;
}

export interface TenantDef {
  id: string;
  /** The model this tenant runs (a profile's model id, or a synthetic name). */
  model: string;
  layers: LayerDef[];
  /** For a cascade dependent, the rate only sets the default deadline (its frames come from upstream). */
  arrival: Arrival;
  /** Relative deadline, s. Default: 1/fps (the next frame's release, XRBench) or 1/ratePerSec. */
  deadline?: number;
  /** 1 (low) .. 9 (high), PREMA's classes 1/3/9. */
  priority: number;
  /** This tenant's frame is released when an upstream frame finishes, with this probability. */
  cascade?: { upstream: string; probability: number };
  slos?: TenantSlos;
  /** Accuracy a frame may lose to approximate variants (0 or absent = exact variants only). */
  accuracyBudget?: number;
  /**
   * Layer variants (by id) that cannot be substituted into this tenant's whole model, and why (an
   * int8-static layer raises an opset-9 model to 10, which a model with Slice cannot take): live at
   * model granularity the tenant runs without them, so the tuner's fixed picks there leave them out.
   */
  notInWholeModel?: { variantIds: string[]; reason: string };
  /** Accuracy of the original model (for SLO checks), default 1. */
  baseAccuracy?: number;
  /**
   * Combinations of approximate variants verified together within the tenant's limits (see
   * whitelist.ts). When present, a frame's approximate variants must all belong to one of them
   * (exact variants, accuracyDelta 0, are always allowed) instead of summing within accuracyBudget.
   */
  whitelist?: VariantWhitelist;
  /**
   * Per lane (same order as the workload's lanes): the measured cost of the whole model run as ONE
   * session there (a profile's wholeModel figure), null where not measured. At 'model' granularity
   * the simulator charges this instead of the sum of the cut layers (groups.ts withGranularity).
   * Absent (synthetic workloads): the layer sum everywhere.
   */
  wholeModel?: (LayerCost | null)[];
}

/** One combination of layer variants measured together end to end. */
export interface WhitelistCombo {
  id: string;
  /** Per layer: the variant index it substitutes (0 = the original). */
  variants: number[];
  /** Its verified accuracy cost (end to end, substituted together). */
  cost: number;
  /**
   * A model-level variant (reduced resolution, pruned architecture): another graph whose layers only
   * run together, so a frame runs all of it or none: it commits at its first layer, and from then on
   * every layer runs the combination's variant (jobs.ts assignee enforces it).
   */
  whole?: boolean;
}

export interface VariantWhitelist {
  /** At most 31 (a frame's consistent combinations are a bit set). */
  combos: WhitelistCombo[];
  /** What `cost` is, e.g. "end-to-end relative L2 output error". */
  costLabel: string;
}

/** Where latencies come from: always carried to every result and report. */
export type LatencySource =
  | { kind: 'measured'; profileId: string; detail?: string }
  | { kind: 'synthetic'; detail: string };

/** Where energy figures come from: a named meter, or a named estimate. */
export interface EnergySource {
  kind: 'measured' | 'estimated';
  detail: string;
}

export interface SimWorkload {
  name: string;
  lanes: LaneDef[];
  tenants: TenantDef[];
  latencySource: LatencySource;
  energySource: EnergySource;
}

// ---------------------------------------------------------------------------------------------
// What a policy sees
// ---------------------------------------------------------------------------------------------

/** A job (one frame of one tenant) waiting for its next layer. Policies must not modify it. */
export interface JobState {
  /** Unique within a run. */
  id: number;
  /** Tenant index. */
  tenant: number;
  /** The tenant's frame number (0, 1, ...). */
  frame: number;
  release: number;
  /** Absolute deadline. */
  deadline: number;
  priority: number;
  /** Index of the next layer to run (layers remaining = layerCount - next). */
  next: number;
  layerCount: number;
  /** End of its last layer (its release before any ran). */
  lastRun: number;
  /** Lane of its previous layer, -1 if none: where its activations are. */
  lastLane: number;
  /** Accuracy lost so far to approximate variants (whitelist tenants: the cost of the smallest verified combination holding them). */
  accuracyUsed: number;
  /** Whitelist tenants: bit set of the combinations consistent with the variants this frame ran (-1 = none ran yet). */
  variantSet?: number;
  /** Upstream job id for cascade dependents, -1 otherwise. */
  upstream: number;
  /** Dysta's g: mean over this job's executed layers of observed / predicted latency (1 before any). */
  g: number;
}

export interface LaneState {
  index: number;
  def: LaneDef;
  idle: boolean;
  /** Predicted end of the running layer (== time when idle). Never the real end. */
  busyUntil: number;
  /** Id of the job running there, -1 when idle. */
  job: number;
  /** Power now (W): busyWatts or idleWatts. */
  power: number;
}

/**
 * Latency and energy predictions. Every method is O(1) (precomputed tables). Values for a lane or
 * variant that cannot run the layer are Infinity.
 */
export interface Predictor {
  /** Latency of the job's next layer on a lane with a variant (default 0, the original). */
  next(job: JobState, lane: number, variant?: number): number;
  /** Busy energy of that layer run (J). */
  nextEnergy(job: JobState, lane: number, variant?: number): number;
  /**
   * next() and nextEnergy() for every lane at once (the fast path for policies that score every
   * lane): fills lat[offset + l] (and energy[offset + l] when given) for l < lanes.
   */
  nextAll(job: JobState, variant: number, lat: Float64Array, energy?: Float64Array, offset?: number): void;
  /** Time to move the job's activations to `lane` before its next layer (0 if already there or none). */
  transfer(job: JobState, lane: number): number;
  /** Remaining latency (original variants) from layer `from` (default job.next) if all ran on `lane`. */
  remainingOn(job: JobState, lane: number, from?: number): number;
  /** Remaining latency with each layer from `from` (default job.next) on its fastest lane, original variants, no transfers. */
  remainingBest(job: JobState, from?: number): number;
  /** Isolated latency estimate: the whole job, each layer on its fastest lane, machine otherwise idle. */
  isolated(job: JobState): number;
  /** Observed/expected latency ratio for a tenant on a lane (an EMA; 1 = predictions hold). */
  ratio(tenant: number, lane: number): number;
  /**
   * Optional: a number that changes whenever any of the tenant's ratios may have changed (equal
   * numbers: ratio() returns what it did), so a policy that caches per tenant checks one number per
   * tenant instead of every ratio. Predictors without it are polled with ratio().
   */
  ratioVersion?(tenant: number): number;
}

export interface Snapshot {
  time: number;
  /** Jobs ready to run their next layer (not running), in release order (ties: job id). */
  ready: readonly JobState[];
  lanes: readonly LaneState[];
  workload: SimWorkload;
  /** Predictions refined online: the profile's latencies x the observed/expected ratio per tenant and lane. */
  predict: Predictor;
  /** The profile's latencies as they are (ratio 1): what a static predictor knows. */
  offline: Predictor;
  /** The real latencies (simulator only; absent in the live runtime): for oracle baselines. */
  oracle?: Predictor;
  /** Jobs in the system (ready + running). */
  inSystem: number;
  /** 'layer': every layer is placed separately; 'model': a placed job runs all its layers on that lane. */
  preemption: 'layer' | 'model';
  /**
   * What changed in `ready` since the previous decision of the same run (JobBook fills it; absent in
   * hand-made snapshots): lets a policy keep its own index of the ready jobs (policies/ready-index.ts)
   * instead of rescanning them all per decision. Optional to use: `ready` is always complete.
   */
  readyChanges?: ReadyChanges;
}

/**
 * The ready set's changes between two consecutive decisions of one run. To bring an index of the
 * ready jobs as of decision `seq - 1` of `source` up to this one: take out every job in `removed`
 * (where it is), then put in every job in `added` (its fields may have changed since it was last
 * in). A job's fields do not change while it is ready. Valid only during decide().
 */
export interface ReadyChanges {
  /** The run (its books) the changes belong to. */
  readonly source: object;
  /** Consecutive decisions of one source have consecutive seq. */
  readonly seq: number;
  /** Every job that left or entered the ready set since the previous decision (each once). */
  readonly removed: readonly JobState[];
  /** Those of them that are ready now. */
  readonly added: readonly JobState[];
}

/** Run job `job`'s next layer on lane `lane` with variant `variant` (index into that layer's variants). */
export interface Assignment {
  job: number;
  lane: number;
  variant: number;
}

/**
 * A policy's answer. Assignments go to idle lanes only, at most one per lane and per job; invalid
 * ones are an error. Dropped jobs (ids) end now; their cascade dependents are dropped with them.
 * The caller reads a Decision at once, so a policy may reuse one object between calls.
 */
export interface Decision {
  assign: Assignment[];
  drop: number[];
}

/**
 * What happened, fed back to adaptive policies. The object is only valid during the observe() call
 * (the simulator reuses it): copy what you keep.
 */
export type Feedback =
  /** A layer ended; predicted = its profiled latency (no online correction), observed = what it took. */
  | { kind: 'layer'; time: number; job: number; tenant: number; layer: number; lane: number; variant: number; predicted: number; observed: number }
  | { kind: 'job'; time: number; job: number; tenant: number; release: number; deadline: number; /** NaN if dropped */ finish: number; dropped: boolean; accuracyUsed: number }
  | {
      kind: 'window';
      start: number;
      end: number;
      /** Jobs that ended (finished or dropped) in the window. */
      ended: number;
      missed: number;
      dropped: number;
      missRate: number;
      energyJ: number;
      /** Tessera's UXCost of the window against referenceJ (see metrics.ts). */
      uxcost: number;
      referenceJ: number;
    };

export interface Policy {
  readonly name: string;
  decide(snapshot: Snapshot): Decision;
  /** Online feedback (layer finished, job ended, window closed). */
  observe?(feedback: Feedback): void;
  /** Current tunable parameters (e.g. Tessera-DREAM's weights), for telemetry. */
  state?(): Record<string, number>;
  /** What the policy switched so far (e.g. DREAM's model variants), for reports and traces. */
  events?(): readonly PolicyEvent[];
}

/** A policy's switch at run time (s), e.g. a tenant moved to its model variant and back. */
export interface PolicyEvent {
  time: number;
  tenant: number;
  kind: 'model-variant-on' | 'model-variant-off';
  detail: string;
}

/** The relative deadline of a tenant (its own, else one frame period). */
export function relativeDeadline(t: TenantDef): number {
  if (t.deadline !== undefined) return t.deadline;
  return t.arrival.type === 'periodic' ? 1 / t.arrival.fps : 1 / t.arrival.ratePerSec;
}
