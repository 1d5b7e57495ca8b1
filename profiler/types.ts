// The profile: what Tessera measured, on which machine, and how sure it is. This is the contract
// between the profiler (writer) and everyone who plans with it (scenarios, simulator, live runtime,
// UI, exports). Bump PROFILE_SCHEMA_VERSION on any incompatible change.

import type { GpuAdapter } from './gpu/adapter';
import type { TransferFit } from './transfer';
import type { LaneSpec } from '../common/lane-spec';

/** 2: layers may carry `variants` and the profile `variantRun` (version 1 profiles still load). */
export const PROFILE_SCHEMA_VERSION = 2;
/** Oldest schema version this Tessera still reads. */
export const PROFILE_MIN_SCHEMA_VERSION = 1;
export type { GpuAdapter };

/** A lane: one execution target (the type and the lane grammar live in common/lane-spec.ts). */
export type { LaneSpec };

/** Robust statistics of repeated latency measurements, all in milliseconds. */
export interface LatencyStats {
  median: number;
  p5: number;
  p95: number;
  mean: number;
  /** Coefficient of variation (stddev / mean), unitless. */
  cv: number;
  n: number;
  /** 95% confidence half-width of the median, relative to the median (0.02 = 2%). */
  ciHalfWidthRel: number;
  /** True when the CI target was met; false when the time budget ran out first. */
  converged: boolean;
}

/** Where an energy figure came from. Estimates are never presented as measurements. */
export interface EnergySource {
  kind: 'measured' | 'estimated';
  /** Meter id (e.g. "nvidia-smi", "rapl", "powermetrics", "battery") or estimate model id. */
  meter: string;
  /** Human-readable: which meter and sample rate, or which estimate model and its constants. */
  detail: string;
  sampleHz?: number;
}

export interface EnergyFigure {
  /** Joules per run of this layer (or model). */
  joulesPerRun: number;
  /** Mean power while running, watts (above idle for measured figures). */
  watts?: number;
  idleWatts?: number;
  source: EnergySource;
}

/** One (layer, lane) measurement. `error` set means the lane could not run this layer. */
export interface LaneMeasurement {
  lane: string;
  /** Raw per-call latency including the per-call baseline. */
  raw?: LatencyStats;
  /** Median with the lane's per-call baseline subtracted (never below 0), ms. */
  latencyMs?: number;
  /** 95% uncertainty of latencyMs (median CI + baseline CI + timer resolution), ms; absent without a CI (n < 6). */
  latencyCiMs?: number;
  /** Set when latencyMs is not resolved (under 4x its uncertainty, or too few runs): why. No throughput figures then. */
  unresolved?: string;
  /** FLOPs / latencyMs, only where latencyMs is resolved. */
  achievedGflops?: number;
  /** Achieved / the lane's measured GEMM peak, 0..1 (only where latencyMs is resolved). */
  peakFraction?: number;
  energy?: EnergyFigure;
  /** Nodes the EP assigned to another provider (CPU fallback), when detectable. */
  fallbackNodes?: string[];
  error?: string;
}

export interface TensorInfo {
  name: string;
  /** 'float32', 'int64', ... as in onnxruntime-node's Tensor.type. */
  type: string;
  dims: number[];
}

/** How a layer variant compares with the original layer on the sample activations (profiler/variants/compare.ts). */
export interface VariantVerification {
  /** Exact kinds: maxRelError within `tolerance`; approximate kinds: finite outputs. Failed variants are not measured or used. */
  passed: boolean;
  /** max|a - b| / max|b| per output tensor, worst output (see `definition`). */
  maxRelError: number;
  definition: string;
  /** Element-wise max |a - b| / max(|b|, 1e-6 max|b|) (the cut's definition). */
  maxElementRelError?: number;
  maxAbsError?: number;
  relL2?: number;
  cosine?: number;
  snrDb?: number;
  /** Exact kinds: the tolerance on maxRelError. */
  tolerance?: number;
  /** Approximate kinds: the variant substituted into the whole model, its outputs vs the original model's. */
  endToEnd?: {
    maxRelError: number; maxAbsError: number; relL2: number; cosine: number; snrDb: number;
    /** Task-level figures where the output's shape says what the task is. */
    task?: { task: string; assumption: string; output: string; value: number }[];
  };
  /** Why it failed (over tolerance, an EP refused it, ...). */
  error?: string;
}

/** A layer variant: another implementation of the layer, verified on real activations and measured per lane. */
export interface LayerVariantInfo {
  /** Kind and parameter, e.g. "split-out(g=2)". */
  id: string;
  kind: string;
  family: string;
  exact: boolean;
  param?: { name: string; value: number };
  description: string;
  /** Nodes of the layer the kind rewrote. */
  targets: string[];
  notes: string[];
  bytesSize: number;
  verification: VariantVerification;
  generateMs: number;
  verifyMs: number;
  /** Per lane (same order as the variant run's lanes); `speedup` = original / variant latency on that lane. */
  lanes: (LaneMeasurement & { speedup?: number })[];
}

