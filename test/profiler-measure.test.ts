// Real profiles end to end on CPU lanes (tiny model, small budget), lane failures, cancellation,
// resume, the engine job and bad input. Needs `npm run build` (the lane workers are built bundles).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../engine/client';
import { Engine } from '../engine/engine';
import { lanesFeature } from '../engine/features/lanes';
import { profileFeature } from '../engine/features/profile';
import type { Reply } from '../engine/protocol';
import { attributeNode, deriveFigures, profileModel, type ProfileProgress } from '../profiler/profile';
import type { PowerMeter } from '../profiler/energy';
import { parseDuration } from '../cli/args';
import { parseGranularity } from '../cli/commands/profile';
import { parseLanes, parseLaneSpec } from '../profiler/measure';
import { parseOrtTrace } from '../profiler/measure-core';
import { listProfiles, loadProfile } from '../profiler/store';
import type { Profile } from '../profiler/types';
import { tinyCnn } from './support/tiny-model';

const home = mkdtempSync(join(tmpdir(), 'tessera-measure-'));
const store = join(home, 'profiles');
afterAll(() => rmSync(home, { recursive: true, force: true }));
const model = join(home, 'tiny.onnx');
writeFileSync(model, tinyCnn());
const fast = { budgetSec: 1.5, storeDir: store };

function measured(p: Profile, lane: string) {
  return p.layers.map((l) => l.lanes.find((m) => m.lane === lane)!);
}

