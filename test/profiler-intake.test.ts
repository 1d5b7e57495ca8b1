// Model intake: loading, external data, errors that name the file, input shapes, sample inputs, FLOPs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType, GraphBuilder, seededWeights } from '../profiler/onnx/builder';
import { cutModel } from '../profiler/onnx/cut';
import { nodeCost, type TensorMeta } from '../profiler/onnx/flops';
import { loadModel, loadModelSync, ModelLoadError, sessionBytes } from '../profiler/onnx/model';
import { parseShapeArgs, parseValueArgs, resolveInputShapes, sampleInputs, ShapeError } from '../profiler/onnx/shapes';

const ASSETS = join(__dirname, '..', 'node_modules', '@gutenye', 'ocr-models', 'assets');
const CLS = join(ASSETS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
const DET = join(ASSETS, 'ch_PP-OCRv4_det_infer.onnx');
const VAD = join(__dirname, '..', 'node_modules', '@ricky0123', 'vad-web', 'dist', 'silero_vad_v5.onnx');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-intake-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small conv model; optionally with a custom-domain node or an older opset. */
function convModel(opts: { opset?: number; custom?: boolean } = {}): GraphBuilder {
  const g = new GraphBuilder('conv', { opset: opts.opset ?? 13 });
  const x = g.input('x', ['N', 3, 8, 8]);
  const w = g.initializer('w', [4, 3, 3, 3], seededWeights(108, 3, 27));
  const b = g.initializer('b', [4], seededWeights(4, 4, 1));
  const c = g.op('Conv', [x, w, b], { pads: [1, 1, 1, 1] });
  const r = g.op('Relu', [c]);
  if (opts.custom) g.node('MyOp', [r], ['y'], {}, { domain: 'com.example' });
  else g.node('Sigmoid', [r], ['y']);
  g.output('y', ['N', 4, 8, 8]);
  return g;
}

describe('loadModel', () => {
  it('loads the real models with opsets, inputs (symbolic, unnamed and fixed dims) and outputs', async () => {
    const det = await loadModel(DET);
    expect(det.name).toBe('ch_PP-OCRv4_det_infer');
    expect(det.opsets).toEqual({ '': 11 });
    expect(det.inputs).toEqual([{ name: 'x', type: 'float32', elemType: 1, dims: ['p2o.DynamicDimension.0', 3, 'p2o.DynamicDimension.1', 'p2o.DynamicDimension.2'] }]);
    expect(det.opCounts.Constant).toBeGreaterThan(300);
    expect(det.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(det.nodeNames).size).toBe(det.nodeCount);
    const cls = loadModelSync(CLS);
    expect(cls.opsets['']).toBe(9);
    const vad = await loadModel(VAD);
    expect(vad.inputs.map((i) => [i.name, i.type, i.dims])).toEqual([
      ['input', 'float32', [null, null]],
      ['state', 'float32', [2, null, 128]],
      ['sr', 'int64', []],
    ]);
    expect(vad.opCounts.If).toBe(1);
  });

  it('lists custom domains', () => {
    const g = convModel({ custom: true });
    const m = g.toModel();
    m.opsetImport!.push({ domain: 'com.example', version: 1 });
    const model = loadModelSync(onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish(), { name: 'custom' });
    expect(model.customDomains).toEqual([{ domain: 'com.example', opTypes: ['MyOp'] }]);
    expect(model.opCounts['com.example:MyOp']).toBe(1);
  });

  it('fails with errors that name the file', async () => {
    const real = readFileSync(CLS);
    const cases: [string, Uint8Array | string, string, RegExp][] = [
      ['truncated.onnx', real.subarray(0, Math.floor(real.length / 2)), 'corrupt', /truncated or corrupt/],
      ['random.onnx', Uint8Array.from(seededWeights(4096, 9, 1), (v) => Math.floor((v + 1) * 127)), '', /truncated or corrupt|not an ONNX model/],
      // Decodes as protobuf, but a node input is defined by nothing.
      ['dangling.onnx', (() => {
        const g = convModel();
        g.nodes[1].input = ['missing_tensor'];
        return g.toBytes();
      })(), 'invalid-graph', /node 'Relu_\d+' uses tensor 'missing_tensor' that nothing defines/],
      ['model.json', JSON.stringify({ graph: { node: [] }, irVersion: 8 }), 'corrupt', /not a readable ONNX model \(it looks like a JSON file\)/],
      ['notes.onnx', 'just some text\n', 'corrupt', /it looks like a text file/],
      ['empty.onnx', new Uint8Array(0), 'not-onnx', /empty/],
      ['old.onnx', convModel({ opset: 8 }).toBytes(), 'opset', /opset 8 is older than 9/],
    ];
    for (const [name, content, code, message] of cases) {
      const p = join(dir, name);
      writeFileSync(p, content);
      const err = await loadModel(p).then(() => null, (e: unknown) => e);
      expect(err, name).toBeInstanceOf(ModelLoadError);
      expect((err as ModelLoadError).message, name).toContain(p);
      expect((err as ModelLoadError).message, name).toMatch(message);
      if (code) expect((err as ModelLoadError).code, name).toBe(code);
    }
    await expect(loadModel(join(dir, 'nope.onnx'))).rejects.toThrow(/nope\.onnx: no such file/);
    mkdirSync(join(dir, 'adir.onnx'), { recursive: true });
    await expect(loadModel(join(dir, 'adir.onnx'))).rejects.toThrow(/adir\.onnx: a directory, not a regular file/);
  });

  it('reads external data relative to the model file, and cut layers carry it inline', async () => {
    const g = convModel();
    const proto = onnx.ModelProto.create(g.toModel());
    const chunks: Buffer[] = [];
    let offset = 0;
    for (const t of (proto.graph as onnx.GraphProto).initializer) {
      const raw = Buffer.from(t.rawData!);
      chunks.push(raw, Buffer.alloc(16 - (raw.length % 16))); // aligned, as onnx's writer does
      t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      t.externalData = [
        { key: 'location', value: 'weights.bin' },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(raw.length) },
      ];
      t.rawData = new Uint8Array(0);
      offset += raw.length + (16 - (raw.length % 16));
    }
    const sub = join(dir, 'ext');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'weights.bin'), Buffer.concat(chunks));
    const path = join(sub, 'model.onnx');
    writeFileSync(path, onnx.ModelProto.encode(proto).finish());

    // ONNX Runtime itself reads this layout from the path: the test writes the standard format.
    const fromPath = await ort.InferenceSession.create(path);
    const x = new ort.Tensor('float32', seededWeights(192, 5, 1), [1, 3, 8, 8]);
    const expected = (await fromPath.run({ x })).y.data as Float32Array;

    const model = await loadModel(path);
    expect(model.externalTensors).toBe(2);
    expect(model.externalDataDir).toBe(sub);
    const inline = await ort.InferenceSession.create(sessionBytes(model));
    expect(Array.from((await inline.run({ x })).y.data as Float32Array)).toEqual(Array.from(expected));

    const cut = await cutModel(model, { granularity: 'node', shapes: { x: [1, 3, 8, 8] } });
    expect(cut.layers.length).toBe(3);
    expect(cut.verification.passed).toBe(true);
    const conv = onnx.ModelProto.decode(cut.layers[0].bytes);
    expect((conv.graph as onnx.GraphProto).initializer.map((t) => [t.name, t.dataLocation ?? 0, t.rawData!.length])).toEqual([['w', 0, 432], ['b', 0, 16]]);

    // The same bytes without their directory, and a missing data file: clear errors.
    expect(() => loadModelSync(readFileSync(path), { name: 'ext-bytes' })).toThrow(/ext-bytes: tensor 'w' is stored as external data; load the model from its file path or pass externalDataDir/);
    expect(loadModelSync(readFileSync(path), { externalDataDir: sub }).externalTensors).toBe(2);
    rmSync(join(sub, 'weights.bin'));
    await expect(loadModel(path)).rejects.toThrow(/model\.onnx: tensor 'w' needs external data file 'weights\.bin', not found/);
  });
});

