// A synthetic heterogeneous workload (labelled as such everywhere): XRBench-like tenants (frame
// rates, a cascade) with per-layer CPU and GPU latencies whose speed-up varies per layer, so that
// layers have different preferred lanes. For trying policies before any profile exists.
import { rng } from './rng';
import type { SimWorkload, TenantDef } from './types';

export interface SyntheticOptions {
  seed?: number;
  /** Multiplies every frame rate (load scaling). */
  load?: number;
  /** Multiplies GPU latencies (>1 makes the GPU lane the bottleneck: a skewed load). */
  gpuSlowdown?: number;
  /** Add fp16-like approximate variants (faster on the GPU, small accuracy cost). */
  variants?: boolean;
}

const SPECS: { id: string; fps: number; layers: number; gflop: number; priority: number; cascade?: { upstream: string; probability: number } }[] = [
  { id: 'hand_tracking', fps: 45, layers: 12, gflop: 0.12, priority: 9 },
  { id: 'eye_segmentation', fps: 60, layers: 10, gflop: 0.05, priority: 9 },
  { id: 'gaze_estimation', fps: 60, layers: 8, gflop: 0.04, priority: 3, cascade: { upstream: 'eye_segmentation', probability: 0.5 } },
  { id: 'depth_estimation', fps: 30, layers: 16, gflop: 0.3, priority: 3 },
  { id: 'keyword_detection', fps: 15, layers: 6, gflop: 0.01, priority: 1 },
];

export function syntheticWorkload(options: SyntheticOptions = {}): SimWorkload {
  const r = rng(options.seed ?? 42);
  const load = options.load ?? 1;
  const gpuSlow = options.gpuSlowdown ?? 1;
  const cpuGflops = 60; // a laptop CPU lane
  const gpuGflops = 400; // an integrated/discrete GPU lane
  const tenants: TenantDef[] = SPECS.map((spec) => {
    const layers = Array.from({ length: spec.layers }, (_, i) => {
      const share = (0.5 + r()) / spec.layers;
      const flops = spec.gflop * 1e9 * share;
      const cpu = flops / (cpuGflops * 1e9) + 20e-6;
      // Per-layer GPU efficiency: some layers (depthwise, small) gain little or lose on the GPU.
      const efficiency = 0.08 + 0.9 * r() ** 2;
      const gpu = (flops / (gpuGflops * 1e9 * efficiency) + 60e-6) * gpuSlow;
      const variants = [{ id: 'original', accuracyDelta: 0, cost: [{ latency: cpu }, { latency: gpu }] }];
      if (options.variants) variants.push({ id: 'fp16', accuracyDelta: 0.002, cost: [{ latency: cpu * 0.95 }, { latency: gpu * 0.6 }] });
      return { name: `${spec.id}.layer${i}`, variants, outputBytes: 4 * 64 * 32 * 32 };
    });
    return {
      id: spec.id,
      layers,
      arrival: { type: 'periodic' as const, fps: spec.fps * load, jitter: 0.0005 },
      deadline: 1 / (spec.fps * load),
      priority: spec.priority,
      cascade: spec.cascade,
      accuracyBudget: options.variants ? 0.01 : 0,
      slos: { maxLatency: 1 / (spec.fps * load), minThroughput: spec.cascade ? undefined : 0.9 * spec.fps * load },
    };
  });
  return {
    name: `synthetic XR mix (load x${load}${gpuSlow !== 1 ? `, GPU x${gpuSlow} slower` : ''})`,
    lanes: [
      { id: 'cpu', kind: 'cpu', idleWatts: 3, busyWatts: 15 },
      { id: 'gpu', kind: 'gpu', idleWatts: 5, busyWatts: 30 },
    ],
    tenants,
    transfer: { latency: 50e-6, bytesPerSec: 8e9 },
    latencySource: `synthetic (seeded table, seed ${options.seed ?? 42}; not measured)`,
    energySource: { kind: 'estimated', detail: 'synthetic busy/idle watts per lane (cpu 15/3 W, gpu 30/5 W): not measured' },
  };
}
