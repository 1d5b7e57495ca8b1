// Machine calibration, the pure part: what a latency table measured one lane at a time cannot know
// about this machine, and how the simulator and the live predictor apply it.
//   - interference: per ordered lane pair, how much a lane's layers slow down while the other lane
//     runs back to back (contended / solo), with the same kernels on both;
//   - the dispatcher's own cost: per lane, what a dispatch costs beyond session.run with the other
//     lanes idle and busy, and per policy the CPU time of one decision;
//   - CPU<->CPU copies: moving an activation from one lane worker to another (two message hops
//     through the engine thread), by size, fitted to latency + bandwidth;
//   - the background load when it was measured (and, in a live run, at the run's start).
// The measurement itself is I/O (scheduler/live/machine-calibration.ts); this module is pure.
import type { LaneDef, LayerCost, SimWorkload } from './types';

export const CALIBRATION_SCHEMA = 1;
/** A calibration older than this is measured again. */
export const CALIBRATION_MAX_AGE_H = 24;

export interface MachineFingerprint {
  hostname: string;
  cpu: string;
  cores: number;
  platform: string;
  arch: string;
  node: string;
  ort: string;
}

export interface PairInterference {
  /** The lane whose slow-down this is. */
  lane: string;
  /** The lane running back to back at the same time. */
  with: string;
  /** Median latency of the kernels alone and with the other lane busy (ms, summed over the kernels). */
  soloMs: number;
  contendedMs: number;
  /** contendedMs / soloMs, never below 1 (a faster contended run is noise); what the predictor applies. */
  slowdown: number;
  /** contendedMs / soloMs as measured (below 1 when the noise won), and the alone/contended alternations it comes from. */
  ratio?: number;
  rounds?: number;
}

export interface DispatchCost {
  lane: string;
  /** A dispatch's cost beyond session.run (post, worker wake-up, ORT scheduling, reply), µs: other lanes idle, and busy. */
  idleUs: number;
  contendedUs: number;
}

export interface CopyFit {
  /** One hop (engine thread <-> lane worker): latency µs and bytes per second; a move between two lanes is two hops. */
  latencyUs: number;
  bytesPerSec: number;
  points: { bytes: number; oneWayUs: number }[];
  method: string;
}

export interface BackgroundLoad {
  at: string;
  /** 1-minute load average of the machine. */
  loadavg1: number;
  cores: number;
  /** CPU time taken by other processes over a short window, in cores (0..cores); NaN where the OS does not say. */
  othersBusyCores: number;
  windowMs: number;
}

export interface MachineCalibration {
  schema: typeof CALIBRATION_SCHEMA;
  createdAt: string;
  fingerprint: MachineFingerprint;
  /** File name key: a hash of the fingerprint and the lanes. */
  key: string;
  /** The lanes measured (ids as the lane grammar writes them: cpu:1, cpu:1#1). */
  lanes: string[];
  /** Which kernels the interference was measured with. */
  kernels: string;
  interference: PairInterference[];
  dispatch: DispatchCost[];
  /** Engine-thread CPU time of one policy decision (µs), measured in the simulator on a demo-like workload. */
  decisionUs: Record<string, number>;
  copies: CopyFit;
  background: BackgroundLoad;
  /** Seconds the calibration took. */
  tookSec: number;
}

/** A string's 32-bit FNV-1a hash in hex (file names; not for security). */
export function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export function calibrationKey(fp: MachineFingerprint, lanes: string[]): string {
  return `${fp.hostname.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}-${fnv1a(JSON.stringify([fp, lanes]))}`;
}

/** Whether a stored calibration can be reused: same machine and software, the lanes asked for, younger than maxAgeH. */
export function calibrationStatus(c: MachineCalibration, fp: MachineFingerprint, lanes: string[], nowMs: number, maxAgeH = CALIBRATION_MAX_AGE_H): { fresh: boolean; reason: string } {
  if (c.schema !== CALIBRATION_SCHEMA) return { fresh: false, reason: `schema ${c.schema} (this version writes ${CALIBRATION_SCHEMA})` };
  const diff = (Object.keys(fp) as (keyof MachineFingerprint)[]).filter((k) => c.fingerprint[k] !== fp[k]);
  if (diff.length) return { fresh: false, reason: `measured with another ${diff.map((k) => `${k} (${c.fingerprint[k]} then, ${fp[k]} now)`).join(', ')}` };
  const missing = lanes.filter((l) => !c.lanes.includes(l));
  if (missing.length) return { fresh: false, reason: `lane(s) ${missing.join(', ')} not calibrated (it has ${c.lanes.join(', ')})` };
  const ageH = (nowMs - Date.parse(c.createdAt)) / 3.6e6;
  if (!(ageH >= 0 && ageH < maxAgeH)) return { fresh: false, reason: `measured ${Number.isFinite(ageH) ? `${ageH.toFixed(1)} h ago` : `at an unreadable date (${c.createdAt})`}; older than ${maxAgeH} h` };
  return { fresh: true, reason: `measured ${(ageH * 60).toFixed(0)} min ago on this machine` };
}