describe('resolveInputShapes', () => {
  const model = loadModelSync(DET);
  const vad = loadModelSync(VAD);

  it('needs every dynamic dim and names the input, the dim and how to pass it', () => {
    expect(() => resolveInputShapes(model, {})).toThrow(ShapeError);
    expect(() => resolveInputShapes(model, {})).toThrow(
      /input 'x' \[p2o\.DynamicDimension\.0, 3, p2o\.DynamicDimension\.1, p2o\.DynamicDimension\.2\] has dynamic dimension 0 \('p2o\.DynamicDimension\.0'\), dimension 2 \('p2o\.DynamicDimension\.1'\), dimension 3 \('p2o\.DynamicDimension\.2'\); give a concrete shape, e\.g\. --shape x=1x3x1x1/,
    );
    expect(() => resolveInputShapes(vad, { input: [1, 512] })).toThrow(/input 'state' \[2, \?, 128\] has dynamic dimension 1 \(unnamed\).*--shape state=2x1x128/);
  });

  it('rejects a wrong rank, a conflict with a fixed dim, and unknown input names, naming both sides', () => {
    expect(() => resolveInputShapes(model, { x: [1, 3, 64] })).toThrow(/input 'x' has rank 4 .* but the given shape \[1, 3, 64\] has rank 3/);
    expect(() => resolveInputShapes(model, { x: [1, 4, 64, 64] })).toThrow(/input 'x' dimension 1 is fixed to 3 in the model .* but the given shape \[1, 4, 64, 64\] has 4 there/);
    expect(() => resolveInputShapes(model, { x: [1, 3, 64, 64], y: [1] })).toThrow(/names 'y', which is not an input of the model \(inputs: x\)/);
  });

  it('resolves shapes, keeps scalars, and parses --shape arguments', () => {
    expect(resolveInputShapes(model, { x: [1, 3, 64, 64] })).toEqual({ x: [1, 3, 64, 64] });
    expect(resolveInputShapes(vad, parseShapeArgs('input=1x512,state=2x1x128'))).toEqual({ input: [1, 512], state: [2, 1, 128], sr: [] });
    expect(parseShapeArgs(['x=1x3x224x224', 'sr=scalar'])).toEqual({ x: [1, 3, 224, 224], sr: [] });
    expect(() => parseShapeArgs('x=1xtwo')).toThrow(/bad --shape 'x=1xtwo'/);
    expect(parseValueArgs(['sr=16000', 'ids=1,2,3', 'flag=true'])).toEqual({ sr: 16000, ids: [1, 2, 3], flag: 1 });
    expect(() => parseValueArgs('sr=')).toThrow(/bad input value 'sr=': expected NAME=NUMBER/);
    expect(() => parseValueArgs('sr=abc')).toThrow(/bad input value/);
  });

  it('makes seeded sample inputs and takes given values; integer defaults are reported', () => {
    const shapes = resolveInputShapes(vad, { input: [1, 512], state: [2, 1, 128] });
    const a = sampleInputs(vad, shapes, { seed: 3 });
    const b = sampleInputs(vad, shapes, { seed: 3 });
    const c = sampleInputs(vad, shapes, { seed: 4, inputValues: { sr: 16000 } });
    expect(Array.from(a.feeds.input.data as Float32Array)).toEqual(Array.from(b.feeds.input.data as Float32Array));
    expect(Array.from(a.feeds.input.data as Float32Array)).not.toEqual(Array.from(c.feeds.input.data as Float32Array));
    const data = a.feeds.input.data as Float32Array;
    expect(Math.min(...data)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...data)).toBeLessThan(1);
    expect(a.feeds.sr.data).toEqual(BigInt64Array.from([0n]));
    expect(a.warnings.join()).toMatch(/input 'sr' \(int64, scalar\) was filled with 0; pass inputValues/);
    expect(c.feeds.sr.dims).toEqual([]);
    expect(c.feeds.sr.data).toEqual(BigInt64Array.from([16000n]));
    expect(c.warnings).toEqual([]);
    expect(() => sampleInputs(vad, shapes, { inputValues: { sr: [1, 2] } })).toThrow(/inputValues for 'sr' has 2 elements but shape \[\] needs 1/);
  });
});

