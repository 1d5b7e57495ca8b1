// Layer variants for live runs, made by the profiler's variant code and verified on the cut's own
// activations: every kind for `tessera run --variants` (attachVariants), or a tuned schedule's fixed
// per-layer picks (substituteVariants). Kept out of models.ts and injected by the engine (LiveRun
// hooks), so the embeddable runtime entry carries no profiling code.
import { proposeCombinations } from '../../profiler/variants/combos';
import { embedVariants, generateVariants, verifyCombinations, type GeneratedLayer } from '../../profiler/variants/generate';
import { kindLabel, parseKinds, VARIANT_KINDS, type KindChoice } from '../../profiler/variants/kinds';
import { combinationFigures } from '../core/whitelist';
import { LiveSetupError, type PickOutcome, type VariantAttacher, type VariantSubstituter } from './models';

/**
 * Generates and verifies layer variants on the cut's own activations (profiler/variants), keeps
 * the verified ones on their units (approximate ones costed by their end-to-end error substituted
 * alone) and verifies combinations of them together, for whitelists. Layers no kind applies to
 * simply have none.
 */
export const attachVariants: VariantAttacher = async (tenant, exec, model, cut, kinds) => {
  let gen: GeneratedLayer[];
  try {
    gen = await generateVariants(model, cut, parseKinds(kinds));
  } catch (e) {
    throw new LiveSetupError(`tenant "${tenant.id}": variants ${kinds}: ${(e as Error).message}`, { cause: e });
  }
  for (const g of gen) {
    const ok = g.variants.filter((v) => v.bytes && (v.exact || v.verification.endToEnd));
    if (ok.length) exec.units[g.layer].variants = ok.map((v) => ({ id: v.id, exact: v.exact, accuracyDelta: v.exact ? 0 : v.verification.endToEnd!.relL2, bytes: v.bytes! }));
  }
  const layers = gen.map((g) => ({ index: g.layer, variants: { original: [], variants: g.variants, inapplicable: [] } }));
  const combinations = await verifyCombinations(model, cut, gen, proposeCombinations(layers));
  exec.combinations = combinationFigures({ layers, variantRun: { combinations } });
};

/** The kind and parameter a variant id names ("split-out(g=2)", "fp16"), or undefined. */
export function kindOfVariantId(id: string): KindChoice | undefined {
  const m = /^([a-z0-9-]+)(?:\(([a-z]+)=([-+0-9.e]+)\))?$/i.exec(id.trim());
  if (!m) return undefined;
  const kind = VARIANT_KINDS.find((k) => k.id === m[1]);
  if (!kind || Boolean(kind.param) !== (m[3] !== undefined)) return undefined;
  const param = kind.param ? Number(m[3]) : 0;
  return kindLabel(kind, param) === id.trim() ? { kind, param, label: id.trim() } : undefined;
}

/**
 * A schedule's fixed picks: each picked layer is replaced by its variant, made again from the model
 * with the same kind and parameter and verified on this cut's activations (exact kinds within the
 * exact tolerance; approximate ones must give finite outputs end to end). Layer granularity: the
 * layer's unit runs the variant, keeps its name and records it (`fixedVariant`). Model granularity
 * (one unit): the variants are substituted into the whole model together (embedVariants). A pick
 * that names no layer of the cut, a kind that does not apply or a variant that fails verification
 * leaves the original, with the reason.
 */
export const substituteVariants: VariantSubstituter = async (_tenant, exec, model, cut, picks) => {
  const whole = exec.units.length === 1 && cut.layers.length > 1;
  const subs: { layer: number; bytes: Uint8Array; id: string; exact: boolean; accuracyDelta: number }[] = [];
  const out: PickOutcome[] = [];
  for (const pick of picks) {
    const li = cut.layers.findIndex((l) => l.name === pick.layer);
    const choice = kindOfVariantId(pick.variant);
    if (li < 0 || (!whole && !exec.units[li])) {
      out.push({ ...pick, applied: false, reason: `model ${exec.name} cut here has no layer "${pick.layer}" (the profile's cut differs)` });
      continue;
    }
    if (!choice) {
      out.push({ ...pick, applied: false, reason: `"${pick.variant}" names no variant kind of this version` });
      continue;
    }
    let gen: GeneratedLayer[];
    try {
      gen = await generateVariants(model, cut, [choice], { layers: [li] });
    } catch (e) {
      out.push({ ...pick, applied: false, reason: `could not be made: ${(e as Error).message.split('\n')[0]}` });
      continue;
    }
    const g = gen[0];
    const v = g?.variants.find((x) => x.id === choice.label);
    if (!v) {
      out.push({ ...pick, applied: false, reason: g?.inapplicable.find((x) => x.kind === choice.label)?.reason ?? 'the kind made nothing for this layer' });
      continue;
    }
    if (!v.bytes || !v.verification.passed || (!v.exact && !v.verification.endToEnd)) {
      out.push({ ...pick, applied: false, reason: `failed verification on this cut's activations: ${v.verification.error ?? 'no end-to-end figure'}` });
      continue;
    }
    const accuracyDelta = v.exact ? 0 : v.verification.endToEnd!.relL2;
    if (whole) subs.push({ layer: li, bytes: v.bytes, id: `${pick.layer}:${v.id}`, exact: v.exact, accuracyDelta });
    else exec.units[li] = { ...exec.units[li], bytes: v.bytes, fixedVariant: { id: v.id, exact: v.exact, accuracyDelta } };
    out.push({ ...pick, applied: true });
  }
  if (whole && subs.length) {
    try {
      const bytes = embedVariants(model, cut, subs);
      exec.units[0] = { ...exec.units[0], bytes, fixedVariant: { id: subs.map((x) => x.id).join('+'), exact: subs.every((x) => x.exact), accuracyDelta: subs.reduce((a, x) => a + x.accuracyDelta, 0) } };
    } catch (e) {
      for (const o of out) if (o.applied) Object.assign(o, { applied: false, reason: `could not be substituted into the whole model: ${(e as Error).message.split('\n')[0]}` });
    }
  }
  if (out.some((o) => o.applied)) exec.granularity = `${exec.granularity}, ${out.filter((o) => o.applied).length} layer(s) as fixed variants`;
  return out;
};
