// Checks a SimWorkload before anything runs on it, with errors that name what is missing or wrong.
// validateTenants is the one check of tenants' timing and cascades: the simulator's workloads and
// the live runtime's scenarios (before their models load) both go through it.
import { relativeDeadline, type SimWorkload, type TenantDef } from './types';

/** What validateTenants reads of a tenant: its timing and cascade. */
export type TenantTimingLike = Pick<TenantDef, 'id' | 'arrival' | 'deadline' | 'cascade'>;

/**
 * Throws an Error naming the first problem with the tenants: no tenants, duplicate ids, a rate or
 * deadline that is not positive, a cascade to an unknown tenant or itself, a probability outside
 * [0, 1], a cascade loop. `where` prefixes every message; `label` names a tenant in it.
 */
export function validateTenants(tenants: readonly TenantTimingLike[], where: string, label: (t: TenantTimingLike) => string = (t) => `tenant "${t.id}"`): void {
  if (!Array.isArray(tenants) || tenants.length === 0) throw new Error(`${where}: no tenants`);
  const tenantIds = new Set<string>();
  for (const t of tenants) {
    if (tenantIds.has(t.id)) throw new Error(`${where}: tenant ids must be unique ("${t.id}" appears twice)`);
    tenantIds.add(t.id);
  }
  for (const t of tenants) {
    const tw = `${where}, ${label(t)}`;
    const a = t.arrival;
    if (a.type === 'periodic' && !(a.fps > 0)) throw new Error(`${tw}: arrival.fps must be > 0 (got ${a.fps})`);
    if (a.type === 'poisson' && !(a.ratePerSec > 0)) throw new Error(`${tw}: arrival.ratePerSec must be > 0 (got ${a.ratePerSec})`);
    if (!(relativeDeadline(t) > 0)) throw new Error(`${tw}: deadline must be > 0`);
    if (t.cascade) {
      if (!tenantIds.has(t.cascade.upstream)) throw new Error(`${tw}: cascade.upstream "${t.cascade.upstream}" is not a tenant of this workload`);
      if (t.cascade.upstream === t.id) throw new Error(`${tw}: a tenant cannot be its own cascade upstream`);
      if (!(t.cascade.probability >= 0 && t.cascade.probability <= 1)) throw new Error(`${tw}: cascade.probability must be in [0, 1]`);
    }
  }
  // Cascades must not loop.
  const byId = new Map(tenants.map((t) => [t.id, t]));
  for (const t of tenants) {
    const seen = new Set<string>([t.id]);
    let u = t.cascade?.upstream;
    while (u) {
      if (seen.has(u)) throw new Error(`${where}: cascade loop through tenant "${u}"`);
      seen.add(u);
      u = byId.get(u)?.cascade?.upstream;
    }
  }
}

/** Throws an Error naming the first problem found (tenant, layer, lane, variant). */
export function validateWorkload(w: SimWorkload): void {
  const where = `workload "${w.name}"`;
  if (!Array.isArray(w.lanes) || w.lanes.length === 0) throw new Error(`${where}: no lanes`);
  const laneIds = new Set<string>();
  for (const l of w.lanes) {
    if (laneIds.has(l.id)) throw new Error(`${where}: lane "${l.id}" appears twice`);
    laneIds.add(l.id);
    if (!(l.idleWatts >= 0) || !(l.busyWatts >= 0)) throw new Error(`${where}: lane "${l.id}" needs idleWatts and busyWatts >= 0`);
    if (l.link && (!(l.link.latency >= 0) || !(l.link.bytesPerSec > 0))) throw new Error(`${where}: lane "${l.id}" link needs latency >= 0 and bytesPerSec > 0`);
  }
  validateTenants(w.tenants, where, (t) => `tenant "${t.id}" (model "${(t as TenantDef).model}")`);
  for (const t of w.tenants) {
    const tw = `${where}, tenant "${t.id}" (model "${t.model}")`;
    if (t.layers.length === 0) throw new Error(`${tw}: no layers`);
    t.layers.forEach((layer, li) => {
      const lw = `${tw}, layer ${li} "${layer.name}"`;
      if (!layer.variants || layer.variants.length === 0) throw new Error(`${lw}: no variants (variants[0] must be the original layer)`);
      layer.variants.forEach((v, vi) => {
        if (v.cost.length > w.lanes.length) throw new Error(`${lw}, variant "${v.id}": ${v.cost.length} lane costs for ${w.lanes.length} lanes`);
        for (let l = 0; l < v.cost.length; l++) {
          const c = v.cost[l];
          if (c && !(c.latency > 0 && Number.isFinite(c.latency))) throw new Error(`${lw}, variant "${v.id}", lane "${w.lanes[l].id}": latency must be a positive number (got ${c.latency})`);
          if (c && c.energy !== undefined && !(c.energy >= 0)) throw new Error(`${lw}, variant "${v.id}", lane "${w.lanes[l].id}": energy must be >= 0`);
        }
        if (vi === 0 && v.accuracyDelta !== 0) throw new Error(`${lw}: variants[0] is the original and must have accuracyDelta 0`);
      });
      if (!layer.variants[0].cost.some((c) => c)) throw new Error(`${lw}: the original variant has a latency on no lane (needs one of ${w.lanes.map((l) => l.id).join(', ')})`);
    });
  }
}

