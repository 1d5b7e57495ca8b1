// XRBench import: the .m parser, the bundled data, every network's layer-shape replica (layer count,
// MACs per layer against the spec's dimensions, measured on the real shapes ONNX Runtime produces),
// one CPU frame of every tenant of every scenario, and the scenarios themselves.
//
// Speed: every network is built and run at FULL spec size, once (models with the same generator key
// are identical bytes, so a tenant whose network already ran is not run again); the run exposes each
// layer's input and output so the per-layer MAC check uses the shapes ORT really computed. ORT runs at
// graph optimization level 'basic' (fast session creation: the NCHWc layout pass of 'all' takes
// seconds on the big dense 5x5 convs). No resolution scale is needed: ~20 s on 2 cores.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeCost, type TensorMeta } from '../profiler/onnx/flops';
import { checkScenarioModels, xrbenchCacheKey, xrbenchSpecFor } from '../workloads/library';
import { parseScenario } from '../workloads/scenario';
import {
  buildXrbenchModel,
  listXrbenchNetworks,
  listXrbenchScenarios,
  packXrbench,
  parseXrbench,
  planNetwork,
  REPLICA_LABEL,
  serializeXrbench,
  summarizePlan,
  XRBENCH_DATA_INFO,
  xrbenchNetwork,
  xrbenchScenario,
  XrbenchParseError,
} from '../workloads/xrbench';

const SHARED = [process.env.TESSERA_SHARED, join(__dirname, '..', '..', 'shared'), '/work/shared'].filter((d): d is string => !!d).map((d) => join(d, 'xrbench')).find((d) => existsSync(d));
const DATA_FILE = join(__dirname, '..', 'workloads', 'data', 'xrbench.json');

function sharedFiles(): string[] {
  return ['usage_scenarios', 'probability_sweep'].flatMap((d) =>
    readdirSync(join(SHARED!, d))
      .filter((f) => f.endsWith('.m'))
      .sort()
      .map((f) => `${d}/${f}`),
  );
}

describe('XRBench .m parser and bundled data', () => {
  it.skipIf(!SHARED)('parses every shared .m file; the bundled workloads/data/xrbench.json is up to date (TESSERA_UPDATE=1 rewrites it)', () => {
    const files = sharedFiles();
    expect(files.length).toBe(11);
    const parsed = files.map((path) => ({ path, parsed: parseXrbench(readFileSync(join(SHARED!, path), 'utf8'), path) }));
    // Every layer Type in the files is handled (they are all CONV; fully connected = CONV with Y or X = 1, R = S = 1).
    const types = new Set(parsed.flatMap((p) => p.parsed.networks.flatMap((n) => n.layers.map((l) => l.type))));
    expect([...types]).toEqual(['CONV']);
    const text = serializeXrbench(packXrbench(parsed, XRBENCH_DATA_INFO.source, XRBENCH_DATA_INFO.license));
    if (process.env.TESSERA_UPDATE) writeFileSync(DATA_FILE, text);
    expect(readFileSync(DATA_FILE, 'utf8')).toBe(text);
  });

  it('rejects malformed files with the file, line and what is wrong', () => {
    const bad = (text: string) => {
      try {
        parseXrbench(text, 'bad.m');
      } catch (e) {
        expect(e).toBeInstanceOf(XrbenchParseError);
        return (e as Error).message;
      }
      throw new Error('parsed');
    };
    expect(bad('Network A {\nFPS: 30\nLayer c1 {\nType: LSTM\nDimensions: { N: 1, K: 1, C: 1, Y: 1, X: 1, R: 1, S: 1 }\n}\n}')).toBe('bad.m:3: network A, layer c1: layer Type LSTM is not supported (supported: CONV, DSCONV)');
    expect(bad('Network A {\nLayer c1 {\nType: CONV\nDimensions: { N: 1, K: 1, C: 1, Y: 1, X: 1, R: 1, S: 1 }\n}\n}')).toBe('bad.m:1: network A: FPS missing or not > 0');
    expect(bad('Network A {\nFPS: 30\nLayer c1 {\nType: CONV\nDimensions: { N: 1, K: 1, C: 1, Y: 1, X: 1, R: 1 }\n}\n}')).toBe('bad.m:3: network A, layer c1: Dimensions lack S');
    expect(bad('Network A {\nFPS: 30\nDependency: { B }\nLayer c1 {\nType: CONV\nDimensions: { N: 1, K: 1, C: 1, Y: 1, X: 1, R: 1, S: 1 }\n}\n}')).toBe('bad.m:1: network A: Dependency "B" is not a network of this file');
    expect(bad('Network A {\nFPS: 30\nColour: 3\n}')).toBe('bad.m:3: network A: unknown field "Colour"');
  });

  it('reads MAESTRO extras: DSCONV (depthwise), Stride and Dataflow blocks', () => {
    const f = parseXrbench(
      'Network M {\nFPS: 10\nLayer a {\nType: CONV\nStride { X: 2, Y: 2 }\nDimensions { K: 8, C: 3, R: 3, S: 3, Y: 32, X: 32 }\nDataflow {\n SpatialMap(1,1) K;\n}\n}\nLayer b {\nType: DSCONV\nDimensions { K: 1, C: 8, R: 3, S: 3, Y: 16, X: 16 }\n}\n}',
      'm.m',
    );
    expect(f.networks[0].layers.map((l) => [l.type, l.N, l.K, l.C, l.stride?.X])).toEqual([['CONV', 1, 8, 3, 2], ['DSCONV', 1, 1, 8, undefined]]);
    const plan = planNetwork(f.networks[0]);
    expect(plan.layers[0].stride).toEqual([2, 2]);
    expect(plan.layers[1].group).toBe(8);
    expect(plan.layers[1].macs).toBe(8 * 16 * 16 * 9);
  });
});

