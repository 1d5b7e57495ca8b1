// What the simulator runs on: a SimWorkload built from a scenario reference and, for real scenarios,
// stored profiles of its models. Two kinds of reference:
//
//   synthetic:<scenario>[:balanced|:skewed]  XRBench models and rates with a generated latency table
//                                             (scheduler/core/synthetic.ts), labelled synthetic;
//   any scenario the library loads           (xrbench/vr_gaming, mixed/..., user/NAME, a .json file):
//                                             every tenant's layers and per-lane latencies come from
//                                             a measured profile of its model (matched by hash, name
//                                             or an explicit tenant -> profile mapping).
//
// Latency of a layer = the profile's raw run() median on that lane (what a real dispatch costs,
// per-call overhead included). Each tenant also carries its whole-model raw median per lane (one
// session of the full graph), which 'model' granularity charges instead of the layer sum. Energy per layer = the profile's figure (measured or ESTIMATE, as the
// profile labels it), above idle. Lanes = those every profile measured (or the ones asked for).
import { loadProfile } from '../profiler/store';
import type { LaneInfo, LayerProfile, Profile } from '../profiler/types';
import { estimatedLaneWatts } from '../profiler/energy/estimate';
import { matchProfiles, tenantModels } from '../workloads/assess';
import { loadScenario } from '../workloads/scenario-library';
import type { Scenario } from '../workloads/scenario';
import { scaleTenantTiming } from '../workloads/rate-scaling';
import { XR_SCENARIOS, syntheticWorkload } from './core/synthetic';
import type { LaneDef, LayerCost, LayerDef, SimWorkload, TenantDef, VariantDef } from './core/types';
import { describeWorkload, validateWorkload } from './core/workload';
import { buildWhitelist, combinationFigures, hasLimits, taskValues, type CombinationFigures } from './core/whitelist';

export { combinationFigures };
import { timing } from './tenant-timing';

/** A scenario or profile that cannot make a workload; the message names the input and what to do. */
export class SimWorkloadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SimWorkloadError';
  }
}

export interface SimWorkloadOptions {
  /** Stored profile ids or paths (real scenarios). */
  profiles?: string[];
  /** Tenant id -> profile id, where a profile cannot be matched by model hash or name. */
  profileFor?: Record<string, string>;
  /** Lanes, e.g. ["cpu:1", "cpu:1"] (two lanes measured as cpu:1); default every lane all profiles share. */
  lanes?: string[];
  /**
   * Load: synthetic scenarios: utilisation of the busiest lane with every layer on its fastest lane
   * (default 0.6 balanced, 1.2 skewed). Real scenarios: frame rates scaled so that the busiest lane
   * reaches this utilisation (default: the scenario's own rates).
   */
  load?: number;
  /** Real scenarios: multiply every frame rate by this (applied before load). */
  scale?: number;
  /** Synthetic scenarios: generate approximate variants; real scenarios: use the profiles' measured layer variants (default true). */
  variants?: boolean;
  /** Real scenarios: also the profiles' model-level variants, for tenants with whitelist limits (default true; needs variants). */
  modelVariants?: boolean;
}

export const SYNTHETIC_PREFIX = 'synthetic:';

/** The synthetic references the simulator knows (one per XRBench scenario, balanced and skewed). */
export function syntheticScenarioRefs(): string[] {
  return Object.keys(XR_SCENARIOS).flatMap((s) => [`synthetic:${s}`, `synthetic:${s}:skewed`]);
}

