// The Live view's pure logic: a rolling telemetry store that keeps bounded series (so that a run of
// any length holds a fixed amount of memory and the charts redraw in constant time) and the whole
// run's lane timeline (capped), the misses chart's scale, the start form's defaults and the number
// formats. No DOM here.
import { laneListProblem } from '../../common/lane-spec';
import { PREDICTION_TOLERANCE } from '../../scheduler/core/divergence';
import type { ModelSwitchEvent, TelemetryBatch, TelemetrySlice } from '../../scheduler/live/types';
import { errorHint } from '../error-hints';
import { DASH, fmtNum } from '../format';
import type { JobRow, Slice, TimelineData } from './simulate-timeline';

// One formatting of variant use and model switches for the Simulate and Live views.
export { switchRows, variantUseView, type SwitchRow, type VariantUseRow } from './simulate-model';

export interface XY {
  x: number;
  y: number;
}

/** A finished frame on the latency chart: x = finish (s from the run's start), y = latency (ms). */
export interface LatencyPoint extends XY {
  missed: boolean;
}

/** A dropped frame: drawn at its tenant's deadline, at the time its deadline passed. */
export interface DropPoint extends XY {
  tenant: number;
  reason: string;
}

export interface StoreOptions {
  /** Seconds of history kept for the time series (latency, power, utilisation, loop). */
  windowSec: number;
  /** Seconds of slices kept for the lane timeline. */
  timelineSec: number;
  /** Hard caps whatever the rates: points per tenant, drops, slices. */
  maxPointsPerTenant: number;
  maxSlices: number;
  /** The whole run's lane timeline (navigable during and after the run): at most this many slices and frames, the oldest let go first. */
  maxRunSlices: number;
  maxRunJobs: number;
}

export const DEFAULT_STORE_OPTIONS: StoreOptions = { windowSec: 30, timelineSec: 3, maxPointsPerTenant: 3000, maxSlices: 4000, maxRunSlices: 200_000, maxRunJobs: 60_000 };

/** Removes the oldest items of an array ordered by time: those before `from`, and beyond `cap`. */
export function pruneOrdered<T>(items: T[], time: (item: T) => number, from: number, cap: number): void {
  let k = 0;
  while (k < items.length && time(items[k]) < from) k++;
  k = Math.max(k, items.length - cap);
  if (k > 0) items.splice(0, k);
}

/**
 * Telemetry of one live run, as rolling windows. `ingest` takes each batch (about 10 a second) and is
 * cheap; the view redraws from the store at its own pace, when `version` changed.
 */
export class LiveTelemetryStore {
  readonly options: StoreOptions;
  version = 0;
  batches = 0;
  last: TelemetryBatch | undefined;
  tenants: string[] = [];
  /** Relative deadlines per tenant, ms. */
  deadlinesMs: number[] = [];
  lanes: string[] = [];
  latency: LatencyPoint[][] = [];
  drops: DropPoint[] = [];
  /** Frames that ended seen by the view (whole run, not only the window): finished, missed (late), dropped. */
  seen = { finished: 0, late: 0, dropped: 0 };
  watts: XY[] = [];
  joules: XY[] = [];
  utilisation: XY[][] = [];
  /** Event-loop delay, cumulative since the run started (what the report keeps), per batch. */
  loopMax: XY[] = [];
  loopP99: XY[] = [];
  /** Event-loop delay max within each tick (since the previous batch): what the responsiveness chart plots. */
  loopTickMax: XY[] = [];
  slices: TelemetrySlice[] = [];
  /** Policy changes as seen in the telemetry (the first entry is the starting policy). */
  policies: { at: number; policy: string }[] = [];
  /** Model-variant switches (DREAM moving a tenant to its model variant and back), in order. */
  modelSwitches: ModelSwitchEvent[] = [];
  /** Items the engine left out of batches (its per-batch cap), summed. */
  omitted = { jobs: 0, slices: 0 };
  /** Batches that arrived out of order or twice (ignored). */
  stale = 0;
  /** The whole run for the lane timeline, in the simulator timeline's tuples: slices sorted by start, frames that ended. */
  runSlices: Slice[] = [];
  runJobs: JobRow[] = [];
  /** The longest slice kept (s): how far before a window a slice can start and still reach into it. */
  runLongest = 0;
  /** Set once the caps let go of the oldest slices or frames: the run time before which the timeline is incomplete. */
  runKeptFrom = 0;

