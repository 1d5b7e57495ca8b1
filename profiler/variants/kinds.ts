// The registry of layer-variant kinds (like scheduler/core/policies/index.ts for policies). Each kind
// rewrites one cut layer's ONNX model (graph surgery, see graph.ts) into another implementation with
// the same inputs and outputs, or says precisely why it does not apply. A kind applies to every
// eligible node of the layer; a layer where no node is eligible gets the reasons of each candidate.
//
// Exact kinds compute the same function (only float summation order may change):
//   split-out  output channels of Conv / Gemm / MatMul in g parts joined by Concat (grouped and
//              depthwise Convs split their groups);
//   tile-h     a 2-D Conv in t tiles along H, each reading its rows plus the kernel's halo, Concat;
//   conv-matmul a 1x1 Conv (stride 1, no padding, group 1) as Reshape + MatMul (+ bias) + Reshape;
//   split-k    the reduction of MatMul / Gemm / Conv split in g parts (input channels) joined by Sum.
// Approximate kinds:
//   fp16       the whole layer in float16 (weights and compute), Casts at the boundary;
//   int8       dynamic: DynamicQuantizeLinear + MatMulInteger (MatMul / Gemm, per-column int8 weights)
//              or ConvInteger (group-1 Conv, per-output-channel scales applied after);
//   lowrank    MatMul / Gemm / 1x1 Conv weights at rank r = fraction x min(K, N), fitted to the
//              layer's outputs on the sample activations (closed form, linalg.ts), as two MatMuls;
//   prune      keep a fraction of the input channels (most important on the sample activations) and
//              refit the weights by least squares (linalg.ts);
//   int8-static QuantizeLinear/DequantizeLinear around a Conv / MatMul / Gemm: uint8 activations with
//              scale and zero point from the min/max of the sample activations (input and output),
//              int8 weights per output channel, int32 bias (below opset 13, where ai.onnx has no
//              per-axis DequantizeLinear, ONNX Runtime's com.microsoft Q/DQ ops); ONNX Runtime's QDQ
//              fusion turns it into QLinearConv / QLinearMatMul / QGemm when the session optimizes.
// Exact, family reshape:
//   reshape    Terastal's reshaped convolution: SpaceToDepth(b), a Conv on C b^2 channels, DepthToSpace
//              back. Not fitted: the block Conv's weights are the original ones placed exactly (zeros
//              where a block position is outside the kernel), so it verifies within 1e-5 like the
//              other exact kinds; it costs b^2 kb^2 / k^2 the multiply-adds.
import type { onnx } from 'onnx-proto';
import type { CapturedTensor } from '../onnx/cut';
import { asNumbers } from '../onnx/values';
import { attrFloat, attrInt, attrInts, attrString, halfTensor, int32Tensor, int8Tensor, LayerGraph, sliceAxis, splitRanges, transpose2, type ConstTensor } from './graph';
import { lowRankFit, refitKept, selectChannels, subsampleRows, type Mat } from './linalg';

export type VariantFamily = 'exact' | 'fp16' | 'int8' | 'lowrank' | 'prune' | 'reshape';

export interface KindParam {
  name: string;
  default: number;
  min: number;
  max: number;
  integer: boolean;
  describe: string;
}

/** What a generator gets: one cut layer and the sample values of the whole model's tensors. */
export interface LayerSource {
  index: number;
  name: string;
  bytes: Uint8Array;
  /** Captured sample value of any tensor of the model (layer inputs and the layer's intermediates). */
  value(name: string): CapturedTensor | undefined;
}

export type Generated = { bytes: Uint8Array; targets: string[]; notes: string[] } | { inapplicable: string };

export interface VariantKind {
  id: string;
  family: VariantFamily;
  exact: boolean;
  summary: string;
  param?: KindParam;
  generate(src: LayerSource, param: number): Generated;
}

/** Rows subsampled from the activations for the refits (bounded solve time). */
const FIT_ROWS = 1024;
/** Largest kept-channel count the pruning refit solves (a k x k Cholesky in JavaScript). */
const MAX_REFIT_CHANNELS = 1536;

type Check<T> = T | { reason: string };
const isReason = <T>(x: Check<T>): x is { reason: string } => typeof x === 'object' && x !== null && 'reason' in x;

/** Applies `rewrite` to every node of `ops` for which `check` passes. */
function forEachTarget<T>(
  src: LayerSource, ops: string[], check: (g: LayerGraph, n: onnx.INodeProto) => Check<T>, rewrite: (g: LayerGraph, n: onnx.INodeProto, info: T) => string | void,
): Generated {
  const g = new LayerGraph(src.bytes, `v${src.index}`);
  const candidates = g.nodes.filter((n) => ops.includes(n.opType ?? '') && (!n.domain || n.domain === 'ai.onnx'));
  if (candidates.length === 0) {
    const ops2 = [...new Set(g.nodes.filter((n) => n.opType !== 'Constant').map((n) => n.opType))].join(', ');
    return { inapplicable: `no ${ops.join('/')} node in the layer (its ops: ${ops2 || 'none'})${hasSubgraphs(g) ? '; nodes inside If/Loop/Scan subgraphs are not rewritten' : ''}` };
  }
  const targets: string[] = [];
  const notes: string[] = [];
  for (const n of candidates) {
    const info = check(g, n);
    if (isReason(info)) {
      notes.push(`${n.name || n.opType}: ${info.reason}`);
      continue;
    }
    const note = rewrite(g, n, info);
    if (note) notes.push(`${n.name || n.opType}: ${note}`);
    targets.push(n.name || n.opType || '?');
  }
  if (targets.length === 0) return { inapplicable: notes.join('; ') };
  return { bytes: g.encode(), targets, notes };
}

const hasSubgraphs = (g: LayerGraph) => g.nodes.some((n) => (n.attribute ?? []).some((a) => a.g || (a.graphs ?? []).length));

// ---- node inspection ---------------------------------------------------------------------------

interface ConvInfo {
  w: ConstTensor;
  b?: ConstTensor;
  group: number;
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
  autoPad: string;
}

function convInfo(g: LayerGraph, n: onnx.INodeProto): Check<ConvInfo> {
  const [, wName, bName] = n.input ?? [];
  const w = g.constFloats(wName ?? '');
  if (!w) return { reason: `its weights '${wName}' are not a constant float tensor (computed in the graph or another type)` };
  if (w.dims.length !== 4) return { reason: `only 2-D convolutions are handled; its weights have rank ${w.dims.length}` };
  const b = bName ? g.constFloats(bName) : undefined;
  if (bName && !b) return { reason: `its bias '${bName}' is not a constant float tensor` };
  const kernel = attrInts(n, 'kernel_shape') ?? w.dims.slice(2);
  return {
    w, b, kernel,
    group: attrInt(n, 'group', 1),
    strides: attrInts(n, 'strides') ?? [1, 1],
    pads: attrInts(n, 'pads') ?? [0, 0, 0, 0],
    dilations: attrInts(n, 'dilations') ?? [1, 1],
    autoPad: attrString(n, 'auto_pad', 'NOTSET'),
  };
}

