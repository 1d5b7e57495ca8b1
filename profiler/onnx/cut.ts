// Cutting a model into layers: standalone ONNX sub-models whose inputs and outputs are the tensors
// that cross each cut, with shapes resolved by running the whole model once, and verified by
// running the layers in chain.
//
// 1. Capture: the whole model runs once on the CPU EP with every top-level node output exposed as a
//    graph output; this gives every tensor's type, concrete dims and data (realistic layer inputs).
// 2. Partition (nodes in topological order; Constant nodes are never cut tensors: each is copied
//    into every layer that consumes it, including through a subgraph's outer-scope reference):
//    - 'node': one layer per node.
//    - 'group': a compute op (COMPUTE_OPS: Conv, MatMul, Gemm, ConvTranspose, attention, RNNs,
//      If/Loop/Scan, and ops of custom domains) starts a group; every other op (element-wise,
//      normalisation, activation, pooling, shape ops) joins the latest group that produced one of its
//      inputs (so a branch's activation stays with its own conv), or the latest group when none did.
//      Ops before the first compute op join the first group. Every edge then goes from a group to
//      the same or a later one, so groups run in index order.
//    - N: consecutive groups merged into min(N, groups) layers of balanced FLOPs.
//    - 'group' with groupsOf k: every k consecutive groups merged into one layer (the live runtime's
//      group:K granularity; layer i holds groups [ik, ik + k), as a profile's layers are grouped).
//    Control-flow nodes are never split: their subgraphs' outer-scope references become inputs of
//    the layer that holds them (or its initializers / copied Constants).
// 3. Each layer becomes a model with the same IR version, opsets and model-local functions, only the
//    initializers it uses, inputs = tensors crossing into it, outputs = tensors used by later layers
//    or graph outputs, and value_info with the captured shapes.
// 4. Verification: see Verification.
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import type { TensorInfo } from '../types';
import { valueInfo } from './builder';
import { nodeCost, tensorBytes, type NodeCost, type TensorMeta } from './flops';
import { assertInlineSize, elemBytes, elemTypeOf, forEachGraph, num, ortTypeOf, sessionBytes, STANDARD_DOMAINS, type LoadedModel } from './model';
import { resolveInputShapes, sampleInputs, type InputValue } from './shapes';
import { asNumbers } from './values';

export type Granularity = 'node' | 'group' | number;

/** A tensor captured from the sample run (graph inputs, intermediates, outputs). */
export interface CapturedTensor {
  /** onnxruntime-node type string. */
  type: string;
  dims: number[];
  data: ort.Tensor['data'];
}

export interface CutLayer {
  index: number;
  /** e.g. "L007_Conv_12" (first compute node of the layer). */
  name: string;
  /** Canonical names (LoadedModel.nodeNames) of this layer's nodes, in graph order; duplicated Constant nodes are not listed. */
  nodes: string[];
  opTypes: string[];
  /** Constant nodes copied into this layer because its nodes consume them. */
  constants: string[];
  /** Tensors that cross the cut into this layer (graph inputs or outputs of earlier layers), resolved. */
  inputs: TensorInfo[];
  /** Tensors this layer produces that later layers consume, or that are graph outputs. */
  outputs: TensorInfo[];
  /** The layer as a standalone ONNX model. */
  bytes: Uint8Array;
  /** FLOPs of the layer's nodes (see flops.ts for the rules). */
  flops: number;
  /** Bytes read and written at the layer's boundary: inputs + outputs + weights. */
  bytesMoved: number;
  /** Initializers and Constant tensors the layer uses, bytes. */
  weightBytes: number;
}

export interface CutOptions {
  granularity?: Granularity;
  /** With 'group' granularity: merge every `groupsOf` consecutive groups into one layer (default 1). */
  groupsOf?: number;
  /** Shapes for inputs with dynamic dims (see resolveInputShapes). */
  shapes?: Record<string, number[]>;
  /** Seed of the sample input (default 1). */
  seed?: number;
  inputValues?: Record<string, InputValue>;
  /** Verify by running the layers in chain (default true). */
  verify?: boolean;
  /** Tolerance of the verification (default rel 1e-5). */
  tolerance?: { rel: number };
  /** ORT optimization level of the capture run and the primary verification (default 'disabled'). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Other levels at which the chain is also checked (default ['all']; [] to skip). */
  alsoCheckLevels?: ('disabled' | 'basic' | 'extended' | 'all')[];
  intraOpNumThreads?: number;
  /** Progress: phase and how many of its steps are done. */
  onProgress?: (p: { phase: 'capture' | 'cut' | 'verify'; done: number; total: number }) => void;
  /** Cancels the cut between steps (rejects with the signal's reason). */
  signal?: AbortSignal;
}

