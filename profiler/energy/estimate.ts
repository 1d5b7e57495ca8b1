// Energy ESTIMATES for lanes that no meter covers. Every figure made here has
// source.kind = 'estimated' and names its model and constants; nothing here is a measurement.
import type { EnergyFigure, LaneSpec } from '../types';

export interface EstimateConstants {
  /** Watts drawn above idle by one fully busy CPU core (intra-op thread). */
  cpuWattsPerThread: number;
  /** Watts drawn above idle by a busy GPU / NPU lane. */
  acceleratorWatts: number;
}

/**
 * Default constants. CPU: 5 W per busy core above idle, a round figure inside the range of
 * per-core package power of current laptop and desktop x86/ARM CPUs at full load (about 2-10 W;
 * e.g. a 65 W-TDP 8-core desktop part gives ~8 W/core, a 28 W 4-core laptop part ~7 W/core,
 * efficiency cores 1-3 W). Accelerators: 30 W above idle (integrated GPUs ~10-20 W, laptop
 * discrete GPUs 30-80 W, NPUs a few W). These are coarse; a meter replaces them whenever one exists.
 */
export const DEFAULT_ESTIMATE: EstimateConstants = { cpuWattsPerThread: 5, acceleratorWatts: 30 };

export const CPU_ESTIMATE_MODEL = 'estimate:cpu-per-thread-v1';
export const ACCEL_ESTIMATE_MODEL = 'estimate:accelerator-fixed-v1';

/** The estimated power of a lane while it runs: watts above idle, and the model that gave it. */
export function estimatedLaneWatts(lane: LaneSpec, c: EstimateConstants = DEFAULT_ESTIMATE, cpuCores?: number): { watts: number; meter: string; detail: string } {
  if (lane.ep === 'cpu') {
    const threads = Math.max(1, lane.threads ?? cpuCores ?? 1);
    return {
      watts: c.cpuWattsPerThread * threads,
      meter: CPU_ESTIMATE_MODEL,
      detail: `ESTIMATE (no meter): ${c.cpuWattsPerThread} W per busy intra-op thread above idle x ${threads} thread(s) = ${c.cpuWattsPerThread * threads} W, times the layer latency`,
    };
  }
  return {
    watts: c.acceleratorWatts,
    meter: ACCEL_ESTIMATE_MODEL,
    detail: `ESTIMATE (no meter): a fixed ${c.acceleratorWatts} W above idle for a busy ${lane.ep} lane, times the layer latency`,
  };
}

/** An estimated energy figure for one run of `latencyMs` on `lane`. Always labelled kind 'estimated'. */
export function estimateEnergy(lane: LaneSpec, latencyMs: number, c: EstimateConstants = DEFAULT_ESTIMATE, cpuCores?: number): EnergyFigure {
  const e = estimatedLaneWatts(lane, c, cpuCores);
  return {
    joulesPerRun: e.watts * (Math.max(0, latencyMs) / 1000),
    watts: e.watts,
    source: { kind: 'estimated', meter: e.meter, detail: e.detail },
  };
}

/** "measured (rapl, 10 Hz)" / "ESTIMATE (estimate:cpu-per-thread-v1)": the label every view prints next to an energy figure. */
export function energyLabel(f: EnergyFigure): string {
  return f.source.kind === 'measured' ? `measured (${f.source.meter}${f.source.sampleHz ? `, ${f.source.sampleHz} Hz` : ''})` : `ESTIMATE (${f.source.meter})`;
}