/** Attributes of `n` with some replaced. */
function withAttrs(g: LayerGraph, n: onnx.INodeProto, inputs: string[], output: string, over: Record<string, number | number[]>, drop: string[] = []): onnx.INodeProto {
  const node = g.node(n.opType!, inputs, [output], over);
  node.attribute = [...(n.attribute ?? []).filter((a) => !(a.name! in over) && !drop.includes(a.name!)), ...node.attribute!];
  return node;
}

interface DenseInfo {
  /** Weights as [K, N] (Gemm's transB undone). */
  w: ConstTensor;
  /** The original B as stored. */
  bStored: ConstTensor;
  transB: boolean;
  alpha: number;
  beta: number;
  c?: string;
  cValue?: ConstTensor;
  xRank: number;
}

function denseInfo(g: LayerGraph, n: onnx.INodeProto, src: LayerSource, forRewrite: 'any' | 'noTransA'): Check<DenseInfo> {
  const [aName, bName, cName] = n.input ?? [];
  const b = g.constFloats(bName ?? '');
  if (!b) {
    if (g.constFloats(aName ?? '')) return { reason: 'its constant operand is the left one (A); only right-hand weights are handled' };
    return { reason: `its weights '${bName}' are not a constant float tensor (both operands are computed: an activation x activation product)` };
  }
  if (b.dims.length !== 2) return { reason: `its weights have rank ${b.dims.length}; only 2-D weights are handled` };
  const isGemm = n.opType === 'Gemm';
  const transB = isGemm && attrInt(n, 'transB', 0) === 1;
  if (isGemm && attrInt(n, 'transA', 0) === 1 && forRewrite === 'noTransA') return { reason: 'Gemm with transA=1 is not handled' };
  const xRank = src.value(aName ?? '')?.dims.length ?? 2;
  let cValue: ConstTensor | undefined;
  if (isGemm && cName) {
    cValue = g.constFloats(cName);
    if (!cValue) return { reason: `its C '${cName}' is not a constant float tensor` };
  }
  return {
    w: transB ? transpose2(b) : b, bStored: b, transB,
    alpha: isGemm ? attrFloat(n, 'alpha', 1) : 1,
    beta: isGemm ? attrFloat(n, 'beta', 1) : 1,
    c: isGemm && cName ? cName : undefined,
    cValue, xRank,
  };
}

/** The sample activations of a node's first input as [rows, channels] (NCHW -> NHW x C for Conv). */
function activations(src: LayerSource, name: string, conv: boolean): Check<Mat> {
  const t = src.value(name);
  if (!t) return { reason: `no sample activations for its input '${name}'` };
  if (t.type !== 'float32') return { reason: `its input '${name}' is ${t.type}, not float32` };
  const x = asNumbers(t);
  if (!conv) {
    const cols = t.dims[t.dims.length - 1];
    return { rows: x.length / cols, cols, data: Float32Array.from(x) };
  }
  const [nb, c, h, w] = t.dims;
  const hw = h * w;
  const out = new Float32Array(nb * hw * c);
  for (let b = 0; b < nb; b++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < hw; p++) out[(b * hw + p) * c + ch] = x[(b * c + ch) * hw + p];
  return { rows: nb * hw, cols: c, data: out };
}

const mat = (t: ConstTensor): Mat => ({ rows: t.dims[0], cols: t.dims[1], data: t.data });
const scaled = (t: ConstTensor, s: number): ConstTensor => (s === 1 ? t : { dims: t.dims, data: t.data.map((v) => v * s) });

/** 1x1, stride 1, no padding, group 1, dilation irrelevant. */
function pointwise(c: ConvInfo): string | undefined {
  if (c.kernel.some((k) => k !== 1)) return `kernel ${c.kernel.join('x')} is not 1x1`;
  if (c.strides.some((s) => s !== 1)) return `stride ${c.strides.join('x')} is not 1`;
  if (c.pads.some((p) => p !== 0) || !['NOTSET', 'VALID'].includes(c.autoPad)) return 'it pads its input';
  if (c.group !== 1) return `group ${c.group} is not 1`;
  return undefined;
}

// ---- exact kinds -------------------------------------------------------------------------------

function splitOut(src: LayerSource, parts: number): Generated {
  return forEachTarget(src, ['Conv', 'Gemm', 'MatMul'], (g, n) => {
    if (n.opType === 'Conv') {
      const c = convInfo(g, n);
      if (isReason(c)) return c;
      const m = c.w.dims[0];
      if (c.group === 1) return m >= parts ? { conv: c } : { reason: `${m} output channels cannot be split in ${parts}` };
      if (c.group % parts !== 0 || m % parts !== 0) return { reason: `group ${c.group} and ${m} output channels are not both divisible by ${parts}` };
      return { conv: c };
    }
    const d = denseInfo(g, n, src, 'any');
    if (isReason(d)) return d;
    if (d.w.dims[1] < parts) return { reason: `${d.w.dims[1]} output columns cannot be split in ${parts}` };
    if (d.cValue && d.cValue.dims.length > 0 && d.cValue.dims[d.cValue.dims.length - 1] !== 1 && d.cValue.dims[d.cValue.dims.length - 1] !== d.w.dims[1]) return { reason: `its C of shape [${d.cValue.dims}] cannot be split by columns` };
    return { dense: d };
  }, (g, n, info) => {
    const out = n.output![0];
    const nodes: onnx.INodeProto[] = [];
    const pieces: string[] = [];
    if ('conv' in info && info.conv) {
      const c = info.conv;
      const m = c.w.dims[0];
      const grouped = c.group > 1;
      const cin = c.w.dims[1] * c.group;
      const ranges = grouped ? splitRanges(m, parts) : splitRanges(m, parts);
      ranges.forEach(([s, e], p) => {
        let x = n.input![0];
        if (grouped) {
          const sl = g.slice(x, 1, (p * cin) / parts, ((p + 1) * cin) / parts);
          nodes.push(sl);
          x = sl.output![0];
        }
        const wp = sliceAxis(c.w, 0, s, e);
        const ins = [x, g.floats('w', wp.dims, wp.data)];
        if (c.b) {
          const bp = sliceAxis(c.b, 0, s, e);
          ins.push(g.floats('b', bp.dims, bp.data));
        }
        const o = g.fresh('part');
        nodes.push(withAttrs(g, n, ins, o, grouped ? { group: c.group / parts } : {}));
        pieces.push(o);
      });
      nodes.push(g.node('Concat', pieces, [out], { axis: 1 }));
    } else if ('dense' in info && info.dense) {
      const d = info.dense;
      const ncols = d.w.dims[1];
      const ranges = splitRanges(ncols, parts);
      for (const [s, e] of ranges) {
        const bp = sliceAxis(d.bStored, d.transB ? 0 : 1, s, e);
        const ins = [n.input![0], g.floats('w', bp.dims, bp.data)];
        if (d.c && d.cValue) {
          const cl = d.cValue.dims.length === 0 || d.cValue.dims[d.cValue.dims.length - 1] === 1 ? d.cValue : sliceAxis(d.cValue, d.cValue.dims.length - 1, s, e);
          ins.push(g.floats('c', cl.dims, cl.data));
        }
        const o = g.fresh('part');
        nodes.push(withAttrs(g, n, ins, o, {}));
        pieces.push(o);
      }
      nodes.push(g.node('Concat', pieces, [out], { axis: n.opType === 'Gemm' ? 1 : d.xRank - 1 }));
    }
    g.replace(n, nodes);
  });
}

