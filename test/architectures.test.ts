// Reference architectures: build, run in onnxruntime-node (CPU), MACs against published figures,
// pruning patterns and exact sparsity, channel pruning, measured activation sparsity, determinism, cache.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ArchitectureName, type ArchitectureOptions, type BuiltArchitecture, architectureKey, buildArchitecture, cachedArchitecture,
  describeArchitecture, listArchitectures, measureActivationSparsity, seededNormal,
} from '../workloads/architectures';

const SMALL: Record<ArchitectureName, ArchitectureOptions> = {
  resnet50: { resolution: 64 },
  vgg16: { resolution: 64 },
  mobilenetv2: { resolution: 64 },
  'ssd-mobilenetv2': { resolution: 128 },
  'bert-base': { seq: 32, layers: 2 },
};

const built = new Map<string, BuiltArchitecture>();
function small(name: ArchitectureName, extra: ArchitectureOptions = {}): BuiltArchitecture {
  const key = `${name}:${JSON.stringify(extra)}`;
  if (!built.has(key)) built.set(key, buildArchitecture(name, { ...SMALL[name], ...extra }));
  return built.get(key)!;
}

const prod = (xs: number[]): number => xs.reduce((a, b) => a * b, 1);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function feeds(b: BuiltArchitecture, seed = 3): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [name, shape] of Object.entries(b.inputShapes)) {
    out[name] = b.inputTypes[name] === 'int64'
      ? new ort.Tensor('int64', BigInt64Array.from({ length: prod(shape) }, (_, i) => BigInt((i * 7919) % 30522)), shape)
      : new ort.Tensor('float32', seededNormal(prod(shape), seed), shape);
  }
  return out;
}

async function run(b: BuiltArchitecture): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(b.bytes, { executionProviders: ['cpu'] });
  try {
    return await session.run(feeds(b));
  } finally {
    await session.release();
  }
}

/** Float initializers of a model by name (copied, aligned). */
function initializers(bytes: Uint8Array): Map<string, { dims: number[]; data: Float32Array }> {
  const m = onnx.ModelProto.decode(bytes);
  const out = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const t of m.graph?.initializer ?? []) {
    if (t.dataType !== onnx.TensorProto.DataType.FLOAT || !t.rawData) continue;
    out.set(t.name ?? '', { dims: (t.dims ?? []).map(Number), data: new Float32Array(Uint8Array.from(t.rawData).buffer) });
  }
  return out;
}

describe('architectures: catalogue and full-size MACs (counted from the generated shapes, no weights)', () => {
  it('lists the five architectures with reference figures', () => {
    expect(listArchitectures().map((a) => a.name)).toEqual(['resnet50', 'vgg16', 'mobilenetv2', 'ssd-mobilenetv2', 'bert-base']);
  });

  it.each([
    ['resnet50', {}, 54],
    ['vgg16', {}, 16],
    ['mobilenetv2', {}, 53],
    ['bert-base', { seq: 128 }, 96],
  ] as [ArchitectureName, ArchitectureOptions, number][])('%s %j matches the published MACs and params within 5%%', (name, opts, layers) => {
    const ref = listArchitectures().find((a) => a.name === name)!.reference;
    const d = describeArchitecture(name, opts);
    expect(d.info.layers).toBe(layers);
    expect(Math.abs(d.info.macs / ref.macs - 1)).toBeLessThan(0.05);
    expect(Math.abs(d.info.params / ref.params - 1)).toBeLessThan(0.05);
    expect(d.info.macs).toBe(d.computeLayers.reduce((s, l) => s + l.macs, 0));
  });

  it('bert-base seq 384 follows the closed form; SSD is in the SSDLite range; batch scales MACs linearly', () => {
    const h = 768;
    const perLayer = (s: number): number => 4 * s * h * h + 2 * s * h * 3072 + 2 * s * s * h;
    expect(describeArchitecture('bert-base', { seq: 384 }).info.macs).toBe(12 * perLayer(384));
    expect(describeArchitecture('bert-base', { seq: 128, layers: 3 }).info.macs).toBe(3 * perLayer(128));
    const ssd = describeArchitecture('ssd-mobilenetv2');
    expect(ssd.info.macs).toBeGreaterThan(0.6e9);
    expect(ssd.info.macs).toBeLessThan(1.0e9);
    expect(ssd.info.outputShapes).toEqual({ boxes: [1, 1917, 4], scores: [1, 1917, 91] });
    expect(describeArchitecture('mobilenetv2', { batch: 4 }).info.macs).toBe(4 * describeArchitecture('mobilenetv2').info.macs);
    // Width multiplier shrinks MobileNetV2 (0.5: about 97M MAdds in the paper).
    const half = describeArchitecture('mobilenetv2', { width: 0.5 }).info.macs;
    expect(half / 97e6).toBeGreaterThan(0.9);
    expect(half / 97e6).toBeLessThan(1.1);
  });

  it('rejects bad names and options with clear errors', () => {
    expect(() => buildArchitecture('alexnet' as ArchitectureName)).toThrow(/unknown architecture alexnet/);
    expect(() => buildArchitecture('resnet50', { width: 0.5 })).toThrow(/option 'width' does not apply/);
    expect(() => buildArchitecture('resnet50', { resolution: 100 })).toThrow(/multiple of 32/);
    expect(() => buildArchitecture('bert-base', { resolution: 224 })).toThrow(/does not apply/);
    expect(() => buildArchitecture('vgg16', { prune: { kind: 'unstructured', sparsity: 1 } })).toThrow(/sparsity/);
    expect(() => buildArchitecture('vgg16', { prune: { kind: 'nm', n: 4, m: 4 } })).toThrow(/n:m/);
    expect(() => buildArchitecture('vgg16', { foo: 1 } as ArchitectureOptions)).toThrow(/unknown option 'foo'/);
    expect(describeArchitecture('vgg16', { resolution: 512 }).info.params).toBeGreaterThan(5e8); // counted, not generated
    expect(() => buildArchitecture('vgg16', { resolution: 512 })).toThrow(/2 GB protobuf limit/); // FC6 alone is 2.1 GB
  });
});

