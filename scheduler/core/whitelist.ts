// Per-tenant whitelists of variant combinations (issue 11, after Terastal's finding that
// independently made approximate variants do not compose: errors measured one layer at a time do
// not add up to the error of several substituted together).
//
// A combination is a set of (layer, variant) substitutions measured together end to end
// (profiler/variants/combos.ts). A tenant whose scenario states limits (maxOutputRelErr,
// maxTop1Drop) gets the combinations within them: its frames may then run approximate variants
// only as a subset of one whitelisted combination; exact variants (accuracyDelta 0) stay free.
// A frame's state is the bit set of the combinations still consistent with what it ran, so every
// check is O(1). Assumption, stated wherever the figures are shown: a frame that runs part of a
// verified combination loses no more than the whole combination (the frame is charged the cost of
// the smallest consistent one); the generator's nested chains verify many of those subsets directly.
//
// Pure: no I/O. Tenants without a whitelist keep the additive accuracy budget, unchanged.
import type { JobState, LayerDef, TenantDef, VariantWhitelist, WhitelistCombo } from './types';

/** A frame's consistent combinations fit in an int32 bit set. */
export const MAX_WHITELIST = 31;

/**
 * Per layer, per variant: bit set of the whitelisted combinations substituting it (-1: exact, always
 * allowed). Model-level (whole) combinations are all or nothing: the original and the exact variants
 * of a layer they substitute clear their bits, so a frame that ran the original model at one layer
 * can no longer switch to the model variant, and one committed to it cannot leave it.
 */
const maskCache = new WeakMap<VariantWhitelist, Int32Array[]>();
/** Bits of the whole (model-level) combinations, per whitelist. */
const wholeCache = new WeakMap<VariantWhitelist, number>();

function wholeBits(wl: VariantWhitelist): number {
  let b = wholeCache.get(wl);
  if (b === undefined) {
    b = 0;
    for (let ci = 0; ci < wl.combos.length; ci++) if (wl.combos[ci].whole) b |= 1 << ci;
    wholeCache.set(wl, b);
  }
  return b;
}

function masks(t: TenantDef, wl: VariantWhitelist): Int32Array[] {
  let m = maskCache.get(wl);
  if (m) return m;
  m = t.layers.map((layer, li) => {
    const row = new Int32Array(layer.variants.length);
    let wholeHere = 0;
    wl.combos.forEach((c, ci) => {
      if (c.whole && (c.variants[li] ?? 0) > 0) wholeHere |= 1 << ci;
    });
    layer.variants.forEach((v, vi) => {
      if (vi === 0 || v.accuracyDelta === 0) row[vi] = ~wholeHere;
    });
    wl.combos.forEach((c, ci) => {
      const vi = c.variants[li] ?? 0;
      if (vi > 0 && row[vi] !== ~wholeHere) row[vi] |= 1 << ci;
    });
    return row;
  });
  maskCache.set(wl, m);
  return m;
}

/**
 * Whether job `j` may run variant `v` of its next layer: on a whitelist tenant, when some combination
 * consistent with what the frame already ran substitutes it (or it is exact); otherwise when its
 * accuracy loss fits `budgetLeft` (the additive rule).
 */
export function variantAllowed(t: TenantDef, j: JobState, v: number, delta: number, budgetLeft: number): boolean {
  const wl = t.whitelist;
  if (!wl) return delta <= budgetLeft;
  return (masks(t, wl)[j.next][v] & (j.variantSet ?? -1)) !== 0;
}

/** Offline: whether a tenant can ever run variant `v` of layer `layer` (whitelist, else within `budget`). */
export function variantUsable(t: TenantDef, layer: number, v: number, budget: number): boolean {
  const wl = t.whitelist;
  if (!wl) return t.layers[layer].variants[v].accuracyDelta <= budget;
  return masks(t, wl)[layer][v] !== 0;
}