function tileH(src: LayerSource, tiles: number): Generated {
  return forEachTarget(src, ['Conv'], (g, n) => {
    const c = convInfo(g, n);
    if (isReason(c)) return c;
    if (!['NOTSET', 'VALID'].includes(c.autoPad)) return { reason: `auto_pad ${c.autoPad} is not handled (explicit pads only)` };
    const x = src.value(n.input![0]);
    const y = src.value(n.output![0]);
    if (!x || !y || x.dims.length !== 4 || y.dims.length !== 4) return { reason: 'its input/output shapes are not known 4-D shapes' };
    if (y.dims[2] < tiles) return { reason: `its output has ${y.dims[2]} rows, fewer than ${tiles} tiles` };
    return { c, h: x.dims[2], ho: y.dims[2] };
  }, (g, n, { c, h, ho }) => {
    const [pt, pl, , pr] = c.autoPad === 'VALID' ? [0, 0, 0, 0] : c.pads;
    const s = c.strides[0];
    const d = c.dilations[0];
    const span = (c.kernel[0] - 1) * d + 1;
    const nodes: onnx.INodeProto[] = [];
    const pieces: string[] = [];
    for (const [o0, o1] of splitRanges(ho, tiles)) {
      const inStart = o0 * s - pt;
      const inEnd = (o1 - 1) * s - pt + span;
      const lo = Math.max(0, inStart);
      const hi = Math.min(h, inEnd);
      const sl = g.slice(n.input![0], 2, lo, hi);
      const o = g.fresh('tile');
      // auto_pad VALID becomes explicit pads.
      nodes.push(sl, withAttrs(g, n, [sl.output![0], ...n.input!.slice(1)], o, { pads: [lo - inStart, pl, inEnd - hi, pr] }, ['auto_pad']));
      pieces.push(o);
    }
    nodes.push(g.node('Concat', pieces, [n.output![0]], { axis: 2 }));
    g.replace(n, nodes);
    return `${tiles} tiles of ~${Math.ceil(ho / tiles)} output rows, halo ${Math.max(0, span - s)} rows`;
  });
}

function convMatMul(src: LayerSource): Generated {
  return forEachTarget(src, ['Conv'], (g, n) => {
    const c = convInfo(g, n);
    if (isReason(c)) return c;
    const why = pointwise(c);
    if (why) return { reason: why };
    const x = src.value(n.input![0]);
    if (!x || x.dims.length !== 4) return { reason: 'its input shape is not a known 4-D shape' };
    return { c, dims: x.dims };
  }, (g, n, { c, dims }) => {
    const [nb, ch, h, w] = dims;
    const m = c.w.dims[0];
    const r1 = g.node('Reshape', [n.input![0], g.ints('shape', [nb, ch, h * w])]);
    const mm = g.node('MatMul', [g.floats('w', [m, ch], c.w.data), r1.output![0]]);
    const nodes = [r1, mm];
    let y = mm.output![0];
    if (c.b) {
      const add = g.node('Add', [y, g.floats('b', [m, 1], c.b.data)]);
      nodes.push(add);
      y = add.output![0];
    }
    nodes.push(g.node('Reshape', [y, g.ints('shape', [nb, m, h, w])], [n.output![0]]));
    g.replace(n, nodes);
  });
}

function splitK(src: LayerSource, parts: number): Generated {
  return forEachTarget(src, ['Conv', 'Gemm', 'MatMul'], (g, n) => {
    if (n.opType === 'Conv') {
      const c = convInfo(g, n);
      if (isReason(c)) return c;
      if (c.group !== 1) return { reason: `group ${c.group}: the reduction of a grouped Conv is split by split-out instead` };
      return c.w.dims[1] >= parts ? { conv: c } : { reason: `${c.w.dims[1]} input channels cannot be split in ${parts}` };
    }
    const d = denseInfo(g, n, src, 'noTransA');
    if (isReason(d)) return d;
    return d.w.dims[0] >= parts ? { dense: d } : { reason: `K = ${d.w.dims[0]} cannot be split in ${parts}` };
  }, (g, n, info) => {
    const nodes: onnx.INodeProto[] = [];
    const pieces: string[] = [];
    if ('conv' in info && info.conv) {
      const c = info.conv;
      splitRanges(c.w.dims[1], parts).forEach(([s, e], p) => {
        const sl = g.slice(n.input![0], 1, s, e);
        const wp = sliceAxis(c.w, 1, s, e);
        const ins = [sl.output![0], g.floats('w', wp.dims, wp.data)];
        if (p === 0 && c.b) ins.push(g.floats('b', c.b.dims, c.b.data));
        const o = g.fresh('part');
        nodes.push(sl, withAttrs(g, n, ins, o, {}));
        pieces.push(o);
      });
    } else if ('dense' in info && info.dense) {
      const d = info.dense;
      const gemm = n.opType === 'Gemm';
      splitRanges(d.w.dims[0], parts).forEach(([s, e], p) => {
        const sl = g.slice(n.input![0], gemm ? 1 : d.xRank - 1, s, e);
        const bp = sliceAxis(d.bStored, d.transB ? 1 : 0, s, e);
        const ins = [sl.output![0], g.floats('w', bp.dims, bp.data)];
        const o = g.fresh('part');
        if (gemm) {
          if (p === 0 && d.c) ins.push(d.c);
          else if (g.opset < 11) ins.push(g.floats('zero', [1], new Float32Array(1)));
        }
        nodes.push(sl, withAttrs(g, n, ins, o, {}));
        pieces.push(o);
      });
    }
    nodes.push(g.node('Sum', pieces, [n.output![0]]));
    g.replace(n, nodes);
  });
}

// ---- approximate kinds -------------------------------------------------------------------------

/** Inputs that must stay float32 whatever the data type (Resize's roi and scales, Upsample's scales). */
const FLOAT32_SLOTS: Record<string, number[]> = { Resize: [1, 2], Upsample: [1] };
const FLOAT = 1;
const FLOAT16 = 10;

