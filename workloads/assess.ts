// Demand of a scenario on this machine's profiles, and load scaling, with the models resolved:
// gathers each tenant's layer count and MACs (from the generator where the model is generated,
// counted from one CPU run otherwise), matches the given profiles to tenants, and supplies the
// resolution scaler. The arithmetic itself is in demand.ts (pure).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Profile } from '../profiler/types';
import { computeDemand, scaleScenario, DemandError, type DemandReport, type ResolutionScaler, type ScaleOptions, type ScaleResult, type ScaleTarget, type TenantWork } from './demand';
import {
  describeModel,
  findLibraryEntry,
  loadArchitectures,
  modelsDir,
  modelStats,
  resolveModel,
  xrbenchCacheKey,
  xrbenchSpecFor,
  type ResolutionRule,
} from './library';
import type { ModelRef, Scenario, Tenant } from './scenario';
import { planNetwork, REPLICA_LABEL } from './xrbench';

export interface AssessOptions {
  profiles?: Profile[];
  baseDir?: string;
  lanes?: string[];
  /** Tenant id -> profile id, for profiles that cannot be matched by model name or hash. */
  profileFor?: Record<string, string>;
}

export interface TenantModel {
  tenant: string;
  /** Display name: library id, network, or file name. */
  model: string;
  family: string;
  label: string;
  synthetic: boolean;
  libraryId?: string;
  layers: number;
  macs: number;
  macsSource: TenantWork['macsSource'];
  notes: string[];
  /** sha256 of the model bytes when known without generating anything. */
  sha256?: string;
  /** Names a profile of this model may carry. */
  names: string[];
}

const CNN_ARCH = new Set(['resnet50', 'vgg16', 'mobilenetv2', 'ssd-mobilenetv2']);
const ARCH_DEFAULT_RES: Record<string, number> = { resnet50: 224, vgg16: 224, mobilenetv2: 224, 'ssd-mobilenetv2': 300 };

function displayName(ref: ModelRef): string {
  switch (ref.kind) {
    case 'xrbench':
      return `xrbench/${ref.network}`;
    case 'library':
      return ref.id;
    case 'architecture':
      return `architecture/${ref.name}`;
    case 'npm':
      return `${ref.package}/${ref.file}`;
    case 'file':
      return ref.path.replace(/^.*[\\/]/, '');
  }
}

