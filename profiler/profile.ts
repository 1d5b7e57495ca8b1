// The profiler's orchestrator: load a model, cut it into layers, and measure every (layer, lane)
// in the lane's own worker process, with the statistics, baseline, in-graph comparison, GEMM peak,
// energy and checkpoints the Profile contract asks for. profileModel runs the steps: loadAndCut,
// openProfile (resume or new), meters and idle power, measureLane per lane (profile-lane.ts),
// deriveFigures.
import * as ort from 'onnxruntime-node';
import { detectMeters, meterForLane, recordWindow, DEFAULT_ESTIMATE, type MeterSet, type PowerMeter } from './energy';
import { ortProviderName, type OrtTrace } from './measure-core';
import { defaultLanes, laneUnsupportedReason, parseLaneSpec, type WorkerTestHooks } from './measure';
import { cutModel, type CutOptions, type CutResult, type Granularity } from './onnx/cut';
import { spawnWorker } from '../base/worker-host';
import { loadModel, type LoadedModel } from './onnx/model';
import { isMeasured, measureLane, pairsDone, type ProfileRun } from './profile-lane';
import { resolveInputShapes, ShapeError } from './onnx/shapes';
import { findResumable, machineFingerprint, newProfileId, profilesDir, resumeKey, saveProfile } from './store';
import { deriveLatencyFigures } from './stats';
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
  /** Time budget for the repetitions, per lane, seconds (default 15). Warm-up, session creation and energy windows come on top. */
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
  /** Facts about the model recorded in the profile's notes (e.g. what a library model is); not warnings. */
  notes?: string[];
  /** Meters to use instead of detecting them (tests). */
  meters?: PowerMeter[];
  /** Cut the model on the calling thread instead of a worker (the cut runs ONNX Runtime, which blocks its thread). */
  cutInline?: boolean;
  /** Test-only fault injection, per lane id. */
  testHooks?: Record<string, WorkerTestHooks>;
}

// 15 s per lane: enough for the median CI of most models' layers to reach 2% (issue 15: 60 s was too long a wait).
const DEFAULTS = { budgetSec: 15, warmup: 3, ciTarget: 0.02 };

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
    if (lane) deriveLatencyFigures(m, lane, flops); // throughput only where the latency is resolved (stats.ts)
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

/** Profiles one model. Returns the profile; when cancelled, returns what was measured with status 'partial' (also saved). */
export async function profileModel(model: string | Uint8Array | LoadedModel, opts: ProfileOptions = {}): Promise<Profile> {
  const t0 = performance.now();
  const signal = opts.signal;
  const emit = opts.onProgress ?? (() => {});
  const settings = resolveSettings(opts);
  const lanes = resolveLanes(opts.lanes);
  const { loaded, cut, cutSec } = await loadAndCut(model, opts, emit);
  const { p, resumedPairs } = await openProfile(loaded, cut, lanes, settings, opts);
  const total = p.layers.length * lanes.length;
  const traces: Record<string, OrtTrace | undefined> = {};
  const tensorOwner = tensorOwners(p, loaded);
  const checkpoint = () => {
    deriveFigures(p, traces, tensorOwner);
    if (settings.save) saveProfile(p, settings.dir);
  };

  let meterSet: MeterSet | undefined;
  if (settings.energyMode === 'auto') {
    meterSet = await detectMeters(opts.meters);
    p.energy = { meters: meterSet.status, estimate: `${DEFAULT_ESTIMATE.cpuWattsPerThread} W per busy CPU thread; ${DEFAULT_ESTIMATE.acceleratorWatts} W per busy accelerator lane (see profiler/energy/estimate.ts)` };
  }

  const tMeasure = performance.now();
  const progress: ProfileRun['progress'] = (e) => {
    const done = pairsDone(p);
    const fresh = done - resumedPairs;
    const elapsed = (performance.now() - tMeasure) / 1000;
    const etaSec = fresh > 0 ? (elapsed / fresh) * (total - done) : undefined;
    emit({ ...e, model: p.model.name, done, total, fraction: total ? done / total : 1, etaSec, resumedPairs: resumedPairs || undefined });
  };
  if (resumedPairs > 0) progress({ phase: 'lane', message: `resuming ${p.id}: ${resumedPairs} of ${total} (layer, lane) measurements already done` });
  const run: ProfileRun = { p, loaded, cut, opts, ...settings, signal, traces, meterSet, checkpoint, progress };

  try {
    if (meterSet) await measureIdlePower(run, lanes, meterSet);
    if (opts.contention) await Promise.all(lanes.map((lane) => measureLane(run, lane)));
    else for (const lane of lanes) {
      if (signal?.aborted) break;
      await measureLane(run, lane);
    }
  } finally {
    await meterSet?.close();
  }
  deriveFigures(p, traces, tensorOwner);
  const complete = pairsDone(p) === total && p.wholeModel.every(isMeasured);
  p.status = complete ? 'complete' : 'partial';
  if (signal?.aborted) p.warnings.push(`cancelled at ${new Date().toISOString()} after ${pairsDone(p)} of ${total} (layer, lane) measurements; rerun the same command to resume`);
  p.timings = { cutSec, measureSec: (performance.now() - tMeasure) / 1000, totalSec: (performance.now() - t0) / 1000 };
  if (settings.save) saveProfile(p, settings.dir);
  progress({ phase: 'done', message: `${p.model.name}: ${p.status} (${pairsDone(p)} of ${total} measurements)${settings.save ? `, saved as ${p.id}` : ''}` });
  return p;
}