function fp16(src: LayerSource): Generated {
  const g = new LayerGraph(src.bytes, `v${src.index}`);
  const isFloat = (v: onnx.IValueInfoProto) => v.type?.tensorType?.elemType === FLOAT;
  const fin = (g.graph.input ?? []).filter(isFloat).map((v) => v.name!);
  const fout = (g.graph.output ?? []).filter(isFloat).map((v) => v.name!);
  if (hasSubgraphs(g)) return { inapplicable: 'the layer computes inside If/Loop/Scan subgraphs, which fp16 does not rewrite (their float32 weights and ops would stay float32)' };
  const floatInits = g.graph.initializer!.filter((t) => t.dataType === FLOAT);
  if (fin.length === 0 && fout.length === 0 && floatInits.length === 0) return { inapplicable: 'the layer has no float32 tensors' };
  const rename = new Map<string, string>();
  const head: onnx.INodeProto[] = [];
  const tail: onnx.INodeProto[] = [];
  for (const x of fin) {
    const h = g.fresh(`${x}_f16`);
    rename.set(x, h);
    head.push(g.node('Cast', [x], [h], { to: FLOAT16 }));
  }
  for (const y of fout) {
    const h = g.fresh(`${y}_f16`);
    rename.set(y, h);
    tail.push(g.node('Cast', [h], [y], { to: FLOAT }));
  }
  let converted = 0;
  g.graph.initializer = g.graph.initializer!.map((t) => {
    if (t.dataType !== FLOAT) return t;
    converted++;
    const v = g.constFloats(t.name!)!;
    return halfTensor(t.name!, v.dims, v.data);
  });
  const body: onnx.INodeProto[] = [];
  for (const n of g.nodes) {
    const node = { ...n, input: (n.input ?? []).map((i) => rename.get(i) ?? i), output: (n.output ?? []).map((o) => rename.get(o) ?? o) };
    node.attribute = (n.attribute ?? []).map((a) => {
      if (n.opType === 'Cast' && a.name === 'to' && Number(a.i) === FLOAT) return { ...a, i: FLOAT16 };
      if ((n.opType === 'Constant' || n.opType === 'ConstantOfShape') && a.name === 'value' && a.t && a.t.dataType === FLOAT) {
        converted++;
        const v = g.constFloats(n.opType === 'Constant' ? n.output![0] : '') ?? { dims: (a.t.dims ?? []).map(Number), data: Float32Array.from(a.t.rawData?.length ? new Float32Array(Uint8Array.from(a.t.rawData).buffer) : (a.t.floatData ?? [])) };
        return { ...a, t: halfTensor(a.t.name ?? '', v.dims, v.data) };
      }
      if (n.opType === 'Constant' && a.name === 'value_float') return { name: 'value', type: 4, t: halfTensor('', [], Float32Array.of(a.f ?? 0)) };
      if (n.opType === 'Constant' && a.name === 'value_floats') return { name: 'value', type: 4, t: halfTensor('', [(a.floats ?? []).length], Float32Array.from(a.floats ?? [])) };
      return a;
    });
    const slots = FLOAT32_SLOTS[n.opType ?? ''] ?? [];
    for (const s of slots) {
      const name = node.input[s];
      if (!name) continue;
      const cast = g.node('Cast', [name], 1, { to: FLOAT });
      body.push(cast);
      node.input[s] = cast.output![0];
    }
    body.push(node);
  }
  g.graph.node = [...head, ...body, ...tail];
  g.graph.valueInfo = [];
  return { bytes: g.encode(), targets: ['whole layer'], notes: [`${converted} float32 weights/constants stored as float16; ${fin.length} input and ${fout.length} output Casts`] };
}

/** Per-column (dense) or per-output-channel (conv) symmetric int8 quantization: q in [-127, 127], w ~ q x scale. */
function quantizeSymmetric(data: Float32Array, outer: number, inner: number, perOuter: boolean): { q: Int8Array; scale: Float32Array } {
  // perOuter: channels are the outer index (conv [M, ...]); else the inner index (dense [K, N] per column).
  const channels = perOuter ? outer : inner;
  const scale = new Float32Array(channels);
  const at = (o: number, i: number) => o * inner + i;
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    const c = perOuter ? o : i;
    scale[c] = Math.max(scale[c], Math.abs(data[at(o, i)]));
  }
  for (let c = 0; c < channels; c++) scale[c] = scale[c] > 0 ? scale[c] / 127 : 1;
  const q = new Int8Array(data.length);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) q[at(o, i)] = Math.max(-127, Math.min(127, Math.round(data[at(o, i)] / scale[perOuter ? o : i])));
  return { q, scale };
}

function int8(src: LayerSource): Generated {
  return forEachTarget(src, ['Gemm', 'MatMul', 'Conv'], (g, n) => {
    if (g.opset < 11) return { reason: `DynamicQuantizeLinear needs opset 11; the model has opset ${g.opset}` };
    if (n.opType === 'Conv') {
      const c = convInfo(g, n);
      if (isReason(c)) return c;
      if (c.group !== 1) return { reason: `group ${c.group}: ConvInteger on the CPU EP has no grouped kernel here; only group-1 Convs are quantized` };
      return { conv: c };
    }
    const d = denseInfo(g, n, src, 'noTransA');
    if (isReason(d)) return d;
    return { dense: d };
  }, (g, n, info) => {
    const dq = g.node('DynamicQuantizeLinear', [n.input![0]], 3);
    const out = n.output![0];
    const nodes: onnx.INodeProto[] = [dq];
    if (info.conv) {
      // ConvInteger takes uint8 weights here: q + 128 with zero point 128, per-channel scales applied after.
      const c = info.conv;
      const m = c.w.dims[0];
      const { q, scale } = quantizeSymmetric(c.w.data, m, c.w.data.length / m, true);
      const wq = g.addInit(int8Tensor(g.fresh('wq'), c.w.dims, Uint8Array.from(q, (v) => v + 128), true));
      const wz = g.addInit(int8Tensor(g.fresh('wzp'), [], Uint8Array.of(128), true));
      const ci = g.node('ConvInteger', [dq.output![0], wq, dq.output![2], wz]);
      ci.attribute = (n.attribute ?? []).filter((a) => a.name !== 'group');
      const cast = g.node('Cast', [ci.output![0]], 1, { to: FLOAT });
      const m1 = g.node('Mul', [cast.output![0], dq.output![1]]);
      const m2 = g.node('Mul', [m1.output![0], g.floats('wscale', [1, m, 1, 1], scale)], c.b ? 1 : [out]);
      nodes.push(ci, cast, m1, m2);
      if (c.b) nodes.push(g.node('Add', [m2.output![0], g.floats('b', [1, m, 1, 1], c.b.data)], [out]));
    } else if (info.dense) {
      const d = info.dense;
      const [k, ncols] = d.w.dims;
      const { q, scale } = quantizeSymmetric(d.w.data, k, ncols, false);
      const wq = g.addInit(int8Tensor(g.fresh('wq'), [k, ncols], q));
      const wz = g.addInit(int8Tensor(g.fresh('wzp'), [], new Int8Array(1)));
      const mi = g.node('MatMulInteger', [dq.output![0], wq, dq.output![2], wz]);
      const cast = g.node('Cast', [mi.output![0]], 1, { to: FLOAT });
      const m1 = g.node('Mul', [cast.output![0], dq.output![1]]);
      const m2 = g.node('Mul', [m1.output![0], g.floats('wscale', [ncols], scale.map((s) => s * d.alpha))], d.c ? 1 : [out]);
      nodes.push(mi, cast, m1, m2);
      if (d.c && d.cValue) {
        const cv = scaled(d.cValue, d.beta);
        nodes.push(g.node('Add', [m2.output![0], g.floats('c', cv.dims, cv.data)], [out]));
      }
    }
    g.replace(n, nodes);
  });
}