describe('profiler: real measurements on CPU lanes', () => {
  let profile: Profile;

  it('profiles a tiny model on two CPU lanes: statistics, baseline, in-graph, peak, preferred lane, estimate labelled', async () => {
    const events: ProfileProgress[] = [];
    profile = await profileModel(model, { ...fast, lanes: ['cpu:1', 'cpu:2'], onProgress: (e) => events.push(e) });
    expect(profile.status).toBe('complete');
    expect(profile.layers.length).toBe(4);
    expect(profile.verification.passed).toBe(true);
    for (const lane of profile.lanes) {
      expect(lane.error).toBeUndefined();
      expect(lane.baselineMs).toBeGreaterThan(0);
      expect(lane.baselineMs).toBeLessThan(5);
      expect(lane.peakGflops).toBeGreaterThan(0.1);
      const whole = profile.wholeModel.find((m) => m.lane === lane.id)!;
      expect(whole.raw!.n).toBeGreaterThanOrEqual(3);
      // Net latency = raw median - baseline, clamped at 0 (stats.ts): a tiny model can measure below the baseline on a busy machine.
      expect(whole.latencyMs).toBeCloseTo(Math.max(0, whole.raw!.median - lane.baselineMs!), 9);
      const ig = profile.inGraph![lane.id];
      expect(ig.runs).toBeGreaterThanOrEqual(5);
      expect(ig.totalKernelMs).toBeGreaterThan(0);
      // Sum of the layers' baseline-subtracted medians over the whole model's (0 is possible when a
      // loaded machine measured the baseline above every tiny layer's raw median).
      const layerSum = measured(profile, lane.id).reduce((a, m) => a + m.latencyMs!, 0);
      expect(profile.cutOverhead![lane.id]).toBeCloseTo(layerSum / whole.latencyMs!, 9);
      for (const m of measured(profile, lane.id)) {
        const s = m.raw!;
        expect(s.n).toBeGreaterThanOrEqual(3);
        expect(s.p5).toBeLessThanOrEqual(s.median);
        expect(s.median).toBeLessThanOrEqual(s.p95);
        expect(s.cv).toBeGreaterThanOrEqual(0);
        expect(m.latencyMs).toBeGreaterThanOrEqual(0);
        expect(m.latencyMs).toBeCloseTo(Math.max(0, s.median - lane.baselineMs!), 9);
        expect(m.energy!.source.kind).toBe('estimated'); // no meter on this machine; never shown as measured
        expect(m.energy!.source.detail).toMatch(/ESTIMATE/);
      }
    }
    // ORT's kernel time is attributed to the layers: the per-node medians add up to about the median
    // total per run (a sum of medians is not the median of sums, hence the tolerance).
    for (const lane of profile.lanes) {
      const ig = profile.inGraph![lane.id];
      const sum = profile.layers.reduce((s, l) => s + (l.inGraphMs?.[lane.id] ?? 0), 0);
      expect(Math.abs(sum + ig.unattributedMs - ig.totalKernelMs) / ig.totalKernelMs).toBeLessThan(0.25);
      expect(ig.unattributedMs).toBeLessThan(0.5 * ig.totalKernelMs);
      expect(profile.layers.every((l) => (l.inGraphMs?.[lane.id] ?? 0) > 0)).toBe(true);
    }
    const conv1 = profile.layers[0];
    expect(conv1.flops).toBeGreaterThan(0);
    expect(conv1.preferredLane).toMatch(/^cpu:/);
    expect(conv1.gapToPreferred![conv1.preferredLane!]).toBe(1);
    const best = conv1.lanes.find((m) => m.lane === conv1.preferredLane)!;
    if (!best.unresolved) expect(best.achievedGflops).toBeCloseTo(conv1.flops / (best.latencyMs! / 1000) / 1e9, 6);
    else expect(best.achievedGflops).toBeUndefined(); // under the timer's resolution on this machine: no throughput
    // Progress: layer i of n, lane, eta; and the saved profile is the returned one.
    const layerEvents = events.filter((e) => e.phase === 'layer');
    expect(layerEvents.length).toBe(8);
    expect(layerEvents[0]).toMatchObject({ lane: 'cpu:1', layer: 0, layers: 4, total: 8 });
    expect(layerEvents.some((e) => e.etaSec !== undefined)).toBe(true);
    expect(events[events.length - 1].phase).toBe('done');
    expect(loadProfile(profile.id, store)).toEqual(JSON.parse(JSON.stringify(profile)));
  });

  it('reports webgpu unavailable with a reason here and still measures the CPU lane', async () => {
    const p = await profileModel(model, { ...fast, lanes: ['cpu:1', 'webgpu'], budgetSec: 1 });
    const gpu = p.lanes.find((l) => l.id === 'webgpu')!;
    const cpu = measured(p, 'cpu:1');
    expect(cpu.every((m) => m.raw !== undefined)).toBe(true);
    if (gpu.error) {
      expect(gpu.error).toMatch(/^webgpu: /);
      expect(measured(p, 'webgpu').every((m) => m.error?.startsWith('lane unavailable: webgpu'))).toBe(true);
    } else {
      // A machine with a WebGPU adapter measures it like any lane.
      expect(measured(p, 'webgpu').every((m) => m.raw !== undefined || m.error !== undefined)).toBe(true);
    }
  });

  it('a lane worker that crashes fails only that (layer, lane); a hang is cut by the watchdog', async () => {
    const p = await profileModel(model, {
      ...fast,
      budgetSec: 1,
      save: false,
      lanes: ['cpu:1', 'cpu:1'],
      watchdogSec: 8,
      testHooks: { 'cpu:1#1': { crashAt: 'layer:1' } },
    });
    expect(p.lanes.map((l) => l.id)).toEqual(['cpu:1', 'cpu:1#1']);
    expect(measured(p, 'cpu:1').every((m) => m.raw && !m.error)).toBe(true);
    const crashed = measured(p, 'cpu:1#1');
    expect(crashed[1].error).toMatch(/layer 1 .*worker died.*SIGSEGV/);
    expect(crashed[1].raw).toBeUndefined();
    expect([crashed[0], crashed[2], crashed[3]].every((m) => m.raw && !m.error)).toBe(true);
    expect(p.status).toBe('complete'); // every pair has a result or an error

    const hung = await profileModel(model, { ...fast, budgetSec: 1, save: false, lanes: ['cpu:1'], watchdogSec: 2, testHooks: { 'cpu:1': { hangAt: 'measure:layer:2' } } });
    expect(measured(hung, 'cpu:1')[2].error).toMatch(/watchdog/);
    expect(measured(hung, 'cpu:1')[3].raw).toBeDefined();
  });

  it('cancellation keeps what was measured; rerunning resumes from there', async () => {
    const ac = new AbortController();
    const opts = { ...fast, budgetSec: 1, lanes: ['cpu:1'], granularity: 'node' as const };
    const first = await profileModel(model, {
      ...opts,
      signal: ac.signal,
      onProgress: (e) => {
        if (e.phase === 'layer' && e.done >= 3) ac.abort();
      },
    });
    expect(first.status).toBe('partial');
    const done = measured(first, 'cpu:1').filter((m) => m.raw);
    expect(done.length).toBe(3);
    expect(first.warnings.some((w) => /cancelled/.test(w))).toBe(true);
    expect(loadProfile(first.id, store).status).toBe('partial');

    const events: ProfileProgress[] = [];
    const second = await profileModel(model, { ...opts, onProgress: (e) => events.push(e) });
    expect(second.id).toBe(first.id);
    expect(second.status).toBe('complete');
    expect(events.some((e) => e.resumedPairs === 3 && /resuming/.test(e.message))).toBe(true);
    expect(events.filter((e) => e.phase === 'layer').length).toBe(second.layers.length - 3);
    // The three pairs measured before the interruption are kept as they were.
    expect(measured(second, 'cpu:1').slice(0, 3).map((m) => m.raw)).toEqual(done.map((m) => m.raw));
    expect(listProfiles(store).find((s) => s.id === first.id)!.status).toBe('complete');
  });

  it('contention mode runs lanes at the same time; a readable meter gives measured energy (active - idle) x latency', async () => {
    // A stand-in meter (this machine has none): 10 W while the profiler measures idle power, 30 W once lanes run.
    let busy = false;
    const meter: PowerMeter = {
      id: 'test-meter',
      domain: 'cpu-package',
      sampleHz: 20,
      averagingMs: 0,
      available: async () => ({ ok: true }),
      sample: async () => ({ kind: 'power', tMs: performance.now(), watts: busy ? 30 : 10 }),
      describe: () => 'test meter, 20 Hz',
    };
    const events: ProfileProgress[] = [];
    const p = await profileModel(model, { ...fast, budgetSec: 1, save: false, lanes: ['cpu:1', 'cpu:1'], contention: true, meters: [meter], energyWindowSec: 0.2, onProgress: (e) => {
      events.push(e);
      if (e.phase === 'lane') busy = true;
    } });
    expect(p.settings.contention).toBe(true);
    // Both lanes started before either measured anything (run one after another, the second lane
    // would start only after the first's layers). Checked on the order of events, not on timing: on a
    // loaded machine one lane may well finish its layers before the other's worker is up.
    const starts = events.map((e, i) => (e.phase === 'lane' ? i : -1)).filter((i) => i >= 0);
    expect(starts.map((i) => events[i].lane)).toEqual(['cpu:1', 'cpu:1#1']);
    const firstMeasure = events.findIndex((e) => e.phase === 'baseline' || e.phase === 'layer');
    expect(firstMeasure).toBeGreaterThan(Math.max(...starts));
    for (const id of ['cpu:1', 'cpu:1#1']) expect(events.filter((e) => e.phase === 'layer' && e.lane === id)).toHaveLength(p.layers.length);
    const lane = p.lanes[0];
    expect(lane.idleWatts).toBeCloseTo(10, 6);
    expect(lane.meter).toMatchObject({ id: 'test-meter', sampleHz: 20 });
    for (const m of measured(p, 'cpu:1')) {
      expect(m.energy!.source).toMatchObject({ kind: 'measured', meter: 'test-meter', sampleHz: 20 });
      expect(m.energy!.watts).toBeCloseTo(20, 6);
      expect(m.energy!.joulesPerRun).toBeCloseTo((20 * m.latencyMs!) / 1000, 9);
    }
    expect(p.energy!.meters[0]).toMatchObject({ id: 'test-meter', ok: true });
    expect(p.warnings.join(' ')).toMatch(/contention mode: .*include/);
  });

  it('bad input: corrupt file, not ONNX, missing shape, unknown input, bad lane', async () => {
    const bytes = tinyCnn();
    const truncated = join(home, 'truncated.onnx');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(profileModel(truncated, { ...fast, save: false })).rejects.toThrow(/truncated\.onnx/);
    const text = join(home, 'notes.onnx');
    writeFileSync(text, 'this is not a model\n');
    await expect(profileModel(text, { ...fast, save: false })).rejects.toThrow(/notes\.onnx/);
    const dyn = join(home, 'dynamic.onnx');
    writeFileSync(dyn, tinyCnn({ dynamic: true }));
    await expect(profileModel(dyn, { ...fast, save: false })).rejects.toThrow(/input 'x'.*dimension 0 \('N'\)/);
    await expect(profileModel(model, { ...fast, save: false, shapes: { nope: [1] } })).rejects.toThrow(/'nope'.*not an input/);
    expect(() => parseLaneSpec('gpu9')).toThrow(/unknown execution provider "gpu9"/);
    expect(() => parseLaneSpec('webgpu:2')).toThrow(/thread count applies to cpu lanes only/);
    expect(parseLanes('cpu:1,cpu:1,webgpu').map((l) => l.id)).toEqual(['cpu:1', 'cpu:1#1', 'webgpu']);
  });
});

