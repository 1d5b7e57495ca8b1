// THE rule for scaling a tenant's frame rate, used by every caller that scales one: `scenario scale`
// (demand.ts, scenario units: ms), `simulate --scale/--load` (scheduler/sim-workload.ts) and
// `run --scale` (the live runtime), both in the scheduler's units (seconds). Pure, no imports but types.
//
// Rate x factor. The deadline: a deadline at the next frame's release (XRBench's convention: every
// XRBench deadline is 1000 / FPS ms) moves with the new period; any other explicit deadline is a
// requirement of its own and stays; none stays none (the default, one period, follows by itself).
// A minimum-throughput SLO scales with the rate (the tenant is asked for that share of its frames).
import type { TenantDef } from '../scheduler/core/types';
import type { Tenant } from './scenario';

type Arrival = { type: 'periodic'; fps: number } | { type: 'poisson'; ratePerSec: number };

/** Frames (or requests) per second of an arrival process. */
export function arrivalRate(a: Arrival): number {
  return a.type === 'periodic' ? a.fps : a.ratePerSec;
}

/** The same arrival process at `factor` times the rate. */
export function scaleArrival<A extends Arrival>(a: A, factor: number): A {
  return a.type === 'periodic' ? { ...a, fps: a.fps * factor } : { ...a, ratePerSec: a.ratePerSec * factor };
}

/**
 * A relative deadline after the rate is multiplied by `factor`. `period` is one frame period in the
 * deadline's unit; a deadline equal to it (to rounding) follows the rate, any other stays.
 */
export function scaleDeadline(deadline: number | undefined, period: number, factor: number): number | undefined {
  if (deadline === undefined) return undefined;
  return Math.abs(deadline - period) <= 1e-9 * period ? period / factor : deadline;
}

/** A scenario tenant (ms, minThroughputFps) at `factor` times its rate. */
export function scaleTenant(t: Tenant, factor: number): Tenant {
  const period = 1000 / arrivalRate(t.arrival);
  const c: Tenant = { ...t, arrival: scaleArrival(t.arrival, factor) };
  if (t.deadlineMs !== undefined) c.deadlineMs = scaleDeadline(t.deadlineMs, period, factor);
  if (t.slos?.minThroughputFps !== undefined) c.slos = { ...t.slos, minThroughputFps: t.slos.minThroughputFps * factor };
  return c;
}

/** A scheduler tenant (seconds; TenantDef or the live runtime's tenant spec) at `factor` times its rate. */
export function scaleTenantTiming<T extends Pick<TenantDef, 'arrival' | 'deadline' | 'slos'>>(t: T, factor: number): T {
  const period = 1 / arrivalRate(t.arrival);
  const c: T = { ...t, arrival: scaleArrival(t.arrival, factor) };
  if (t.deadline !== undefined) c.deadline = scaleDeadline(t.deadline, period, factor);
  if (t.slos?.minThroughput !== undefined) c.slos = { ...t.slos, minThroughput: t.slos.minThroughput * factor };
  return c;
}
