// The static QDQ int8 and reshaped-convolution kinds: graph surgery on a small built model (opsets 9,
// 11 and 17) verified on the chained model's activations, the reasons where they do not apply, ONNX
// Runtime's QDQ fusion of the static int8 layer (ai.onnx Q/DQ at 17, com.microsoft ones below 13, the
// layer raised from opset 9 to 10), and a few layers of the real PP-OCRv4 rec model (opset 9).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { f, GraphBuilder, seededWeights } from '../profiler/onnx/builder';
import { cutModel } from '../profiler/onnx/cut';
import { loadModel, loadModelSync, type LoadedModel } from '../profiler/onnx/model';
import { embedVariants, generateVariants, type GeneratedLayer } from '../profiler/variants/generate';
import { calibrateUint8, parseKinds } from '../profiler/variants/kinds';
import type { Profile } from '../profiler/types';
import { notInWholeModel } from '../scheduler/tune-run';

let seed = 11;
function conv(g: GraphBuilder, x: string, cin: number, cout: number, k: number, o: { group?: number; stride?: number; pad?: number; dil?: number } = {}): string {
  const group = o.group ?? 1;
  const w = g.initializer(g.fresh('w'), [cout, cin / group, k, k], seededWeights((cout * cin * k * k) / group, seed++, (cin * k * k) / group));
  const b = g.initializer(g.fresh('b'), [cout], seededWeights(cout, seed++, 1));
  const p = o.pad ?? k >> 1;
  const d = o.dil ?? 1;
  return g.op('Conv', [x, w, b], { pads: [p, p, p, p], group, strides: [o.stride ?? 1, o.stride ?? 1], kernel_shape: [k, k], dilations: [d, d] });
}

/** Strided 3x3, depthwise, dilated 3x3, 1x1 (all 10x10 after the first), then a per-pixel Gemm and MatMul. */
function model(opset: number): LoadedModel {
  const g = new GraphBuilder(`kinds_test_o${opset}`, { opset });
  const x = g.input('x', [1, 8, 20, 20]);
  let y = g.op('Relu', [conv(g, x, 8, 16, 3, { stride: 2 })]);
  y = g.op('Relu', [conv(g, y, 16, 16, 3, { group: 16 })]);
  y = g.op('Relu', [conv(g, y, 16, 16, 3, { dil: 2, pad: 2 })]);
  y = g.op('Relu', [conv(g, y, 16, 32, 1, { pad: 0 })]);
  const nhwc = g.op('Transpose', [y], { perm: [0, 2, 3, 1] });
  const rows = g.op('Reshape', [nhwc, g.initializer('rows_shape', [2], [100, 32])]);
  const h = g.op('Relu', [g.op('Gemm', [rows, g.initializer('gemm_w', [24, 32], seededWeights(24 * 32, seed++, 32)), g.initializer('gemm_b', [24], seededWeights(24, seed++, 1))], { transB: 1, alpha: f(0.5), beta: f(1) })]);
  const mm = g.op('MatMul', [h, g.initializer('mm_w', [24, 12], seededWeights(24 * 12, seed++, 24))]);
  g.node('ReduceMean', [mm], ['logits'], { axes: [0], keepdims: 1 });
  g.output('logits', [1, 12]);
  return loadModelSync(g.toBytes(), { name: g.name });
}

const byKind = (l: GeneratedLayer, kind: string) => l.variants.find((v) => v.kind === kind);
const why = (l: GeneratedLayer, kind: string) => l.inapplicable.find((r) => r.kind.startsWith(kind))?.reason ?? '';

describe('reshaped convolution (SpaceToDepth / Conv / DepthToSpace)', () => {
  for (const opset of [9, 17]) {
    it(`opset ${opset}: strided, dilated and 1x1 Convs verify within 1e-5; grouped and indivisible ones say why`, async () => {
      const m = model(opset);
      const cut = await cutModel(m, { alsoCheckLevels: [] });
      const gen = await generateVariants(m, cut, parseKinds('reshape'));
      const [strided, dw, dilated, pw] = gen;
      for (const l of [strided, dilated, pw]) {
        const v = byKind(l, 'reshape')!;
        expect(v.verification.error ?? '').toBe('');
        expect(v.verification.passed).toBe(true);
        expect(v.verification.maxRelError).toBeLessThanOrEqual(1e-5);
        expect(v.exact).toBe(true);
      }
      expect(byKind(strided, 'reshape')!.notes.join()).toMatch(/stride absorbed/);
      expect(byKind(dilated, 'reshape')!.notes.join()).toMatch(/Conv 64 -> 64 channels, kernel 3x3; DepthToSpace\(2\)/);
      expect(why(dw, 'reshape')).toMatch(/group 16/);
      expect(why(gen[4], 'reshape')).toMatch(/no Conv node/);
      // Block size 3: the 20x20 input of the strided Conv and the 10x10 maps are not divisible by 3.
      const b3 = await generateVariants(m, cut, parseKinds('reshape=3'), { layers: [0, 3] });
      expect(why(b3[0], 'reshape')).toMatch(/stride 2 along H is neither 1 nor the block size 3/);
      expect(why(b3[1], 'reshape')).toMatch(/input H = 10 is not divisible by the block size 3/);
    }, 60_000);
  }
});

