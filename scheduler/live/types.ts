// The live runtime's vocabulary: the scenario it runs (workloads/scenario.ts scenarios with their
// models resolved, by scheduler/live/scenario.ts; or built directly by demos and tests), the
// options of a run, the telemetry it streams and the report it ends with. Times are seconds from
// the run's start unless named *Ms/*Us.
import type { BackgroundLoad, MachineCalibration } from '../core/calibration';
import type { Attribution } from '../core/energy-attribution';
import type { DropCounts, DropReason, JobRecord } from '../core/jobs';
import type { Metrics } from '../core/metrics';
import type { Slice } from '../core/simulator';
import type { Arrival, PolicyEvent, TenantSlos } from '../core/types';
import type { CombinationFigures } from '../core/whitelist';
import type { VariantUse } from '../core/variant-use';
import type { GpuAdapter, LaneSpec, Profile, TensorInfo } from '../../profiler/types';
import type { Granularity } from '../../common/granularity';

/**
 * Where a live tenant's model comes from, once resolved (not the scenario format's ModelRef in
 * workloads/scenario.ts, which scheduler/live/scenario.ts resolves into this).
 */
export type LiveModelSource =
  /** A file path, a built-in demo model ("demo:NAME"), or a library reference (workloads/library). */
  | string
  | { bytes: Uint8Array; name: string }
  /** Pre-cut executable units (tests, demo models): each a standalone ONNX model. */
  | { exec: ExecModel };

export interface LiveTenantSpec {
  id: string;
  model: LiveModelSource;
  /** Concrete shapes for inputs with dynamic dimensions. */
  shapes?: Record<string, number[]>;
  /** Fixed values for inputs that need them (e.g. Silero VAD's sr = 16000). */
  inputValues?: Record<string, number | number[]>;
  arrival: Arrival;
  /** Relative deadline (s); default: the next frame's release (1 / rate). */
  deadline?: number;
  /** 1 (low) .. 9 (high); default 3. */
  priority?: number;
  cascade?: { upstream: string; probability: number };
  slos?: TenantSlos;
  baseAccuracy?: number;
  /** Accuracy a frame may lose to approximate variants, added up (0 or absent: exact variants only). */
  accuracyBudget?: number;
  /** Whitelist limits (scenario format): only combinations of variants verified together within them. */
  maxOutputRelErr?: number;
  maxTop1Drop?: number;
  minMapIoU?: number;
  maxDecisionChange?: number;
}

export interface LiveScenario {
  name: string;
  tenants: LiveTenantSpec[];
}