describe('profiler: ORT trace parsing and attribution', () => {
  it('groups kernel events by run, skips warm-up runs, and maps renamed nodes to layers', () => {
    const ev = (name: string, ts: number, dur: number, provider = 'CPUExecutionProvider') => ({ cat: 'Node', name: `${name}_kernel_time`, ph: 'X', ts, dur, args: { provider, op_name: 'Conv' } });
    const run = (ts: number, dur: number) => ({ cat: 'Session', name: 'model_run', ph: 'X', ts, dur });
    const t = parseOrtTrace(
      [run(0, 100), ev('a', 1, 90), run(200, 100), ev('a', 201, 10), ev('b', 215, 4, 'WebGpuExecutionProvider'), run(400, 100), ev('a', 401, 12), ev('b', 415, 6, 'WebGpuExecutionProvider'), run(600, 100), ev('a', 601, 14), ev('b', 615, 2, 'WebGpuExecutionProvider'), ev('b', 620, 2, 'WebGpuExecutionProvider')],
      1,
    );
    expect(t.runs).toBe(3);
    expect(t.nodes.a.ms).toBeCloseTo(0.012); // median of 10, 12, 14 us; the 90 us warm-up run is dropped
    expect(t.nodes.b.ms).toBeCloseTo(0.004); // a node run twice in one run (loop body) is summed
    expect(t.nodes.b.provider).toBe('WebGpuExecutionProvider');
    // A control-flow node's subgraph kernels run inside its own kernel event: counted once, in the parent.
    const ifTrace = parseOrtTrace([run(0, 100), ev('If_0', 10, 50), ev('inner_lstm', 12, 30), ev('inner_add', 45, 5), ev('after', 60, 20)], 0);
    expect(Object.keys(ifTrace.nodes).sort()).toEqual(['If_0', 'after']);
    expect(ifTrace.totalKernelMs).toBeCloseTo(0.07);
    expect(Object.keys(ifTrace.nested!).sort()).toEqual(['inner_add', 'inner_lstm']);
    const nodes = new Map([['conv1', 0]]);
    const tensors = new Map([['conv2_out', 1]]);
    expect(attributeNode('conv1', nodes, tensors)).toBe(0);
    expect(attributeNode('conv2_out_nchwc', nodes, tensors)).toBe(1);
    expect(attributeNode('ReorderInput_token_3', nodes, tensors)).toBeUndefined();
  });
});

