// Turns a tenant's model reference into what the lanes execute: the whole model (model granularity),
// its cut layers (layer granularity, profiler/onnx/cut.ts) or groups of k consecutive cut layers
// (group:K: the cutter's groups merged k at a time, so unit i holds the profile's layers
// [ik, ik + k), as scheduler/core/groups.ts groups them), with input tensors: the profiler's
// captured samples when the cut provides them, else seeded random data. Errors name the tenant.
import { existsSync } from 'node:fs';
import { cutModel, type CutResult } from '../../profiler/onnx/cut';
import { loadModel, sessionBytes, type LoadedModel } from '../../profiler/onnx/model';
import { resolveInputShapes, sampleInputs, seededRandom } from '../../profiler/onnx/shapes';
import type { Profile, TensorInfo } from '../../profiler/types';
import { groupSize } from '../../common/granularity';
import { demoModel, isDemoRef } from './demo';
import type { ExecModel, ExecGranularity, LiveTenantSpec, WireTensor } from './types';

/** A tenant's model could not be made ready: raised before the run starts. */
export class LiveSetupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LiveSetupError';
  }
}

/** How many distinct input frames each tenant cycles through. */
export const SAMPLES_PER_TENANT = 4;

/** Adds verified layer variants to a cut model's units (variant-exec.ts; injected so the runtime entry carries no profiling code). */
export type VariantAttacher = (tenant: LiveTenantSpec, exec: ExecModel, model: LoadedModel, cut: CutResult, kinds: string) => Promise<void>;

/**
 * Adds verified model-level variants to a whole-model exec's one unit, with their whole combinations
 * (variant-exec.ts attachModelVariants; injected like the layer attacher). Returns warnings (a
 * variant left out, with why); throws LiveSetupError when a variant the profile lists cannot be made
 * again as the profile measured it.
 */
export type ModelVariantAttacher = (tenant: LiveTenantSpec, exec: ExecModel, model: LoadedModel, o: { kinds?: string; profiles: readonly Profile[]; lanes: readonly string[]; seed: number }) => Promise<string[]>;

/** A tenant's model variants to attach (model granularity); `warnings` receives what was left out. */
export interface ModelVariantRequest {
  kinds?: string;
  profiles: readonly Profile[];
  lanes: readonly string[];
  attach: ModelVariantAttacher;
  warnings: string[];
}

/** One layer's fixed variant pick (a schedule's 'fastest' choice), and what became of it. */
export interface VariantPick {
  layer: string;
  variant: string;
}
export type PickOutcome = VariantPick & { applied: boolean; reason?: string };

/**
 * Replaces picked layers' units by those variants, made again from the model and verified on the
 * cut's activations (variant-exec.ts substituteVariants; injected so the runtime entry carries no
 * profiling code). A pick it cannot make or verify leaves the original, with the reason.
 */
export type VariantSubstituter = (tenant: LiveTenantSpec, exec: ExecModel, model: LoadedModel, cut: CutResult, picks: readonly VariantPick[]) => Promise<PickOutcome[]>;

/** A tenant's picks to substitute; `outcomes` receives what became of each. */
export interface PickRequest {
  list: readonly VariantPick[];
  substitute: VariantSubstituter;
  outcomes: PickOutcome[];
}