// ---------------------------------------------------------------------------------------------

const ran = new Map<string, { outputDims: number[]; finite: boolean; ms: number }>();
const summary: string[] = [];

const prod = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);

describe('XRBench layer-shape replicas (full spec size, ONNX Runtime CPU)', () => {
  afterAll(() => {
    if (summary.length) console.log(`\n${summary.join('\n')}`);
  });

  it.each(listXrbenchNetworks().filter((n) => n !== 'D2go_FastRCNN'))('%s: layer count and per-layer MACs match the spec; one frame runs', async (name) => {
    const spec = xrbenchNetwork(name);
    const built = buildXrbenchModel(spec, {}, { exposeLayerTensors: true });
    const { plan } = built;
    // Labelled as a replica in the model itself.
    const proto = onnx.ModelProto.decode(built.bytes);
    const meta = Object.fromEntries((proto.metadataProps ?? []).map((p) => [p.key, p.value]));
    expect(meta['tessera.label']).toBe(REPLICA_LABEL);
    expect(meta['tessera.synthetic']).toBe('true');
    expect(Number(meta['tessera.layers'])).toBe(spec.layers.length);

    // Layer count: one Conv / Gemm / MatMul node per spec layer, in order, named after it.
    const compute = (proto.graph!.node ?? []).filter((n) => ['Conv', 'Gemm', 'MatMul'].includes(n.opType!));
    expect(compute.map((n) => n.name)).toEqual(spec.layers.map((l) => l.name));

    const t0 = performance.now();
    const session = await ort.InferenceSession.create(built.bytes, { intraOpNumThreads: 2, graphOptimizationLevel: 'basic' });
    const input = built.inputShapes.input;
    const data = new Float32Array(prod(input));
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37);
    const out = await session.run({ input: new ort.Tensor('float32', data, input) });
    const ms = performance.now() - t0;
    await session.release();
    const y = out.output.data as Float32Array;
    const finite = y.every((v) => Number.isFinite(v));
    expect(finite).toBe(true);
    expect([...out.output.dims]).toEqual(plan.outputShape);

    // MACs per layer from the spec's dimensions, with the output size ORT really produced.
    const inits = new Map((proto.graph!.initializer ?? []).map((t) => [t.name!, (t.dims ?? []).map(Number)]));
    const dims = (n: string) => (out[n] ? [...out[n].dims].map(Number) : n === 'input' ? input : inits.get(n));
    const metaOf = (n: string): TensorMeta | undefined => {
      const d = dims(n);
      return d ? { type: 'float32', dims: d } : undefined;
    };
    let total = 0;
    compute.forEach((node, i) => {
      const l = spec.layers[i];
      const [x, w] = [dims(node.input![0])!, dims(node.input![1])!];
      const yd = dims(node.output![0])!;
      let macs: number;
      if (node.opType === 'Conv') {
        expect(x, `${name} ${l.name} input`).toEqual([l.N, l.C, l.Y, l.X]);
        expect(w, `${name} ${l.name} weight`).toEqual([l.K, l.C, l.R, l.S]);
        // Output size from the node's own stride and padding = what ORT computed.
        const a = Object.fromEntries((node.attribute ?? []).map((at) => [at.name, (at.ints ?? []).map(Number)]));
        const [sy, sx] = a.strides;
        const [pt, pl, pb, pr] = a.pads;
        expect(yd).toEqual([l.N, l.K, Math.floor((l.Y + pt + pb - l.R) / sy) + 1, Math.floor((l.X + pl + pr - l.S) / sx) + 1]);
        macs = l.N * l.K * l.C * l.R * l.S * yd[2] * yd[3];
        // Chained layers: the output is exactly the next layer's input size from the spec.
        const next = spec.layers[i + 1];
        if (next && plan.layers[i + 1].before.length === 0) expect(yd.slice(2), `${l.name} -> ${next.name}`).toEqual([next.Y, next.X]);
      } else {
        // Fully connected: MACs = N K C Y X exactly (Y x X tokens of C features).
        const tokens = l.Y * l.X;
        expect(x, `${name} ${l.name} input`).toEqual(tokens === 1 ? [l.N, l.C] : [l.N, tokens, l.C]);
        expect(w).toEqual(node.opType === 'Gemm' ? [l.K, l.C] : [l.C, l.K]);
        macs = l.N * l.K * l.C * l.Y * l.X;
      }
      expect(plan.layers[i].macs, `${name} ${l.name} MACs`).toBe(macs);
      // The profiler's FLOP counter agrees (no biases: FLOPs = 2 x MACs).
      expect(nodeCost(node, metaOf).flops).toBe(2 * macs);
      total += macs;
    });
    expect(plan.macs).toBe(total);
    const s = summarizePlan(plan);
    summary.push(`${name.padEnd(24)} ${String(plan.layers.length).padStart(4)} layers ${(plan.macs / 1e9).toFixed(3).padStart(7)} GMACs  params ${(plan.params / 1e6).toFixed(1)} M  strides ${JSON.stringify(s.strides)} padding ${JSON.stringify(s.paddings)} adapters ${JSON.stringify(s.adapters)}  frame+load ${ms.toFixed(0)} ms`);
    ran.set(xrbenchCacheKey(spec, {}), { outputDims: plan.outputShape, finite, ms });
  });

  it('D2go_FastRCNN (outdoor_activity_B) has the same layers as OD_D2go_FasterRCNN, so the same replica', () => {
    expect(xrbenchNetwork('D2go_FastRCNN').layers).toEqual(xrbenchNetwork('OD_D2go_FasterRCNN').layers);
    expect(xrbenchCacheKey({ ...xrbenchNetwork('D2go_FastRCNN'), name: 'OD_D2go_FasterRCNN' })).toBe(xrbenchCacheKey(xrbenchNetwork('OD_D2go_FasterRCNN')));
  });

  it('every tenant of every scenario (7 usage + 4 sweep) runs one frame on CPU (identical models, same generator key, ran once above)', () => {
    const scenarios = listXrbenchScenarios();
    expect(scenarios.filter((s) => !s.sweep).length).toBe(7);
    expect(scenarios.filter((s) => s.sweep).length).toBe(4);
    let tenants = 0;
    for (const info of scenarios) {
      const s = xrbenchScenario(info.id);
      for (const t of s.tenants) {
        if (t.model.kind !== 'xrbench') throw new Error('not an xrbench tenant');
        const spec = xrbenchSpecFor(t.model.scenario, t.model.network);
        const key = xrbenchCacheKey({ ...spec, name: t.model.network === 'D2go_FastRCNN' ? 'OD_D2go_FasterRCNN' : spec.name }, t.model.options);
        const r = ran.get(key);
        expect(r, `${info.id} / ${t.id}`).toBeDefined();
        expect(r!.finite).toBe(true);
        tenants++;
      }
    }
    expect(tenants).toBe(3 + 6 + 3 + 4 + 3 + 4 + 3 + 4 * 3);
  });

  it('resolutionScale and depthwise inference build smaller models that still run', async () => {
    for (const [name, options] of [
      ['ES_RITNet', { resolutionScale: 0.5 }],
      ['SS_HRViT_b1', { resolutionScale: 0.25 }],
      ['GE_FBNet_C', { depthwise: 'infer' as const, resolutionScale: 0.5 }],
    ] as const) {
      const spec = xrbenchNetwork(name);
      const full = planNetwork(spec);
      const built = buildXrbenchModel(spec, options);
      expect(built.plan.layers.length).toBe(spec.layers.length);
      expect(built.info.macs).toBeLessThan(full.macs / 3);
      const session = await ort.InferenceSession.create(built.bytes, { intraOpNumThreads: 2, graphOptimizationLevel: 'basic' });
      const shape = built.inputShapes.input;
      const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(prod(shape)).fill(0.5), shape) });
      await session.release();
      expect([...out.output.dims]).toEqual(built.plan.outputShape);
      if ('depthwise' in options) expect(built.plan.layers.filter((l) => l.group > 1).length).toBeGreaterThan(10);
    }
  });

  it('is deterministic: same network and options give byte-identical models', () => {
    const a = buildXrbenchModel(xrbenchNetwork('KD_res8_narrow'));
    const b = buildXrbenchModel(xrbenchNetwork('KD_res8_narrow'));
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
  });
});

