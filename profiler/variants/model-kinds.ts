// Model-level variant kinds (issue 11, DREAM-style switching): a whole other model that takes the
// caller's inputs and gives outputs of the same shapes, cheaper and approximate. Unlike the layer
// kinds (kinds.ts) the result is a different graph with its own layer table (run.ts profiles it).
//
//   resolution  the model at a smaller input: a Resize node in front of the graph (the caller's feeds
//               are unchanged) to s x the spatial size rounded to a multiple of 32 (the usual total
//               stride of a CNN; DBNet's FPN needs it); outputs whose spatial size followed the input
//               (a detector's probability map) are resized back with a Resize node. Legal only where
//               the model is fully convolutional for that input: an output whose other dims change
//               (a CTC length, SSD's anchor count) or a graph that fails at the smaller size (a fixed
//               Reshape/Flatten size, VGG's FC6) is refused with the reason; inputs that are not
//               images (rank != 4: BERT's [B, seq, 768], Silero VAD's audio) are refused too.
//   arch-prune  a channel-pruned architecture (workloads/architectures, prune: channel): the model
//               rebuilt from the generator with the smallest-L1 output channels of prunable layers
//               removed; only for the generator's own models (their metadata names the architecture).
//
// Both are approximate; their cost is measured end to end on the sample inputs (generate-model.ts).
import { onnx } from 'onnx-proto';
import type { ModelKindId } from './model-kind-ids';
import type { LoadedModel } from '../onnx/model';
import { num } from '../onnx/model';
import { floatTensor, int64Tensor } from './graph';
import { parseKinds, type KindParam } from './kinds';

/** The kinds' names live in model-kind-ids.ts (importable without the generators). */
export type ModelVariantFamily = ModelKindId;

/** What a model-kind builder gets. */
export interface ModelSource {
  model: LoadedModel;
  /** The profile's resolved input shapes. */
  inputShapes: Record<string, number[]>;
  /** Output dims of the original model on the sample inputs. */
  outputDims: Record<string, number[]>;
  /** Runs a candidate graph on the sample inputs: output dims, or throws with ORT's message. */
  probe(bytes: Uint8Array): Promise<Record<string, number[]>>;
}

export type ModelBuilt = { bytes: Uint8Array; notes: string[] } | { inapplicable: string };

export interface ModelKind {
  id: ModelVariantFamily;
  family: ModelVariantFamily;
  exact: false;
  summary: string;
  param: KindParam;
  build(src: ModelSource, param: number): Promise<ModelBuilt>;
}

/** Spatial sizes are rounded to this multiple (total stride of the usual CNN backbones, DBNet's FPN). */
export const RESOLUTION_MULTIPLE = 32;

/** The reduced spatial size of `h` at scale `s` (a multiple of RESOLUTION_MULTIPLE, at least one). */
export function reducedSize(h: number, s: number): number {
  return Math.max(RESOLUTION_MULTIPLE, Math.round((h * s) / RESOLUTION_MULTIPLE) * RESOLUTION_MULTIPLE);
}

