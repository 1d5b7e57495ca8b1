// The embeddable runtime `tessera/runtime`: its package entry (package.json exports, with types), what
// its bundle pulls in (esbuild's metafile: no Electron, UI, engine, server, CLI or profiling code), and
// the live runtime's submitted-frames mode it is built on: outputs come back (equal to a direct ONNX
// Runtime run, across layer cuts and two lanes), the queue bound drops with a cause, stats add up,
// feeds that do not fit the model are refused before anything runs.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { MODEL_KIND_IDS, namesModelKind } from '../profiler/variants/model-kind-ids';
import { MODEL_KINDS } from '../profiler/variants/model-kinds';
import { StatsBook } from '../scheduler/embed/stats';
import { demoConv, demoMlp } from '../scheduler/live/demo';
import { parseLanes } from '../scheduler/live/lanes';
import { checkFeeds, LiveRun } from '../scheduler/live/runtime';
import type { FrameOutcome, LiveScenario, WireTensor } from '../scheduler/live/types';

const root = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

describe('tessera/runtime entry', () => {
  test('package.json exports ./runtime with types; the built entry loads by the package name and has the API', () => {
    const entry = pkg.exports['./runtime'];
    expect(entry.types).toBe('./dist/types/scheduler/embed/api.d.ts');
    expect(entry.default).toBe('./dist/runtime.cjs');
    expect(existsSync(join(root, entry.default))).toBe(true);
    const dts = readFileSync(join(root, entry.types), 'utf8');
    expect(dts).toMatch(/export declare function openSchedule/);
    expect(dts).toMatch(/submit\(tenant: string, feeds: Record<string, Feed>\): Promise<FrameOutcome>/);
    // Package self-reference: resolved through `exports`, as an app that installed tessera would.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', "import * as rt from 'tessera/runtime'; console.log(Object.keys(rt).sort().join(','))"], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split(',')).toEqual(expect.arrayContaining(['openSchedule', 'ScheduleRuntime', 'ScheduleError', 'RuntimeSetupError']));
  });

  test('the model-kind names it knows without the generators are exactly the generators\' kinds', () => {
    expect(MODEL_KINDS.map((k) => k.id)).toEqual([...MODEL_KIND_IDS]);
    expect(namesModelKind('fp16, resolution=0.5')).toBe(true);
    expect(namesModelKind(['exact', 'int8-static'])).toBe(false);
  });

  test('its import graph has no Electron, UI, engine, server, CLI or profiling code', async () => {
    const external = Object.keys(pkg.dependencies);
    const r = await build({ entryPoints: [join(root, 'scheduler/embed/index.ts')], bundle: true, platform: 'node', format: 'cjs', write: false, metafile: true, external, outdir: '/tmp/unused', logLevel: 'silent' });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs).toContain('scheduler/live/runtime.ts');
    expect(inputs.filter((f) => /^(electron|renderer|engine|server|cli|bench)\//.test(f))).toEqual([]);
    // Profiler modules it may use: model loading and cutting, lane grammar and probing, GPU adapter
    // checks, energy meters, the profile store (the tuned profiles' latencies) and its note rule, the
    // pure transfer-cost fit (live calibration). Not the profiling itself (profile.ts, measure-core.ts).
    const allowed = /^profiler\/(onnx\/(model|cut|shapes|values|flops|builder|random)|gpu\/(adapter|environment)|energy\/[a-z]+|types|stats|store|notes|transfer|measure|devices|variants\/model-kind-ids)\.ts$/;
    const profiler = inputs.filter((f) => f.startsWith('profiler/'));
    expect(profiler.filter((f) => !allowed.test(f))).toEqual([]);
    expect(profiler).not.toContain('profiler/profile.ts');
    expect(profiler).not.toContain('profiler/measure-core.ts');
    const packages = new Set<string>();
    for (const i of Object.values(r.metafile.inputs)) for (const imp of i.imports) if (imp.external) packages.add(imp.path);
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const nonBuiltin = [...packages].filter((p) => !builtins.has(p) && !p.startsWith('.'));
    expect(nonBuiltin).toContain('onnxruntime-node');
    // tar: archive bundles; ml-matrix: the live report's energy attribution (least squares).
    expect(nonBuiltin.filter((p) => !['onnxruntime-node', 'onnx-proto', 'zod', 'systeminformation', 'tar', 'ml-matrix'].includes(p))).toEqual([]);
  });
});

describe('stats and feed checks (pure)', () => {
  test('StatsBook: counts, miss rate over ended frames, latency percentiles over a bounded window', () => {
    const b = new StatsBook(['a', 'b'], 4);
    for (let i = 0; i < 6; i++) b.submitted(0);
    const ok = (ms: number, late = false): FrameOutcome => ({ ok: true, tenant: 'a', frame: 0, outputs: {}, latencyMs: ms, late });
    [10, 20, 30, 40, 50].forEach((ms, i) => b.ended(0, ok(ms, i === 4)));
    b.ended(0, { ok: false, tenant: 'a', frame: 5, reason: 'queue', message: 'x' });
    const [a, other] = b.get();
    expect(a).toMatchObject({ submitted: 6, finished: 5, late: 1, dropped: 1, inFlight: 0, dropsByCause: { queue: 1 } });
    expect(a.missRate).toBeCloseTo(2 / 6);
    expect(a.latencyMs.mean).toBeCloseTo(30);
    expect(a.latencyMs.max).toBe(50);
    // The window keeps the 4 most recent: 20..50.
    expect(a.latencyMs.window).toBe(4);
    expect(a.latencyMs.p50).toBeCloseTo(35);
    expect(other).toMatchObject({ submitted: 0, missRate: null, latencyMs: { mean: null, p95: null } });
  });

  test('checkFeeds names the input and what is wrong', () => {
    const exec = { name: 'm', inputs: [{ name: 'x', type: 'float32', dims: [1, 4] }, { name: 'sr', type: 'int64', dims: [] }] };
    const x: WireTensor = { type: 'float32', dims: [1, 4], data: new Float32Array(4) };
    expect(checkFeeds(exec, { inputValues: { sr: 16000 } }, { x })).toBeUndefined();
    expect(checkFeeds(exec, {}, { x })).toMatch(/input 'sr' .* is missing/);
    expect(checkFeeds(exec, { inputValues: { sr: 1 } }, { x, y: x })).toMatch(/no input 'y'.*its inputs: x, sr/);
    expect(checkFeeds(exec, { inputValues: { sr: 1 } }, { x: { ...x, dims: [1, 8] } })).toMatch(/dims \[1,8\].*\[1,4\]/);
    expect(checkFeeds(exec, { inputValues: { sr: 1 } }, { x: { ...x, type: 'float64', data: new Float64Array(4) } })).toMatch(/float64; model m takes float32/);
    expect(checkFeeds(exec, { inputValues: { sr: 1 } }, { x: { ...x, data: new Float32Array(3) } })).toMatch(/3 elements/);
  });
});

describe('live runtime, submitted frames', () => {
  test('outputs come back equal to a direct run; the queue bound drops with a cause; the run completes with every frame counted', async () => {
    const mlp = demoMlp('mlp', 1, 32, 4, 3);
    const conv = demoConv('conv', 4, 12, 3, 5);
    const scenario: LiveScenario = {
      name: 'submitted',
      tenants: [
        { id: 'mlp', model: { exec: mlp.layers }, arrival: { type: 'periodic', fps: 50 }, priority: 9 },
        { id: 'conv', model: { exec: conv.layers }, arrival: { type: 'periodic', fps: 20 } },
      ],
    };
    let running!: () => void;
    const isRunning = new Promise<void>((r) => (running = r));
    const run = new LiveRun(scenario, { policy: 'edf', duration: Infinity, frames: 'submitted', lanes: parseLanes('cpu:1,cpu:1'), granularity: 'layer', maxQueuePerTenant: 1, writeFiles: false, meters: false, calibration: { reps: 3, warmup: 1, mode: 'solo' } }, { onRunning: () => running() });
    expect(() => run.submit(0, {})).toThrow(/still setting up/);
    const done = run.run();
    await isRunning;
    expect(() => run.submit(0, { x: { type: 'float32', dims: [1, 16], data: new Float32Array(16) } })).toThrow(/tenant "mlp": input 'x' has dims \[1,16\]/);

    // A direct ONNX Runtime run of the whole model is the reference for the chained layers' outputs.
    const session = await ort.InferenceSession.create(mlp.whole.units[0].bytes);
    const inputs = Array.from({ length: 12 }, (_, k) => Float32Array.from({ length: 32 }, (_, i) => Math.sin(k * 7 + i)));
    const outcomes: FrameOutcome[] = [];
    for (const data of inputs) outcomes.push(await run.submit(0, { x: { type: 'float32', dims: [1, 32], data } }));
    for (const [k, o] of outcomes.entries()) {
      expect(o.ok).toBe(true);
      if (!o.ok) continue;
      expect(o.frame).toBe(k);
      expect(o.latencyMs).toBeGreaterThan(0);
      const want = (await session.run({ x: new ort.Tensor('float32', inputs[k], [1, 32]) })).y.data as Float32Array;
      const got = o.outputs.y;
      expect(got.dims).toEqual([1, 32]);
      const arr = got.data as Float32Array;
      for (let i = 0; i < 32; i++) expect(arr[i]).toBeCloseTo(want[i], 4);
    }
    // Ten frames at once with a queue bound of 1: two start on the two lanes, the waiting ones give way to newer ones.
    const burst = await Promise.all(Array.from({ length: 10 }, () => run.submit(1, { x: { type: 'float32', dims: [1, 4, 12, 12], data: new Float32Array(4 * 144).fill(0.5) } })));
    const dropped = burst.filter((o) => !o.ok);
    expect(dropped.length).toBeGreaterThanOrEqual(6);
    expect(dropped.every((o) => !o.ok && o.reason === 'queue' && /queue/.test(o.message))).toBe(true);
    expect(burst.at(-1)!.ok).toBe(true);
    run.finishSubmissions();
    const { report } = await done;
    expect(report.status).toBe('completed');
    expect(report.predicted).toBeUndefined();
    expect(report.metrics.perTenant[0].released).toBe(12);
    expect(report.metrics.perTenant[1].released).toBe(10);
    expect(report.metrics.perTenant[1].dropped).toBe(dropped.length);
    expect(() => run.submit(0, {})).toThrow(/takes no more frames/);
  }, 60_000);
});
