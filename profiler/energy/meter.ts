// The one interface every power/energy meter implements, and the pure arithmetic on its readings
// (integration, counter wrap-around, energy per run). Meters: nvidia-smi (GPU board power), Linux
// RAPL (CPU package energy counters), macOS powermetrics (needs sudo), battery discharge. Where no
// meter can be read, energy is an ESTIMATE from a stated model (estimate.ts), labelled as such.

/** One reading: an instantaneous (or meter-averaged) power, or cumulative energy counters. */
export type MeterReading =
  | { kind: 'power'; tMs: number; watts: number }
  | { kind: 'energy'; tMs: number; counters: EnergyCounter[] };

export interface EnergyCounter {
  /** e.g. "intel-rapl:0 (package-0)". */
  name: string;
  /** Cumulative energy in microjoules. */
  uj: number;
  /** The value at which the counter wraps to 0 (max_energy_range_uj); 0 when unknown / never wraps. */
  maxUj: number;
}

export type MeterDomain = 'gpu' | 'cpu-package' | 'soc' | 'system';

export interface Availability {
  ok: boolean;
  /** Why not, with what the user can do about it. */
  reason?: string;
}

export interface PowerMeter {
  /** "nvidia-smi", "rapl", "powermetrics", "battery". */
  readonly id: string;
  /** What the figure covers. */
  readonly domain: MeterDomain;
  /** How often sample() is polled (and, for streaming meters, how often they report). */
  readonly sampleHz: number;
  /** Meter-side averaging window in ms (nvidia-smi power.draw averages over ~1 s); 0 when instantaneous or counter-based. */
  readonly averagingMs: number;
  available(): Promise<Availability>;
  sample(): Promise<MeterReading>;
  /** Human-readable: which meter, what it covers, its sample rate and caveats. */
  describe(): string;
  close?(): Promise<void> | void;
}

/** Energy between two counter values, allowing for one wrap-around at maxUj. */
export function counterDeltaUj(prev: number, cur: number, maxUj: number): number {
  if (cur >= prev) return cur - prev;
  if (maxUj > 0) return maxUj - prev + cur;
  // Unknown range and the counter went down: treat as a reset, count only what came after it.
  return cur;
}

/**
 * Mean power over a sequence of readings (sorted by time), in watts.
 * - power readings: time-weighted (trapezoid) mean; one reading: that reading;
 * - energy counters: sum over consecutive readings of the wrap-corrected deltas / elapsed time.
 * Returns NaN when the readings cannot give a figure.
 */
export function meanWatts(readings: readonly MeterReading[]): number {
  if (readings.length === 0) return NaN;
  const first = readings[0];
  if (first.kind === 'power') {
    const ps = readings.filter((r): r is Extract<MeterReading, { kind: 'power' }> => r.kind === 'power' && Number.isFinite(r.watts));
    if (ps.length === 0) return NaN;
    if (ps.length === 1) return ps[0].watts;
    let area = 0;
    for (let i = 1; i < ps.length; i++) area += ((ps[i].watts + ps[i - 1].watts) / 2) * (ps[i].tMs - ps[i - 1].tMs);
    const span = ps[ps.length - 1].tMs - ps[0].tMs;
    if (span <= 0) return ps.reduce((s, p) => s + p.watts, 0) / ps.length;
    return area / span;
  }
  const es = readings.filter((r): r is Extract<MeterReading, { kind: 'energy' }> => r.kind === 'energy');
  if (es.length < 2) return NaN;
  let uj = 0;
  for (let i = 1; i < es.length; i++) {
    for (const c of es[i].counters) {
      const prev = es[i - 1].counters.find((p) => p.name === c.name);
      if (prev) uj += counterDeltaUj(prev.uj, c.uj, c.maxUj);
    }
  }
  const span = es[es.length - 1].tMs - es[0].tMs;
  return span > 0 ? uj / 1e6 / (span / 1000) : NaN;
}

/** Energy of one run: (active power - idle power) x latency, never below 0. */
export function joulesPerRun(activeWatts: number, idleWatts: number, latencyMs: number): number {
  return Math.max(0, activeWatts - idleWatts) * (Math.max(0, latencyMs) / 1000);
}

export interface RecordedWindow {
  readings: MeterReading[];
  meanWatts: number;
  /** Number of readings that went into meanWatts. */
  samples: number;
  seconds: number;
}

/**
 * Polls `meter` at its sample rate until `until` settles (or for `durationMs` when no promise is
 * given). Readings taken in the first `skipMs` (meter averaging still covering the time before the
 * window) are dropped from the mean, but at least one reading is kept.
 */
export async function recordWindow(meter: PowerMeter, opts: { until?: Promise<unknown>; durationMs?: number; skipMs?: number }): Promise<RecordedWindow> {
  const periodMs = 1000 / meter.sampleHz;
  const readings: MeterReading[] = [];
  const t0 = performance.now();
  let done = false;
  const finished = opts.until
    ? opts.until.then(
        () => (done = true),
        () => (done = true),
      )
    : new Promise<void>((r) => setTimeout(() => ((done = true), r()), opts.durationMs ?? 1000));
  const failures: unknown[] = [];
  while (!done) {
    const t = performance.now();
    try {
      readings.push(await meter.sample());
    } catch (e) {
      failures.push(e);
      if (failures.length > 3) throw e;
    }
    const wait = Math.max(0, periodMs - (performance.now() - t));
    await Promise.race([finished, new Promise((r) => setTimeout(r, wait))]);
  }
  // A window without one reading measured nothing (a short window can end before 4 failures abort it).
  if (!readings.length && failures.length) throw failures[failures.length - 1];
  // Counters need a closing reading to bound the window.
  if (readings[0]?.kind === 'energy') readings.push(await meter.sample());
  const skip = opts.skipMs ?? 0;
  const kept = readings[0]?.kind === 'power' && skip > 0 ? readings.filter((r) => r.tMs - t0 >= skip) : readings;
  const used = kept.length > 0 ? kept : readings.slice(-1);
  return { readings, meanWatts: meanWatts(used), samples: used.length, seconds: (performance.now() - t0) / 1000 };
}
