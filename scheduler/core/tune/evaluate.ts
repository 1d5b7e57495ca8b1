// One simulation of a candidate on one seed, reduced to the figures the tuner ranks and reports,
// and the objectives. Pure (runs in the tuner's worker threads and in tests alike).
import { computeMetrics, percentile, uxcost } from '../metrics';
import { simulate } from '../simulator';
import { withGranularity } from '../groups';
import { hashGaussian } from '../rng';
import type { LayerCost, SimWorkload } from '../types';
import { applyPins, applyVariantChoice, policyFor, type Candidate } from './space';

export type ObjectiveKind = 'uxcost' | 'miss-under-cap' | 'xrbench' | 'p99';

export interface Objective {
  kind: ObjectiveKind;
  /** miss-under-cap: average power cap (W), over the run's horizon. */
  energyCapWatts?: number;
}

export const OBJECTIVES: Record<ObjectiveKind, string> = {
  uxcost: 'UXCost = (E / E_ref) x (miss rate + 0.01), E_ref = the reference baseline\'s mean energy; lower is better',
  'miss-under-cap': 'deadline-miss rate, with average power above the cap penalised by 1 + the excess share; lower is better',
  xrbench: 'XRBench score (realtime x energy x QoE), higher is better (ranked by its negative)',
  p99: 'p99 response time over released frames, a dropped frame counting as never finished (ranked by miss rate when more than 1% never finish); lower is better',
};

export interface SimSettings {
  /** Seconds of frames per simulation. */
  duration: number;
  latencyNoise: number;
  jobNoise: number;
  window: number;
  /**
   * The machine's speed from one run to the next: every latency (and energy) of a simulation x
   * exp(speedDrift x z), z a standard normal fixed by the seed (so every candidate meets the same
   * slow and fast runs). Per-layer and per-job noise average out over a run; a whole run that is
   * 15% slow does not, and a schedule planned at 90% utilisation then misses every frame (a 2-core
   * VM here ran the same whole model 114 ms and 135 ms ten minutes apart). 0 or absent: none.
   */
  speedDrift?: number;
}

/** Every compute latency and energy of the workload x f (the machine running f times slower). */
export function slowedBy(w: SimWorkload, f: number): SimWorkload {
  if (f === 1) return w;
  const cost = <C extends LayerCost | null | undefined>(c: C) => (c ? { ...c, latency: c.latency * f, ...(c.energy !== undefined ? { energy: c.energy * f } : {}) } : c);
  return {
    ...w,
    tenants: w.tenants.map((t) => ({
      ...t,
      layers: t.layers.map((l) => ({ ...l, variants: l.variants.map((v) => ({ ...v, cost: v.cost.map(cost) })) })),
      ...(t.wholeModel ? { wholeModel: t.wholeModel.map(cost) } : {}),
    })),
  };
}

/** The seed's speed factor (SimSettings.speedDrift). */
export function speedFactor(sim: Pick<SimSettings, 'speedDrift'>, seed: number): number {
  return sim.speedDrift ? Math.exp(sim.speedDrift * hashGaussian(seed, 0x5eed, 0, 0)) : 1;
}

export interface TuneLayout {
  /** Lane ids, e.g. ["cpu:1", "cpu:1#1"]. */
  lanes: string[];
  workload: SimWorkload;
}

/** What one (candidate, seed) simulation gives. */
export interface EvalResult {
  missRate: number;
  dropRate: number;
  energyJ: number;
  averageWatts: number;
  /** UXCost against the problem's E_ref (NaN before E_ref is known). */
  uxcost: number;
  xrbench: number;
  /** p99 response time (s) over released frames (Infinity when more than 1% never finished). */
  p99: number;
  perTenant: { missRate: number; p99: number; p95: number; released: number }[];
  layerExecutions: number;
}

/**
 * A workload with only tenant `tenant` and the upstream tenants its frames cascade from (they
 * release its frames; their own misses are not counted): what the tenant meets with the machine
 * to itself. Tenant indices below it keep their place, so its frames draw the same noise.
 */
export function isolateTenant(w: SimWorkload, tenant: number): { workload: SimWorkload; index: number } {
  const keep = new Set<number>([tenant]);
  for (let t = w.tenants[tenant]; t.cascade; ) {
    const up = w.tenants.findIndex((x) => x.id === t.cascade!.upstream);
    if (up < 0 || keep.has(up)) break;
    keep.add(up);
    t = w.tenants[up];
  }
  const kept = w.tenants.map((t, i) => ({ t, i })).filter(({ i }) => keep.has(i));
  return { workload: { ...w, tenants: kept.map(({ t }) => t) }, index: kept.findIndex(({ i }) => i === tenant) };
}