  constructor(readonly runId: string, options: Partial<StoreOptions> = {}) {
    this.options = { ...DEFAULT_STORE_OPTIONS, ...options };
  }

  /** Takes a batch of this run; returns false (and keeps nothing) for another run's or a stale batch. */
  ingest(b: TelemetryBatch): boolean {
    if (b.runId !== this.runId) return false;
    if (this.last && b.seq <= this.last.seq) {
      this.stale++;
      return false;
    }
    if (!this.last || this.tenants.length !== b.tenants.length) {
      this.tenants = b.tenants.map((t) => t.id);
      this.latency = b.tenants.map(() => []);
    }
    this.deadlinesMs = b.tenants.map((t) => t.deadline * 1000);
    if (this.lanes.length !== b.lanes.length) {
      this.lanes = b.lanes.map((l) => l.id);
      this.utilisation = b.lanes.map(() => []);
    }
    if (this.policies.at(-1)?.policy !== b.policy) this.policies.push({ at: b.t, policy: b.policy });

    for (const j of b.jobs) {
      if (j.dropped || j.finish === null) {
        this.seen.dropped++;
        const rel = this.deadlinesMs[j.tenant] ?? 0;
        this.drops.push({ x: Math.min(b.t, j.deadline), y: rel, tenant: j.tenant, reason: j.reason ?? 'dropped' });
        continue;
      }
      const missed = j.finish > j.deadline;
      this.seen.finished++;
      if (missed) this.seen.late++;
      this.latency[j.tenant]?.push({ x: j.finish, y: (j.finish - j.release) * 1000, missed });
    }
    if (b.modelSwitches?.length) this.modelSwitches.push(...b.modelSwitches);
    for (const j of b.jobs) this.runJobs.push([j.tenant, j.release, j.deadline, j.dropped ? null : j.finish, j.dropped || j.finish === null]);
    for (const s of b.slices) {
      this.slices.push(s);
      this.recordSlice(s);
    }
    this.capRun();
    this.watts.push({ x: b.t, y: b.power.watts });
    this.joules.push({ x: b.t, y: b.power.joules });
    b.lanes.forEach((l, i) => this.utilisation[i]?.push({ x: b.t, y: l.utilisation * 100 }));
    this.loopMax.push({ x: b.t, y: b.loop.maxMs });
    this.loopP99.push({ x: b.t, y: b.loop.p99Ms });
    // Batches from an engine without per-tick figures add no point (never the cumulative ones in their place).
    if (typeof b.loop.tickMaxMs === 'number') this.loopTickMax.push({ x: b.t, y: b.loop.tickMaxMs });
    this.omitted.jobs += b.omitted.jobs;
    this.omitted.slices += b.omitted.slices;
    this.last = b;
    this.batches++;
    this.prune(b.t);
    this.version++;
    return true;
  }

  private prune(now: number): void {
    const o = this.options;
    const from = now - o.windowSec;
    const x = (p: XY) => p.x;
    for (const series of this.latency) {
      series.sort((a, b) => a.x - b.x); // finish order can differ slightly from report order
      pruneOrdered(series, x, from, o.maxPointsPerTenant);
    }
    this.drops.sort((a, b) => a.x - b.x);
    pruneOrdered(this.drops, x, from, o.maxPointsPerTenant);
    for (const s of [this.watts, this.joules, this.loopMax, this.loopP99, this.loopTickMax, ...this.utilisation]) pruneOrdered(s, x, from, 4 * o.windowSec * 60);
    this.slices.sort((a, b) => a.end - b.end);
    pruneOrdered(this.slices, (s) => s.end, now - o.timelineSec, o.maxSlices);
  }

