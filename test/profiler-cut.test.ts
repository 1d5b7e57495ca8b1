// Cutting models into layers: structure of the cut, standalone layer models, chained verification,
// on small built models and on the real PP-OCR and Silero VAD models.
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { DataType, f, GraphBuilder, seededWeights, tensor, valueInfo } from '../profiler/onnx/builder';
import { balancedPartition, compareTensors, cutModel, layerFeeds, type CutResult, type Granularity } from '../profiler/onnx/cut';
import { loadModelSync, type LoadedModel } from '../profiler/onnx/model';

const ASSETS = join(__dirname, '..', 'node_modules', '@gutenye', 'ocr-models', 'assets');
const VAD = join(__dirname, '..', 'node_modules', '@ricky0123', 'vad-web', 'dist', 'silero_vad_v5.onnx');

let seed = 100;
function conv(g: GraphBuilder, x: string, cin: number, cout: number, k = 3, group = 1): string {
  const w = g.initializer(g.fresh('w'), [cout, cin / group, k, k], seededWeights((cout * cin * k * k) / group, seed++, (cin * k * k) / group));
  const b = g.initializer(g.fresh('b'), [cout], seededWeights(cout, seed++, 1));
  return g.op('Conv', [x, w, b], { pads: [k >> 1, k >> 1, k >> 1, k >> 1], group });
}
function bn(g: GraphBuilder, x: string, c: number): string {
  const scale = g.initializer(g.fresh('s'), [c], Float32Array.from(seededWeights(c, seed++, 1), (v) => 1 + v / 4));
  const bias = g.initializer(g.fresh('bb'), [c], seededWeights(c, seed++, 1));
  const mean = g.initializer(g.fresh('m'), [c], seededWeights(c, seed++, 1));
  const v = g.initializer(g.fresh('v'), [c], Float32Array.from(seededWeights(c, seed++, 1), (x) => 1 + Math.abs(x)));
  return g.op('BatchNormalization', [x, scale, bias, mean, v], { epsilon: f(1e-5) });
}
const load = (g: GraphBuilder) => loadModelSync(g.toBytes(), { name: g.name });
/** The decoded graph of a model (protobufjs decodes repeated fields as arrays, never null). */
const graphOf = (m: LoadedModel | Uint8Array): onnx.GraphProto => (m instanceof Uint8Array ? onnx.ModelProto.decode(m).graph : m.proto.graph) as onnx.GraphProto;