/**
 * One simulation. `isolate`: tenant index to simulate alone (isolateTenant; the result's figures
 * are then that tenant's, under its index in the full workload, the others zero).
 */
export function evaluateCandidate(layouts: readonly TuneLayout[], c: Candidate, seed: number, sim: SimSettings, referenceJoules?: number, isolate?: number): EvalResult {
  const layout = layouts[c.layout];
  if (!layout) throw new Error(`tune: candidate names lane layout #${c.layout}; there are ${layouts.length}`);
  if (isolate !== undefined) {
    const full = layout.workload.tenants.length;
    const { workload, index } = isolateTenant(applyVariantChoice(layout.workload, c.variants, c.granularity), isolate);
    const r = evaluateCandidate([{ lanes: layout.lanes, workload }], { ...c, layout: 0, pins: undefined, variants: undefined }, seed, sim, referenceJoules);
    const t = r.perTenant[index];
    const zero = { missRate: 0, p99: NaN, p95: NaN, released: 0 };
    return { ...r, missRate: t.missRate, perTenant: Array.from({ length: full }, (_, i) => (i === isolate ? t : zero)) };
  }
  // Variant picks are per layer: chosen before the layers are grouped.
  const g = withGranularity(applyVariantChoice(layout.workload, c.variants, c.granularity), c.granularity);
  const w = slowedBy(applyPins(g.workload, c.pins), speedFactor(sim, seed));
  const r = simulate(w, policyFor(c), {
    duration: sim.duration,
    seed,
    latencyNoise: sim.latencyNoise,
    jobNoise: sim.jobNoise,
    window: sim.window,
    preemption: g.preemption,
    maxQueuePerTenant: c.maxQueuePerTenant,
    dropLate: c.dropLate,
    recordSlices: false,
    metrics: false,
  });
  const m = computeMetrics({ jobs: r.jobs, tenants: w.tenants, energy: { joules: r.energyJ, source: w.energySource }, span: { duration: sim.duration, horizon: r.horizon }, referenceJoules: referenceJoules ?? r.energyJ, window: sim.window });
  const responses = (tenant?: number) => {
    const xs = r.jobs.filter((j) => tenant === undefined || j.tenant === tenant).map((j) => (Number.isFinite(j.finish) ? j.finish - j.release : Infinity));
    return xs.sort((a, b) => a - b);
  };
  return {
    missRate: m.overall.missRate,
    dropRate: m.overall.dropRate,
    energyJ: r.energyJ,
    averageWatts: m.energy.averageWatts,
    uxcost: referenceJoules ? uxcost(r.energyJ, referenceJoules, m.overall.missRate) : NaN,
    xrbench: m.xrbench.score,
    p99: p99Of(responses()),
    perTenant: w.tenants.map((_, i) => {
      const xs = responses(i);
      return { missRate: m.perTenant[i].missRate, p99: p99Of(xs), p95: xs.length ? percentile(xs, 0.95) : NaN, released: m.perTenant[i].released };
    }),
    layerExecutions: r.layerExecutions,
  };
}

function p99Of(sorted: number[]): number {
  if (!sorted.length) return NaN;
  // percentile() interpolates; between two never-finished frames that would be Infinity - Infinity.
  return sorted[Math.ceil((sorted.length - 1) * 0.99)] === Infinity ? Infinity : percentile(sorted, 0.99);
}

/** The value the tuner minimises for one seed's result. */
export function objectiveValue(o: Objective, r: EvalResult): number {
  switch (o.kind) {
    case 'uxcost':
      return r.uxcost;
    case 'miss-under-cap': {
      const cap = o.energyCapWatts;
      if (!(cap !== undefined && cap > 0)) throw new Error('tune: objective miss-under-cap needs an energy cap in watts (--energy-cap W)');
      return r.missRate + (r.averageWatts > cap ? 1 + (r.averageWatts - cap) / cap : 0);
    }
    case 'xrbench':
      return -r.xrbench;
    case 'p99':
      // Finite p99s are seconds (< 1e3); beyond that, rank by how many frames never finished.
      return Number.isFinite(r.p99) ? r.p99 : 1e3 + r.missRate;
  }
}
