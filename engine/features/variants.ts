// Layer variants: generate, verify (on real activations) and measure per lane, stored in the
// model's profile (a long job with progress; cancelling keeps what was verified and measured), and
// the stored variant tables of a profile with their per-kind summary.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { loadProfile } from '../../profiler/store';
import type { Profile } from '../../profiler/types';
import { summarizeGaps, summarizeKinds, type KindSummary } from '../../profiler/variants/figures';
import { checkKinds } from '../../profiler/variants/model-kinds';
import { runVariants, type VariantsProgress } from '../../profiler/variants/run';
import { EngineError, method } from '../feature';
import { resolveProfileModels } from './profile';

export const variantsRunParams = z
  .object({
    /** A model (ONNX file or model library id, as profile.run takes) or a stored profile id / path. */
    target: z.string().min(1),
    /** Kinds: families (exact, fp16, int8, lowrank, prune, reshape), kind ids, or kind=parameter; default all layer kinds. Model kinds (resolution, arch-prune) only when named. */
    kinds: z.array(z.string().min(1)).optional(),
    lanes: z.array(z.string().min(1)).optional(),
    budgetSec: z.number().positive().max(86_400).optional(),
    shapes: z.record(z.string(), z.array(z.number().int().nonnegative())).optional(),
    inputValues: z.record(z.string(), z.union([z.number(), z.array(z.number())])).optional(),
    /** Folder with <input>.json / <input>.bin sample inputs. */
    samplesDir: z.string().min(1).optional(),
    /** Only these layer indices. */
    layers: z.array(z.number().int().nonnegative()).optional(),
    save: z.boolean().optional(),
  })
  .strict();

export interface VariantsSummary {
  profile: string;
  model: string;
  lanes: string[];
  kinds: KindSummary[];
  gaps: ReturnType<typeof summarizeGaps>;
  status?: string;
}

export function variantsSummary(p: Profile): VariantsSummary {
  return {
    profile: p.id,
    model: p.model.name,
    lanes: p.variantRun?.lanes.map((l) => l.id) ?? [],
    kinds: summarizeKinds(p.layers),
    gaps: summarizeGaps(p.layers),
    status: p.variantRun?.status,
  };
}

/** A stored profile id or a .json path (not a model file). */
function isProfileRef(target: string): boolean {
  if (target.endsWith('.json')) return true;
  if (existsSync(target) || target.includes('/') || target.includes(':')) return false;
  try {
    loadProfile(target);
    return true;
  } catch {
    return false;
  }
}

export const variantsFeature = {
  name: 'variants',
  methods: {
    'variants.run': method({
      summary: 'Generate layer variants (exact and approximate kinds), verify them on real activations and measure them on every lane; stored in the model\'s profile.',
      params: variantsRunParams,
      job: true,
      run: async (params, ctx): Promise<{ profile: Profile; summary: VariantsSummary }> => {
        try {
          checkKinds(params.kinds);
        } catch (e) {
          throw new EngineError((e as Error).message, 'bad-request', { cause: e });
        }
        try {
          const common = {
            kinds: params.kinds, lanes: params.lanes, budgetSec: params.budgetSec, samplesDir: params.samplesDir, layers: params.layers, save: params.save,
            signal: ctx.signal,
            onProgress: (p: VariantsProgress) => ctx.progress({ fraction: p.fraction, message: p.message, detail: p }),
          };
          let profile: Profile;
          if (isProfileRef(params.target)) {
            // A library model's profile is named by its library id, which brings its fixed input values (e.g. Silero's sr).
            let inputValues = params.inputValues;
            if (!inputValues) {
              try {
                inputValues = (await resolveProfileModels([loadProfile(params.target).model.name]))[0].inputValues;
              } catch {
                inputValues = undefined;
              }
            }
            profile = await runVariants({ profile: params.target }, { ...common, inputValues });
          }
          else {
            const [m] = await resolveProfileModels([params.target]);
            profile = await runVariants({ model: m.source }, {
              ...common, name: m.name, notes: m.note ? [m.note] : undefined,
              shapes: { ...(m.shapes ?? {}), ...(params.shapes ?? {}) },
              inputValues: m.inputValues || params.inputValues ? { ...(m.inputValues ?? {}), ...(params.inputValues ?? {}) } : undefined,
            });
          }
          return { profile, summary: variantsSummary(profile) };
        } catch (e) {
          if (ctx.signal.aborted) throw new EngineError(`variants cancelled before anything was kept: ${(e as Error).message}`, 'cancelled', { cause: e });
          throw e;
        }
      },
    }),
    'variants.get': method({
      summary: 'The layer variants stored in a profile, with the per-kind and latency-gap summary.',
      params: z.object({ id: z.string().min(1) }).strict(),
      run: async ({ id }): Promise<{ profile: Profile; summary: VariantsSummary }> => {
        const profile = loadProfile(id);
        if (!profile.variantRun) throw new EngineError(`profile ${id} has no layer variants: run \`tessera variants ${id}\``, 'not-found');
        return { profile, summary: variantsSummary(profile) };
      },
    }),
  },
};
