// THE metrics of Tessera (BRIEF's definitions), used by the simulator, the live runtime, the CLI
// and the UI. Pure functions over job records.

/** What a metric needs to know about one job (frame). */
export interface JobOutcome {
  tenant: number;
  release: number;
  deadline: number;
  /** NaN when dropped. */
  finish: number;
  dropped: boolean;
  /** T_iso: the job's latency alone on the machine. */
  isolated: number;
  accuracyUsed?: number;
}

export interface EnergyInput {
  joules: number;
  /** 'measured' (which meter, sample rate) or 'estimated' (which model): always carried along. */
  source: { kind: 'measured' | 'estimated'; detail: string };
}

export interface TenantSloSpec {
  id: string;
  minAccuracy?: number;
  minThroughput?: number;
  maxLatency?: number;
  baseAccuracy?: number;
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
  /** mean over finished jobs of (finish - release) / T_iso. */
  antt: number;
  /** Dysta's violation rate: finished after the deadline / all jobs. */
  violationRate: number;
  meanLatency: number;
  p95Latency: number;
  /** Finished frames per second over the run. */
  throughput: number;
}

export interface Metrics {
  overall: GroupMetrics;
  perTenant: (GroupMetrics & { tenant: string })[];
  /** Dysta's STP: jobs / makespan. */
  stp: number;
  energy: { joules: number; perFrameJ: number; averageWatts: number; source: EnergyInput['source'] };
  xrbench: { score: number; realtime: number; energyScore: number; qoe: number; constants: string };
  uxcost: { value: number; referenceJoules: number; definition: string };
  slo: { satisfiedTenantsShare: number; satisfiedWindowsShare: number; perTenant: { tenant: string; deadline: boolean; throughput: boolean; accuracy: boolean; all: boolean }[] };
}

export const UXCOST_DEFINITION = "Tessera's definition (DREAM's formula is not public): UXCost = (E / E_ref) x (deadline-miss rate + 0.01)";
export const XRBENCH_CONSTANTS = 'per frame RT = 1/(1+exp(k*delay_ms)), k = 15, delay in ms past the deadline (dropped frames score 0); energy score = min(1, E_ref/E); QoE = 1 - drop rate; score = mean RT x energy score x QoE';

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = (sorted.length - 1) * p;
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (idx - lo);
}

export function groupMetrics(jobs: JobOutcome[], duration: number): GroupMetrics {
  let finished = 0;
  let late = 0;
  let dropped = 0;
  let ntt = 0;
  const latencies: number[] = [];
  for (const j of jobs) {
    if (j.dropped) {
      dropped++;
      continue;
    }
    finished++;
    const latency = j.finish - j.release;
    latencies.push(latency);
    if (j.finish > j.deadline) late++;
    ntt += latency / j.isolated;
  }
  latencies.sort((a, b) => a - b);
  const released = jobs.length;
  return {
    released,
    finished,
    finishedLate: late,
    dropped,
    missRate: released ? (late + dropped) / released : 0,
    dropRate: released ? dropped / released : 0,
    antt: finished ? ntt / finished : NaN,
    violationRate: released ? late / released : 0,
    meanLatency: latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : NaN,
    p95Latency: percentile(latencies, 0.95),
    throughput: duration > 0 ? finished / duration : 0,
  };
}

export function computeMetrics(
  jobs: JobOutcome[],
  tenants: TenantSloSpec[],
  energy: EnergyInput,
  span: { duration: number; makespan: number },
  options: { referenceJoules?: number; window?: number } = {},
): Metrics {
  const overall = groupMetrics(jobs, span.duration);
  const byTenant = tenants.map((_, i) => jobs.filter((j) => j.tenant === i));
  const perTenant = tenants.map((t, i) => ({ tenant: t.id, ...groupMetrics(byTenant[i], span.duration) }));
  const firstRelease = jobs.reduce((m, j) => Math.min(m, j.release), Infinity);
  const lastFinish = jobs.reduce((m, j) => (j.dropped ? m : Math.max(m, j.finish)), -Infinity);
  const stp = jobs.length && lastFinish > firstRelease ? jobs.length / (lastFinish - firstRelease) : 0;
  const eRef = options.referenceJoules ?? energy.joules;

  let rt = 0;
  for (const j of jobs) if (!j.dropped) rt += 1 / (1 + Math.exp(15 * (j.finish - j.deadline) * 1000));
  const realtime = jobs.length ? rt / jobs.length : 0;
  const energyScore = energy.joules > 0 ? Math.min(1, eRef / energy.joules) : 1;
  const qoe = 1 - overall.dropRate;

  const sloOf = (t: TenantSloSpec, js: JobOutcome[], m: GroupMetrics) => {
    const done = js.filter((j) => !j.dropped);
    const accuracy = done.length ? (t.baseAccuracy ?? 1) - done.reduce((a, j) => a + (j.accuracyUsed ?? 0), 0) / done.length : t.baseAccuracy ?? 1;
    const deadline = t.maxLatency === undefined ? true : m.finished > 0 && m.p95Latency <= t.maxLatency;
    const throughput = t.minThroughput === undefined ? true : m.throughput >= t.minThroughput;
    const acc = t.minAccuracy === undefined ? true : accuracy >= t.minAccuracy;
    return { deadline, throughput, accuracy: acc, all: deadline && throughput && acc };
  };
  const sloPerTenant = tenants.map((t, i) => ({ tenant: t.id, ...sloOf(t, byTenant[i], perTenant[i]) }));
  const window = options.window ?? 1;
  const windows = Math.max(1, Math.ceil(span.duration / window));
  let windowsOk = 0;
  for (let w = 0; w < windows; w++) {
    const lo = w * window;
    const hi = lo + window;
    const ok = tenants.every((t, i) => {
      const js = byTenant[i].filter((j) => j.release >= lo && j.release < hi);
      return sloOf({ ...t, minThroughput: t.minThroughput }, js, groupMetrics(js, Math.min(window, span.duration - lo))).all;
    });
    if (ok) windowsOk++;
  }

  return {
    overall,
    perTenant,
    stp,
    energy: { joules: energy.joules, perFrameJ: overall.finished ? energy.joules / overall.finished : NaN, averageWatts: span.makespan > 0 ? energy.joules / span.makespan : 0, source: energy.source },
    xrbench: { score: realtime * energyScore * qoe, realtime, energyScore, qoe, constants: XRBENCH_CONSTANTS },
    uxcost: { value: (energy.joules / eRef) * (overall.missRate + 0.01), referenceJoules: eRef, definition: UXCOST_DEFINITION },
    slo: {
      satisfiedTenantsShare: tenants.length ? sloPerTenant.filter((s) => s.all).length / tenants.length : 1,
      satisfiedWindowsShare: windowsOk / windows,
      perTenant: sloPerTenant,
    },
  };
}
