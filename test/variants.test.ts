// Layer variants: every kind's graph surgery on small built models (opsets 9 and 17), verified on
// the activations of the chained model; inapplicable kinds say why; the refits are least-squares
// optimal; error figures; the kinds parser.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { f, GraphBuilder, seededWeights } from '../profiler/onnx/builder';
import { cutModel, type CutResult } from '../profiler/onnx/cut';
import { toHalf } from '../profiler/onnx/shapes';
import { halfBits } from '../profiler/variants/graph';
import { loadModel, loadModelSync, type LoadedModel } from '../profiler/onnx/model';
import { errorFigures, taskFigure } from '../profiler/variants/compare';
import { generateVariants, verifyCombinations, type GeneratedLayer } from '../profiler/variants/generate';
import { proposeCombinations } from '../profiler/variants/combos';
import { parseKinds } from '../profiler/variants/kinds';
import { deriveVariantFigures, summarizeKinds } from '../profiler/variants/figures';
import { runVariants } from '../profiler/variants/run';
import { loadProfile } from '../profiler/store';
import type { LayerVariants } from '../profiler/types';
import { lowRankFit, matmul, refitKept, type Mat } from '../profiler/variants/linalg';

const ASSETS = join(__dirname, '..', 'node_modules', '@gutenye', 'ocr-models', 'assets');

let seed = 7;
function conv(g: GraphBuilder, x: string, cin: number, cout: number, k: number, opts: { group?: number; stride?: number; pad?: number } = {}): string {
  const group = opts.group ?? 1;
  const w = g.initializer(g.fresh('w'), [cout, cin / group, k, k], seededWeights((cout * cin * k * k) / group, seed++, (cin * k * k) / group));
  const b = g.initializer(g.fresh('b'), [cout], seededWeights(cout, seed++, 1));
  const p = opts.pad ?? k >> 1;
  return g.op('Conv', [x, w, b], { pads: [p, p, p, p], group, strides: [opts.stride ?? 1, opts.stride ?? 1], kernel_shape: [k, k] });
}

/** A small CNN + dense head: 3x3 stride-2 Conv, depthwise Conv, 1x1 Conv, then per-pixel Gemm and MatMul (100 rows to fit on). */
function model(opset: number): LoadedModel {
  const g = new GraphBuilder(`variants_test_o${opset}`, { opset });
  const x = g.input('x', [1, 8, 20, 20]);
  let y = g.op('Relu', [conv(g, x, 8, 16, 3, { stride: 2 })]); // 10x10
  y = g.op('Relu', [conv(g, y, 16, 16, 3, { group: 16 })]);
  y = g.op('Relu', [conv(g, y, 16, 32, 1, { pad: 0 })]);
  const nhwc = g.op('Transpose', [y], { perm: [0, 2, 3, 1] });
  const rows = g.op('Reshape', [nhwc, g.initializer('rows_shape', [2], [100, 32])]);
  const w1 = g.initializer('gemm_w', [24, 32], seededWeights(24 * 32, seed++, 32));
  const b1 = g.initializer('gemm_b', [24], seededWeights(24, seed++, 1));
  const h = g.op('Relu', [g.op('Gemm', [rows, w1, b1], { transB: 1, alpha: f(1), beta: f(1) })]);
  const w2 = g.initializer('mm_w', [24, 12], seededWeights(24 * 12, seed++, 24));
  const mm = g.op('MatMul', [h, w2]);
  g.node('ReduceMean', [mm], ['logits'], { axes: [0], keepdims: 1 });
  g.output('logits', [1, 12]);
  return loadModelSync(g.toBytes(), { name: g.name });
}

const layerBy = (gen: GeneratedLayer[], op: string, cut: CutResult) => gen.find((l) => cut.layers[l.layer].opTypes.includes(op))!;