describe('profiler: CPU fallback and derived figures', () => {
  it('nodes an accelerator lane hands to the CPU EP are listed as fallback, and the preferred lane and gaps follow the latencies', () => {
    const raw = (median: number) => ({ median, p5: median, p95: median, mean: median, cv: 0, n: 10, ciHalfWidthRel: 0.01, converged: true });
    const p = {
      lanes: [
        { id: 'cpu:1', ep: 'cpu', threads: 1, baselineMs: 0.01, peakGflops: 100 },
        { id: 'webgpu', ep: 'webgpu', baselineMs: 0.1, peakGflops: 1000 },
      ],
      layers: [
        { index: 0, name: 'a', nodes: ['conv', 'shape'], opTypes: ['Conv', 'Shape'], inputs: [], outputs: [], flops: 2e6, bytesMoved: 0, lanes: [{ lane: 'cpu:1', raw: raw(1.01) }, { lane: 'webgpu', raw: raw(0.35) }] },
      ],
      wholeModel: [{ lane: 'cpu:1', raw: raw(1.01) }, { lane: 'webgpu', raw: raw(0.5) }],
      warnings: [],
    } as unknown as Profile;
    const trace = { runs: 5, totalKernelMs: 0.3, modelRunMs: 0.4, nodes: { conv: { ms: 0.2, provider: 'WebGpuExecutionProvider' }, shape: { ms: 0.1, provider: 'CPUExecutionProvider' } } };
    deriveFigures(p, { webgpu: trace });
    const [cpu, gpu] = p.layers[0].lanes;
    expect(gpu.fallbackNodes).toEqual(['shape']);
    expect(cpu.fallbackNodes).toBeUndefined();
    expect(cpu.latencyMs).toBeCloseTo(1.0);
    expect(gpu.latencyMs).toBeCloseTo(0.25);
    expect(p.layers[0].preferredLane).toBe('webgpu');
    expect(p.layers[0].gapToPreferred!['cpu:1']).toBeCloseTo(4);
    expect(p.layers[0].gapToPreferred!.webgpu).toBe(1);
    expect(gpu.achievedGflops).toBeCloseTo(2e6 / 0.25e-3 / 1e9);
    expect(gpu.peakFraction).toBeCloseTo(0.008);
    expect(Object.keys(p.layers[0].inGraphMs!)).toEqual(['webgpu']);
    expect(p.layers[0].inGraphMs!.webgpu).toBeCloseTo(0.3);
    expect(p.layers[0].cutToInGraph!.webgpu).toBeCloseTo(0.25 / 0.3);
    expect(p.cutOverhead!.webgpu).toBeCloseTo(0.25 / 0.4);
  });
});

