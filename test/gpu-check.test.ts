// The pure parts of `npm run gpu-check` (bench/gpu-check.ts): which lanes it picks from the probes
// (a hardware adapter first, the software lane only as a labelled stand-in), and its nvidia-smi
// parsing and per-phase power. The script itself runs end to end with `npm run gpu-check`.
import { describe, expect, it } from 'vitest';
import { parsePowerLine, planGpuCheck, powerByPhase } from '../bench/gpu-check';
import { classifyAdapter } from '../profiler/gpu/adapter';

const h200 = classifyAdapter('NVIDIA H200', '/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0', 'vulkan', 'test');
const swiftshader = classifyAdapter('SwiftShader Device (Subzero)', '/usr/lib/chromium/libvk_swiftshader.so', 'vulkan', 'test');

describe('gpu-check plan', () => {
  it('uses the hardware webgpu adapter when there is one, with an XRBench scenario', () => {
    const { plan } = planGpuCheck(
      [
        { id: 'cpu', available: true },
        { id: 'webgpu', available: true, adapter: h200 },
        { id: 'cuda', available: false, reason: 'cuda: not installed' },
        { id: 'webgpu:sw', available: true, adapter: swiftshader },
      ],
      { cores: 16, cuda: true },
    );
    expect(plan).toMatchObject({ gpuLane: 'webgpu', software: false, cpuLane: 'cpu:8', scenario: 'xrbench/vr_gaming' });
    expect(plan!.cudaLane).toBeUndefined();
    expect(plan!.notes.join(' ')).toMatch(/--cuda: cuda is unavailable.*setup:cuda/);
  });

  it('falls back to the software lane, labelled, with a tiny scenario; --cuda adds an available cuda lane', () => {
    const { plan } = planGpuCheck(
      [
        { id: 'webgpu', available: false, reason: 'webgpu: no adapter' },
        { id: 'cuda', available: true },
        { id: 'webgpu:sw', available: true, adapter: swiftshader },
      ],
      { cores: 2, cuda: true },
    );
    expect(plan).toMatchObject({ gpuLane: 'webgpu:sw', software: true, cpuLane: 'cpu:1', cudaLane: 'cuda', scenario: 'demo:tiny' });
    expect(plan!.notes.join(' ')).toMatch(/SOFTWARE GPU.*not GPU figures/);
  });

  it('never treats a software adapter behind plain webgpu as hardware, and says why when no GPU lane works', () => {
    const r = planGpuCheck([{ id: 'webgpu', available: true, adapter: swiftshader }], { cores: 2 });
    expect(r.plan).toBeUndefined();
    const none = planGpuCheck(
      [
        { id: 'webgpu', available: false, reason: 'webgpu: no adapter' },
        { id: 'webgpu:sw', available: false, reason: 'webgpu:sw: no software Vulkan driver found' },
      ],
      { cores: 2 },
    );
    expect(none.reason).toMatch(/no GPU lane works here \(webgpu: webgpu: no adapter; webgpu:sw: .*no software Vulkan driver/);
  });
});

describe('gpu-check power', () => {
  it('parses nvidia-smi csv lines and averages board power per phase (GPUs summed per reading)', () => {
    expect(parsePowerLine('0, NVIDIA H200, 118.42, 1980, 37', 1.5)).toEqual({ t: 1.5, gpu: 0, name: 'NVIDIA H200', watts: 118.42, smMHz: 1980, utilPct: 37 });
    expect(parsePowerLine('0, NVIDIA H200, [N/A], 1980, 37', 1)).toBeUndefined();
    expect(parsePowerLine('garbage', 1)).toBeUndefined();
    const s = [parsePowerLine('0, A, 100, 1, 1', 0.5)!, parsePowerLine('1, A, 50, 1, 1', 0.5)!, parsePowerLine('0, A, 300, 1, 1', 2)!];
    expect(powerByPhase(s, [{ name: 'idle', start: 0, end: 1 }, { name: 'run', start: 1, end: 3 }, { name: 'none', start: 5, end: 6 }])).toEqual([
      { phase: 'idle', meanWatts: 150, samples: 1 },
      { phase: 'run', meanWatts: 300, samples: 1 },
      { phase: 'none', meanWatts: null, samples: 0 },
    ]);
  });
});