interface Settings {
  budgetSec: number;
  warmup: number;
  ciTarget: number;
  energyMode: 'auto' | 'off';
  save: boolean;
  dir: string;
}

function resolveSettings(opts: ProfileOptions): Settings {
  const budgetSec = opts.budgetSec ?? DEFAULTS.budgetSec;
  if (!(budgetSec > 0)) throw new Error(`budget must be > 0 seconds (got ${budgetSec})`);
  return {
    budgetSec,
    warmup: opts.warmup ?? DEFAULTS.warmup,
    ciTarget: opts.ciTarget ?? DEFAULTS.ciTarget,
    energyMode: opts.energy ?? 'auto',
    save: opts.save ?? true,
    dir: opts.storeDir ?? profilesDir(),
  };
}

/** Step 1: load the model, resolve its input shapes, and cut it into verified layers (off the calling thread unless cutInline). */
async function loadAndCut(model: string | Uint8Array | LoadedModel, opts: ProfileOptions, emit: (p: ProfileProgress) => void): Promise<{ loaded: LoadedModel; cut: CutResult; cutSec: number }> {
  const loaded = typeof model === 'object' && !(model instanceof Uint8Array) ? model : await loadModel(model, { name: opts.name });
  emit({ phase: 'load', model: loaded.name, done: 0, total: 0, fraction: 0, message: `loaded ${loaded.name} (${loaded.nodeCount} nodes)` });
  const inputShapes = resolveInputShapes(loaded, opts.shapes ?? {});
  emit({ phase: 'cut', model: loaded.name, done: 0, total: 0, fraction: 0, message: `cutting ${loaded.name} into layers (granularity ${opts.granularity ?? 'group'})` });
  const tc = performance.now();
  const cutProgress = (c: { phase: string; done: number; total: number }) =>
    emit({ phase: 'cut', model: loaded.name, done: 0, total: 0, fraction: 0, message: `cutting ${loaded.name}: ${c.phase} ${c.done}/${c.total}` });
  const cutOpts = { granularity: opts.granularity ?? 'group', shapes: inputShapes, inputValues: opts.inputValues };
  const cut = opts.cutInline
    ? await cutModel(loaded, { ...cutOpts, signal: opts.signal, onProgress: cutProgress })
    : await cutOffThread(typeof model === 'string' || model instanceof Uint8Array ? model : (loaded.path ?? loaded.bytes), loaded.name, cutOpts, cutProgress, opts.signal);
  const cutSec = (performance.now() - tc) / 1000;
  if (opts.signal?.aborted) throw new Error(`profiling ${loaded.name} was cancelled before any measurement`);
  return { loaded, cut, cutSec };
}