/** sha256 of a generated XRBench replica when it is in the cache (no generation). */
function cachedXrbenchSha(ref: Extract<ModelRef, { kind: 'xrbench' }>): string | undefined {
  try {
    const key = xrbenchCacheKey(xrbenchSpecFor(ref.scenario, ref.network), ref.options);
    const side = join(modelsDir(), `${key}.json`);
    return existsSync(side) ? (JSON.parse(readFileSync(side, 'utf8')) as { sha256?: string }).sha256 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Layers and MACs of every tenant's model. XRBench replicas: from the plan (nothing generated).
 * Architectures: generated (cached) and counted by their generator. npm and file models: counted
 * from one CPU run at the tenant's input shapes (cached by model hash and shapes).
 */
export async function tenantModels(s: Scenario, opts: { baseDir?: string } = {}): Promise<Record<string, TenantModel>> {
  const out: Record<string, TenantModel> = {};
  for (const t of s.tenants) {
    const d = await describeModel(t.model);
    let ref: ModelRef = t.model;
    if (ref.kind === 'library') ref = (await findLibraryEntry(ref.id))!.ref;
    const base = { tenant: t.id, model: displayName(t.model), family: d.family, label: d.label, synthetic: d.synthetic, ...(d.libraryId ? { libraryId: d.libraryId } : {}) };
    if (ref.kind === 'xrbench') {
      const plan = planNetwork(xrbenchSpecFor(ref.scenario, ref.network), ref.options);
      const sha = cachedXrbenchSha(ref);
      out[t.id] = { ...base, layers: plan.layers.length, macs: plan.macs, macsSource: 'generator', notes: [], ...(sha ? { sha256: sha } : {}), names: [ref.network, `xrbench/${ref.network}`, `xrbench_${ref.network}`] };
      continue;
    }
    const r = await resolveModel(t.model, { baseDir: opts.baseDir });
    const shapes = t.inputShapes ?? r.inputShapes;
    const stats = r.stats && !t.inputShapes ? r.stats : await modelStats({ ...r, ...(t.inputValues ? { inputValues: t.inputValues } : {}) }, shapes);
    const names = [r.name, displayName(t.model), ...(r.libraryId ? [r.libraryId, r.libraryId.replace(/^[a-z]+\//, '')] : []), ...(r.path ? [r.path.replace(/^.*[\\/]/, '').replace(/\.onnx$/, '')] : [])];
    out[t.id] = { ...base, layers: stats.layers, macs: stats.macs, macsSource: stats.source, notes: stats.notes, sha256: r.sha256, names };
  }
  return out;
}

/** Picks each tenant's profile: explicit mapping, then model hash, then model name. */
export function matchProfiles(s: Scenario, models: Record<string, TenantModel>, profiles: Profile[], profileFor: Record<string, string> = {}): Record<string, { profile: Profile; by: 'explicit' | 'sha256' | 'name' } | undefined> {
  const out: Record<string, { profile: Profile; by: 'explicit' | 'sha256' | 'name' } | undefined> = {};
  for (const t of s.tenants) {
    const m = models[t.id];
    const explicit = profileFor[t.id];
    if (explicit) {
      const p = profiles.find((x) => x.id === explicit);
      if (!p) throw new DemandError(`tenant "${t.id}": profile "${explicit}" was not given (given: ${profiles.map((x) => x.id).join(', ') || 'none'})`);
      out[t.id] = { profile: p, by: 'explicit' };
      continue;
    }
    const bySha = m.sha256 ? profiles.find((p) => p.model.sha256 === m.sha256) : undefined;
    if (bySha) {
      out[t.id] = { profile: bySha, by: 'sha256' };
      continue;
    }
    const names = new Set(m.names.map((n) => n.toLowerCase()));
    const byName = profiles.find((p) => names.has(p.model.name.toLowerCase()) || [...names].some((n) => p.model.name.toLowerCase().startsWith(`xrbench-${n}-`)));
    out[t.id] = byName ? { profile: byName, by: 'name' } : undefined;
  }
  return out;
}

/** How a tenant's resolution can be scaled, from its model reference (and library entry). */
async function resolutionRuleOf(t: Tenant): Promise<{ ref: ModelRef; rule?: ResolutionRule; defaults?: Record<string, number[]> }> {
  if (t.model.kind === 'library') {
    const e = await findLibraryEntry(t.model.id);
    return { ref: e?.ref ?? t.model, rule: e?.resolution, defaults: e?.inputShapes };
  }
  const d = await describeModel(t.model);
  return { ref: t.model, rule: d.resolution, defaults: d.inputShapes };
}

export interface DemandContext {
  models: Record<string, TenantModel>;
  profiles: Record<string, { profile: Profile; by: string } | undefined>;
  work: Record<string, TenantWork>;
  evaluate(candidate: Scenario): DemandReport;
  resolution: ResolutionScaler;
}

/** Everything demand and scaling need about a scenario's models and profiles. */
export async function demandContext(s: Scenario, opts: AssessOptions = {}): Promise<DemandContext> {
  const models = await tenantModels(s, { baseDir: opts.baseDir });
  const matched = opts.profiles && opts.profiles.length ? matchProfiles(s, models, opts.profiles, opts.profileFor) : {};
  const work: Record<string, TenantWork> = {};
  for (const t of s.tenants) {
    const m = models[t.id];
    const p = matched[t.id];
    work[t.id] = { layers: m.layers, macs: m.macs, macsSource: m.macsSource, model: m.model, label: m.label, ...(p ? { profile: p.profile } : {}) };
  }
  const rules = new Map<string, Awaited<ReturnType<typeof resolutionRuleOf>>>();
  for (const t of s.tenants) rules.set(t.id, await resolutionRuleOf(t));
  const archAvailable = !('error' in (await loadArchitectures()));
  const baseById = new Map(s.tenants.map((t) => [t.id, t]));
  const sameModel = (a: Tenant, b: Tenant) => JSON.stringify([a.model, a.inputShapes ?? null]) === JSON.stringify([b.model, b.inputShapes ?? null]);

  const resolution: ResolutionScaler = (t, factor) => {
    const info = rules.get(t.id);
    if (!info?.rule) return undefined;
    const { ref, rule } = info;
    const c: Tenant = structuredClone(t);
    if (rule.via === 'xrbench' && ref.kind === 'xrbench') {
      const prev = t.model.kind === 'xrbench' ? (t.model.options?.resolutionScale ?? 1) : 1;
      c.model = { ...ref, options: { ...(t.model.kind === 'xrbench' ? t.model.options : {}), resolutionScale: prev * factor } };
      delete c.inputShapes;
      return { tenant: c, applied: factor };
    }
    if (rule.via === 'architecture' && ref.kind === 'architecture' && CNN_ARCH.has(ref.name) && archAvailable) {
      const cur = t.model.kind === 'architecture' ? t.model : ref;
      const res0 = (cur.options?.resolution as number | undefined) ?? ARCH_DEFAULT_RES[ref.name];
      const mult = rule.multiple ?? 32;
      const res = Math.max(rule.min ?? mult, Math.round((res0 * factor) / mult) * mult);
      c.model = { kind: 'architecture', name: ref.name, options: { ...(cur.options ?? {}), resolution: res } };
      delete c.inputShapes;
      return { tenant: c, applied: res / res0, note: `resolution ${res0} -> ${res}` };
    }
    if (rule.via === 'input' && rule.input && rule.dims) {
      const shapes = structuredClone(t.inputShapes ?? info.defaults ?? {});
      const dims = shapes[rule.input];
      if (!dims) return undefined;
      const mult = rule.multiple ?? 1;
      let applied = 1;
      for (const k of rule.dims) {
        const v = Math.max(rule.min ?? mult, Math.round((dims[k] * factor) / mult) * mult);
        applied *= v / dims[k];
        dims[k] = v;
      }
      c.inputShapes = shapes;
      return { tenant: c, applied: Math.pow(applied, 1 / rule.dims.length), note: `${rule.input} ${JSON.stringify(dims)}` };
    }
    return undefined;
  };

  const workFor = (t: Tenant): TenantWork => {
    const base = baseById.get(t.id);
    const w0 = work[t.id];
    if (!base || !w0 || sameModel(base, t)) return w0;
    let macs: number;
    let source: TenantWork['macsSource'];
    if (t.model.kind === 'xrbench') {
      macs = planNetwork(xrbenchSpecFor(t.model.scenario, t.model.network), t.model.options).macs;
      source = 'generator';
    } else {
      // Scaled spatial input: MACs grow with the scaled area (an estimate; FC heads do not scale).
      let ratio = 1;
      if (t.model.kind === 'architecture' && base.model.kind !== 'xrbench') {
        const r0 = (base.model.kind === 'architecture' ? (base.model.options?.resolution as number | undefined) : undefined) ?? ARCH_DEFAULT_RES[t.model.name] ?? 224;
        const r1 = (t.model.options?.resolution as number | undefined) ?? r0;
        ratio = (r1 / r0) ** 2;
      } else {
        const rule = rules.get(t.id)?.rule;
        const s0 = base.inputShapes ?? rules.get(t.id)?.defaults ?? {};
        const s1 = t.inputShapes ?? s0;
        if (rule?.input) for (const k of rule.dims ?? []) ratio *= (s1[rule.input]?.[k] ?? 1) / (s0[rule.input]?.[k] ?? 1);
      }
      macs = w0.macs * ratio;
      source = 'estimated';
    }
    return { ...w0, macs, macsSource: source, ...(w0.profile ? { latencyScale: (w0.latencyScale ?? 1) * (macs / Math.max(1, w0.macs)) } : {}) };
  };
  const evaluate = (candidate: Scenario): DemandReport => computeDemand(candidate, Object.fromEntries(candidate.tenants.map((t) => [t.id, workFor(t)])), { lanes: opts.lanes });
  return { models, profiles: matched, work, evaluate, resolution };
}

/** Demand vs capacity of a scenario (MACs/s only when no profile is given). */
export async function scenarioDemand(s: Scenario, opts: AssessOptions = {}): Promise<DemandReport & { profileMatch: Record<string, string> }> {
  const ctx = await demandContext(s, opts);
  const report = ctx.evaluate(s);
  const profileMatch = Object.fromEntries(Object.entries(ctx.profiles).map(([k, v]) => [k, v ? `${v.profile.id} (by ${v.by})` : 'none']));
  if (opts.profiles?.length) {
    const unmatched = Object.entries(ctx.profiles).filter(([, v]) => !v).map(([k]) => k);
    if (unmatched.length === s.tenants.length) {
      throw new DemandError(`none of the given profiles (${opts.profiles.map((p) => `${p.id}: ${p.model.name}`).join('; ')}) matches a tenant's model (${s.tenants.map((t) => `${t.id}: ${ctx.models[t.id].model}`).join('; ')}); map them with profileFor`);
    }
  }
  return { ...report, profileMatch };
}

/** Scales a scenario to a target load (see demand.ts scaleScenario); resolves what the target needs. */
export async function scaleScenarioWith(s: Scenario, target: ScaleTarget, opts: ScaleOptions, assess: AssessOptions = {}): Promise<ScaleResult> {
  const needsDemand = !('factor' in target) || !!opts.skewLane;
  if (!needsDemand && opts.mode === 'rate') return scaleScenario(s, target, opts, {});
  const ctx = await demandContext(s, assess);
  return scaleScenario(s, target, opts, { evaluate: ctx.evaluate, resolution: ctx.resolution });
}

export { REPLICA_LABEL };