/** The frame's consistent set after it ran variant `v` of `layer`. */
export function narrowSet(t: TenantDef, set: number, layer: number, v: number): number {
  const wl = t.whitelist;
  if (!wl) return set;
  const m = masks(t, wl)[layer][v];
  return m === -1 ? set : set & m;
}

/**
 * The variant a frame committed to a model-level (whole) combination must run at its next layer, or
 * -1 when it is not committed (nothing approximate ran yet, or its consistent set holds layer combinations).
 */
export function committedVariant(t: TenantDef, j: JobState): number {
  const wl = t.whitelist;
  const set = j.variantSet ?? -1;
  if (!wl || set === -1) return -1;
  const whole = wholeBits(wl);
  if (whole === 0 || (set & ~whole) !== 0 || set === 0) return -1;
  const ci = 31 - Math.clz32(set & -set);
  return wl.combos[ci].variants[j.next] ?? -1;
}

/** What a frame with consistent set `set` is charged: 0 before any approximate variant, else the smallest consistent combination's cost. */
export function setCost(wl: VariantWhitelist, set: number): number {
  // Only originals or exact variants so far (which may have cleared model-level bits): no cost.
  if ((set | wholeBits(wl)) === -1) return 0;
  let c = Infinity;
  for (let i = 0; i < wl.combos.length; i++) if (set & (1 << i) && wl.combos[i].cost < c) c = wl.combos[i].cost;
  return c;
}

// ---------------------------------------------------------------------------------------------
// Building a tenant's whitelist from measured combinations
// ---------------------------------------------------------------------------------------------

/** A combination as measured (profile figures), in the scheduler's terms. */
export interface CombinationFigures {
  id: string;
  /** Substitutions: layer index and the variant's id (e.g. "fp16", "lowrank(r=8)"). */
  members: { layer: number; variant: string }[];
  /** End-to-end relative L2 error of the model's outputs, all members substituted together. */
  relL2: number;
  /** 1 - the task figure's agreement (top-1 agreement, CTC text unchanged), where the model has one. */
  top1Drop?: number;
  /** Probability-map IoU at 0.3 (PP-OCR det; the smallest over such outputs), where the model has one. */
  mapIoU?: number;
  /** Share of speech/no-speech decisions (VAD probability at 0.5) that changed, where the model has one. */
  decisionChange?: number;
  /** A model-level variant: every layer substituted, all or nothing (WhitelistCombo.whole). */
  whole?: boolean;
}

/** End-to-end figures as a profile stores them (profiler/types.ts, structurally: scheduler/core imports no profiler code). */
interface EndToEnd {
  relL2: number;
  task?: { task: string; value: number }[];
}

/** What combinationFigures reads of a profile (its layers' variants and the combinations verified together). */
export interface MeasuredVariants {
  layers: { index: number; variants?: { variants: { id: string; exact: boolean; verification: { passed: boolean; endToEnd?: EndToEnd } }[] } }[];
  variantRun?: { combinations?: { id: string; members: { layer: number; variant: string }[]; endToEnd?: EndToEnd; error?: string }[] };
}

/**
 * A profile's end-to-end measured combinations in the scheduler's terms: every verified approximate
 * variant alone (its own end-to-end figures) and every combination verified together.
 */
export function combinationFigures(p: MeasuredVariants): CombinationFigures[] {
  const out: CombinationFigures[] = [];
  for (const l of p.layers) {
    for (const v of l.variants?.variants ?? []) {
      const e = v.verification.endToEnd;
      if (v.exact || !v.verification.passed || !e) continue;
      out.push({ id: `L${l.index}:${v.id}`, members: [{ layer: l.index, variant: v.id }], relL2: e.relL2, ...taskValues(e.task) });
    }
  }
  for (const c of p.variantRun?.combinations ?? []) {
    if (c.error || !c.endToEnd) continue;
    out.push({ id: c.id, members: c.members, relL2: c.endToEnd.relL2, ...taskValues(c.endToEnd.task) });
  }
  return out;
}