/** One executable unit of a model: the whole model (model granularity), one cut layer, or a group of them. */
export interface ExecUnit {
  name: string;
  bytes: Uint8Array;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Verified layer variants the lanes load beside it (variant k + 1 of the scheduler's layer). */
  variants?: ExecVariant[];
  /** The unit runs this variant in place of the original layer (a schedule's fixed per-layer pick: `bytes` are the variant's). */
  fixedVariant?: Omit<ExecVariant, 'bytes'>;
}

/** A verified variant of a unit: same inputs and outputs, another implementation. */
export interface ExecVariant {
  id: string;
  exact: boolean;
  /** 0 for exact ones; else the end-to-end relative L2 output error measured substituted alone. */
  accuracyDelta: number;
  bytes: Uint8Array;
  /**
   * A model-level variant (resolution, arch-prune; model granularity): per lane id as the profile
   * measured it, its cost / the original's by the profile's figures (sim-workload.ts
   * modelVariantCosts). Where given, the live table charges this run's original figure x this ratio
   * instead of the calibration's paired ratio; a lane absent here is not offered the variant.
   */
  profileRatio?: Record<string, number>;
  /** Where it comes from, for the report (e.g. "profile p1, sha256 matched"). */
  source?: string;
}

/** A model as the runtime executes it: its inputs and units in order (chaining them reproduces the model). */
export interface ExecModel {
  name: string;
  inputs: TensorInfo[];
  /** The model's output names (graph outputs may come from any unit); absent: the last unit's outputs. */
  outputs?: string[];
  units: ExecUnit[];
  /** Realistic input tensors (captured samples); random seeded inputs are made when absent. */
  samples?: Record<string, WireTensor>[];
  /** What the units are: 'whole model', 'cut (group)', 'demo layers'... */
  granularity: string;
  sha256?: string;
  /** Combinations of its variants verified together (whitelists are built from them). */
  combinations?: CombinationFigures[];
}

/** What became of a submitted frame: its model's outputs, or why it was dropped. Latency: from submit() to its last layer's end. */
export type FrameOutcome =
  | { ok: true; tenant: string; frame: number; outputs: Record<string, WireTensor>; latencyMs: number; late: boolean }
  | { ok: false; tenant: string; frame: number; reason: DropReason | 'stopped'; message: string };

/** A tensor as it crosses a thread or process boundary. */
export interface WireTensor {
  type: string;
  dims: number[];
  data: ArrayBufferView;
}

/**
 * What one dispatch runs: the whole model, one cut layer, or K consecutive cut layers ('group:K',
 * common/granularity.ts). Not the profiler's granularity (profiler/onnx/cut.ts: how finely a model is
 * cut into layers).
 */
export type ExecGranularity = Granularity;

export interface LaneFault {
  /** Lane index or id. */
  lane: number | string;
  /** Run time (s) at which the lane's worker is made to die (at its next layer run). */
  at: number;
}

export interface LiveOptions {
  policy: string;
  /** Seconds during which frames are released (then the run drains); ignored when frames are submitted. */
  duration: number;
  /**
   * Where frames come from: 'arrivals' (default), the scenario's arrival processes for `duration`
   * seconds; or 'submitted', an embedder's frames (LiveRun.submit) until finishSubmissions() or
   * stop(): no cascade is released for them and no prediction is made.
   */
  frames?: 'arrivals' | 'submitted';
  lanes: LaneSpec[];
  granularity?: ExecGranularity;
  /** Multiplies every arrival rate (load scaling); a deadline at the next release follows the rate (workloads/rate-scaling.ts). */
  scale?: number;
  /**
   * Scale the frame rates (on top of `scale`) so that the busiest lane is this busy with every layer on
   * its fastest lane, by the run's own latency table (the simulator's --load rule); e.g. 0.7 for a demo
   * whose lanes are busy enough for a policy switch to show.
   */
  load?: number;
  seed?: number;
  /**
   * The machine calibration (scheduler/core/calibration.ts: lane-pair interference, dispatch cost under
   * contention, decision cost, CPU<->CPU copies) the prediction applies; without it, only what the run
   * measures itself. The report shows the prediction with and without the calibration.
   */
  machineCalibration?: MachineCalibration;
  /** Measured profiles (by model sha256 or name) for the latency predictions; else a calibration run. */
  profiles?: Profile[];
  /** 'thread' (default) or 'process' (forced inside Electron). */
  isolation?: 'thread' | 'process';
  /** Bounded admission queue per tenant: the oldest waiting frame gives way beyond it (default 16). */
  maxQueuePerTenant?: number;
  /** Refine predictions from observed layer times (default true). */
  adaptive?: boolean;
  /** Telemetry batches per second (default 10). */
  telemetryHz?: number;
  /** Caps that keep memory bounded. */
  caps?: { slices?: number; jobs?: number; telemetryItems?: number };
  /**
   * Calibration: timed repetitions per unit and lane (default 12), warm-up runs (default 3), and
   * 'solo' (one lane at a time), 'contended' (all lanes at once) or 'blend' (both, weighted by the
   * predicted lane utilisation; default).
   */
  calibration?: { reps?: number; warmup?: number; mode?: 'solo' | 'contended' | 'blend' };
  /** Window for the policy's UXCost feedback and the SLO windows (s, default 1). */
  window?: number;
  /** Longest wait after `duration` for frames in flight (s); default max(1, 4 x the longest deadline). */
  drainTimeout?: number;
  /** Fault injection (tests, demos). */
  faults?: LaneFault[];
  /** Write trace.json and report.json under dataDir()/runs/<id> (default true). */
  writeFiles?: boolean;
  /** Run id (default: generated). */
  runId?: string;
  /** Energy: try the machine's meters (default true); otherwise a labelled estimate. */
  meters?: boolean;
  /** Also run the simulator beside the live run (default true). */
  predict?: boolean;
  /** Seconds between the report snapshots saved while the run goes (default 2; longer when a snapshot is slow to make). */
  snapshotInterval?: number;
  /**
   * Layer variants to generate for every tenant (layer granularity; kinds as `tessera variants
   * --kinds`, e.g. "exact,fp16,lowrank"): verified on the cut's activations, loaded as sessions on
   * every lane before the run, and offered to the policy within each tenant's accuracy budget or
   * whitelist.
   */
  variants?: string;
  /**
   * Model-level variants (model granularity): kinds as `tessera variants --kinds`, e.g.
   * "resolution=0.75,arch-prune". Made again from each tenant's model with the same generator and
   * parameters, verified end to end, loaded on every lane, and offered (as "model:<id>", all or
   * nothing) to tenants with whitelist limits. Absent: the kinds a matched profile's
   * `modelVariants` lists (whose hashes the regenerated models must match), for tenants with limits.
   * "none": no model variants.
   */
  modelVariants?: string;
  /**
   * Drop a frame still waiting at its deadline (cause 'late'), at every event, as the simulator's
   * `dropLate` does (the same JobBook.dropLate()).
   */
  dropLate?: boolean;
  /**
   * Per tenant (scenario order): the lane it is pinned to (lane id or index), or null/absent = free.
   * Its layers run only there, where that lane can run them (core/workload.ts applyPins: a layer the
   * lane cannot run, or a lane that failed, leaves the tenant its other lanes).
   */
  pins?: (string | number | null | undefined)[];
  /**
   * Per tenant (scenario order): layers that run a fixed variant instead of the original (a tuned
   * schedule's 'fastest' choice), by layer name and variant id (e.g. "split-out(g=2)"). With model
   * granularity they are substituted into the whole model together. The variants are made again from the model and verified on its own activations
   * (hooks.substituteVariants), loaded on every lane before the run, and calibrated there; one that
   * cannot be made or verified runs as the original, and the report says so (`levers`).
   */
  variantPicks?: ({ layer: string; variant: string }[] | null | undefined)[];
}

/** The options of a run with every default filled in. */
export type ResolvedLiveOptions = LiveOptions & { granularity: ExecGranularity; scale: number; seed: number; maxQueuePerTenant: number; adaptive: boolean; telemetryHz: number; window: number };

export interface LiveSlice extends Slice {
  /** 0 for the first attempt; a job restarted after a lane failure runs again with attempt + 1. */
  attempt: number;
}

/** A live frame's record: the simulator's (dropReason says why it was dropped), plus what only a live run has. */
export interface LiveJobRecord extends JobRecord {
  /** Still in flight when the run was stopped: not counted in the metrics. */
  abandoned?: boolean;
  attempts: number;
  /** When the runtime saw the release (its clock's lateness is part of the latency). */
  seen: number;
}

// ---------------------------------------------------------------------------------------------
// Telemetry: one batch per tick (default 10 per second), JSON-compatible.

export interface TelemetryJob {
  id: number;
  /** Tenant index (see TelemetryBatch.tenants). */
  tenant: number;
  release: number;
  deadline: number;
  /** Finish time, null when dropped. */
  finish: number | null;
  dropped: boolean;
  /** Why it was dropped (scheduler/core/jobs.ts DropReason). */
  reason?: DropReason;
}

export interface TelemetrySlice {
  job: number;
  tenant: number;
  lane: number;
  layer: number;
  start: number;
  end: number;
  kind: 'layer' | 'transfer';
}

export interface TelemetryBatch {
  runId: string;
  seq: number;
  /** Run time (s) when the batch was made. */
  t: number;
  /** running: frames are released; draining: no more releases, frames in flight finish; stopping: stopped, layers in flight finish; done: the last batch. */
  phase: 'running' | 'draining' | 'stopping' | 'done';
  policy: string;
  /** The policy's tunable weights (Tessera-DREAM's urgency/fairness/energy), when it has any. */
  policyState?: Record<string, number>;
  tenants: { id: string; deadline: number; released: number; finished: number; late: number; dropped: number; queued: number }[];
  lanes: {
    id: string;
    alive: boolean;
    /** Busy share since the previous batch. */
    utilisation: number;
    runs: number;
    /** Estimated power above idle since the previous batch (busy share x the lane's busy watts): an ESTIMATE even when power.source is measured. */
    estimatedWatts: number;
  }[];
  /** Jobs that ended since the previous batch. */
  jobs: TelemetryJob[];
  /** Layer and transfer slices since the previous batch. */
  slices: TelemetrySlice[];
  /** Items left out of this batch by the per-batch cap. */
  omitted: { jobs: number; slices: number };
  /** Observed/expected latency ratio (EMA) per tenant and lane: the online refinement. */
  ratios: number[][];
  /** Power since the previous batch and energy so far, with their source (measured meter or labelled estimate). */
  power: { watts: number; joules: number; source: EnergySourceLabel };
  /**
   * Event-loop delay of this process (the one serving the UI), ms: maxMs / p99Ms cumulative since the
   * run started (the report's figures); tickMaxMs the largest since the previous batch, from
   * tickSamples samples of the 10 ms sampling timer (0 when none came: then tickMaxMs is 0). The
   * runtime always sets the tick fields; they are optional for readers of older batches.
   */
  loop: { maxMs: number; p99Ms: number; tickMaxMs?: number; tickSamples?: number };
  /** Model-variant switches (DREAM) since the previous batch: a tenant moved to its model variant ('on') or back ('off'). */
  modelSwitches?: ModelSwitchEvent[];
}

/** A tenant moved to its model variant or back, as the policy decided (PolicyEvent kinds model-variant-on / -off). */
export interface ModelSwitchEvent {
  /** Run time, s. */
  t: number;
  tenant: string;
  to: 'variant' | 'original';
  /** The policy's words (window miss rate, hold). */
  detail: string;
}

export interface EnergySourceLabel {
  kind: 'measured' | 'estimated';
  detail: string;
}

// ---------------------------------------------------------------------------------------------
// The report.

export interface TenantComparison {
  tenant: string;
  measured: { released: number; meanLatencyMs: number; p95LatencyMs: number; missRate: number; dropRate: number };
  predicted: { released: number; meanLatencyMs: number; p95LatencyMs: number; missRate: number; dropRate: number };
  /** (measured - predicted) / predicted for latencies; percentage points for rates. */
  diff: { meanLatencyRel: number; p95LatencyRel: number; missRatePts: number; dropRatePts: number };
}

/** What a run applied of a schedule's levers beyond policy, lanes, granularity and queue bound. */
export interface LiveLevers {
  dropLate: boolean;
  /** Pinned tenants and their lanes. */
  pins: { tenant: string; lane: string }[];
  /** Per picked layer: whether it ran its variant (else the original, with why), and the variant session's size. */
  variants: { tenant: string; layer: string; variant: string; applied: boolean; reason?: string; modelBytes?: number; rssGrowthBytes?: number }[];
}

export interface LiveReport {
  runId: string;
  /** Wall-clock time frames started being released (ISO). */
  startedAt?: string;
  scenario: string;
  policy: string;
  policySwitches: { at: number; policy: string }[];
  granularity: ExecGranularity;
  seed: number;
  scale: number;
  durationSec: number;
  elapsedSec: number;
  /**
   * running: a snapshot written while the run goes (crash safety); interrupted: such a snapshot whose
   * process ended without finishing the run (kill -9, power loss), as the runs store reads it.
   */
  status: 'completed' | 'stopped' | 'failed' | 'running' | 'interrupted';
  error?: string;
  /** Set on snapshots: when it was written, by which process, how often they come, frames in flight (not counted). */
  snapshot?: { at: string; pid: number; intervalSec: number; inFlight: number };
  lanes: {
    id: string;
    ep: string;
    threads?: number;
    /** A software GPU lane (webgpu:sw): its timings are not GPU figures. */
    software?: boolean;
    /** GPU lanes: the adapter the lane's process ran on (profiler/gpu/adapter.ts). */
    adapter?: GpuAdapter;
    alive: boolean;
    failure?: { at: number; reason: string };
    busySec: number;
    utilisation: number;
    runs: number;
    dispatchOverheadUs: number;
  }[];
  tenants: {
    id: string;
    model: string;
    units: number;
    deadlineMs: number;
    arrival: Arrival;
    cascade?: { upstream: string; probability: number };
    /** Per lane: the predicted latency of the whole model (sum of its units, dispatch overhead included), ms; null where it cannot run. */
    predictedMs: (number | null)[];
  }[];
  /** Where the latency predictions came from. */
  latencySource: string;
  metrics: Metrics;
  /** The simulator with the same latency table, scenario, policy and seed. */
  predicted?: { metrics: Metrics; latencyNoise: number; note: string };
  /** Per tenant and overall (last row, '(all)'): measured vs predicted. */
  comparison?: TenantComparison[];
  /** Measured vs the simulator re-run with the latencies the run learnt online (hindsight, not a prediction). */
  hindsight?: { comparison: TenantComparison[]; note: string };
  /**
   * What the prediction applied beyond the latencies measured one lane at a time (interference,
   * dispatch under contention, decision cost, copies, background load), and the prediction without
   * it beside the measured figures: `errorRemoved` is 1 - |with - measured| / |without - measured|,
   * summed over the tenants (1: all the error removed, 0: none, negative: worse; null: nothing to remove).
   */
  calibration?: {
    applied: string[];
    machine?: { key: string; createdAt: string; lanes: string[] };
    background?: BackgroundLoad;
    /** A `load` target: the target and the scale it gave. */
    loadTarget?: { load: number; scale: number };
    uncalibrated?: TenantComparison[];
    errorRemoved?: { meanLatency: number | null; missRate: number | null };
    /**
     * The dispatching thread modelled in the calibrated prediction (scheduler/core/dispatcher.ts):
     * its service time per dispatch, expected utilisation, how many dispatches waited for it in the
     * prediction and for how long on average, and the same calibrated prediction without it (A/B) with
     * the share of its error the model removes. Only `note` where it could not be applied.
     */
    dispatcher?: {
      note: string;
      serviceUs?: number;
      utilisation?: number;
      waited?: number;
      meanWaitUs?: number;
      withoutDispatcher?: TenantComparison[];
      errorRemoved?: { meanLatency: number | null; missRate: number | null };
    };
  };
  adaptation: { ratios: number[][]; policyState?: Record<string, number> };
  transfers: { count: number; meanUs: number; p95Us: number; bytes: number };
  /** queueDrops and policyDrops repeat drops.byCause.queue and .policy (for older readers). */
  overload: { maxQueued: number[]; queueDrops: number; policyDrops: number; eventLoopDelayMs: { max: number; p99: number; mean: number } };
  /** The frames counted in the metrics that were dropped, by cause; byCause sums to total (= metrics.overall.dropped). Absent in reports from before causes were recorded. */
  drops?: DropCounts;
  faults: { lane: string; at: number; reason: string; rescheduledJobs: number }[];
  /** Per lane: the layer-variant sessions loaded before the run, their model bytes and the process's resident memory growth while loading them. */
  variantSessions?: { lane: string; sessions: number; modelBytes: number; rssGrowthBytes: number; refused: string[] }[];
  /** Per tenant: how often each variant ran and the accuracy budget spent (scheduler/core/variant-use.ts). */
  variantUse?: VariantUse[];
  /** The schedule levers the run applied (options pins, dropLate, variantPicks); absent when none was asked. */
  levers?: LiveLevers;
  /** The policy's switches, e.g. DREAM moving a tenant to its model variant and back (run time, s). */
  policyEvents?: PolicyEvent[];
  /** Model-level variants loaded for the run (model granularity): per tenant, the variant, its accuracy cost, size, and where it and its cost come from. */
  modelVariants?: { tenant: string; id: string; accuracyDelta: number; modelBytes: number; source: string }[];
  /** Frames still in flight when the run was stopped (not counted in the metrics). */
  abandoned: number;
  caps: { slicesKept: number; slicesDropped: number; jobsKept: number; jobsDropped: number };
  energy: {
    joules: number;
    averageWatts: number;
    source: EnergySourceLabel;
    /** Why each meter could not be used (when none could). */
    meters: string[];
    /**
     * Measured energy attributed to the tenants by regressing each meter's sampled power on the
     * lanes' busy shares (core/energy-attribution.ts: n samples, R^2, 95% intervals), one entry per
     * meter; or one `attribution: 'unavailable'` entry with the reason (no meter: nothing per tenant
     * is measured). Absent in reports from before it existed and in snapshots.
     */
    attribution?: Attribution[];
  };
  files?: { dir: string; trace: string; report: string };
  warnings: string[];
}
