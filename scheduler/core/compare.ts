// Runs several policies x several seeds on one workload and summarises every metric: mean, min,
// max and standard deviation over seeds. UXCost and the XRBench energy score of every run use one
// E_ref: the mean energy of the reference policy (the first listed, unless named) over the seeds.
import { computeMetrics, UXCOST_DEFINITION, type Metrics } from './metrics';
import { createPolicy } from './policies';
import { simulate, type SimOptions, type SimResult } from './simulator';
import type { EnergySource, LatencySource, PolicyEvent, SimWorkload } from './types';
import { mergeVariantUse, type VariantUse } from './variant-use';

export interface Stat {
  mean: number;
  min: number;
  max: number;
  /** Sample standard deviation over seeds (0 for one seed). */
  sd: number;
}

export interface PolicySummary {
  policy: string;
  seeds: number;
  missRate: Stat;
  dropRate: Stat;
  violationRate: Stat;
  antt: Stat;
  stp: Stat;
  energyJ: Stat;
  energyPerFrameJ: Stat;
  averageWatts: Stat;
  uxcost: Stat;
  xrbench: Stat;
  sloTenants: Stat;
  sloWindows: Stat;
  p95LatencyMs: Stat;
  /** Absent in simulations stored before they were recorded. */
  meanLatencyMs?: Stat;
  p99LatencyMs?: Stat;
  /** Frames finished (in time or late), per seed. */
  finished: Stat;
  /** No frame finished in any seed: its energy and UXCost measure an idle machine (NOTHING_FINISHED). */
  finishedNothing: boolean;
  layerExecutions: number;
  perTenant: { tenant: string; missRate: Stat; dropRate: Stat; p95LatencyMs: Stat; meanAccuracy: Stat; meanLatencyMs?: Stat; p99LatencyMs?: Stat }[];
  policyState?: Record<string, number>;
  /** Per tenant, where the workload has layer variants: how often each ran and the accuracy spent (over the seeds). */
  variantUse?: VariantUse[];
  /** The policy's switches in the last seed (e.g. DREAM moving a tenant to its model variant and back), run time s. */
  policyEvents?: PolicyEvent[];
  /** Why some figures of this row cannot be compared (e.g. nothing finished). */
  warnings?: string[];
}

export interface Comparison {
  workload: string;
  latencySource: LatencySource;
  energySource: EnergySource;
  uxcostDefinition: string;
  referencePolicy: string;
  referenceJoules: number;
  seeds: number[];
  options: Omit<SimOptions, 'seed'>;
  rows: PolicySummary[];
}

export function stat(xs: number[]): Stat {
  const v = xs.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { mean: NaN, min: NaN, max: NaN, sd: NaN };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, min: Math.min(...v), max: Math.max(...v), sd };
}

/** One simulation of a named policy. */
export function runOne(workload: SimWorkload, policy: string, options: SimOptions): SimResult {
  return simulate(workload, createPolicy(policy), options);
}

export interface CompareOptions extends Omit<SimOptions, 'seed'> {
  /** Seeds to run (default [1..5]). */
  seeds?: number[];
  /** Policy whose mean energy is E_ref (default the first listed). */
  reference?: string;
  /** Progress callback (policy, seed). */
  onRun?: (policy: string, seed: number) => void;
}

