// Demand vs capacity, and load scaling. Pure: no Node, no ONNX Runtime (the caller supplies each
// tenant's layer count, MACs and profile; see assess.ts for the version that resolves models).
//
// With a profile (latency of every layer on every lane), per tenant:
//   isolated latency on lane L = sum of its layers' latencies on L; its preferred lane = the fastest;
//   best-mix isolated latency  = sum over layers of the layer's fastest lane (no transfer costs);
//   busy ms per second         = effective rate x latency (on its preferred lane; and best-mix),
// where the effective rate of a cascade dependent is its upstream's effective rate x probability.
// Per lane: utilisation if every layer ran on its fastest lane = sum over tenants and layers placed
// there of rate x latency / 1000 ms. Feasible = no lane above 100% and every tenant's best-mix
// isolated latency within its deadline. Both are necessary conditions, not sufficient: queueing,
// preemption granularity and transfers can still make a "feasible" scenario miss deadlines.
import type { LaneMeasurement, Profile } from '../profiler/types';
import { deadlineMs, effectiveRates, type Scaling, type Scenario, type Tenant } from './scenario';
import { scaleTenant } from './rate-scaling';

export interface TenantWork {
  /** Compute layers of the tenant's model. */
  layers: number;
  /** MACs of one inference. */
  macs: number;
  /** 'generator' (exact from the model generator), 'counted' (from a run), 'estimated' (scaled from another size). */
  macsSource: 'generator' | 'counted' | 'estimated';
  profile?: Profile;
  /** Multiplies every profiled latency (a resolution-scaled model estimated from its profiled size). */
  latencyScale?: number;
  /** Display name of the model. */
  model: string;
  /** Model label (replica, pretrained, reference architecture). */
  label?: string;
}

export interface TenantDemand {
  id: string;
  model: string;
  label?: string;
  effectiveFps: number;
  deadlineMs: number;
  layers: number;
  macs: number;
  macsSource: TenantWork['macsSource'];
  macsPerSec: number;
  /** With a profile: */
  profileId?: string;
  preferredLane?: string;
  /** Isolated latency per lane (null: some layer cannot run there), on the preferred lane, and best-mix. */
  isolatedMs?: { perLane: Record<string, number | null>; preferred: number; bestMix: number };
  /** Busy milliseconds per second of wall time this tenant asks for. */
  busyMsPerSec?: { preferred: number; bestMix: number };
  meetsDeadlineIsolated?: boolean;
  latencyEstimated?: boolean;
}

export interface LaneDemand {
  id: string;
  /** Utilisation if every layer ran on its fastest lane (1 = 100%). */
  utilisation: number;
  busyMsPerSec: number;
  /** Busy ms per second per tenant on this lane. */
  byTenant: Record<string, number>;
}

export interface DemandReport {
  scenario: string;
  mode: 'profile' | 'macs';
  tenants: TenantDemand[];
  lanes: LaneDemand[];
  totalMacsPerSec: number;
  /** null when there is no profile (MACs only). */
  feasible: boolean | null;
  reasons: string[];
  notes: string[];
}

export class DemandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemandError';
  }
}

const latencyOf = (m: LaneMeasurement | undefined): number | null => (m && !m.error && typeof m.latencyMs === 'number' && Number.isFinite(m.latencyMs) && m.latencyMs >= 0 ? m.latencyMs : null);

export interface DemandOptions {
  /** Lane ids to plan over (default: every lane of the given profiles). A profile without one of them is an error. */
  lanes?: string[];
}

/**
 * Demand of a scenario. `work` has an entry per tenant (missing = error naming the tenant). With
 * profiles for every tenant: latency-based demand per lane; with none: MACs/s only (and says so).
 * A mix (some tenants profiled, some not) is an error naming the ones without.
 */
