// Frame releases of the source tenants (cascade dependents are released by their upstream), in time
// order, and cascade outcomes: the SAME numbers as the simulator (scheduler/core/simulator.ts), which
// fixes every release time and every cascade draw by (seed, tenant, frame) with hashed random
// numbers. So a live run and its simulated prediction with the same seed release the same frames at
// the same times, and the same upstream frames fire their dependents. test/live-arrivals.test.ts
// checks this against simulate(), so a change in the simulator's constants cannot go unnoticed.
import { hashUniform } from '../core/rng';
import type { TenantDef } from '../core/types';

// The simulator's salts for its hashed random numbers (simulator.ts: H_JITTER, H_POISSON, H_CASCADE).
const H_JITTER = 1;
const H_POISSON = 2;
const H_CASCADE = 3;

export interface Release {
  time: number;
  tenant: number;
  frame: number;
}

export class ArrivalStream {
  private readonly nextTime: Float64Array;
  private readonly nominal: Float64Array;
  private readonly lastRelease: Float64Array;
  private readonly frame: Int32Array;

  constructor(
    private readonly tenants: readonly TenantDef[],
    private readonly seed: number,
    private readonly duration: number,
  ) {
    const n = tenants.length;
    this.nextTime = new Float64Array(n).fill(Infinity);
    this.nominal = new Float64Array(n);
    this.lastRelease = new Float64Array(n);
    this.frame = new Int32Array(n);
    for (let t = 0; t < n; t++) if (!tenants[t].cascade) this.schedule(t);
  }

  private schedule(t: number): void {
    const a = this.tenants[t].arrival;
    const k = this.frame[t];
    let time: number;
    if (a.type === 'periodic') {
      this.nominal[t] = (a.phase ?? 0) + k / a.fps;
      time = this.nominal[t];
      if (a.jitter) time += (2 * hashUniform(this.seed, t * 8 + H_JITTER, k, 0) - 1) * a.jitter;
    } else {
      this.nominal[t] += -Math.log(1 - hashUniform(this.seed, t * 8 + H_POISSON, k, 0)) / a.ratePerSec;
      time = this.nominal[t];
    }
    if (time < this.lastRelease[t]) time = this.lastRelease[t];
    if (time < 0) time = 0;
    this.nextTime[t] = this.nominal[t] < this.duration && time < this.duration ? time : Infinity;
  }

  /** The next release (earliest; ties: lowest tenant index), or undefined when there are no more. */
  peek(): Release | undefined {
    let best = -1;
    for (let t = 0; t < this.nextTime.length; t++) if (this.nextTime[t] < Infinity && (best < 0 || this.nextTime[t] < this.nextTime[best])) best = t;
    return best < 0 ? undefined : { time: this.nextTime[best], tenant: best, frame: this.frame[best] };
  }

  /** Takes the next release and schedules that tenant's following frame. */
  take(): Release | undefined {
    const r = this.peek();
    if (!r) return undefined;
    this.lastRelease[r.tenant] = r.time;
    this.frame[r.tenant]++;
    this.schedule(r.tenant);
    return r;
  }
}

/** Whether dependent tenant `d`'s frame fires when upstream frame `frame` finishes (or would have). */
export function cascadeFires(seed: number, tenants: readonly TenantDef[], d: number, frame: number): boolean {
  return hashUniform(seed, d * 8 + H_CASCADE, frame, 0) < tenants[d].cascade!.probability;
}
