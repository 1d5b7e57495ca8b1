// `tessera variants`: generate, verify and measure layer variants, stored in the model's profile.
//   1. The profile: an existing one (its lanes, shapes and granularity), or a fresh profileModel run.
//   2. The cut (inline) with the sample inputs: the library's (seeded data plus fixed values such
//      as Silero's sr) or the user's --samples files; its captured tensors are the activations.
//   3. generate.ts: every kind on every layer, verified (exact within 1e-5; approximate with error
//      figures, end to end too).
//   4. Measurement on every lane with the profiler's worker, statistics and budget rules: per lane a
//      fresh per-call baseline, then per layer the original and each verified variant back to back,
//      each to the CI target or its share of the lane's budget; medians minus the baseline, with their
//      95% uncertainty (stats.ts netLatency: median CI + baseline CI + timer).
//   5. figures.ts: speed-ups and latency-gap reductions; the profile is saved as schema 2.
// Cancelling keeps everything verified and measured so far (status 'partial').
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { toWireTensor, type WireTensor } from '../measure-core';
import { laneInitError, LaneWorker, parseLaneSpec } from '../measure';
import { cutModel, type CutResult } from '../onnx/cut';
import { loadModel, type LoadedModel } from '../onnx/model';
import { ShapeError, type InputValue } from '../onnx/shapes';
import { profileModel } from '../profile';
import { netLatency } from '../stats';
import { loadProfile, profilesDir, saveProfile } from '../store';
import { PROFILE_SCHEMA_VERSION, type LaneInfo, type LaneMeasurement, type LaneSpec, type LayerVariants, type Profile } from '../types';
import { deriveVariantFigures } from './figures';
import { proposeCombinations } from './combos';
import { generateVariants, verifyCombinations } from './generate';
import { parseKinds } from './kinds';
import { generateModelVariants, variantLayerTable } from './generate-model';
import { splitModelKinds, type ModelKindChoice } from './model-kinds';

export interface VariantsProgress {
  phase: 'profile' | 'cut' | 'generate' | 'measure' | 'done';
  fraction: number;
  message: string;
  lane?: string;
  layer?: number;
}

export interface VariantsOptions {
  /** Kinds (see kinds.ts parseKinds); default all. */
  kinds?: string | string[];
  /** Lane ids; default the profile's lanes (or one CPU lane for a new profile). */
  lanes?: string[];
  /** Measurement budget per lane, seconds (default 30); a new profile gets the same budget. */
  budgetSec?: number;
  shapes?: Record<string, number[]>;
  inputValues?: Record<string, number | number[]>;
  /** Folder of sample inputs: <input name>.json (array of numbers) or <input name>.bin (raw little-endian of the input's type). */
  samplesDir?: string;
  /** Only these layer indices (default all). */
  layers?: number[];
  warmup?: number;
  ciTarget?: number;
  save?: boolean;
  storeDir?: string;
  name?: string;
  notes?: string[];
  signal?: AbortSignal;
  onProgress?: (p: VariantsProgress) => void;
}

/** Reads --samples files into input values (errors name the file and what is expected). */
export function readSamples(dir: string, model: LoadedModel): { values: Record<string, InputValue>; used: string[] } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ShapeError(dir, `--samples ${dir}: not a folder`);
  const files = readdirSync(dir);
  const values: Record<string, InputValue> = {};
  const used: string[] = [];
  for (const io of model.inputs) {
    const json = files.find((f) => f === `${io.name}.json`);
    const bin = files.find((f) => f === `${io.name}.bin`);
    if (json) {
      let v: unknown;
      try {
        v = JSON.parse(readFileSync(join(dir, json), 'utf8'));
      } catch (e) {
        throw new ShapeError(io.name, `${join(dir, json)}: not valid JSON (${(e as Error).message})`);
      }
      const flat = Array.isArray(v) ? (v as unknown[]).flat(Infinity) : [v];
      if (!flat.every((x) => typeof x === 'number' || typeof x === 'boolean')) throw new ShapeError(io.name, `${join(dir, json)}: expected a number or a (nested) array of numbers`);
      values[io.name] = flat as number[];
      used.push(json);
    } else if (bin) {
      const buf = readFileSync(join(dir, bin));
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
      const ctor = ({ float32: Float32Array, int64: BigInt64Array, int32: Int32Array, uint8: Uint8Array, int8: Int8Array, float64: Float64Array } as Record<string, { new (b: ArrayBuffer): ArrayBufferView; BYTES_PER_ELEMENT: number }>)[io.type];
      if (!ctor) throw new ShapeError(io.name, `${join(dir, bin)}: input '${io.name}' is ${io.type}; .bin samples support float32, float64, int64, int32, uint8, int8 (use .json)`);
      if (ab.byteLength % ctor.BYTES_PER_ELEMENT) throw new ShapeError(io.name, `${join(dir, bin)}: ${ab.byteLength} bytes is not a whole number of ${io.type} values`);
      values[io.name] = new ctor(ab);
      used.push(bin);
    }
  }
  if (used.length === 0) throw new ShapeError(dir, `--samples ${dir}: no <input>.json or <input>.bin for the inputs of ${model.name} (${model.inputs.map((i) => i.name).join(', ')})`);
  return { values, used };
}