export function computeDemand(s: Scenario, work: Record<string, TenantWork>, opts: DemandOptions = {}): DemandReport {
  const rates = effectiveRates(s);
  for (const t of s.tenants) if (!work[t.id]) throw new DemandError(`tenant "${t.id}": no model information (layers, MACs) was given`);
  const profiled = s.tenants.filter((t) => work[t.id].profile);
  const notes: string[] = [];
  if (profiled.length > 0 && profiled.length < s.tenants.length) {
    const missing = s.tenants.filter((t) => !work[t.id].profile);
    throw new DemandError(`no profile for ${missing.map((t) => `tenant "${t.id}" (model ${work[t.id].model})`).join(', ')}: profile ${missing.length === 1 ? 'that model' : 'those models'} (tessera profile) or give the profile with --profile`);
  }
  const tenants: TenantDemand[] = s.tenants.map((t) => {
    const w = work[t.id];
    return { id: t.id, model: w.model, ...(w.label ? { label: w.label } : {}), effectiveFps: rates[t.id], deadlineMs: deadlineMs(t), layers: w.layers, macs: w.macs, macsSource: w.macsSource, macsPerSec: w.macs * rates[t.id] };
  });
  const totalMacsPerSec = tenants.reduce((a, t) => a + t.macsPerSec, 0);
  if (tenants.some((t) => t.macsSource === 'estimated')) notes.push('Some MACs are estimated from another input size (marked macsSource: estimated).');
  if (profiled.length === 0) {
    notes.push('No profile: demand is in MACs per second only. Latency, lane utilisation and feasibility need a profile of every model on this machine (tessera profile MODEL, then --profile).');
    return { scenario: s.name, mode: 'macs', tenants, lanes: [], totalMacsPerSec, feasible: null, reasons: [], notes };
  }

  // Lanes.
  const laneIds = opts.lanes ?? [...new Set(profiled.flatMap((t) => work[t.id].profile!.lanes.filter((l) => !l.error).map((l) => l.id)))];
  if (laneIds.length === 0) throw new DemandError('the profiles have no usable lane');
  for (const t of profiled) {
    const p = work[t.id].profile!;
    for (const lane of laneIds) {
      if (!p.lanes.some((l) => l.id === lane)) throw new DemandError(`profile "${p.id}" (model ${p.model.name}, tenant "${t.id}") has no lane "${lane}" (its lanes: ${p.lanes.map((l) => l.id).join(', ')}); profile it on ${lane} too, or plan over its lanes only (--lanes)`);
    }
    if (p.layers.length === 0) throw new DemandError(`profile "${p.id}" (model ${p.model.name}, tenant "${t.id}") has no layers`);
  }
  const lanes: LaneDemand[] = laneIds.map((id) => ({ id, utilisation: 0, busyMsPerSec: 0, byTenant: {} }));
  const reasons: string[] = [];
  for (const td of tenants) {
    const w = work[td.id];
    const p = w.profile!;
    const scale = w.latencyScale ?? 1;
    const perLane: Record<string, number | null> = Object.fromEntries(laneIds.map((l) => [l, 0]));
    let bestMix = 0;
    for (const layer of p.layers) {
      let best: { lane: string; ms: number } | undefined;
      for (const lane of laneIds) {
        const i = p.lanes.findIndex((l) => l.id === lane);
        const ms = latencyOf(layer.lanes[i] ?? layer.lanes.find((m) => m.lane === lane));
        if (ms === null) {
          perLane[lane] = null;
          continue;
        }
        if (perLane[lane] !== null) perLane[lane] = perLane[lane]! + ms * scale;
        if (!best || ms < best.ms) best = { lane, ms };
      }
      if (!best) throw new DemandError(`profile "${p.id}" (model ${p.model.name}, tenant "${td.id}"): layer ${layer.index} "${layer.name}" has no latency on any of the lanes ${laneIds.join(', ')}`);
      bestMix += best.ms * scale;
      const ld = lanes.find((l) => l.id === best!.lane)!;
      const busy = td.effectiveFps * best.ms * scale;
      ld.busyMsPerSec += busy;
      ld.byTenant[td.id] = (ld.byTenant[td.id] ?? 0) + busy;
    }
    const avail = laneIds.filter((l) => perLane[l] !== null);
    const preferredLane = avail.length ? avail.reduce((a, b) => (perLane[b]! < perLane[a]! ? b : a)) : undefined;
    td.profileId = p.id;
    td.preferredLane = preferredLane;
    const preferred = preferredLane ? perLane[preferredLane]! : bestMix;
    td.isolatedMs = { perLane, preferred, bestMix };
    td.busyMsPerSec = { preferred: td.effectiveFps * preferred, bestMix: td.effectiveFps * bestMix };
    td.meetsDeadlineIsolated = bestMix <= td.deadlineMs;
    if (scale !== 1) td.latencyEstimated = true;
    if (!td.meetsDeadlineIsolated) reasons.push(`tenant "${td.id}": alone on the machine it needs ${bestMix.toFixed(2)} ms (every layer on its fastest lane), over its ${td.deadlineMs.toFixed(2)} ms deadline`);
  }
  for (const l of lanes) {
    l.utilisation = l.busyMsPerSec / 1000;
    if (l.utilisation > 1) reasons.push(`lane "${l.id}": ${(l.utilisation * 100).toFixed(1)}% utilised with every layer on its fastest lane (over 100%)`);
  }
  if (tenants.some((t) => t.latencyEstimated)) notes.push('Latencies of resolution-scaled tenants are estimated from their profiled size by the MAC ratio (latency assumed proportional to MACs); profile the scaled models to confirm.');
  notes.push('Utilisation places every layer on its fastest lane and ignores transfers between lanes; feasible means no lane over 100% and every tenant within its deadline alone: necessary, not sufficient (queueing and preemption at layer boundaries come on top).');
  return { scenario: s.name, mode: 'profile', tenants, lanes, totalMacsPerSec, feasible: reasons.length === 0, reasons, notes };
}

