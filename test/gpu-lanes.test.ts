// GPU lanes, truthfully: adapter identity from the Vulkan loader, the software GPU lane (webgpu:sw)
// and its environment, and the GPU code paths exercised on SwiftShader where Chromium ships it
// (.ci/run installs chromium): the probe, a profile with CPU-fallback nodes and chained verification
// on the GPU lane, a live run moving
// activations between cpu and webgpu:sw, and a GPU lane that dies mid-run. Tiny models only:
// SwiftShader rasterises on the CPU (tens to hundreds of ms per conv layer). Workers load from dist/.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listAccelerators, probeExecutionProvider } from '../profiler/devices';
import { adapterRefusal, AdapterLog, classifyAdapter, describeAdapter, parseLoaderLog } from '../profiler/gpu/adapter';
import { findSoftwareVulkanDriver, laneProcessEnv, readIcd, SOFTWARE_ICD_ENV } from '../profiler/gpu/environment';
import { parseLaneSpec, parseLanes as parseProfilerLanes } from '../profiler/measure';
import { GraphBuilder, seededWeights } from '../profiler/onnx/builder';
import { profileModel } from '../profiler/profile';
import { LiveRun, parseLanes, type LiveScenario } from '../scheduler/live';

const tmp = mkdtempSync(join(tmpdir(), 'tessera-gpu-'));
process.env.TESSERA_HOME = tmp;

const SWIFTSHADER_LINE = '[Vulkan Loader] DRIVER:                Using "SwiftShader Device (Subzero)" with driver: "/usr/lib/chromium/libvk_swiftshader.so"';

describe('adapter identity (pure)', () => {
  it('reads the device Dawn created from the Vulkan loader log and classifies it', () => {
    const sw = parseLoaderLog(`[Vulkan Loader] INFO: Vulkan Loader Version 1.4.364\n${SWIFTSHADER_LINE}\n`)!;
    expect(sw).toMatchObject({ name: 'SwiftShader Device (Subzero)', backend: 'vulkan', driver: '/usr/lib/chromium/libvk_swiftshader.so', software: true });
    expect(sw.vendor).toMatch(/Google.*SwiftShader/);
    expect(describeAdapter(sw)).toMatch(/\[SOFTWARE\]$/);
    const nv = parseLoaderLog('[Vulkan Loader] DRIVER:   Using "NVIDIA H200" with driver: "/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0"')!;
    expect(nv).toMatchObject({ name: 'NVIDIA H200', vendor: 'NVIDIA', software: false });
    expect(describeAdapter(nv)).not.toMatch(/SOFTWARE/);
    expect(classifyAdapter('llvmpipe (LLVM 15.0.6, 256 bits)', 'libvulkan_lvp.so', 'vulkan', 'test')).toMatchObject({ software: true, vendor: 'Mesa (software)' });
    expect(classifyAdapter('AMD Radeon RX 7900 XTX (RADV NAVI31)', 'libvulkan_radeon.so', 'vulkan', 'test')).toMatchObject({ software: false, vendor: 'AMD' });
    expect(parseLoaderLog('[Vulkan Loader] INFO: nothing here')).toBeUndefined();
  });

  it('a software adapter is never used by default: plain webgpu is refused, webgpu:sw accepts it', () => {
    const sw = parseLoaderLog(SWIFTSHADER_LINE)!;
    expect(adapterRefusal({ id: 'webgpu', ep: 'webgpu' }, sw)).toMatch(/only adapter found is software.*webgpu:sw/);
    expect(adapterRefusal({ id: 'webgpu:sw', ep: 'webgpu', software: true }, sw)).toBeUndefined();
    const hw = classifyAdapter('NVIDIA H200', 'libGLX_nvidia.so.0', 'vulkan', 'test');
    expect(adapterRefusal({ id: 'webgpu', ep: 'webgpu' }, hw)).toBeUndefined();
  });

  it('AdapterLog takes loader lines out of the stderr tail and waits for the adapter line', async () => {
    const log = new AdapterLog();
    expect(log.stderrLine('some EP warning')).toBe(false);
    expect(log.stderrLine('[Vulkan Loader] DRIVER: Searching for driver manifest files')).toBe(true);
    expect(await log.wait(10)).toBeUndefined();
    const waiting = log.wait(5000);
    setTimeout(() => log.stderrLine(SWIFTSHADER_LINE), 5);
    expect((await waiting)?.name).toBe('SwiftShader Device (Subzero)');
  });
});

