// FLOPs and bytes moved per node, from resolved (concrete) shapes.
//
// Rules (FLOPs count one multiply or one add as 1; a multiply-accumulate as 2):
// - Conv / ConvInteger / QLinearConv / FusedConv: 2 * N * Cout * prod(out spatial) * (Cin / group) * prod(kernel),
//   plus N * Cout * prod(out spatial) when there is a bias.
// - ConvTranspose: 2 * N * Cin * prod(in spatial) * (Cout / group) * prod(kernel), plus the bias adds.
// - MatMul / MatMulInteger / QLinearMatMul / FusedMatMul: 2 * (output elements) * K.
// - Gemm: 2 * M * N * K, plus M * N when C is given.
// - Einsum: 2 * product of the sizes of all distinct indices (a sum of products).
// - LSTM / GRU / RNN: 2 * seq * batch * directions * gates * hidden * (input + hidden), plus
//   ~3 * gates * hidden per step for the gate element-wise work (gates: LSTM 4, GRU 3, RNN 1).
// - Element-wise ops (Add, Mul, Relu, Sigmoid, Clip, Pow, comparisons, Where, ...): 1 per output element.
// - BatchNormalization: 2 per element (inference form: one multiply, one add);
//   LayerNormalization / InstanceNormalization / GroupNormalization / LpNormalization: 5 per element.
// - Softmax / LogSoftmax: 3 per element (exp, sum, divide).
// - Reductions (Reduce*, GlobalAveragePool, GlobalMaxPool, ArgMax/ArgMin): 1 per input element.
// - AveragePool / MaxPool / LpPool: 1 per output element per kernel element.
// - Resize / Upsample: nearest 0; linear 2^d per output element (d = resized dims); cubic 4^d.
// - Data movement (Reshape, Transpose, Concat, Slice, Gather, Cast, Pad, Expand, Shape, ...): 0.
// - If: the branch taken on the sample input (its nodes, counted by the caller); Loop / Scan: not counted (0, warned).
// - Anything else: 0, with rule 'unknown' so callers can say so.
// Bytes moved per node = bytes of every input (activations and weights) + bytes of every output.
import type { onnx } from 'onnx-proto';
import { num, typeBytes } from './model';

export interface TensorMeta {
  type: string;
  dims: number[];
}

export type FlopRule = 'conv' | 'conv-transpose' | 'matmul' | 'gemm' | 'einsum' | 'rnn' | 'elementwise' | 'norm' | 'softmax' | 'reduce' | 'pool' | 'resize' | 'data-movement' | 'control-flow' | 'unknown';

export interface NodeCost {
  flops: number;
  /** Bytes of all inputs (incl. weights) + all outputs. */
  bytesMoved: number;
  rule: FlopRule;
}

const ELEMENTWISE = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Max', 'Min', 'Mean', 'Sum', 'Neg', 'Abs', 'Sqrt', 'Reciprocal', 'Exp', 'Log',
  'Relu', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'Celu', 'Gelu', 'FastGelu', 'BiasGelu', 'QuickGelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Softplus', 'Softsign',
  'Mish', 'ThresholdedRelu', 'Erf', 'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh', 'Floor', 'Ceil',
  'Round', 'Sign', 'Clip', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not', 'Where', 'IsNaN', 'IsInf',
  'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitwiseNot', 'Shrink', 'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'Dropout', 'Trilu',
]);
const NORM5 = new Set(['LayerNormalization', 'InstanceNormalization', 'GroupNormalization', 'LpNormalization', 'MeanVarianceNormalization', 'SimplifiedLayerNormalization', 'SkipLayerNormalization', 'RMSNormalization']);
const REDUCE = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare', 'GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool', 'ArgMax', 'ArgMin', 'CumSum']);
const POOL = new Set(['AveragePool', 'MaxPool', 'LpPool']);
const DATA = new Set([
  'Reshape', 'Transpose', 'Concat', 'Slice', 'Gather', 'GatherElements', 'GatherND', 'Scatter', 'ScatterElements', 'ScatterND', 'Squeeze', 'Unsqueeze',
  'Flatten', 'Expand', 'Tile', 'Pad', 'Split', 'Shape', 'Size', 'Cast', 'CastLike', 'Identity', 'Constant', 'ConstantOfShape', 'Range', 'NonZero',
  'DepthToSpace', 'SpaceToDepth', 'OneHot', 'EyeLike', 'Compress', 'TopK', 'Unique', 'ReverseSequence', 'SequenceAt', 'SequenceConstruct',
  'SequenceInsert', 'SequenceLength', 'SplitToSequence', 'ConcatFromSequence', 'Optional', 'OptionalGetElement', 'OptionalHasElement', 'NonMaxSuppression',
]);

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

function attrInt(node: onnx.INodeProto, name: string, dflt: number): number {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a ? num(a.i) : dflt;
}

function attrString(node: onnx.INodeProto, name: string, dflt: string): string {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a?.s ? new TextDecoder().decode(a.s) : dflt;
}

/** Bytes of a tensor with these dims and type (strings count 0). */
export function tensorBytes(meta: TensorMeta | undefined): number {
  if (!meta) return 0;
  return Math.ceil(prod(meta.dims) * typeBytes(meta.type));
}