/** Step 2: the interrupted run of the same task to continue (same model, lanes, granularity, shapes, and the same cut), else a new profile. */
async function openProfile(loaded: LoadedModel, cut: CutResult, lanes: LaneSpec[], settings: Settings, opts: ProfileOptions): Promise<{ p: Profile; resumedPairs: number }> {
  const machine = await machineFingerprint();
  const key = resumeKey({ sha256: loaded.sha256, lanes, granularity: cut.granularity, inputShapes: cut.inputShapes, inputValues: opts.inputValues });
  const warnings = [...cut.warnings];
  if (opts.resume !== false && settings.save) {
    const prev = findResumable(key, machine.id, settings.dir);
    if (prev) {
      const same = prev.layers.length === cut.layers.length && prev.layers.every((l, i) => l.name === cut.layers[i].name && l.nodes.join() === cut.layers[i].nodes.join());
      if (same) {
        const resumedPairs = pairsDone(prev);
        prev.warnings.push(`resumed at ${new Date().toISOString()} with ${resumedPairs} of ${cut.layers.length * lanes.length} (layer, lane) measurements already done`);
        return { p: prev, resumedPairs };
      }
      warnings.push(`a partial profile ${prev.id} exists for this task but its layers differ from the new cut; starting over`);
    }
  }
  const p: Profile = {
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
    settings: { budgetSec: settings.budgetSec, warmup: settings.warmup, ciTarget: settings.ciTarget, contention: !!opts.contention, energy: settings.energyMode, energyWindowSec: opts.energyWindowSec },
    status: 'partial',
    warnings,
    ...(opts.notes?.length ? { notes: [...opts.notes] } : {}),
    resumeKey: key,
  };
  return { p, resumedPairs: 0 };
}

/** Which layer produces each tensor (to attribute nodes ORT renamed after one of their outputs). */
function tensorOwners(p: Profile, loaded: LoadedModel): Map<string, number> {
  const tensorOwner = new Map<string, number>();
  const byName = new Map<string, number>();
  p.layers.forEach((l, i) => l.nodes.forEach((n) => byName.set(n, i)));
  (loaded.proto.graph?.node ?? []).forEach((n, k) => {
    const li = byName.get(loaded.nodeNames[k]);
    if (li !== undefined) for (const o of n.output ?? []) if (o) tensorOwner.set(o, li);
  });
  return tensorOwner;
}

/**
 * Idle power, once per meter, before any lane runs (in contention mode a lane's idle window would
 * otherwise overlap another lane's work).
 */
async function measureIdlePower(run: ProfileRun, lanes: LaneSpec[], meterSet: MeterSet): Promise<void> {
  if (meterSet.meters.length === 0) return;
  const { p, signal } = run;
  const idleByMeter = new Map<PowerMeter, number>();
  for (const lane of lanes) {
    const info = p.lanes.find((l) => l.id === lane.id) as LaneInfo;
    const meter = meterForLane(lane, meterSet.meters);
    if (!meter || info.idleWatts !== undefined || laneUnsupportedReason(lane) || signal?.aborted) continue;
    if (!idleByMeter.has(meter)) {
      run.progress({ phase: 'idle-power', lane: lane.id, message: `idle power (${meter.id}, ${Math.max(1000, meter.averagingMs * 2) / 1000} s)` });
      try {
        const w = await recordWindow(meter, { durationMs: Math.max(1000, meter.averagingMs * 2), skipMs: 0 });
        if (Number.isFinite(w.meanWatts)) idleByMeter.set(meter, w.meanWatts);
      } catch (e) {
        // Without an idle figure the lane's energy is estimated, and the warning says why.
        p.warnings.push(`${lane.id}: meter ${meter.id} failed while reading idle power (${(e as Error).message.split('\n')[0]}); energy is estimated`);
      }
    }
    const idle = idleByMeter.get(meter);
    if (idle !== undefined) {
      info.idleWatts = idle;
      info.meter = { id: meter.id, detail: meter.describe(), sampleHz: meter.sampleHz };
    }
  }
  if (run.opts.contention && lanes.length > 1 && idleByMeter.size > 0) {
    p.warnings.push('contention mode: lanes ran at the same time, so a metered layer energy includes the power of the other lanes running then');
  }
}

/** A model to profile with its own input shapes, input values and notes (e.g. a model library entry). */
export interface ModelInput {
  source: string | Uint8Array;
  /** Display name (default: the file name, or ProfileOptions.name for bytes). */
  name?: string;
  shapes?: Record<string, number[]>;
  inputValues?: Record<string, number | number[]>;
  /** Recorded in the profile's notes (e.g. "layer-shape replica: real layer shapes, synthetic weights"). */
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
