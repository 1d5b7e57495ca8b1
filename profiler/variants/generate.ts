// Generation and verification of layer variants on a cut model, on real activations: each layer's
// inputs are the tensors captured by running the whole model on the sample inputs (the library's,
// or the user's --samples), exactly what the layer sees in the chain.
//   - Exact kinds must match the original layer within EXACT_TOLERANCE (normwise) or are rejected
//     with the figure.
//   - Approximate kinds report relative L2, cosine, max abs and SNR per layer, and end to end: the
//     variant substituted into the whole model (graph surgery, embedVariant), whose outputs are
//     compared with the original model's, with task figures where the output's shape gives one.
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { layerFeeds, toOrtTensor, type CutResult } from '../onnx/cut';
import type { LoadedModel } from '../onnx/model';
import type { LayerVariantInfo, VariantCombination, VariantInapplicable } from '../types';
import type { ProposedCombination } from './combos';
import { errorFigures, EXACT_DEFINITION, EXACT_TOLERANCE, taskFigure } from './compare';
import { OPSET10_CHANGED, type KindChoice } from './kinds';

const SESSION: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'disabled', executionProviders: ['cpu'], logSeverityLevel: 3 };

async function runBytes(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(bytes, SESSION);
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

/**
 * The whole model with one layer's nodes replaced by a variant of that layer. The variant's internal
 * tensors, nodes and initializers get a unique prefix; its boundary tensors keep their names.
 */
export function embedVariant(model: LoadedModel, cut: CutResult, layerIndex: number, variantBytes: Uint8Array): Uint8Array {
  return embedVariants(model, cut, [{ layer: layerIndex, bytes: variantBytes }]);
}

/**
 * The ai.onnx opset a whole model is raised to when a variant needs `to` (an int8-static layer of an
 * opset 9 model is raised to 10: ONNX Runtime's optimized session fuses its Q/DQ into QLinearConv /
 * QLinearMatMul, which opset 9 lacks, and the whole model then fails to load). Only 9 -> 10 where no
 * op of the model changed meaning between them. Otherwise the model keeps its opset: an unoptimized
 * session (the end-to-end check) still runs it, an optimized one (a live lane) does not, so with
 * `loadable` that is an error that names why.
 */
function raisedOpset(model: LoadedModel, from: number, to: number, loadable: boolean): number {
  const changed = [...new Set((model.proto.graph?.node ?? []).map((n) => n.opType ?? '').filter((o) => OPSET10_CHANGED.includes(o)))];
  if (from === 9 && to === 10 && !changed.length) return 10;
  if (!loadable) return from;
  if (from === 9 && to === 10) throw new Error(`${model.name} has opset 9 and a variant needs 10, but ${changed.join(', ')} changed meaning between opsets 9 and 10: the model cannot be raised`);
  throw new Error(`${model.name} has opset ${from} and a variant needs ${to}: only opset 9 models are raised (to 10)`);
}

/**
 * The whole model with several layers replaced by variants at once (a combination, verified together).
 * `loadable`: the result must load in an optimized session (a live lane), or this throws (raisedOpset).
 */
export function embedVariants(model: LoadedModel, cut: CutResult, subs: { layer: number; bytes: Uint8Array }[], opts: { loadable?: boolean } = {}): Uint8Array {
  const owner = new Map<string, number>();
  // Operator domains a variant brings (e.g. com.microsoft Q/DQ in an older-opset model) are imported too.
  const opsets = [...(model.proto.opsetImport ?? [])];
  const vNodes = new Map<number, onnx.INodeProto[]>();
  const g = model.proto.graph!;
  const inits = [...(g.initializer ?? [])];
  for (const s of subs) {
    const layer = cut.layers[s.layer];
    if (!layer) throw new Error(`${model.name} has no layer ${s.layer} (it has ${cut.layers.length})`);
    if (vNodes.has(s.layer)) throw new Error(`layer ${s.layer} is substituted twice`);
    const vm = onnx.ModelProto.decode(s.bytes);
    const v = vm.graph!;
    for (const imp of vm.opsetImport ?? []) {
      const k = opsets.findIndex((x) => (x.domain ?? '') === (imp.domain ?? ''));
      if (k < 0) opsets.push(imp);
      else if ((imp.domain ?? '') === '' && Number(imp.version) > Number(opsets[k].version)) opsets[k] = { ...opsets[k], version: raisedOpset(model, Number(opsets[k].version), Number(imp.version), opts.loadable === true) };
    }
    const boundary = new Set([...layer.inputs.map((i) => i.name), ...layer.outputs.map((o) => o.name), '']);
    const p = `__variant${s.layer}__`;
    const ren = (n: string) => (boundary.has(n) ? n : p + n);
    for (const n of layer.nodes) owner.set(n, s.layer);
    vNodes.set(s.layer, (v.node ?? []).map((n) => onnx.NodeProto.create({ ...n, name: p + (n.name ?? ''), input: (n.input ?? []).map(ren), output: (n.output ?? []).map(ren) })));
    inits.push(...(v.initializer ?? []).map((t) => onnx.TensorProto.create({ ...t, name: ren(t.name ?? '') })));
  }
  const nodes: onnx.INodeProto[] = [];
  const inserted = new Set<number>();
  (g.node ?? []).forEach((n, i) => {
    const li = owner.get(model.nodeNames[i]);
    if (li === undefined) nodes.push(n);
    else if (!inserted.has(li)) {
      nodes.push(...vNodes.get(li)!);
      inserted.add(li);
    }
  });
  const proto = onnx.ModelProto.create({ ...model.proto, opsetImport: opsets, graph: onnx.GraphProto.create({ ...g, node: nodes, initializer: inits, valueInfo: [] }) });
  return onnx.ModelProto.encode(proto).finish();
}

export interface GenerateOptions {
  /** Layers to consider (default all). */
  layers?: number[];
  /** Substitute approximate variants into the whole model for end-to-end figures (default true). */
  endToEnd?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: { layer: number; layers: number; kind: string; message: string }) => void;
}