describe('layer variants on a small model', () => {
  for (const opset of [9, 17]) {
    it(`opset ${opset}: exact kinds verify within 1e-5 on real activations; approximate ones report layer and end-to-end errors`, async () => {
      const m = model(opset);
      const cut = await cutModel(m, { alsoCheckLevels: [] });
      const gen = await generateVariants(m, cut, parseKinds());
      expect(gen).toHaveLength(cut.layers.length);
      for (const l of gen) {
        // Every kind is either generated or listed with a reason.
        expect(l.variants.length + l.inapplicable.length).toBe(parseKinds().length);
        for (const v of l.variants) {
          if (v.exact) {
            expect(v.verification.error ?? '').toBe('');
            expect(v.verification.passed).toBe(true);
            expect(v.verification.maxRelError).toBeLessThanOrEqual(1e-5);
          }
        }
        for (const r of l.inapplicable) expect(r.reason.length).toBeGreaterThan(10);
      }
      const strided = layerBy(gen, 'Conv', cut);
      const ids = (l: GeneratedLayer) => l.variants.filter((v) => v.verification.passed).map((v) => v.kind);
      expect(ids(strided)).toEqual(expect.arrayContaining(['split-out', 'tile-h', 'split-k']));
      expect(strided.inapplicable.find((r) => r.kind === 'conv-matmul')?.reason).toMatch(/kernel 3x3 is not 1x1/);
      // The depthwise Conv: split-out splits its groups; split-k says why not.
      const dw = gen[1];
      expect(ids(dw)).toContain('split-out');
      expect(dw.inapplicable.find((r) => r.kind.startsWith('split-k'))?.reason).toMatch(/group 16/);
      const pw = gen[2];
      expect(ids(pw)).toEqual(expect.arrayContaining(['conv-matmul', 'split-out', 'split-k', 'lowrank', 'prune']));
      const gemm = layerBy(gen, 'Gemm', cut);
      expect(ids(gemm)).toEqual(expect.arrayContaining(['split-out', 'split-k', 'lowrank', 'prune']));
      if (opset < 11) expect(gemm.inapplicable.find((r) => r.kind === 'int8')?.reason).toMatch(/opset 11/);
      else {
        expect(ids(gemm)).toContain('int8');
        expect(ids(pw)).toContain('int8'); // ConvInteger
        expect(dw.inapplicable.find((r) => r.kind === 'int8')?.reason).toMatch(/group 16/);
      }
      // Approximate: layer figures and end-to-end figures with the classifier's top-1 agreement.
      for (const v of [...gemm.variants, ...pw.variants].filter((x) => !x.exact && x.verification.passed)) {
        const ver = v.verification;
        expect(ver.relL2).toBeGreaterThan(0);
        expect(ver.relL2).toBeLessThan(1);
        expect(ver.cosine).toBeGreaterThan(0.5);
        expect(Number.isFinite(ver.snrDb)).toBe(true);
        expect(ver.endToEnd?.relL2).toBeGreaterThanOrEqual(0);
        expect(ver.endToEnd?.task?.[0].task).toBe('classifier-top1');
      }
      // fp16 either runs on the CPU EP or is recorded with the EP's error.
      const f16 = pw.variants.find((v) => v.kind === 'fp16')!;
      expect(f16.verification.passed || /could not run/.test(f16.verification.error ?? '')).toBe(true);
    }, 60_000);
  }

  it('rejects a variant that changes the function, with the figure', async () => {
    const m = model(17);
    const cut = await cutModel(m, { alsoCheckLevels: [] });
    const [choice] = parseKinds('split-out');
    // A broken generator: the real one, then every weight perturbed.
    const broken = { ...choice, kind: { ...choice.kind, generate: (s: Parameters<typeof choice.kind.generate>[0], p: number) => {
      const r = choice.kind.generate(s, p);
      if ('inapplicable' in r) return r;
      // Scale the first part's weights by 1.001: a 1e-3 error the check must catch.
      const proto = onnx.ModelProto.decode(r.bytes);
      const w = proto.graph!.initializer!.find((t) => /_w_/.test(t.name ?? ''))!;
      const vals = new Float32Array(Uint8Array.from(w.rawData!).buffer).map((v) => v * 1.001);
      w.rawData = new Uint8Array(vals.buffer);
      return { ...r, bytes: onnx.ModelProto.encode(proto).finish() };
    } } };
    const gen = await generateVariants(m, cut, [broken], { layers: [2] });
    const v = gen[0].variants[0];
    expect(v.verification.passed).toBe(false);
    expect(v.verification.maxRelError).toBeGreaterThan(1e-4);
    expect(v.verification.error).toMatch(/max relative error .* is over the exact tolerance 1e-5/);
  }, 30_000);
});

