// Measuring one lane of a profiling run (profile.ts runs the lanes one after another, or all at
// once in contention mode). The steps, in order: start the lane's worker; the per-call baseline and
// the GEMM peak; the whole model (timing, ORT's per-node profile, energy); every layer; the drift
// check. A worker that crashes or hangs is restarted, up to MAX_WORKER_CRASHES times per lane.
import { estimateEnergy, joulesPerRun, meterForLane, recordWindow, DEFAULT_ESTIMATE, type MeterSet, type PowerMeter } from './energy';
import { toWireTensor, type OrtTrace, type WireTensor } from './measure-core';
import { cpuCount, laneInitError, LaneWorker, LaneWorkerError, laneUnsupportedReason } from './measure';
import { compareTensors, type CapturedTensor, type CutResult } from './onnx/cut';
import { sessionBytes, type LoadedModel } from './onnx/model';
import { fitTransfer } from './transfer';
import type { LaneInfo, LaneMeasurement, LaneSpec, Profile } from './types';
import type { ProfileOptions, ProfileProgress } from './profile';

/** Budget weight of the whole-model measurement relative to one layer: its median anchors the cut overhead and the harness figures. */
export const WHOLE_WEIGHT = 3;
const MAX_WORKER_CRASHES = 3;

/** What the steps of one profiling run share (profile.ts builds it). */
export interface ProfileRun {
  readonly p: Profile;
  readonly loaded: LoadedModel;
  readonly cut: CutResult;
  readonly opts: ProfileOptions;
  readonly budgetSec: number;
  readonly warmup: number;
  readonly ciTarget: number;
  readonly energyMode: 'auto' | 'off';
  readonly signal?: AbortSignal;
  /** ORT's per-node profile of the whole model, per lane. */
  readonly traces: Record<string, OrtTrace | undefined>;
  readonly meterSet?: MeterSet;
  /** Derives the figures and saves the profile (when saving). */
  checkpoint(): void;
  progress(e: Omit<ProfileProgress, 'model' | 'done' | 'total' | 'fraction' | 'etaSec' | 'resumedPairs'>): void;
}

export function isMeasured(m: LaneMeasurement | undefined): boolean {
  return !!m && (m.raw !== undefined || m.error !== undefined);
}

/** (layer, lane) pairs measured (or failed for good) so far. */
export function pairsDone(p: Profile): number {
  let n = 0;
  for (const l of p.layers) for (const m of l.lanes) if (isMeasured(m)) n++;
  return n;
}

/** Compact copy of a typed array (a view into a larger buffer would ship the whole buffer to the worker). */
function compact<T extends ArrayBufferView | string[]>(data: T): T {
  if (Array.isArray(data)) return data;
  const v = data as ArrayBufferView;
  if (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) return data;
  return (v as unknown as { slice(): T }).slice();
}

function wireFeeds(cut: CutResult, names: string[], what: string): Record<string, WireTensor> {
  const out: Record<string, WireTensor> = {};
  for (const n of names) {
    const t: CapturedTensor | undefined = cut.tensors.get(n);
    if (!t) throw new Error(`${cut.model.name}: ${what} input '${n}' has no captured sample tensor`);
    const w = toWireTensor(t);
    out[n] = { ...w, data: compact(w.data) };
  }
  return out;
}

function compactBytes(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice();
}

/** One lane's measurement session: its worker (restarted after a crash), budget and meter. */
class LaneSession {
  readonly info: LaneInfo;
  readonly index: number;
  private worker: LaneWorker | undefined;
  private crashes = 0;
  private spentMs = 0;
  private readonly laneBudgetMs: number;
  private readonly meter: PowerMeter | undefined;
  private readonly windowMs: number;
  /** Whether this session measured the whole model (the drift check compares against it). */
  wholeMeasuredNow = false;

  constructor(
    private readonly run: ProfileRun,
    readonly lane: LaneSpec,
  ) {
    const p = run.p;
    this.info = p.lanes.find((l) => l.id === lane.id) as LaneInfo;
    this.index = p.lanes.indexOf(this.info);
    // This lane's repetition budget: all of it for a fresh run, the unmeasured part's share for a resumed one.
    this.laneBudgetMs = (run.budgetSec * 1000 * this.remainingWeight()) / (p.layers.length + WHOLE_WEIGHT);
    this.meter = run.meterSet ? meterForLane(lane, run.meterSet.meters) : undefined;
    this.windowMs = (run.opts.energyWindowSec ?? (this.meter && this.meter.averagingMs >= 1000 ? 2 : 1)) * 1000;
  }

