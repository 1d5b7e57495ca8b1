// The profiler's orchestrator: load a model, cut it into layers, and measure every (layer, lane)
// in the lane's own worker process, with the statistics, baseline, in-graph comparison, GEMM peak,
// energy and checkpoints the Profile contract asks for.
import * as ort from 'onnxruntime-node';
import { detectMeters, estimateEnergy, joulesPerRun, meterForLane, recordWindow, DEFAULT_ESTIMATE, type MeterSet, type PowerMeter } from './energy';
import { ortProviderName, toWireTensor, type OrtTrace, type WireTensor } from './measure-core';
import { cpuCount, defaultLanes, laneInitError, LaneWorker, LaneWorkerError, laneUnsupportedReason, parseLaneSpec, type WorkerTestHooks } from './measure';
import { cutModel, type CapturedTensor, type CutOptions, type CutResult, type Granularity } from './onnx/cut';
import { spawnWorker } from './runtime/worker-host';
import { loadModel, sessionBytes, type LoadedModel } from './onnx/model';
import { resolveInputShapes, ShapeError } from './onnx/shapes';
import { findResumable, machineFingerprint, newProfileId, profilesDir, resumeKey, saveProfile } from './store';
import { PROFILE_SCHEMA_VERSION, type LaneInfo, type LaneMeasurement, type LaneSpec, type Profile } from './types';

export interface ProfileProgress {
  phase: 'load' | 'cut' | 'lane' | 'baseline' | 'peak' | 'idle-power' | 'whole' | 'layer' | 'done';
  model: string;
  lane?: string;
  /** 0-based layer index (phase 'layer'). */
  layer?: number;
  layers?: number;
  /** (layer, lane) pairs measured so far (including resumed ones) and in all. */
  done: number;
  total: number;
  fraction: number;
  /** Estimated seconds left (measurement phase), from the pace so far. */
  etaSec?: number;
  /** Set when this run continues an interrupted one: how many pairs were already measured. */
  resumedPairs?: number;
  message: string;
}

export interface ProfileOptions {
  /** Lane ids ("cpu:2", "webgpu") or specs. Default: one CPU lane with every core. */
  lanes?: (string | LaneSpec)[];
  granularity?: Granularity;
  /** Concrete shapes for dynamic inputs. */
  shapes?: Record<string, number[]>;
  /** Values of the sample input, by input name: one number fills the tensor, an array gives every element (e.g. Silero VAD's sr = 16000). */
  inputValues?: Record<string, number | number[]>;
  /** Time budget for the repetitions, per lane, seconds (default 60). Warm-up, session creation and energy windows come on top. */
  budgetSec?: number;
  /** Minimum warm-up runs per (layer, lane) (default 3). */
  warmup?: number;
  /** Stop repeating when the 95% CI half-width of the median is below this fraction (default 0.02). */
  ciTarget?: number;
  /** Measure all lanes at the same time (contention) instead of one after another. */
  contention?: boolean;
  /** 'auto' (default): measure with a meter where one covers the lane, else a labelled estimate. 'off': no energy. */
  energy?: 'auto' | 'off';
  /** Measurement window per layer for metered energy, seconds (default: 1 s, or 2 s for meters that average over 1 s). */
  energyWindowSec?: number;
  /** Watchdog per worker request: this many seconds (default 60) plus 3x the request's own time budget; session creation gets 60 s more. */
  watchdogSec?: number;
  /** Continue an interrupted run with the same model, lanes, granularity and shapes (default true). */
  resume?: boolean;
  /** Save the profile (checkpoints and result) in the store (default true). */
  save?: boolean;
  /** Profiles directory (default <dataDir>/profiles). */
  storeDir?: string;
  signal?: AbortSignal;
  onProgress?: (p: ProfileProgress) => void;
  /** Display name for a model given as bytes. */
  name?: string;
  /** Facts about the model recorded in the profile's warnings (e.g. what a library model is). */
  notes?: string[];
  /** Meters to use instead of detecting them (tests). */
  meters?: PowerMeter[];
  /** Cut the model on the calling thread instead of a worker (the cut runs ONNX Runtime, which blocks its thread). */
  cutInline?: boolean;
  /** Test-only fault injection, per lane id. */
  testHooks?: Record<string, WorkerTestHooks>;
}