describe('combinations verified together', () => {
  it('substitutes several layers\' variants into the whole model at once and measures the end-to-end error', async () => {
    const m = model(17);
    const cut = await cutModel(m, { alsoCheckLevels: [] });
    const gen = await generateVariants(m, cut, parseKinds('fp16,lowrank'));
    const layers = gen.map((g) => ({ index: g.layer, variants: { original: [], variants: g.variants, inapplicable: [] } as LayerVariants }));
    const proposed = proposeCombinations(layers);
    expect(proposed.length).toBeGreaterThanOrEqual(2);
    const combos = await verifyCombinations(m, cut, gen, [...proposed, { id: 'ghost', rule: 'test', members: [{ layer: 0, variant: 'int8' }], sumOfSingles: 0 }]);
    for (const c of combos.slice(0, -1)) {
      expect(c.error).toBeUndefined();
      expect(c.members.length).toBeGreaterThanOrEqual(2);
      expect(c.endToEnd!.relL2).toBeGreaterThan(0);
      expect(Number.isFinite(c.endToEnd!.relL2)).toBe(true);
      // [1, 12] logits: a classifier's top-1 figure is there.
      expect(c.endToEnd!.task?.[0].task).toBe('classifier-top1');
    }
    // The figure is measured, not the sum of the members' own errors.
    expect(combos.slice(0, -1).some((c) => Math.abs(c.endToEnd!.relL2 - c.sumOfSingles) > 1e-3 * c.sumOfSingles)).toBe(true);
    expect(combos.at(-1)!.error).toMatch(/layer 0 variant int8 was not verified on its own/);
  }, 60_000);
});

describe('closed-form refits', () => {
  const rand = (rows: number, cols: number, s: number): Mat => ({ rows, cols, data: seededWeights(rows * cols, s, 1) });
  it('low rank at full rank reproduces X W; at lower rank it beats the weight-only SVD on X W', () => {
    const x = rand(64, 12, 1);
    const w = rand(12, 10, 2);
    const full = lowRankFit(x, w, 10);
    const y = matmul(x, w);
    const y2 = matmul(matmul(x, full.a), full.b);
    expect(errorFigures([{ actual: { type: 'float32', dims: [64, 10], data: y2.data }, expected: { type: 'float32', dims: [64, 10], data: y.data } }]).relL2).toBeLessThan(1e-4);
    const low = lowRankFit(x, w, 3);
    expect(low.a.cols).toBe(3);
    expect(low.energyKept).toBeLessThan(1);
    expect(low.energyKept).toBeGreaterThan(0.3);
  });
  it('pruning refit is the least-squares solution (residual orthogonal to the kept columns)', () => {
    const x = rand(80, 8, 3);
    const w = rand(8, 5, 4);
    const kept = [0, 2, 3, 5, 7];
    const wk = refitKept(x, w, kept);
    const xs: Mat = { rows: 80, cols: 5, data: new Float32Array(80 * 5) };
    for (let i = 0; i < 80; i++) kept.forEach((k, j) => (xs.data[i * 5 + j] = x.data[i * 8 + k]));
    const y = matmul(x, w);
    const r = matmul(xs, wk);
    const res: Mat = { rows: 80, cols: 5, data: y.data.map((v, i) => v - r.data[i]) };
    const xt: Mat = { rows: 5, cols: 80, data: new Float32Array(400) };
    for (let i = 0; i < 80; i++) for (let j = 0; j < 5; j++) xt.data[j * 80 + i] = xs.data[i * 5 + j];
    const g = matmul(xt, res);
    for (const v of g.data) expect(Math.abs(v)).toBeLessThan(1e-3);
  });
});

