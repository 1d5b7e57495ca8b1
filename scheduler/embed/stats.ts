// Live statistics of an embedded schedule, per tenant: frames submitted, finished, late, dropped (by
// cause), in flight, miss rate, and latency (mean over every finished frame; percentiles over the
// most recent ones). Pure: fed with each frame's outcome by the runtime (index.ts).
import { percentile } from '../core/metrics';
import type { FrameOutcome } from '../live/types';

export interface TenantStats {
  tenant: string;
  /** Frames submitted so far. */
  submitted: number;
  /** Finished with outputs (late ones included). */
  finished: number;
  /** Finished after their deadline. */
  late: number;
  /** Dropped (never finished), by cause (scheduler/core/jobs.ts DropReason, or 'stopped'). */
  dropped: number;
  dropsByCause: Record<string, number>;
  /** Submitted and not ended yet. */
  inFlight: number;
  /** Misses (late + dropped) over the frames that ended; null before any ended. */
  missRate: number | null;
  /** Submit to outputs, ms: mean over every finished frame; percentiles over the last `window` finished frames; null before any finished. */
  latencyMs: { mean: number | null; p50: number | null; p95: number | null; p99: number | null; max: number | null; window: number };
}

/** How many recent latencies the percentiles are over. */
export const LATENCY_WINDOW = 1024;

export class StatsBook {
  private readonly rows: { submitted: number; finished: number; late: number; dropped: number; drops: Record<string, number>; sum: number; max: number; recent: number[]; next: number }[];

  constructor(
    readonly tenants: readonly string[],
    private readonly window = LATENCY_WINDOW,
  ) {
    this.rows = tenants.map(() => ({ submitted: 0, finished: 0, late: 0, dropped: 0, drops: {}, sum: 0, max: 0, recent: [], next: 0 }));
  }

  submitted(tenant: number): void {
    this.rows[tenant].submitted++;
  }

  ended(tenant: number, o: FrameOutcome): void {
    const r = this.rows[tenant];
    if (o.ok) {
      r.finished++;
      if (o.late) r.late++;
      r.sum += o.latencyMs;
      r.max = Math.max(r.max, o.latencyMs);
      // A ring of the most recent latencies: bounded memory however long the app runs.
      if (r.recent.length < this.window) r.recent.push(o.latencyMs);
      else r.recent[r.next] = o.latencyMs;
      r.next = (r.next + 1) % this.window;
    } else {
      r.dropped++;
      r.drops[o.reason] = (r.drops[o.reason] ?? 0) + 1;
    }
  }

  get(): TenantStats[] {
    return this.rows.map((r, i) => {
      const ended = r.finished + r.dropped;
      const sorted = [...r.recent].sort((a, b) => a - b);
      const pct = (p: number) => (sorted.length ? percentile(sorted, p) : null);
      return {
        tenant: this.tenants[i],
        submitted: r.submitted,
        finished: r.finished,
        late: r.late,
        dropped: r.dropped,
        dropsByCause: { ...r.drops },
        inFlight: r.submitted - ended,
        missRate: ended ? (r.late + r.dropped) / ended : null,
        latencyMs: { mean: r.finished ? r.sum / r.finished : null, p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), max: r.finished ? r.max : null, window: sorted.length },
      };
    });
  }
}