  private remainingWeight(): number {
    const p = this.run.p;
    return p.layers.filter((l) => !isMeasured(l.lanes[this.index])).length + (isMeasured(p.wholeModel[this.index]) ? 0 : WHOLE_WEIGHT);
  }

  shareMs(weight: number): number {
    return (Math.max(0, this.laneBudgetMs - this.spentMs) * weight) / Math.max(1, this.remainingWeight());
  }

  watchdog(ms: number): number {
    return (this.run.opts.watchdogSec ?? 60) * 1000 + 3 * ms;
  }

  /** Records `reason` for every (layer, lane) pair and the whole model not measured yet. */
  failRemaining(reason: string): void {
    const p = this.run.p;
    for (const l of p.layers) if (!isMeasured(l.lanes[this.index])) l.lanes[this.index] = { lane: this.lane.id, error: reason };
    if (!isMeasured(p.wholeModel[this.index])) p.wholeModel[this.index] = { lane: this.lane.id, error: reason };
  }

  async start(): Promise<boolean> {
    try {
      this.worker = await LaneWorker.start(this.lane, { hooks: this.run.opts.testHooks?.[this.lane.id] });
      await this.worker.call({ op: 'init' }, this.watchdog(0), this.run.signal);
      const id = await this.worker.identify();
      if (id.adapter) this.info.adapter = id.adapter;
      if (id.adapterNote) this.info.adapterNote = id.adapterNote;
      const warnings = this.run.p.warnings;
      const swNote = `${this.lane.id} runs on a SOFTWARE GPU adapter (${id.adapter?.name}): its figures are CPU rasterisation, never GPU performance`;
      if (id.adapter?.software && !warnings.includes(swNote)) warnings.push(swNote);
      if (id.refusal) throw new Error(id.refusal);
      return true;
    } catch (e) {
      if (e instanceof LaneWorkerError && e.kind === 'cancelled') return false;
      this.info.error = laneInitError(this.lane, e, this.worker?.stderrTail());
      this.failRemaining(`lane unavailable: ${this.info.error}`);
      await this.worker?.terminate();
      this.worker = undefined;
      return false;
    }
  }

  async stop(): Promise<void> {
    await this.worker?.terminate();
  }

  /** The running worker (guarded() starts one when needed). */
  get w(): LaneWorker {
    return this.worker!;
  }

  /** Runs one measurement step; converts worker failures into a recorded error. Returns false when the lane must stop. */
  async guarded(what: string, onError: (msg: string) => void, fn: () => Promise<void>): Promise<boolean> {
    if (!this.worker || !this.worker.alive) {
      if (!(await this.start())) return false;
    }
    try {
      await fn();
      return true;
    } catch (e) {
      if (this.run.signal?.aborted || (e instanceof LaneWorkerError && e.kind === 'cancelled')) return false;
      const msg = e instanceof Error ? e.message : String(e);
      if (e instanceof LaneWorkerError && (e.kind === 'crash' || e.kind === 'timeout')) {
        this.crashes++;
        onError(`${what}: ${msg}`);
        await this.worker?.terminate();
        this.worker = undefined;
        if (this.crashes >= MAX_WORKER_CRASHES) {
          this.failRemaining(`lane abandoned after ${this.crashes} worker crashes or hangs (last: ${what}: ${msg})`);
          return false;
        }
        return true;
      }
      onError(`${what}: ${msg}`);
      return true;
    }
  }

  /** Times `key` (loaded in the worker) for its share of the budget; counts the time spent. */
  async measure(key: string, share: number) {
    const r = await this.w.call({ op: 'measure', key, warmup: this.run.warmup, rule: { ciTarget: this.run.ciTarget, budgetMs: share } }, this.watchdog(share), this.run.signal);
    this.spentMs += r.elapsedMs;
    return r;
  }