describe('error and task figures', () => {
  it('computes relative L2, cosine, SNR and the normwise and element-wise relative errors', () => {
    const e = errorFigures([{ actual: { type: 'float32', dims: [4], data: Float32Array.of(1, 2, 3, 4.4) }, expected: { type: 'float32', dims: [4], data: Float32Array.of(1, 2, 3, 4) } }]);
    expect(e.maxAbsError).toBeCloseTo(0.4, 5);
    expect(e.maxRelError).toBeCloseTo(0.1, 5);
    expect(e.relL2).toBeCloseTo(0.4 / Math.sqrt(30), 5);
    expect(e.snrDb).toBeCloseTo(10 * Math.log10(30 / 0.16), 3);
    expect(e.cosine).toBeGreaterThan(0.99);
    expect(errorFigures([{ actual: { type: 'float32', dims: [2], data: Float32Array.of(1, 2) }, expected: { type: 'float32', dims: [1, 2], data: Float32Array.of(1, 2) } }]).maxRelError).toBe(Infinity);
  });
  it('reads task figures from output shapes', () => {
    const cls = taskFigure('y', { type: 'float32', dims: [2, 10], data: Float32Array.from({ length: 20 }, (_, i) => (i === 3 || i === 15 ? 1 : 0)) }, { type: 'float32', dims: [2, 10], data: Float32Array.from({ length: 20 }, (_, i) => (i === 3 || i === 16 ? 1 : 0)) });
    expect(cls).toMatchObject({ task: 'classifier-top1', value: 0.5 });
    const map = (on: number[]) => ({ type: 'float32', dims: [1, 1, 2, 2], data: Float32Array.from([0, 1, 2, 3], (i) => (on.includes(i) ? 0.9 : 0.1)) });
    expect(taskFigure('m', map([0, 1]), map([1, 2]))).toMatchObject({ task: 'probability-map-iou', value: 1 / 3 });
  });
  it('reads a [N, 1] or [N, 1, 1] probability as VAD speech/no-speech decisions at 0.5; not a score outside [0, 1]', () => {
    const t = (dims: number[], xs: number[]) => ({ type: 'float32', dims, data: Float32Array.from(xs) });
    // 4 frames: the variant flips frame 2 (0.6 -> 0.4); frame 0 moves but stays speech.
    const vad = taskFigure('output', t([4, 1], [0.9, 0.1, 0.4, 0.2]), t([4, 1], [0.7, 0.1, 0.6, 0.2]));
    expect(vad).toMatchObject({ task: 'speech-decision', value: 0.75, output: 'output' });
    expect(vad!.assumption).toMatch(/speech probability.*> 0.5/);
    expect(taskFigure('o', t([2, 1, 1], [0.9, 0.1]), t([2, 1, 1], [0.8, 0.2]))).toMatchObject({ task: 'speech-decision', value: 1 });
    // Logits or a regression ([N, 1] outside [0, 1]) are not read as a probability.
    expect(taskFigure('o', t([2, 1], [3, -2]), t([2, 1], [2.5, -1]))).toBeUndefined();
  });
});

describe('float16', () => {
  it('bulk conversion matches the profiler\'s toHalf (normals, subnormals, ties, overflow, NaN)', () => {
    const xs = Float32Array.of(0, -0, 1, -2.5, 65504, 65520, 1e6, 6.1e-5, 5.96e-8, 3e-8, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 0.1, NaN, -Infinity);
    expect(Array.from(halfBits(xs))).toEqual(Array.from(xs, toHalf));
  });
});

describe('kinds', () => {
  it('parses families, ids and parameters, and names the choices on bad input', () => {
    expect(parseKinds('exact').map((k) => k.label)).toEqual(['split-out(g=2)', 'tile-h(t=2)', 'conv-matmul', 'split-k(g=2)']);
    expect(parseKinds('split-out=4,lowrank=0.125').map((k) => k.label)).toEqual(['split-out(g=4)', 'lowrank(fraction=0.125)']);
    expect(() => parseKinds('warp')).toThrow(/unknown variant kind 'warp': use exact, fp16/);
    expect(() => parseKinds('split-out=1')).toThrow(/integer in \[2, 64\]/);
    expect(() => parseKinds('fp16=2')).toThrow(/takes no parameter/);
  });
});

