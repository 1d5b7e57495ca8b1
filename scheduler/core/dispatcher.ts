// The dispatching thread as a resource of the prediction (issue 12): in a live run one engine thread
// takes every decision and posts every layer run, and on a small machine it competes with the lanes'
// own threads for the cores. A latency table measured one layer at a time holds each dispatch's own
// cost (the lane waits for it), but not
//   - queueing: dispatches are served one after the other, so a dispatch that finds the thread busy
//     with another one waits for it (a single FIFO server), and
//   - the thread's CPU share: while the CPU lanes' threads, the dispatching thread and other
//     processes want more cores than there are, compute slows by (cores / demand).
// The model (deliberately simple; pure, deterministic):
//   - serviceS: engine-thread seconds per dispatch = the policy's measured decision cost + one
//     measured engine<->worker message hop (post and reply; an upper bound on the thread's share of the
//     dispatch overhead, which also holds the worker's wake-up);
//   - wait(now): a dispatch requested at `now` starts when the thread is free; it returns the wait and
//     books the thread for serviceS. The dispatch's own serviceS is NOT returned: the table's
//     per-layer dispatch overhead already holds it (no dispatch contention: no change);
//   - computeFactor: for a CPU lane, max(cores, demand + dispatcher) / max(cores, demand), with
//     demand = threads of the CPU lanes busy at the layer's start (this one included) + other
//     processes' busy cores at the run's start, dispatcher = the thread's expected utilisation
//     (dispatch rate x serviceS, at most 1). The measured latencies already hold the lanes' and the
//     background's contention, so only the dispatching thread's extra demand is applied. The factor
//     is fixed when a layer starts (lanes that start or stop during it do not change it). Device
//     lanes (GPU) get 1.
// Used by the simulator only for a calibrated prediction (SimOptions.dispatcher); without it the
// simulator is unchanged.
import type { MachineCalibration } from './calibration';
import type { LaneState, SimWorkload } from './types';

export interface DispatcherParams {
  /** Cores of the machine. */
  cores: number;
  /** Engine-thread seconds per dispatch. */
  serviceS: number;
  /** Per lane: CPU threads it keeps busy while it runs a layer (0 for device lanes). */
  laneThreads: number[];
  /** Other processes' busy cores (at the run's start; 0 where unknown). */
  backgroundCores: number;
  /** Expected utilisation of the dispatching thread, 0..1. */
  utilisation: number;
}

/** What the simulator asks of a dispatcher model (SimOptions.dispatcher); one object per simulation (it has state). */
export interface DispatchHook {
  /** Seconds a dispatch requested at `now` waits for the dispatching thread (books the thread). */
  wait(now: number): number;
  /** Factor on the latency of a layer starting on `lane`, given every lane's state. */
  computeFactor(lane: number, lanes: readonly LaneState[]): number;
}

/** Core-share slow-down: demand (without the dispatcher) and the dispatcher's extra demand on `cores`. */
export function coreShareFactor(cores: number, demand: number, dispatcher: number): number {
  if (!(cores > 0)) return 1;
  return Math.max(cores, demand + Math.max(0, dispatcher)) / Math.max(cores, demand);
}

/** Dispatches per second the workload asks for: every layer of every frame is one dispatch. */
export function dispatchRate(w: SimWorkload): number {
  const rate = (id: string, depth: number): number => {
    const t = w.tenants.find((x) => x.id === id);
    if (!t) return 0;
    if (t.cascade && depth < w.tenants.length) return rate(t.cascade.upstream, depth + 1) * t.cascade.probability;
    return t.arrival.type === 'periodic' ? t.arrival.fps : t.arrival.type === 'poisson' ? t.arrival.ratePerSec : 0;
  };
  return w.tenants.reduce((a, t) => a + rate(t.id, 0) * t.layers.length, 0);
}

/** The single-server dispatching thread and its core share, for one simulation. */
export class DispatcherSim implements DispatchHook {
  private freeAt = -Infinity;
  /** Dispatches that waited, and the total wait (s). */
  waited = 0;
  waitS = 0;
  constructor(readonly p: DispatcherParams) {}
  wait(now: number): number {
    const w = this.freeAt > now ? this.freeAt - now : 0;
    this.freeAt = now + w + this.p.serviceS;
    if (w > 0) {
      this.waited++;
      this.waitS += w;
    }
    return w;
  }
  computeFactor(lane: number, lanes: readonly LaneState[]): number {
    const own = this.p.laneThreads[lane] ?? 0;
    if (!(own > 0)) return 1;
    let demand = own + this.p.backgroundCores;
    for (let l = 0; l < lanes.length; l++) if (l !== lane && !lanes[l].idle) demand += this.p.laneThreads[l] ?? 0;
    return coreShareFactor(this.p.cores, demand, this.p.utilisation);
  }
}

/**
 * The dispatcher parameters for a calibrated prediction of `w` under `policy`: service time from the
 * calibration (decision + one message hop), cores from its fingerprint, the lanes' threads, the
 * background's busy cores. undefined (with the reason) where the calibration lacks the figures.
 */
export function dispatcherParams(
  c: MachineCalibration,
  w: SimWorkload,
  o: { policy: string; laneThreads: number[]; backgroundCores?: number; cores?: number },
): { params?: DispatcherParams; note: string } {
  const decisionUs = c.decisionUs[o.policy];
  if (decisionUs === undefined || !Number.isFinite(decisionUs)) return { note: `dispatcher model not applied: no decision cost calibrated for ${o.policy}` };
  const hopUs = Number.isFinite(c.copies?.latencyUs) ? Math.max(0, c.copies.latencyUs) : 0;
  const serviceS = (decisionUs + hopUs) / 1e6;
  const cores = o.cores ?? c.fingerprint.cores;
  const rate = dispatchRate(w);
  const utilisation = Math.min(1, rate * serviceS);
  const backgroundCores = Number.isFinite(o.backgroundCores) ? Math.max(0, o.backgroundCores!) : 0;
  const params = { cores, serviceS, laneThreads: o.laneThreads, backgroundCores, utilisation };
  return {
    params,
    note:
      `dispatcher modelled (scheduler/core/dispatcher.ts): one engine thread serves dispatches in turn, ${(serviceS * 1e6).toFixed(0)} µs each (${o.policy} decision ${decisionUs.toFixed(1)} µs + one message hop ${hopUs.toFixed(0)} µs), ` +
      `${rate.toFixed(0)} dispatches/s = ${(100 * utilisation).toFixed(1)}% of a core; CPU lanes slow by max(cores, demand + that) / max(cores, demand) on ${cores} cores (demand: busy CPU lanes' threads + ${backgroundCores.toFixed(2)} background cores)`,
  };
}