/**
 * Verification of a cut. The primary check runs the whole model and the chained layers with the same
 * ORT graph optimization level (default 'disabled': every node then runs the same kernel in both, so
 * any difference is the cut's fault). With optimizations on, ORT fuses across what are layer
 * boundaries in the cut (Conv+BatchNorm folding, Conv+Add+activation fusion, approximated Sigmoid in
 * fused kernels) and the chain differs from the whole model by float rounding; those figures are
 * reported in `otherLevels` and only their load/run failures count against `passed`.
 */
export interface Verification extends ChainCheck {
  passed: boolean;
  tolerance: { rel: number };
  /** How the relative error is defined. */
  relErrorDefinition: string;
  /** The same chain check at other optimization levels (default: 'all'). */
  otherLevels: ChainCheck[];
}

export interface CutResult {
  model: {
    name: string; path?: string; sha256: string; opsets: Record<string, number>; irVersion: number; nodeCount: number;
    /** Graph inputs and outputs with the resolved (sample-run) types and dims. */
    inputs: TensorInfo[]; outputs: TensorInfo[];
  };
  granularity: Granularity;
  inputShapes: Record<string, number[]>;
  layers: CutLayer[];
  /** Sample tensors by name: graph inputs and every intermediate and output of the whole-model run. */
  tensors: Map<string, CapturedTensor>;
  verification: Verification;
  timings: { captureMs: number; cutMs: number; verifyMs: number };
  warnings: string[];
}

/** Ops that start a group at 'group' granularity (and custom-domain ops, which are assumed heavy). */
export const COMPUTE_OPS = new Set([
  'Conv', 'ConvTranspose', 'ConvInteger', 'QLinearConv', 'FusedConv', 'NhwcConv', 'DeformConv',
  'MatMul', 'MatMulInteger', 'QLinearMatMul', 'FusedMatMul', 'MatMulNBits', 'Gemm', 'Einsum',
  'LSTM', 'GRU', 'RNN', 'Attention', 'MultiHeadAttention', 'GroupQueryAttention', 'DecoderMaskedMultiHeadAttention',
  'If', 'Loop', 'Scan',
]);
const CONTROL_FLOW = new Set(['If', 'Loop', 'Scan']);

export const REL_ERROR_DEFINITION =
  'rel = |a - b| / max(|b|, 1e-6 * max|b| over the output tensor, 1e-30), b = whole model, a = chained layers; max over all elements and outputs';

type Level = NonNullable<CutOptions['graphOptimizationLevel']>;

function isControlFlow(n: onnx.INodeProto): boolean {
  return (!n.domain || n.domain === 'ai.onnx') && CONTROL_FLOW.has(n.opType ?? '');
}

function isCompute(n: onnx.INodeProto): boolean {
  if (n.domain && !STANDARD_DOMAINS.has(n.domain) && n.domain !== 'com.microsoft') return true;
  return COMPUTE_OPS.has(n.opType ?? '');
}

function subgraphsOf(n: onnx.INodeProto): { attr: string; graph: onnx.IGraphProto }[] {
  const out: { attr: string; graph: onnx.IGraphProto }[] = [];
  for (const a of n.attribute ?? []) {
    if (a.g) out.push({ attr: a.name ?? '', graph: a.g });
    for (const g of a.graphs ?? []) out.push({ attr: a.name ?? '', graph: g });
  }
  return out;
}

/** Names a graph uses from its enclosing scopes (outer-scope references), in order of first use. */
export function outerScopeRefs(g: onnx.IGraphProto): string[] {
  const defined = new Set<string>(['']);
  for (const i of g.input ?? []) defined.add(i.name ?? '');
  for (const t of g.initializer ?? []) defined.add(t.name ?? '');
  for (const s of g.sparseInitializer ?? []) defined.add(s.values?.name ?? '');
  const refs: string[] = [];
  const seen = new Set<string>();
  const use = (name: string) => {
    if (!defined.has(name) && !seen.has(name)) {
      seen.add(name);
      refs.push(name);
    }
  };
  for (const n of g.node ?? []) {
    for (const i of n.input ?? []) use(i);
    for (const { graph } of subgraphsOf(n)) for (const r of outerScopeRefs(graph)) use(r);
    for (const o of n.output ?? []) defined.add(o);
  }
  for (const o of g.output ?? []) use(o.name ?? '');
  return refs;
}

/** Every tensor a node needs from the graph it sits in: its inputs and its subgraphs' outer references. */
function usesOf(n: onnx.INodeProto): string[] {
  const out = new Set<string>();
  for (const i of n.input ?? []) if (i) out.add(i);
  for (const { graph } of subgraphsOf(n)) for (const r of outerScopeRefs(graph)) out.add(r);
  return [...out];
}