/** Structural invariants every cut must hold, independent of ONNX Runtime. */
function checkStructure(model: LoadedModel, cut: CutResult): void {
  const nodes = graphOf(model).node;
  const graphOutputs = new Set(model.outputs.map((o) => o.name));
  const listed = cut.layers.flatMap((l) => l.nodes);
  // Every node in exactly one layer, except Constants (copied into their consumers' layers).
  expect(new Set(listed).size).toBe(listed.length);
  expect(new Set(listed)).toEqual(new Set(model.nodeNames.filter((_, i) => nodes[i].opType !== 'Constant' || graphOutputs.has(nodes[i].output?.[0] ?? ''))));
  for (const l of cut.layers) for (const c of l.constants) expect(nodes[model.nodeNames.indexOf(c)].opType).toBe('Constant');
  const available = new Set(model.inputs.map((i) => i.name));
  for (const layer of cut.layers) {
    const proto = onnx.ModelProto.decode(layer.bytes);
    const g = proto.graph as onnx.GraphProto;
    expect(Number(proto.irVersion)).toBe(model.irVersion);
    expect(proto.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual(model.proto.opsetImport.map((o) => [o.domain, Number(o.version)]));
    // Inputs cross the cut: produced by an earlier layer or a graph input; never a Constant's output or an initializer.
    for (const inp of layer.inputs) expect(available.has(inp.name), `${layer.name} input ${inp.name}`).toBe(true);
    expect(g.input.map((i) => i.name)).toEqual(layer.inputs.map((i) => i.name));
    expect(g.output.map((o) => o.name)).toEqual(layer.outputs.map((o) => o.name));
    // Only the initializers it uses.
    const used = new Set<string>();
    const collect = (gr: onnx.IGraphProto) => {
      for (const n of gr.node ?? []) {
        for (const i of n.input ?? []) used.add(i);
        for (const a of n.attribute ?? []) if (a.g) collect(a.g);
      }
    };
    collect(g);
    for (const t of g.initializer) expect(used.has(t.name ?? ''), `${layer.name} initializer ${t.name}`).toBe(true);
    for (const o of layer.outputs) available.add(o.name);
    // Resolved shapes and types match the captured tensors.
    for (const t of [...layer.inputs, ...layer.outputs]) {
      const c = cut.tensors.get(t.name)!;
      expect([t.type, t.dims]).toEqual([c.type, c.dims]);
    }
  }
  for (const o of model.outputs) expect(available.has(o.name)).toBe(true);
}

async function cutAndCheck(model: LoadedModel, granularity: Granularity, opts: Parameters<typeof cutModel>[1] = {}): Promise<CutResult> {
  const cut = await cutModel(model, { granularity, ...opts });
  expect(cut.verification.layerErrors).toEqual([]);
  for (const other of cut.verification.otherLevels) expect(other.layerErrors, `at ${other.graphOptimizationLevel}`).toEqual([]);
  expect(cut.verification.passed, `${model.name} ${granularity}: rel ${cut.verification.maxRelError}`).toBe(true);
  expect(cut.verification.maxRelError).toBeLessThanOrEqual(1e-5);
  checkStructure(model, cut);
  return cut;
}

describe('cutting built models', () => {
  it('a conv chain: node, group and N layers, FLOPs and bytes per layer', async () => {
    const g = new GraphBuilder('chain', { opset: 13 });
    let x = g.input('x', [1, 3, 16, 16]);
    x = g.op('Relu', [bn(g, conv(g, x, 3, 8), 8)]);
    x = g.op('Clip', [conv(g, x, 8, 8, 3, 8)], {}); // depthwise
    x = g.op('Sigmoid', [g.op('Add', [conv(g, x, 8, 16, 1), g.initializer('c', [1], [0.5], DataType.FLOAT)])]);
    g.node('Identity', [x], ['y']);
    g.output('y', [1, 16, 16, 16]);
    const model = load(g);

    const node = await cutAndCheck(model, 'node');
    expect(node.layers.map((l) => l.opTypes.join('+'))).toEqual(['Conv', 'BatchNormalization', 'Relu', 'Conv', 'Clip', 'Conv', 'Add', 'Sigmoid', 'Identity']);
    const group = await cutAndCheck(model, 'group');
    expect(group.layers.map((l) => l.opTypes.join('+'))).toEqual(['Conv+BatchNormalization+Relu', 'Conv+Clip', 'Conv+Add+Sigmoid+Identity']);
    expect(group.layers[1].inputs).toEqual([{ name: group.layers[0].outputs[0].name, type: 'float32', dims: [1, 8, 16, 16] }]);
    const two = await cutAndCheck(model, 2);
    expect(two.layers).toHaveLength(2);

    // FLOPs: first group = Conv 3->8 3x3 (2*MACs + bias) + BN (2/elem) + Relu (1/elem).
    const out = 8 * 16 * 16;
    expect(group.layers[0].flops).toBe(2 * out * 27 + out + 2 * out + out);
    expect(group.layers[1].flops).toBe(2 * out * 9 + out + out);
    expect(node.layers.reduce((a, l) => a + l.flops, 0)).toBe(group.layers.reduce((a, l) => a + l.flops, 0));
    // Bytes moved = boundary inputs + outputs + weights.
    const l0 = group.layers[0];
    expect(l0.weightBytes).toBe(4 * (8 * 3 * 9 + 8 + 4 * 8));
    expect(l0.bytesMoved).toBe(4 * 3 * 256 + 4 * out + l0.weightBytes);
    expect(group.layers.map((l) => l.name)).toEqual(group.layers.map((l) => `${l.nodes[0]} (+${l.nodes.length - 1})`));
    expect(node.layers.map((l) => l.name)).toEqual(model.nodeNames);
  });

  it('a residual branch and merge: the skip tensor crosses the cut', async () => {
    const g = new GraphBuilder('residual', { opset: 13 });
    const x = g.input('x', [1, 8, 8, 8]);
    const stem = g.op('Relu', [conv(g, x, 8, 8)]);
    const a = g.op('Relu', [conv(g, stem, 8, 8)]);
    const b = conv(g, a, 8, 8);
    const side = g.op('Relu', [conv(g, stem, 8, 4, 1)]); // a parallel branch
    const merged = g.op('Relu', [g.op('Add', [b, stem])]);
    g.node('Concat', [merged, side], ['y'], { axis: 1 });
    g.output('y', [1, 12, 8, 8]);
    const model = load(g);
    const cut = await cutAndCheck(model, 'group');
    expect(cut.layers).toHaveLength(4);
    const withAdd = cut.layers.find((l) => l.opTypes.includes('Add'))!;
    expect(withAdd.opTypes).toEqual(['Conv', 'Add', 'Relu']);
    expect(withAdd.inputs.map((i) => i.name).sort()).toEqual([a, stem].sort());
    // The merge joins the later of its producers; the parallel branch keeps its own Relu, and the
    // final Concat joins it.
    expect(cut.layers[3].opTypes).toEqual(['Conv', 'Relu', 'Concat']);
    expect(cut.layers[3].inputs.map((i) => i.name).sort()).toEqual([merged, stem].sort());
    expect(side).toBeTruthy();
    await cutAndCheck(model, 'node');
    await cutAndCheck(model, 3);
  });

  it('a Constant-heavy model: Constants are copied into each consumer layer, never cut tensors', async () => {
    const g = new GraphBuilder('constants', { opset: 13 });
    let x = g.input('x', [2, 6]);
    const shared = g.node('Constant', [], 1, { value: tensor('k', [6], seededWeights(6, 7, 1)) })[0];
    for (let i = 0; i < 120; i++) {
      const c = g.node('Constant', [], 1, { value: tensor(`c${i}`, [1], Float32Array.of((i % 7) / 10 + 0.5)) })[0];
      x = g.op(i % 2 ? 'Mul' : 'Add', [x, c]);
      if (i % 40 === 0) x = g.op('Add', [g.op('MatMul', [x, g.initializer(g.fresh('w'), [6, 6], seededWeights(36, i, 6))]), shared]);
    }
    const shape = g.node('Constant', [], 1, { value: tensor('shape', [2], [3, 4]) })[0];
    g.node('Reshape', [x, shape], ['y']);
    g.output('y', [3, 4]);
    // An IR-3 style initializer that is also listed as a graph input: not a model input.
    g.inputs.push(valueInfo(g.initializers[0].name!, DataType.FLOAT, [6, 6]));
    const model = load(g);
    expect(model.inputs.map((i) => i.name)).toEqual(['x']);
    expect(model.opCounts.Constant).toBe(122);
    const cut = await cutAndCheck(model, 'group');
    expect(cut.layers, cut.layers.map((l) => l.opTypes.join(',')).join('\n')).toHaveLength(3);
    const sharedName = model.nodeNames[graphOf(model).node.findIndex((n) => n.output?.[0] === shared)];
    expect(cut.layers.filter((l) => l.constants.includes(sharedName))).toHaveLength(3);
    for (const l of cut.layers) expect(l.inputs.every((i) => !i.name.startsWith('constant_'))).toBe(true);
    const node = await cutAndCheck(model, 'node');
    expect(node.layers).toHaveLength(model.nodeCount - 122);
  });

  it('a dynamic-dim model cuts at the given shape and its layers declare the resolved dims', async () => {
    const g = new GraphBuilder('dynamic', { opset: 13 });
    const x = g.input('x', ['batch', 3, 'h', 'w']);
    const y = g.op('Relu', [conv(g, x, 3, 4)]);
    g.node('GlobalAveragePool', [y], ['y']);
    g.output('y', ['batch', 4, 1, 1]);
    const model = load(g);
    await expect(cutModel(model, {})).rejects.toThrow(/input 'x' .* has dynamic dimension 0 \('batch'\).*--shape x=1x3x1x1/);
    const cut = await cutAndCheck(model, 'node', { shapes: { x: [2, 3, 10, 12] } });
    expect(cut.inputShapes).toEqual({ x: [2, 3, 10, 12] });
    const dims = (graphOf(cut.layers[1].bytes).input[0].type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue));
    expect(dims).toEqual([2, 4, 10, 12]);
  });

  it('an If node whose branches use outer-scope tensors stays whole; those tensors become layer inputs', async () => {
    const g = new GraphBuilder('cond', { opset: 13 });
    const x = g.input('x', [1, 4]);
    const flag = g.input('flag', [], DataType.INT64);
    const h = g.op('Relu', [x]);
    const k = g.node('Constant', [], ['k'], { value: tensor('kv', [4, 4], seededWeights(16, 11, 4)) })[0];
    g.initializer('bias', [4], seededWeights(4, 12, 1));
    const zero = g.node('Constant', [], ['zero'], { value: tensor('zv', [], [0]) })[0];
    const cond = g.op('Greater', [flag, zero]);
    const then = new GraphBuilder('then');
    then.node('Add', [then.op('MatMul', [h, k]), 'bias'], ['t_out']);
    then.output('t_out', [1, 4]);
    const other = new GraphBuilder('else');
    other.node('Mul', [h, x], ['e_out']);
    other.output('e_out', [1, 4]);
    const yIf = g.node('If', [cond], ['y_if'], { then_branch: then.toGraph(), else_branch: other.toGraph() })[0];
    g.node('Add', [g.op('Sigmoid', [yIf]), g.op('MatMul', [x, k])], ['y']);
    g.output('y', [1, 4]);
    const model = load(g);

    for (const flagValue of [1, 0]) {
      const cut = await cutAndCheck(model, 'node', { inputValues: { flag: flagValue } });
      const ifLayer = cut.layers.find((l) => l.opTypes.includes('If'))!;
      expect(ifLayer.opTypes).toEqual(['If']);
      expect(ifLayer.inputs.map((i) => i.name).sort()).toEqual([cond, h, 'x'].sort());
      expect(ifLayer.constants).toEqual([model.nodeNames[1]]);
      expect(graphOf(ifLayer.bytes).initializer.map((t) => t.name)).toEqual(['bias']);
      // FLOPs of the branch taken: MatMul 1x4x4 (2*16) + Add 4, or Mul 4.
      expect(ifLayer.flops, cut.warnings.join('\n')).toBe(flagValue ? 36 : 4);
      const group = await cutAndCheck(model, 'group', { inputValues: { flag: flagValue } });
      expect(group.layers.filter((l) => l.opTypes.includes('If'))).toHaveLength(1);
    }
  });

  it('a Loop whose body reads an outer-scope tensor stays whole, and its FLOPs are flagged as not counted', async () => {
    const g = new GraphBuilder('loop', { opset: 13 });
    const x = g.input('x', [2, 3]);
    const h = g.op('Relu', [x]);
    const trips = g.initializer('trips', [], [4]);
    g.initializers.push({ name: 'yes', dims: [], dataType: DataType.BOOL, rawData: Uint8Array.of(1) });
    const yes = 'yes';
    const body = new GraphBuilder('body');
    body.input('i', [], DataType.INT64);
    body.input('c_in', [], DataType.BOOL);
    body.input('v_in', [2, 3]);
    body.node('Identity', ['c_in'], ['c_out']);
    body.node('Add', ['v_in', h], ['v_out']);
    body.output('c_out', [], DataType.BOOL);
    body.output('v_out', [2, 3]);
    const v = g.node('Loop', [trips, yes, x], ['v_final'], { body: body.toGraph() })[0];
    g.node('Mul', [v, h], ['y']);
    g.output('y', [2, 3]);
    const model = load(g);
    const cut = await cutAndCheck(model, 'node');
    const loopLayer = cut.layers.find((l) => l.opTypes.includes('Loop'))!;
    expect(loopLayer.opTypes).toEqual(['Loop']);
    expect(loopLayer.inputs.map((i) => i.name).sort()).toEqual([h, 'x'].sort());
    expect(graphOf(loopLayer.bytes).initializer.map((t) => t.name).sort()).toEqual(['trips', 'yes']);
    expect(loopLayer.flops).toBe(0);
    expect(cut.warnings.join()).toMatch(/Loop_\d+ \(Loop\): FLOPs of the loop body are not counted/);
    // x + 4 * relu(x), times relu(x): the chain reproduces it exactly, so the Loop really ran.
    const xs = cut.tensors.get('x')!.data as Float32Array;
    const ys = cut.tensors.get('y')!.data as Float32Array;
    xs.forEach((xv, i) => expect(ys[i]).toBeCloseTo((xv + 4 * Math.max(0, xv)) * Math.max(0, xv), 5));
    await cutAndCheck(model, 'group');
  });

  it('sorts unsorted nodes, reports progress and resolved I/O, and can be cancelled', async () => {
    const g = new GraphBuilder('unsorted', { opset: 13 });
    const x = g.input('x', [1, 3, 8, 8]);
    g.node('Sigmoid', [conv(g, g.op('Relu', [conv(g, x, 3, 4)]), 4, 2)], ['y']);
    g.output('y', ['n', 2, 8, 8]);
    g.nodes.reverse();
    const model = load(g);
    expect(model.warnings.join()).toMatch(/not in topological order/);
    const seen: string[] = [];
    const cut = await cutAndCheck(model, 'group', { onProgress: (p) => seen.push(`${p.phase}:${p.done}/${p.total}`) });
    expect(cut.layers.map((l) => l.opTypes.join('+'))).toEqual(['Conv+Relu', 'Conv+Sigmoid']);
    expect(seen).toEqual(['capture:0/1', 'capture:1/1', 'cut:0/2', 'cut:1/2', 'cut:2/2', 'verify:0/4', 'verify:1/4', 'verify:2/4', 'verify:3/4', 'verify:4/4']);
    expect(cut.model.outputs).toEqual([{ name: 'y', type: 'float32', dims: [1, 2, 8, 8] }]);
    const ac = new AbortController();
    const cancelled = cutModel(model, { onProgress: (p) => p.phase === 'cut' && ac.abort(new Error('stop')), signal: ac.signal });
    await expect(cancelled).rejects.toThrow('stop');
  });

  it('layerFeeds gives captured inputs that reproduce each layer\'s captured outputs', async () => {
    const g = new GraphBuilder('feeds', { opset: 13 });
    const x = g.input('x', [1, 3, 8, 8]);
    g.node('Relu', [conv(g, g.op('Relu', [conv(g, x, 3, 4)]), 4, 4)], ['y']);
    g.output('y', [1, 4, 8, 8]);
    const cut = await cutModel(load(g), { granularity: 'node' });
    for (const layer of cut.layers) {
      const session = await ort.InferenceSession.create(layer.bytes, { graphOptimizationLevel: 'disabled' });
      const out = await session.run(layerFeeds(cut, layer.index));
      for (const o of layer.outputs) expect(compareTensors(out[o.name], cut.tensors.get(o.name)!).maxAbsError).toBe(0);
      await session.release();
    }
    expect(() => layerFeeds(cut, 99)).toThrow(/feeds has no layer 99 \(it has 4\)/);
  });

  it('verification catches a wrong chain (it can fail)', async () => {
    const g = new GraphBuilder('tamper', { opset: 13 });
    const x = g.input('x', [1, 3, 8, 8]);
    g.node('Relu', [conv(g, x, 3, 4)], ['y']);
    g.output('y', [1, 4, 8, 8]);
    const model = load(g);
    const cut = await cutModel(model, { granularity: 'node' });
    // Swap the first layer for one computing something else with the same interface.
    const evil = onnx.ModelProto.decode(cut.layers[0].bytes);
    const w = (evil.graph as onnx.GraphProto).initializer.find((t) => t.dims?.length === 4)!;
    w.rawData = new Uint8Array(seededWeights(108, 999, 27).buffer);
    const { checkChain } = await import('../profiler/onnx/cut');
    const { sampleInputs } = await import('../profiler/onnx/shapes');
    const tampered = [{ ...cut.layers[0], bytes: onnx.ModelProto.encode(evil).finish() }, ...cut.layers.slice(1)];
    const check = await checkChain(model, tampered, sampleInputs(model, cut.inputShapes).feeds, cut.tensors, {}, 'disabled');
    expect(check.maxRelError).toBeGreaterThan(1e-3);
  });

  it('balances FLOPs for a target number of layers', () => {
    expect(balancedPartition([1, 1, 1, 1, 10, 1, 1, 1, 1], 3)).toEqual([[0, 1, 2, 3], [4], [5, 6, 7, 8]]);
    expect(balancedPartition([5, 5], 4)).toEqual([[0], [1]]);
    expect(balancedPartition([1, 2, 3], 1)).toEqual([[0, 1, 2]]);
  });

  it('compares tensors with a robust relative error', () => {
    const t = (data: number[]) => ({ type: 'float32', dims: [data.length], data: Float32Array.from(data) });
    expect(compareTensors(t([1, 2, 0]), t([1, 2, 0]))).toEqual({ maxAbsError: 0, maxRelError: 0 });
    const e = compareTensors(t([1.5, 100, 1e-9]), t([1, 100, 0]));
    expect(e.maxAbsError).toBeCloseTo(0.5);
    expect(e.maxRelError).toBeCloseTo(0.5); // the 1e-9 vs 0 element is judged against 1e-6 * 100
    expect(compareTensors(t([1, 2]), t([1, 2, 3])).maxRelError).toBe(Infinity);
  });
});

