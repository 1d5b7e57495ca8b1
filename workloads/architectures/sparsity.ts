// Input-dependent activation sparsity, measured: the model runs on CPU (onnxruntime-node) with the
// tensors feeding each compute layer (Conv, Gemm, MatMul) added as graph outputs, and the fraction
// of exact zeros (|x| <= threshold) in each is counted, per sample and on average. Dysta's latency
// predictor scales a sparse layer's expected time with this figure.
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { DataType, valueInfo } from '../../profiler/onnx/builder';
import { seededRandom } from '../../profiler/onnx/random';

export interface ActivationSparsityOptions {
  /** Number of inference runs (default 4). Ignored when `inputs` is given (one run per entry). */
  samples?: number;
  /** Seed of the generated inputs (default 1). */
  seed?: number;
  /** Your own inputs, one feed per sample (name -> data). Real images / tokens give different figures. */
  inputs?: Record<string, Float32Array | BigInt64Array>[];
  /** Count |x| <= threshold as zero (default 0: exact zeros only). */
  threshold?: number;
  /** Upper bound (exclusive) of generated int64 token ids; default: rows of the Gather table they index, else 100. */
  tokenRange?: number;
  /** ORT intra-op threads (default: ORT's choice). */
  threads?: number;
}

export interface LayerActivationSparsity {
  node: string;
  op: string;
  /** The activation tensor measured (the layer's input 0). */
  input: string;
  inputShape: number[];
  outputShape: number[];
  /** MACs recomputed from the shapes ORT produced (Conv: out elements x C_in/group x kh x kw; Gemm/MatMul: out elements x K). */
  macs: number;
  /** The input comes from a ReLU / ReLU6 (possibly through MaxPool, Reshape, Flatten, Transpose). */
  afterRelu: boolean;
  elements: number;
  /** Fraction of zeros, averaged over samples. */
  mean: number;
  perSample: number[];
}

export interface ActivationSparsityReport {
  layers: LayerActivationSparsity[];
  samples: number;
  inputs: 'seeded-random' | 'provided';
  inputDescription: string;
  threshold: number;
  /** Unweighted mean over layers. */
  mean: number;
  /** Mean weighted by each layer's MACs (what a MAC-proportional latency model would see). */
  macWeightedMean: number;
  /** Mean over layers fed by a ReLU. */
  afterReluMean: number;
  totalMacs: number;
  notes: string[];
}

const COMPUTE = new Set(['Conv', 'Gemm', 'MatMul']);
const PASSTHROUGH = new Set(['MaxPool', 'Reshape', 'Flatten', 'Transpose', 'Identity', 'Squeeze', 'Unsqueeze']);