function storedTensorBytes(t: onnx.ITensorProto): number {
  const count = (t.dims ?? []).reduce((a: number, d) => a * num(d), 1);
  return Math.ceil(count * elemBytes(t.dataType ?? 0));
}

/** Bytes of every initializer and Constant value inside a graph, nested graphs included. */
function graphWeightBytes(g: onnx.IGraphProto): number {
  let total = 0;
  forEachGraph(g, (sg) => {
    for (const t of sg.initializer ?? []) total += storedTensorBytes(t);
    for (const n of sg.node ?? []) for (const a of n.attribute ?? []) if (a.t) total += storedTensorBytes(a.t);
  });
  return total;
}

const metaOfTensor = (t: onnx.ITensorProto): TensorMeta => ({ type: ortTypeOf(t.dataType ?? 0), dims: (t.dims ?? []).map(num) });
const toInfo = (name: string, m: TensorMeta): TensorInfo => ({ name, type: m.type, dims: [...m.dims] });
function vi(name: string, m: TensorMeta, unknownRank?: number): onnx.IValueInfoProto {
  if (unknownRank === undefined) return valueInfo(name, elemTypeOf(m.type), m.dims);
  return { name, type: { tensorType: { elemType: elemTypeOf(m.type), shape: { dim: Array.from({ length: unknownRank }, () => ({})) } } } };
}

function sessionOptions(opts: CutOptions): ort.InferenceSession.SessionOptions {
  // logSeverityLevel 3: ORT's shape-merge warnings on real models are noise here; errors still throw.
  const o: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: opts.graphOptimizationLevel ?? 'disabled', executionProviders: ['cpu'], logSeverityLevel: 3 };
  if (opts.intraOpNumThreads !== undefined) o.intraOpNumThreads = opts.intraOpNumThreads;
  return o;
}

/** A top-level graph indexed for cutting. */
interface Indexed {
  order: number[]; // node indices in topological order
  nodes: onnx.INodeProto[];
  names: string[];
  uses: string[][];
  producer: Map<string, number>;
  inits: Map<string, onnx.ITensorProto>;
  graphOutputs: Set<string>;
  /** Constant nodes copied into each consumer layer instead of being cut tensors. */
  dupConst: boolean[];
}

function indexGraph(model: LoadedModel): Indexed {
  const g = model.proto.graph!;
  const nodes = g.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producer.set(o, i)));
  const uses = nodes.map(usesOf);
  const graphOutputs = new Set((g.output ?? []).map((o) => o.name ?? ''));
  // Topological order, stable with respect to the file's order (most files are already sorted).
  const order: number[] = [];
  const state = new Uint8Array(nodes.length);
  const visit = (i: number) => {
    if (state[i] === 2) return;
    if (state[i] === 1) throw new Error(`${model.name}: the graph has a cycle through node '${model.nodeNames[i]}'`);
    state[i] = 1;
    for (const u of uses[i]) {
      const p = producer.get(u);
      if (p !== undefined && p !== i) visit(p);
    }
    state[i] = 2;
    order.push(i);
  };
  nodes.forEach((_, i) => visit(i));
  const dupConst = nodes.map((n, i) => (!n.domain || n.domain === 'ai.onnx') && n.opType === 'Constant' && (n.input ?? []).length === 0 && !(n.output ?? []).some((o) => graphOutputs.has(o)) && uses[i].length === 0);
  return {
    order, nodes, names: model.nodeNames, uses, producer, graphOutputs, dupConst,
    inits: new Map((g.initializer ?? []).map((t) => [t.name ?? '', t])),
  };
}

/** Captured tensor → ort.Tensor. */
export function toOrtTensor(t: CapturedTensor): ort.Tensor {
  return new ort.Tensor(t.type as ort.Tensor.Type, t.data as never, t.dims);
}

const fromOrt = (t: ort.Tensor): CapturedTensor => ({ type: t.type, dims: [...t.dims], data: t.data });

async function runOnce(bytes: Uint8Array, feeds: Record<string, ort.Tensor>, opts: CutOptions, fetches?: string[]): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes, sessionOptions(opts));
  try {
    return fetches ? await session.run(feeds, fetches) : await session.run(feeds);
  } finally {
    await session.release();
  }
}

/**
 * Runs the whole model once on the CPU EP with every top-level node output exposed as a graph output
 * (Constant outputs included), and returns every tensor by name, graph inputs included.
 */
