// Layer helpers for the reference architectures: a thin layer over GraphBuilder that tracks tensor
// shapes (so MACs are counted from the shapes actually generated), channel bookkeeping for channel
// pruning, deterministic per-layer weights, folded or explicit BatchNormalization, and a data-free
// estimate of each tensor's first and second moment so that random weights can be scaled the way a
// trained BatchNorm would leave them (pre-activations of roughly unit variance, per-channel shift).
import { DataType, GraphBuilder, f, seededWeights } from '../../profiler/onnx/builder';
import { applyNm, applyUnstructured, countZeros, selectChannels } from './prune';
import type { ComputeLayer, PruneSpec } from './types';

export interface Tensor {
  name: string;
  /** Physical shape (after channel pruning). */
  shape: number[];
  /** Logical size of the feature axis (dim 1 of NCHW, last dim otherwise) before channel pruning. */
  full: number;
  /** Logical feature indices present (length = physical feature size); undefined = all of `full`. */
  keep?: number[];
  /** Data-free estimates, averaged over elements: E[x] and E[x^2]. */
  mean: number;
  m2: number;
  afterRelu: boolean;
}

export type Activation = 'relu' | 'relu6' | 'none';

export interface NetOptions {
  seed: number;
  prune?: PruneSpec;
  batchNorm: 'folded' | 'kept';
  /** Describe only: weights are left as (lazily allocated) zeros, never generated; no pruning allowed. */
  shapesOnly?: boolean;
}

export interface PruneTally {
  zeros: number;
  total: number;
  tensors: number;
  /** Reasons tensors were left dense, with counts. */
  dense: Map<string, number>;
  /** Channel pruning: prunable channels before / removed. */
  prunableChannels: number;
  removedChannels: number;
  /** Channel pruning: layers whose output channels were pruned. */
  channelLayers: number;
}

const SQRT3 = Math.sqrt(3);
/** Stay under protobuf's 2 GiB message limit with room for the graph. */
export const MAX_MODEL_BYTES = 1.9e9;
const phi = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
/** Standard normal CDF (Abramowitz-Stegun 7.1.26 via erf). */
export function Phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t) * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
/** E[relu(z)] and E[relu(z)^2] for z ~ N(mu, sigma^2). */
function reluMoments(mu: number, sigma: number): { mean: number; m2: number } {
  if (sigma <= 1e-12) return { mean: Math.max(0, mu), m2: Math.max(0, mu) ** 2 };
  const a = mu / sigma;
  return { mean: mu * Phi(a) + sigma * phi(a), m2: (mu * mu + sigma * sigma) * Phi(a) + mu * sigma * phi(a) };
}

/** Mixes the model seed and a layer index into a 32-bit seed. */
export function layerSeed(seed: number, index: number, salt = 0): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77) ^ Math.imul(salt + 1, 0xc2b2ae3d)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** He-uniform weights (variance 2 / fanIn): builder's seededWeights (variance 2 / (3 fanIn)) times sqrt(3). */
export function heUniform(count: number, seed: number, fanIn: number): Float32Array {
  const w = seededWeights(count, seed, fanIn);
  for (let i = 0; i < w.length; i++) w[i] *= SQRT3;
  return w;
}