export function comparePolicies(workload: SimWorkload, policies: string[], options: CompareOptions): Comparison {
  const steps = compareStepwise(workload, policies, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The comparison one simulation at a time: yields after each (policy, seed) run so that a caller
 * can report progress, give its event loop a turn and stop between runs; returns the Comparison.
 */
export function* compareStepwise(workload: SimWorkload, policies: string[], options: CompareOptions): Generator<{ policy: string; seed: number; done: number; total: number }, Comparison> {
  if (policies.length === 0) throw new Error('no policies to compare');
  for (const p of policies) createPolicy(p); // unknown names fail before any run
  const seeds = options.seeds ?? [1, 2, 3, 4, 5];
  const reference = options.reference ?? policies[0];
  if (!policies.includes(reference)) throw new Error(`reference policy "${reference}" is not among the compared policies`);
  const { seeds: _s, reference: _r, onRun, ...simOptions } = options;
  const runs = new Map<string, SimResult[]>();
  const total = policies.length * seeds.length;
  let done = 0;
  for (const p of policies) {
    const rs: SimResult[] = [];
    runs.set(p, rs);
    for (const seed of seeds) {
      onRun?.(p, seed);
      rs.push(simulate(workload, createPolicy(p), { ...simOptions, seed, recordSlices: false, metrics: false }));
      yield { policy: p, seed, done: ++done, total };
    }
  }
  const refRuns = runs.get(reference)!;
  const eRef = refRuns.reduce((a, r) => a + r.energyJ, 0) / refRuns.length;
  const rows = policies.map((policy) => {
    const rs = runs.get(policy)!;
    const ms: Metrics[] = rs.map((r) => metricsOf(workload, r, simOptions, eRef));
    return summarise(policy, workload, rs, ms);
  });
  return { workload: workload.name, latencySource: workload.latencySource, energySource: workload.energySource, uxcostDefinition: `${UXCOST_DEFINITION}; E_ref = mean energy of "${reference}" over the seeds`, referencePolicy: reference, referenceJoules: eRef, seeds, options: simOptions, rows };
}

export function metricsOf(workload: SimWorkload, r: SimResult, options: Pick<SimOptions, 'duration' | 'window'>, referenceJoules?: number): Metrics {
  return computeMetrics({
    jobs: r.jobs,
    tenants: workload.tenants,
    energy: { joules: r.energyJ, source: workload.energySource },
    span: { duration: options.duration, horizon: r.horizon },
    referenceJoules,
    window: options.window ?? 1,
  });
}

function summarise(policy: string, workload: SimWorkload, rs: SimResult[], ms: Metrics[]): PolicySummary {
  const s = (f: (m: Metrics) => number) => stat(ms.map(f));
  const finishedNothing = ms.every((m) => m.overall.finished === 0);
  return {
    policy,
    seeds: rs.length,
    missRate: s((m) => m.overall.missRate),
    dropRate: s((m) => m.overall.dropRate),
    violationRate: s((m) => m.overall.violationRate),
    antt: s((m) => m.overall.antt),
    stp: s((m) => m.stp),
    energyJ: s((m) => m.energy.joules),
    energyPerFrameJ: s((m) => m.energy.perFrameJ),
    averageWatts: s((m) => m.energy.averageWatts),
    uxcost: s((m) => m.uxcost.value),
    xrbench: s((m) => m.xrbench.score),
    sloTenants: s((m) => m.slo.tenantsAll),
    sloWindows: s((m) => m.slo.windowsAll),
    p95LatencyMs: s((m) => m.overall.p95Latency * 1000),
    meanLatencyMs: s((m) => m.overall.meanLatency * 1000),
    p99LatencyMs: s((m) => (m.overall.p99Latency ?? NaN) * 1000),
    finished: s((m) => m.overall.finished),
    finishedNothing,
    layerExecutions: rs.reduce((a, r) => a + r.layerExecutions, 0),
    perTenant: workload.tenants.map((t, i) => ({
      tenant: t.id,
      missRate: s((m) => m.perTenant[i].missRate),
      dropRate: s((m) => m.perTenant[i].dropRate),
      p95LatencyMs: s((m) => m.perTenant[i].p95Latency * 1000),
      meanAccuracy: s((m) => m.perTenant[i].meanAccuracy),
      meanLatencyMs: s((m) => m.perTenant[i].meanLatency * 1000),
      p99LatencyMs: s((m) => (m.perTenant[i].p99Latency ?? NaN) * 1000),
    })),
    policyState: rs[rs.length - 1].policyState,
    ...(rs.every((r) => r.variantUse) ? { variantUse: mergeVariantUse(rs.map((r) => r.variantUse!)) } : {}),
    ...(rs[rs.length - 1].policyEvents?.length ? { policyEvents: rs[rs.length - 1].policyEvents } : {}),
    ...(finishedNothing ? { warnings: [NOTHING_FINISHED] } : {}),
  };
}

/** A policy that finished no frame spent (almost) no energy: its UXCost is ~0 without serving anyone. */
export const NOTHING_FINISHED = 'no frame finished in any seed (every frame dropped or late-dropped): energy and UXCost measure an idle machine, not a schedule; compare miss rates';