describe('XRBench scenarios', () => {
  it('every usage scenario and sweep file becomes a valid Tessera scenario with XRBench cascades and deadlines', async () => {
    for (const info of listXrbenchScenarios()) {
      const s = parseScenario(xrbenchScenario(info.id), info.id);
      expect(await checkScenarioModels(s)).toEqual([]);
      // What the models are is said once, in the scenario's notes, not in every tenant's description.
      expect(s.notes?.filter((n) => n.includes(REPLICA_LABEL))).toHaveLength(1);
      for (const t of s.tenants) {
        expect(t.arrival.type).toBe('periodic');
        if (t.arrival.type === 'periodic') expect(t.deadlineMs).toBeCloseTo(1000 / t.arrival.fps, 9);
        expect(t.description).toMatch(/^.+: \d+ layers$/);
        expect(t.description).not.toContain(REPLICA_LABEL);
      }
    }
    const sweep = ['25p', '50p', '75p', '100p'].map((p) => xrbenchScenario(`xrbench/sweep/vr_gaming_${p}`).tenants.find((t) => t.id === 'GE_FBNet_C')!.cascade);
    expect(sweep).toEqual([0.25, 0.5, 0.75, 1].map((probability) => ({ upstream: 'ES_RITNet', probability })));
    const ar = xrbenchScenario('xrbench/ar_assistant');
    expect(ar.tenants.map((t) => [t.id, t.arrival.type === 'periodic' ? t.arrival.fps : 0, t.cascade?.upstream ?? null, t.cascade?.probability ?? null])).toEqual([
      ['KD_res8_narrow', 3, null, null],
      ['ASR_EM_24L', 3, 'KD_res8_narrow', 0.5],
      ['SS_HRViT_b1', 10, null, null],
      ['DE_midas_v21_small', 30, null, null],
      ['PD_Plane_RCNN_Quarter', 15, null, null],
      ['OD_D2go_FasterRCNN', 10, null, null],
    ]);
    // A dependency without a Probability (social interaction files) means 1.
    expect(xrbenchScenario('xrbench/social_interaction_a').tenants.find((t) => t.id === 'GE_FBNet_C')!.cascade).toEqual({ upstream: 'ES_RITNet', probability: 1 });
  });
});