  /** Keeps the run's slices sorted by start: they arrive nearly in order, so an insertion from the end is cheap. */
  private recordSlice(s: TelemetrySlice): void {
    const row: Slice = [s.tenant, s.lane, s.layer, s.start, s.end, s.kind === 'transfer' ? 1 : 0, s.job];
    const a = this.runSlices;
    let i = a.length;
    while (i > 0 && a[i - 1][3] > row[3]) i--;
    if (i === a.length) a.push(row);
    else a.splice(i, 0, row);
    if (row[4] - row[3] > this.runLongest) this.runLongest = row[4] - row[3];
  }

  private capRun(): void {
    const o = this.options;
    if (this.runSlices.length > o.maxRunSlices) {
      // Let go of a tenth at once (not one by one on every batch).
      const cut = this.runSlices.length - Math.floor(o.maxRunSlices * 0.9);
      this.runKeptFrom = Math.max(this.runKeptFrom, this.runSlices[cut][3]);
      this.runSlices.splice(0, cut);
    }
    if (this.runJobs.length > o.maxRunJobs) {
      const cut = this.runJobs.length - Math.floor(o.maxRunJobs * 0.9);
      this.runJobs.sort((x, y) => x[1] - y[1]);
      this.runKeptFrom = Math.max(this.runKeptFrom, this.runJobs[cut][1]);
      this.runJobs.splice(0, cut);
    }
  }

  /** The whole run so far as a timeline (the same shape as the simulator's), up to the last batch's time. */
  runTimeline(): TimelineData {
    return { lanes: this.lanes, tenants: this.tenants, horizon: Math.max(this.last?.t ?? 0, 1e-3), slices: this.runSlices, jobs: this.runJobs, truncated: false };
  }

  /** Points on the latency chart now (all tenants). */
  get latencyPoints(): number {
    return this.latency.reduce((a, s) => a + s.length, 0);
  }

  /** The x range the time-series charts show: the last window, growing from 0 until it is full. */
  xRange(): { min: number; max: number } {
    const t = this.last?.t ?? 0;
    const w = this.options.windowSec;
    return { min: Math.max(0, t - w), max: Math.max(t, Math.min(w, 5)) };
  }
}

// ---------------------------------------------------------------------------------------------
// Per-tenant counters (cumulative, from the engine's batch) for the counters table and bar chart.

export interface TenantCounters {
  tenant: string;
  deadlineMs: number;
  released: number;
  finished: number;
  late: number;
  dropped: number;
  queued: number;
  /** (late + dropped) / released; NaN before the first release. */
  missRate: number;
}

export function tenantCounters(b: TelemetryBatch | undefined): TenantCounters[] {
  if (!b) return [];
  return b.tenants.map((t) => ({
    tenant: t.id,
    deadlineMs: t.deadline * 1000,
    released: t.released,
    finished: t.finished,
    late: t.late,
    dropped: t.dropped,
    queued: t.queued,
    missRate: t.released > 0 ? (t.late + t.dropped) / t.released : NaN,
  }));
}

// ---------------------------------------------------------------------------------------------
// The start form.

/** Two CPU lanes splitting the cores (one core left for the engine beyond 2), as the engine's default. */
export function defaultLanesFor(cores: number): string {
  const c = Math.max(1, Math.floor(cores));
  const per = Math.max(1, Math.floor((c > 2 ? c - 1 : c) / 2));
  return `cpu:${per},cpu:${per}`;
}

/** The core count implied by lanes.list (its CPU lanes go up to every core). */
export function coresFromLanes(lanes: readonly { ep: string; threads?: number }[]): number {
  return Math.max(1, ...lanes.filter((l) => l.ep === 'cpu').map((l) => l.threads ?? 1));
}

/**
 * A quick check of a lanes string in the browser, with the engine's own grammar
 * (common/lane-spec.ts). Returns the problem, or undefined. The engine checks again.
 */
export function checkLanes(text: string): string | undefined {
  return laneListProblem(text);
}

export interface ScenarioChoice {
  value: string;
  label: string;
  description: string;
  group: 'Built-in demos' | 'Library' | 'User scenarios';
  disabled?: string;
}

