// Layer variants for live runs (tessera run --variants): generated and verified on the cut's own
// activations by the profiler's variant code. Kept out of models.ts and injected by the engine
// (LiveRun hooks.attachVariants), so the embeddable runtime entry carries no profiling code.
import { proposeCombinations } from '../../profiler/variants/combos';
import { generateVariants, verifyCombinations, type GeneratedLayer } from '../../profiler/variants/generate';
import { parseKinds } from '../../profiler/variants/kinds';
import { combinationFigures } from '../core/whitelist';
import { LiveSetupError, type VariantAttacher } from './models';

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
