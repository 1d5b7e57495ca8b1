// Synthetic heterogeneous latency tables, labelled `synthetic` everywhere they go, for trying
// policies before any profile exists (and for tests and benchmarks).
//
// Tenants follow XRBench's usage scenarios (Kwon et al., MLSys 2023; MIT licence, see
// ../shared/xrbench): the models, their frame rates and their cascades. Per model only the layer count
// and an approximate total work are taken from XRBench's layer tables (GMAC = sum of N K C Y X R S,
// stride ignored, so an overestimate for strided layers). Everything else is synthetic: the work of
// each layer (a random share of the model's), its speed-up on the GPU lane (lognormal), the lane
// powers, and the variants. Latencies are then scaled so that the busiest lane's utilisation, with
// every layer on its fastest lane, equals `load`.
// The GPU speed-up of a layer (CPU latency / GPU latency) = exp(mu + model offset + layer
// deviation), layer deviations N(0, 0.6).
//   skew 'balanced': models are shared out between the lanes by demand (heaviest first, to the lane
//                    with less so far), mu = 0 and offsets +-1.2 (+ N(0, 0.3)): each model mostly
//                    suits one lane (about 3x faster there), no lane is the only bottleneck; the
//                    busiest lane is at `load` (how close the other comes depends on the scenario's
//                    demand split: describeWorkload() says);
//   skew 'gpu':      every model prefers the GPU: mu = ln 4, offsets N(0, 0.3), so nearly every layer
//                    is faster on the GPU (median 4x) and the GPU lane is the bottleneck (at `load`,
//                    e.g. 1.2 = overloaded) while the CPU lane has room; a good scheduler moves the
//                    layers that lose least on the CPU.
import { gaussian, rng } from './rng';
import type { LayerDef, SimWorkload, TenantDef, VariantDef } from './types';

/** Per XRBench model: layer count and approximate GMAC per frame (from ../shared/xrbench). */
export const XR_MODELS: Record<string, { layers: number; gmac: number }> = {
  KD_res8_narrow: { layers: 8, gmac: 0.007 },
  ASR_EM_24L: { layers: 120, gmac: 9.664 },
  SS_HRViT_b1: { layers: 423, gmac: 27.023 },
  DE_midas_v21_small: { layers: 92, gmac: 37.84 },
  PD_Plane_RCNN_Quarter: { layers: 153, gmac: 8.735 },
  OD_D2go_FasterRCNN: { layers: 138, gmac: 14.35 },
  HT_hand_graph_cnn_half: { layers: 224, gmac: 4.167 },
  ES_RITNet: { layers: 42, gmac: 1.085 },
  GE_FBNet_C: { layers: 63, gmac: 7.082 },
  DR_RGBd_200: { layers: 34, gmac: 19.079 },
  AS_ED_TCN: { layers: 4, gmac: 0.372 },
};

interface TenantSpec {
  model: string;
  fps: number;
  cascade?: { upstream: string; probability: number };
}