export async function loadSimWorkload(ref: string, o: SimWorkloadOptions = {}): Promise<SimWorkload> {
  if (o.load !== undefined && !(o.load > 0)) throw new SimWorkloadError(`load must be > 0 (got ${o.load})`);
  if (o.scale !== undefined && !(o.scale > 0)) throw new SimWorkloadError(`scale must be > 0 (got ${o.scale})`);
  if (ref.startsWith(SYNTHETIC_PREFIX)) return syntheticFrom(ref, o);
  let loaded;
  try {
    loaded = loadScenario(ref);
  } catch (e) {
    throw new SimWorkloadError(`${(e as Error).message} (the simulator also takes synthetic:<${Object.keys(XR_SCENARIOS).join('|')}>[:skewed])`, { cause: e });
  }
  if (!o.profiles?.length) {
    throw new SimWorkloadError(
      `scenario "${ref}" needs measured profiles of its models to simulate: profile them (Profiles view, or tessera profile MODEL) and pass the profile ids; ` +
        `or simulate synthetic:<scenario> for a generated latency table`,
    );
  }
  const profiles = o.profiles.map((id) => {
    try {
      return loadProfile(id);
    } catch (e) {
      throw new SimWorkloadError(`profile "${id}": ${(e as Error).message}`, { cause: e });
    }
  });
  const models = await tenantModels(loaded.scenario, { baseDir: loaded.baseDir });
  let matched;
  try {
    matched = matchProfiles(loaded.scenario, models, profiles, o.profileFor);
  } catch (e) {
    throw new SimWorkloadError((e as Error).message, { cause: e });
  }
  const perTenant = loaded.scenario.tenants.map((t) => {
    const m = matched[t.id];
    if (!m) {
      throw new SimWorkloadError(
        `tenant "${t.id}": none of the given profiles (${profiles.map((p) => `${p.id} = ${p.model.name}`).join(', ')}) is of its model ${models[t.id].model}; ` +
          `profile that model (tessera profile ${models[t.id].libraryId ?? models[t.id].model}) or map the tenant to a profile explicitly`,
      );
    }
    return m.profile;
  });
  const w = profileWorkload(loaded.scenario, perTenant, o.lanes, { variants: o.variants, modelVariants: o.modelVariants });
  return scaleToLoad(w, o);
}

function syntheticFrom(ref: string, o: SimWorkloadOptions): SimWorkload {
  const m = /^synthetic:([a-z_]+)(?::(balanced|skewed))?$/.exec(ref);
  if (!m || !XR_SCENARIOS[m[1]]) throw new SimWorkloadError(`unknown synthetic scenario "${ref}"; known: ${syntheticScenarioRefs().join(', ')}`);
  if (o.profiles?.length) throw new SimWorkloadError(`a synthetic scenario brings its own generated latency table; give a library scenario (e.g. xrbench/${m[1]}) to simulate with profiles`);
  const skewed = m[2] === 'skewed';
  const w = syntheticWorkload({ scenario: m[1], skew: skewed ? 'gpu' : 'balanced', load: o.load ?? (skewed ? 1.2 : 0.6), variants: o.variants ?? true });
  validateWorkload(w);
  return w;
}