const DEFAULTS = { budgetSec: 60, warmup: 3, ciTarget: 0.02 };
/** Budget weight of the whole-model measurement relative to one layer: its median anchors the cut overhead and the harness figures. */
const WHOLE_WEIGHT = 3;
const MAX_WORKER_CRASHES = 3;

function resolveLanes(lanes: ProfileOptions['lanes']): LaneSpec[] {
  if (!lanes || lanes.length === 0) return defaultLanes();
  const out = lanes.map((l) => (typeof l === 'string' ? parseLaneSpec(l) : { ...l }));
  const seen = new Map<string, number>();
  for (const l of out) {
    const k = seen.get(l.id) ?? 0;
    seen.set(l.id, k + 1);
    if (k > 0) l.id = `${l.id}#${k}`;
  }
  return out;
}

/**
 * Runs cutModel in a worker thread (a child process inside Electron), so that the capture and
 * verification inferences do not block the caller's event loop. Errors keep their message.
 */
export function cutOffThread(
  source: string | Uint8Array,
  name: string,
  opts: Pick<CutOptions, 'granularity' | 'shapes' | 'inputValues'>,
  onProgress: (p: { phase: string; done: number; total: number }) => void,
  signal?: AbortSignal,
): Promise<CutResult> {
  const worker = spawnWorker('cut', 'thread');
  return new Promise<CutResult>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = () => {
      worker.post({ op: 'cancel' });
      setTimeout(() => finish(() => reject(new Error(`cutting ${name} was cancelled`))), 2000).unref?.();
    };
    if (signal?.aborted) return finish(() => reject(new Error(`cutting ${name} was cancelled`)));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.onMessage((m: { type: 'progress'; progress: { phase: string; done: number; total: number } } | { type: 'result'; cut: CutResult } | { type: 'error'; message: string; name: string }) => {
      if (m.type === 'progress') onProgress(m.progress);
      else if (m.type === 'result') finish(() => resolve(m.cut));
      else finish(() => reject(Object.assign(new Error(m.message), { name: m.name })));
    });
    worker.onExit((reason) => finish(() => reject(new Error(`cutting ${name}: the cut worker ended unexpectedly (${reason ?? 'terminated'})`))));
    worker.post({ op: 'cut', source, name, opts });
  });
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

function isMeasured(m: LaneMeasurement | undefined): boolean {
  return !!m && (m.raw !== undefined || m.error !== undefined);
}

/**
 * The layer an ORT profiler node belongs to. ORT's graph optimisations rename some nodes: the NCHWc
 * layout transformer names its nodes `<output tensor>_nchwc`, some fusions `<name>_fused...`; those
 * are mapped through the tensor they produce. Layout reorders ORT inserts (ReorderInput/Output)
 * belong to no layer and stay unattributed.
 */
export function attributeNode(name: string, nodeOwner: Map<string, number>, tensorOwner: Map<string, number>): number | undefined {
  const direct = nodeOwner.get(name);
  if (direct !== undefined) return direct;
  const stripped = name.replace(/(_nchwc|_fused.*|_token_\d+)$/, '');
  return nodeOwner.get(stripped) ?? tensorOwner.get(stripped) ?? tensorOwner.get(name);
}