describe('on the real PP-OCRv4 rec model (Constant nodes, Shape/Reshape chains)', () => {
  it('every exact variant that applies verifies; layers without a candidate say why', async () => {
    const m = await loadModel(join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx'));
    const cut = await cutModel(m, { shapes: { x: [1, 3, 48, 160] }, alsoCheckLevels: [] });
    const layers = cut.layers.map((l) => l.index).filter((i) => i % 6 === 0).slice(0, 8);
    const gen = await generateVariants(m, cut, parseKinds('exact'), { layers });
    let verified = 0;
    for (const l of gen) {
      for (const v of l.variants) {
        expect(v.verification.error ?? '').toBe('');
        if (v.verification.passed) verified++;
      }
      for (const r of l.inapplicable) expect(r.reason).not.toBe('');
    }
    expect(verified).toBeGreaterThan(3);
  }, 120_000);
});

describe('variant runs (measured on a lane, stored in the profile)', () => {
  it('profiles, generates, verifies and measures; the profile (schema 2) carries speed-ups and the per-kind summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-variants-'));
    const m = model(17);
    const p = await runVariants({ model: m.bytes }, { name: 'small', kinds: ['exact', 'lowrank'], lanes: ['cpu:1'], budgetSec: 1.5, storeDir: dir });
    expect(p.schemaVersion).toBe(2);
    expect(p.variantRun?.status).toBe('complete');
    const stored = loadProfile(p.id, dir);
    const pw = stored.layers[2].variants!;
    expect(pw.original[0].latencyMs).toBeGreaterThanOrEqual(0);
    const cm = pw.variants.find((v) => v.kind === 'conv-matmul')!;
    expect(cm.verification.passed).toBe(true);
    expect(cm.lanes[0].raw?.n).toBeGreaterThan(0);
    // Each latency carries its 95% uncertainty (median CI + baseline CI + timer), as profiles do.
    if (cm.lanes[0].raw!.n >= 6) expect(cm.lanes[0].latencyCiMs).toBeGreaterThan(0);
    expect(stored.variantRun?.lanes[0].baselineCiMs).toBeGreaterThanOrEqual(0);
    // A speed-up exists exactly where both latencies are above the per-call baseline (a tiny layer on a busy machine may not be).
    if (pw.original[0].latencyMs! > 0 && cm.lanes[0].latencyMs! > 0) expect(cm.lanes[0].speedup).toBeGreaterThan(0);
    else expect(cm.lanes[0].speedup).toBeUndefined();
    const summary = summarizeKinds(stored.layers);
    const so = summary.find((s) => s.kind === 'split-out(g=2)')!;
    expect(so.verified).toBeGreaterThanOrEqual(4);
    expect(so.medianSpeedup['cpu:1']).toBeGreaterThan(0);
    // One lane: no latency gap to reduce.
    expect(pw.gaps).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('cancelling during measurement keeps every verified variant and what was measured (status partial, saved)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-variants-'));
    const ac = new AbortController();
    let measures = 0;
    const p = await runVariants({ model: model(17).bytes }, {
      name: 'small', kinds: ['split-out'], lanes: ['cpu:1'], budgetSec: 1, storeDir: dir, signal: ac.signal,
      onProgress: (x) => {
        if (x.phase === 'measure' && ++measures === 4) ac.abort();
      },
    });
    expect(p.variantRun?.status).toBe('partial');
    const stored = loadProfile(p.id, dir);
    const all = stored.layers.flatMap((l) => l.variants?.variants ?? []);
    expect(all.filter((v) => v.verification.passed).length).toBeGreaterThanOrEqual(4);
    expect(stored.layers[0].variants!.original[0].raw).toBeDefined(); // measured before the cancel
    expect(stored.variantRun?.warnings.join()).toMatch(/cancelled/);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('latency-gap reduction: best verified variant on the other lane against the original on the preferred lane', () => {
    const lv: LayerVariants = {
      original: [{ lane: 'gpu', latencyMs: 1 }, { lane: 'cpu', latencyMs: 4 }],
      variants: [
        { id: 'a', kind: 'a', family: 'exact', exact: true, description: '', targets: [], notes: [], bytesSize: 0, generateMs: 0, verifyMs: 0, verification: { passed: true, maxRelError: 0, definition: '' }, lanes: [{ lane: 'gpu', latencyMs: 2 }, { lane: 'cpu', latencyMs: 2 }] },
        { id: 'b', kind: 'b', family: 'exact', exact: true, description: '', targets: [], notes: [], bytesSize: 0, generateMs: 0, verifyMs: 0, verification: { passed: false, maxRelError: 1, definition: '' }, lanes: [{ lane: 'gpu', latencyMs: 2 }, { lane: 'cpu', latencyMs: 1 }] },
      ],
      inapplicable: [],
    };
    deriveVariantFigures(lv);
    expect(lv.preferredLane).toBe('gpu');
    expect(lv.gaps).toEqual([{ lane: 'cpu', originalGap: 4, bestGap: 2, bestVariant: 'a', reduction: 2, bestExactGap: 2, bestExactVariant: 'a', exactReduction: 2 }]);
    expect(lv.variants[0].lanes.map((m) => m.speedup)).toEqual([0.5, 2]);
  });
});

describe('on the real Silero VAD v5 (If branches, LSTM)', () => {
  it('kinds that cannot rewrite a control-flow layer say so', async () => {
    const m = await loadModel(join(__dirname, '..', 'node_modules', '@ricky0123', 'vad-web', 'dist', 'silero_vad_v5.onnx'));
    const cut = await cutModel(m, { shapes: { input: [1, 512], state: [2, 1, 128], sr: [] }, inputValues: { sr: 16000 }, alsoCheckLevels: [] });
    const gen = await generateVariants(m, cut, parseKinds());
    const withIf = gen.find((l) => cut.layers[l.layer].opTypes.includes('If'))!;
    expect(withIf.inapplicable.find((r) => r.kind === 'fp16')?.reason).toMatch(/If\/Loop\/Scan subgraphs/);
    expect(withIf.inapplicable.find((r) => r.kind === 'split-out(g=2)')?.reason).toMatch(/subgraphs are not rewritten/);
    for (const l of gen) for (const v of l.variants) if (v.exact) expect(v.verification.passed).toBe(true);
  }, 60_000);
});
