// Groups of k consecutive layers as the unit of dispatch: one pure workload transform, used by the
// simulator's callers (simulate, the tuner) and by the live runtime's latency table, so "group:K"
// means the same everywhere.
//
// Per tenant, layers [0, k), [k, 2k), ... become one layer each (the last group may be shorter):
// - cost on a lane = the sum of its layers' costs there (no transfer inside a group: its layers run
//   back to back on one lane); energy = the sum of each layer's energy (its own figure, else the
//   lane's busyWatts x its latency, as PredictionModel reads it); a lane that cannot run one of the
//   layers cannot run the group;
// - outputBytes = the group's last layer's (what crosses to the next group);
// - variants (kept simple): a group keeps the original, plus variant id X only where EVERY layer of
//   the group has a variant with id X (then X runs on all of them: costs summed, accuracyDelta
//   summed, as the accuracy budget adds them up). Mixed choices inside a group are not offered.
//   A whitelist combination survives only where each group's layers chose one such X (or all the
//   original); the others are dropped (an empty whitelist: exact variants only).
// The simulator itself is unchanged: it runs the grouped workload at layer preemption.
import { groupSize, type Granularity } from '../../common/granularity';
import type { LayerDef, SimWorkload, TenantDef, VariantDef, VariantWhitelist } from './types';

export type { Granularity } from '../../common/granularity';

/** Layer index ranges [start, end) of the groups of `k` layers of a model with `layers` layers. */
export function groupRanges(layers: number, k: number): [number, number][] {
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`group size must be a positive integer (got ${k})`);
  const out: [number, number][] = [];
  for (let s = 0; s < layers; s += k) out.push([s, Math.min(layers, s + k)]);
  return out;
}

/** One group's layer from its layers (see the module comment). */
function groupLayer(layers: LayerDef[], laneWatts: number[], nLanes: number): { layer: LayerDef; variantIds?: string[] } {
  // A group of one layer is that layer, every variant kept (variantIds undefined: indices unchanged).
  if (layers.length === 1) return { layer: layers[0] };
  const first = layers[0];
  const last = layers[layers.length - 1];
  const name = layers.length === 1 ? first.name : `${first.name}..${last.name}`;
  // Variant ids every layer has (beyond the original), in the first layer's order.
  const ids = first.variants.slice(1).map((v) => v.id).filter((id, i, a) => a.indexOf(id) === i && layers.every((l) => l.variants.slice(1).some((v) => v.id === id)));
  const pick = (l: LayerDef, id: string | undefined): VariantDef => (id === undefined ? l.variants[0] : l.variants.slice(1).find((v) => v.id === id)!);
  const combine = (id: string | undefined): VariantDef => {
    const parts = layers.map((l) => pick(l, id));
    const cost: VariantDef['cost'] = [];
    for (let lane = 0; lane < nLanes; lane++) {
      let latency = 0;
      let energy = 0;
      let anyEnergy = false;
      let runs = true;
      for (const p of parts) {
        const c = p.cost[lane];
        if (!c) {
          runs = false;
          break;
        }
        latency += c.latency;
        if (c.energy !== undefined) anyEnergy = true;
        energy += c.energy ?? c.latency * laneWatts[lane];
      }
      cost.push(runs ? (anyEnergy ? { latency, energy } : { latency }) : null);
    }
    const accuracyDelta = parts.reduce((a, p) => a + p.accuracyDelta, 0);
    return { id: id ?? parts.map((p) => p.id).filter((x, i, a) => a.indexOf(x) === i).join('+'), accuracyDelta, cost };
  };
  const variants = [combine(undefined), ...ids.map((id) => combine(id))];
  return { layer: { name, variants, outputBytes: last.outputBytes }, variantIds: ids };
}

/** A tenant's whitelist mapped onto its groups (combinations that mix choices inside a group are dropped). */
function groupWhitelist(t: TenantDef, ranges: [number, number][], groupVariantIds: (string[] | undefined)[]): VariantWhitelist {
  const wl = t.whitelist!;
  const combos = wl.combos.flatMap((combo) => {
    const variants: number[] = [];
    for (const [g, [s, e]] of ranges.entries()) {
      const ids = groupVariantIds[g];
      if (!ids) {
        variants.push(combo.variants[s] ?? 0);
        continue;
      }
      const chosen = new Set<string | undefined>();
      for (let l = s; l < e; l++) {
        const k = combo.variants[l] ?? 0;
        chosen.add(k === 0 ? undefined : t.layers[l].variants[k].id);
      }
      if (chosen.size !== 1) return [];
      const [id] = chosen;
      if (id === undefined) variants.push(0);
      else {
        const k = ids.indexOf(id);
        if (k < 0) return [];
        variants.push(k + 1);
      }
    }
    return [{ ...combo, variants }];
  });
  return { ...wl, combos };
}

/** The workload with every tenant's layers in groups of `k` (k = 1: the same layers). */
export function groupWorkload(w: SimWorkload, k: number): SimWorkload {
  const laneWatts = w.lanes.map((l) => l.busyWatts);
  const tenants = w.tenants.map((t): TenantDef => {
    const ranges = groupRanges(t.layers.length, k);
    const built = ranges.map(([s, e]) => groupLayer(t.layers.slice(s, e), laneWatts, w.lanes.length));
    const out: TenantDef = { ...t, layers: built.map((b) => b.layer) };
    if (t.whitelist) out.whitelist = groupWhitelist(t, ranges, built.map((b) => b.variantIds));
    return out;
  });
  return { ...w, tenants };
}

/**
 * The workload and the simulator's preemption for a granularity: 'layer' and 'model' as they are,
 * 'group:K' the grouped workload dispatched group by group (layer preemption).
 */
export function withGranularity(w: SimWorkload, g: Granularity): { workload: SimWorkload; preemption: 'layer' | 'model' } {
  if (g === 'layer' || g === 'model') return { workload: w, preemption: g };
  return { workload: groupWorkload(w, groupSize(g)!), preemption: 'layer' };
}