function opsetOf(proto: onnx.IModelProto): number {
  const def = (proto.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return def ? num(def.version) : 0;
}

/** A Resize of `x` to `sizes` (bilinear), in the form the opset takes. */
function resizeNodes(opset: number, x: string, y: string, from: number[], sizes: number[], tag: string): { nodes: onnx.INodeProto[]; inits: onnx.ITensorProto[] } {
  const attrs = [
    onnx.AttributeProto.create({ name: 'mode', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('linear') }),
  ];
  if (opset < 11) {
    const scales = floatTensor(`${tag}_scales`, [sizes.length], Float32Array.from(sizes, (d, i) => d / from[i]));
    return { nodes: [onnx.NodeProto.create({ name: tag, opType: 'Resize', input: [x, scales.name!], output: [y], attribute: attrs })], inits: [scales] };
  }
  attrs.push(onnx.AttributeProto.create({ name: 'coordinate_transformation_mode', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('half_pixel') }));
  const sz = int64Tensor(`${tag}_sizes`, [sizes.length], sizes);
  const inits = [sz];
  let roi = '';
  let scales = '';
  if (opset < 13) {
    // Opset 11-12: roi and scales are required inputs; empty tensors when sizes are given.
    const r = floatTensor(`${tag}_roi`, [0], new Float32Array(0));
    const s = floatTensor(`${tag}_scales`, [0], new Float32Array(0));
    inits.push(r, s);
    roi = r.name!;
    scales = s.name!;
  }
  return { nodes: [onnx.NodeProto.create({ name: tag, opType: 'Resize', input: [x, roi, scales, sz.name!], output: [y], attribute: attrs })], inits };
}

function renameUses(nodes: onnx.INodeProto[], from: string, to: string, asOutput: boolean): onnx.INodeProto[] {
  return nodes.map((n) => (asOutput
    ? { ...n, output: (n.output ?? []).map((o) => (o === from ? to : o)) }
    : { ...n, input: (n.input ?? []).map((i) => (i === from ? to : i)) }));
}

/**
 * The model with a Resize in front of each image input (to `sizes`), and a Resize back on the
 * outputs named in `back` (to their original dims). Intermediate value_info is dropped (its shapes
 * no longer hold). Pure.
 */
export function resizedGraph(model: LoadedModel, inputs: { name: string; from: number[]; to: number[] }[], back: { name: string; from: number[]; to: number[] }[] = []): Uint8Array {
  const g = model.proto.graph!;
  const opset = opsetOf(model.proto);
  let nodes = [...(g.node ?? [])];
  const inits = [...(g.initializer ?? [])];
  const head: onnx.INodeProto[] = [];
  const tail: onnx.INodeProto[] = [];
  for (const i of inputs) {
    const inner = `${i.name}__tessera_lowres`;
    nodes = renameUses(nodes, i.name, inner, false);
    const r = resizeNodes(opset, i.name, inner, i.from, i.to, `tessera_resolution_in_${i.name}`);
    head.push(...r.nodes);
    inits.push(...r.inits);
  }
  for (const o of back) {
    const inner = `${o.name}__tessera_lowres`;
    nodes = renameUses(nodes, o.name, inner, true);
    // Graph outputs may also feed other nodes: those keep reading the low-resolution tensor.
    nodes = renameUses(nodes, o.name, inner, false);
    const r = resizeNodes(opset, inner, o.name, o.from, o.to, `tessera_resolution_out_${o.name}`);
    tail.push(...r.nodes);
    inits.push(...r.inits);
  }
  const graph = onnx.GraphProto.create({ ...g, node: [...head, ...nodes, ...tail], initializer: inits, valueInfo: [] });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ ...model.proto, graph })).finish();
}

async function resolution(src: ModelSource, scale: number): Promise<ModelBuilt> {
  const { model } = src;
  if (opsetOf(model.proto) < 10) return { inapplicable: `opset ${opsetOf(model.proto)}: Resize needs opset 10 or later` };
  const floats = model.inputs.filter((i) => i.type === 'float32');
  const images = floats.filter((i) => (src.inputShapes[i.name] ?? []).length === 4);
  if (images.length === 0) {
    const what = model.inputs.map((i) => `${i.name} ${i.type} [${(src.inputShapes[i.name] ?? []).join(', ')}]`).join(', ');
    return { inapplicable: `no image input (float32, rank 4 NCHW): ${what}; a sequence or audio input has no spatial resolution to reduce (a shorter sequence changes what the model reads)` };
  }
  const plan = images.map((i) => {
    const from = src.inputShapes[i.name];
    return { name: i.name, from, to: [from[0], from[1], reducedSize(from[2], scale), reducedSize(from[3], scale)] };
  });
  const same = plan.filter((p) => p.to[2] >= p.from[2] && p.to[3] >= p.from[3]);
  if (same.length === plan.length) {
    return { inapplicable: `at scale ${scale} the input ${plan.map((p) => `${p.name} ${p.from[2]}x${p.from[3]}`).join(', ')} does not shrink (sizes are multiples of ${RESOLUTION_MULTIPLE})` };
  }
  let reducedDims: Record<string, number[]>;
  try {
    reducedDims = await src.probe(resizedGraph(model, plan));
  } catch (e) {
    return { inapplicable: `the model does not run at ${plan.map((p) => `${p.to[2]}x${p.to[3]}`).join(', ')}: ${(e as Error).message.split('\n')[0].slice(0, 300)} (a fixed Reshape/Flatten size or another op tied to the input size: not fully convolutional)` };
  }
  const back: { name: string; from: number[]; to: number[] }[] = [];
  for (const o of model.outputs) {
    const a = reducedDims[o.name];
    const b = src.outputDims[o.name];
    if (!a || !b) return { inapplicable: `output '${o.name}' was not produced on the sample inputs` };
    if (a.join() === b.join()) continue;
    const spatialOnly = a.length === 4 && b.length === 4 && a[0] === b[0] && a[1] === b[1];
    if (!spatialOnly) {
      return { inapplicable: `output '${o.name}' changes shape with the input size ([${b.join(', ')}] -> [${a.join(', ')}]): not only its spatial dims, so it cannot be resized back (e.g. a CTC length or an anchor count tied to the resolution)` };
    }
    back.push({ name: o.name, from: a, to: b });
  }
  const bytes = resizedGraph(model, plan, back);
  const px = plan.map((p) => (p.to[2] * p.to[3]) / (p.from[2] * p.from[3]));
  return {
    bytes,
    notes: [
      ...plan.map((p) => `input ${p.name} resized in the graph from ${p.from[2]}x${p.from[3]} to ${p.to[2]}x${p.to[3]} (bilinear, ${(100 * px[plan.indexOf(p)]).toFixed(0)}% of the pixels); the caller's feeds are unchanged`),
      ...back.map((o) => `output ${o.name} resized back from ${o.from[2]}x${o.from[3]} to ${o.to[2]}x${o.to[3]} (bilinear)`),
    ],
  };
}