describe('architectures: every model runs one inference on CPU', () => {
  it.each(Object.keys(SMALL) as ArchitectureName[])('%s builds, is labelled synthetic, and produces the declared output shapes', async (name) => {
    const b = small(name);
    expect(b.info.synthetic).toBe(true);
    expect(b.info.opset).toBe(17);
    const model = onnx.ModelProto.decode(b.bytes);
    const meta = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key, p.value]));
    expect(meta['tessera.synthetic']).toBe('true');
    expect(meta['tessera.weights']).toMatch(/synthetic weights: real architecture/);
    expect(Number(model.opsetImport?.[0]?.version)).toBe(17);
    const out = await run(b);
    expect(Object.keys(out).sort()).toEqual(Object.keys(b.info.outputShapes).sort());
    for (const [k, shape] of Object.entries(b.info.outputShapes)) {
      expect(out[k].dims.map(Number)).toEqual(shape);
      const data = out[k].data as Float32Array;
      expect(data.every((v) => Number.isFinite(v))).toBe(true);
      // Activations stay bounded through the depth (folded-BN normalisation works).
      const rms = Math.sqrt(data.reduce((s, v) => s + v * v, 0) / data.length);
      expect(rms).toBeGreaterThan(0.01);
      expect(rms).toBeLessThan(100);
    }
  });

  it('bert-base has the encoder structure: Softmax, LayerNormalization, Erf GELU, MatMul attention', () => {
    const b = small('bert-base');
    const ops = onnx.ModelProto.decode(b.bytes).graph!.node!.map((n) => n.opType);
    const count = (op: string): number => ops.filter((o) => o === op).length;
    expect(count('Softmax')).toBe(2);
    expect(count('LayerNormalization')).toBe(4);
    expect(count('Erf')).toBe(2);
    expect(count('MatMul')).toBe(16);
    expect(b.info.layers).toBe(16);
  });

  it('variants compute the same function: BN kept = BN folded; LayerNorm decomposed = fused; token-id input runs', async () => {
    const folded = await run(small('mobilenetv2'));
    const kept = small('mobilenetv2', { batchNorm: 'kept' });
    expect(onnx.ModelProto.decode(kept.bytes).graph!.node!.some((n) => n.opType === 'BatchNormalization')).toBe(true);
    const keptOut = await run(kept);
    const a = folded.logits.data as Float32Array;
    const b = keptOut.logits.data as Float32Array;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-3 * (1 + Math.abs(a[i])));
    const fused = await run(buildArchitecture('bert-base', { seq: 16, layers: 1 }));
    const dec = await run(buildArchitecture('bert-base', { seq: 16, layers: 1, layerNorm: 'decomposed' }));
    const f = fused.last_hidden_state.data as Float32Array;
    const d = dec.last_hidden_state.data as Float32Array;
    for (let i = 0; i < f.length; i++) expect(Math.abs(f[i] - d[i])).toBeLessThan(1e-3);
    const tokens = buildArchitecture('bert-base', { seq: 16, layers: 1, bertInput: 'tokens' });
    expect(tokens.inputTypes).toEqual({ input_ids: 'int64' });
    expect((await run(tokens)).last_hidden_state.dims.map(Number)).toEqual([1, 16, 768]);
  });
});