  /** Energy per run: metered where a meter covers the lane and its idle power is known, else a labelled estimate. */
  async energy(key: string, latencyMs: number | undefined): Promise<LaneMeasurement['energy']> {
    const { energyMode, signal } = this.run;
    const meter = this.meter;
    if (energyMode === 'off' || latencyMs === undefined) return undefined;
    if (!meter || this.info.idleWatts === undefined) return estimateEnergy(this.lane, latencyMs, DEFAULT_ESTIMATE, cpuCount());
    const loop = this.w.call({ op: 'loop', key, durationMs: this.windowMs }, this.watchdog(this.windowMs), signal);
    let w: Awaited<ReturnType<typeof recordWindow>>;
    try {
      w = await recordWindow(meter, { until: loop, skipMs: meter.averagingMs });
    } catch (e) {
      // The meter went away mid-run (driver reset, removed counter): this energy is an estimate, and says why.
      await loop;
      const warnings = this.run.p.warnings;
      const note = `${this.lane.id}: meter ${meter.id} failed while measuring ${key} (${(e as Error).message.split('\n')[0]}); energy from there on is estimated`;
      if (!warnings.includes(note)) warnings.push(note);
      return estimateEnergy(this.lane, latencyMs, DEFAULT_ESTIMATE, cpuCount());
    }
    await loop;
    return {
      joulesPerRun: joulesPerRun(w.meanWatts, this.info.idleWatts, latencyMs),
      watts: Math.max(0, w.meanWatts - this.info.idleWatts),
      idleWatts: this.info.idleWatts,
      source: { kind: 'measured', meter: meter.id, detail: `${meter.describe()}; ${w.samples} readings over a ${w.seconds.toFixed(1)} s loop of this layer; (mean power - idle power) x baseline-subtracted latency`, sampleHz: meter.sampleHz },
    };
  }

  /** Loads the whole model (canonical node names, so ORT's profile maps back to layers) in the worker. */
  async loadWhole(share: number): Promise<void> {
    const { loaded, cut, signal } = this.run;
    const bytes = compactBytes(sessionBytes(loaded, { canonicalNames: true }));
    await this.w.call({ op: 'load', key: 'whole', bytes, feeds: wireFeeds(cut, Object.keys(cut.inputShapes), 'model') }, this.watchdog(share) + 60_000, signal);
  }
}

/** Payload sizes of the transfer-cost round trips: empty, 64 KiB, 1 MiB, 4 MiB (activations of small to mid-size layers). */
const TRANSFER_SIZES = [0, 64 << 10, 1 << 20, 4 << 20];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The per-call baseline (an empty model), the transfer cost (non-CPU lanes) and the GEMM peak. Returns false when the lane must stop. */
async function measureBaselineAndPeak(run: ProfileRun, s: LaneSession): Promise<boolean> {
  const { lane, info } = s;
  const { ciTarget, signal } = run;
  run.progress({ phase: 'baseline', lane: lane.id, message: `${lane.id}: per-call baseline (empty model)` });
  const ok = await s.guarded('baseline', (m) => (info.error = m), async () => {
    const b = await s.w.call({ op: 'baseline', warmup: 20, rule: { ciTarget, budgetMs: 500, minSamples: 50 } }, s.watchdog(500), signal);
    info.baselineMs = b.stats.median;
    info.baselineCiMs = b.stats.ciHalfWidthRel * b.stats.median;
    info.timerResolutionMs = b.timerResolutionMs;
  });
  if (!ok || info.baselineMs === undefined) {
    if (!signal?.aborted) s.failRemaining(`lane failed: ${info.error ?? 'baseline could not be measured'}`);
    return false;
  }
  if (lane.ep !== 'cpu') {
    run.progress({ phase: 'baseline', lane: lane.id, message: `${lane.id}: transfer cost by size` });
    await s.guarded('transfer cost', (m) => run.p.warnings.push(`${lane.id}: ${m}`), async () => {
      const points: { bytes: number; oneWayUs: number }[] = [];
      for (const bytes of TRANSFER_SIZES) {
        const oneWay: number[] = [];
        for (let k = 0; k < 9; k++) {
          const t0 = performance.now();
          await s.w.call({ op: 'echo', payload: new Uint8Array(bytes) }, s.watchdog(1000), signal);
          if (k >= 2) oneWay.push(((performance.now() - t0) * 1000) / 2);
        }
        points.push({ bytes, oneWayUs: median(oneWay) });
      }
      info.transfer = fitTransfer(points);
    });
  }
  run.progress({ phase: 'peak', lane: lane.id, message: `${lane.id}: GEMM peak` });
  await s.guarded('GEMM peak', (m) => run.p.warnings.push(`${lane.id}: ${m}`), async () => {
    // A software GPU (webgpu:sw) rasterises on the CPU: a 1024² GEMM would outlast the watchdog.
    const sizes = lane.ep === 'cpu' ? [256, 512] : lane.software ? [128] : [1024, 2048];
    const r = await s.w.call({ op: 'peak', sizes, baselineMs: info.baselineMs, rule: { ciTarget, budgetMs: 600, minSamples: 5 } }, s.watchdog(2000), signal);
    info.peakGflops = r.gflops;
    info.gemmN = r.n;
  });
  run.checkpoint();
  return true;
}