/** Shared eligibility of the refit kinds: MatMul / Gemm with constant weights, or a pointwise Conv; with activations. */
function refitTarget(g: LayerGraph, n: onnx.INodeProto, src: LayerSource): Check<{ w: Mat; x: Mat; conv?: ConvInfo; dense?: DenseInfo }> {
  if (n.opType === 'Conv') {
    const c = convInfo(g, n);
    if (isReason(c)) return c;
    const why = pointwise(c);
    if (why) return { reason: `${why} (only pointwise convolutions are refitted)` };
    const x = activations(src, n.input![0], true);
    if (isReason(x)) return x;
    const [m, ch] = c.w.dims;
    return { w: mat(transpose2({ dims: [m, ch], data: c.w.data })), x: subsampleRows(x, FIT_ROWS), conv: c };
  }
  const d = denseInfo(g, n, src, 'noTransA');
  if (isReason(d)) return d;
  const x = activations(src, n.input![0], false);
  if (isReason(x)) return x;
  return { w: mat(d.w), x: subsampleRows(x, FIT_ROWS), dense: d };
}

function lowrank(src: LayerSource, fraction: number): Generated {
  return forEachTarget(src, ['Conv', 'Gemm', 'MatMul'], (g, n) => {
    const t = refitTarget(g, n, src);
    if (isReason(t)) return t;
    const w = t.w;
    const r = Math.max(1, Math.round(fraction * Math.min(w.rows, w.cols)));
    if (r * (w.rows + w.cols) >= w.rows * w.cols) return { reason: `rank ${r} of a ${w.rows}x${w.cols} weight would not reduce the work (r(K+N) >= KN)` };
    if (t.x.rows < 2 * r) return { reason: `only ${t.x.rows} activation rows to fit rank ${r} (needs ${2 * r}): give more or larger --samples` };
    return { ...t, w, r };
  }, (g, n, t) => {
    const { a, b, energyKept } = lowRankFit(t.x, t.w, t.r);
    const out = n.output![0];
    const nodes: onnx.INodeProto[] = [];
    if (t.conv) {
      const c = t.conv;
      const at = transpose2({ dims: [a.rows, a.cols], data: a.data });
      const bt = transpose2({ dims: [b.rows, b.cols], data: b.data });
      const c1 = g.node('Conv', [n.input![0], g.floats('wa', [t.r, a.rows, 1, 1], at.data)], 1, { kernel_shape: [1, 1] });
      const ins = [c1.output![0], g.floats('wb', [b.cols, t.r, 1, 1], bt.data)];
      if (c.b) ins.push(g.floats('b', c.b.dims, c.b.data));
      nodes.push(c1, g.node('Conv', ins, [out], { kernel_shape: [1, 1] }));
    } else {
      const d = t.dense!;
      const m1 = g.node('MatMul', [n.input![0], g.floats('wa', [a.rows, a.cols], a.data)]);
      const bs = d.alpha === 1 ? b.data : b.data.map((v) => v * d.alpha);
      const m2 = g.node('MatMul', [m1.output![0], g.floats('wb', [b.rows, b.cols], bs)], d.c ? 1 : [out]);
      nodes.push(m1, m2);
      if (d.c && d.cValue) {
        const cv = scaled(d.cValue, d.beta);
        nodes.push(g.node('Add', [m2.output![0], g.floats('c', cv.dims, cv.data)], [out]));
      }
    }
    g.replace(n, nodes);
    return `rank ${t.r} of ${t.w.rows}x${t.w.cols}, fitted and verified on the same ${t.x.rows} sample activation rows (output energy kept ${(energyKept * 100).toFixed(1)}%)`;
  });
}

function prune(src: LayerSource, keepFraction: number): Generated {
  return forEachTarget(src, ['Conv', 'Gemm', 'MatMul'], (g, n) => {
    const t = refitTarget(g, n, src);
    if (isReason(t)) return t;
    const w = t.w;
    const keep = Math.max(1, Math.round(keepFraction * w.rows));
    if (keep >= w.rows) return { reason: `keeping ${keepFraction} of ${w.rows} input channels drops none` };
    if (t.x.rows < 2 * keep) return { reason: `only ${t.x.rows} activation rows to refit ${keep} kept channels (needs ${2 * keep}): give more or larger --samples` };
    if (keep > MAX_REFIT_CHANNELS) return { reason: `the refit of ${keep} kept channels is over the ${MAX_REFIT_CHANNELS}-channel limit of the in-process solver` };
    return { ...t, w, keep };
  }, (g, n, t) => {
    const kept = selectChannels(t.x, t.w, t.keep);
    const wk = refitKept(t.x, t.w, kept);
    const out = n.output![0];
    const idx = g.ints('kept', kept);
    if (t.conv) {
      const gather = g.node('Gather', [n.input![0], idx], 1, { axis: 1 });
      const wt = transpose2({ dims: [wk.rows, wk.cols], data: wk.data });
      const ins = [gather.output![0], g.floats('w', [wk.cols, wk.rows, 1, 1], wt.data)];
      if (t.conv.b) ins.push(g.floats('b', t.conv.b.dims, t.conv.b.data));
      g.replace(n, [gather, withAttrs(g, n, ins, out, {})]);
    } else {
      const d = t.dense!;
      const gather = g.node('Gather', [n.input![0], idx], 1, { axis: n.opType === 'Gemm' ? 1 : d.xRank - 1 });
      const ins = [gather.output![0], g.floats('w', [wk.rows, wk.cols], wk.data)];
      if (d.c) ins.push(d.c);
      g.replace(n, [gather, withAttrs(g, n, ins, out, n.opType === 'Gemm' ? { transB: 0 } : {})]);
    }
    return `keeps ${t.keep} of ${t.w.rows} input channels, refitted and verified on the same ${t.x.rows} sample activation rows; a speed-up of the model needs the producer to drop the same channels`;
  });
}

// ---- static int8 (QDQ) and reshaped convolution ------------------------------------------------