export interface GeneratedLayer {
  layer: number;
  name: string;
  variants: (LayerVariantInfo & { bytes?: Uint8Array })[];
  inapplicable: VariantInapplicable[];
}

/** Generates and verifies every kind on every layer; inapplicable kinds are listed with their reasons. */
export async function generateVariants(model: LoadedModel, cut: CutResult, kinds: KindChoice[], opts: GenerateOptions = {}): Promise<GeneratedLayer[]> {
  const indices = opts.layers ?? cut.layers.map((l) => l.index);
  const graphFeeds: Record<string, ort.Tensor> = {};
  for (const i of model.inputs) graphFeeds[i.name] = toOrtTensor(cut.tensors.get(i.name)!);
  const out: GeneratedLayer[] = [];
  for (const li of indices) {
    const layer = cut.layers[li];
    if (!layer) throw new Error(`${model.name} has no layer ${li} (it has ${cut.layers.length})`);
    const rec: GeneratedLayer = { layer: li, name: layer.name, variants: [], inapplicable: [] };
    out.push(rec);
    const feeds = layerFeeds(cut, li);
    let original: Record<string, ort.Tensor> | undefined;
    for (const choice of kinds) {
      opts.signal?.throwIfAborted();
      opts.onProgress?.({ layer: li, layers: indices.length, kind: choice.label, message: `layer ${li + 1}/${cut.layers.length} ${layer.name}: ${choice.label}` });
      const t0 = performance.now();
      let gen;
      try {
        gen = choice.kind.generate({ index: li, name: layer.name, bytes: layer.bytes, value: (n) => cut.tensors.get(n) }, choice.param);
      } catch (e) {
        gen = { inapplicable: `the generator failed: ${(e as Error).message.split('\n')[0]}` };
      }
      const generateMs = performance.now() - t0;
      if ('inapplicable' in gen) {
        rec.inapplicable.push({ kind: choice.label, reason: gen.inapplicable });
        continue;
      }
      const info: LayerVariantInfo & { bytes?: Uint8Array } = {
        id: choice.label, kind: choice.kind.id, family: choice.kind.family, exact: choice.kind.exact,
        ...(choice.kind.param ? { param: { name: choice.kind.param.name, value: choice.param } } : {}),
        description: choice.kind.summary, targets: gen.targets, notes: gen.notes, bytesSize: gen.bytes.length,
        verification: { passed: false, maxRelError: NaN, definition: EXACT_DEFINITION },
        generateMs, verifyMs: 0, lanes: [],
      };
      const t1 = performance.now();
      try {
        original ??= await runBytes(layer.bytes, feeds);
        const got = await runBytes(gen.bytes, feeds);
        const f = errorFigures(layer.outputs.map((o) => {
          if (!got[o.name]) throw new Error(`the variant did not produce output '${o.name}'`);
          return { actual: got[o.name], expected: original![o.name] };
        }));
        info.verification = { ...info.verification, ...f };
        if (choice.kind.exact) {
          info.verification.tolerance = EXACT_TOLERANCE;
          info.verification.passed = f.maxRelError <= EXACT_TOLERANCE;
          if (!info.verification.passed) info.verification.error = `max relative error ${f.maxRelError.toExponential(2)} is over the exact tolerance ${EXACT_TOLERANCE.toExponential(0)}`;
        } else {
          info.verification.passed = Number.isFinite(f.relL2);
          if (!info.verification.passed) info.verification.error = 'non-finite outputs';
          if (info.verification.passed && opts.endToEnd !== false) {
            const whole = await runBytes(embedVariant(model, cut, li, gen.bytes), graphFeeds);
            const pairs = cut.model.outputs.map((o) => ({ name: o.name, actual: whole[o.name], expected: cut.tensors.get(o.name)! }));
            const e2e = errorFigures(pairs);
            const tasks = pairs.map((p) => taskFigure(p.name, p.actual, p.expected)).filter((t) => t !== undefined);
            info.verification.endToEnd = { maxRelError: e2e.maxRelError, maxAbsError: e2e.maxAbsError, relL2: e2e.relL2, cosine: e2e.cosine, snrDb: e2e.snrDb, ...(tasks.length ? { task: tasks } : {}) };
          }
        }
      } catch (e) {
        info.verification.passed = false;
        info.verification.error = `the CPU execution provider could not run it: ${(e as Error).message.split('\n')[0]}`;
      }
      info.verifyMs = performance.now() - t1;
      if (info.verification.passed) info.bytes = gen.bytes;
      rec.variants.push(info);
    }
  }
  return out;
}

