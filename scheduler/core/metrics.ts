// THE metrics of Tessera (BRIEF's definitions, once), used by the simulator, the live runtime, the
// CLI and the UI. Pure functions over job outcomes.
//
// For job j: release r, deadline D, finish f, or dropped.
//   miss rate       = (finished late + dropped) / released           (per tenant and overall)
//   drop rate       = dropped / released
//   ANTT            = mean over finished jobs of (f - r) / T_iso      (T_iso: the job alone on the machine)
//   violation rate  = finished after D / all jobs                     (as Dysta counts it; drops not counted)
//   STP             = jobs / (last finish - first release)            (Dysta's system throughput)
//   energy per frame and average power, always with their source (measured: which meter; estimated: which model)
//   multi-SLO satisfaction (Convergo): share of tenants, and of time windows, meeting every SLO at
//                    once, and each SLO alone; a tenant or window that released frames and finished
//                    none meets no SLO
//   XRBench score   (Kwon et al., MLSys 2023), constants in XRBENCH_CONSTANTS
//   UXCost          Tessera's own definition, UXCOST_DEFINITION (DREAM's formula is not public)
import type { EnergySource, TenantSlos } from './types';

/** What a metric needs to know about one job (frame). */
export interface JobOutcome {
  tenant: number;
  release: number;
  deadline: number;
  /** NaN when dropped. */
  finish: number;
  dropped: boolean;
  /** T_iso: the job's latency alone on the machine (an estimate unless measured). */
  isolated: number;
  /** Accuracy lost to approximate variants. */
  accuracyUsed?: number;
}

export interface TenantSpec {
  id: string;
  slos?: TenantSlos;
  baseAccuracy?: number;
}

export interface EnergyInput {
  joules: number;
  source: EnergySource;
}

export interface GroupMetrics {
  released: number;
  finished: number;
  finishedLate: number;
  dropped: number;
  /** (finished late + dropped) / released. */
  missRate: number;
  /** dropped / released. */
  dropRate: number;
  /** mean over finished jobs of (finish - release) / T_iso; NaN if none finished. */
  antt: number;
  /** Dysta's violation rate: finished after the deadline / all jobs. */
  violationRate: number;
  meanLatency: number;
  p95Latency: number;
  /** Absent in reports written before it was recorded. */
  p99Latency?: number;
  maxLatency: number;
  /** Finished frames per second over the run's duration. */
  throughput: number;
  /** Mean accuracy of finished frames (baseAccuracy minus variants' loss). */
  meanAccuracy: number;
  minAccuracy: number;
}

export interface SloStatus {
  tenant: string;
  /** p95 latency <= maxLatency (true when the tenant has no such SLO, unless it finished none of its frames: then every SLO is false). */
  latency: boolean;
  throughput: boolean;
  accuracy: boolean;
  all: boolean;
  /** Share of time windows in which each SLO, and all of them, held for this tenant. */
  windows: { latency: number; throughput: number; accuracy: number; all: number };
}

export interface Metrics {
  overall: GroupMetrics;
  perTenant: (GroupMetrics & { tenant: string })[];
  /** Dysta's STP: jobs / (last finish - first release). */
  stp: number;
  energy: { joules: number; perFrameJ: number; averageWatts: number; source: EnergySource };
  xrbench: { score: number; realtime: number; energyScore: number; qoe: number; constants: string };
  uxcost: { value: number; referenceJoules: number; definition: string };
  slo: {
    /** Share of tenants meeting every SLO at once over the whole run. */
    tenantsAll: number;
    /** Share of tenants meeting each SLO alone. */
    tenantsLatency: number;
    tenantsThroughput: number;
    tenantsAccuracy: number;
    /** Share of time windows in which every tenant met every SLO. */
    windowsAll: number;
    windowLength: number;
    perTenant: SloStatus[];
  };
}