describe('lane specs and environment', () => {
  it('parses webgpu:sw in the profiler and the live lane lists, and refuses :sw elsewhere', () => {
    expect(parseLaneSpec('webgpu:sw')).toEqual({ id: 'webgpu:sw', ep: 'webgpu', software: true });
    expect(parseProfilerLanes('cpu:1,webgpu:sw,webgpu:sw').map((l) => l.id)).toEqual(['cpu:1', 'webgpu:sw', 'webgpu:sw#1']);
    expect(() => parseLaneSpec('cpu:sw')).toThrow(/applies to webgpu lanes only/);
    expect(parseLanes('cpu:1,webgpu:sw')).toEqual([
      { id: 'cpu:1', ep: 'cpu', threads: 1 },
      { id: 'webgpu:sw', ep: 'webgpu', software: true },
    ]);
    expect(() => parseLanes('cuda:sw')).toThrow(/applies to webgpu lanes only/);
  });

  it('sets up only the lane process: CPU lanes get nothing, GPU lanes the loader log, webgpu:sw the driver', () => {
    expect(laneProcessEnv({ ep: 'cpu' })).toEqual({});
    expect(laneProcessEnv({ ep: 'webgpu' })).toEqual({ env: { VK_LOADER_DEBUG: 'driver' } });
    const dir = join(tmp, 'icd');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'libvk_fake.so'), '');
    writeFileSync(join(dir, 'libvulkan.so.1'), '');
    writeFileSync(join(dir, 'fake_icd.json'), JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: './libvk_fake.so', api_version: '1.0.5' } }));
    const env = laneProcessEnv({ ep: 'webgpu', software: true }, { [SOFTWARE_ICD_ENV]: join(dir, 'fake_icd.json'), LD_LIBRARY_PATH: '/opt/x' });
    expect(env.env).toEqual({ VK_LOADER_DEBUG: 'driver', VK_DRIVER_FILES: join(dir, 'fake_icd.json'), VK_ICD_FILENAMES: join(dir, 'fake_icd.json'), LD_LIBRARY_PATH: `${dir}:/opt/x` });
    // Tessera's own process is untouched.
    expect(process.env.VK_DRIVER_FILES).toBeUndefined();
  });

  it('a missing or broken software driver gives a reason the user can act on', () => {
    expect(findSoftwareVulkanDriver({}, [join(tmp, 'none.json')])).toEqual({ error: expect.stringMatching(/no software Vulkan driver found.*apt-get install chromium.*TESSERA_SOFTWARE_VULKAN_ICD/) });
    writeFileSync(join(tmp, 'bad.json'), '{ not json');
    expect(readIcd(join(tmp, 'bad.json'))).toEqual({ error: expect.stringMatching(/not valid JSON/) });
    writeFileSync(join(tmp, 'nolib.json'), JSON.stringify({ ICD: { library_path: './missing.so' } }));
    expect(laneProcessEnv({ ep: 'webgpu', software: true }, { [SOFTWARE_ICD_ENV]: join(tmp, 'nolib.json') }).error).toMatch(/TESSERA_SOFTWARE_VULKAN_ICD: .*missing\.so, which does not exist/);
    expect(laneProcessEnv({ ep: 'cuda', software: true }).error).toMatch(/only for webgpu/);
  });
});

