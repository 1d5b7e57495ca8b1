// The scheduler's vocabulary, shared by the simulator and the live runtime. Pure data + the policy
// interface: a policy sees a snapshot and returns decisions; it never reads a clock or does I/O.
// Times are in seconds, energy in joules, power in watts.

export interface LaneDef {
  id: string;
  /** 'cpu', 'gpu', 'npu'...: for display and energy defaults. */
  kind: string;
  idleWatts: number;
  busyWatts: number;
}

/** What one layer costs on one lane with one variant; absent = cannot run there. */
export interface LayerCost {
  latency: number;
  /** Energy per run when known (measured or estimated); else busyWatts x latency. */
  energy?: number;
}

export interface VariantDef {
  id: string;
  /** Accuracy lost by using this variant (0 for the original and exact variants). */
  accuracyDelta: number;
  /** Per lane index. */
  cost: (LayerCost | undefined)[];
}

export interface LayerDef {
  name: string;
  /** variants[0] is the original layer. */
  variants: VariantDef[];
  /** Size of the activations this layer passes on (for lane-to-lane transfer cost). */
  outputBytes: number;
}

export type Arrival = { type: 'periodic'; fps: number; jitter?: number } | { type: 'poisson'; ratePerSec: number };

export interface TenantSlos {
  /** Minimum accuracy (baseAccuracy minus the variants' accuracy loss). */
  minAccuracy?: number;
  /** Minimum finished frames per second. */
  minThroughput?: number;
  /** Maximum p95 latency (s). */
  maxLatency?: number;
}

export interface TenantDef {
  id: string;
  layers: LayerDef[];
  arrival: Arrival;
  /** Relative deadline (s); XRBench's convention is 1/fps (the next frame's release). */
  deadline: number;
  /** 1 (low) .. 9 (high), as PREMA's classes 1/3/9. */
  priority: number;
  cascade?: { upstream: string; probability: number };
  slos?: TenantSlos;
  /** Accuracy loss a job may spend on approximate variants (0 = exact only). */
  accuracyBudget?: number;
  baseAccuracy?: number;
}

export interface SimWorkload {
  name: string;
  lanes: LaneDef[];
  tenants: TenantDef[];
  /** Cost of moving a job's activations between two lanes. */
  transfer?: { latency: number; bytesPerSec: number };
  /** Where the latencies come from: 'synthetic (...)' or 'profile <id> measured on <machine>'. */
  latencySource: string;
  /** How energy figures were obtained (measured meter or estimate model). */
  energySource: { kind: 'measured' | 'estimated'; detail: string };
}

/** A job (one frame of one tenant) as policies see it. Treat as read-only. */
export interface JobState {
  id: number;
  tenant: number;
  release: number;
  deadline: number;
  priority: number;
  /** Index of the next layer to run. */
  next: number;
  layerCount: number;
  /** When the job last ran a layer (its release before that). */
  lastRun: number;
  /** Lane of its previous layer, -1 if none. */
  lastLane: number;
  /** Accuracy loss spent so far on approximate variants. */
  accuracyUsed: number;
  /** Upstream job id for cascade dependents, -1 otherwise. */
  upstream: number;
}

export interface LaneState {
  index: number;
  def: LaneDef;
  idle: boolean;
  /** When the running layer finishes (== now when idle). */
  busyUntil: number;
}

/** Predictions a policy may use; they include the online correction (observed/expected ratio). */
export interface Predictor {
  /** Predicted latency of the job's next layer on a lane with a variant (Infinity if impossible). */
  next(job: JobState, lane: number, variant?: number): number;
  /** Predicted energy of that layer run. */
  nextEnergy(job: JobState, lane: number, variant?: number): number;
  /** Predicted remaining latency (original variants) if every remaining layer ran on `lane`. */
  remainingOn(job: JobState, lane: number): number;
  /** Predicted remaining latency with each layer on its fastest lane. */
  remainingBest(job: JobState): number;
  /** The job's isolated latency estimate (all layers on their fastest lanes, machine otherwise idle). */
  isolated(job: JobState): number;
  /** Observed/expected latency ratio for a tenant on a lane (1 = predictions hold). */
  ratio(tenant: number, lane: number): number;
}

export interface Snapshot {
  time: number;
  /** Jobs ready to run their next layer (not running), in release order. */
  ready: readonly JobState[];
  lanes: readonly LaneState[];
  workload: SimWorkload;
  predict: Predictor;
}

export interface Assignment {
  job: JobState;
  lane: number;
  variant: number;
}

export interface Decision {
  assign: Assignment[];
  /** Frames to drop (their cascade dependents are never released). */
  drop: JobState[];
}

/** What happened, fed back to adaptive policies. */
export type Feedback =
  | { kind: 'layer'; job: JobState; lane: number; predicted: number; observed: number }
  | { kind: 'window'; start: number; end: number; missRate: number; energy: number; uxcost: number };

export interface Policy {
  readonly name: string;
  decide(snapshot: Snapshot): Decision;
  observe?(feedback: Feedback): void;
  /** Current tunable parameters (e.g. Tessera-DREAM's weights), for telemetry. */
  state?(): Record<string, number>;
}