/** XRBench's usage scenarios (models, FPS, cascades). A dependency without a probability is taken as 1. */
export const XR_SCENARIOS: Record<string, TenantSpec[]> = {
  vr_gaming: [
    { model: 'ES_RITNet', fps: 60 },
    { model: 'GE_FBNet_C', fps: 60, cascade: { upstream: 'ES_RITNet', probability: 1 } },
    { model: 'HT_hand_graph_cnn_half', fps: 45 },
  ],
  ar_gaming: [
    { model: 'HT_hand_graph_cnn_half', fps: 45 },
    { model: 'DE_midas_v21_small', fps: 30 },
    { model: 'PD_Plane_RCNN_Quarter', fps: 15 },
  ],
  ar_assistant: [
    { model: 'KD_res8_narrow', fps: 3 },
    { model: 'ASR_EM_24L', fps: 3, cascade: { upstream: 'KD_res8_narrow', probability: 0.5 } },
    { model: 'SS_HRViT_b1', fps: 10 },
    { model: 'DE_midas_v21_small', fps: 30 },
    { model: 'PD_Plane_RCNN_Quarter', fps: 15 },
    { model: 'OD_D2go_FasterRCNN', fps: 10 },
  ],
  outdoor_a: [
    { model: 'KD_res8_narrow', fps: 3 },
    { model: 'ASR_EM_24L', fps: 3, cascade: { upstream: 'KD_res8_narrow', probability: 0.2 } },
    { model: 'SS_HRViT_b1', fps: 10 },
    { model: 'OD_D2go_FasterRCNN', fps: 30 },
  ],
  outdoor_b: [
    { model: 'KD_res8_narrow', fps: 3 },
    { model: 'ASR_EM_24L', fps: 3, cascade: { upstream: 'KD_res8_narrow', probability: 0.2 } },
    { model: 'OD_D2go_FasterRCNN', fps: 30 },
  ],
  social_a: [
    { model: 'ES_RITNet', fps: 60 },
    { model: 'GE_FBNet_C', fps: 60, cascade: { upstream: 'ES_RITNet', probability: 1 } },
    { model: 'DR_RGBd_200', fps: 30 },
    { model: 'HT_hand_graph_cnn_half', fps: 30 },
  ],
  social_b: [
    { model: 'ES_RITNet', fps: 60 },
    { model: 'GE_FBNet_C', fps: 60, cascade: { upstream: 'ES_RITNet', probability: 1 } },
    { model: 'AS_ED_TCN', fps: 30 },
  ],
};

export interface SyntheticOptions {
  /** One of XR_SCENARIOS (default 'vr_gaming'). */
  scenario?: string;
  /** Seed of the table (default 42). */
  seed?: number;
  /** Utilisation of the busiest lane with every layer on its fastest lane (default 0.7). */
  load?: number;
  /** 'balanced' (default) or 'gpu' (GPU lane overloaded first). */
  skew?: 'balanced' | 'gpu';
  /** Add approximate variants: fp16 (GPU 0.6x, CPU 1.1x, accuracy -0.1%) and a CPU-friendly reshaped layer (CPU 0.55x, GPU 0.95x, -0.3%). */
  variants?: boolean;
  /** Accuracy a frame may lose to variants when variants are on (default 0.02). */
  accuracyBudget?: number;
  /** Per-frame jitter (s) of periodic releases (default 0.0005). */
  jitter?: number;
}

const LANES = [
  { id: 'cpu', kind: 'cpu', idleWatts: 4, busyWatts: 18 },
  { id: 'gpu', kind: 'gpu', idleWatts: 8, busyWatts: 45, link: { latency: 20e-6, bytesPerSec: 12e9 } },
];