/** The whole model: timing, ORT's own per-node profile, energy. Returns false when the lane must stop. */
async function measureWholeModel(run: ProfileRun, s: LaneSession): Promise<boolean> {
  const { p, signal } = run;
  const { lane, info } = s;
  run.progress({ phase: 'whole', lane: lane.id, message: `${lane.id}: whole model` });
  const share = s.shareMs(WHOLE_WEIGHT);
  const m: LaneMeasurement = { lane: lane.id };
  const ok = await s.guarded('whole model', (e) => (m.error = e), async () => {
    await s.loadWhole(share);
    const r = await s.measure('whole', share);
    m.raw = r.stats;
    const runs = Math.min(50, Math.max(5, Math.floor(1000 / Math.max(1, r.stats.median))));
    try {
      run.traces[lane.id] = await s.w.call({ op: 'profile', key: 'whole', warmup: 2, runs }, s.watchdog(runs * r.stats.median * 3), signal);
    } catch (e) {
      if (e instanceof LaneWorkerError && e.kind !== 'error') throw e;
      p.warnings.push(`${lane.id}: ORT profiler run failed: ${(e as Error).message}`);
    }
    m.energy = await s.energy('whole', Math.max(0, r.stats.median - (info.baselineMs ?? 0)));
  });
  if (!signal?.aborted) {
    s.wholeMeasuredNow = isMeasured(m) && !m.error;
    p.wholeModel[s.index] = m;
    run.checkpoint();
  }
  return ok;
}

/** Every layer not measured yet, in order; stops at cancellation or when the lane must stop. */
async function measureLayers(run: ProfileRun, s: LaneSession): Promise<void> {
  const { p, cut, signal } = run;
  const { lane, info } = s;
  for (const layer of p.layers) {
    if (signal?.aborted) break;
    if (isMeasured(layer.lanes[s.index])) continue;
    const cl = cut.layers[layer.index];
    const key = `layer:${layer.index}`;
    run.progress({ phase: 'layer', lane: lane.id, layer: layer.index, layers: p.layers.length, message: `${lane.id}: layer ${layer.index + 1}/${p.layers.length} ${layer.name}` });
    const share = s.shareMs(1);
    const m: LaneMeasurement = { lane: lane.id };
    const ok = await s.guarded(`layer ${layer.index} ${layer.name}`, (e) => (m.error = e), async () => {
      await s.w.call({ op: 'load', key, bytes: compactBytes(cl.bytes), feeds: wireFeeds(cut, cl.inputs.map((i) => i.name), `layer ${layer.index} (${layer.name})`) }, s.watchdog(share) + 60_000, signal);
      const r = await s.measure(key, share);
      m.raw = r.stats;
      m.energy = await s.energy(key, Math.max(0, r.stats.median - (info.baselineMs ?? 0)));
    });
    if (signal?.aborted) break;
    if (isMeasured(m)) layer.lanes[s.index] = m;
    run.checkpoint();
    if (!ok) break;
  }
}

/**
 * Drift check: the whole model once more after the layers. Layer and whole-model medians are taken
 * minutes apart; if the machine changed meanwhile (thermal state, other load), the cut overhead and
 * the layer figures are not comparable, and the profile says so.
 */
async function checkDrift(run: ProfileRun, s: LaneSession): Promise<void> {
  const { p, signal } = run;
  const { lane, info } = s;
  const whole = p.wholeModel[s.index];
  if (!(s.wholeMeasuredNow && whole.raw && !signal?.aborted && p.layers.every((l) => isMeasured(l.lanes[s.index])))) return;
  await s.guarded('whole-model drift check', (e) => p.warnings.push(`${lane.id}: ${e}`), async () => {
    await s.loadWhole(0);
    const budget = Math.max(s.shareMs(WHOLE_WEIGHT), Math.min(3000, 10 * whole.raw!.median));
    const r = await s.w.call({ op: 'measure', key: 'whole', warmup: run.warmup, rule: { ciTarget: run.ciTarget, budgetMs: budget, minSamples: 20 } }, s.watchdog(budget), signal);
    const before = whole.raw!;
    const noise = before.median * before.ciHalfWidthRel + r.stats.median * r.stats.ciHalfWidthRel;
    info.drift = { beforeMs: before.median, afterMs: r.stats.median, ratio: r.stats.median / before.median };
    if (Math.abs(r.stats.median - before.median) > noise + 0.05 * before.median) {
      p.warnings.push(
        `${lane.id}: the machine changed during profiling: whole model ${before.median.toFixed(3)} ms before the layers, ${r.stats.median.toFixed(3)} ms after (x${info.drift.ratio.toFixed(2)}); other load or clock changes make the layer figures and the cut overhead less comparable`,
      );
    }
  });
}