export async function captureTensors(model: LoadedModel, feeds: Record<string, ort.Tensor>, opts: CutOptions = {}): Promise<Map<string, CapturedTensor>> {
  assertInlineSize(model);
  const g = model.proto.graph!;
  const outputs = [...(g.output ?? [])];
  const have = new Set(outputs.map((o) => o.name));
  for (const n of g.node ?? []) for (const o of n.output ?? []) if (o && !have.has(o)) {
    have.add(o);
    outputs.push({ name: o });
  }
  const proto = onnx.ModelProto.create({ ...model.proto, graph: onnx.GraphProto.create({ ...g, output: outputs, valueInfo: [] }) });
  const bytes = onnx.ModelProto.encode(proto).finish();
  let results: Record<string, ort.Tensor>;
  try {
    results = await runOnce(bytes, feeds, opts);
  } catch (e) {
    throw new Error(`${model.name}: running the model on the sample input failed on the CPU EP: ${(e as Error).message}`);
  }
  const map = new Map<string, CapturedTensor>();
  for (const [k, v] of Object.entries(feeds)) map.set(k, fromOrt(v));
  for (const [k, v] of Object.entries(results)) map.set(k, fromOrt(v));
  return map;
}

/** Group index per (non-duplicated) node at 'group' granularity; see the module comment. */
function groupNodes(ix: Indexed): number[][] {
  const groupOf = new Map<number, number>();
  const groups: { nodes: number[]; hasCompute: boolean }[] = [];
  for (const i of ix.order) {
    if (ix.dupConst[i]) continue;
    const n = ix.nodes[i];
    let producerGroup = -1;
    for (const u of ix.uses[i]) {
      const p = ix.producer.get(u);
      if (p !== undefined && groupOf.has(p)) producerGroup = Math.max(producerGroup, groupOf.get(p)!);
    }
    let gi: number;
    if (isCompute(n)) {
      const last = groups.length - 1;
      if (last >= 0 && !groups[last].hasCompute && producerGroup <= last) gi = last;
      else {
        groups.push({ nodes: [], hasCompute: false });
        gi = groups.length - 1;
      }
      groups[gi].hasCompute = true;
    } else if (producerGroup >= 0) {
      gi = producerGroup;
    } else if (groups.length > 0) {
      gi = groups.length - 1;
    } else {
      groups.push({ nodes: [], hasCompute: false });
      gi = 0;
    }
    groups[gi].nodes.push(i);
    groupOf.set(i, gi);
  }
  return groups.map((g) => g.nodes);
}

/** Splits weights into k contiguous, non-empty parts with sums near total/k each. */
export function balancedPartition(weights: number[], k: number): number[][] {
  const n = weights.length;
  k = Math.max(1, Math.min(k, n));
  const prefix = [0];
  for (const w of weights) prefix.push(prefix[prefix.length - 1] + w);
  const total = prefix[n];
  const bounds = [0];
  for (let part = 1; part < k; part++) {
    const target = (total * part) / k;
    const lo = bounds[part - 1] + 1;
    const hi = n - (k - part);
    let best = lo;
    for (let j = lo; j <= hi; j++) if (Math.abs(prefix[j] - target) < Math.abs(prefix[best] - target)) best = j;
    bounds.push(best);
  }
  bounds.push(n);
  return Array.from({ length: k }, (_, p) => Array.from({ length: bounds[p + 1] - bounds[p] }, (__, j) => bounds[p] + j));
}