describe('static QDQ int8', () => {
  it('calibrates uint8 from min/max with 0 in range', () => {
    expect(calibrateUint8([0, 2.55])).toMatchObject({ zeroPoint: 0, min: 0, max: 2.55 });
    expect(calibrateUint8([0, 2.55]).scale).toBeCloseTo(0.01, 12);
    const c = calibrateUint8([-1, 1]);
    expect(c.scale).toBeCloseTo(2 / 255, 9);
    expect(c.zeroPoint).toBe(128);
    expect(calibrateUint8([0, 0]).scale).toBe(1);
  });

  for (const opset of [9, 11, 17]) {
    it(`opset ${opset}: Conv (grouped too), Gemm and MatMul get Q/DQ pairs with layer and end-to-end errors`, async () => {
      const m = model(opset);
      const cut = await cutModel(m, { alsoCheckLevels: [] });
      const gen = await generateVariants(m, cut, parseKinds('int8-static'));
      const conv = gen.slice(0, 4);
      const dense = gen.filter((l) => cut.layers[l.layer].opTypes.some((o) => o === 'Gemm' || o === 'MatMul'));
      expect(dense.length).toBeGreaterThan(0);
      for (const l of [...conv, ...dense]) {
        const v = byKind(l, 'int8-static')!;
        expect(v.verification.error ?? '').toBe('');
        expect(v.verification.passed).toBe(true);
        expect(v.exact).toBe(false);
        expect(v.family).toBe('int8');
        // 8-bit: small but not zero error (a test that a no-op rewrite would fail).
        expect(v.verification.relL2).toBeGreaterThan(1e-4);
        expect(v.verification.relL2).toBeLessThan(0.05);
        expect(v.verification.endToEnd?.relL2).toBeLessThan(0.1);
        expect(v.verification.endToEnd?.task?.[0].task).toBe('classifier-top1');
        expect(v.notes.join()).toMatch(/min\/max .* int8 weights per output channel/);
        expect(v.notes.join().includes('com.microsoft')).toBe(opset < 13);
        if (opset === 9 && l === conv[0]) expect(v.notes.join()).toMatch(/opset import raised from 9 to 10/);
      }
    }, 60_000);
  }

  it('an opset-9 layer with an op that changed at opset 10 (Slice) is not raised, and says why', () => {
    const g = new GraphBuilder('slice_conv_o9', { opset: 9 });
    const x = g.input('x', [1, 8, 10, 10]);
    const sl = g.op('Slice', [x], { starts: [0], ends: [4], axes: [1] });
    g.node('Conv', [sl, g.initializer('w', [4, 4, 1, 1], seededWeights(16, 1, 4))], ['y'], { kernel_shape: [1, 1] });
    g.output('y', [1, 4, 10, 10]);
    const [{ kind }] = parseKinds('int8-static');
    const r = kind.generate({ index: 0, name: 'l', bytes: g.toBytes(), value: () => undefined }, 0);
    expect('inapplicable' in r && r.inapplicable).toMatch(/opset 9.*need opset 10.*cannot be raised to 10 because Slice changed/);
  });

  for (const opset of [9, 11, 17]) it(`opset ${opset}: ONNX Runtime fuses the QDQ Conv into QLinearConv when the session optimizes (as the lanes do)`, async () => {
    const m = model(opset);
    const cut = await cutModel(m, { alsoCheckLevels: [] });
    const [l] = await generateVariants(m, cut, parseKinds('int8-static'), { layers: [0], endToEnd: false });
    const v = byKind(l, 'int8-static')!;
    const bytes = (v as { bytes?: Uint8Array }).bytes!;
    const ops = (b: Uint8Array) => (onnx.ModelProto.decode(b).graph!.node ?? []).map((n) => n.opType);
    expect(ops(bytes)).toEqual(expect.arrayContaining(['QuantizeLinear', 'DequantizeLinear', 'Conv']));
    const dir = mkdtempSync(join(tmpdir(), 'tessera-qdq-'));
    try {
      const file = join(dir, 'opt.onnx');
      const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', optimizedModelFilePath: file, executionProviders: ['cpu'], logSeverityLevel: 3 });
      await s.release();
      const fused = ops(readFileSync(file));
      expect(fused).toContain('QLinearConv');
      expect(fused).not.toContain('Conv');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('on the real PP-OCRv4 rec model (paddle2onnx, opset 9: Constant nodes, Shape/Reshape chains)', () => {
  it('int8-static and reshape generate, verify (reshape within 1e-5) or say why, layer by layer', async () => {
    const m = await loadModel(join(__dirname, '..', 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_PP-OCRv4_rec_infer.onnx'));
    const cut = await cutModel(m, { shapes: { x: [1, 3, 48, 160] }, alsoCheckLevels: [] });
    const layers = cut.layers.filter((l) => l.opTypes.includes('Conv')).map((l) => l.index).slice(0, 4);
    const gen = await generateVariants(m, cut, parseKinds('int8-static,reshape'), { layers, endToEnd: false });
    let reshaped = 0;
    let quantized = 0;
    for (const l of gen) {
      expect(l.variants.length + l.inapplicable.length).toBe(2);
      for (const v of l.variants) {
        expect(v.verification.error ?? '').toBe('');
        if (v.kind === 'reshape') {
          expect(v.verification.maxRelError).toBeLessThanOrEqual(1e-5);
          reshaped++;
        } else quantized++;
      }
      for (const r of l.inapplicable) expect(r.reason.length).toBeGreaterThan(10);
    }
    expect(reshaped).toBeGreaterThan(0);
    // The model is opset 9: the layers are raised to 10 for ONNX Runtime's fused QLinearConv.
    expect(quantized).toBeGreaterThan(0);
    for (const l of gen) for (const v of l.variants.filter((x) => x.kind === 'int8-static')) expect(v.notes.join()).toMatch(/raised from 9 to 10/);
  }, 120_000);
});

describe('an int8-static layer of an opset 9 model substituted into the whole model (model granularity, live)', () => {
  it('raises the model to opset 10, and the whole model loads in an optimized session (QLinearConv needs 10)', async () => {
    const m = model(9);
    const cut = await cutModel(m, { alsoCheckLevels: [] });
    const [l] = await generateVariants(m, cut, parseKinds('int8-static'), { layers: [0], endToEnd: false });
    const v = byKind(l, 'int8-static') as { bytes?: Uint8Array };
    const whole = embedVariants(m, cut, [{ layer: 0, bytes: v.bytes! }], { loadable: true });
    expect(Number(onnx.ModelProto.decode(whole).opsetImport!.find((o) => (o.domain ?? '') === '')!.version)).toBe(10);
    // Before: the whole model kept opset 9 and this session failed to load ("No Op registered for QLinearConv").
    const s = await ort.InferenceSession.create(whole, { graphOptimizationLevel: 'all', executionProviders: ['cpu'], logSeverityLevel: 3 });
    await s.release();
  }, 60_000);

  it('refuses for a live lane, naming the op, where an op of the model changed meaning at opset 10 (Slice)', async () => {
    const g = new GraphBuilder('conv_then_slice_o9', { opset: 9 });
    const x = g.input('x', [1, 8, 10, 10]);
    let y = g.op('Relu', [conv(g, x, 8, 16, 3)]);
    y = g.op('Relu', [conv(g, y, 16, 16, 3)]);
    y = g.op('Relu', [conv(g, y, 16, 8, 1, { pad: 0 })]);
    g.node('Slice', [y], ['out'], { starts: [0], ends: [4], axes: [1] });
    g.output('out', [1, 4, 10, 10]);
    const m = loadModelSync(g.toBytes(), { name: g.name });
    const cut = await cutModel(m, { alsoCheckLevels: [] });
    const gen = await generateVariants(m, cut, parseKinds('int8-static'), { endToEnd: false });
    const at = gen.findIndex((l) => byKind(l, 'int8-static'));
    expect(at).toBeGreaterThanOrEqual(0);
    const v = byKind(gen[at], 'int8-static') as { bytes?: Uint8Array };
    const subs = [{ layer: gen[at].layer, bytes: v.bytes! }];
    expect(() => embedVariants(m, cut, subs, { loadable: true })).toThrow(/opset 9 and a variant needs 10, but Slice changed meaning/);
    // The end-to-end check (an unoptimized session) still gets the model, at its own opset.
    expect(Number(onnx.ModelProto.decode(embedVariants(m, cut, subs)).opsetImport!.find((o) => (o.domain ?? '') === '')!.version)).toBe(9);
    // fp16 keeps the model's opset: it is substituted into the same whole model and loads in an
    // optimized session, so only int8-static is left out of such a tenant's whole model (tune-run.ts notInWholeModel).
    const gen16 = await generateVariants(m, cut, parseKinds('fp16'), { endToEnd: false });
    const at16 = gen16.findIndex((l) => byKind(l, 'fp16'));
    const v16 = byKind(gen16[at16], 'fp16') as { bytes?: Uint8Array };
    const bytes16 = embedVariants(m, cut, [{ layer: gen16[at16].layer, bytes: v16.bytes! }], { loadable: true });
    await (await ort.InferenceSession.create(bytes16)).release();
    const profileLike = { model: { name: m.name, opsets: { '': 9 } }, layers: [{ opTypes: ['Conv'], variants: { variants: [{ id: 'fp16' }, { id: 'int8-static' }] } }, { opTypes: ['Slice'] }] } as unknown as Profile;
    expect(notInWholeModel(profileLike)).toEqual({ variantIds: ['int8-static'], reason: expect.stringMatching(/opset 9 and Slice.*int8-static/) });
    expect(notInWholeModel({ ...profileLike, model: { name: 'x', opsets: { '': 11 } } } as unknown as Profile)).toBeUndefined();
  }, 60_000);
});