export async function resolveExecModel(tenant: LiveTenantSpec, granularity: ExecGranularity, seed: number, variants?: { kinds: string; attach: VariantAttacher }, picks?: PickRequest, modelVariants?: ModelVariantRequest): Promise<ExecModel> {
  const ref = tenant.model;
  let exec: ExecModel;
  if (typeof ref === 'object' && 'exec' in ref) exec = ref.exec;
  else if (typeof ref === 'string' && isDemoRef(ref)) {
    try {
      const d = demoModel(ref);
      const k = groupSize(granularity);
      exec = k === undefined ? d.whole : d.groups(k);
    } catch (e) {
      throw new LiveSetupError(`tenant "${tenant.id}": ${(e as Error).message}`);
    }
  } else {
    let loaded: LoadedModel;
    try {
      if (typeof ref === 'string') {
        if (!existsSync(ref)) throw new Error(`${ref}: no such file (a model path, or a demo model such as demo:mlp)`);
        loaded = await loadModel(ref);
      } else loaded = await loadModel(ref.bytes, { name: ref.name });
    } catch (e) {
      throw new LiveSetupError(`tenant "${tenant.id}": model cannot be loaded: ${(e as Error).message}`, { cause: e });
    }
    const k = groupSize(granularity);
    exec = k === undefined ? wholeExec(tenant, loaded, seed) : await cutExec(tenant, loaded, seed, k, variants, picks);
    if (k === undefined && picks?.list.length) {
      // Fixed variants in a whole model: the picked layers substituted into it (the substituter embeds them).
      picks.outcomes.push(...(await picks.substitute(tenant, exec, loaded, await cutFor(tenant, loaded, seed, 1), picks.list)));
    }
    // Model-level variants: whole other models, so only where one session runs the whole model.
    if (k === undefined && modelVariants) {
      const m = modelVariants;
      m.warnings.push(...(await m.attach(tenant, exec, loaded, { kinds: m.kinds, profiles: m.profiles, lanes: m.lanes, seed })));
    }
  }
  if (exec.units.length === 0) throw new LiveSetupError(`tenant "${tenant.id}": model ${exec.name} has no executable units`);
  if (!exec.samples || exec.samples.length === 0) exec = { ...exec, samples: randomSamples(exec.inputs, seed, tenant.id) };
  return exec;
}

function shapesFor(tenant: LiveTenantSpec, model: LoadedModel): Record<string, number[]> {
  try {
    return resolveInputShapes(model, tenant.shapes ?? {});
  } catch (e) {
    throw new LiveSetupError(`tenant "${tenant.id}": ${(e as Error).message}`, { cause: e });
  }
}

function wholeExec(tenant: LiveTenantSpec, model: LoadedModel, seed: number): ExecModel {
  const shapes = shapesFor(tenant, model);
  const inputs: TensorInfo[] = model.inputs.map((io) => ({ name: io.name, type: io.type, dims: shapes[io.name] }));
  const outputs: TensorInfo[] = model.outputs.map((io) => ({ name: io.name, type: io.type, dims: (io.dims ?? []).map((d) => (typeof d === 'number' ? d : -1)) }));
  const samples: Record<string, WireTensor>[] = [];
  for (let k = 0; k < SAMPLES_PER_TENANT; k++) {
    const { feeds } = sampleInputs(model, shapes, { seed: seed * 1000 + k + 1, inputValues: tenant.inputValues });
    samples.push(Object.fromEntries(Object.entries(feeds).map(([n, t]) => [n, { type: t.type, dims: [...t.dims], data: t.data as ArrayBufferView }])));
  }
  return { name: model.name, inputs, outputs: outputs.map((o) => o.name), units: [{ name: model.name, bytes: sessionBytes(model), inputs, outputs }], samples, granularity: 'whole model', sha256: model.sha256 };
}