export async function cutModel(model: LoadedModel, opts: CutOptions = {}): Promise<CutResult> {
  const t0 = performance.now();
  const granularity = opts.granularity ?? 'group';
  if (typeof granularity === 'number' && (!Number.isInteger(granularity) || granularity < 1)) {
    throw new Error(`${model.name}: granularity must be 'node', 'group' or a positive integer number of layers, got ${granularity}`);
  }
  const level: Level = opts.graphOptimizationLevel ?? 'disabled';
  const tolerance = opts.tolerance ?? { rel: 1e-5 };
  const inputShapes = resolveInputShapes(model, opts.shapes ?? {});
  const { feeds, warnings: sampleWarnings } = sampleInputs(model, inputShapes, { seed: opts.seed, inputValues: opts.inputValues });
  const warnings = [...model.warnings, ...sampleWarnings];
  for (const d of model.customDomains) warnings.push(`custom domain '${d.domain}' (${d.opTypes.join(', ')}): execution providers without these ops cannot run the layers that hold them`);

  const progress = (phase: 'capture' | 'cut' | 'verify', done: number, total: number) => {
    opts.signal?.throwIfAborted();
    opts.onProgress?.({ phase, done, total });
  };
  progress('capture', 0, 1);
  const tensors = await captureTensors(model, feeds, opts);
  progress('capture', 1, 1);
  const t1 = performance.now();

  const ix = indexGraph(model);
  const meta = (name: string): TensorMeta | undefined => {
    const t = tensors.get(name);
    if (t) return { type: t.type, dims: t.dims };
    const init = ix.inits.get(name);
    return init ? metaOfTensor(init) : undefined;
  };

  // Per-node cost; control-flow nodes count the branch taken on the sample input.
  const costs = new Map<number, NodeCost>();
  const subWeights = new Map<number, number>();
  const unknownOps = new Set<string>();
  for (const i of ix.order) {
    const n = ix.nodes[i];
    const c = nodeCost(n, meta);
    if (isControlFlow(n)) {
      const sub = await controlFlowCost(model, n, ix.names[i], meta, (name) => tensors.get(name), (name) => ix.inits.get(name), opts, warnings, unknownOps);
      c.flops = sub.flops;
      c.bytesMoved += sub.weightBytes;
      subWeights.set(i, sub.weightBytes);
    } else if (c.rule === 'unknown') unknownOps.add(n.opType ?? '');
    costs.set(i, c);
  }
  if (unknownOps.size) warnings.push(`no FLOP rule for ${[...unknownOps].sort().join(', ')}: counted as 0 FLOPs`);

  // Partition into layers (lists of node indices, each in topological order).
  let parts: number[][];
  if (granularity === 'node') parts = ix.order.filter((i) => !ix.dupConst[i]).map((i) => [i]);
  else {
    const groups = groupNodes(ix);
    const k = opts.groupsOf ?? 1;
    if (granularity === 'group' && k > 1) parts = Array.from({ length: Math.ceil(groups.length / k) }, (_, i) => groups.slice(i * k, i * k + k).flat());
    else if (granularity === 'group') parts = groups;
    else {
      if (granularity > groups.length) warnings.push(`asked for ${granularity} layers but the model has only ${groups.length} groups: using ${groups.length}`);
      const w = groups.map((g) => g.reduce((a, i) => a + (costs.get(i)?.flops ?? 0), 0) + 1);
      parts = balancedPartition(w, granularity).map((idxs) => idxs.flatMap((gi) => groups[gi]));
    }
  }
  const pos = new Map(ix.order.map((i, k) => [i, k]));
  parts = parts.filter((p) => p.length > 0).map((p) => [...p].sort((a, b) => pos.get(a)! - pos.get(b)!));

  const layerOf = new Map<number, number>();
  parts.forEach((p, li) => p.forEach((i) => layerOf.set(i, li)));
  const usersOf = new Map<string, Set<number>>();
  parts.forEach((p, li) => p.forEach((i) => ix.uses[i].forEach((u) => {
    if (!usersOf.has(u)) usersOf.set(u, new Set());
    usersOf.get(u)!.add(li);
  })));

  const layers: CutLayer[] = [];
  for (const [li, p] of parts.entries()) {
    progress('cut', li, parts.length);
    layers.push(await buildLayer(model, ix, p, li, meta, usersOf, costs, subWeights, warnings));
  }
  progress('cut', parts.length, parts.length);
  const t2 = performance.now();

  let verification: Verification = {
    maxAbsError: NaN, maxRelError: NaN, passed: false, tolerance, perOutput: [], graphOptimizationLevel: level, relErrorDefinition: REL_ERROR_DEFINITION, layerErrors: [], otherLevels: [],
  };
  if (opts.verify !== false) {
    const levels = (opts.alsoCheckLevels ?? ['all']).filter((l) => l !== level);
    const total = layers.length * (1 + levels.length);
    let done = 0;
    const step = () => progress('verify', ++done, total);
    progress('verify', 0, total);
    const main = await checkChain(model, layers, feeds, tensors, opts, level, step);
    const others: ChainCheck[] = [];
    for (const l of levels) others.push(await checkChain(model, layers, feeds, tensors, opts, l, step));
    verification = {
      ...main,
      tolerance,
      relErrorDefinition: REL_ERROR_DEFINITION,
      otherLevels: others,
      passed: main.layerErrors.length === 0 && others.every((c) => c.layerErrors.length === 0) && main.maxRelError <= tolerance.rel,
    };
  }
  const t3 = performance.now();
  return {
    model: {
      name: model.name, path: model.path, sha256: model.sha256, opsets: model.opsets, irVersion: model.irVersion, nodeCount: model.nodeCount,
      inputs: model.inputs.map((i) => toInfo(i.name, tensors.get(i.name)!)),
      outputs: model.outputs.map((o) => toInfo(o.name, tensors.get(o.name)!)),
    },
    granularity,
    inputShapes,
    layers,
    tensors,
    verification,
    timings: { captureMs: t1 - t0, cutMs: t2 - t1, verifyMs: t3 - t2 },
    warnings,
  };
}