export interface WorkloadSummary {
  /** Per lane: utilisation if every layer ran on its fastest lane (original variants), at nominal rates (cascades x probability). */
  favouriteUtilisation: Record<string, number>;
  /** Per tenant: isolated latency (each layer on its fastest lane) / relative deadline. */
  isolatedOverDeadline: Record<string, number>;
  /** Per tenant: effective frames per second (cascade dependents: upstream rate x probability). */
  rate: Record<string, number>;
}

/** Demand and tightness of a workload, from its latency table (an estimate: no contention, no transfers). */
export function describeWorkload(w: SimWorkload): WorkloadSummary {
  const byId = new Map(w.tenants.map((t) => [t.id, t]));
  const rateOf = (id: string, depth = 0): number => {
    const t = byId.get(id)!;
    if (t.cascade && depth < 32) return rateOf(t.cascade.upstream, depth + 1) * t.cascade.probability;
    return t.arrival.type === 'periodic' ? t.arrival.fps : t.arrival.ratePerSec;
  };
  const util = new Float64Array(w.lanes.length);
  const iso: Record<string, number> = {};
  const rate: Record<string, number> = {};
  for (const t of w.tenants) {
    const fps = rateOf(t.id);
    rate[t.id] = fps;
    let sum = 0;
    for (const layer of t.layers) {
      let best = Infinity;
      let lane = 0;
      layer.variants[0].cost.forEach((c, l) => {
        if (c && c.latency < best) {
          best = c.latency;
          lane = l;
        }
      });
      util[lane] += fps * best;
      sum += best;
    }
    iso[t.id] = sum / relativeDeadline(t);
  }
  return { favouriteUtilisation: Object.fromEntries(w.lanes.map((l, i) => [l.id, util[i]])), isolatedOverDeadline: iso, rate };
}

/**
 * The workload with each pinned tenant's layers restricted to its lane (lane index modulo the
 * lane count). A layer that cannot run there keeps its other lanes, so pinning never makes a
 * workload invalid. The one pinning rule: the tuner's simulations and the live runtime (whose
 * failed lanes have no costs, so a tenant pinned to a dead lane runs on the others) both use it.
 */
export function applyPins(w: SimWorkload, pins: (number | null)[] | undefined): SimWorkload {
  if (!pins?.some((p) => p !== null)) return w;
  const nL = w.lanes.length;
  return {
    ...w,
    tenants: w.tenants.map((t, ti) => {
      const pin = pins[ti];
      if (pin === null || pin === undefined) return t;
      const lane = pin % nL;
      return {
        ...t,
        layers: t.layers.map((layer) => (layer.variants.some((v) => v.cost[lane]) ? { ...layer, variants: layer.variants.map((v) => ({ ...v, cost: v.cost.map((c, l) => (l === lane ? c : null)) })) } : layer)),
      };
    }),
  };
}