function wire(cut: CutResult, names: string[]): Record<string, WireTensor> {
  const out: Record<string, WireTensor> = {};
  for (const n of names) {
    const w = toWireTensor(cut.tensors.get(n)!);
    const d = w.data as ArrayBufferView;
    out[n] = ArrayBuffer.isView(d) && (d.byteOffset !== 0 || d.byteLength !== d.buffer.byteLength) ? { ...w, data: (d as unknown as { slice(): ArrayBufferView }).slice() } : w;
  }
  return out;
}

const copyBytes = (b: Uint8Array): Uint8Array => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice());

/** Generates, verifies and measures layer variants; returns the profile carrying them (saved unless save: false). */
export async function runVariants(target: { model: string | Uint8Array } | { profile: string }, opts: VariantsOptions = {}): Promise<Profile> {
  const t0 = performance.now();
  const emit = opts.onProgress ?? (() => {});
  const signal = opts.signal;
  const budgetSec = opts.budgetSec ?? 30;
  if (!(budgetSec > 0)) throw new Error(`budget must be > 0 seconds (got ${budgetSec})`);
  // Model kinds (resolution, arch-prune) are opt-in: only when named. A list naming only model kinds
  // leaves the profile's layer variants as they are.
  const split = splitModelKinds(opts.kinds);
  const kinds = split.model.length && split.layer.length === 0 ? [] : parseKinds(split.layer.length ? split.layer : undefined);
  const layerRun = kinds.length > 0;
  const dir = opts.storeDir ?? profilesDir();
  const save = opts.save ?? true;
  const warmup = opts.warmup ?? 3;
  const ciTarget = opts.ciTarget ?? 0.02;

  let profile: Profile;
  let loaded: LoadedModel;
  if ('profile' in target) {
    profile = loadProfile(target.profile, dir);
    if (!profile.model.path || !existsSync(profile.model.path)) {
      throw new Error(`profile ${profile.id}: its model file ${profile.model.path ?? '(none recorded)'} is not on this machine; run \`tessera variants MODEL.onnx\` instead`);
    }
    loaded = await loadModel(profile.model.path, { name: profile.model.name });
    if (loaded.sha256 !== profile.model.sha256) throw new Error(`profile ${profile.id}: ${profile.model.path} changed since it was profiled (sha256 differs); profile it again`);
  } else {
    loaded = await loadModel(target.model, { name: opts.name });
    emit({ phase: 'profile', fraction: 0, message: `profiling ${loaded.name} (the original layers, budget ${budgetSec} s per lane)` });
    profile = await profileModel(loaded, {
      lanes: opts.lanes, shapes: opts.shapes, inputValues: opts.inputValues, budgetSec, energy: 'off', save, storeDir: dir, signal, notes: opts.notes,
      onProgress: (p) => emit({ phase: 'profile', fraction: 0.3 * p.fraction, message: p.message }),
    });
    if (signal?.aborted) return profile;
  }
  const seen = new Map<string, number>();
  const laneSpecs: LaneSpec[] = opts.lanes?.length
    ? opts.lanes.map((s) => {
      const l = parseLaneSpec(s);
      const k = seen.get(l.id) ?? 0;
      seen.set(l.id, k + 1);
      return k > 0 ? { ...l, id: `${l.id}#${k}` } : l;
    })
    : profile.lanes.map(({ id, ep, threads, options }) => ({ id, ep, threads, options }));

  // The activations.
  let inputValues: Record<string, InputValue> | undefined = opts.inputValues;
  let samples = 'the model library\'s sample inputs (seeded uniform data in [-1, 1) plus the library\'s fixed input values)';
  const given = Object.keys(opts.inputValues ?? {});
  if (given.length) samples = `the given values of ${given.join(', ')}${loaded.inputs.some((i) => !given.includes(i.name)) ? ' (other inputs: the library\'s sample inputs)' : ''}`;
  if (opts.samplesDir) {
    const s = readSamples(opts.samplesDir, loaded);
    inputValues = { ...(opts.inputValues ?? {}), ...s.values };
    samples = `files ${s.used.join(', ')} from ${opts.samplesDir}`;
  }
  emit({ phase: 'cut', fraction: 0.3, message: `capturing activations and cutting ${loaded.name}` });
  const tc = performance.now();
  const cut = await cutModel(loaded, { granularity: profile.granularity, shapes: profile.model.inputShapes, inputValues, verify: false, signal });
  const cutSec = (performance.now() - tc) / 1000;
  if (cut.layers.length !== profile.layers.length || cut.layers.some((l, i) => l.name !== profile.layers[i].name)) {
    throw new Error(`profile ${profile.id}: the model's cut no longer matches the profile's layers; profile it again`);
  }

  const warnings: string[] = [];
  const layers = layerRun ? (opts.layers ?? cut.layers.map((l) => l.index)) : [];
  let generated: Awaited<ReturnType<typeof generateVariants>> = [];
  let cancelled = false;
  try {
    generated = await generateVariants(loaded, cut, kinds, {
      layers, signal,
      onProgress: (p) => emit({ phase: 'generate', layer: p.layer, fraction: 0.3 + (0.3 * layers.indexOf(p.layer)) / Math.max(1, layers.length), message: p.message }),
    });
  } catch (e) {
    if (!signal?.aborted) throw e;
    cancelled = true;
  }
  const genTotal = generated.reduce((a, l) => a + l.variants.reduce((b, v) => b + v.generateMs, 0), 0) / 1000;
  const verTotal = generated.reduce((a, l) => a + l.variants.reduce((b, v) => b + v.verifyMs, 0), 0) / 1000;

  // Store what was generated (bytes stay in memory only).
  for (const g of generated) {
    const lv: LayerVariants = {
      original: laneSpecs.map((l) => ({ lane: l.id })),
      variants: g.variants.map(({ bytes: _bytes, ...v }) => ({ ...v, lanes: laneSpecs.map((l) => ({ lane: l.id })) })),
      inapplicable: g.inapplicable,
    };
    profile.layers[g.layer].variants = lv;
  }
  const laneInfos: LaneInfo[] = laneSpecs.map((l) => ({ ...l }));
  profile.schemaVersion = PROFILE_SCHEMA_VERSION;
  // A run of model kinds only keeps the last layer-variant run's record (and its layer variants).
  const freshRun = layerRun || !profile.variantRun;
  profile.variantRun = freshRun ? {
    createdAt: new Date().toISOString(), kinds: [...kinds.map((k) => k.label), ...split.model.map((k) => k.label)], lanes: laneInfos, budgetSec, samples,
    status: 'partial', timings: { cutSec, generateSec: genTotal, verifySec: verTotal, measureSec: 0 }, warnings,
  } : profile.variantRun!;
  const run = profile.variantRun;
  const checkpoint = () => {
    for (const g of generated) deriveVariantFigures(profile.layers[g.layer].variants!);
    if (save) saveProfile(profile, dir);
  };
  checkpoint();

  // Measurement.
  const tm = performance.now();
  const work = generated.filter((g) => g.variants.some((v) => v.bytes));
  const items = work.reduce((a, g) => a + 1 + g.variants.filter((v) => v.bytes).length, 0);
  let measured = 0;
  const total = items * laneSpecs.length;
  for (const [li, lane] of laneSpecs.entries()) {
    if (cancelled || signal?.aborted || items === 0) break;
    const info = laneInfos[li];
    let worker: LaneWorker | undefined;
    try {
      try {
        worker = await LaneWorker.start(lane);
        await worker.call({ op: 'init' }, 120_000, signal);
        const b = await worker.call({ op: 'baseline', warmup: 20, rule: { ciTarget, budgetMs: 500, minSamples: 50 } }, 60_000, signal);
        info.baselineMs = b.stats.median;
        // As profiles do (profile-lane.ts): the baseline's CI and the timer feed each latency's uncertainty.
        info.baselineCiMs = b.stats.ciHalfWidthRel * b.stats.median;
        info.timerResolutionMs = b.timerResolutionMs;
      } catch (e) {
        if (signal?.aborted) break;
        info.error = laneInitError(lane, e, worker?.stderrTail());
        for (const g of work) {
          const lv = profile.layers[g.layer].variants!;
          lv.original[li] = { lane: lane.id, error: `lane unavailable: ${info.error}` };
          for (const v of lv.variants) if (v.verification.passed) v.lanes[li] = { lane: lane.id, error: `lane unavailable: ${info.error}` };
        }
        continue;
      }
      const shareMs = (budgetSec * 1000) / items;
      for (const g of work) {
        if (signal?.aborted) break;
        const lv = profile.layers[g.layer].variants!;
        const cl = cut.layers[g.layer];
        const feeds = wire(cut, cl.inputs.map((i) => i.name));
        const impls: { key: string; bytes: Uint8Array; set: (m: LaneMeasurement) => void }[] = [
          { key: `layer:${g.layer}:original`, bytes: cl.bytes, set: (m) => (lv.original[li] = m) },
          ...g.variants.flatMap((v, vi) => (v.bytes ? [{ key: `layer:${g.layer}:${v.id}`, bytes: v.bytes, set: (m: LaneMeasurement) => (lv.variants[vi].lanes[li] = m) }] : [])),
        ];
        for (const impl of impls) {
          if (signal?.aborted) break;
          emit({ phase: 'measure', lane: lane.id, layer: g.layer, fraction: 0.6 + (0.4 * measured) / Math.max(1, total), message: `${lane.id}: layer ${g.layer + 1}/${cut.layers.length} ${impl.key.split(':').slice(2).join(':')}` });
          const m: LaneMeasurement = { lane: lane.id };
          try {
            if (!worker.alive) {
              worker = await LaneWorker.start(lane);
              await worker.call({ op: 'init' }, 120_000, signal);
            }
            await worker.call({ op: 'load', key: impl.key, bytes: copyBytes(impl.bytes), feeds }, 120_000 + shareMs, signal);
            const r = await worker.call({ op: 'measure', key: impl.key, warmup, rule: { ciTarget, budgetMs: shareMs } }, 60_000 + 3 * shareMs, signal);
            m.raw = r.stats;
            // Net of the per-call baseline, with its 95% uncertainty (the profiler's rule, stats.ts netLatency).
            const net = netLatency(r.stats, { ms: info.baselineMs, ciMs: info.baselineCiMs, timerMs: info.timerResolutionMs });
            m.latencyMs = net.ms;
            if (Number.isFinite(net.uncertaintyMs)) m.latencyCiMs = net.uncertaintyMs;
          } catch (e) {
            if (signal?.aborted) break;
            m.error = `${lane.id} could not run it: ${(e as Error).message.split('\n')[0]}`;
          }
          impl.set(m);
          measured++;
        }
        checkpoint();
      }
    } finally {
      await worker?.terminate();
    }
  }
  // Combinations verified together (Terastal: independently made variants do not compose).
  if (layerRun && !cancelled && !signal?.aborted) {
    const tc2 = performance.now();
    const proposed = proposeCombinations(profile.layers);
    if (proposed.length) {
      emit({ phase: 'generate', fraction: 0.99, message: `verifying ${proposed.length} combinations of approximate variants end to end` });
      run.combinations = await verifyCombinations(loaded, cut, generated, proposed, signal);
    }
    run.timings.combinationsSec = (performance.now() - tc2) / 1000;
  }
  if (split.model.length && !cancelled && !signal?.aborted) {
    await modelVariantStage(profile, loaded, cut, split.model, laneSpecs, { budgetSec, warmup, ciTarget, inputValues, signal, emit, checkpoint });
  }
  const complete = !cancelled && !signal?.aborted;
  if (freshRun) {
    run.status = complete ? 'complete' : 'partial';
    run.timings.measureSec = (performance.now() - tm) / 1000;
  }
  if (!complete) run.warnings.push(`cancelled at ${new Date().toISOString()}: variants verified and measured so far are kept`);
  checkpoint();
  const mv = profile.modelVariants?.variants.filter((v) => v.verification.passed).length;
  emit({ phase: 'done', fraction: 1, message: `${loaded.name}: ${generated.reduce((a, l) => a + l.variants.filter((v) => v.verification.passed).length, 0)} verified variants on ${generated.length} layers${mv !== undefined ? `, ${mv} model variants` : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s${save ? `, saved in profile ${profile.id}` : ''}` });
  return profile;
}