/** Ops whose meaning changed from opset 9 to 10 (Slice and TopK take inputs, Upsample deprecated, Dropout's mask). */
export const OPSET10_CHANGED = ['Slice', 'TopK', 'Upsample', 'Dropout'];
/** Kinds whose layer raises an opset-9 model's ai.onnx opset to 10 (int8-static: QLinearConv / QLinearMatMul); with an OPSET10_CHANGED op in it the whole model cannot take them (generate.ts raisedOpset). */
export const RAISES_OPSET9 = ['int8-static'];

/** Activation range calibration of int8-static: the plain min/max of the sample activations (0 included). */
const CALIBRATION = 'min/max';

/** Asymmetric uint8 quantization of an activation from its sample values: scale and zero point. */
export function calibrateUint8(values: ArrayLike<number>): { scale: number; zeroPoint: number; min: number; max: number } {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  const zeroPoint = Math.max(0, Math.min(255, Math.round(-lo / scale)));
  return { scale, zeroPoint, min: lo, max: hi };
}

interface QdqTarget {
  /** The weights as stored (Conv [M, C/g, kh, kw]; MatMul [K, N]; Gemm B as stored). */
  w: ConstTensor;
  /** Output-channel axis of the stored weights. */
  axis: number;
  /** Float bias added after the product (Conv's B, Gemm's beta x C when it is one value per output channel). */
  bias?: Float32Array;
  x: { scale: number; zeroPoint: number; min: number; max: number };
  y: { scale: number; zeroPoint: number; min: number; max: number };
  /** '' (ai.onnx, opset >= 13) or 'com.microsoft' (ONNX Runtime's contrib Q/DQ, per-axis below opset 13). */
  domain: string;
  /** Gemm's alpha, folded into the weights. */
  alpha: number;
  /** Gemm's C kept as a float input (not one value per output channel). */
  floatC?: string;
}

function sampleFloats(src: LayerSource, name: string): Check<ArrayLike<number>> {
  const t = src.value(name);
  if (!t) return { reason: `no sample activations for '${name}' to calibrate on` };
  if (t.type !== 'float32') return { reason: `'${name}' is ${t.type}, not float32` };
  return asNumbers(t);
}

/** Symmetric int8 weights per output channel (`axis`), alpha folded in. */
function quantizeWeights(w: ConstTensor, axis: number, alpha: number): { q: Int8Array; scale: Float32Array } {
  const data = alpha === 1 ? w.data : w.data.map((v) => v * alpha);
  const outer = w.dims.slice(0, axis + 1).reduce((a, d) => a * d, 1);
  const inner = data.length / outer;
  // Per channel along axis 0: the outer index; along axis 1 of a 2-D [K, N] matrix: the inner index.
  const byOuter = axis === 0;
  return quantizeSymmetric(data, byOuter ? outer : w.dims[0], byOuter ? inner : w.dims[1], byOuter);
}