// ---------------------------------------------------------------------------------------------
// Load scaling

export type ScaleTarget =
  /** Multiply frame rates (or resolutions) by this. */
  | { factor: number }
  /** Scale until the busiest lane (or skewLane) reaches this utilisation (needs a profile). */
  | { targetUtilisation: number }
  /** Scale until the scenario asks for this many MACs per second (no profile needed). */
  | { targetMacsPerSec: number };

export interface ScaleOptions {
  mode: 'rate' | 'resolution';
  /** Scale only the tenants whose preferred lane is this one (a skewed load, as in Terastal); the utilisation target applies to this lane. */
  skewLane?: string;
  /** Scale only these tenants. */
  tenants?: string[];
  /** Name of the new scenario (default: NAME@rate-x1.50). */
  name?: string;
}

/** How a tenant's input resolution can be scaled ('resolution' mode), and what it becomes. */
export interface ResolutionScaler {
  /** Returns the tenant with its resolution scaled by `factor` (rounded as the model needs), and the factor really applied; undefined if this tenant cannot be scaled. */
  (t: Tenant, factor: number): { tenant: Tenant; applied: number; note?: string } | undefined;
}

export interface ScaleContext {
  /** Demand of a candidate scenario (needed for utilisation / MACs targets and for skewLane). */
  evaluate?: (s: Scenario) => DemandReport;
  /** Resolution scaling per tenant (needed for mode 'resolution'). */
  resolution?: ResolutionScaler;
}

export interface ScaleResult {
  scenario: Scenario;
  factor: number;
  scaled: string[];
  unscaled: { id: string; why: string }[];
  before?: DemandReport;
  after?: DemandReport;
  reason: string;
}

/** Applies one factor to the selected tenants (pure). */
export function applyScale(s: Scenario, factor: number, mode: ScaleOptions['mode'], selected: Set<string>, resolution?: ResolutionScaler): { scenario: Scenario; scaled: string[]; unscaled: { id: string; why: string }[] } {
  if (!(factor > 0 && Number.isFinite(factor))) throw new DemandError(`scale factor must be > 0 (got ${factor})`);
  const scaled: string[] = [];
  const unscaled: { id: string; why: string }[] = [];
  const tenants = s.tenants.map((t) => {
    if (!selected.has(t.id)) return t;
    if (mode === 'rate') {
      if (t.cascade && !selected.has(t.cascade.upstream)) {
        unscaled.push({ id: t.id, why: `a cascade dependent runs at its upstream's rate: scale "${t.cascade.upstream}" to change its load` });
        return t;
      }
      scaled.push(t.id);
      return scaleTenant(structuredClone(t), factor); // rate-scaling.ts: the one rule (deadlines at the next release follow)
    }
    if (!resolution) throw new DemandError('resolution scaling needs a resolution scaler');
    const r = resolution(t, factor);
    if (!r) {
      unscaled.push({ id: t.id, why: 'its model has no scalable spatial input (fixed-size input, or a sequence model)' });
      return t;
    }
    scaled.push(t.id);
    return r.tenant;
  });
  return { scenario: { ...structuredClone(s), tenants }, scaled, unscaled };
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(3) : x.toPrecision(3));

/**
 * A new scenario at a target load: frame rates x s ('rate') or input resolution x s ('resolution',
 * where the model allows: XRBench replicas, CNN architectures, OCR models). With `skewLane`, only
 * the tenants whose preferred lane is that lane are scaled, so that one lane is overloaded on
 * purpose (Terastal's skewed loads). The result records the factor and why in `scaling`.
 */
