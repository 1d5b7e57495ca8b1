// Event-loop delay of the process that runs the live runtime (the one serving the UI): cumulative
// since the run started (the report's figures) and since the previous telemetry batch.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const RESOLUTION_MS = 10;

export interface LoopStats {
  maxMs: number;
  p99Ms: number;
  meanMs: number;
}

function stats(h: IntervalHistogram | undefined): LoopStats {
  if (!h || h.count === 0) return { maxMs: 0, p99Ms: 0, meanMs: 0 };
  // The histogram records the sampling timer's whole interval: the delay is what exceeds the resolution.
  const d = (ns: number) => Math.max(0, (ns - RESOLUTION_MS * 1e6) / 1e6);
  return { maxMs: d(h.max), p99Ms: d(h.percentile(99)), meanMs: d(h.mean) };
}

export class LoopMonitor {
  private all: IntervalHistogram | undefined;
  private tick: IntervalHistogram | undefined;

  start(): void {
    this.all = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.all.enable();
    this.tick = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.tick.enable();
  }

  /** Since the start. */
  stats(): LoopStats {
    return stats(this.all);
  }

  /** A telemetry batch's figures: cumulative max and p99, and the max since the previous batch (then reset). */
  takeTick(): { maxMs: number; p99Ms: number; tickMaxMs: number; tickSamples: number } {
    const all = stats(this.all);
    const tick = stats(this.tick);
    const samples = this.tick?.count ?? 0;
    this.tick?.reset();
    return { maxMs: all.maxMs, p99Ms: all.p99Ms, tickMaxMs: tick.maxMs, tickSamples: samples };
  }

  stop(): void {
    this.all?.disable();
    this.tick?.disable();
  }
}