async function buildLayer(
  model: LoadedModel, ix: Indexed, part: number[], li: number, meta: (n: string) => TensorMeta | undefined,
  usersOf: Map<string, Set<number>>, costs: Map<number, NodeCost>, subWeights: Map<number, number>, warnings: string[],
): Promise<CutLayer> {
  const produced = new Set<string>();
  const producedOrder: string[] = [];
  for (const i of part) for (const o of ix.nodes[i].output ?? []) if (o) {
    produced.add(o);
    producedOrder.push(o);
  }
  const constNodes: number[] = [];
  const inits: onnx.ITensorProto[] = [];
  const inputs: string[] = [];
  const seen = new Set<string>();
  for (const i of part) {
    for (const u of ix.uses[i]) {
      if (seen.has(u) || produced.has(u)) continue;
      seen.add(u);
      const p = ix.producer.get(u);
      if (p !== undefined && ix.dupConst[p]) constNodes.push(p);
      else if (ix.inits.has(u) && p === undefined) inits.push(ix.inits.get(u)!);
      else inputs.push(u);
    }
  }
  let outputs = producedOrder.filter((o) => ix.graphOutputs.has(o) || [...(usersOf.get(o) ?? [])].some((l) => l !== li));
  if (outputs.length === 0) {
    outputs = producedOrder.filter((o) => meta(o));
    warnings.push(`layer ${li} (${ix.names[part[0]]}) feeds nothing later and no graph output; all its tensors are exposed as outputs`);
  }
  const need = (name: string): TensorMeta => {
    const m = meta(name);
    if (!m) throw new Error(`${model.name}: tensor '${name}' crosses the cut at layer ${li} but has no captured type and shape (is it a sequence or optional value?)`);
    return m;
  };
  const outSet = new Set(outputs);
  constNodes.sort((a, b) => a - b);
  const nodeProtos = [...constNodes, ...part].map((i) => onnx.NodeProto.create({ ...ix.nodes[i], name: ix.names[i] }));
  // relaxed: inputs and outputs keep type and rank but declare unknown dims, and no value_info.
  const encode = (relaxed: boolean): Uint8Array => {
    const decl = (n: string) => (relaxed ? vi(n, { ...need(n), dims: [] }, need(n).dims.length) : vi(n, need(n)));
    const proto = onnx.ModelProto.create({
      irVersion: model.proto.irVersion,
      opsetImport: model.proto.opsetImport,
      producerName: 'tessera-cut',
      producerVersion: '1',
      functions: model.proto.functions,
      graph: onnx.GraphProto.create({
        name: `${model.name}_layer${li}`,
        node: nodeProtos,
        initializer: inits,
        input: inputs.map(decl),
        output: outputs.map(decl),
        valueInfo: relaxed ? [] : producedOrder.filter((o) => !outSet.has(o) && meta(o)).map((o) => vi(o, meta(o)!)),
      }),
    });
    return onnx.ModelProto.encode(proto).finish();
  };
  let bytes = encode(false);
  // ONNX Runtime's shape inference inside control-flow subgraphs can fail when the outer tensors have
  // fully concrete shapes and graph optimizations are on (seen with Silero VAD's If branches and
  // LSTM). Such layers declare their boundary dims as unknown instead; the resolved dims are still
  // reported in `inputs` / `outputs`.
  if (part.some((i) => isControlFlow(ix.nodes[i]))) {
    const loads = async (b: Uint8Array) => {
      try {
        const s = await ort.InferenceSession.create(b, { graphOptimizationLevel: 'all', executionProviders: ['cpu'], logSeverityLevel: 3 });
        await s.release();
        return null;
      } catch (e) {
        return (e as Error).message.split('\n')[0];
      }
    };
    const err = await loads(bytes);
    if (err !== null) {
      const relaxed = encode(true);
      if ((await loads(relaxed)) === null) {
        bytes = relaxed;
        warnings.push(`layer ${li} (${ix.names[part.find((i) => isControlFlow(ix.nodes[i]))!]}): ONNX Runtime rejects it with concrete boundary shapes when optimizing (${err}); its model declares unknown dims instead`);
      }
    }
  }
  const weightBytes = inits.reduce((a, t) => a + storedTensorBytes(t), 0)
    + constNodes.reduce((a, i) => a + (ix.nodes[i].attribute ?? []).reduce((b, at) => b + (at.t ? storedTensorBytes(at.t) : 0), 0), 0)
    + part.reduce((a, i) => a + (subWeights.get(i) ?? 0), 0);
  const inputInfos = inputs.map((n) => toInfo(n, need(n)));
  const outputInfos = outputs.map((n) => toInfo(n, need(n)));
  const primary = part.find((i) => isCompute(ix.nodes[i])) ?? part[0];
  return {
    index: li,
    name: part.length === 1 ? ix.names[primary] : `${ix.names[primary]} (+${part.length - 1})`,
    nodes: part.map((i) => ix.names[i]),
    opTypes: part.map((i) => ix.nodes[i].opType ?? ''),
    constants: constNodes.map((i) => ix.names[i]),
    inputs: inputInfos,
    outputs: outputInfos,
    bytes,
    flops: part.reduce((a, i) => a + (costs.get(i)?.flops ?? 0), 0),
    bytesMoved: [...inputInfos, ...outputInfos].reduce((a, t) => a + tensorBytes(t), 0) + weightBytes,
    weightBytes,
  };
}