/**
 * Verifies combinations end to end: all members substituted into the whole model at once, its
 * outputs against the original model's (the same figures as one variant's endToEnd). A member whose
 * bytes are gone (not verified) makes the combination fail with the reason.
 */
export async function verifyCombinations(model: LoadedModel, cut: CutResult, generated: GeneratedLayer[], proposed: ProposedCombination[], signal?: AbortSignal): Promise<VariantCombination[]> {
  const graphFeeds: Record<string, ort.Tensor> = {};
  for (const i of model.inputs) graphFeeds[i.name] = toOrtTensor(cut.tensors.get(i.name)!);
  const out: VariantCombination[] = [];
  for (const c of proposed) {
    if (signal?.aborted) break;
    const t0 = performance.now();
    const rec: VariantCombination = { ...c, verifyMs: 0 };
    try {
      const subs = c.members.map((m) => {
        const bytes = generated.find((g) => g.layer === m.layer)?.variants.find((v) => v.id === m.variant)?.bytes;
        if (!bytes) throw new Error(`layer ${m.layer} variant ${m.variant} was not verified on its own`);
        return { layer: m.layer, bytes };
      });
      const whole = await runBytes(embedVariants(model, cut, subs), graphFeeds);
      const pairs = cut.model.outputs.map((o) => ({ name: o.name, actual: whole[o.name], expected: cut.tensors.get(o.name)! }));
      const e2e = errorFigures(pairs);
      const tasks = pairs.map((p) => taskFigure(p.name, p.actual, p.expected)).filter((t) => t !== undefined);
      rec.endToEnd = { maxRelError: e2e.maxRelError, maxAbsError: e2e.maxAbsError, relL2: e2e.relL2, cosine: e2e.cosine, snrDb: e2e.snrDb, ...(tasks.length ? { task: tasks } : {}) };
    } catch (e) {
      rec.error = `not verified: ${(e as Error).message.split('\n')[0]}`;
    }
    rec.verifyMs = performance.now() - t0;
    out.push(rec);
  }
  return out;
}