export const DEMO_CHOICES: ScenarioChoice[] = [
  {
    value: 'demo:tiny',
    label: 'demo:tiny: three tiny synthetic models (fast start, lanes lightly busy)',
    description:
      'Synthetic builder-made models (NOT trained networks): a tiny conv detector at 40 fps, a classifier cascaded on it (p = 0.5, 25 ms deadline), a Poisson tracker at 30/s (50 ms). Sub-millisecond layers: runs on any machine.',
    group: 'Built-in demos',
  },
  {
    value: 'demo',
    label: 'demo: an XR-like mix of four synthetic models',
    description:
      'Synthetic builder-made models (NOT trained networks): a conv detector at 30 fps, an MLP classifier cascaded on it (p = 0.5), an MLP tracker at 60 fps and a Poisson keyword spotter at 20/s. At the default target load its models are deepened (not sped up) until the busiest lane is about 70% busy, so policies differ visibly.',
    group: 'Built-in demos',
  },
];

/** The scenario select's options: the demos, then the library (user scenarios that fail to validate are disabled with their error). */
export function scenarioChoices(list: readonly { id: string; name: string; description: string; origin: string; tenants: { id: string }[]; error?: string }[]): ScenarioChoice[] {
  return [
    ...DEMO_CHOICES,
    ...list.map((s): ScenarioChoice => ({
      value: s.id,
      label: `${s.id}${s.name && s.name !== s.id ? `: ${s.name}` : ''}`,
      description: `${s.description || s.name} (${s.tenants.length} tenant${s.tenants.length === 1 ? '' : 's'}: ${s.tenants.map((t) => t.id).join(', ')})`,
      group: s.origin === 'user' ? 'User scenarios' : 'Library',
      disabled: s.error,
    })),
  ];
}

