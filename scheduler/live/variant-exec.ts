// Layer and model variants for live runs, made by the profiler's variant code and verified on the cut's own
// activations: every kind for `tessera run --variants` (attachVariants), or a tuned schedule's fixed
// per-layer picks (substituteVariants); model-level variants (resolution, arch-prune) of a whole
// model, made again as the profile made them (attachModelVariants). Kept out of models.ts and injected by the engine (LiveRun
// hooks), so the embeddable runtime entry carries no profiling code.
import { cutModel } from '../../profiler/onnx/cut';
import { resolveInputShapes } from '../../profiler/onnx/shapes';
import type { Profile } from '../../profiler/types';
import { proposeCombinations } from '../../profiler/variants/combos';
import { generateModelVariants } from '../../profiler/variants/generate-model';
import { splitModelKinds, type ModelKindChoice } from '../../profiler/variants/model-kinds';
import { modelVariantCosts } from '../sim-workload';
import { embedVariants, generateVariants, verifyCombinations, type GeneratedLayer } from '../../profiler/variants/generate';
import { kindLabel, parseKinds, VARIANT_KINDS, type KindChoice } from '../../profiler/variants/kinds';
import { buildWhitelist, combinationFigures, hasLimits, taskValues, type CombinationFigures } from '../core/whitelist';
import { LiveSetupError, type ModelVariantAttacher, type PickOutcome, type VariantAttacher, type VariantSubstituter } from './models';

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
      const bytes = embedVariants(model, cut, subs, { loadable: true });
      exec.units[0] = { ...exec.units[0], bytes, fixedVariant: { id: subs.map((x) => x.id).join('+'), exact: subs.every((x) => x.exact), accuracyDelta: subs.reduce((a, x) => a + x.accuracyDelta, 0) } };
    } catch (e) {
      for (const o of out) if (o.applied) Object.assign(o, { applied: false, reason: `could not be substituted into the whole model: ${(e as Error).message.split('\n')[0]}` });
    }
  }
  if (out.some((o) => o.applied)) exec.granularity = `${exec.granularity}, ${out.filter((o) => o.applied).length} layer(s) as fixed variants`;
  return out;
};

/** A profile's model variant id ("resolution(s=0.75)") as a model kind choice, or undefined. */
export function modelKindOfId(id: string): ModelKindChoice | undefined {
  const m = /^([a-z-]+)\(([a-z]+)=([-+0-9.e]+)\)$/i.exec(id.trim());
  if (!m) return undefined;
  try {
    const c = splitModelKinds(`${m[1]}=${m[3]}`).model[0];
    return c?.label === id.trim() ? c : undefined;
  } catch {
    return undefined;
  }
}

/** Relative difference above which a regenerated variant's end-to-end error does not match the profile's. */
export const FIGURE_TOLERANCE = 0.5;

/**
 * Per lane id the profile measured: the model variant's cost / the original's, both by the
 * simulator's one rule (sim-workload.ts modelVariantCosts: its own layers charged to the original's,
 * raw medians; the original's layers' raw medians), summed over the layers. A lane where either is
 * not measured is left out. Pure.
 */