export interface VariantInapplicable {
  kind: string;
  reason: string;
}

/** Terastal's latency-gap figure for one non-preferred lane. */
export interface VariantGap {
  lane: string;
  /** Original on this lane / original on the preferred lane. */
  originalGap: number;
  /** Best verified implementation (original or variant) on this lane / original on the preferred lane. */
  bestGap: number;
  bestVariant: string;
  /** originalGap / bestGap (1 = no reduction). */
  reduction: number;
  /** The same with exact variants only (no accuracy cost). */
  bestExactGap: number;
  bestExactVariant: string;
  exactReduction: number;
}

export interface LayerVariants {
  /** The original layer measured in the same variant run (paired with its variants on each lane). */
  original: LaneMeasurement[];
  variants: LayerVariantInfo[];
  inapplicable: VariantInapplicable[];
  preferredLane?: string;
  gaps?: VariantGap[];
}

/** Settings and timings of the last variant run stored in a profile. */
export interface VariantRun {
  createdAt: string;
  kinds: string[];
  lanes: LaneInfo[];
  budgetSec: number;
  /** Where the activations came from. */
  samples: string;
  status: 'complete' | 'partial';
  timings: { cutSec: number; generateSec: number; verifySec: number; measureSec: number; combinationsSec?: number };
  warnings: string[];
  /** Approximate variants of several layers verified together (profiler/variants/combos.ts). */
  combinations?: VariantCombination[];
}

/**
 * Approximate variants of several layers substituted into the whole model together: Terastal found
 * that independently made variants do not compose, so a tenant's whitelist is built from these.
 */
export interface VariantCombination {
  id: string;
  /** Why these members, e.g. "fp16: the 4 layers saving the most time per unit of error". */
  rule: string;
  members: { layer: number; variant: string }[];
  /** Every member substituted at once: the model's outputs vs the original model's. */
  endToEnd?: NonNullable<VariantVerification['endToEnd']>;
  /** Sum of the members' own end-to-end relative L2 errors (what an additive budget assumes). */
  sumOfSingles: number;
  verifyMs: number;
  error?: string;
}

/**
 * A layer of a model-level variant's own cut (the variant is a different graph: `tessera variants
 * --kinds resolution|arch-prune` profiles it on its own). `charge`: the original layer it stands in
 * for, matched by ONNX node names (the variant keeps the original's names; its added Resize nodes go
 * to the first layer in front and to the last one behind); original layers that no variant layer
 * matches cost nothing in the variant (their nodes merged into a neighbour).
 */
export interface ModelVariantLayer {
  index: number;
  name: string;
  charge: number;
  /** Per lane (the variant run's lanes), raw and baseline-subtracted medians. */
  lanes: LaneMeasurement[];
}

/** A model-level variant (issue 11): a whole other model with the caller's inputs and outputs, cheaper and approximate. */
export interface ModelVariantInfo {
  /** Kind and parameter, e.g. "resolution(s=0.75)". */
  id: string;
  kind: string;
  family: string;
  exact: false;
  param: { name: string; value: number };
  description: string;
  notes: string[];
  bytesSize: number;
  sha256: string;
  /** The variant model's outputs vs the original model's on the sample inputs (figures in endToEnd too). */
  verification: VariantVerification;
  generateMs: number;
  verifyMs: number;
  /** Whole model per lane: the variant (one session); originalMs = the profile's whole-model median there; speedup = original / variant. */
  lanes: (LaneMeasurement & { speedup?: number; originalMs?: number })[];
  /** The variant's own per-layer table, each layer charged to an original layer (see ModelVariantLayer). */
  layers?: ModelVariantLayer[];
  /** Why the per-layer table could not be matched to the original's layers (then the simulator cannot use it). */
  layerError?: string;
}

/** Model-level variants of the last variant run (optional: profiles without them load unchanged). */
export interface ModelVariants {
  variants: ModelVariantInfo[];
  inapplicable: VariantInapplicable[];
}

export interface LayerProfile {
  index: number;
  name: string;
  /** ONNX node names in this layer, in graph order. */
  nodes: string[];
  opTypes: string[];
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  flops: number;
  /** Bytes read + written: inputs, outputs and weights. */
  bytesMoved: number;
  /** Per lane; same order as Profile.lanes. */
  lanes: LaneMeasurement[];
  /** ORT profiler's in-graph kernel time summed over this layer's nodes, per lane id, ms. */
  inGraphMs?: Record<string, number>;
  preferredLane?: string;
  /** Per lane id: cut-layer latency (baseline subtracted) / in-graph time of the same nodes. */
  cutToInGraph?: Record<string, number>;
  /** For each other lane: its latency / the preferred lane's latency. */
  gapToPreferred?: Record<string, number>;
  /** Layer variants (schema 2; `tessera variants`). */
  variants?: LayerVariants;
}

