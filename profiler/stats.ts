// Robust statistics of repeated latency measurements (pure: no Node, no I/O).
//
// The confidence interval of the median is the distribution-free order-statistic interval: for n
// sorted samples x(1) <= ... <= x(n), the number of samples below the true median is
// Binomial(n, 1/2), so [x(j), x(n-j+1)] covers the median with probability
// 1 - 2 * P(B <= j-1). We take the largest j whose coverage is still >= 95%. No assumption about
// the latency distribution (which is skewed and often multi-modal) is needed. Below 6 samples no
// such interval exists at 95% (2 * 2^-n > 0.05), and the half-width is reported as unknown.
import type { LaneInfo, LaneMeasurement, LatencyStats } from './types';

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n - 1). */
export function stddev(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

/** Coefficient of variation, stddev / mean (0 when the mean is 0). */
export function cv(xs: readonly number[]): number {
  const m = mean(xs);
  return m === 0 || !Number.isFinite(m) ? 0 : stddev(xs) / m;
}

export function sortNumbers(xs: readonly number[]): number[] {
  return Array.from(Float64Array.from(xs).sort());
}

/** Quantile q in [0, 1] of already-sorted data, linear interpolation between order statistics (R type 7). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (q <= 0) return sorted[0];
  if (q >= 1) return sorted[n - 1];
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function quantile(xs: readonly number[], q: number): number {
  return quantileSorted(sortNumbers(xs), q);
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** log of n choose k. */
function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/** Lanczos approximation of ln Gamma(x), x > 0 (relative error ~1e-15). */
export function logGamma(x: number): number {
  const g = 7;
  const c = [0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** P(B <= k) for B ~ Binomial(n, 1/2). */
export function binomialHalfCdf(n: number, k: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  let s = 0;
  const ln2n = n * Math.LN2;
  for (let i = 0; i <= k; i++) s += Math.exp(logChoose(n, i) - ln2n);
  return Math.min(1, s);
}

/**
 * 1-based rank j of the lower bound of the distribution-free CI of the median: [x(j), x(n-j+1)]
 * has coverage >= `confidence`. Returns 0 when no such interval exists (too few samples).
 */
export function medianCiRank(n: number, confidence = 0.95): number {
  const alpha = 1 - confidence;
  if (n < 1 || 2 * Math.pow(0.5, n) > alpha) return 0;
  if (n > 2000) {
    // Normal approximation of the binomial (with continuity correction); exact enough at this n.
    const z = normalQuantile(1 - alpha / 2);
    return Math.max(1, Math.floor(n / 2 - (z * Math.sqrt(n)) / 2 + 0.5));
  }
  // Largest j with 2 * P(B <= j - 1) <= alpha, searching upward from 1 (the CDF is increasing).
  let j = 1;
  let cdf = Math.pow(0.5, n); // P(B <= 0)
  const ln2n = n * Math.LN2;
  for (;;) {
    const next = cdf + Math.exp(logChoose(n, j) - ln2n); // P(B <= j)
    if (2 * next > alpha || j + 1 > (n + 1) / 2) return j;
    cdf = next;
    j++;
  }
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549671010322303, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - pl) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

export interface MedianCi {
  median: number;
  lo: number;
  hi: number;
  /** max(median - lo, hi - median) / median; Infinity when the interval does not exist (n < 6). */
  halfWidthRel: number;
}

/** The 95% (or `confidence`) distribution-free CI of the median of already-sorted samples. */
export function medianCiSorted(sorted: readonly number[], confidence = 0.95): MedianCi {
  const n = sorted.length;
  const med = quantileSorted(sorted, 0.5);
  const j = medianCiRank(n, confidence);
  if (j === 0) return { median: med, lo: NaN, hi: NaN, halfWidthRel: Infinity };
  const lo = sorted[j - 1];
  const hi = sorted[n - j];
  const half = Math.max(med - lo, hi - med);
  return { median: med, lo, hi, halfWidthRel: med > 0 ? half / med : half === 0 ? 0 : Infinity };
}

export function medianCi(xs: readonly number[], confidence = 0.95): MedianCi {
  return medianCiSorted(sortNumbers(xs), confidence);
}

/**
 * The figure stored in profiles for a CI that does not exist (fewer than 6 samples): JSON has no
 * Infinity, so 1 (a half-width of 100% of the median) stands for "unknown", always with converged=false.
 */
export const UNKNOWN_CI_REL = 1;

/** LatencyStats of raw samples (ms). `converged` says whether the CI target was met. */
export function latencyStats(samples: readonly number[], ciTarget = 0.02): LatencyStats {
  const sorted = sortNumbers(samples);
  const ci = medianCiSorted(sorted);
  const rel = Number.isFinite(ci.halfWidthRel) ? ci.halfWidthRel : UNKNOWN_CI_REL;
  return {
    median: ci.median,
    p5: quantileSorted(sorted, 0.05),
    p95: quantileSorted(sorted, 0.95),
    mean: mean(sorted),
    cv: cv(sorted),
    n: sorted.length,
    ciHalfWidthRel: rel,
    converged: Number.isFinite(ci.halfWidthRel) && ci.halfWidthRel < ciTarget,
  };
}

export interface StoppingRuleOptions {
  /** Stop when the 95% CI half-width of the median is below this fraction of the median. Default 0.02. */
  ciTarget?: number;
  /** Stop when this much time has been spent on repetitions (ms). */
  budgetMs: number;
  /** Never stop before this many samples (unless the budget is spent and minSamplesHard is met). Default 10. */
  minSamples?: number;
  /** Even past the budget, take at least this many samples. Default 3. */
  minSamplesHard?: number;
  /** Hard cap on the number of samples. Default 20000. */
  maxSamples?: number;
}

export type StopReason = 'converged' | 'budget' | 'max-samples';

/**
 * "Repeat until the CI half-width is < ciTarget of the median or the time budget runs out."
 * Call `check` after every sample; the CI is recomputed on a geometric schedule (every ~5% more
 * samples), so the cost of checking stays O(n log^2 n) overall.
 */
export class StoppingRule {
  readonly ciTarget: number;
  readonly budgetMs: number;
  readonly minSamples: number;
  readonly minSamplesHard: number;
  readonly maxSamples: number;
  private nextCheck: number;
  lastHalfWidthRel = Infinity;

  constructor(opts: StoppingRuleOptions) {
    this.ciTarget = opts.ciTarget ?? 0.02;
    this.budgetMs = opts.budgetMs;
    this.minSamples = opts.minSamples ?? 10;
    this.minSamplesHard = Math.min(opts.minSamplesHard ?? 3, this.minSamples);
    this.maxSamples = opts.maxSamples ?? 20000;
    this.nextCheck = this.minSamples;
  }

  /** Returns why to stop, or undefined to go on. `samples` is the list so far, `elapsedMs` the time spent. */
  check(samples: readonly number[], elapsedMs: number): StopReason | undefined {
    const n = samples.length;
    if (n >= this.maxSamples) return 'max-samples';
    if (n >= this.nextCheck) {
      this.nextCheck = n + Math.max(1, Math.floor(n * 0.05));
      this.lastHalfWidthRel = medianCi(samples).halfWidthRel;
      if (this.lastHalfWidthRel < this.ciTarget) return 'converged';
    }
    if (elapsedMs >= this.budgetMs && n >= this.minSamplesHard) return 'budget';
    return undefined;
  }
}

/**
 * A net latency is resolved when it is at least this many times its 95% uncertainty: it is then
 * known within ±25%, and a throughput computed from it within -20% / +33%.
 */
export const RESOLVED_RATIO = 4;

export interface NetLatency {
  /** Median minus the lane's per-call baseline, never below 0 (ms). */
  ms: number;
  /** 95% uncertainty of `ms`: the median's CI half-width + the baseline median's + the timer's resolution (ms); Infinity without a CI. */
  uncertaintyMs: number;
  resolved: boolean;
  /** Why not, when not resolved. */
  why?: string;
}

const fmtMs = (x: number) => (x >= 0.1 ? x.toFixed(3) : x.toPrecision(2));

/**
 * THE rule for "is this latency resolved": a layer's median net of the lane's per-call baseline,
 * with its 95% uncertainty from the measurement's own statistics (the median's order-statistic CI,
 * the baseline's, and the timer's resolution). Throughput (GFLOP/s, share of peak) is shown only
 * for resolved latencies: below that, the net time is noise and FLOPs / noise is absurd.
 */
export function netLatency(raw: LatencyStats, baseline: { ms?: number; ciMs?: number; timerMs?: number } = {}): NetLatency {
  const ms = Math.max(0, raw.median - (baseline.ms ?? 0));
  if (medianCiRank(raw.n) === 0) return { ms, uncertaintyMs: Infinity, resolved: false, why: `${raw.n} runs: too few for a 95% confidence interval of the median (6 needed)` };
  const parts = [raw.ciHalfWidthRel * raw.median, baseline.ciMs ?? 0, baseline.timerMs ?? 0];
  const uncertaintyMs = parts[0] + parts[1] + parts[2];
  if (ms >= RESOLVED_RATIO * uncertaintyMs && ms > 0) return { ms, uncertaintyMs, resolved: true };
  return {
    ms,
    uncertaintyMs,
    resolved: false,
    why: `not resolved: net ${fmtMs(ms)} ms is under ${RESOLVED_RATIO}x its 95% uncertainty ${fmtMs(uncertaintyMs)} ms (median CI ${fmtMs(parts[0])} + baseline CI ${fmtMs(parts[1])} + timer ${fmtMs(parts[2])} ms)`,
  };
}

/**
 * Fills a measurement's derived figures from its raw statistics and its lane: the net latency, its
 * uncertainty, and GFLOP/s and share of peak only where the latency is resolved (else `unresolved`
 * says why). Idempotent; used when profiling and when loading a stored profile.
 */
export function deriveLatencyFigures(m: LaneMeasurement, lane: Pick<LaneInfo, 'baselineMs' | 'baselineCiMs' | 'timerResolutionMs' | 'peakGflops'>, flops?: number): void {
  if (!m.raw) return;
  const net = netLatency(m.raw, { ms: lane.baselineMs, ciMs: lane.baselineCiMs, timerMs: lane.timerResolutionMs });
  m.latencyMs = net.ms;
  if (Number.isFinite(net.uncertaintyMs)) m.latencyCiMs = net.uncertaintyMs;
  else delete m.latencyCiMs;
  delete m.achievedGflops;
  delete m.peakFraction;
  delete m.unresolved;
  if (!net.resolved) {
    m.unresolved = net.why;
    return;
  }
  if (flops && flops > 0) {
    m.achievedGflops = flops / (net.ms / 1000) / 1e9;
    if (lane.peakGflops) m.peakFraction = m.achievedGflops / lane.peakGflops;
  }
}