/**
 * FLOPs of a control-flow node. If: the branch taken on the sample input, run once on its own with
 * every intermediate exposed so its nodes' shapes are known (nested If nodes recurse). Loop / Scan:
 * not counted (0), with a warning.
 */
async function controlFlowCost(
  model: LoadedModel, node: onnx.INodeProto, nodeName: string, meta: (n: string) => TensorMeta | undefined,
  value: (n: string) => CapturedTensor | undefined, initializer: (n: string) => onnx.ITensorProto | undefined,
  opts: CutOptions, warnings: string[], unknownOps: Set<string>,
): Promise<{ flops: number; weightBytes: number }> {
  if (node.opType !== 'If') {
    warnings.push(`${nodeName} (${node.opType}): FLOPs of the loop body are not counted`);
    return { flops: 0, weightBytes: subgraphsOf(node).reduce((a, s) => a + graphWeightBytes(s.graph), 0) };
  }
  const cond = value(node.input?.[0] ?? '');
  const branch = subgraphsOf(node).find((s) => s.attr === (cond && Number(cond.data[0]) ? 'then_branch' : 'else_branch'))?.graph;
  if (!cond || !branch) {
    warnings.push(`${nodeName} (If): the branch taken is unknown; its FLOPs are not counted`);
    return { flops: 0, weightBytes: 0 };
  }
  const weightBytes = graphWeightBytes(branch);
  const refs = outerScopeRefs(branch);
  const innerOutputs: string[] = [];
  for (const n of branch.node ?? []) for (const o of n.output ?? []) if (o) innerOutputs.push(o);
  if (innerOutputs.length === 0) return { flops: 0, weightBytes };
  const feeds: Record<string, ort.Tensor> = {};
  const inits = new Map((branch.initializer ?? []).map((t) => [t.name ?? '', t]));
  const outerInits: onnx.ITensorProto[] = [];
  const fed: string[] = [];
  for (const r of refs) {
    const init = initializer(r);
    if (init) {
      outerInits.push(init);
      continue;
    }
    fed.push(r);
    const v = value(r);
    if (!v) {
      warnings.push(`${nodeName} (If): outer tensor '${r}' of the taken branch was not captured; its FLOPs are not counted`);
      return { flops: 0, weightBytes };
    }
    feeds[r] = toOrtTensor(v);
  }
  const proto = onnx.ModelProto.create({
    irVersion: model.proto.irVersion,
    opsetImport: model.proto.opsetImport,
    functions: model.proto.functions,
    graph: onnx.GraphProto.create({
      name: `${nodeName}_branch`,
      node: branch.node,
      initializer: [...(branch.initializer ?? []), ...outerInits],
      input: fed.map((r) => vi(r, meta(r)!)),
      output: innerOutputs.map((name) => ({ name })),
    }),
  });
  let results: Record<string, ort.Tensor>;
  try {
    results = await runOnce(onnx.ModelProto.encode(proto).finish(), feeds, opts);
  } catch (e) {
    warnings.push(`${nodeName} (If): could not run the taken branch alone to size it (${(e as Error).message.split('\n')[0]}); its FLOPs are not counted`);
    return { flops: 0, weightBytes };
  }
  const local = (n: string): CapturedTensor | undefined => (results[n] ? fromOrt(results[n]) : value(n));
  const localInit = (n: string): onnx.ITensorProto | undefined => inits.get(n) ?? initializer(n);
  const localMeta = (n: string): TensorMeta | undefined => {
    const r = results[n];
    if (r) return { type: r.type, dims: [...r.dims] };
    const t = inits.get(n);
    return t ? metaOfTensor(t) : meta(n);
  };
  let flops = 0;
  for (const n of branch.node ?? []) {
    if (isControlFlow(n)) flops += (await controlFlowCost(model, n, `${nodeName}/${n.name || n.opType}`, localMeta, local, localInit, opts, warnings, unknownOps)).flops;
    else {
      const c = nodeCost(n, localMeta);
      if (c.rule === 'unknown') unknownOps.add(n.opType ?? '');
      flops += c.flops;
    }
  }
  return { flops, weightBytes };
}