describe('FLOPs and bytes moved', () => {
  const meta = (m: Record<string, [string, number[]]>) => (n: string): TensorMeta | undefined => (m[n] ? { type: m[n][0], dims: m[n][1] } : undefined);
  const node = (opType: string, input: string[], attrs: Record<string, number> = {}) => {
    const g = new GraphBuilder('n');
    g.node(opType, input, ['y'], attrs);
    return g.nodes[0];
  };

  it('counts 2 x MACs for Conv (groups, bias), ConvTranspose, MatMul and Gemm', () => {
    // Conv 3->8, 3x3, 16x16 out: 8*16*16 outputs x 3*9 MACs each, plus one bias add per output.
    const conv = nodeCost(node('Conv', ['x', 'w', 'b']), meta({ x: ['float32', [1, 3, 16, 16]], w: ['float32', [8, 3, 3, 3]], b: ['float32', [8]], y: ['float32', [1, 8, 16, 16]] }));
    expect(conv.flops).toBe(2 * 8 * 256 * 27 + 8 * 256);
    expect(conv.bytesMoved).toBe(4 * (768 + 216 + 8 + 2048));
    // Depthwise: 8 groups of 1 channel.
    const dw = nodeCost(node('Conv', ['x', 'w'], { group: 8 }), meta({ x: ['float32', [1, 8, 10, 10]], w: ['float32', [8, 1, 3, 3]], y: ['float32', [1, 8, 8, 8]] }));
    expect(dw.flops).toBe(2 * 8 * 64 * 9);
    // ConvTranspose 4 -> 2 channels, 2x2 kernel, stride 2: each input pixel scatters into Cout*k*k outputs.
    const ct = nodeCost(node('ConvTranspose', ['x', 'w']), meta({ x: ['float32', [1, 4, 5, 5]], w: ['float32', [4, 2, 2, 2]], y: ['float32', [1, 2, 10, 10]] }));
    expect(ct.flops).toBe(2 * 4 * 25 * 2 * 4);
    const mm = nodeCost(node('MatMul', ['a', 'b']), meta({ a: ['float32', [3, 2, 5]], b: ['float32', [5, 7]], y: ['float32', [3, 2, 7]] }));
    expect(mm.flops).toBe(2 * 3 * 2 * 7 * 5);
    const gemm = nodeCost(node('Gemm', ['a', 'b', 'c'], { transA: 1 }), meta({ a: ['float32', [5, 2]], b: ['float32', [5, 7]], c: ['float32', [7]], y: ['float32', [2, 7]] }));
    expect(gemm.flops).toBe(2 * 2 * 7 * 5 + 14);
  });

  it('counts element-wise ops per element and data movement as 0, unknown ops flagged', () => {
    const m = meta({ a: ['float32', [2, 3]], b: ['float32', [3]], y: ['float32', [2, 3]] });
    expect(nodeCost(node('Add', ['a', 'b']), m)).toEqual({ flops: 6, bytesMoved: 4 * 15, rule: 'elementwise' });
    expect(nodeCost(node('Transpose', ['a']), m).flops).toBe(0);
    expect(nodeCost(node('Softmax', ['a']), m).flops).toBe(18);
    expect(nodeCost(node('FancyOp', ['a']), m).rule).toBe('unknown');
    const i64 = nodeCost(node('Cast', ['a']), meta({ a: ['int64', [4]], y: ['float32', [4]] }));
    expect(i64.bytesMoved).toBe(32 + 16);
  });
});

describe('custom ops', () => {
  it('reports the domain, and a cut names the model when the CPU EP cannot run it', async () => {
    const m = convModel({ custom: true }).toModel();
    m.opsetImport!.push({ domain: 'com.example', version: 1 });
    const model = loadModelSync(onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish(), { name: 'custom-model' });
    await expect(cutModel(model, { shapes: { x: [1, 3, 8, 8] } })).rejects.toThrow(/custom-model: running the model on the sample input failed on the CPU EP/);
  });

  it('element types', () => {
    const g = new GraphBuilder('i', { opset: 13 });
    g.input('ids', [2], DataType.INT64);
    g.node('Identity', ['ids'], ['y']);
    g.output('y', [2], DataType.INT64);
    const model = loadModelSync(g.toBytes());
    const { feeds } = sampleInputs(model, resolveInputShapes(model), { inputValues: { ids: [3, 4] } });
    expect(feeds.ids.data).toEqual(BigInt64Array.from([3n, 4n]));
  });
});