/** Fills the derived fields (baseline-subtracted latency, GFLOP/s, in-graph, preferred lane, cut overhead) from the raw measurements. */
export function deriveFigures(p: Profile, traces: Record<string, OrtTrace | undefined> = {}, tensorOwner = new Map<string, number>()): void {
  const laneById = new Map(p.lanes.map((l) => [l.id, l]));
  const fix = (m: LaneMeasurement, flops?: number) => {
    const lane = laneById.get(m.lane);
    if (!m.raw || !lane) return;
    m.latencyMs = Math.max(0, m.raw.median - (lane.baselineMs ?? 0));
    if (flops && flops > 0 && m.latencyMs > 0) {
      m.achievedGflops = flops / (m.latencyMs / 1000) / 1e9;
      if (lane.peakGflops) m.peakFraction = m.achievedGflops / lane.peakGflops;
    }
  };
  for (const m of p.wholeModel) fix(m, p.layers.reduce((s, l) => s + l.flops, 0));
  for (const layer of p.layers) {
    for (const m of layer.lanes) fix(m, layer.flops);
    const ok = layer.lanes.filter((m) => m.latencyMs !== undefined && !m.error);
    if (ok.length > 0) {
      const best = ok.reduce((a, b) => (b.latencyMs! < a.latencyMs! ? b : a));
      layer.preferredLane = best.lane;
      layer.gapToPreferred = Object.fromEntries(ok.map((m) => [m.lane, best.latencyMs! > 0 ? m.latencyMs! / best.latencyMs! : m.latencyMs! === 0 ? 1 : Infinity]).filter(([, v]) => Number.isFinite(v as number)));
    }
  }
  // In-graph times from ORT's profiler, per layer: the kernel times of the layer's nodes.
  for (const [laneId, trace] of Object.entries(traces)) {
    if (!trace) continue;
    const provider = ortProviderName(laneById.get(laneId)?.ep ?? 'cpu');
    const nodeOwner = new Map<string, number>();
    p.layers.forEach((l, i) => l.nodes.forEach((n) => nodeOwner.set(n, i)));
    let unattributed = 0;
    const unattributedNodes: string[] = [];
    for (const l of p.layers) {
      if (l.inGraphMs) delete l.inGraphMs[laneId];
    }
    for (const [node, t] of Object.entries(trace.nodes)) {
      const li = attributeNode(node, nodeOwner, tensorOwner);
      const l = li === undefined ? undefined : p.layers[li];
      if (!l) {
        unattributed += t.ms;
        if (unattributedNodes.length < 20) unattributedNodes.push(node);
        continue;
      }
      (l.inGraphMs ??= {})[laneId] = (l.inGraphMs[laneId] ?? 0) + t.ms;
      if (t.provider && t.provider !== provider) {
        const m = l.lanes.find((x) => x.lane === laneId);
        if (m && !(m.fallbackNodes ?? []).includes(node)) (m.fallbackNodes ??= []).push(node);
      }
    }
    (p.inGraph ??= {})[laneId] = { runs: trace.runs, totalKernelMs: trace.totalKernelMs, modelRunMs: trace.modelRunMs, unattributedMs: unattributed, unattributedNodes };
  }
  for (const l of p.layers) {
    const ratios: Record<string, number> = {};
    for (const m of l.lanes) {
      const ig = l.inGraphMs?.[m.lane];
      if (m.latencyMs !== undefined && ig !== undefined && ig > 0) ratios[m.lane] = m.latencyMs / ig;
    }
    if (Object.keys(ratios).length > 0) l.cutToInGraph = ratios;
  }
  const overhead: Record<string, number> = {};
  for (const w of p.wholeModel) {
    if (w.latencyMs === undefined || w.latencyMs <= 0) continue;
    const ms = p.layers.map((l) => l.lanes.find((m) => m.lane === w.lane)?.latencyMs);
    if (ms.every((x) => x !== undefined)) overhead[w.lane] = ms.reduce((s, x) => s + x!, 0) / w.latencyMs;
  }
  p.cutOverhead = overhead;
}

function pairsDone(p: Profile): number {
  let n = 0;
  for (const l of p.layers) for (const m of l.lanes) if (isMeasured(m)) n++;
  return n;
}