/** A run id the view chooses before starting, so that it can stop or switch the run before its first event. */
export function newRunId(now = Date.now(), random = Math.random()): string {
  const d = new Date(now);
  const p = (n: number) => String(n).padStart(2, '0');
  return `ui-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}-${Math.floor(random * 0x10000).toString(16).padStart(4, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Formats. Values that crossed JSON may be null where the engine had NaN: show a dash.

function finite(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** How far an observed/expected ratio is from 1: ok within 20%, warn within 50%, bad beyond. */
export function ratioKind(v: number | null | undefined): 'ok' | 'warn' | 'bad' | 'info' {
  if (!finite(v)) return 'info';
  const r = v >= 1 ? v : 1 / Math.max(v, 1e-9);
  return r <= 1.2 ? 'ok' : r <= 1.5 ? 'warn' : 'bad';
}

/** How a measured-vs-predicted difference reads: latencies relative, rates in points. */
export function diffKind(v: number | null | undefined, kind: 'rel' | 'pts'): 'ok' | 'warn' | 'bad' | 'info' {
  if (!finite(v)) return 'info';
  const a = Math.abs(v);
  const t = PREDICTION_TOLERANCE;
  return kind === 'rel' ? (a <= t.latencyRel ? 'ok' : a <= 3 * t.latencyRel ? 'warn' : 'bad') : a <= t.ratePts ? 'ok' : a <= 3 * t.ratePts ? 'warn' : 'bad';
}

/**
 * A policy's state for display: weights as bars (scaled to the largest, at least 1) and the rest
 * (tuner counters and steps, keys starting with "tuner") as plain numbers.
 */
export function splitPolicyState(state: Record<string, number> | undefined): { bars: { key: string; value: number; fraction: number }[]; numbers: { key: string; value: number }[] } {
  const entries = Object.entries(state ?? {}).filter(([, v]) => typeof v === 'number');
  const numbers = entries.filter(([k]) => /^tuner/i.test(k)).map(([key, value]) => ({ key, value }));
  const weights = entries.filter(([k]) => !/^tuner/i.test(k));
  const top = Math.max(1, ...weights.map(([, v]) => (Number.isFinite(v) ? Math.abs(v) : 0)));
  return { bars: weights.map(([key, value]) => ({ key, value, fraction: Number.isFinite(value) ? Math.min(1, Math.abs(value) / top) : 0 })), numbers };
}

/**
 * The Layer variants field before live.start: variants are layer variants, so the run must cut the
 * models per layer (the runtime's own rule). The kinds themselves are checked by the engine with the
 * CLI's parser (profiler/variants/kinds.ts parseKinds), whose error the start box shows.
 */
export function variantsProblem(kinds: string, granularity: string): { message: string; hint: string } | undefined {
  if (!kinds.trim()) return undefined;
  if (granularity !== 'layer') return { message: `Layer variants (${kinds.trim()}) need granularity "layer"`, hint: 'Set Granularity to layer, or empty the Layer variants field.' };
  return undefined;
}

/** What to do about an error from live.start, from its code and message. */
export function startErrorHint(code: string, message: string): string {
  const byCode = errorHint(code, { cancelled: 'The run was stopped before it started measuring: start it again when ready.', 'engine-exited': 'The engine stopped: reconnect (bottom left) and start the run again.' });
  if (code === 'cancelled' || code === 'engine-exited') return byCode;
  if (/\blane "|no lanes|every lane failed|execution provider/i.test(message)) return 'Fix the lanes: comma-separated EP[:THREADS], e.g. cpu:1,cpu:1 (see the Devices view for what works here).';
  if (/variant kind|variants .*:/i.test(message)) return 'Fix the Layer variants field: comma-separated families (exact, fp16, int8, lowrank, prune) or kind ids, e.g. exact,fp16 (tessera variants --help lists them).';
  if (/^profile /i.test(message)) return 'Untick that profile, or profile the model again in the Profiles view.';
  if (/model .*cannot be resolved|cannot load|\.onnx/i.test(message)) return 'A tenant\u2019s model could not be loaded: check its path or library id in the Scenarios view, or pick another scenario.';
  if (/no scenario|scenario/i.test(message)) return 'Pick a scenario from the list, or check the file path (a .json scenario or an XRBench .m file).';
  return byCode || 'See the message above; the engine log has the details.';
}

// ---------------------------------------------------------------------------------------------
// Stored runs (runs.list), as the Export view lists them.

/** The policy a run started with and its switches: "edf → dream at 1.2 s". */
export function runPolicyText(policy: string | undefined, switches: readonly { at: number; policy: string }[] | undefined): string {
  if (!policy) return DASH;
  return [policy, ...(switches ?? []).map((s) => `${s.policy} at ${fmtNum(s.at, 1)} s`)].join(' → ');
}

/** How long a stored run lasted: "5.3 s (4 s of releases)", or what is known of it. */
export function runLengthText(elapsedSec: number | null | undefined, durationSec: number | null | undefined): string {
  const e = finite(elapsedSec) ? `${fmtNum(elapsedSec, 1)} s` : '';
  const d = finite(durationSec) ? `${fmtNum(durationSec, durationSec % 1 ? 1 : 0)} s of releases` : '';
  return e && d ? `${e} (${d})` : e || d || DASH;
}

// ---------------------------------------------------------------------------------------------
// The misses chart: shares of the frames released, on an axis that one late frame does not fill.

/** Late and dropped frames per tenant as percentages of its released frames (0 before any release). */
export function missShares(counters: readonly TenantCounters[]): { late: number[]; dropped: number[] } {
  const pct = (n: number, of: number) => (of > 0 ? (100 * n) / of : 0);
  return { late: counters.map((c) => pct(c.late, c.released)), dropped: counters.map((c) => pct(c.dropped, c.released)) };
}

/**
 * The misses axis maximum (%): at least 10% so that a single late frame among many stays a sliver,
 * else the largest share with a fifth of headroom, rounded up to 10, 20, 25, 50 or 100.
 */
export function missAxisMax(shares: { late: number[]; dropped: number[] }): number {
  const top = Math.max(0, ...shares.late.map((l, i) => l + (shares.dropped[i] ?? 0)));
  const want = Math.max(10, top * 1.2);
  return [10, 20, 25, 50, 100].find((m) => m >= want - 1e-9) ?? 100;
}