describe('profiler: engine job and CLI', () => {
  it('parses --budget and --granularity', () => {
    expect(parseDuration('60s', '--budget')).toBe(60);
    expect(parseDuration('500ms', '--budget')).toBe(0.5);
    expect(parseDuration('2m', '--budget')).toBe(120);
    expect(() => parseDuration('soon', '--budget')).toThrow(/--budget/);
    expect(parseGranularity('node')).toBe('node');
    expect(parseGranularity('12')).toBe(12);
    expect(() => parseGranularity('0')).toThrow(/--granularity/);
  });

  function client() {
    const engine = new Engine([profileFeature, lanesFeature]);
    let deliver: (r: Reply) => void = () => {};
    const conn = engine.connect((r) => queueMicrotask(() => deliver(r)));
    return new EngineClient({ send: (r) => conn.handle(r), onReply: (l) => (deliver = l) }) as unknown as { call(m: string, p: unknown, o?: object): Promise<any> };
  }

  it('profile.run streams progress, validates params and names the bad field', async () => {
    const c = client();
    process.env.TESSERA_HOME = home;
    const progress: any[] = [];
    const r = await c.call('profile.run', { models: [model], lanes: ['cpu:1'], budgetSec: 1, save: false }, { onProgress: (p: any) => progress.push(p) });
    expect(r.profiles[0].status).toBe('complete');
    expect(progress.some((p) => p.detail?.phase === 'layer' && p.fraction > 0)).toBe(true);
    await expect(c.call('profile.run', { models: [model], granularity: 'coarse' })).rejects.toThrow(/Invalid params for profile.run: granularity/);
    await expect(c.call('profile.run', { models: [join(home, 'missing.onnx')] })).rejects.toMatchObject({ code: 'bad-model', message: expect.stringMatching(/missing\.onnx: no such file/) });
    const lanes = await c.call('lanes.list', { probe: false });
    expect(lanes.some((l: any) => l.id.startsWith('cpu:'))).toBe(true);
  });

  it('tessera profile --json prints only JSON on stdout and progress on stderr', () => {
    const bin = join(__dirname, '..', 'bin', 'tessera.cjs');
    const env = { ...process.env, TESSERA_HOME: home };
    const r = spawnSync(process.execPath, [bin, 'profile', model, '--lanes', 'cpu:1', '--budget', '1s', '--json'], { encoding: 'utf8', env, timeout: 60_000 });
    expect(r.stderr).toMatch(/\[#+-*\] \d+\/4 /);
    expect(r.status).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p.layers).toHaveLength(4);
    expect(p.layers[0].lanes[0].energy.source.kind).toBe('estimated');
    const bad = spawnSync(process.execPath, [bin, 'profile', join(home, 'dynamic.onnx'), '--budget', '1s'], { encoding: 'utf8', env, timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/dynamic: input 'x'/);
  });
});