/** Profiles one model. Returns the profile; when cancelled, returns what was measured with status 'partial' (also saved). */
export async function profileModel(model: string | Uint8Array | LoadedModel, opts: ProfileOptions = {}): Promise<Profile> {
  const t0 = performance.now();
  const signal = opts.signal;
  const emit = opts.onProgress ?? (() => {});
  const budgetSec = opts.budgetSec ?? DEFAULTS.budgetSec;
  const warmup = opts.warmup ?? DEFAULTS.warmup;
  const ciTarget = opts.ciTarget ?? DEFAULTS.ciTarget;
  const energyMode = opts.energy ?? 'auto';
  const save = opts.save ?? true;
  const dir = opts.storeDir ?? profilesDir();
  if (!(budgetSec > 0)) throw new Error(`budget must be > 0 seconds (got ${budgetSec})`);
  const lanes = resolveLanes(opts.lanes);

  const loaded = typeof model === 'object' && !(model instanceof Uint8Array) ? model : await loadModel(model, { name: opts.name });
  emit({ phase: 'load', model: loaded.name, done: 0, total: 0, fraction: 0, message: `loaded ${loaded.name} (${loaded.nodeCount} nodes)` });
  const inputShapes = resolveInputShapes(loaded, opts.shapes ?? {});
  emit({ phase: 'cut', model: loaded.name, done: 0, total: 0, fraction: 0, message: `cutting ${loaded.name} into layers (granularity ${opts.granularity ?? 'group'})` });
  const tc = performance.now();
  const cutProgress = (c: { phase: string; done: number; total: number }) =>
    emit({ phase: 'cut', model: loaded.name, done: 0, total: 0, fraction: 0, message: `cutting ${loaded.name}: ${c.phase} ${c.done}/${c.total}` });
  const cutOpts = { granularity: opts.granularity ?? 'group', shapes: inputShapes, inputValues: opts.inputValues };
  const cut = opts.cutInline
    ? await cutModel(loaded, { ...cutOpts, signal, onProgress: cutProgress })
    : await cutOffThread(typeof model === 'string' || model instanceof Uint8Array ? model : (loaded.path ?? loaded.bytes), loaded.name, cutOpts, cutProgress, signal);
  const cutSec = (performance.now() - tc) / 1000;
  if (signal?.aborted) throw new Error(`profiling ${loaded.name} was cancelled before any measurement`);

  const machine = await machineFingerprint();
  const key = resumeKey({ sha256: loaded.sha256, lanes, granularity: cut.granularity, inputShapes: cut.inputShapes, inputValues: opts.inputValues });
  let profile: Profile | undefined;
  let resumedPairs = 0;
  const warnings = [...(opts.notes ?? []), ...cut.warnings];
  if (opts.resume !== false && save) {
    const prev = findResumable(key, machine.id, dir);
    if (prev) {
      const same = prev.layers.length === cut.layers.length && prev.layers.every((l, i) => l.name === cut.layers[i].name && l.nodes.join() === cut.layers[i].nodes.join());
      if (same) {
        profile = prev;
        resumedPairs = pairsDone(prev);
        profile.warnings.push(`resumed at ${new Date().toISOString()} with ${resumedPairs} of ${cut.layers.length * lanes.length} (layer, lane) measurements already done`);
      } else warnings.push(`a partial profile ${prev.id} exists for this task but its layers differ from the new cut; starting over`);
    }
  }
  if (!profile) {
    profile = {
      schemaVersion: PROFILE_SCHEMA_VERSION,
      id: newProfileId(loaded.name),
      createdAt: new Date().toISOString(),
      machine,
      ortVersion: ort.env.versions.common ?? 'unknown',
      model: { name: loaded.name, path: loaded.path, sha256: loaded.sha256, inputShapes: cut.inputShapes, opsets: loaded.opsets },
      granularity: cut.granularity,
      lanes: lanes.map((l) => ({ ...l })),
      layers: cut.layers.map((l) => ({
        index: l.index,
        name: l.name,
        nodes: l.nodes,
        opTypes: l.opTypes,
        inputs: l.inputs,
        outputs: l.outputs,
        flops: l.flops,
        bytesMoved: l.bytesMoved,
        lanes: lanes.map((ln) => ({ lane: ln.id })),
      })),
      wholeModel: lanes.map((ln) => ({ lane: ln.id })),
      verification: {
        maxAbsError: cut.verification.maxAbsError,
        maxRelError: cut.verification.maxRelError,
        passed: cut.verification.passed,
        tolerance: cut.verification.tolerance,
        graphOptimizationLevel: cut.verification.graphOptimizationLevel,
        relErrorDefinition: cut.verification.relErrorDefinition,
        otherLevels: (cut.verification.otherLevels ?? []).map((o) => ({ graphOptimizationLevel: o.graphOptimizationLevel, maxAbsError: o.maxAbsError, maxRelError: o.maxRelError, layerErrors: o.layerErrors.length })),
        layerErrors: cut.verification.layerErrors.length ? cut.verification.layerErrors : undefined,
      },
      settings: { budgetSec, warmup, ciTarget, contention: !!opts.contention, energy: energyMode, energyWindowSec: opts.energyWindowSec },
      status: 'partial',
      warnings,
      resumeKey: key,
    };
  }
  const p = profile;
  const total = p.layers.length * lanes.length;
  const traces: Record<string, OrtTrace | undefined> = {};
  // Which layer produces each tensor (to attribute nodes ORT renamed after one of their outputs).
  const tensorOwner = new Map<string, number>();
  {
    const byName = new Map<string, number>();
    p.layers.forEach((l, i) => l.nodes.forEach((n) => byName.set(n, i)));
    (loaded.proto.graph?.node ?? []).forEach((n, k) => {
      const li = byName.get(loaded.nodeNames[k]);
      if (li !== undefined) for (const o of n.output ?? []) if (o) tensorOwner.set(o, li);
    });
  }
  const checkpoint = () => {
    deriveFigures(p, traces, tensorOwner);
    if (save) saveProfile(p, dir);
  };

  let meterSet: MeterSet | undefined;
  if (energyMode === 'auto') {
    meterSet = await detectMeters(opts.meters);
    p.energy = { meters: meterSet.status, estimate: `${DEFAULT_ESTIMATE.cpuWattsPerThread} W per busy CPU thread; ${DEFAULT_ESTIMATE.acceleratorWatts} W per busy accelerator lane (see profiler/energy/estimate.ts)` };
  }

  const tMeasure = performance.now();
  const progress = (e: Omit<ProfileProgress, 'model' | 'done' | 'total' | 'fraction' | 'etaSec' | 'resumedPairs'>) => {
    const done = pairsDone(p);
    const fresh = done - resumedPairs;
    const elapsed = (performance.now() - tMeasure) / 1000;
    const etaSec = fresh > 0 ? (elapsed / fresh) * (total - done) : undefined;
    emit({ ...e, model: p.model.name, done, total, fraction: total ? done / total : 1, etaSec, resumedPairs: resumedPairs || undefined });
  };
  if (resumedPairs > 0) progress({ phase: 'lane', message: `resuming ${p.id}: ${resumedPairs} of ${total} (layer, lane) measurements already done` });

  const runLane = async (lane: LaneSpec) => {
    const info = p.lanes.find((l) => l.id === lane.id) as LaneInfo;
    const laneIndex = p.lanes.indexOf(info);
    const failRemaining = (reason: string) => {
      for (const l of p.layers) if (!isMeasured(l.lanes[laneIndex])) l.lanes[laneIndex] = { lane: lane.id, error: reason };
      if (!isMeasured(p.wholeModel[laneIndex])) p.wholeModel[laneIndex] = { lane: lane.id, error: reason };
    };
    const unsupported = laneUnsupportedReason(lane);
    if (unsupported) {
      info.error = unsupported;
      failRemaining(`lane unavailable: ${unsupported}`);
      checkpoint();
      return;
    }
    // This lane's repetition budget: all of it for a fresh run, the unmeasured part's share for a resumed one.
    const remainingWeight = () => p.layers.filter((l) => !isMeasured(l.lanes[laneIndex])).length + (isMeasured(p.wholeModel[laneIndex]) ? 0 : WHOLE_WEIGHT);
    const laneBudgetMs = (budgetSec * 1000 * remainingWeight()) / (p.layers.length + WHOLE_WEIGHT);
    let spentMs = 0;
    const shareMs = (weight: number) => (Math.max(0, laneBudgetMs - spentMs) * weight) / Math.max(1, remainingWeight());
    const watchdog = (ms: number) => (opts.watchdogSec ?? 60) * 1000 + 3 * ms;
    const meter = meterSet ? meterForLane(lane, meterSet.meters) : undefined;
    const windowMs = (opts.energyWindowSec ?? (meter && meter.averagingMs >= 1000 ? 2 : 1)) * 1000;

    let worker: LaneWorker | undefined;
    let crashes = 0;
    let wholeMeasuredNow = false;
    const start = async (): Promise<boolean> => {
      try {
        worker = await LaneWorker.start(lane, { hooks: opts.testHooks?.[lane.id] });
        await worker.call({ op: 'init' }, watchdog(0), signal);
        const id = await worker.identify();
        if (id.adapter) info.adapter = id.adapter;
        const swNote = `${lane.id} runs on a SOFTWARE GPU adapter (${id.adapter?.name}): its figures are CPU rasterisation, never GPU performance`;
        if (id.adapter?.software && !p.warnings.includes(swNote)) p.warnings.push(swNote);
        if (id.adapterNote) info.adapterNote = id.adapterNote;
        if (id.refusal) throw new Error(id.refusal);
        return true;
      } catch (e) {
        if (e instanceof LaneWorkerError && e.kind === 'cancelled') return false;
        info.error = laneInitError(lane, e, worker?.stderrTail());
        failRemaining(`lane unavailable: ${info.error}`);
        await worker?.terminate();
        worker = undefined;
        return false;
      }
    };
    const measureEnergy = async (key: string, latencyMs: number | undefined): Promise<LaneMeasurement['energy']> => {
      if (energyMode === 'off' || latencyMs === undefined) return undefined;
      if (!meter || info.idleWatts === undefined) return estimateEnergy(lane, latencyMs, DEFAULT_ESTIMATE, cpuCount());
      const loop = worker!.call({ op: 'loop', key, durationMs: windowMs }, watchdog(windowMs), signal);
      let w: Awaited<ReturnType<typeof recordWindow>>;
      try {
        w = await recordWindow(meter, { until: loop, skipMs: meter.averagingMs });
      } catch (e) {
        // The meter went away mid-run (driver reset, removed counter): this layer's energy is an estimate, and says why.
        await loop;
        const note = `${lane.id}: meter ${meter.id} failed while measuring ${key} (${(e as Error).message.split('\n')[0]}); energy from there on is estimated`;
        if (!p.warnings.includes(note)) p.warnings.push(note);
        return estimateEnergy(lane, latencyMs, DEFAULT_ESTIMATE, cpuCount());
      }
      await loop;
      return {
        joulesPerRun: joulesPerRun(w.meanWatts, info.idleWatts, latencyMs),
        watts: Math.max(0, w.meanWatts - info.idleWatts),
        idleWatts: info.idleWatts,
        source: { kind: 'measured', meter: meter.id, detail: `${meter.describe()}; ${w.samples} readings over a ${(w.seconds).toFixed(1)} s loop of this layer; (mean power - idle power) x baseline-subtracted latency`, sampleHz: meter.sampleHz },
      };
    };
    /** Runs one measurement step; converts worker failures into a recorded error. Returns false when the lane must stop. */
    const guarded = async (what: string, onError: (msg: string) => void, fn: () => Promise<void>): Promise<boolean> => {
      if (!worker || !worker.alive) {
        if (!(await start())) return false;
      }
      try {
        await fn();
        return true;
      } catch (e) {
        if (signal?.aborted || (e instanceof LaneWorkerError && e.kind === 'cancelled')) return false;
        const msg = e instanceof Error ? e.message : String(e);
        if (e instanceof LaneWorkerError && (e.kind === 'crash' || e.kind === 'timeout')) {
          crashes++;
          onError(`${what}: ${msg}`);
          await worker?.terminate();
          worker = undefined;
          if (crashes >= MAX_WORKER_CRASHES) {
            failRemaining(`lane abandoned after ${crashes} worker crashes or hangs (last: ${what}: ${msg})`);
            return false;
          }
          return true;
        }
        onError(`${what}: ${msg}`);
        return true;
      }
    };

    progress({ phase: 'lane', lane: lane.id, message: `starting lane ${lane.id}` });
    if (!(await start())) {
      checkpoint();
      return;
    }
    try {
      if (info.baselineMs === undefined) {
        progress({ phase: 'baseline', lane: lane.id, message: `${lane.id}: per-call baseline (empty model)` });
        const ok = await guarded('baseline', (m) => (info.error = m), async () => {
          const b = await worker!.call({ op: 'baseline', warmup: 20, rule: { ciTarget, budgetMs: 500, minSamples: 50 } }, watchdog(500), signal);
          info.baselineMs = b.stats.median;
        });
        if (!ok || info.baselineMs === undefined) {
          if (!signal?.aborted) failRemaining(`lane failed: ${info.error ?? 'baseline could not be measured'}`);
          return;
        }
        progress({ phase: 'peak', lane: lane.id, message: `${lane.id}: GEMM peak` });
        await guarded('GEMM peak', (m) => p.warnings.push(`${lane.id}: ${m}`), async () => {
          // A software GPU (webgpu:sw) rasterises on the CPU: a 1024² GEMM would outlast the watchdog.
          const sizes = lane.ep === 'cpu' ? [256, 512] : lane.software ? [128] : [1024, 2048];
          const r = await worker!.call({ op: 'peak', sizes, baselineMs: info.baselineMs, rule: { ciTarget, budgetMs: 600, minSamples: 5 } }, watchdog(2000), signal);
          info.peakGflops = r.gflops;
          info.gemmN = r.n;
        });
        checkpoint();
      }
      // The whole model: timing, ORT's own per-node profile, energy.
      if (!isMeasured(p.wholeModel[laneIndex]) && !signal?.aborted) {
        progress({ phase: 'whole', lane: lane.id, message: `${lane.id}: whole model` });
        const key = 'whole';
        const bytes = compactBytes(sessionBytes(loaded, { canonicalNames: true }));
        const feeds = wireFeeds(cut, Object.keys(cut.inputShapes), 'model');
        const share = shareMs(WHOLE_WEIGHT);
        const m: LaneMeasurement = { lane: lane.id };
        const ok = await guarded('whole model', (e) => (m.error = e), async () => {
          await worker!.call({ op: 'load', key, bytes, feeds }, watchdog(share) + 60_000, signal);
          const r = await worker!.call({ op: 'measure', key, warmup, rule: { ciTarget, budgetMs: share } }, watchdog(share), signal);
          spentMs += r.elapsedMs;
          m.raw = r.stats;
          const runs = Math.min(50, Math.max(5, Math.floor(1000 / Math.max(1, r.stats.median))));
          try {
            traces[lane.id] = await worker!.call({ op: 'profile', key, warmup: 2, runs }, watchdog(runs * r.stats.median * 3), signal);
          } catch (e) {
            if (e instanceof LaneWorkerError && e.kind !== 'error') throw e;
            p.warnings.push(`${lane.id}: ORT profiler run failed: ${(e as Error).message}`);
          }
          m.energy = await measureEnergy(key, Math.max(0, r.stats.median - (info.baselineMs ?? 0)));
        });
        if (!signal?.aborted) {
          wholeMeasuredNow = isMeasured(m) && !m.error;
          p.wholeModel[laneIndex] = m;
          checkpoint();
        }
        if (!ok) return;
      }
      for (const layer of p.layers) {
        if (signal?.aborted) break;
        if (isMeasured(layer.lanes[laneIndex])) continue;
        const cl = cut.layers[layer.index];
        const key = `layer:${layer.index}`;
        progress({ phase: 'layer', lane: lane.id, layer: layer.index, layers: p.layers.length, message: `${lane.id}: layer ${layer.index + 1}/${p.layers.length} ${layer.name}` });
        const share = shareMs(1);
        const m: LaneMeasurement = { lane: lane.id };
        const ok = await guarded(`layer ${layer.index} ${layer.name}`, (e) => (m.error = e), async () => {
          await worker!.call({ op: 'load', key, bytes: compactBytes(cl.bytes), feeds: wireFeeds(cut, cl.inputs.map((i) => i.name), `layer ${layer.index} (${layer.name})`) }, watchdog(share) + 60_000, signal);
          const r = await worker!.call({ op: 'measure', key, warmup, rule: { ciTarget, budgetMs: share } }, watchdog(share), signal);
          spentMs += r.elapsedMs;
          m.raw = r.stats;
          m.energy = await measureEnergy(key, Math.max(0, r.stats.median - (info.baselineMs ?? 0)));
        });
        if (signal?.aborted) break;
        if (isMeasured(m)) layer.lanes[laneIndex] = m;
        checkpoint();
        if (!ok) break;
      }
      // Drift check: the whole model once more after the layers. Layer and whole-model medians are
      // taken minutes apart; if the machine changed meanwhile (thermal state, other load), the
      // cut overhead and the layer figures are not comparable, and the profile says so.
      const whole = p.wholeModel[laneIndex];
      if (wholeMeasuredNow && whole.raw && !signal?.aborted && p.layers.every((l) => isMeasured(l.lanes[laneIndex]))) {
        await guarded('whole-model drift check', (e) => p.warnings.push(`${lane.id}: ${e}`), async () => {
          const bytes = compactBytes(sessionBytes(loaded, { canonicalNames: true }));
          await worker!.call({ op: 'load', key: 'whole', bytes, feeds: wireFeeds(cut, Object.keys(cut.inputShapes), 'model') }, watchdog(0) + 60_000, signal);
          const budget = Math.max(shareMs(WHOLE_WEIGHT), Math.min(3000, 10 * whole.raw!.median));
          const r = await worker!.call({ op: 'measure', key: 'whole', warmup, rule: { ciTarget, budgetMs: budget, minSamples: 20 } }, watchdog(budget), signal);
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
    } finally {
      await worker?.terminate();
    }
  };

  // Idle power, once per meter, before any lane runs (in contention mode a lane's idle window
  // would otherwise overlap another lane's work).
  if (meterSet && meterSet.meters.length > 0) {
    const idleByMeter = new Map<PowerMeter, number>();
    for (const lane of lanes) {
      const info = p.lanes.find((l) => l.id === lane.id) as LaneInfo;
      const meter = meterForLane(lane, meterSet.meters);
      if (!meter || info.idleWatts !== undefined || laneUnsupportedReason(lane) || signal?.aborted) continue;
      if (!idleByMeter.has(meter)) {
        progress({ phase: 'idle-power', lane: lane.id, message: `idle power (${meter.id}, ${Math.max(1000, meter.averagingMs * 2) / 1000} s)` });
        try {
          const w = await recordWindow(meter, { durationMs: Math.max(1000, meter.averagingMs * 2), skipMs: 0 });
          if (Number.isFinite(w.meanWatts)) idleByMeter.set(meter, w.meanWatts);
        } catch (e) {
          // Without an idle figure the lane's energy is estimated (measureEnergy), and the warning says why.
          p.warnings.push(`${lane.id}: meter ${meter.id} failed while reading idle power (${(e as Error).message.split('\n')[0]}); energy is estimated`);
        }
      }
      const idle = idleByMeter.get(meter);
      if (idle !== undefined) {
        info.idleWatts = idle;
        info.meter = { id: meter.id, detail: meter.describe(), sampleHz: meter.sampleHz };
      }
    }
    if (opts.contention && lanes.length > 1 && idleByMeter.size > 0) {
      p.warnings.push('contention mode: lanes ran at the same time, so a metered layer energy includes the power of the other lanes running then');
    }
  }

  try {
    if (opts.contention) await Promise.all(lanes.map(runLane));
    else for (const lane of lanes) {
      if (signal?.aborted) break;
      await runLane(lane);
    }
  } finally {
    await meterSet?.close();
  }
  deriveFigures(p, traces, tensorOwner);
  const complete = pairsDone(p) === total && p.wholeModel.every(isMeasured);
  p.status = complete ? 'complete' : 'partial';
  if (signal?.aborted) p.warnings.push(`cancelled at ${new Date().toISOString()} after ${pairsDone(p)} of ${total} (layer, lane) measurements; rerun the same command to resume`);
  p.timings = { cutSec, measureSec: (performance.now() - tMeasure) / 1000, totalSec: (performance.now() - t0) / 1000 };
  if (save) saveProfile(p, dir);
  progress({ phase: 'done', message: `${p.model.name}: ${p.status} (${pairsDone(p)} of ${total} measurements)${save ? `, saved as ${p.id}` : ''}` });
  return p;
}

/** A model to profile with its own input shapes, input values and notes (e.g. a model library entry). */
export interface ModelInput {
  source: string | Uint8Array;
  /** Display name (default: the file name, or ProfileOptions.name for bytes). */
  name?: string;
  shapes?: Record<string, number[]>;
  inputValues?: Record<string, number | number[]>;
  /** Recorded in the profile's warnings (e.g. "layer-shape replica: real layer shapes, synthetic weights"). */
  note?: string;
}

/**
 * Profiles several models one after another with the same options. The caller's shapes and input
 * values apply to the models that have an input of that name (over a model's own); one naming no
 * input of any model is an error.
 */
export async function profileModels(models: (string | Uint8Array | ModelInput)[], opts: ProfileOptions = {}): Promise<Profile[]> {
  const inputs: ModelInput[] = models.map((m) => (typeof m === 'string' || m instanceof Uint8Array ? { source: m } : m));
  const loaded: LoadedModel[] = [];
  for (const m of inputs) loaded.push(await loadModel(m.source, { name: m.name ?? opts.name }));
  const shapes = opts.shapes ?? {};
  const values = opts.inputValues ?? {};
  for (const name of [...Object.keys(shapes), ...Object.keys(values)]) {
    if (!loaded.some((m) => m.inputs.some((i) => i.name === name))) {
      throw new ShapeError(name, `'${name}' (--shape / --input) is not an input of ${loaded.length === 1 ? loaded[0].name : 'any of the models'} (inputs: ${loaded.map((m) => `${m.name}: ${m.inputs.map((i) => i.name).join(', ')}`).join('; ')})`);
    }
  }
  const out: Profile[] = [];
  for (let k = 0; k < loaded.length; k++) {
    if (opts.signal?.aborted) break;
    const m = loaded[k];
    const mine = <T>(rec: Record<string, T> | undefined) => Object.fromEntries(Object.entries(rec ?? {}).filter(([n]) => m.inputs.some((i) => i.name === n)));
    const ownValues = { ...mine(inputs[k].inputValues), ...mine(values) };
    out.push(await profileModel(m, { ...opts, shapes: { ...mine(inputs[k].shapes), ...mine(shapes) }, inputValues: Object.keys(ownValues).length ? ownValues : undefined, notes: inputs[k].note ? [inputs[k].note!] : undefined }));
  }
  return out;
}