/** Uniform values in [lo, hi). */
export function uniform(count: number, seed: number, lo: number, hi: number): Float32Array {
  const u = seededWeights(count, seed, 2); // U(-1, 1)
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = lo + ((u[i] + 1) / 2) * (hi - lo);
  return out;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const prod = (xs: number[]): number => xs.reduce((a, b) => a * b, 1);
const featureAxis = (shape: number[]): number => (shape.length === 4 ? 1 : shape.length - 1);

interface WeightLayerSpec {
  /** Logical output / input feature counts and spatial kernel size (kh*kw; 1 for linear layers). */
  outFull: number;
  inFull: number;
  group: number;
  kernel: number;
  fanIn: number;
  /** Which logical input channels exist (from the input tensor). */
  inKeep?: number[];
  /** Output channels removable by channel pruning. */
  prunableOut: boolean;
  /** Depthwise: outputs follow the input's kept channels. */
  outFollowsIn: boolean;
  /** Exempt from weight pruning (e.g. the stem conv), with the reason. */
  denseReason?: string;
  /** Per-output-channel multiplier applied to generated weights (BN fold / normalisation). */
  scale: (logicalOut: number) => number;
}

export class Net {
  readonly g: GraphBuilder;
  readonly layers: ComputeLayer[] = [];
  readonly tally: PruneTally = { zeros: 0, total: 0, tensors: 0, dense: new Map(), prunableChannels: 0, removedChannels: 0, channelLayers: 0 };
  /** MACs and params the same layers would have without channel pruning. */
  denseMacs = 0;
  /** Parameters removed by channel pruning (weights, biases, kept-BN parameters). */
  removedParams = 0;
  private weightLayerIndex = 0;
  private generatedBytes = 0;
  private int64Consts = new Map<string, string>();

  constructor(name: string, readonly opts: NetOptions, docString: string) {
    this.g = new GraphBuilder(name, { opset: 17, docString });
  }

  input(name: string, shape: number[], moments = { mean: 0, m2: 1 }, elemType: number = DataType.FLOAT): Tensor {
    this.g.input(name, shape, elemType);
    return { name, shape, full: shape[featureAxis(shape)], mean: moments.mean, m2: moments.m2, afterRelu: false };
  }

  output(t: Tensor, name: string): Tensor {
    this.g.node('Identity', [t.name], [name], {}, { name: `${name}_identity` });
    this.g.output(name, t.shape);
    return { ...t, name };
  }

  /** An int64 constant (initializer), shared by value. */
  int64(values: number[]): string {
    const key = values.join(',');
    const existing = this.int64Consts.get(key);
    if (existing) return existing;
    const name = this.g.initializer(this.g.fresh('const_i64'), [values.length], values);
    this.int64Consts.set(key, name);
    return name;
  }

  /** Generated values, or zeros when describing shapes only. */
  values(count: number, generate: () => Float32Array): Float32Array {
    return this.opts.shapesOnly ? new Float32Array(count) : generate();
  }

  scalar(value: number): string {
    return this.g.initializer(this.g.fresh('const_f'), [], Float32Array.of(value));
  }

  private nextName(prefix: string): string {
    return this.g.fresh(prefix);
  }

  /**
   * Generates a weight tensor in [out, in/group, kernel] layout for the logical layer, slices the
   * input channels that exist, chooses output channels (channel pruning), applies weight pruning,
   * and returns the physical tensor plus the kept output indices.
   */
  private weights(spec: WeightLayerSpec): { w: Float32Array; outKeep: number[]; inPer: number; pruned: boolean } {
    const index = this.weightLayerIndex++;
    const seed = layerSeed(this.opts.seed, index);
    const inPerFull = spec.inFull / spec.group;
    if (this.opts.shapesOnly && this.opts.prune) throw new Error('shapesOnly cannot be combined with pruning');
    this.generatedBytes += spec.outFull * inPerFull * spec.kernel * 4;
    if (!this.opts.shapesOnly && this.generatedBytes > MAX_MODEL_BYTES) {
      throw new Error(`${this.g.name}: weights exceed ${MAX_MODEL_BYTES / 1e9} GB, over ONNX's 2 GB protobuf limit (external data is not supported here); use a smaller resolution`);
    }
    const full = this.opts.shapesOnly ? new Float32Array(spec.outFull * inPerFull * spec.kernel) : heUniform(spec.outFull * inPerFull * spec.kernel, seed, spec.fanIn);
    for (let o = 0; o < spec.outFull && !this.opts.shapesOnly; o++) {
      const s = spec.scale(o);
      const base = o * inPerFull * spec.kernel;
      for (let i = 0; i < inPerFull * spec.kernel; i++) full[base + i] *= s;
    }
    // Input channels present (grouped convs other than depthwise are not channel-pruned).
    let inIdx = range(inPerFull);
    if (spec.group === 1 && spec.inKeep) inIdx = spec.inKeep;
    const inPer = inIdx.length;
    // Output channels.
    let outKeep = range(spec.outFull);
    if (spec.outFollowsIn && spec.inKeep) outKeep = spec.inKeep;
    const sliced = (rows: number[]): Float32Array => {
      const w = new Float32Array(rows.length * inPer * spec.kernel);
      rows.forEach((o, r) => {
        for (let ii = 0; ii < inPer; ii++) {
          const src = (o * inPerFull + inIdx[ii]) * spec.kernel;
          w.set(full.subarray(src, src + spec.kernel), (r * inPer + ii) * spec.kernel);
        }
      });
      return w;
    };
    let w = inIdx.length === inPerFull && outKeep.length === spec.outFull ? full : sliced(outKeep);
    const prune = this.opts.prune;
    if (prune?.kind === 'channel' && spec.prunableOut) {
      const keepCount = Math.max(1, Math.round(spec.outFull * (1 - prune.sparsity)));
      const chosen = selectChannels(w, outKeep.length, inPer * spec.kernel, keepCount);
      this.tally.prunableChannels += spec.outFull;
      this.tally.removedChannels += spec.outFull - chosen.length;
      this.tally.channelLayers++;
      outKeep = chosen.map((r) => outKeep[r]);
      w = sliced(outKeep);
    }
    let pruned = false;
    if (prune && prune.kind !== 'channel') {
      if (spec.denseReason) {
        this.tally.dense.set(spec.denseReason, (this.tally.dense.get(spec.denseReason) ?? 0) + 1);
      } else if (prune.kind === 'unstructured') {
        applyUnstructured(w, prune.sparsity);
        pruned = true;
      } else {
        const n = prune.n ?? 2;
        const m = prune.m ?? 4;
        if (inPer % m !== 0) {
          const reason = `reduction channels per group not a multiple of ${m} (depthwise or odd widths)`;
          this.tally.dense.set(reason, (this.tally.dense.get(reason) ?? 0) + 1);
        } else {
          applyNm(w, outKeep.length, inPer, spec.kernel, n, m);
          pruned = true;
        }
      }
      if (pruned) {
        this.tally.zeros += countZeros(w);
        this.tally.total += w.length;
        this.tally.tensors++;
      }
    }
    return { w, outKeep, inPer, pruned };
  }

  /** Per-channel BN parameters (gamma, beta) of the logical layer, seeded independently of the weights. */
  private bnParams(outFull: number): { gamma: Float32Array; beta: Float32Array } {
    const index = this.weightLayerIndex; // the layer about to be generated
    return {
      gamma: uniform(outFull, layerSeed(this.opts.seed, index, 1), 0.7, 1.3),
      beta: uniform(outFull, layerSeed(this.opts.seed, index, 2), -0.8, 0.3),
    };
  }

  private record(layer: Omit<ComputeLayer, 'weightZeros' | 'params'> & { w?: Float32Array; biasLen?: number }): void {
    const { w, biasLen, ...rest } = layer;
    this.layers.push({ ...rest, params: (w?.length ?? 0) + (biasLen ?? 0), weightZeros: w && !this.opts.shapesOnly ? countZeros(w) : 0 });
  }

  /**
   * Conv (+ BatchNorm, folded or kept) (+ ReLU / ReLU6). With `bn: false` the conv has a plain bias
   * (detector heads, classifier-like convs) and weights normalised to unit output variance.
   */
  conv(x: Tensor, o: { out: number; k: number; stride?: number; pad?: number; group?: number | 'depthwise'; act?: Activation; bn?: boolean; prunableOut?: boolean; denseReason?: string; name?: string }): Tensor {
    const [n, , h, wd] = x.shape;
    const stride = o.stride ?? 1;
    const pad = o.pad ?? Math.floor((o.k - 1) / 2);
    const depthwise = o.group === 'depthwise';
    const group = depthwise ? x.full : (o.group as number | undefined) ?? 1;
    const outFull = depthwise ? x.full : o.out;
    const kernel = o.k * o.k;
    const fanIn = (x.full / group) * kernel;
    const useBn = o.bn !== false;
    const { gamma, beta } = this.bnParams(outFull);
    // Weight multiplier: pre-activation variance ~ gamma^2 (BN folded) or 1 (no BN): He variance is
    // 2/fanIn, so E[y^2] = 2 * E[x^2]; divide by sqrt(2 E[x^2]).
    const norm = 1 / Math.sqrt(2 * Math.max(x.m2, 1e-12));
    const folded = useBn && this.opts.batchNorm === 'folded';
    const { w, outKeep, inPer, pruned } = this.weights({
      outFull, inFull: x.full, group, kernel, fanIn, inKeep: x.keep, prunableOut: !!o.prunableOut && !depthwise, outFollowsIn: depthwise,
      denseReason: o.denseReason, scale: (c) => norm * (folded ? gamma[c] : 1),
    });
    const outC = outKeep.length;
    const physGroup = depthwise ? outC : group;
    const ho = Math.floor((h + 2 * pad - o.k) / stride) + 1;
    const wo = Math.floor((wd + 2 * pad - o.k) / stride) + 1;
    const base = o.name ?? this.nextName(depthwise ? 'dwconv' : 'conv');
    const wName = this.g.initializer(`${base}.weight`, [outC, inPer, o.k, o.k], w);
    const inputs = [x.name, wName];
    let biasLen = 0;
    if (folded || !useBn) {
      const b = new Float32Array(outC);
      if (folded) outKeep.forEach((c, i) => (b[i] = beta[c]));
      inputs.push(this.g.initializer(`${base}.bias`, [outC], b));
      biasLen = outC;
    }
    const convOut = this.g.node('Conv', inputs, [`${base}.out`], { kernel_shape: [o.k, o.k], strides: [stride, stride], pads: [pad, pad, pad, pad], group: physGroup, dilations: [1, 1] }, { name: base })[0];
    const outShape = [n, outC, ho, wo];
    const perChannel = (folded || !useBn ? 1 : 4);
    this.removedParams += outFull * (x.full / group) * kernel - w.length + perChannel * (outFull - outC);
    const macs = n * outC * ho * wo * inPer * kernel;
    this.denseMacs += n * outFull * ho * wo * (x.full / group) * kernel;
    this.record({ node: base, op: 'Conv', input: x.name, output: convOut, inputShape: x.shape, outputShape: outShape, weightShape: [outC, inPer, o.k, o.k], macs, pruned, afterRelu: x.afterRelu, w, biasLen });
    let y = convOut;
    if (useBn && this.opts.batchNorm === 'kept') {
      const gk = new Float32Array(outC);
      const bk = new Float32Array(outC);
      outKeep.forEach((c, i) => { gk[i] = gamma[c]; bk[i] = beta[c]; });
      const eps = 1e-5;
      y = this.g.node('BatchNormalization', [
        convOut,
        this.g.initializer(`${base}.bn.scale`, [outC], gk),
        this.g.initializer(`${base}.bn.bias`, [outC], bk),
        this.g.initializer(`${base}.bn.mean`, [outC], new Float32Array(outC)),
        this.g.initializer(`${base}.bn.var`, [outC], new Float32Array(outC).fill(1 - eps)),
      ], [`${base}.bn.out`], { epsilon: f(eps) }, { name: `${base}.bn` })[0];
    }
    // Moments of the pre-activation, per channel N(beta_c, gamma_c^2) with BN, N(0, 1) without.
    let mean = 0;
    let m2 = 0;
    const act = o.act ?? 'none';
    for (const c of outKeep) {
      const mu = useBn ? beta[c] : 0;
      const sd = useBn ? gamma[c] : 1;
      if (act === 'none') { mean += mu; m2 += mu * mu + sd * sd; } else { const r = reluMoments(mu, sd); mean += r.mean; m2 += r.m2; }
    }
    const t: Tensor = { name: y, shape: outShape, full: outFull, keep: outKeep.length === outFull ? undefined : outKeep, mean: mean / outC, m2: m2 / outC, afterRelu: false };
    return act === 'none' ? t : this.activation(t, act, false);
  }

  /** ReLU (Relu) or ReLU6 (Clip 0..6). `updateMoments`: false when the caller already accounted for it. */
  activation(x: Tensor, act: Exclude<Activation, 'none'>, updateMoments = true): Tensor {
    const name = act === 'relu'
      ? this.g.op('Relu', [x.name], {}, this.nextName('relu'))
      : this.g.op('Clip', [x.name, this.scalar(0), this.scalar(6)], {}, this.nextName('relu6'));
    let { mean, m2 } = x;
    if (updateMoments) ({ mean, m2 } = reluMoments(x.mean, Math.sqrt(Math.max(x.m2 - x.mean * x.mean, 1e-12))));
    return { ...x, name, mean, m2, afterRelu: true };
  }

  add(a: Tensor, b: Tensor): Tensor {
    if (a.shape.join() !== b.shape.join()) throw new Error(`add: shape mismatch ${a.shape} vs ${b.shape}`);
    const name = this.g.op('Add', [a.name, b.name], {}, this.nextName('add'));
    return { ...a, name, mean: a.mean + b.mean, m2: a.m2 + b.m2 + 2 * a.mean * b.mean, afterRelu: false };
  }

  maxPool(x: Tensor, k: number, stride: number, pad: number): Tensor {
    const [n, c, h, w] = x.shape;
    const name = this.g.op('MaxPool', [x.name], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] }, this.nextName('maxpool'));
    const ho = Math.floor((h + 2 * pad - k) / stride) + 1;
    const wo = Math.floor((w + 2 * pad - k) / stride) + 1;
    // Crude: the max of a window raises both moments; the estimate only sets the next layer's scale.
    return { ...x, name, shape: [n, c, ho, wo], mean: x.mean * 1.8, m2: x.m2 * 2.5, afterRelu: x.afterRelu };
  }

  globalAvgPool(x: Tensor): Tensor {
    const [n, c, h, w] = x.shape;
    const name = this.g.op('GlobalAveragePool', [x.name], {}, this.nextName('gap'));
    const v = Math.max(0, x.m2 - x.mean * x.mean);
    return { ...x, name, shape: [n, c, 1, 1], m2: x.mean * x.mean + v / (h * w), afterRelu: false };
  }

  /** Flatten NCHW to [N, C*H*W]; channel bookkeeping expands kept channels to kept features. */
  flatten(x: Tensor): Tensor {
    const [n, c, h, w] = x.shape;
    const name = this.g.op('Flatten', [x.name], { axis: 1 }, this.nextName('flatten'));
    const hw = h * w;
    const keep = x.keep ? x.keep.flatMap((ch) => range(hw).map((p) => ch * hw + p)) : undefined;
    return { ...x, name, shape: [n, c * hw], full: x.full * hw, keep };
  }

  /**
   * Fully connected layer. 2-D input: Gemm (weight [out, in], transB=1). 3-D input [B, S, in]:
   * MatMul with weight [in, out] plus Add bias. `normalise`: scale weights to unit output variance
   * (CNN classifiers); otherwise plain He-uniform (BERT, followed by LayerNorm).
   */
  linear(x: Tensor, out: number, o: { prunableOut?: boolean; normalise?: boolean; bias?: 'zero' | 'seeded'; name?: string } = {}): Tensor {
    const inFull = x.full;
    const norm = o.normalise ? 1 / Math.sqrt(2 * Math.max(x.m2, 1e-12)) : 1;
    const biasFull = o.bias === 'seeded' ? uniform(out, layerSeed(this.opts.seed, this.weightLayerIndex, 3), -0.05, 0.05) : new Float32Array(out);
    const { w, outKeep, inPer, pruned } = this.weights({ outFull: out, inFull, group: 1, kernel: 1, fanIn: inFull, inKeep: x.keep, prunableOut: !!o.prunableOut, outFollowsIn: false, scale: () => norm });
    const outP = outKeep.length;
    this.removedParams += out * inFull - w.length + (out - outP);
    const base = o.name ?? this.nextName('fc');
    const b = new Float32Array(outP);
    outKeep.forEach((c, i) => (b[i] = biasFull[c]));
    const rows = x.shape.slice(0, -1);
    const macs = prod(rows) * outP * inPer;
    this.denseMacs += prod(rows) * out * inFull;
    const outShape = [...rows, outP];
    let y: string;
    if (x.shape.length === 2) {
      y = this.g.node('Gemm', [x.name, this.g.initializer(`${base}.weight`, [outP, inPer], w), this.g.initializer(`${base}.bias`, [outP], b)], [`${base}.out`], { transB: 1 }, { name: base })[0];
      this.record({ node: base, op: 'Gemm', input: x.name, output: y, inputShape: x.shape, outputShape: outShape, weightShape: [outP, inPer], macs, pruned, afterRelu: x.afterRelu, w, biasLen: outP });
    } else {
      const wt = new Float32Array(w.length); // [out, in] -> [in, out]
      for (let r = 0; r < outP; r++) for (let c = 0; c < inPer; c++) wt[c * outP + r] = w[r * inPer + c];
      const mm = this.g.node('MatMul', [x.name, this.g.initializer(`${base}.weight`, [inPer, outP], wt)], [`${base}.out`], {}, { name: base })[0];
      this.record({ node: base, op: 'MatMul', input: x.name, output: mm, inputShape: x.shape, outputShape: outShape, weightShape: [inPer, outP], macs, pruned, afterRelu: x.afterRelu, w, biasLen: outP });
      y = this.g.op('Add', [mm, this.g.initializer(`${base}.bias`, [outP], b)], {}, `${base}.add_bias`);
    }
    const m2 = o.normalise ? 1 : 2 * x.m2;
    return { name: y, shape: outShape, full: out, keep: outP === out ? undefined : outKeep, mean: 0, m2, afterRelu: false };
  }

  /** Activation x activation MatMul (attention): a [..., M, K] x b [..., K, N]. */
  matmul(a: Tensor, b: Tensor, name?: string): Tensor {
    const base = name ?? this.nextName('matmul');
    const out = this.g.node('MatMul', [a.name, b.name], [`${base}.out`], {}, { name: base })[0];
    const k = a.shape[a.shape.length - 1];
    const outShape = [...a.shape.slice(0, -1), b.shape[b.shape.length - 1]];
    const macs = prod(outShape) * k;
    this.denseMacs += macs;
    this.record({ node: base, op: 'MatMul', input: a.name, output: out, inputShape: a.shape, outputShape: outShape, macs, pruned: false, afterRelu: a.afterRelu });
    return { name: out, shape: outShape, full: outShape[outShape.length - 1], mean: 0, m2: a.m2 * b.m2 * k, afterRelu: false };
  }

  reshape(x: Tensor, shape: number[]): Tensor {
    const name = this.g.op('Reshape', [x.name, this.int64(shape)], {}, this.nextName('reshape'));
    const known = shape.filter((d) => d !== -1);
    const total = prod(x.shape);
    const resolved = shape.map((d) => (d === -1 ? total / prod(known) : d));
    return { ...x, name, shape: resolved, full: resolved[featureAxis(resolved)], keep: undefined, afterRelu: x.afterRelu };
  }

  transpose(x: Tensor, perm: number[]): Tensor {
    const name = this.g.op('Transpose', [x.name], { perm }, this.nextName('transpose'));
    const shape = perm.map((p) => x.shape[p]);
    return { ...x, name, shape, full: shape[featureAxis(shape)], keep: undefined };
  }

  concat(xs: Tensor[], axis: number): Tensor {
    const name = this.g.op('Concat', xs.map((x) => x.name), { axis }, this.nextName('concat'));
    const shape = [...xs[0].shape];
    shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
    return { ...xs[0], name, shape, full: shape[featureAxis(shape)], keep: undefined };
  }

  mulScalar(x: Tensor, value: number): Tensor {
    const name = this.g.op('Mul', [x.name, this.scalar(value)], {}, this.nextName('scale'));
    return { ...x, name, mean: x.mean * value, m2: x.m2 * value * value };
  }

  softmax(x: Tensor, axis = -1): Tensor {
    const name = this.g.op('Softmax', [x.name], { axis }, this.nextName('softmax'));
    const n = x.shape[x.shape.length - 1];
    return { ...x, name, mean: 1 / n, m2: 1 / n, afterRelu: false };
  }

  /** GELU, exact (Erf-based): 0.5 x (1 + erf(x / sqrt 2)). */
  gelu(x: Tensor): Tensor {
    const d = this.g.op('Div', [x.name, this.scalar(Math.SQRT2)], {}, this.nextName('gelu_div'));
    const e = this.g.op('Erf', [d], {}, this.nextName('gelu_erf'));
    const p = this.g.op('Add', [e, this.scalar(1)], {}, this.nextName('gelu_add'));
    const m = this.g.op('Mul', [x.name, p], {}, this.nextName('gelu_mul'));
    const name = this.g.op('Mul', [m, this.scalar(0.5)], {}, this.nextName('gelu'));
    return { ...x, name, mean: 0.4, m2: x.m2 / 2, afterRelu: false };
  }

  /** LayerNormalization over the last axis (opset 17 op, or decomposed), gamma 1, beta 0 (their initial values). */
  layerNorm(x: Tensor, mode: 'fused' | 'decomposed', base: string): Tensor {
    const hdim = x.shape[x.shape.length - 1];
    const gamma = this.g.initializer(`${base}.gamma`, [hdim], new Float32Array(hdim).fill(1));
    const beta = this.g.initializer(`${base}.beta`, [hdim], new Float32Array(hdim));
    const eps = 1e-12;
    let name: string;
    if (mode === 'fused') {
      name = this.g.node('LayerNormalization', [x.name, gamma, beta], [`${base}.out`], { axis: -1, epsilon: f(eps) }, { name: base })[0];
    } else {
      const mean = this.g.op('ReduceMean', [x.name], { axes: [-1], keepdims: 1 }, `${base}.mean`);
      const d = this.g.op('Sub', [x.name, mean], {}, `${base}.sub`);
      const sq = this.g.op('Mul', [d, d], {}, `${base}.sq`);
      const v = this.g.op('ReduceMean', [sq], { axes: [-1], keepdims: 1 }, `${base}.var`);
      const sd = this.g.op('Sqrt', [this.g.op('Add', [v, this.scalar(eps)], {}, `${base}.add_eps`)], {}, `${base}.std`);
      const nrm = this.g.op('Div', [d, sd], {}, `${base}.div`);
      name = this.g.op('Add', [this.g.op('Mul', [nrm, gamma], {}, `${base}.mul_gamma`), beta], {}, `${base}.out`);
    }
    return { ...x, name, mean: 0, m2: 1, afterRelu: false };
  }

  /** Sum of float initializer elements. */
  paramCount(): number {
    let total = 0;
    for (const t of this.g.initializers) if (t.dataType === DataType.FLOAT) total += prod((t.dims ?? []).map(Number));
    return total;
  }
}