const driver = findSoftwareVulkanDriver();
const haveSoftwareGpu = !('error' in driver);

/** x[1,16] -> MatMul+Relu -> Round (no webgpu kernel: runs on the CPU EP) -> MatMul -> y. */
function fallbackModel(): Uint8Array {
  const g = new GraphBuilder('gpu_fallback', { opset: 13 });
  const x = g.input('x', [1, 16]);
  const a = g.op('Relu', [g.op('MatMul', [x, g.initializer('w1', [16, 16], seededWeights(256, 1, 16))], {}, 'mm1')], {}, 'relu1');
  const r = g.op('Round', [a], {}, 'round');
  g.node('MatMul', [r, g.initializer('w2', [16, 8], seededWeights(128, 2, 16))], ['y'], {}, { name: 'mm2' });
  g.output('y', [1, 8]);
  return g.toBytes();
}

describe.runIf(haveSoftwareGpu)(`the software GPU lane on ${haveSoftwareGpu ? (driver as { icd: string }).icd : 'no driver'}`, () => {
  afterEach(() => {
    delete process.env[SOFTWARE_ICD_ENV];
  });

  it('probes webgpu:sw: available, adapter SwiftShader marked software; plain webgpu never lands on it', async () => {
    const acc = await listAccelerators({ softwareGpu: true });
    const sw = acc.find((a) => a.id === 'webgpu:sw')!;
    expect(sw, JSON.stringify(acc)).toMatchObject({ ep: 'webgpu', available: true, software: true });
    expect(sw.adapter).toMatchObject({ software: true, backend: 'vulkan' });
    expect(sw.adapter!.name).toMatch(/SwiftShader|llvmpipe/);
    const plain = acc.find((a) => a.id === 'webgpu')!;
    if (plain.available) expect(plain.adapter?.software).not.toBe(true);
    else expect(plain.reason).toMatch(/^webgpu: /);
  }, 60_000);

  it('a broken software driver gives a clear reason in the probe', async () => {
    const dir = join(tmp, 'broken-icd');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'libvk_broken.so'), 'not a shared object');
    writeFileSync(join(dir, 'icd.json'), JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: './libvk_broken.so', api_version: '1.0.5' } }));
    process.env[SOFTWARE_ICD_ENV] = join(dir, 'icd.json');
    const r = await probeExecutionProvider({ id: 'webgpu:sw', ep: 'webgpu', software: true });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/adapter/i);
    const listed = (await listAccelerators({ softwareGpu: true })).find((a) => a.id === 'webgpu:sw')!;
    expect(listed).toMatchObject({ available: false, reason: expect.stringMatching(/^webgpu:sw: no adapter.*software Vulkan driver tried: .*broken-icd\/icd\.json/) });
  }, 60_000);

  it('profiles a tiny model on cpu:1 and webgpu:sw: every layer measured, fallback nodes listed, lane entry marked software', async () => {
    const p = await profileModel(fallbackModel(), { lanes: ['cpu:1', 'webgpu:sw'], budgetSec: 1, energy: 'off', save: false, name: 'gpu_fallback' });
    const sw = p.lanes.find((l) => l.id === 'webgpu:sw')!;
    expect(sw.error, sw.error).toBeUndefined();
    expect(sw).toMatchObject({ ep: 'webgpu', software: true, adapter: { software: true } });
    expect(p.warnings.some((w) => /webgpu:sw runs on a SOFTWARE GPU adapter/.test(w))).toBe(true);
    for (const l of p.layers) for (const m of l.lanes) expect(m.latencyMs, `${l.name} on ${m.lane}: ${m.error}`).toBeGreaterThanOrEqual(0);
    const fallback = p.layers.flatMap((l) => l.lanes.filter((m) => m.lane === 'webgpu:sw').flatMap((m) => m.fallbackNodes ?? []));
    expect(fallback).toContain('round');
    expect(p.layers.flatMap((l) => l.lanes.filter((m) => m.lane === 'cpu:1').flatMap((m) => m.fallbackNodes ?? []))).toEqual([]);
    expect(p.verification.passed).toBe(true);
    // Chained verification on the software GPU itself, against the CPU model's outputs.
    expect(p.verification.lanes?.['webgpu:sw']).toMatchObject({ passed: true, tolerance: { rel: 1e-3 } });
    expect(p.verification.lanes?.['webgpu:sw']?.maxRelError).toBeLessThan(1e-3);
    expect(p.verification.lanes?.['cpu:1']).toBeUndefined();
    // The device lane's transfer cost is measured by size, and CPU lanes need none.
    expect(sw.transfer!.points.map((x) => x.bytes)).toEqual([0, 64 << 10, 1 << 20, 4 << 20]);
    expect(sw.transfer!.bytesPerSec).toBeGreaterThan(0);
    expect(p.lanes[0].transfer).toBeUndefined();
  }, 120_000);

  const scenario: LiveScenario = {
    name: 'gpu-lanes',
    tenants: [
      { id: 'a', model: 'demo:mlp:1:32:3', arrival: { type: 'periodic', fps: 40 }, deadline: 0.5, priority: 5 },
      { id: 'b', model: 'demo:mlp:1:32:3', arrival: { type: 'periodic', fps: 40 }, deadline: 0.5, priority: 1 },
      { id: 'c', model: 'demo:mlp:1:32:3', arrival: { type: 'periodic', fps: 40 }, deadline: 0.5, priority: 1 },
    ],
  };
  const calibration = { reps: 3, warmup: 1, mode: 'solo' as const };

  it('a live run on cpu:1 + webgpu:sw moves activations between the lanes; the report names the software adapter', async () => {
    // FCFS places each ready job on an idle lane, so frames released together (same phase) spread over both lanes.
    const run = new LiveRun(scenario, { policy: 'fcfs', duration: 1.5, lanes: parseLanes('cpu:1,webgpu:sw'), granularity: 'layer', seed: 3, meters: false, writeFiles: false, calibration });
    const r = await run.run();
    expect(r.report.status).toBe('completed');
    const gpu = r.report.lanes[1];
    expect(gpu).toMatchObject({ id: 'webgpu:sw', software: true, alive: true, adapter: { software: true } });
    expect(gpu.runs).toBeGreaterThan(0);
    expect(r.report.lanes[0].runs).toBeGreaterThan(0);
    // A job whose consecutive layers ran on different lanes: its activations crossed between cpu and the software GPU.
    const layers = r.slices.filter((s) => s.kind === 'layer');
    const crossed = layers.some((s) => layers.some((t) => t.job === s.job && t.attempt === s.attempt && t.layer === s.layer + 1 && t.lane !== s.lane));
    expect(crossed).toBe(true);
    expect(r.report.transfers.count).toBeGreaterThan(0);
  }, 180_000);

  it('a webgpu:sw lane that dies mid-run is taken out and its work rescheduled, like a CPU lane', async () => {
    const run = new LiveRun(scenario, { policy: 'fcfs', duration: 2, lanes: parseLanes('cpu:1,webgpu:sw'), granularity: 'layer', seed: 5, meters: false, writeFiles: false, calibration, faults: [{ lane: 'webgpu:sw', at: 0.5 }] });
    const r = await run.run();
    expect(r.report.status).toBe('completed');
    expect(r.report.faults).toHaveLength(1);
    expect(r.report.faults[0].lane).toBe('webgpu:sw');
    expect(r.report.lanes[1].alive).toBe(false);
    const f = r.report.faults[0];
    for (const s of r.slices) if (s.lane === 1) expect(s.start).toBeLessThanOrEqual(f.at + 1e-9);
    expect(r.slices.some((s) => s.lane === 0 && s.start > f.at)).toBe(true);
  }, 180_000);
});