function int8Static(src: LayerSource): Generated {
  return forEachTarget(src, ['Conv', 'MatMul', 'Gemm'], (g, n): Check<QdqTarget> => {
    // Measured with onnxruntime-node 1.30: at opset 9 the QDQ fusion emits an ai.onnx QLinearConv, which
    // opset 9 lacks, and the optimized session fails to load on every lane. So the layer's own import is
    // raised to 10 where none of its ops changed meaning between 9 and 10.
    if (g.opset < 9) return { reason: `opset ${g.opset}: only opset 9 layers are raised to opset 10 (for ONNX Runtime's QLinearConv/QLinearMatMul)` };
    if (g.opset === 9) {
      const changed = [...new Set(g.nodes.map((x) => x.opType ?? '').filter((o) => OPSET10_CHANGED.includes(o)))];
      if (changed.length) return { reason: `the model has opset 9, and ONNX Runtime's QDQ fusion emits QLinearConv/QLinearMatMul, which need opset 10; the layer cannot be raised to 10 because ${changed.join(', ')} changed between opsets 9 and 10` };
    }
    // Per-axis DequantizeLinear is ai.onnx from opset 13; below, ONNX Runtime's contrib ops (same fusion).
    const domain = g.opset >= 13 ? '' : 'com.microsoft';
    let target: Omit<QdqTarget, 'x' | 'y' | 'domain'>;
    if (n.opType === 'Conv') {
      const c = convInfo(g, n);
      if (isReason(c)) return c;
      target = { w: c.w, axis: 0, bias: c.b?.data, alpha: 1 };
    } else {
      const d = denseInfo(g, n, src, 'noTransA');
      if (isReason(d)) return d;
      let bias: Float32Array | undefined;
      let floatC: string | undefined;
      if (d.c && d.cValue) {
        const cv = scaled(d.cValue, d.beta);
        const ncols = d.w.dims[1];
        if (cv.data.length === ncols && (cv.dims.length === 1 || cv.dims[0] === 1)) bias = cv.data;
        else floatC = g.floats('c', cv.dims, cv.data);
      }
      target = { w: d.bStored, axis: d.transB ? 0 : 1, bias, alpha: d.alpha, floatC };
    }
    const xs = sampleFloats(src, n.input![0]);
    if (isReason(xs)) return xs;
    const ys = sampleFloats(src, n.output![0]);
    if (isReason(ys)) return ys;
    return { ...target, x: calibrateUint8(xs), y: calibrateUint8(ys), domain };
  }, (g, n, t) => {
    const scalar = (prefix: string, v: number) => g.floats(prefix, [], Float32Array.of(v));
    const u8 = (prefix: string, v: number) => g.addInit(int8Tensor(g.fresh(prefix), [], Uint8Array.of(v), true));
    const d = t.domain;
    if (d) g.useDomain(d, 1);
    const raised = g.opset === 9;
    if (raised) g.setOpset(10);
    // Activation in: Q/DQ with the calibrated range.
    const xsName = scalar('xscale', t.x.scale);
    const xzName = u8('xzp', t.x.zeroPoint);
    const qx = g.node('QuantizeLinear', [n.input![0], xsName, xzName], 1, {}, d);
    const dqx = g.node('DequantizeLinear', [qx.output![0], xsName, xzName], 1, {}, d);
    // Weights: int8 per output channel, zero point 0.
    const { q, scale } = quantizeWeights(t.w, t.axis, t.alpha);
    const wq = g.addInit(int8Tensor(g.fresh('wq'), t.w.dims, q));
    const ws = g.floats('wscale', [scale.length], scale);
    const wz = g.addInit(int8Tensor(g.fresh('wzp'), [scale.length], new Int8Array(scale.length)));
    const dqw = g.node('DequantizeLinear', [wq, ws, wz], 1, { axis: t.axis }, d);
    const nodes: onnx.INodeProto[] = [qx, dqx, dqw];
    const ins = [dqx.output![0], dqw.output![0]];
    // Bias: int32 at scale x_scale * w_scale per channel, as ONNX Runtime's QDQ fusion expects.
    if (t.bias) {
      const bs = Float32Array.from(scale, (s) => t.x.scale * s);
      const bq = Int32Array.from(t.bias, (v, i) => Math.round(v / bs[i]));
      const bqName = g.addInit(int32Tensor(g.fresh('bq'), [bq.length], bq));
      const bzName = g.addInit(int32Tensor(g.fresh('bzp'), [bq.length], new Int32Array(bq.length)));
      const dqb = g.node('DequantizeLinear', [bqName, g.floats('bscale', [bs.length], bs), bzName], 1, { axis: 0 }, d);
      nodes.push(dqb);
      ins.push(dqb.output![0]);
    } else if (t.floatC) ins.push(t.floatC);
    // The product (Gemm's alpha and beta folded in), then Q/DQ of its output with the calibrated range.
    const pre = g.fresh('pre');
    const body = withAttrs(g, n, ins, pre, {}, n.opType === 'Gemm' ? ['alpha', 'beta'] : []);
    const ysName = scalar('yscale', t.y.scale);
    const yzName = u8('yzp', t.y.zeroPoint);
    const qy = g.node('QuantizeLinear', [pre, ysName, yzName], 1, {}, d);
    const dqy = g.node('DequantizeLinear', [qy.output![0], ysName, yzName], [n.output![0]], {}, d);
    nodes.push(body, qy, dqy);
    g.replace(n, nodes);
    const r = (c: { min: number; max: number }) => `[${c.min.toPrecision(3)}, ${c.max.toPrecision(3)}]`;
    return `uint8 activations calibrated by ${CALIBRATION} on the samples (input ${r(t.x)}, output ${r(t.y)}), int8 weights per output channel${t.bias ? ', int32 bias' : ''}${d ? `; ONNX Runtime's ${d} QuantizeLinear/DequantizeLinear (per-axis ai.onnx ones need opset 13; the model has opset ${g.opset})` : ''}${raised ? '; the layer\'s opset import raised from 9 to 10 (none of its ops changed between them) so that the fused QLinearConv/QLinearMatMul exist; substituted into the whole model, the model is raised to 10 too where none of its ops changed (embedVariants)' : ''}`;
  });
}

/**
 * Per spatial axis, the geometry of a Conv rewritten on SpaceToDepth(b) blocks. Output position
 * o = ob*i + di (ob = b / stride output pixels per block) reads input row s*o + d*u - p =
 * b*i + off with off = s*di + d*u - p: block row i + floor(off / b), row inside the block off mod b.
 */
interface BlockAxis {
  stride: number;
  dil: number;
  k: number;
  /** Original top/left padding. */
  p: number;
  /** Output pixels per block (b / stride). */
  ob: number;
  /** Kernel, top and bottom padding of the block Conv. */
  kb: number;
  pt: number;
  pb: number;
}

function blockAxis(b: number, k: number, stride: number, dil: number, p: number, size: number, outSize: number, axis: string): Check<BlockAxis> {
  if (stride !== 1 && stride !== b) return { reason: `stride ${stride} along ${axis} is neither 1 nor the block size ${b}` };
  if (size % b !== 0) return { reason: `its input ${axis} = ${size} is not divisible by the block size ${b}` };
  const ob = b / stride;
  if (outSize % ob !== 0) return { reason: `its output ${axis} = ${outSize} is not divisible by ${ob}` };
  const minOff = -p;
  const maxOff = stride * (ob - 1) + dil * (k - 1) - p;
  const pt = -Math.floor(minOff / b);
  const kb = Math.floor(maxOff / b) + pt + 1;
  const pb = outSize / ob - size / b + kb - 1 - pt;
  if (pb < 0) return { reason: `the block Conv along ${axis} would need negative padding (${pb})` };
  return { stride, dil, k, p, ob, kb, pt, pb };
}

/** The block Conv's weights: [M ob^2, C b^2, kbh, kbw], channels in SpaceToDepth / DepthToSpace (DCR) order. */
export function blockWeights(w: ConstTensor, b: number, ah: BlockAxis, aw: BlockAxis): ConstTensor {
  const [m, c, kh, kw] = w.dims;
  const ob = ah.ob;
  const mo = m * ob * ob;
  const ci = c * b * b;
  const out = new Float32Array(mo * ci * ah.kb * aw.kb);
  const fl = (v: number) => Math.floor(v / b);
  for (let di = 0; di < ob; di++) for (let dj = 0; dj < ob; dj++) for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) {
    const offH = ah.stride * di + ah.dil * u - ah.p;
    const offW = aw.stride * dj + aw.dil * v - aw.p;
    const kbH = fl(offH) + ah.pt;
    const kbW = fl(offW) + aw.pt;
    const si = offH - b * fl(offH);
    const sj = offW - b * fl(offW);
    for (let mm = 0; mm < m; mm++) {
      const o = (di * ob + dj) * m + mm;
      for (let cc = 0; cc < c; cc++) {
        const i = (si * b + sj) * c + cc;
        out[((o * ci + i) * ah.kb + kbH) * aw.kb + kbW] = w.data[((mm * c + cc) * kh + u) * kw + v];
      }
    }
  }
  return { dims: [mo, ci, ah.kb, aw.kb], data: out };
}

function reshapeConv(src: LayerSource, b: number): Generated {
  return forEachTarget(src, ['Conv'], (g, n) => {
    const c = convInfo(g, n);
    if (isReason(c)) return c;
    if (c.group !== 1) return { reason: `group ${c.group}: SpaceToDepth interleaves the groups' channels, so the block Conv would be dense (group 1 only)` };
    if (!['NOTSET', 'VALID'].includes(c.autoPad)) return { reason: `auto_pad ${c.autoPad} is not handled (explicit pads only)` };
    if (c.strides[0] !== c.strides[1]) return { reason: `strides ${c.strides.join('x')} differ: DepthToSpace has one block size` };
    const x = src.value(n.input![0]);
    const y = src.value(n.output![0]);
    if (!x || !y || x.dims.length !== 4 || y.dims.length !== 4) return { reason: 'its input/output shapes are not known 4-D shapes' };
    const pads = c.autoPad === 'VALID' ? [0, 0, 0, 0] : c.pads;
    const ah = blockAxis(b, c.kernel[0], c.strides[0], c.dilations[0], pads[0], x.dims[2], y.dims[2], 'H');
    if (isReason(ah)) return ah;
    const aw = blockAxis(b, c.kernel[1], c.strides[1], c.dilations[1], pads[1], x.dims[3], y.dims[3], 'W');
    if (isReason(aw)) return aw;
    return { c, ah, aw, x: x.dims, y: y.dims };
  }, (g, n, { c, ah, aw, x, y }) => {
    const wb = blockWeights(c.w, b, ah, aw);
    const ob = ah.ob;
    const s2d = g.node('SpaceToDepth', [n.input![0]], 1, { blocksize: b });
    const ins = [s2d.output![0], g.floats('wblock', wb.dims, wb.data)];
    if (c.b) ins.push(g.floats('bblock', [wb.dims[0]], Float32Array.from({ length: wb.dims[0] }, (_, i) => c.b!.data[i % c.w.dims[0]])));
    const attrs = { kernel_shape: [ah.kb, aw.kb], pads: [ah.pt, aw.pt, ah.pb, aw.pb], strides: [1, 1], dilations: [1, 1], group: 1 };
    const nodes = [s2d];
    if (ob > 1) {
      const conv = g.node('Conv', ins, 1, attrs);
      nodes.push(conv, g.node('DepthToSpace', [conv.output![0]], [n.output![0]], { blocksize: ob })); // default mode DCR
    } else nodes.push(g.node('Conv', ins, [n.output![0]], attrs));
    g.replace(n, nodes);
    const macs = (b * b * ah.kb * aw.kb) / (c.kernel[0] * c.kernel[1]);
    return `SpaceToDepth(${b}): [${x[1]}, ${x[2]}, ${x[3]}] -> [${x[1] * b * b}, ${x[2] / b}, ${x[3] / b}]; Conv ${wb.dims[1]} -> ${wb.dims[0]} channels, kernel ${ah.kb}x${aw.kb}${ob > 1 ? `; DepthToSpace(${ob}) -> [${y[1]}, ${y[2]}, ${y[3]}]` : ' (its stride absorbed by the blocks)'}; exact (weights placed, zeros elsewhere): x${macs.toFixed(2)} the multiply-adds`;
  });
}

