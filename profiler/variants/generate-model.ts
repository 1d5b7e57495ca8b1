// Model-level variants: build (model-kinds.ts), verify end to end on the sample inputs, and match the
// variant's own layer table to the original's layers (run.ts measures it with the profiler).
// Verification: the variant model's outputs against the original model's (the captured outputs of
// the cut's whole-model run), the same figures as a layer variant's endToEnd, with the task figure
// where the output's shape gives one (classifier top-1 agreement, det probability-map IoU at 0.3 on
// the map resized back).
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { toOrtTensor, type CutResult } from '../onnx/cut';
import type { LoadedModel } from '../onnx/model';
import type { LayerProfile, ModelVariantInfo, ModelVariantLayer, VariantInapplicable } from '../types';
import { errorFigures, taskFigure } from './compare';
import type { ModelKindChoice } from './model-kinds';

// Fatal only: a graph that fails at the smaller size is expected (its message goes into the reason).
const SESSION: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', executionProviders: ['cpu'], logSeverityLevel: 4 };

async function runBytes(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(bytes, SESSION);
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

export interface GeneratedModelVariants {
  variants: (ModelVariantInfo & { bytes?: Uint8Array })[];
  inapplicable: VariantInapplicable[];
}

/** Builds and verifies each model kind on the cut's sample inputs. */
export async function generateModelVariants(model: LoadedModel, cut: CutResult, kinds: ModelKindChoice[], signal?: AbortSignal): Promise<GeneratedModelVariants> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const i of model.inputs) feeds[i.name] = toOrtTensor(cut.tensors.get(i.name)!);
  const outputDims = Object.fromEntries(cut.model.outputs.map((o) => [o.name, [...cut.tensors.get(o.name)!.dims]]));
  const probe = async (bytes: Uint8Array) => {
    const r = await runBytes(bytes, feeds);
    return Object.fromEntries(Object.entries(r).map(([k, t]) => [k, [...t.dims]]));
  };
  const out: GeneratedModelVariants = { variants: [], inapplicable: [] };
  for (const choice of kinds) {
    signal?.throwIfAborted();
    const t0 = performance.now();
    let built;
    try {
      built = await choice.kind.build({ model, inputShapes: cut.inputShapes, outputDims, probe }, choice.param);
    } catch (e) {
      built = { inapplicable: `the generator failed: ${(e as Error).message.split('\n')[0]}` };
    }
    const generateMs = performance.now() - t0;
    if ('inapplicable' in built) {
      out.inapplicable.push({ kind: choice.label, reason: built.inapplicable });
      continue;
    }
    const info: ModelVariantInfo & { bytes?: Uint8Array } = {
      id: choice.label, kind: choice.kind.id, family: choice.kind.family, exact: false,
      param: { name: choice.kind.param.name, value: choice.param },
      description: choice.kind.summary, notes: built.notes, bytesSize: built.bytes.length,
      sha256: createHash('sha256').update(built.bytes).digest('hex'),
      verification: { passed: false, maxRelError: NaN, definition: 'the variant model\'s outputs vs the original model\'s on the sample inputs: maxRelError = max|a - b| / max|b| per output (max over outputs)' },
      generateMs, verifyMs: 0, lanes: [],
    };
    const t1 = performance.now();
    try {
      const got = await runBytes(built.bytes, feeds);
      const pairs = cut.model.outputs.map((o) => {
        if (!got[o.name]) throw new Error(`the variant did not produce output '${o.name}'`);
        return { name: o.name, actual: got[o.name], expected: cut.tensors.get(o.name)! };
      });
      const f = errorFigures(pairs);
      const tasks = pairs.map((p) => taskFigure(p.name, p.actual, p.expected)).filter((t) => t !== undefined);
      info.verification = {
        ...info.verification, ...f,
        passed: Number.isFinite(f.relL2),
        endToEnd: { maxRelError: f.maxRelError, maxAbsError: f.maxAbsError, relL2: f.relL2, cosine: f.cosine, snrDb: f.snrDb, ...(tasks.length ? { task: tasks } : {}) },
      };
      if (!info.verification.passed) info.verification.error = 'non-finite outputs or outputs of another shape';
    } catch (e) {
      info.verification.error = `the CPU execution provider could not run it: ${(e as Error).message.split('\n')[0]}`;
    }
    info.verifyMs = performance.now() - t1;
    if (info.verification.passed) info.bytes = built.bytes;
    out.variants.push(info);
  }
  return out;
}

/**
 * Charges each layer of the variant's cut to an original layer, by ONNX node names (the variants
 * keep the original's names): a layer goes to the smallest original layer among its nodes; a layer
 * of added nodes only (the Resize in front) to the next matched layer, or behind the last one to the
 * previous. When no node name matches (a rebuilt graph with other names) and both cuts have the
 * same number of layers, layer i is charged to layer i. Else an error says why. Pure.
 */
export function chargeLayers(original: Pick<LayerProfile, 'nodes'>[], variant: Pick<LayerProfile, 'nodes'>[]): { charge: number[] } | { error: string } {
  const owner = new Map<string, number>();
  original.forEach((l, i) => l.nodes.forEach((n) => owner.set(n, i)));
  const direct = variant.map((l) => {
    const hits = l.nodes.map((n) => owner.get(n)).filter((x): x is number => x !== undefined);
    return hits.length ? Math.min(...hits) : -1;
  });
  const matched = direct.filter((x) => x >= 0).length;
  if (matched === 0) {
    if (variant.length === original.length) return { charge: variant.map((_, i) => i) };
    return { error: `no node name of the variant's ${variant.length} layers matches the original's ${original.length} layers, and the counts differ` };
  }
  const charge = [...direct];
  for (let i = 0; i < charge.length; i++) {
    if (charge[i] >= 0) continue;
    const next = charge.slice(i + 1).find((x) => x >= 0);
    const prev = [...charge.slice(0, i)].reverse().find((x) => x >= 0);
    charge[i] = next ?? prev ?? 0;
  }
  // Charges must not go backwards (a frame runs the layers in order).
  for (let i = 1; i < charge.length; i++) if (charge[i] < charge[i - 1]) charge[i] = charge[i - 1];
  return { charge };
}

/** The variant's layer table for the profile: its layers with their charges and lane measurements. */
export function variantLayerTable(original: LayerProfile[], variant: LayerProfile[]): { layers: ModelVariantLayer[] } | { error: string } {
  const c = chargeLayers(original, variant);
  if ('error' in c) return c;
  return { layers: variant.map((l, i) => ({ index: l.index, name: l.name, charge: c.charge[i], lanes: l.lanes })) };
}