export function scaleScenario(s: Scenario, target: ScaleTarget, opts: ScaleOptions, ctx: ScaleContext = {}): ScaleResult {
  const before = ctx.evaluate?.(s);
  let selected: Set<string>;
  if (opts.tenants) {
    for (const id of opts.tenants) if (!s.tenants.some((t) => t.id === id)) throw new DemandError(`no tenant "${id}" in ${s.name}`);
    selected = new Set(opts.tenants);
  } else selected = new Set(s.tenants.map((t) => t.id));
  if (opts.skewLane) {
    if (!before || before.mode !== 'profile') throw new DemandError(`--skew-lane ${opts.skewLane} needs a profile (the tenants' preferred lanes come from it)`);
    if (!before.lanes.some((l) => l.id === opts.skewLane)) throw new DemandError(`no lane "${opts.skewLane}" in the profiles (lanes: ${before.lanes.map((l) => l.id).join(', ')})`);
    selected = new Set(before.tenants.filter((t) => selected.has(t.id) && t.preferredLane === opts.skewLane).map((t) => t.id));
    if (selected.size === 0) throw new DemandError(`no tenant prefers lane "${opts.skewLane}" (preferred lanes: ${before.tenants.map((t) => `${t.id}: ${t.preferredLane}`).join(', ')})`);
  }
  const make = (f: number) => applyScale(s, f, opts.mode, selected, ctx.resolution);

  let factor: number;
  let reason: string;
  if ('factor' in target) {
    factor = target.factor;
    reason = `factor ${fmt(factor)} given`;
  } else {
    if (!ctx.evaluate) throw new DemandError('a utilisation or MACs target needs the scenario\'s demand (models and, for utilisation, a profile)');
    let metric: (r: DemandReport) => number;
    let goal: number;
    let what: string;
    if ('targetUtilisation' in target) {
      goal = target.targetUtilisation;
      if (!(goal > 0)) throw new DemandError(`target utilisation must be > 0 (got ${goal})`);
      if (before!.mode !== 'profile') throw new DemandError('a utilisation target needs a profile of every model (--profile); without one, use --factor or --target-macs');
      metric = opts.skewLane ? (r) => r.lanes.find((l) => l.id === opts.skewLane)!.utilisation : (r) => Math.max(...r.lanes.map((l) => l.utilisation));
      what = opts.skewLane ? `utilisation of lane ${opts.skewLane}` : 'utilisation of the busiest lane';
    } else {
      goal = target.targetMacsPerSec;
      if (!(goal > 0)) throw new DemandError(`target MACs/s must be > 0 (got ${goal})`);
      metric = (r) => r.totalMacsPerSec;
      what = 'MACs per second';
    }
    const m1 = metric(before!);
    if (opts.mode === 'rate') {
      // Linear in the factor: m(f) = a + b f.
      const m2 = metric(ctx.evaluate(make(2).scenario));
      const b = m2 - m1;
      const a = m1 - b;
      if (!(b > 0)) throw new DemandError(`scaling the selected tenants does not change the ${what}`);
      factor = (goal - a) / b;
      if (!(factor > 0)) throw new DemandError(`the ${what} is ${fmt(a)} from the tenants that are not scaled alone, at or above the target ${fmt(goal)}: no rate factor reaches it`);
    } else {
      // Monotone but not linear (rounding, FC layers): bisection on log f.
      let lo = 1 / 64;
      let hi = 64;
      const at = (f: number) => metric(ctx.evaluate!(make(f).scenario));
      if (at(lo) > goal) throw new DemandError(`even at resolution x${fmt(lo)} the ${what} (${fmt(at(lo))}) is above the target ${fmt(goal)}`);
      if (at(hi) < goal) throw new DemandError(`even at resolution x${hi} the ${what} (${fmt(at(hi))}) stays below the target ${fmt(goal)}`);
      for (let k = 0; k < 30; k++) {
        const mid = Math.sqrt(lo * hi);
        if (at(mid) < goal) lo = mid;
        else hi = mid;
      }
      factor = Math.sqrt(lo * hi);
    }
    reason = `target ${what} ${fmt(goal)} (was ${fmt(m1)}${before!.mode === 'profile' ? ` with profiles ${[...new Set(before!.tenants.map((t) => t.profileId))].join(', ')}` : ''})`;
  }
  const made = make(factor);
  const after = ctx.evaluate?.(made.scenario);
  if (after && !('factor' in target)) {
    reason += `; reached ${'targetUtilisation' in target ? (opts.skewLane ? fmt(after.lanes.find((l) => l.id === opts.skewLane)!.utilisation) : fmt(Math.max(...after.lanes.map((l) => l.utilisation)))) : fmt(after.totalMacsPerSec)}`;
  }
  if (opts.skewLane) reason += `; only tenants preferring lane ${opts.skewLane} scaled (skewed load)`;
  if (opts.mode === 'resolution') reason += '; resolution rounded per model as it requires';
  const entry: Scaling = { from: s.name, mode: opts.mode, factor, tenants: made.scaled, reason };
  const scenario: Scenario = {
    ...made.scenario,
    name: opts.name ?? `${s.name}@${opts.mode}-x${factor >= 10 ? factor.toFixed(1) : factor.toFixed(3)}`,
    scaling: [...(s.scaling ?? []), entry],
  };
  return { scenario, factor, scaled: made.scaled, unscaled: made.unscaled, ...(before ? { before } : {}), ...(after ? { after } : {}), reason };
}