/** FLOPs and bytes moved of one node; `meta` gives concrete type and dims of any tensor name. */
export function nodeCost(node: onnx.INodeProto, meta: (name: string) => TensorMeta | undefined): NodeCost {
  const ins = (node.input ?? []).map((n) => (n ? meta(n) : undefined));
  const outs = (node.output ?? []).map((n) => (n ? meta(n) : undefined));
  const bytesMoved = [...ins, ...outs].reduce((a, m) => a + tensorBytes(m), 0);
  const { flops, rule } = flopsOf(node, ins, outs);
  return { flops: Number.isFinite(flops) ? flops : 0, bytesMoved, rule };
}

function flopsOf(node: onnx.INodeProto, ins: (TensorMeta | undefined)[], outs: (TensorMeta | undefined)[]): { flops: number; rule: FlopRule } {
  const op = node.opType ?? '';
  const out0 = outs[0];
  const outElems = out0 ? prod(out0.dims) : 0;
  const hasBias = (i: number) => Boolean((node.input ?? [])[i]) && ins[i] !== undefined;
  switch (op) {
    case 'Conv': case 'ConvInteger': case 'QLinearConv': case 'FusedConv': case 'NhwcConv': {
      const wIdx = op === 'QLinearConv' ? 3 : 1;
      const w = ins[wIdx];
      if (!w || !out0) return { flops: 0, rule: 'unknown' };
      const cinPerGroup = w.dims[1];
      const kernel = prod(w.dims.slice(2));
      const macs = outElems * cinPerGroup * kernel;
      const biasIdx = op === 'QLinearConv' ? 8 : 2;
      return { flops: 2 * macs + (hasBias(biasIdx) ? outElems : 0), rule: 'conv' };
    }
    case 'ConvTranspose': {
      const x = ins[0];
      const w = ins[1];
      if (!x || !w || !out0) return { flops: 0, rule: 'unknown' };
      const coutPerGroup = w.dims[1];
      const kernel = prod(w.dims.slice(2));
      const macs = prod(x.dims) * coutPerGroup * kernel; // N * Cin * in_spatial * (Cout / group) * kernel
      return { flops: 2 * macs + (hasBias(2) ? outElems : 0), rule: 'conv-transpose' };
    }
    case 'MatMul': case 'MatMulInteger': case 'QLinearMatMul': case 'FusedMatMul': case 'MatMulNBits': {
      const a = ins[0];
      if (!a || !out0) return { flops: 0, rule: 'unknown' };
      const k = a.dims.length === 0 ? 1 : a.dims[a.dims.length - 1];
      return { flops: 2 * outElems * k, rule: 'matmul' };
    }
    case 'Gemm': {
      const a = ins[0];
      if (!a || !out0 || a.dims.length !== 2) return { flops: 0, rule: 'unknown' };
      const k = attrInt(node, 'transA', 0) ? a.dims[0] : a.dims[1];
      return { flops: 2 * outElems * k + (hasBias(2) ? outElems : 0), rule: 'gemm' };
    }
    case 'Einsum': {
      const eq = attrString(node, 'equation', '').replace(/\s/g, '');
      const [lhs] = eq.split('->');
      const sizes = new Map<string, number>();
      lhs.split(',').forEach((term, i) => {
        const m = ins[i];
        if (!m || term.includes('...')) return;
        [...term].forEach((ch, k) => sizes.set(ch, m.dims[k]));
      });
      if (sizes.size === 0) return { flops: 0, rule: 'unknown' };
      return { flops: 2 * prod([...sizes.values()]), rule: 'einsum' };
    }
    case 'LSTM': case 'GRU': case 'RNN': {
      const x = ins[0];
      const w = ins[1]; // [dirs, gates*hidden, input]
      if (!x || !w) return { flops: 0, rule: 'unknown' };
      const gates = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
      const dirs = w.dims[0];
      const hidden = w.dims[1] / gates;
      const input = w.dims[2];
      const layout = attrInt(node, 'layout', 0);
      const [seq, batch] = layout ? [x.dims[1], x.dims[0]] : [x.dims[0], x.dims[1]];
      const steps = seq * batch * dirs;
      return { flops: steps * (2 * gates * hidden * (input + hidden) + 3 * gates * hidden), rule: 'rnn' };
    }
    case 'BatchNormalization':
      return { flops: 2 * outElems, rule: 'norm' };
    case 'Softmax': case 'LogSoftmax':
      return { flops: 3 * outElems, rule: 'softmax' };
    case 'Resize': case 'Upsample': {
      const mode = attrString(node, 'mode', 'nearest');
      const x = ins[0];
      if (!x || !out0) return { flops: 0, rule: 'unknown' };
      const resized = x.dims.filter((d, i) => d !== out0.dims[i]).length;
      const per = mode === 'nearest' ? 0 : mode === 'cubic' ? 4 ** resized : 2 ** resized;
      return { flops: per * outElems, rule: 'resize' };
    }
    case 'If': case 'Loop': case 'Scan':
      return { flops: 0, rule: 'control-flow' };
  }
  if (ELEMENTWISE.has(op)) return { flops: outElems, rule: 'elementwise' };
  if (NORM5.has(op)) return { flops: 5 * outElems, rule: 'norm' };
  if (REDUCE.has(op)) return { flops: ins[0] ? prod(ins[0].dims) : 0, rule: 'reduce' };
  if (POOL.has(op)) {
    const ks = (node.attribute ?? []).find((a) => a.name === 'kernel_shape');
    return { flops: outElems * prod((ks?.ints ?? []).map(num)), rule: 'pool' };
  }
  if (DATA.has(op)) return { flops: 0, rule: 'data-movement' };
  return { flops: 0, rule: 'unknown' };
}