/** Max abs and max rel error of `actual` against `expected` (see REL_ERROR_DEFINITION). */
export function compareTensors(actual: { type: string; dims: readonly number[]; data: unknown }, expected: { type: string; dims: readonly number[]; data: unknown }): { maxAbsError: number; maxRelError: number } {
  if (actual.type !== expected.type || actual.dims.length !== expected.dims.length || actual.dims.some((d, i) => d !== expected.dims[i])) {
    return { maxAbsError: Infinity, maxRelError: Infinity };
  }
  if (expected.type === 'string') {
    const a = actual.data as string[];
    const b = expected.data as string[];
    const same = a.every((v, i) => v === b[i]);
    return { maxAbsError: same ? 0 : Infinity, maxRelError: same ? 0 : Infinity };
  }
  const a = asNumbers(actual);
  const b = asNumbers(expected);
  let scale = 0;
  for (let i = 0; i < b.length; i++) if (Number.isFinite(b[i])) scale = Math.max(scale, Math.abs(b[i]));
  const floor = Math.max(1e-6 * scale, 1e-30);
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < b.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    const d = Math.abs(x - y);
    if (!Number.isFinite(d)) return { maxAbsError: Infinity, maxRelError: Infinity };
    maxAbs = Math.max(maxAbs, d);
    maxRel = Math.max(maxRel, d / Math.max(Math.abs(y), floor));
  }
  return { maxAbsError: maxAbs, maxRelError: maxRel };
}

/** The chain compared with the whole model at one ORT graph optimization level. */
export interface ChainCheck {
  graphOptimizationLevel: string;
  maxAbsError: number;
  maxRelError: number;
  perOutput: { name: string; maxAbsError: number; maxRelError: number }[];
  /** Layers that failed to load or run, or whose outputs differ in type or dims from the resolved ones. */
  layerErrors: { layer: number; name: string; error: string }[];
}

/**
 * Runs the layers in chain (each layer fed from earlier layers' outputs, never from the capture) and
 * compares the graph outputs with a separate run of the whole, unmodified model, both with the same
 * session options (graph optimization level, threads). A layer that fails to load or run is
 * recorded, and the chain goes on with captured tensors standing in for that layer's outputs, so
 * every layer is still tried.
 */
export async function checkChain(
  model: LoadedModel, layers: CutLayer[], feeds: Record<string, ort.Tensor>, tensors: Map<string, CapturedTensor>,
  opts: CutOptions, level: Level, onLayer?: () => void,
): Promise<ChainCheck> {
  const o = { ...opts, graphOptimizationLevel: level };
  let reference: Record<string, ort.Tensor>;
  try {
    reference = await runOnce(sessionBytes(model), feeds, o);
  } catch (e) {
    throw new Error(`${model.name}: the whole model failed to run on the sample input (optimization level ${level}): ${(e as Error).message}`);
  }
  const values = new Map<string, ort.Tensor>(Object.entries(feeds));
  const layerErrors: { layer: number; name: string; error: string }[] = [];
  for (const layer of layers) {
    const lf: Record<string, ort.Tensor> = {};
    for (const inp of layer.inputs) lf[inp.name] = values.get(inp.name) ?? toOrtTensor(tensors.get(inp.name)!);
    try {
      const out = await runOnce(layer.bytes, lf, o);
      for (const info of layer.outputs) {
        const t = out[info.name];
        if (!t) throw new Error(`output '${info.name}' missing`);
        if (t.type !== info.type || t.dims.length !== info.dims.length || t.dims.some((d, k) => d !== info.dims[k])) {
          throw new Error(`output '${info.name}' is ${t.type} [${t.dims.join(',')}], resolved as ${info.type} [${info.dims.join(',')}]`);
        }
        values.set(info.name, t);
      }
    } catch (e) {
      layerErrors.push({ layer: layer.index, name: layer.name, error: (e as Error).message.split('\n')[0] });
      for (const info of layer.outputs) values.set(info.name, toOrtTensor(tensors.get(info.name)!));
    }
    onLayer?.();
  }
  const perOutput = model.outputs.map(({ name }) => {
    const a = values.get(name);
    const b = reference[name];
    if (!a || !b) return { name, maxAbsError: Infinity, maxRelError: Infinity };
    return { name, ...compareTensors(a, b) };
  });
  return {
    graphOptimizationLevel: level,
    maxAbsError: Math.max(0, ...perOutput.map((p) => p.maxAbsError)),
    maxRelError: Math.max(0, ...perOutput.map((p) => p.maxRelError)),
    perOutput,
    layerErrors,
  };
}

/** ort.Tensor feeds for one layer, from the captured sample tensors. */
export function layerFeeds(cut: CutResult, layerIndex: number): Record<string, ort.Tensor> {
  const layer = cut.layers[layerIndex];
  if (!layer) throw new Error(`layerFeeds: ${cut.model.name} has no layer ${layerIndex} (it has ${cut.layers.length})`);
  const feeds: Record<string, ort.Tensor> = {};
  for (const inp of layer.inputs) {
    const t = cut.tensors.get(inp.name);
    if (!t) throw new Error(`layerFeeds: ${cut.model.name} layer ${layerIndex} input '${inp.name}' was not captured`);
    feeds[inp.name] = toOrtTensor(t);
  }
  return feeds;
}
