// What the Variants view shows, computed from a profile with layer variants (pure, unit-tested):
// per layer the variants x lanes (latency with its CI, speed-up, error), the error-vs-latency
// points with their Pareto front, Terastal's latency-gap reduction per layer, and the combinations
// verified together with the ones a tenant's limits whitelist (scheduler/core/whitelist.ts rules).
import type { Profile } from '../../profiler/types';
import { combinationFigures, outsideLimits, type WhitelistLimits } from '../../scheduler/core/whitelist';

export interface VariantCell {
  lane: string;
  /** Baseline-subtracted median, ms (undefined: not measured or failed). */
  ms?: number;
  /** Its 95% uncertainty, ms. */
  ciMs?: number;
  speedup?: number;
  error?: string;
}

export interface VariantRow {
  layer: number;
  layerName: string;
  variant: string;
  exact: boolean;
  passed: boolean;
  /** Exact kinds: normwise max relative error on the layer; approximate: end-to-end relative L2 (substituted alone). */
  error?: number;
  errorKind: 'layer max rel' | 'end-to-end rel L2' | '';
  why?: string;
  lanes: VariantCell[];
}

export function variantRows(p: Profile): VariantRow[] {
  const rows: VariantRow[] = [];
  for (const l of p.layers) {
    const lv = l.variants;
    if (!lv) continue;
    const cell = (m: { lane: string; latencyMs?: number; latencyCiMs?: number; error?: string; speedup?: number }): VariantCell => ({ lane: m.lane, ms: m.error ? undefined : m.latencyMs, ciMs: m.latencyCiMs, speedup: m.speedup, error: m.error });
    rows.push({ layer: l.index, layerName: l.name, variant: 'original', exact: true, passed: true, errorKind: '', lanes: lv.original.map(cell) });
    for (const v of lv.variants) {
      const e2e = v.verification.endToEnd;
      rows.push({
        layer: l.index, layerName: l.name, variant: v.id, exact: v.exact, passed: v.verification.passed,
        error: v.exact ? v.verification.maxRelError : e2e?.relL2, errorKind: v.exact ? 'layer max rel' : e2e ? 'end-to-end rel L2' : '',
        why: v.verification.error, lanes: v.lanes.map(cell),
      });
    }
  }
  return rows;
}

export interface ScatterPoint {
  label: string;
  /** Error (see VariantRow.error); exact variants sit at their tiny layer error. */
  error: number;
  /** Best latency over the lanes / the original's best latency over the same lanes. */
  relLatency: number;
}

/** Verified, measured variants as (error, relative latency) points. */
export function scatterPoints(rows: VariantRow[]): ScatterPoint[] {
  const best = (r: VariantRow) => Math.min(...r.lanes.map((c) => (c.ms !== undefined && c.ms > 0 ? c.ms : Infinity)));
  const original = new Map(rows.filter((r) => r.variant === 'original').map((r) => [r.layer, best(r)]));
  const out: ScatterPoint[] = [];
  for (const r of rows) {
    if (r.variant === 'original' || !r.passed || r.error === undefined || !Number.isFinite(r.error)) continue;
    const o = original.get(r.layer);
    const v = best(r);
    if (!o || !Number.isFinite(o) || !Number.isFinite(v)) continue;
    out.push({ label: `L${r.layer} ${r.variant}`, error: r.error, relLatency: v / o });
  }
  return out;
}

/** The points no other point beats on both error and latency, by increasing error. */
export function paretoFront(points: ScatterPoint[]): ScatterPoint[] {
  const sorted = [...points].sort((a, b) => a.error - b.error || a.relLatency - b.relLatency);
  const front: ScatterPoint[] = [];
  let bestLat = Infinity;
  for (const p of sorted) {
    if (p.relLatency < bestLat) {
      front.push(p);
      bestLat = p.relLatency;
    }
  }
  return front;
}