async function archPrune(src: ModelSource, sparsity: number): Promise<ModelBuilt> {
  const meta = new Map((src.model.proto.metadataProps ?? []).map((m) => [m.key ?? '', m.value ?? '']));
  const name = meta.get('tessera.architecture');
  if (!name) return { inapplicable: 'not a model of the architecture generator (workloads/architectures): a pruned architecture is rebuilt from it; for other models use the layer kind prune (per-layer refit)' };
  let options: Record<string, unknown>;
  try {
    options = JSON.parse(meta.get('tessera.options') ?? '{}') as Record<string, unknown>;
  } catch {
    return { inapplicable: `its metadata tessera.options is not JSON: ${meta.get('tessera.options')}` };
  }
  if (options.prune) return { inapplicable: `the model is already pruned (${JSON.stringify(options.prune)})` };
  const arch = await import('../../workloads/architectures/index');
  if (!arch.isArchitectureName(name)) return { inapplicable: `unknown architecture '${name}' in its metadata` };
  const built = arch.buildArchitecture(name, { ...options, prune: { kind: 'channel', sparsity } });
  const want = Object.entries(src.inputShapes);
  const got = built.inputShapes;
  if (want.some(([k, d]) => (got[k] ?? []).join() !== d.join())) return { inapplicable: `the rebuilt model's inputs (${JSON.stringify(got)}) differ from the profile's (${JSON.stringify(src.inputShapes)})` };
  const sp = built.info.sparsity;
  return {
    bytes: built.bytes,
    notes: [
      `${name} rebuilt with ${(100 * sparsity).toFixed(0)}% of prunable output channels removed (smallest L1 norm; ${sp?.scope ?? ''})`,
      `MACs ${(built.info.macs / 1e9).toFixed(3)} G of ${((sp?.denseMacs ?? built.info.macs) / 1e9).toFixed(3)} G dense; synthetic weights: the error is of a random-weight network, not a trained one`,
    ],
  };
}

export const MODEL_KINDS: ModelKind[] = [
  {
    id: 'resolution', family: 'resolution', exact: false,
    summary: 'the whole model at a smaller input: Resize in front (feeds unchanged), spatial outputs resized back; fully convolutional models only',
    param: { name: 's', default: 0.75, min: 0.1, max: 0.99, integer: false, describe: 'input side scale (rounded to a multiple of 32)' },
    build: resolution,
  },
  {
    id: 'arch-prune', family: 'arch-prune', exact: false,
    summary: 'the architecture rebuilt with a fraction of prunable output channels removed (workloads/architectures prune: channel)',
    param: { name: 'sparsity', default: 0.3, min: 0.05, max: 0.9, integer: false, describe: 'fraction of prunable channels removed' },
    build: archPrune,
  },
];

export interface ModelKindChoice {
  kind: ModelKind;
  param: number;
  /** e.g. "resolution(s=0.75)". */
  label: string;
}

/** Pulls the model kinds (resolution[=s], arch-prune[=sparsity]) out of a kinds list; the rest is left for parseKinds. */
export function splitModelKinds(spec?: string | string[]): { model: ModelKindChoice[]; layer: string[] } {
  const items = (Array.isArray(spec) ? spec : spec ? [spec] : []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const model: ModelKindChoice[] = [];
  const layer: string[] = [];
  for (const item of items) {
    const [name, value] = item.split('=');
    const k = MODEL_KINDS.find((x) => x.id === name);
    if (!k) {
      layer.push(item);
      continue;
    }
    let param = k.param.default;
    if (value !== undefined) {
      param = Number(value);
      if (!Number.isFinite(param) || param < k.param.min || param > k.param.max) throw new Error(`bad '${item}': ${k.id}'s ${k.param.name} (${k.param.describe}) must be a number in [${k.param.min}, ${k.param.max}]`);
    }
    const label = `${k.id}(${k.param.name}=${param})`;
    if (!model.some((c) => c.label === label)) model.push({ kind: k, param, label });
  }
  return { model, layer };
}


/** Checks a whole kinds list (model and layer kinds); throws with the reason. */
export function checkKinds(spec?: string | string[]): void {
  const s = splitModelKinds(spec);
  if (s.layer.length || s.model.length === 0) parseKinds(s.layer.length ? s.layer : undefined);
}