/** A lane id without its duplicate suffix ("cpu:1#1" -> "cpu:1"): what the profile measured. */
const measuredAs = (id: string) => id.replace(/#\d+$/, '');

/** Fallback for device lanes whose profile has no measured transfer cost (older profiles): NOT measured. */
const ASSUMED_LINK = { latency: 20e-6, bytesPerSec: 12e9 };

/** How activations moving to/from each device lane are costed, measured or assumed. */
function linkNote(infos: LaneInfo[]): string {
  const dev = infos.filter((l) => l.ep !== 'cpu');
  if (dev.length === 0) return '';
  return '; moving activations to/from a device lane: ' + dev.map((l) => (l.transfer ? `${l.id} MEASURED ${l.transfer.latencyUs.toFixed(0)} µs + ${(l.transfer.bytesPerSec / 1e9).toFixed(2)} GB/s (${l.transfer.method})` : `${l.id} ASSUMED 20 µs + 12 GB/s (not measured: the profile predates transfer measurement)`)).join('; ');
}

/** Builds the workload from one profile per tenant (same order as the scenario's tenants). Pure apart from the estimate constants. */
export function profileWorkload(s: Scenario, perTenant: Profile[], laneIds?: string[], o: { variants?: boolean; modelVariants?: boolean } = {}): SimWorkload {
  const shared = perTenant[0].lanes.map((l) => l.id).filter((id) => perTenant.every((p) => p.lanes.some((l) => l.id === id && !l.error)));
  const ids = laneIds?.length ? withDuplicateSuffixes(laneIds) : shared;
  for (const id of ids) {
    const missing = perTenant.filter((p) => !p.lanes.some((l) => l.id === measuredAs(id) && !l.error));
    if (missing.length) throw new SimWorkloadError(`lane ${id}: not measured in profile(s) ${[...new Set(missing.map((p) => p.id))].join(', ')} (lanes every profile has: ${shared.join(', ') || 'none'})`);
  }
  if (ids.length === 0) throw new SimWorkloadError(`the profiles share no lane (${perTenant.map((p) => `${p.id}: ${p.lanes.map((l) => l.id).join('+')}`).join('; ')}); profile every model on the same lanes`);
  const laneInfo = (id: string): LaneInfo => perTenant[0].lanes.find((l) => l.id === measuredAs(id))!;
  const lanes: LaneDef[] = ids.map((id) => {
    const info = laneInfo(id);
    const cpu = info.ep === 'cpu';
    return {
      id,
      kind: cpu ? 'cpu' : 'gpu',
      idleWatts: 0,
      busyWatts: estimatedLaneWatts(info).watts,
      // Device lanes: the profile's measured transfer cost, else an ASSUMED PCIe-class link (labelled below); CPU lanes share host memory.
      ...(cpu ? {} : { link: info.transfer ? { latency: info.transfer.latencyUs / 1e6, bytesPerSec: info.transfer.bytesPerSec } : ASSUMED_LINK }),
    };
  });
  const energyKinds = new Set<string>();
  const tenants: TenantDef[] = s.tenants.map((t, ti) => {
    const p = perTenant[ti];
    const laneIdx = ids.map((id) => p.lanes.findIndex((l) => l.id === measuredAs(id)));
    if (p.status !== 'complete') throw new SimWorkloadError(`profile ${p.id} (tenant "${t.id}") is partial: resume it (tessera profile --resume) before simulating with it`);
    const layers: LayerDef[] = p.layers.map((layer) => layerDef(layer, laneIdx, energyKinds, t.id, o.variants !== false ? ids.map(measuredAs) : undefined));
    const limits = { maxOutputRelErr: t.maxOutputRelErr, maxTop1Drop: t.maxTop1Drop, minMapIoU: t.minMapIoU, maxDecisionChange: t.maxDecisionChange };
    // Whitelist limits replace the additive accuracy budget: only combinations verified together.
    // Model-level variants (all layers or none) exist only under a whitelist: an additive budget
    // would let a frame mix their layers with the original's.
    const withLimits = hasLimits(limits) && o.variants !== false;
    const models = withLimits && o.modelVariants !== false ? modelVariantDefs(p, layers, ids.map(measuredAs)) : [];
    const whitelist = withLimits ? buildWhitelist(layers, [...combinationFigures(p), ...models], limits).whitelist : undefined;
    const wholeModel = wholeModelCosts(p, laneIdx);
    return { ...timing(t), model: p.model.name, layers, ...(whitelist ? { whitelist } : {}), ...(wholeModel ? { wholeModel } : {}) };
  });
  const energyMeasured = energyKinds.size === 1 && energyKinds.has('measured');
  const w: SimWorkload = {
    name: s.name,
    lanes,
    tenants,
    latencySource: {
      kind: 'measured',
      profileId: [...new Set(perTenant.map((p) => p.id))].join(', '),
      detail: `raw run() medians per layer and lane (at model granularity: of the whole model, one session) from ${[...new Set(perTenant.map((p) => `${p.id} (${p.model.name}, ${p.machine.hostname}, ${p.createdAt})`))].join('; ')}` +
        linkNote(ids.map(laneInfo)),
    },
    energySource: energyMeasured
      ? { kind: 'measured', detail: 'energy per layer run from the profiles\' meters (above idle); idle draw not counted' }
      : { kind: 'estimated', detail: `ESTIMATE: energy per layer from the profiles (${energyKinds.size ? [...energyKinds].join(' + ') : 'none: busy watts x latency'}; estimate model busy watts ${lanes.map((l) => `${l.id} ${l.busyWatts} W`).join(', ')}), above idle; idle draw not counted` },
  };
  validateWorkload(w);
  return w;
}

/**
 * The profile's whole-model figure per chosen lane (one session of the full graph): its raw run()
 * median, per-call overhead included like the layer figures, and its energy where the profile has
 * one; null where not measured. Undefined when no lane has one. Charged at 'model' granularity
 * (core/groups.ts wholeModelWorkload).
 */
function wholeModelCosts(p: Profile, laneIdx: number[]): (LayerCost | null)[] | undefined {
  const costs = laneIdx.map((k): LayerCost | null => {
    const m = p.wholeModel?.[k];
    const ms = m?.raw?.median;
    if (!m || m.error || !(ms !== undefined && ms > 0 && Number.isFinite(ms))) return null;
    return { latency: ms / 1000, ...(m.energy ? { energy: m.energy.joulesPerRun } : {}) };
  });
  return costs.some((c) => c) ? costs : undefined;
}

function layerDef(layer: LayerProfile, laneIdx: number[], energyKinds: Set<string>, tenant: string, variantLanes?: string[]): LayerDef {
  const cost = laneIdx.map((k) => {
    const m = layer.lanes[k];
    const ms = m?.raw?.median;
    if (!m || m.error || !(ms !== undefined && ms > 0)) return null;
    if (m.energy) energyKinds.add(m.energy.source.kind);
    return { latency: ms / 1000, ...(m.energy ? { energy: m.energy.joulesPerRun } : {}) };
  });
  if (cost.every((c) => c === null)) throw new SimWorkloadError(`tenant "${tenant}": layer ${layer.index} (${layer.name}) ran on none of the chosen lanes (errors: ${layer.lanes.map((m) => m.error).filter(Boolean).join('; ') || 'not measured'})`);
  const outputBytes = layer.outputs.reduce((a, o) => a + o.dims.reduce((x, d) => x * Math.max(1, d), bytesPer(o.type)), 0);
  return { name: layer.name, outputBytes, variants: [{ id: 'original', accuracyDelta: 0, cost }, ...(variantLanes ? measuredVariants(layer, cost, variantLanes) : [])] };
}

/**
 * The verified variants a profile's variant run measured (`tessera variants`). Each costs the
 * profile's original latency x (variant / original), both from the variant run on the same lane
 * (paired, so drift between the profile and the variant run cancels); energy is not scaled in.
 * accuracyDelta: 0 for exact kinds, the end-to-end relative L2 output error for approximate ones
 * (a proxy for lost accuracy, labelled as such in the profile).
 */
function measuredVariants(layer: LayerProfile, cost: (LayerCost | null)[], lanes: string[]): VariantDef[] {
  const lv = layer.variants;
  if (!lv) return [];
  const out: VariantDef[] = [];
  for (const v of lv.variants) {
    if (!v.verification.passed || (!v.exact && !v.verification.endToEnd)) continue;
    const vc = lanes.map((id, k) => {
      const o = lv.original.find((m) => m.lane === id)?.raw?.median;
      const t = v.lanes.find((m) => m.lane === id);
      if (!cost[k] || !o || !t?.raw || t.error) return null;
      return { latency: cost[k]!.latency * (t.raw.median / o) };
    });
    if (vc.some((c) => c)) out.push({ id: v.id, accuracyDelta: v.exact ? 0 : v.verification.endToEnd!.relL2, cost: vc });
  }
  return out;
}

/** One model-level variant's cost per original layer and lane, and its end-to-end figures (modelVariantCosts). */
/** With its end-to-end task figures (top-1 drop, map IoU, VAD decisions changed) where the model has them. */
export interface ModelVariantCosts extends Pick<CombinationFigures, 'top1Drop' | 'mapIoU' | 'decisionChange'> {
  /** "model:<id>". */
  id: string;
  /** costs[layer][lane]: the variant layers charged to that original layer (null where not measured; the variant is usable on a lane only where no layer is null). */
  costs: (LayerCost | null)[][];
  relL2: number;
}

/**
 * The one rule for what a profile's model-level variants cost (the simulator here, the live runtime
 * in scheduler/live/variant-exec.ts): per original layer, the variant's own cut layers charged to it
 * (raw medians on the same lanes; an original layer no variant layer is charged to costs 1 µs there:
 * its nodes merged into a neighbour's layer). Verified variants with a matched layer table only.
 */
export function modelVariantCosts(p: Profile, layerCount: number, lanes: string[]): ModelVariantCosts[] {
  const out: ModelVariantCosts[] = [];
  for (const v of p.modelVariants?.variants ?? []) {
    const e = v.verification.endToEnd;
    if (!v.verification.passed || !e || !v.layers?.length) continue;
    const costs = Array.from({ length: layerCount }, (_, li) => lanes.map((lane): LayerCost | null => {
      const mine = v.layers!.filter((l) => l.charge === li);
      if (mine.length === 0) return { latency: 1e-6 };
      let ms = 0;
      for (const l of mine) {
        const m = l.lanes.find((x) => x.lane === lane);
        if (!m?.raw || m.error) return null;
        ms += m.raw.median;
      }
      return { latency: ms / 1000 };
    }));
    out.push({ id: `model:${v.id}`, costs, relL2: e.relL2, ...taskValues(e.task) });
  }
  return out;
}

/**
 * A profile's model-level variants (`tessera variants --kinds resolution,arch-prune`) as one variant
 * per original layer, named "model:<id>", each costing what modelVariantCosts says, and one whole
 * combination per variant (WhitelistCombo.whole) with its end-to-end figures. Appends to `layers`;
 * returns the combinations for the whitelist. Variants without a matched layer table are left out.
 */
function modelVariantDefs(p: Profile, layers: LayerDef[], lanes: string[]): CombinationFigures[] {
  const out: CombinationFigures[] = [];
  for (const { id, costs, relL2, ...task } of modelVariantCosts(p, layers.length, lanes)) {
    // Usable on a lane only where every layer of it is.
    const usable = lanes.map((_, k) => costs.every((c) => c[k] !== null));
    if (!usable.some(Boolean)) continue;
    layers.forEach((layer, li) => layer.variants.push({ id, accuracyDelta: relL2, cost: costs[li].map((c, k) => (usable[k] ? c : null)) }));
    out.push({ id, members: layers.map((_, li) => ({ layer: li, variant: id })), relL2, ...task, whole: true });
  }
  return out;
}

function bytesPer(type: string): number {
  return /64|double/.test(type) ? 8 : /16/.test(type) ? 2 : /8|bool/.test(type) ? 1 : 4;
}

function withDuplicateSuffixes(ids: string[]): string[] {
  const seen = new Map<string, number>();
  return ids.map((raw) => {
    const id = measuredAs(raw.trim());
    const n = seen.get(id) ?? 0;
    seen.set(id, n + 1);
    return n ? `${id}#${n}` : id;
  });
}

/** Frame rates x scale, then (with load) x whatever brings the busiest lane to that utilisation. */
export function scaleToLoad(w: SimWorkload, o: SimWorkloadOptions): SimWorkload {
  let factor = o.scale ?? 1;
  let out = factor === 1 ? w : scaleRates(w, factor);
  if (o.load !== undefined) {
    const busiest = busiestUtilisation(out);
    if (!(busiest > 0)) throw new SimWorkloadError(`cannot scale ${w.name} to load ${o.load}: no lane has work`);
    factor *= o.load / busiest;
    out = scaleRates(w, factor);
  }
  return factor === 1 ? out : { ...out, name: `${w.name} (rates x${+factor.toFixed(3)})` };
}

/**
 * Utilisation of the busiest lane with every layer on its fastest lane; identical lanes (cpu:1 and
 * cpu:1#1) share their work evenly, since "fastest" cannot tell them apart.
 */
export function busiestUtilisation(w: SimWorkload): number {
  const util = describeWorkload(w).favouriteUtilisation;
  const groups = new Map<string, number[]>();
  for (const l of w.lanes) groups.set(measuredAs(l.id), [...(groups.get(measuredAs(l.id)) ?? []), util[l.id] ?? 0]);
  return Math.max(...[...groups.values()].map((u) => u.reduce((a, b) => a + b, 0) / u.length));
}

function scaleRates(w: SimWorkload, s: number): SimWorkload {
  return { ...w, tenants: w.tenants.map((t) => scaleTenantTiming(t, s)) };
}