export const UXCOST_DEFINITION = "Tessera's definition (DREAM's formula is not public): UXCost = (E / E_ref) x (deadline-miss rate + 0.01)";
export const XRBENCH_K = 15;
export const XRBENCH_CONSTANTS =
  'per frame RT = 1 / (1 + exp(k x delay_ms)), k = 15, delay_ms = finish - deadline in ms (negative when early), dropped frames score 0; ' +
  'realtime = mean RT over released frames; energy score = min(1, E_ref / E); QoE = 1 - drop rate; score = realtime x energy score x QoE (Tessera\'s reading of XRBench; no accuracy factor)';

/** Tessera's UXCost. */
export function uxcost(joules: number, referenceJoules: number, missRate: number): number {
  return (referenceJoules > 0 ? joules / referenceJoules : 1) * (missRate + 0.01);
}

/** XRBench's per-frame real-time score for a finish `delay` seconds past the deadline. */
export function xrbenchRealtime(delaySeconds: number): number {
  const x = XRBENCH_K * delaySeconds * 1000;
  return x > 700 ? 0 : 1 / (1 + Math.exp(x));
}

/** Linear-interpolated percentile of an ascending array (NaN if empty). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = (sorted.length - 1) * p;
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (idx - lo);
}

export function groupMetrics(jobs: readonly JobOutcome[], duration: number, baseAccuracy = 1): GroupMetrics {
  let finished = 0;
  let late = 0;
  let dropped = 0;
  let ntt = 0;
  let nttCount = 0;
  let accSum = 0;
  let accMin = Infinity;
  const latencies = new Float64Array(jobs.length);
  for (const j of jobs) {
    if (j.dropped) {
      dropped++;
      continue;
    }
    const latency = j.finish - j.release;
    latencies[finished++] = latency;
    if (j.finish > j.deadline) late++;
    if (j.isolated > 0) {
      ntt += latency / j.isolated;
      nttCount++;
    }
    const acc = baseAccuracy - (j.accuracyUsed ?? 0);
    accSum += acc;
    if (acc < accMin) accMin = acc;
  }
  const lat = latencies.subarray(0, finished).sort();
  let latSum = 0;
  for (let i = 0; i < lat.length; i++) latSum += lat[i];
  const released = jobs.length;
  return {
    released,
    finished,
    finishedLate: late,
    dropped,
    missRate: released ? (late + dropped) / released : 0,
    dropRate: released ? dropped / released : 0,
    antt: nttCount ? ntt / nttCount : NaN,
    violationRate: released ? late / released : 0,
    meanLatency: finished ? latSum / finished : NaN,
    p95Latency: percentile(lat, 0.95),
    p99Latency: percentile(lat, 0.99),
    maxLatency: finished ? lat[finished - 1] : NaN,
    throughput: duration > 0 ? finished / duration : 0,
    meanAccuracy: finished ? accSum / finished : NaN,
    minAccuracy: finished ? accMin : NaN,
  };
}

/**
 * Whether a tenant's (or a window's) frames met each SLO. One that released frames and finished none
 * delivered nothing: it meets no SLO, declared or not (otherwise a tenant whose every frame was
 * dropped would count as satisfied). Nothing released: nothing was asked, so every SLO holds.
 */
function sloCheck(slos: TenantSlos | undefined, m: GroupMetrics, released: number) {
  if (released > 0 && m.finished === 0) return { latency: false, throughput: false, accuracy: false, all: false };
  const latency = slos?.maxLatency === undefined ? true : released === 0 || (m.finished > 0 && m.p95Latency <= slos.maxLatency);
  const throughput = slos?.minThroughput === undefined ? true : m.throughput >= slos.minThroughput * (1 - 1e-9);
  const accuracy = slos?.minAccuracy === undefined ? true : m.finished === 0 || m.minAccuracy >= slos.minAccuracy - 1e-12;
  return { latency, throughput, accuracy, all: latency && throughput && accuracy };
}