export function profileModelRatio(p: Profile, variantId: string, laneIds: readonly string[]): Record<string, number> {
  const lanes = [...new Set(laneIds.map((id) => id.replace(/#\d+$/, '')))];
  const v = modelVariantCosts(p, p.layers.length, lanes).find((x) => x.id === `model:${variantId}`);
  const out: Record<string, number> = {};
  if (!v) return out;
  lanes.forEach((lane, k) => {
    const pk = p.lanes.findIndex((l) => l.id === lane);
    if (pk < 0) return;
    let orig = 0;
    let mine = 0;
    for (let li = 0; li < p.layers.length; li++) {
      const o = p.layers[li].lanes[pk]?.raw?.median;
      const c = v.costs[li][k];
      if (!(o !== undefined && o > 0) || p.layers[li].lanes[pk]?.error || !c) return;
      orig += o / 1000;
      mine += c.latency;
    }
    if (orig > 0 && mine > 0) out[lane] = mine / orig;
  });
  return out;
}

/**
 * Model-level variants of a whole-model tenant: each kind asked for (o.kinds), or each verified one
 * the tenant's profile (same model sha256) lists, is made again from the model with the same
 * generator and parameter (profiler/variants/generate-model.ts) and verified end to end on this
 * run's sample inputs. A variant the profile lists must come out byte-identical (sha256) with an
 * end-to-end error within FIGURE_TOLERANCE of the profile's, else the run is refused: the profile's
 * figures would describe another model. Each becomes the unit's variant "model:<id>" (accuracy cost:
 * the profile's end-to-end relL2, else this verification's) with one whole combination for the
 * whitelist; costed by the profile where it measured it (profileModelRatio), else by the run's own
 * calibration. Only tenants with whitelist limits get them (as in the simulator: a model variant is
 * all or nothing); variants outside the limits are left out, with the reason.
 */
export const attachModelVariants: ModelVariantAttacher = async (tenant, exec, model, o) => {
  if (o.kinds === 'none') return [];
  const who = `tenant "${tenant.id}"`;
  const profile = model.sha256 ? o.profiles.find((p) => p.model.sha256 === model.sha256 && p.modelVariants) : undefined;
  const listed = (profile?.modelVariants?.variants ?? []).filter((v) => v.verification.passed);
  let choices: ModelKindChoice[];
  if (o.kinds !== undefined) {
    let split;
    try {
      split = splitModelKinds(o.kinds);
    } catch (e) {
      throw new LiveSetupError(`${who}: model variants: ${(e as Error).message}`);
    }
    if (split.layer.length) throw new LiveSetupError(`${who}: model variants: ${split.layer.join(', ')} are not model kinds (resolution[=s], arch-prune[=sparsity])`);
    choices = split.model;
  } else {
    choices = listed.map((v) => modelKindOfId(v.id)).filter((c): c is ModelKindChoice => c !== undefined);
  }
  if (!choices.length) return [];
  const limits = { maxOutputRelErr: tenant.maxOutputRelErr, maxTop1Drop: tenant.maxTop1Drop };
  if (!hasLimits(limits)) {
    return o.kinds !== undefined ? [`${who}: model variants (${choices.map((c) => c.label).join(', ')}) are offered only to tenants with whitelist limits (maxOutputRelErr, maxTop1Drop), all or nothing, as in the simulator: none loaded`] : [];
  }
  let gen;
  try {
    const shapes = resolveInputShapes(model, tenant.shapes ?? {});
    const cut = await cutModel(model, { granularity: 'group', groupsOf: 1_000_000, shapes, seed: o.seed, verify: false, inputValues: tenant.inputValues });
    gen = await generateModelVariants(model, cut, choices);
  } catch (e) {
    throw new LiveSetupError(`${who}: model variants ${choices.map((c) => c.label).join(', ')}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  const warnings: string[] = gen.inapplicable.map((x) => `${who}: model variant ${x.kind} does not apply: ${x.reason}`);
  const unit = exec.units[0];
  for (const v of gen.variants) {
    const id = `model:${v.id}`;
    const e = v.verification.endToEnd;
    if (!v.bytes || !v.verification.passed || !e) {
      warnings.push(`${who}: ${id} failed verification: ${v.verification.error ?? 'no end-to-end figures'}`);
      continue;
    }
    const stored = listed.find((x) => x.id === v.id);
    let relL2 = e.relL2;
    let task = e.task;
    let profileRatio: Record<string, number> | undefined;
    let source = 'made and verified at setup; costed by this run\'s calibration (paired with the original)';
    if (stored && profile) {
      if (stored.sha256 !== v.sha256) {
        throw new LiveSetupError(`${who}: ${id} made again from ${model.name} is not the model profile ${profile.id} measured (sha256 ${v.sha256.slice(0, 12)}… here, ${stored.sha256.slice(0, 12)}… in the profile): the generator or its inputs changed; run tessera variants --kinds ${v.id.replace(/\((\w+)=/, '=').replace(/\)$/, '')} on the profile again, or pass --model-variants none`);
      }
      const pe = stored.verification.endToEnd!;
      const diff = Math.abs(e.relL2 - pe.relL2) / Math.max(pe.relL2, 1e-9);
      if (diff > FIGURE_TOLERANCE) {
        throw new LiveSetupError(`${who}: ${id} verifies with end-to-end relL2 ${e.relL2.toPrecision(3)} here, ${pe.relL2.toPrecision(3)} in profile ${profile.id} (differs by ${(100 * diff).toFixed(0)}% > ${100 * FIGURE_TOLERANCE}%): the profile's accuracy figures do not describe this run's inputs; run tessera variants again on samples like these, or pass --model-variants none`);
      }
      relL2 = pe.relL2;
      task = pe.task;
      profileRatio = profileModelRatio(profile, v.id, o.lanes);
      if (!Object.keys(profileRatio).length) {
        warnings.push(`${who}: ${id}: profile ${profile.id} has no figures for it on this run's lanes (${o.lanes.join(', ')}): not loaded`);
        continue;
      }
      source = `profile ${profile.id} (sha256 matched, relL2 ${pe.relL2.toPrecision(3)} there, ${e.relL2.toPrecision(3)} here); cost = this run's original x the profile's variant / original on ${Object.keys(profileRatio).join(', ') || 'no lane of this run'}`;
    }
    const combo: CombinationFigures = { id, members: [{ layer: 0, variant: id }], relL2, ...taskValues(task), whole: true };
    const check = buildWhitelist([{ name: unit.name, outputBytes: 0, variants: [{ id: 'original', accuracyDelta: 0, cost: [] }, { id, accuracyDelta: relL2, cost: [] }] }], [combo], limits);
    if (check.rejected.length) {
      warnings.push(`${who}: ${id} is outside the tenant's limits: ${check.rejected[0].reason}; not loaded`);
      continue;
    }
    (unit.variants ??= []).push({ id, exact: false, accuracyDelta: relL2, bytes: v.bytes, ...(profileRatio ? { profileRatio } : {}), source });
    (exec.combinations ??= []).push(combo);
  }
  return warnings;
};
