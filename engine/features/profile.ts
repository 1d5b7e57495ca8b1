// The profiler capability: profile models (a long job with progress and cancellation that keeps
// what was measured). The stored profiles are features/profiles.ts, the lanes features/lanes.ts.
import { mayRead, readLimitNote } from '../../base/files';
import { z } from 'zod';
import { profileModels, type ModelInput, type ProfileProgress } from '../../profiler/profile';
import type { Profile } from '../../profiler/types';
import { libraryModelNote } from '../../profiler/notes';
import { modelRefFromString, ModelResolveError, resolveModel } from '../../workloads/library';
import { EngineError, method } from '../feature';

const granularity = z.union([z.enum(['node', 'group']), z.number().int().positive()]);
const dims = z.array(z.number().int().nonnegative());

export const profileRunParams = z
  .object({
    /**
     * Models: ONNX file paths, or model library references (an id listed by scenarios.models, e.g.
     * xrbench/KD_res8_narrow, npm/silero-vad-v5, architecture/resnet50; or xrbench:SCENARIO/NETWORK,
     * npm:PACKAGE/FILE). Library models bring their own input shapes and values; `shapes` and
     * `inputValues` override them.
     */
    models: z.array(z.string().min(1)).min(1),
    /** Lane ids, e.g. ["cpu:2", "webgpu"]; default one CPU lane with every core. */
    lanes: z.array(z.string().min(1)).optional(),
    granularity: granularity.optional(),
    /** Concrete shapes for dynamic inputs, by input name. */
    shapes: z.record(z.string(), dims).optional(),
    /** Sample input values by input name (e.g. {"sr": 16000}). */
    inputValues: z.record(z.string(), z.union([z.number(), z.array(z.number())])).optional(),
    budgetSec: z.number().positive().max(86_400).optional(),
    warmup: z.number().int().nonnegative().max(1000).optional(),
    ciTarget: z.number().positive().max(1).optional(),
    contention: z.boolean().optional(),
    energy: z.enum(['auto', 'off']).optional(),
    energyWindowSec: z.number().positive().max(60).optional(),
    resume: z.boolean().optional(),
    save: z.boolean().optional(),
  })
  .strict();

/** What `models` accepts, for error messages. */
export const MODEL_FORMS =
  'an ONNX file path (on the engine\'s machine; relative paths from its working directory) or a model library id as listed by scenarios.models / `tessera scenario models` (e.g. xrbench/KD_res8_narrow, npm/ppocr-v4-det, architecture/resnet50), xrbench:SCENARIO/NETWORK or npm:PACKAGE/FILE';

/**
 * Resolves `profile.run`'s model strings: an existing file stays a file; anything else must be a
 * model library reference (generated and cached where needed), profiled with the library's input
 * shapes and values unless the caller gives others. Neither: an error naming it.
 */
export async function resolveProfileModels(models: string[]): Promise<ModelInput[]> {
  const out: ModelInput[] = [];
  for (const given of models) {
    if (mayRead(given)) {
      out.push({ source: given });
      continue;
    }
    const ref = modelRefFromString(given);
    if (ref.kind === 'file') throw new EngineError(`${given}: no such file${readLimitNote()}, and not a model library id. A model is ${MODEL_FORMS}.`, 'bad-model');
    let r;
    try {
      r = await resolveModel(ref);
    } catch (e) {
      if (e instanceof ModelResolveError) throw new EngineError(`${given}: ${e.message}`, 'bad-model', { cause: e });
      throw e;
    }
    out.push({ source: r.path ?? r.bytes, name: r.libraryId ?? r.name, shapes: r.inputShapes, inputValues: r.inputValues, note: r.label ? libraryModelNote(given, r.label) : undefined });
  }
  return out;
}

export const profileFeature = {
  name: 'profile',
  methods: {
    'profile.run': method({
      summary: 'Profile models layer by layer on lanes: latency statistics, in-graph times, GEMM peak, energy; saved and resumable.',
      params: profileRunParams,
      job: true,
      run: async (params, ctx): Promise<{ profiles: Profile[] }> => {
        const n = params.models.length;
        let index = 0;
        try {
          const profiles = await profileModels(await resolveProfileModels(params.models), {
            ...params,
            signal: ctx.signal,
            onProgress: (p: ProfileProgress) => {
              if (p.phase === 'done') index++;
              const within = p.total ? p.fraction : 0;
              ctx.progress({ fraction: Math.min(1, (Math.min(index, n - 1) + (p.phase === 'done' ? 1 : within)) / n), message: `${p.model}: ${p.message}`, detail: p });
            },
          });
          return { profiles };
        } catch (e) {
          if (ctx.signal.aborted) throw new EngineError(`profiling cancelled before any measurement was kept: ${(e as Error).message}`, 'cancelled', { cause: e });
          throw e;
        }
      },
    }),
  },
};