export interface MetricsInput {
  jobs: readonly JobOutcome[];
  tenants: readonly TenantSpec[];
  energy: EnergyInput;
  /** duration: the span in which frames were released (s); horizon: the span energy covers (s). */
  span: { duration: number; horizon: number };
  /** E_ref for UXCost and the XRBench energy score; default: this run's own energy. */
  referenceJoules?: number;
  /** SLO window length (s), default 1. */
  window?: number;
}

export function computeMetrics(input: MetricsInput): Metrics {
  const { jobs, tenants, energy, span } = input;
  const nT = tenants.length;
  const byTenant: JobOutcome[][] = tenants.map(() => []);
  let firstRelease = Infinity;
  let lastFinish = -Infinity;
  let rt = 0;
  for (const j of jobs) {
    byTenant[j.tenant]?.push(j);
    if (j.release < firstRelease) firstRelease = j.release;
    if (!j.dropped) {
      if (j.finish > lastFinish) lastFinish = j.finish;
      rt += xrbenchRealtime(j.finish - j.deadline);
    }
  }
  const overall = groupMetrics(jobs, span.duration);
  const perTenant = tenants.map((t, i) => ({ tenant: t.id, ...groupMetrics(byTenant[i], span.duration, t.baseAccuracy ?? 1) }));
  const stp = jobs.length && lastFinish > firstRelease ? jobs.length / (lastFinish - firstRelease) : 0;
  const eRef = input.referenceJoules ?? energy.joules;

  const realtime = jobs.length ? rt / jobs.length : 0;
  const energyScore = energy.joules > 0 ? Math.min(1, eRef / energy.joules) : 1;
  const qoe = 1 - overall.dropRate;

  // SLOs over the whole run, then per window (jobs bucketed by release time).
  const window = input.window ?? 1;
  const nW = Math.max(1, Math.ceil(span.duration / window - 1e-9));
  const windowsOk = new Uint8Array(nW).fill(1);
  const perTenantSlo: SloStatus[] = tenants.map((t, i) => {
    const whole = sloCheck(t.slos, perTenant[i], byTenant[i].length);
    const buckets: JobOutcome[][] = Array.from({ length: nW }, () => []);
    for (const j of byTenant[i]) buckets[Math.min(nW - 1, Math.max(0, Math.floor(j.release / window)))].push(j);
    const counts = { latency: 0, throughput: 0, accuracy: 0, all: 0 };
    for (let w = 0; w < nW; w++) {
      const len = Math.min(window, span.duration - w * window);
      const s = sloCheck(t.slos, groupMetrics(buckets[w], len, t.baseAccuracy ?? 1), buckets[w].length);
      if (s.latency) counts.latency++;
      if (s.throughput) counts.throughput++;
      if (s.accuracy) counts.accuracy++;
      if (s.all) counts.all++;
      else windowsOk[w] = 0;
    }
    return { tenant: t.id, ...whole, windows: { latency: counts.latency / nW, throughput: counts.throughput / nW, accuracy: counts.accuracy / nW, all: counts.all / nW } };
  });
  const share = (f: (s: SloStatus) => boolean) => (nT ? perTenantSlo.filter(f).length / nT : 1);
  let okWindows = 0;
  for (let w = 0; w < nW; w++) okWindows += windowsOk[w];

  return {
    overall,
    perTenant,
    stp,
    energy: {
      joules: energy.joules,
      perFrameJ: overall.finished ? energy.joules / overall.finished : NaN,
      averageWatts: span.horizon > 0 ? energy.joules / span.horizon : 0,
      source: energy.source,
    },
    xrbench: { score: realtime * energyScore * qoe, realtime, energyScore, qoe, constants: XRBENCH_CONSTANTS },
    uxcost: { value: uxcost(energy.joules, eRef, overall.missRate), referenceJoules: eRef, definition: UXCOST_DEFINITION },
    slo: {
      tenantsAll: share((s) => s.all),
      tenantsLatency: share((s) => s.latency),
      tenantsThroughput: share((s) => s.throughput),
      tenantsAccuracy: share((s) => s.accuracy),
      windowsAll: okWindows / nW,
      windowLength: window,
      perTenant: perTenantSlo,
    },
  };
}