/**
 * The task-level values of end-to-end task figures (profiler/variants/compare.ts taskFigure), worst
 * over the outputs of each kind: top-1 drop (classifier top-1, CTC text), map IoU (PP-OCR det),
 * decision change (VAD). A kind the model has no figure of is absent.
 */
export function taskValues(task?: { task: string; value: number }[]): Pick<CombinationFigures, 'top1Drop' | 'mapIoU' | 'decisionChange'> {
  const worst = (kinds: string[]) => {
    const v = (task ?? []).filter((x) => kinds.includes(x.task)).map((x) => x.value);
    return v.length ? Math.min(...v) : undefined;
  };
  const top1 = worst(['classifier-top1', 'ctc-text']);
  const iou = worst(['probability-map-iou']);
  const vad = worst(['speech-decision']);
  return { ...(top1 !== undefined ? { top1Drop: 1 - top1 } : {}), ...(iou !== undefined ? { mapIoU: iou } : {}), ...(vad !== undefined ? { decisionChange: 1 - vad } : {}) };
}

export interface WhitelistLimits {
  /** Largest end-to-end relative L2 output error allowed. */
  maxOutputRelErr?: number;
  /** Largest drop of top-1 agreement (0..1) allowed (classifier top-1, CTC text unchanged). */
  maxTop1Drop?: number;
  /** Smallest probability-map IoU at 0.3 (0..1) allowed (PP-OCR det). */
  minMapIoU?: number;
  /** Largest share (0..1) of VAD speech/no-speech decisions allowed to change. */
  maxDecisionChange?: number;
}

/** Whether the limits are task-level only (no maxOutputRelErr): then a combination costs its task loss, not its relative L2. */
export function taskLevelOnly(l: WhitelistLimits): boolean {
  return l.maxOutputRelErr === undefined && (l.maxTop1Drop !== undefined || l.minMapIoU !== undefined || l.maxDecisionChange !== undefined);
}

/**
 * What a combination costs a frame under these limits: with task-level limits only, the largest task
 * loss they state (top-1 drop, 1 - map IoU, decision change); else its end-to-end relative L2.
 */
export function comboCost(c: CombinationFigures, l: WhitelistLimits): number {
  if (!taskLevelOnly(l)) return c.relL2;
  const losses = [
    l.maxTop1Drop !== undefined ? c.top1Drop : undefined,
    l.minMapIoU !== undefined && c.mapIoU !== undefined ? 1 - c.mapIoU : undefined,
    l.maxDecisionChange !== undefined ? c.decisionChange : undefined,
  ].filter((x): x is number => x !== undefined);
  return Math.max(0, ...losses);
}

function costLabelOf(l: WhitelistLimits): string {
  if (!taskLevelOnly(l)) return 'end-to-end relative L2 output error, variants substituted together';
  const parts = [l.maxTop1Drop !== undefined ? 'top-1 drop' : '', l.minMapIoU !== undefined ? '1 - map IoU at 0.3' : '', l.maxDecisionChange !== undefined ? 'VAD decision change' : ''].filter(Boolean);
  return `task-level loss (${parts.join(', ')}; the largest), variants substituted together`;
}

export interface WhitelistResult {
  whitelist: VariantWhitelist;
  /** Combinations left out, with why. */
  rejected: { id: string; reason: string }[];
}

/** Whether a scenario tenant states whitelist limits (else the additive accuracy budget applies). */
export function hasLimits(l: WhitelistLimits): boolean {
  return l.maxOutputRelErr !== undefined || l.maxTop1Drop !== undefined || l.minMapIoU !== undefined || l.maxDecisionChange !== undefined;
}

/**
 * The combinations within a tenant's limits, mapped onto its layers' variant indices. A combination
 * naming a variant the layer does not have (not verified or not measured on these lanes) is left
 * out; with a task-level limit (maxTop1Drop, minMapIoU, maxDecisionChange), one without that task
 * figure is left out (the limit cannot be checked). With task-level limits only, a combination's cost
 * is its task loss (comboCost), so the accuracy a frame spends is in the budget's own terms. Over
 * MAX_WHITELIST, the largest combinations are kept (a frame may run any subset of one), then the
 * cheapest.
 */