export interface LaneInfo extends LaneSpec {
  /** Per-call overhead of an empty model on this lane (median ms). */
  baselineMs?: number;
  /** 95% CI half-width of baselineMs (ms). */
  baselineCiMs?: number;
  /** Smallest step of the lane worker's clock (performance.now), ms: no latency below it is resolved. */
  timerResolutionMs?: number;
  /** Measured GEMM peak, GFLOP/s. */
  peakGflops?: number;
  idleWatts?: number;
  /** Size n of the n x n GEMM that gave peakGflops. */
  gemmN?: number;
  /** The whole model's median before the layers and again after them (ms): a change beyond noise means the machine drifted. */
  drift?: { beforeMs: number; afterMs: number; ratio: number };
  /** The energy meter used for this lane (its id and description), when one was readable. */
  meter?: { id: string; detail: string; sampleHz: number };
  /** Why the lane could not be used, if it could not. */
  error?: string;
  /** GPU lanes: the adapter the lane's process ran on (profiler/gpu/adapter.ts says how it is found). */
  adapter?: GpuAdapter;
  /** GPU lanes whose adapter could not be identified: why. */
  adapterNote?: string;
  /** Non-CPU lanes: measured cost of moving an activation to/from the lane's worker (profiler/transfer.ts). */
  transfer?: TransferFit;
}

/** ORT's own profiler (enableProfiling) on the whole model, per lane. */
export interface InGraphSummary {
  /** Profiled runs (after warm-up). */
  runs: number;
  /** Median over runs of the sum of all kernel times, ms. */
  totalKernelMs: number;
  /** Median of ORT's model_run duration, ms. */
  modelRunMs: number;
  /** Kernel time of nodes ORT renamed or inserted (fusions, layout reorders) that map to no layer, ms. */
  unattributedMs: number;
  /** Up to 20 of those node names. */
  unattributedNodes: string[];
}

export interface MachineFingerprint {
  /** Stable hash of the fields below. */
  id: string;
  hostname: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  gpus: string[];
}

export interface Profile {
  schemaVersion: number;
  id: string;
  createdAt: string;
  machine: MachineFingerprint;
  ortVersion: string;
  model: {
    name: string;
    path?: string;
    /** sha256 of the model file bytes. */
    sha256: string;
    inputShapes: Record<string, number[]>;
    opsets: Record<string, number>;
  };
  granularity: 'node' | 'group' | number;
  lanes: LaneInfo[];
  layers: LayerProfile[];
  /** Whole-model measurement per lane (one session running the full graph). */
  wholeModel: LaneMeasurement[];
  verification: {
    maxAbsError: number;
    maxRelError: number;
    passed: boolean;
    tolerance: { rel: number };
    /** ORT graph optimisation level of the primary check. */
    graphOptimizationLevel?: string;
    relErrorDefinition?: string;
    /** The same chained check at other optimisation levels (fusions across cuts: float rounding only). */
    otherLevels?: { graphOptimizationLevel: string; maxAbsError: number; maxRelError: number; layerErrors: number }[];
    /** Layers that failed to load or run in the chain. */
    layerErrors?: { layer: number; name: string; error: string }[];
    /**
     * Non-CPU lanes: the same chain run on the lane itself (each layer fed by the lane's own outputs of
     * the layers before it), compared with the CPU whole model's outputs at `tolerance` (another EP's
     * kernels sum in another order, so it is looser than the CPU check's).
     */
    lanes?: Record<string, { maxAbsError: number; maxRelError: number; passed: boolean; tolerance: { rel: number }; error?: string }>;
  };
  /** Sum of layer medians / whole-model median per lane. */
  cutOverhead?: Record<string, number>;
  settings: { budgetSec: number; warmup: number; ciTarget: number; contention?: boolean; energy?: 'auto' | 'off'; energyWindowSec?: number };
  /** Identifies the measurement task (model hash, lanes, granularity, shapes) so that an interrupted run can resume. */
  resumeKey?: string;
  /** Per lane id: ORT profiler summary of the whole model. */
  inGraph?: Record<string, InGraphSummary>;
  /** Energy meters found on this machine (ok or why not), and the estimate model used where none applied. */
  energy?: { meters: { id: string; domain: string; ok: boolean; reason?: string; detail?: string }[]; estimate?: string };
  /** Wall time of the phases of the run that produced this profile, seconds (resumed runs: the last session). */
  timings?: { cutSec: number; measureSec: number; totalSec: number };
  /** Status of an interrupted/resumable run; 'complete' when every (layer, lane) is done. */
  status: 'complete' | 'partial';
  warnings: string[];
  /** Facts about the model (what a library model is): information, not warnings (profiler/notes.ts). */
  notes?: string[];
  /** The last `tessera variants` run on this profile. */
  variantRun?: VariantRun;
  /** Model-level variants (reduced resolution, pruned architecture) of the last variant run that asked for them. */
  modelVariants?: ModelVariants;
}