describe('cutting the real models', () => {
  const real: [string, string, Record<string, number[]>, Record<string, number>?][] = [
    ['PP-OCRv4 det', join(ASSETS, 'ch_PP-OCRv4_det_infer.onnx'), { x: [1, 3, 64, 64] }],
    ['PP-OCRv4 rec', join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx'), { x: [1, 3, 48, 160] }],
    ['PP-OCR cls', join(ASSETS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), { x: [1, 3, 48, 192] }],
    ['Silero VAD v5', VAD, { input: [1, 512], state: [2, 1, 128] }, { sr: 16000 }],
  ];
  for (const [label, path, shapes, inputValues] of real) {
    it(`${label}: node, group and 6 layers all verify`, async () => {
      const model = loadModelSync(path);
      const counts: number[] = [];
      const flops: number[] = [];
      for (const granularity of ['node', 'group', 6] as const) {
        const cut = await cutAndCheck(model, granularity, { shapes, inputValues });
        counts.push(cut.layers.length);
        flops.push(cut.layers.reduce((a, l) => a + l.flops, 0));
        expect(cut.layers.every((l) => l.flops >= 0 && l.bytesMoved > 0)).toBe(true);
      }
      // Same model, same FLOPs whatever the cut; fewer layers as the grain coarsens.
      expect(flops[1]).toBe(flops[0]);
      expect(flops[2]).toBe(flops[0]);
      expect(flops[0]).toBeGreaterThan(0);
      expect(counts[0]).toBeGreaterThanOrEqual(counts[1]);
      expect(counts[2]).toBe(Math.min(6, counts[1]));
    });
  }

  it('Silero VAD: the If node stays whole and both recurrent inputs reach it', async () => {
    const model = loadModelSync(VAD);
    const cut = await cutModel(model, { granularity: 'node', shapes: { input: [1, 512], state: [2, 1, 128] }, inputValues: { sr: 16000 } });
    const ifLayer = cut.layers.find((l) => l.opTypes.includes('If'))!;
    expect(ifLayer.inputs.map((i) => i.name).sort()).toEqual(['Equal_0_C', 'input', 'state']);
    expect(ifLayer.weightBytes).toBeGreaterThan(100_000);
    expect(ifLayer.flops).toBeGreaterThan(100_000);
  });
});