async function cutExec(tenant: LiveTenantSpec, model: LoadedModel, seed: number, groupsOf: number, variants?: { kinds: string; attach: VariantAttacher }, picks?: PickRequest): Promise<ExecModel> {
  const shapes = shapesFor(tenant, model);
  const cut = await cutFor(tenant, model, seed, groupsOf);
  const inputs: TensorInfo[] = model.inputs.map((io) => ({ name: io.name, type: io.type, dims: cut.inputShapes[io.name] ?? shapes[io.name] }));
  // The cut's captured graph inputs are realistic samples: the first input frame.
  const captured: Record<string, WireTensor> = {};
  for (const io of inputs) {
    const t = cut.tensors.get(io.name);
    if (t) captured[io.name] = { type: t.type, dims: [...t.dims], data: t.data as ArrayBufferView };
  }
  const samples = Object.keys(captured).length === inputs.length ? [captured] : undefined;
  const exec: ExecModel = {
    name: model.name,
    inputs,
    outputs: model.outputs.map((o) => o.name),
    units: cut.layers.map((l) => ({ name: l.name, bytes: l.bytes, inputs: l.inputs, outputs: l.outputs })),
    samples,
    granularity: groupsOf > 1 ? `cut (${String(cut.granularity)}, ${groupsOf} per unit)` : `cut (${String(cut.granularity)})`,
    sha256: model.sha256,
  };
  if (picks?.list.length) {
    // Picks name single layers: a unit of k > 1 layers has no place for one (run as the originals, said per pick).
    if (groupsOf > 1) picks.outcomes.push(...picks.list.map((x) => ({ ...x, applied: false, reason: `fixed variants need layer or model granularity, not groups of ${groupsOf} layers` })));
    else picks.outcomes.push(...(await picks.substitute(tenant, exec, model, cut, picks.list)));
  }
  if (variants) await variants.attach(tenant, exec, model, cut, variants.kinds);
  return exec;
}

/** The model cut as the profiler cuts it (with captured activations), every `groupsOf` consecutive layers merged into one unit. */
async function cutFor(tenant: LiveTenantSpec, model: LoadedModel, seed: number, groupsOf: number): Promise<CutResult> {
  try {
    return await cutModel(model, { granularity: 'group', groupsOf, shapes: shapesFor(tenant, model), seed, verify: false, inputValues: tenant.inputValues });
  } catch (e) {
    throw new LiveSetupError(`tenant "${tenant.id}": cannot cut ${model.name} into ${groupsOf > 1 ? `groups of ${groupsOf} layers` : 'layers'}: ${(e as Error).message}`, { cause: e });
  }
}

/** Seeded random input frames (uniform [-1, 1) floats; integer inputs 0, bool false). */
export function randomSamples(inputs: TensorInfo[], seed: number, salt: string): Record<string, WireTensor>[] {
  let h = seed >>> 0;
  for (const c of salt) h = Math.imul(h ^ c.charCodeAt(0), 0x9e3779b1) >>> 0;
  const next = seededRandom(h || 1);
  const out: Record<string, WireTensor>[] = [];
  for (let k = 0; k < SAMPLES_PER_TENANT; k++) {
    const sample: Record<string, WireTensor> = {};
    for (const io of inputs) {
      if (io.dims.some((d) => !(d >= 0))) throw new LiveSetupError(`input '${io.name}' has an unresolved dimension ${JSON.stringify(io.dims)}: give its shape`);
      const n = io.dims.reduce((x, y) => x * y, 1);
      let data: ArrayBufferView;
      switch (io.type) {
        case 'float32': data = Float32Array.from({ length: n }, () => next() * 2 - 1); break;
        case 'float64': data = Float64Array.from({ length: n }, () => next() * 2 - 1); break;
        case 'int64': data = new BigInt64Array(n); break;
        case 'int32': data = new Int32Array(n); break;
        case 'bool': case 'uint8': data = new Uint8Array(n); break;
        case 'int8': data = new Int8Array(n); break;
        default: throw new LiveSetupError(`input '${io.name}' has type ${io.type}, for which the live runtime cannot make data`);
      }
      sample[io.name] = { type: io.type, dims: [...io.dims], data };
    }
    out.push(sample);
  }
  return out;
}

/** Per unit: the tensor names later units still need, and the model's outputs (so a lane frees everything else). */
export function keepSets(exec: ExecModel): string[][] {
  return exec.units.map((_, i) => {
    const keep = new Set<string>(exec.outputs);
    for (let j = i + 1; j < exec.units.length; j++) for (const t of exec.units[j].inputs) keep.add(t.name);
    return [...keep];
  });
}