/**
 * Model-level variants: built and verified end to end (generate-model.ts), then each verified one is
 * profiled as its own model on the same lanes (the profiler's cut, statistics and budget rules;
 * budget per lane: half the run's, shared by the variants): its whole-model median per lane beside
 * the profile's original one, and its own layer table charged to the original layers by node name.
 * The original's whole-model figures come from the profile (an earlier run), so the speed-up is not
 * paired: machine drift between the two runs goes into it.
 */
async function modelVariantStage(
  profile: Profile, loaded: LoadedModel, cut: CutResult, kinds: ModelKindChoice[], laneSpecs: LaneSpec[],
  o: { budgetSec: number; warmup: number; ciTarget: number; inputValues?: Record<string, InputValue>; signal?: AbortSignal; emit: (p: VariantsProgress) => void; checkpoint: () => void },
): Promise<void> {
  o.emit({ phase: 'generate', fraction: 0.9, message: `model variants: ${kinds.map((k) => k.label).join(', ')}` });
  const gen = await generateModelVariants(loaded, cut, kinds, o.signal);
  profile.modelVariants = { variants: gen.variants.map(({ bytes: _b, ...v }) => v), inapplicable: gen.inapplicable };
  o.checkpoint();
  const todo = gen.variants.filter((v) => v.bytes);
  const budgetSec = Math.max(1, o.budgetSec / 2 / Math.max(1, todo.length));
  for (const v of todo) {
    if (o.signal?.aborted) break;
    const info = profile.modelVariants.variants.find((x) => x.id === v.id)!;
    o.emit({ phase: 'measure', fraction: 0.95, message: `model variant ${v.id}: profiling it on ${laneSpecs.map((l) => l.id).join(', ')} (${budgetSec.toFixed(1)} s per lane)` });
    try {
      const vp = await profileModel(v.bytes!, {
        lanes: laneSpecs, budgetSec, warmup: o.warmup, ciTarget: o.ciTarget, energy: 'off', save: false, granularity: profile.granularity,
        shapes: profile.model.inputShapes, inputValues: o.inputValues as Record<string, number | number[]> | undefined, name: `${profile.model.name} ${v.id}`, signal: o.signal,
      });
      info.lanes = vp.wholeModel.map((m) => {
        const orig = profile.wholeModel.find((x) => x.lane === m.lane)?.raw?.median;
        const t = m.raw?.median;
        return { ...m, ...(orig !== undefined ? { originalMs: orig } : {}), ...(orig !== undefined && t ? { speedup: orig / t } : {}) };
      });
      const table = variantLayerTable(profile.layers, vp.layers);
      if ('error' in table) info.layerError = table.error;
      else info.layers = table.layers;
    } catch (e) {
      if (o.signal?.aborted) break;
      info.lanes = laneSpecs.map((l) => ({ lane: l.id, error: `could not profile the variant: ${(e as Error).message.split('\n')[0]}` }));
    }
    o.checkpoint();
  }
}