/** Standard normal values (Box-Muller on mulberry32). */
export function seededNormal(count: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = Math.max(next(), 1e-12);
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

function zeroFraction(data: ArrayLike<number>, threshold: number): number {
  let z = 0;
  if (threshold === 0) { for (let i = 0; i < data.length; i++) if (data[i] === 0) z++; }
  else for (let i = 0; i < data.length; i++) if (Math.abs(data[i]) <= threshold) z++;
  return data.length ? z / data.length : 0;
}

export async function measureActivationSparsity(bytes: Uint8Array, inputShapes: Record<string, number[]>, options: ActivationSparsityOptions = {}): Promise<ActivationSparsityReport> {
  const threshold = options.threshold ?? 0;
  const seed = options.seed ?? 1;
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph) throw new Error('measureActivationSparsity: model has no graph');
  const inits = new Map<string, number[]>();
  for (const t of graph.initializer ?? []) inits.set(t.name ?? '', (t.dims ?? []).map(Number));
  const graphInputs = new Map<string, number>();
  for (const i of graph.input ?? []) if (!inits.has(i.name ?? '')) graphInputs.set(i.name ?? '', i.type?.tensorType?.elemType ?? DataType.FLOAT);
  for (const name of graphInputs.keys()) if (!inputShapes[name]) throw new Error(`measureActivationSparsity: no shape given for input '${name}'`);
  const producer = new Map<string, onnx.INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  const afterRelu = (tensor: string): boolean => {
    let t = tensor;
    for (let hops = 0; hops < 8; hops++) {
      const p = producer.get(t);
      if (!p) return false;
      if (p.opType === 'Relu') return true;
      if (p.opType === 'Clip') return true; // ReLU6 here; a Clip with a negative minimum would not zero anything
      if (!PASSTHROUGH.has(p.opType ?? '')) return false;
      t = p.input?.[0] ?? '';
    }
    return false;
  };

  const compute = (graph.node ?? []).filter((n) => COMPUTE.has(n.opType ?? '') && n.input?.[0] && !inits.has(n.input[0]));
  if (compute.length === 0) throw new Error('measureActivationSparsity: no Conv/Gemm/MatMul node with an activation input');
  const existingOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const exposed = new Set<string>();
  const expose = (name: string): void => {
    if (graphInputs.has(name) || existingOutputs.has(name) || exposed.has(name)) return;
    exposed.add(name);
    graph.output = [...(graph.output ?? []), valueInfo(name, DataType.FLOAT)];
  };
  for (const n of compute) {
    expose(n.input![0]);
    if (n.input![1] && !inits.has(n.input![1])) expose(n.input![1]); // activation operand or a computed weight
    expose(n.output![0]);
  }
  const patched = onnx.ModelProto.encode(model).finish();
  const session = await ort.InferenceSession.create(patched, {
    executionProviders: ['cpu'],
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
  });

  const gatherRows = (input: string): number | undefined => {
    for (const n of graph.node ?? []) if (n.opType === 'Gather' && n.input?.[1] === input && inits.has(n.input[0])) return inits.get(n.input[0])![0];
    return undefined;
  };
  const provided = options.inputs;
  const samples = provided ? provided.length : options.samples ?? 4;
  if (!(samples >= 1)) throw new Error('measureActivationSparsity: samples must be >= 1');
  const perTensor = new Map<string, number[]>();
  const shapes = new Map<string, number[]>();
  const outNames = [...new Set([...existingOutputs, ...exposed])];
  try {
    for (let s = 0; s < samples; s++) {
      const feeds: Record<string, ort.Tensor> = {};
      const feedData = new Map<string, ArrayLike<number>>();
      for (const [name, elemType] of graphInputs) {
        const shape = inputShapes[name];
        const given = provided?.[s]?.[name];
        if (provided && !given) throw new Error(`measureActivationSparsity: sample ${s} lacks input '${name}'`);
        if (elemType === DataType.INT64) {
          let ids = given as BigInt64Array | undefined;
          if (!ids) {
            const range = options.tokenRange ?? gatherRows(name) ?? 100;
            const next = seededRandom(seed * 7919 + s);
            ids = BigInt64Array.from({ length: prod(shape) }, () => BigInt(Math.floor(next() * range)));
          }
          feeds[name] = new ort.Tensor('int64', ids, shape);
        } else {
          const x = (given as Float32Array | undefined) ?? seededNormal(prod(shape), (seed * 7919 + s) >>> 0);
          if (x.length !== prod(shape)) throw new Error(`measureActivationSparsity: input '${name}' has ${x.length} values, shape ${shape} needs ${prod(shape)}`);
          feeds[name] = new ort.Tensor('float32', x, shape);
          feedData.set(name, x);
        }
      }
      const results = await session.run(feeds, outNames);
      const measured = new Set<string>();
      for (const n of compute) {
        const t = n.input![0];
        const data = feedData.get(t) ?? (results[t]?.data as Float32Array | undefined);
        if (!data) throw new Error(`measureActivationSparsity: tensor ${t} not produced`);
        if (s === 0) {
          shapes.set(t, graphInputs.has(t) ? inputShapes[t] : (results[t].dims as number[]).map(Number));
          const o = n.output![0];
          shapes.set(o, (results[o].dims as number[]).map(Number));
          const b = n.input![1];
          if (b && !inits.has(b) && results[b]) shapes.set(b, (results[b].dims as number[]).map(Number));
        }
        if (!measured.has(t)) {
          measured.add(t);
          (perTensor.get(t) ?? perTensor.set(t, []).get(t)!).push(zeroFraction(data, threshold));
        }
      }
    }
  } finally {
    await session.release();
  }

  const layers: LayerActivationSparsity[] = compute.map((n) => {
    const input = n.input![0];
    const inputShape = shapes.get(input) ?? [];
    const outputShape = shapes.get(n.output![0]) ?? [];
    let macs: number;
    if (n.opType === 'Conv') macs = prod(outputShape) * prod((inits.get(n.input![1]) ?? shapes.get(n.input![1]) ?? []).slice(1));
    else if (n.opType === 'Gemm') {
      const transA = (n.attribute ?? []).find((a) => a.name === 'transA')?.i;
      macs = prod(outputShape) * (Number(transA ?? 0) ? inputShape[0] : inputShape[1]);
    } else macs = prod(outputShape) * inputShape[inputShape.length - 1];
    const perSample = perTensor.get(input)!;
    return {
      node: n.name ?? '', op: n.opType ?? '', input, inputShape, outputShape, macs, afterRelu: afterRelu(input), elements: prod(inputShape),
      mean: perSample.reduce((a, b) => a + b, 0) / perSample.length, perSample,
    };
  });
  const totalMacs = layers.reduce((s, l) => s + l.macs, 0);
  const relu = layers.filter((l) => l.afterRelu);
  const desc = provided
    ? `${samples} provided input sample(s)`
    : `${samples} seeded random sample(s) (seed ${seed}): float inputs ~ N(0, 1) (like normalised images/embeddings), int64 ids uniform; real images or text would give different figures`;
  return {
    layers, samples, inputs: provided ? 'provided' : 'seeded-random', inputDescription: desc, threshold,
    mean: layers.reduce((s, l) => s + l.mean, 0) / layers.length,
    macWeightedMean: totalMacs ? layers.reduce((s, l) => s + l.mean * l.macs, 0) / totalMacs : 0,
    afterReluMean: relu.length ? relu.reduce((s, l) => s + l.mean, 0) / relu.length : 0,
    totalMacs,
    notes: [
      'Sparsity = fraction of exact zeros' + (threshold > 0 ? ` (|x| <= ${threshold})` : '') + ' in the tensor feeding each compute layer (its input 0), measured on CPU with onnxruntime-node.',
      'Per sample = per run of the whole batch. Layers sharing an input tensor share one measurement.',
      'For attention MatMuls input 0 is Q or the Softmax output, which are dense.',
    ],
  };
}