export function buildWhitelist(layers: readonly LayerDef[], candidates: readonly CombinationFigures[], limits: WhitelistLimits): WhitelistResult {
  const rejected: WhitelistResult['rejected'] = [];
  const ok: WhitelistCombo[] = [];
  for (const c of candidates) {
    const why = outsideLimits(c, limits);
    if (why) {
      rejected.push({ id: c.id, reason: why });
      continue;
    }
    const variants = new Array<number>(layers.length).fill(0);
    let missing = '';
    for (const m of c.members) {
      const vi = layers[m.layer]?.variants.findIndex((v) => v.id === m.variant) ?? -1;
      if (vi <= 0) {
        missing = `layer ${m.layer} has no usable variant "${m.variant}" on these lanes`;
        break;
      }
      variants[m.layer] = vi;
    }
    if (missing) rejected.push({ id: c.id, reason: missing });
    else ok.push({ id: c.id, variants, cost: comboCost(c, limits), ...(c.whole ? { whole: true } : {}) });
  }
  const size = (c: WhitelistCombo) => c.variants.reduce((a, v) => a + (v > 0 ? 1 : 0), 0);
  ok.sort((a, b) => size(b) - size(a) || a.cost - b.cost);
  for (const c of ok.splice(MAX_WHITELIST)) rejected.push({ id: c.id, reason: `more than ${MAX_WHITELIST} combinations fit; the larger ones are kept` });
  return { whitelist: { combos: ok, costLabel: costLabelOf(limits) }, rejected };
}

/** Why a combination is outside a tenant's limits ('' when it is within them). */
export function outsideLimits(c: CombinationFigures, l: WhitelistLimits): string {
  if (!Number.isFinite(c.relL2)) return 'its end-to-end error is not finite';
  if (l.maxOutputRelErr !== undefined && c.relL2 > l.maxOutputRelErr) return `output error ${c.relL2.toExponential(2)} > maxOutputRelErr ${l.maxOutputRelErr}`;
  if (l.maxTop1Drop !== undefined) {
    if (c.top1Drop === undefined) return 'maxTop1Drop is set but the model has no top-1 figure (its outputs are not class scores or CTC text)';
    if (c.top1Drop > l.maxTop1Drop) return `top-1 drop ${(100 * c.top1Drop).toFixed(1)}% > maxTop1Drop ${(100 * l.maxTop1Drop).toFixed(1)}%`;
  }
  if (l.minMapIoU !== undefined) {
    if (c.mapIoU === undefined) return 'minMapIoU is set but the model has no probability-map figure (no [N, 1, H, W] output)';
    if (c.mapIoU < l.minMapIoU) return `map IoU ${c.mapIoU.toFixed(3)} < minMapIoU ${l.minMapIoU}`;
  }
  if (l.maxDecisionChange !== undefined) {
    if (c.decisionChange === undefined) return 'maxDecisionChange is set but the model has no speech/no-speech figure (no [N, 1] or [N, 1, 1] probability output)';
    if (c.decisionChange > l.maxDecisionChange) return `decision change ${(100 * c.decisionChange).toFixed(1)}% > maxDecisionChange ${(100 * l.maxDecisionChange).toFixed(1)}%`;
  }
  return '';
}

/**
 * Accuracy job `j` may still lose: the budget left (additive rule); on a whitelist tenant 1 while
 * it has combinations (the whitelist, not this figure, decides which variants may run).
 */
export function budgetLeftOf(t: TenantDef, j: JobState): number {
  if (t.whitelist) return t.whitelist.combos.length > 0 ? 1 : 0;
  return (t.accuracyBudget ?? 0) - j.accuracyUsed + 1e-12;
}