export function syntheticWorkload(options: SyntheticOptions = {}): SimWorkload {
  const scenario = options.scenario ?? 'vr_gaming';
  const specs = XR_SCENARIOS[scenario];
  if (!specs) throw new Error(`unknown synthetic scenario "${scenario}"; known: ${Object.keys(XR_SCENARIOS).join(', ')}`);
  const seed = options.seed ?? 42;
  const r = rng(seed);
  const load = options.load ?? 0.7;
  const skew = options.skew ?? 'balanced';
  if (!(load > 0)) throw new Error(`load must be > 0 (got ${load})`);

  // Per model: a preferred lane and a log speed-up offset; per layer: its work (arbitrary units,
  // later scaled), a log speed-up deviation, its output size. Balanced: the heaviest models (by
  // demand) go in turn to the lane with less demand so far, so a heavy model mostly stays on one lane
  // (its isolated latency stays well under its deadline); skewed: every model prefers the GPU.
  const skewed = skew === 'gpu';
  const demand = specs.map((sp) => sp.fps * XR_MODELS[sp.model].gmac);
  const prefersGpu = new Array<boolean>(specs.length).fill(true);
  if (!skewed) {
    let gpuDemand = 0;
    let cpuDemand = 0;
    for (const i of specs.map((_, i) => i).sort((x, y) => demand[y] - demand[x])) {
      prefersGpu[i] = gpuDemand <= cpuDemand;
      if (prefersGpu[i]) gpuDemand += demand[i];
      else cpuDemand += demand[i];
    }
  }
  const raw = specs.map((spec, ti) => {
    const m = XR_MODELS[spec.model];
    const offset = (prefersGpu[ti] ? 1 : -1) * (skewed ? 0 : 1.2) + 0.3 * gaussian(r);
    const shares = Array.from({ length: m.layers }, () => 0.2 + r() * r() * 3);
    const total = shares.reduce((a, b) => a + b, 0);
    return shares.map((sh) => ({ gpu: (m.gmac * sh) / total, z: offset + 0.6 * gaussian(r), bytes: 4 * Math.round(2 ** (14 + 6 * r())) }));
  });
  const rate = specs.map((sp) => (sp.cascade ? (specs.find((u) => u.model === sp.cascade!.upstream)?.fps ?? sp.fps) * sp.cascade.probability : sp.fps));
  const favouriteLoad = (mu: number) => {
    let cpu = 0;
    let gpu = 0;
    raw.forEach((layers, ti) => {
      for (const l of layers) {
        const s = Math.exp(mu + l.z); // CPU latency / GPU latency
        if (s < 1) cpu += rate[ti] * s * l.gpu;
        else gpu += rate[ti] * l.gpu;
      }
    });
    return { cpu, gpu };
  };
  const mu = skewed ? Math.log(4) : 0;
  const f = favouriteLoad(mu);
  const scale = load / Math.max(f.cpu, f.gpu); // seconds per work unit

  const tenants: TenantDef[] = specs.map((spec, ti) => {
    const layers: LayerDef[] = raw[ti].map((l, i) => {
      const gpu = l.gpu * scale;
      const cpu = gpu * Math.exp(mu + l.z);
      const variants: VariantDef[] = [{ id: 'original', accuracyDelta: 0, cost: [{ latency: cpu }, { latency: gpu }] }];
      if (options.variants) {
        variants.push({ id: 'fp16', accuracyDelta: 0.001, cost: [{ latency: cpu * 1.1 }, { latency: gpu * 0.6 }] });
        variants.push({ id: 'reshaped', accuracyDelta: 0.003, cost: [{ latency: cpu * 0.55 }, { latency: gpu * 0.95 }] });
      }
      return { name: `${spec.model}.L${i}`, variants, outputBytes: l.bytes };
    });
    return {
      id: spec.model,
      model: spec.model,
      layers,
      arrival: { type: 'periodic' as const, fps: spec.fps, jitter: options.jitter ?? 0.0005 },
      priority: spec.fps >= 45 ? 9 : spec.fps >= 15 ? 3 : 1,
      cascade: spec.cascade,
      accuracyBudget: options.variants ? (options.accuracyBudget ?? 0.02) : 0,
      baseAccuracy: 1,
      slos: { maxLatency: 1 / spec.fps, minThroughput: spec.cascade ? undefined : 0.95 * spec.fps, minAccuracy: options.variants ? 1 - (options.accuracyBudget ?? 0.02) : undefined },
    };
  });
  return {
    name: `synthetic:${scenario} (${skew}, load ${load})`,
    lanes: LANES.map((l) => ({ ...l })),
    tenants,
    latencySource: { kind: 'synthetic', detail: `generated (seed ${seed}, scenario ${scenario}, skew ${skew}, load ${load}); XRBench models and rates, synthetic per-layer latencies: not measured` },
    energySource: { kind: 'estimated', detail: 'synthetic lane powers (cpu 18 W busy / 4 W idle, gpu 45 W busy / 8 W idle) x time: not measured' },
  };
}