export interface CombinationRow {
  id: string;
  members: number;
  relL2: number;
  top1Drop?: number;
  /** Probability-map IoU at 0.3 (PP-OCR det), where the model has the figure. */
  mapIoU?: number;
  /** Share of VAD speech/no-speech decisions changed, where the model has the figure. */
  decisionChange?: number;
  /** Sum of the members' own errors (what an additive budget assumes); undefined for singles. */
  sumOfSingles?: number;
  /** '' when within the limits, else why not. */
  outside: string;
}

/** Every measured combination (singles included) and whether the limits whitelist it. */
export function combinationRows(p: Profile, limits: WhitelistLimits): CombinationRow[] {
  const sums = new Map((p.variantRun?.combinations ?? []).map((c) => [c.id, c.sumOfSingles]));
  return combinationFigures(p)
    .map((c) => ({ id: c.id, members: c.members.length, relL2: c.relL2, top1Drop: c.top1Drop, mapIoU: c.mapIoU, decisionChange: c.decisionChange, sumOfSingles: sums.get(c.id), outside: outsideLimits(c, limits) }))
    .sort((a, b) => b.members - a.members || a.relL2 - b.relL2);
}

/** The Variants view's run form, as typed. */
export interface VariantsRunForm {
  target: string;
  kinds: string;
  lanes: string;
  budgetSec: string;
  layers: string;
}

/** The engine's variants.run parameters (engine/features/variants.ts variantsRunParams), as the form sends them. */
export interface VariantsRunRequest {
  target: string;
  kinds?: string[];
  lanes?: string[];
  budgetSec?: number;
  layers?: number[];
}

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

/** The form as variants.run parameters, or what to fix. Layers: "0,3,5" or ranges "0-4" (0-based, as the CLI's --layers). */
export function variantsRunRequest(f: VariantsRunForm): { params?: VariantsRunRequest; errors: string[] } {
  const errors: string[] = [];
  const target = f.target.trim();
  if (!target) errors.push('Give a model (library id such as npm/ppocr-v4-rec, or an ONNX path) or a profile id');
  let budgetSec: number | undefined;
  if (f.budgetSec.trim()) {
    budgetSec = Number(f.budgetSec);
    if (!Number.isFinite(budgetSec) || budgetSec <= 0) errors.push(`Budget must be a positive number of seconds (got '${f.budgetSec}')`);
  }
  const layers: number[] = [];
  for (const item of list(f.layers)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (!m || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) {
      errors.push(`Layers: '${item}' is not a layer index or a range like 0-4`);
      continue;
    }
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) if (!layers.includes(i)) layers.push(i);
  }
  if (errors.length) return { errors };
  const kinds = list(f.kinds);
  const lanes = list(f.lanes);
  return {
    errors,
    params: { target, ...(kinds.length ? { kinds } : {}), ...(lanes.length ? { lanes } : {}), ...(budgetSec !== undefined ? { budgetSec } : {}), ...(layers.length ? { layers: layers.sort((a, b) => a - b) } : {}) },
  };
}

/** One model-level variant (resolution, arch-prune) as the Variants view lists it. */
export interface ModelVariantRow {
  id: string;
  passed: boolean;
  why?: string;
  relL2?: number;
  /** Task figures, e.g. "probability-map-iou 0.912". */
  task: string;
  /** Per lane: the variant's whole-model raw median, ms, and original / variant. */
  lanes: { lane: string; ms?: number; speedup?: number; error?: string }[];
  layers?: number;
  notes: string[];
}

export function modelVariantRows(p: Profile): { rows: ModelVariantRow[]; inapplicable: { kind: string; reason: string }[] } {
  const mv = p.modelVariants;
  return {
    rows: (mv?.variants ?? []).map((v) => ({
      id: v.id,
      passed: v.verification.passed,
      why: v.verification.error,
      relL2: v.verification.endToEnd?.relL2,
      task: (v.verification.endToEnd?.task ?? []).map((t) => `${t.task} ${t.value.toFixed(3)}`).join(', '),
      lanes: v.lanes.map((m) => ({ lane: m.lane, ms: m.error ? undefined : m.raw?.median, speedup: m.speedup, error: m.error })),
      layers: v.layers?.length,
      notes: v.notes,
    })),
    inapplicable: mv?.inapplicable ?? [],
  };
}