/** Cross-EP tolerance of the chained check on a lane: relative to each output's scale (REL_ERROR_DEFINITION in onnx/cut.ts). */
export const LANE_CHAIN_TOLERANCE = { rel: 1e-3 };

/**
 * Chained verification on a non-CPU lane: the layers run one after another on the lane itself, and
 * the model's outputs are compared with the CPU whole model's (the cut's captured outputs).
 */
async function verifyChainOnLane(run: ProfileRun, s: LaneSession): Promise<void> {
  const { p, cut, signal } = run;
  const { lane } = s;
  if (lane.ep === 'cpu' || signal?.aborted || p.verification.lanes?.[lane.id] || !p.layers.every((l) => isMeasured(l.lanes[s.index]))) return;
  run.progress({ phase: 'layer', lane: lane.id, message: `${lane.id}: chained verification on the lane` });
  const layers = cut.layers.map((l) => ({ name: l.name, bytes: compactBytes(l.bytes), outputs: l.outputs.map((o) => o.name) }));
  const record = (r: { maxAbsError: number; maxRelError: number; error?: string }) => {
    const passed = r.error === undefined && r.maxRelError <= LANE_CHAIN_TOLERANCE.rel;
    (p.verification.lanes ??= {})[lane.id] = { ...r, passed, tolerance: LANE_CHAIN_TOLERANCE };
    if (!passed) p.warnings.push(`${lane.id}: chained layers on this lane do not reproduce the CPU model (max rel ${r.maxRelError.toExponential(2)} > ${LANE_CHAIN_TOLERANCE.rel}${r.error ? `; ${r.error}` : ''})`);
  };
  await s.guarded('chained verification', (e) => record({ maxAbsError: Infinity, maxRelError: Infinity, error: e }), async () => {
    const budget = layers.length * 10_000;
    const r = await s.w.call({ op: 'chain', layers, feeds: wireFeeds(cut, Object.keys(cut.inputShapes), 'model') }, s.watchdog(budget), signal);
    let maxAbs = 0;
    let maxRel = 0;
    for (const o of cut.model.outputs) {
      const got = r.tensors[o.name];
      const want = cut.tensors.get(o.name);
      const c = got && want ? compareTensors(got, want) : { maxAbsError: Infinity, maxRelError: Infinity };
      maxAbs = Math.max(maxAbs, c.maxAbsError);
      maxRel = Math.max(maxRel, c.maxRelError);
    }
    record({ maxAbsError: maxAbs, maxRelError: maxRel, ...(r.error ? { error: `layer ${r.error.layer} ${r.error.name}: ${r.error.message}` } : {}) });
  });
}

/** Measures one lane: every step above, with the lane's worker stopped at the end whatever happens. */
export async function measureLane(run: ProfileRun, lane: LaneSpec): Promise<void> {
  const s = new LaneSession(run, lane);
  const unsupported = laneUnsupportedReason(lane);
  if (unsupported) {
    s.info.error = unsupported;
    s.failRemaining(`lane unavailable: ${unsupported}`);
    run.checkpoint();
    return;
  }
  run.progress({ phase: 'lane', lane: lane.id, message: `starting lane ${lane.id}` });
  if (!(await s.start())) {
    run.checkpoint();
    return;
  }
  try {
    if (s.info.baselineMs === undefined && !(await measureBaselineAndPeak(run, s))) return;
    if (!isMeasured(run.p.wholeModel[s.index]) && !run.signal?.aborted && !(await measureWholeModel(run, s))) return;
    await measureLayers(run, s);
    await checkDrift(run, s);
    await verifyChainOnLane(run, s);
  } finally {
    await s.stop();
  }
}