describe('architectures: pruning', () => {
  it('unstructured magnitude pruning zeroes exactly the stated share of every pruned tensor', () => {
    for (const s of [0.5, 0.8]) {
      const b = small('mobilenetv2', { prune: { kind: 'unstructured', sparsity: s } });
      const sp = b.info.sparsity!;
      expect(sp.kind).toBe('unstructured');
      expect(sp.target).toBe(s);
      expect(Math.abs(sp.achieved - s)).toBeLessThan(1e-3);
      const inits = initializers(b.bytes);
      let zeros = 0;
      let total = 0;
      for (const l of b.computeLayers.filter((x) => x.pruned)) {
        const w = inits.get(`${l.node}.weight`)!.data;
        const z = w.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
        expect(z).toBe(Math.round(s * w.length)); // per tensor, exactly
        zeros += z;
        total += w.length;
      }
      expect(zeros).toBe(sp.zeros);
      expect(total).toBe(sp.total);
      expect(b.computeLayers.find((l) => l.node === 'features.0')!.pruned).toBe(false); // stem stays dense
      expect(sp.scope).toMatch(/stem/);
    }
  });

  it('2:4 pruning: exactly 50% of each pruned tensor, pattern along the input channels verified (Conv, Gemm, MatMul)', async () => {
    for (const name of ['resnet50', 'bert-base'] as ArchitectureName[]) {
      const b = small(name, { prune: { kind: 'nm', n: 2, m: 4 } });
      const sp = b.info.sparsity!;
      expect(sp.achieved).toBe(0.5);
      expect(sp.zeros * 2).toBe(sp.total);
      const inits = initializers(b.bytes);
      const pruned = b.computeLayers.filter((l) => l.pruned);
      expect(pruned.length).toBe(sp.prunedTensors);
      for (const l of pruned) {
        const { dims, data } = inits.get(`${l.node}.weight`)!;
        // index(o, i, k) and group extent along the input (reduction) channels
        let at: (o: number, i: number, k: number) => number;
        let [O, I, K] = [0, 0, 1];
        if (l.op === 'Conv') { [O, I] = dims; K = dims[2] * dims[3]; at = (o, i, k) => (o * I + i) * K + k; }
        else if (l.op === 'Gemm') { [O, I] = dims; at = (o, i) => o * I + i; }
        else { [I, O] = dims; at = (o, i) => i * O + o; }
        let violations = 0;
        let groups = 0;
        for (let o = 0; o < O; o++) for (let k = 0; k < K; k++) for (let g = 0; g < I; g += 4) {
          let nz = 0;
          for (let j = 0; j < 4; j++) if (data[at(o, g + j, k)] !== 0) nz++;
          if (nz > 2) violations++;
          groups++;
        }
        expect(violations).toBe(0);
        expect(groups * 4).toBe(data.length);
      }
    }
    const mb = small('mobilenetv2', { prune: { kind: 'nm' } });
    expect(mb.info.sparsity!.scope).toMatch(/depthwise/); // depthwise convs cannot take 2:4 along 1 channel
    expect(mb.info.sparsity!.achieved).toBe(0.5);
    expect(mb.info.sparsity!.achievedOverall).toBeLessThan(0.5);
    const out = await run(small('resnet50', { prune: { kind: 'nm', n: 2, m: 4 } }));
    expect((out.logits.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it.each([
    ['resnet50', 0.5],
    ['vgg16', 0.5],
    ['mobilenetv2', 0.5],
    ['ssd-mobilenetv2', 0.5],
    ['bert-base', 0.5],
  ] as [ArchitectureName, number][])('channel pruning %s at %s physically shrinks the graph, cuts MACs, and still runs', async (name, s) => {
    const dense = small(name);
    const b = small(name, { prune: { kind: 'channel', sparsity: s } });
    const sp = b.info.sparsity!;
    expect(sp.kind).toBe('channel');
    expect(Math.abs(sp.achieved - s)).toBeLessThan(0.01);
    expect(sp.prunedTensors).toBeGreaterThan(0);
    if (name === 'bert-base') expect(sp.prunedTensors).toBe(2); // FFN intermediate of each of the 2 layers
    expect(sp.denseMacs).toBe(dense.info.macs);
    expect(sp.denseParams).toBe(dense.info.params);
    expect(b.info.macs).toBeLessThan(dense.info.macs * 0.85);
    expect(b.info.params).toBeLessThan(dense.info.params);
    expect(b.bytes.length).toBeLessThan(dense.bytes.length);
    expect(b.info.outputShapes).toEqual(dense.info.outputShapes);
    const out = await run(b);
    for (const [k, shape] of Object.entries(b.info.outputShapes)) expect(out[k].dims.map(Number)).toEqual(shape);
  });
});

describe('architectures: measured activation sparsity', () => {
  it.each(Object.keys(SMALL) as ArchitectureName[])('%s: per layer in [0, 1], > 0 after ReLUs, MACs re-counted from ORT shapes match', async (name) => {
    const b = small(name);
    const r = await measureActivationSparsity(b.bytes, b.inputShapes, { samples: 2, seed: 7 });
    expect(r.inputs).toBe('seeded-random');
    expect(r.layers.length).toBe(b.info.layers);
    expect(r.totalMacs).toBe(b.info.macs);
    r.layers.forEach((l, i) => {
      expect(l.node).toBe(b.computeLayers[i].node);
      expect(l.macs).toBe(b.computeLayers[i].macs);
      expect(l.outputShape).toEqual(b.computeLayers[i].outputShape);
      expect(l.perSample.length).toBe(2);
      for (const v of [l.mean, ...l.perSample]) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
      expect(l.afterRelu).toBe(b.computeLayers[i].afterRelu);
      if (l.afterRelu) expect(l.mean).toBeGreaterThan(0);
    });
    if (name === 'bert-base') {
      expect(r.afterReluMean).toBe(0); // GELU/LayerNorm: no exact zeros
      const near = await measureActivationSparsity(b.bytes, b.inputShapes, { samples: 1, threshold: 0.05 });
      expect(near.mean).toBeGreaterThan(0);
    } else {
      expect(r.afterReluMean).toBeGreaterThan(0.2);
      expect(r.afterReluMean).toBeLessThan(0.9);
    }
  });

  it('accepts your own inputs (one run per sample) and depends on them', async () => {
    const b = small('mobilenetv2');
    const n = prod(b.inputShapes.input);
    const zeros = await measureActivationSparsity(b.bytes, b.inputShapes, { inputs: [{ input: new Float32Array(n) }] });
    const noise = await measureActivationSparsity(b.bytes, b.inputShapes, { inputs: [{ input: seededNormal(n, 11) }, { input: seededNormal(n, 12) }] });
    expect(zeros.inputs).toBe('provided');
    expect(zeros.samples).toBe(1);
    expect(noise.samples).toBe(2);
    expect(zeros.layers[0].mean).toBe(1); // an all-zero image is all zeros at the stem
    expect(zeros.mean).not.toBeCloseTo(noise.mean, 3);
  });
});

describe('architectures: determinism and cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-arch-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('same name + options + seed gives the same bytes; another seed does not', () => {
    const a = buildArchitecture('mobilenetv2', { resolution: 64, seed: 9 });
    const b = buildArchitecture('mobilenetv2', { resolution: 64, seed: 9 });
    const c = buildArchitecture('mobilenetv2', { resolution: 64, seed: 10 });
    expect(sha(a.bytes)).toBe(sha(b.bytes));
    expect(sha(a.bytes)).not.toBe(sha(c.bytes));
    const p1 = buildArchitecture('bert-base', { seq: 16, layers: 1, prune: { kind: 'nm' } });
    const p2 = buildArchitecture('bert-base', { seq: 16, layers: 1, prune: { kind: 'nm', n: 2, m: 4 } });
    expect(sha(p1.bytes)).toBe(sha(p2.bytes));
  });

  it('cachedArchitecture writes <key>.onnx atomically once and reuses it', () => {
    const first = cachedArchitecture('mobilenetv2', { resolution: 64 }, dir);
    expect(first.cached).toBe(false);
    expect(first.path).toBe(join(dir, `${first.key}.onnx`));
    expect(sha(readFileSync(first.path))).toBe(sha(small('mobilenetv2').bytes));
    const again = cachedArchitecture('mobilenetv2', { resolution: 64, seed: 1, width: 1 }, dir); // defaults spelled out: same key
    expect(again.cached).toBe(true);
    expect(again.key).toBe(first.key);
    expect(again.info).toEqual(first.info);
    expect(architectureKey('mobilenetv2', { resolution: 96 })).not.toBe(first.key);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    rmSync(join(dir, `${first.key}.onnx`));
    const rebuilt = cachedArchitecture('mobilenetv2', { resolution: 64 }, dir);
    expect(rebuilt.cached).toBe(false);
    expect(existsSync(rebuilt.path)).toBe(true);
  });
});