// ---- registry ----------------------------------------------------------------------------------

export const VARIANT_KINDS: VariantKind[] = [
  {
    id: 'split-out', family: 'exact', exact: true,
    summary: 'output channels of Conv/Gemm/MatMul in g parts joined by Concat (grouped/depthwise Convs split their groups)',
    param: { name: 'g', default: 2, min: 2, max: 64, integer: true, describe: 'parts' },
    generate: splitOut,
  },
  {
    id: 'tile-h', family: 'exact', exact: true,
    summary: 'a 2-D Conv in t tiles along H, each with its halo rows, joined by Concat',
    param: { name: 't', default: 2, min: 2, max: 64, integer: true, describe: 'tiles' },
    generate: tileH,
  },
  { id: 'conv-matmul', family: 'exact', exact: true, summary: 'a 1x1 Conv (stride 1, no padding, group 1) as Reshape + MatMul + bias + Reshape', generate: (s) => convMatMul(s) },
  {
    id: 'split-k', family: 'exact', exact: true,
    summary: 'the reduction (K / input channels) of MatMul/Gemm/Conv in g parts joined by Sum',
    param: { name: 'g', default: 2, min: 2, max: 64, integer: true, describe: 'parts' },
    generate: splitK,
  },
  { id: 'fp16', family: 'fp16', exact: false, summary: 'the whole layer in float16 (weights and compute), Casts at the boundary', generate: (s) => fp16(s) },
  { id: 'int8', family: 'int8', exact: false, summary: 'dynamic int8: DynamicQuantizeLinear + MatMulInteger (MatMul/Gemm, per-column weights) or ConvInteger (group-1 Conv, per-channel weights)', generate: (s) => int8(s) },
  {
    id: 'lowrank', family: 'lowrank', exact: false,
    summary: 'MatMul/Gemm/1x1-Conv weights at rank r = fraction x min(K,N) as two MatMuls, fitted by least squares on sample activations',
    param: { name: 'fraction', default: 0.25, min: 0.01, max: 1, integer: false, describe: 'rank as a fraction of min(K, N)' },
    generate: lowrank,
  },
  {
    id: 'prune', family: 'prune', exact: false,
    summary: 'structured pruning of input channels (most important kept), weights refitted by least squares on sample activations',
    param: { name: 'keep', default: 0.75, min: 0.01, max: 0.99, integer: false, describe: 'fraction of input channels kept' },
    generate: prune,
  },
  // Static QDQ int8 and the reshaped convolution (helper kinds).
  {
    id: 'int8-static', family: 'int8', exact: false,
    summary: 'static int8: QuantizeLinear/DequantizeLinear around the activations (uint8, min/max on the sample activations) and int8 weights per output channel; ONNX Runtime fuses to QLinearConv/QLinearMatMul where it can',
    generate: (s) => int8Static(s),
  },
  {
    id: 'reshape', family: 'reshape', exact: true,
    summary: 'Terastal\'s reshaped convolution: SpaceToDepth(b), a Conv with b^2 x the input channels (exact weights placed in block form), DepthToSpace back (stride-1 Convs; a stride-b Conv needs no DepthToSpace)',
    param: { name: 'b', default: 2, min: 2, max: 8, integer: true, describe: 'block size' },
    generate: reshapeConv,
  },
];

export interface KindChoice {
  kind: VariantKind;
  param: number;
  /** e.g. "split-out(g=2)". */
  label: string;
}

export function kindLabel(kind: VariantKind, param: number): string {
  return kind.param ? `${kind.id}(${kind.param.name}=${param})` : kind.id;
}

/**
 * Parses a kinds list: families (exact, fp16, int8, lowrank, prune, reshape), kind ids, or kind=value for
 * the kind's parameter (split-out=4, lowrank=0.125). Default: every kind with its default.
 */
export function parseKinds(spec?: string | string[]): KindChoice[] {
  const items = (Array.isArray(spec) ? spec : spec ? [spec] : []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) return VARIANT_KINDS.map((k) => ({ kind: k, param: k.param?.default ?? 0, label: kindLabel(k, k.param?.default ?? 0) }));
  const out: KindChoice[] = [];
  const known = `${[...new Set(VARIANT_KINDS.map((k) => k.family))].join(', ')} (families) or ${VARIANT_KINDS.map((k) => k.id).join(', ')}`;
  for (const item of items) {
    const [name, value] = item.split('=');
    const byId = VARIANT_KINDS.find((k) => k.id === name);
    const matched = byId ? [byId] : VARIANT_KINDS.filter((k) => k.family === name);
    if (matched.length === 0) throw new Error(`unknown variant kind '${name}': use ${known}`);
    for (const k of matched) {
      let param = k.param?.default ?? 0;
      if (value !== undefined) {
        if (!k.param) throw new Error(`variant kind '${k.id}' takes no parameter (got '${item}')`);
        param = Number(value);
        const p = k.param;
        if (!Number.isFinite(param) || param < p.min || param > p.max || (p.integer && !Number.isInteger(param))) {
          throw new Error(`bad '${item}': ${k.id}'s ${p.name} (${p.describe}) must be ${p.integer ? 'an integer' : 'a number'} in [${p.min}, ${p.max}]`);
        }
      }
      const label = kindLabel(k, param);
      if (!out.some((c) => c.label === label)) out.push({ kind: k, param, label });
    }
  }
  return out;
}
