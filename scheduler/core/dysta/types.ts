// Types of the Dysta-compatible mode: the latency tables and request traces in the format of
// Dysta's public simulator (MICRO 2023), and what a run produces. See ../shared/dysta-parity/README.md.

export const DYSTA_SCHEDULERS = [
  'fcfs', 'sjf', 'sjf_sparse', 'prema', 'prema_sparse', 'planaria',
  'sdrm3', 'sdrm3_sparse', 'dysta', 'dysta_naive', 'dysta_oracle',
] as const;
export type DystaScheduler = (typeof DYSTA_SCHEDULERS)[number];

export function isDystaScheduler(name: string): name is DystaScheduler {
  return (DYSTA_SCHEDULERS as readonly string[]).includes(name);
}

/** Estimates per sparsity pattern (avg_lat_per_pattern) rather than per architecture. */
export function usesPatternEstimates(s: DystaScheduler): boolean {
  return s.includes('sparse') || (s.startsWith('dysta') && s !== 'dysta_naive');
}

/** Watches each executed layer's real sparsity and scales estimates by the running g. */
export function monitorsSparsity(s: DystaScheduler): boolean {
  return s === 'dysta' || s.includes('sparse');
}

/** One model of lut.json. Numbers are used as they are (averages are not recomputed). */
export interface DystaModelLut {
  /** lat_lut[sample][layer], seconds; keys are sample ids as strings (JSON object keys). */
  latLut: Record<string, number[]>;
  /** sparsity_lut[sample][layer], in [0, 1). */
  sparsityLut: Record<string, number[]>;
  avgLatPerPattern: number[];
  avgLatPerModel: number[];
  avgSparsity: number[];
  numLayers: number;
}

export interface DystaLut {
  modelOrder: string[];
  models: Record<string, DystaModelLut>;
}

/** One row of requests_seed{S}_rate{R}.csv. */
export interface DystaRequest {
  idx: number;
  /** Arrival, seconds. */
  reqstTime: number;
  /** Deadline = reqstTime + targetLatBase * sloMult. */
  targetLatBase: number;
  model: string;
  priority: number;
  sampleId: number;
}

/** One row of tasks_*.csv, in request order. */
export interface DystaTaskResult {
  /** `${python repr of reqst_time}_${model}`, as the reference names tasks. */
  taskId: string;
  reqstTime: number;
  targetTime: number;
  finishTime: number;
  realIsolatedTime: number;
  /** finish strictly after target. */
  violated: boolean;
}

/** One row of decisions_*.csv: the layer the policy chose at a step. */
export interface DystaDecision {
  step: number;
  sysTimeBefore: number;
  taskId: string;
  layerIdx: number;
  layerLat: number;
}

export interface DystaMetrics {
  /** finished strictly after target / N. */
  violationRate: number;
  /** mean of (finish - arrival) / real isolated time. */
  antt: number;
  /** N / (last finish - first arrival). */
  stp: number;
}

/**
 * 'dysta-reference' reproduces the published simulator, quirks included: SDRM3's urgency is not
 * clamped (a task past its deadline gets a negative urgency) and prema_sparse scales every
 * candidate by the g of the last running task. 'tessera' is Tessera's own reading: urgency is 1
 * once the slack is gone and in [0, 1] otherwise, and each candidate uses its own g. The other
 * nine schedulers behave the same in both.
 */
export type DystaCompat = 'dysta-reference' | 'tessera';
export const DYSTA_COMPATS: readonly DystaCompat[] = ['dysta-reference', 'tessera'];

export interface DystaRunOptions {
  sloMult: number;
  /** Default 'dysta-reference'. */
  compat?: DystaCompat;
  /** Keep every decision (as the reference's decisions_*.csv); off by default (memory). */
  recordDecisions?: boolean;
  /**
   * The reference moves its clock back to the next arrival whenever the machine falls idle, even
   * when that request arrived while the previous task was still running (it then starts before that
   * task finished). true keeps the clock monotonic, as a real machine and Tessera's simulator do;
   * default false (the reference's behaviour).
   */
  monotonicClock?: boolean;
}

export interface DystaRunResult {
  tasks: DystaTaskResult[];
  /** Empty unless recordDecisions. */
  decisions: DystaDecision[];
  metrics: DystaMetrics;
}