/** A lane id without its duplicate suffix: the kind of lane a calibration entry stands for. */
const kindOf = (id: string) => id.replace(/#\d+$/, '');

/** Slow-down of `lane` while `other` runs: the entry for exactly these ids, else for lanes of the same kinds; undefined when not calibrated. */
export function pairSlowdown(c: MachineCalibration, lane: string, other: string): number | undefined {
  const exact = c.interference.find((p) => p.lane === lane && p.with === other);
  if (exact) return exact.slowdown;
  const like = c.interference.filter((p) => kindOf(p.lane) === kindOf(lane) && kindOf(p.with) === kindOf(other));
  if (!like.length) return undefined;
  return like.reduce((a, p) => a + p.slowdown, 0) / like.length;
}

function dispatchOf(c: MachineCalibration, lane: string): DispatchCost | undefined {
  return c.dispatch.find((d) => d.lane === lane) ?? c.dispatch.find((d) => kindOf(d.lane) === kindOf(lane));
}

/** Per lane, how busy it will be: total demand at the fastest-lane latencies over the lanes (the live calibration's blend rule), capped at 1. */
export function expectedUtilisation(w: SimWorkload): number[] {
  let demand = 0;
  for (const t of w.tenants) {
    const rate = effectiveRate(w, t.id, 0);
    let best = 0;
    for (const layer of t.layers) {
      let m = Infinity;
      for (const c of layer.variants[0].cost) if (c && c.latency < m) m = c.latency;
      if (Number.isFinite(m)) best += m;
    }
    demand += rate * best;
  }
  const u = Math.min(1, demand / Math.max(1, w.lanes.length));
  return w.lanes.map(() => u);
}

function effectiveRate(w: SimWorkload, id: string, depth: number): number {
  const t = w.tenants.find((x) => x.id === id);
  if (!t) return 0;
  if (t.cascade && depth < w.tenants.length) return effectiveRate(w, t.cascade.upstream, depth + 1) * t.cascade.probability;
  return t.arrival.type === 'periodic' ? t.arrival.fps : t.arrival.type === 'poisson' ? t.arrival.ratePerSec : 0;
}

export interface Adjustments {
  /** Per lane: compute latency x this (interference from the other lanes, weighted by how busy they will be). */
  computeFactor: number[];
  /** Per lane: seconds added to every layer (the dispatch under contention beyond the idle figure, plus the policy's decision). */
  extraS: number[];
  /** One hop of a CPU<->CPU activation move, where measured. */
  copyLink?: { latency: number; bytesPerSec: number };
  /** What was applied, in words, for the report. */
  notes: string[];
}

/**
 * What the calibration changes on these lanes at this utilisation under this policy. Lanes the
 * calibration does not cover keep factor 1 and say so. `idleOverheadIncluded`: the table's
 * latencies already hold the idle dispatch cost (the live runtime measures it on its own lanes), so
 * only the contended excess is added.
 */
export function calibrationAdjustments(c: MachineCalibration, laneIds: string[], utilisation: number[], policy: string | undefined, idleOverheadIncluded: boolean): Adjustments {
  const notes: string[] = [];
  const computeFactor = laneIds.map((id, l) => {
    let f = 1;
    const parts: string[] = [];
    laneIds.forEach((other, j) => {
      if (j === l) return;
      const s = pairSlowdown(c, id, other);
      if (s === undefined) {
        parts.push(`with ${other}: not calibrated`);
        return;
      }
      f += (utilisation[j] ?? 0) * Math.max(0, s - 1);
      parts.push(`x${s.toFixed(2)} with ${other} busy ${(100 * (utilisation[j] ?? 0)).toFixed(0)}%`);
    });
    if (parts.length) notes.push(`${id}: compute x${f.toFixed(3)} (${parts.join(', ')})`);
    return f;
  });
  const decision = policy !== undefined ? c.decisionUs[policy] : undefined;
  const extraS = laneIds.map((id, l) => {
    const d = dispatchOf(c, id);
    let us = 0;
    if (d) {
      const others = laneIds.length > 1 ? laneIds.reduce((a, _, j) => (j === l ? a : a + (utilisation[j] ?? 0)), 0) / (laneIds.length - 1) : 0;
      const base = idleOverheadIncluded ? 0 : d.idleUs;
      us += base + others * Math.max(0, d.contendedUs - d.idleUs);
    }
    if (decision !== undefined) us += decision;
    return us / 1e6;
  });
  notes.push(`dispatch per layer +${laneIds.map((id, l) => `${id} ${(extraS[l] * 1e6).toFixed(0)} µs`).join(', ')} (${idleOverheadIncluded ? 'contended excess over the idle dispatch cost measured by the run' : 'dispatch cost'}${decision !== undefined ? `, including ${decision.toFixed(1)} µs per ${policy} decision` : policy ? `; no decision cost calibrated for ${policy}` : ''})`);
  const copyLink = c.copies.points.length ? { latency: c.copies.latencyUs / 1e6, bytesPerSec: c.copies.bytesPerSec } : undefined;
  if (copyLink) notes.push(`CPU<->CPU copies MEASURED: ${c.copies.latencyUs.toFixed(0)} µs + ${c.copies.bytesPerSec > 1e11 ? 'no measurable cost per byte' : `${(c.copies.bytesPerSec / 1e9).toFixed(2)} GB/s`} per hop (two hops per move between lanes)`);
  return { computeFactor, extraS, copyLink, notes };
}

/**
 * The workload with the calibration applied (the simulator's use): every cost x its lane's compute
 * factor plus its lane's extra seconds; CPU lanes without a link get the measured copy link.
 * Costs here are compute only (profiles' run() medians), so the idle dispatch cost is added too.
 */
export function calibrateWorkload(w: SimWorkload, c: MachineCalibration, policy?: string, utilisation = expectedUtilisation(w)): { workload: SimWorkload; notes: string[] } {
  const adj = calibrationAdjustments(c, w.lanes.map((l) => l.id), utilisation, policy, false);
  const lanes: LaneDef[] = w.lanes.map((l) => (l.link || l.kind !== 'cpu' || !adj.copyLink ? l : { ...l, link: adj.copyLink }));
  // One dispatch per run() call: each layer pays it at layer granularity, a whole model once.
  const adjust = <C extends LayerCost | null | undefined>(cost: C, l: number) => (cost ? { ...cost, latency: cost.latency * adj.computeFactor[l] + adj.extraS[l] } : cost);
  const workload: SimWorkload = {
    ...w,
    lanes,
    tenants: w.tenants.map((t) => ({
      ...t,
      layers: t.layers.map((layer) => ({
        ...layer,
        variants: layer.variants.map((v) => ({ ...v, cost: v.cost.map(adjust) })),
      })),
      ...(t.wholeModel ? { wholeModel: t.wholeModel.map(adjust) } : {}),
    })),
    latencySource: { ...w.latencySource, detail: `${w.latencySource.detail ?? ''}; machine calibration ${c.key} (${c.createdAt}): ${adj.notes.join('; ')}` },
  };
  return { workload, notes: adj.notes };
}

/**
 * How much of the prediction's error the calibration removes: 1 - |with - measured| / |without - measured|
 * (1: all of it, 0: none, negative: it made it worse); NaN where the uncalibrated prediction was exact.
 */
export function errorRemoved(measured: number, without: number, withCal: number): number {
  const e0 = Math.abs(without - measured);
  const e1 = Math.abs(withCal - measured);
  if (!Number.isFinite(e0) || !Number.isFinite(e1) || e0 === 0) return NaN;
  return 1 - e1 / e0;
}

/**
 * Fair-share slow-down from the background load: `ours` busy threads sharing `cores` with
 * `othersBusyCores` of other processes' work run at cores / (ours + others) of a core each, at most 1.
 * A model (not a measurement): used only for tables measured at another time (profiles).
 */
export function backgroundFactor(b: Pick<BackgroundLoad, 'cores' | 'othersBusyCores'>, ours: number): number {
  if (!Number.isFinite(b.othersBusyCores) || !(b.cores > 0)) return 1;
  return Math.max(1, (ours + Math.max(0, b.othersBusyCores)) / b.cores);
}
