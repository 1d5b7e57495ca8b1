// Scenarios: the library (XRBench, mixed examples, the user's), validation, each scenario's tenants
// with their models' layer counts and MACs, demand vs capacity on given profiles, load scaling,
// import, and the model library.
import { z } from 'zod';
import { loadProfile } from '../../profiler/store';
import type { Profile } from '../../profiler/types';
import { scaleScenarioWith, scenarioDemand, tenantModels } from '../../workloads/assess';
import type { DemandReport } from '../../workloads/demand';
import { describeModel, findLibraryEntry, listLibrary, modelRefFromString, xrbenchSpecFor, type LibraryEntry } from '../../workloads/library';
import { deadlineMs, effectiveRates, nominalRate, ScenarioError, type Scenario } from '../../workloads/scenario';
import { importScenario, listScenarios, loadScenario, saveUserScenario, validateScenario, validateScenarioFile, type ScenarioSummary, type ValidationResult } from '../../workloads/scenario-library';
import { planNetwork, type PlannedLayer } from '../../workloads/xrbench';
import { ModelRef as ModelRefSchema } from '../../workloads/scenario';
import { profileModels } from '../../profiler/profile';
import { newestProfiles, type MissingProfile } from '../../scheduler/tune-run';
import { EngineError, method } from '../feature';
import { resolveProfileModels } from './profile';

/** A scenario's tenants with a stored profile (tenant -> profile id) and without one. */
export interface ScenarioProfiles {
  found: Record<string, string>;
  missing: MissingProfile[];
}

export interface TenantView {
  id: string;
  description?: string;
  model: string;
  /** Replica / pretrained / reference architecture, in words. */
  label: string;
  synthetic: boolean;
  family: string;
  arrival: Scenario['tenants'][number]['arrival'];
  /** Nominal rate (fps or Poisson rate) and effective rate (cascades x probability). */
  rate: number;
  effectiveFps: number;
  deadlineMs: number;
  priority: number;
  cascade?: { upstream: string; probability: number };
  slos?: Scenario['tenants'][number]['slos'];
  accuracyBudget?: number;
  layers?: number;
  macs?: number;
  macsSource?: string;
  macsPerSec?: number;
  notes?: string[];
}

export interface ScenarioView {
  id: string;
  origin: string;
  name: string;
  description?: string;
  source?: string;
  notes: string[];
  tenants: TenantView[];
  /** Cascade edges upstream -> dependent. */
  cascades: { upstream: string; dependent: string; probability: number }[];
  totals?: { macsPerSec: number; layers: number };
  scaling?: Scenario['scaling'];
  demand?: DemandReport & { profileMatch: Record<string, string> };
  scenario: Scenario;
}

function loadProfiles(refs: string[] | undefined): Profile[] {
  return (refs ?? []).map((r) => {
    try {
      return loadProfile(r);
    } catch (e) {
      throw new EngineError(`profile "${r}": ${(e as Error).message}`, 'not-found', { cause: e });
    }
  });
}

/** A scenario with its tenants' models described (layer counts and MACs), and demand when profiles are given. */
export async function scenarioView(ref: string, opts: { profiles?: string[]; lanes?: string[]; models?: boolean; profileFor?: Record<string, string> } = {}): Promise<ScenarioView> {
  const loaded = loadScenario(ref);
  const s = loaded.scenario;
  const rates = effectiveRates(s);
  const models = opts.models === false ? undefined : await tenantModels(s, { baseDir: loaded.baseDir });
  const tenants: TenantView[] = s.tenants.map((t) => {
    const m = models?.[t.id];
    return {
      id: t.id,
      ...(t.description ? { description: t.description } : {}),
      model: m?.model ?? (t.model.kind === 'xrbench' ? `xrbench/${t.model.network}` : t.model.kind === 'library' ? t.model.id : t.model.kind),
      label: m?.label ?? '',
      synthetic: m?.synthetic ?? false,
      family: m?.family ?? t.model.kind,
      arrival: t.arrival,
      rate: nominalRate(t),
      effectiveFps: rates[t.id],
      deadlineMs: deadlineMs(t),
      priority: t.priority ?? 3,
      ...(t.cascade ? { cascade: t.cascade } : {}),
      ...(t.slos ? { slos: t.slos } : {}),
      ...(t.accuracyBudget !== undefined ? { accuracyBudget: t.accuracyBudget } : {}),
      ...(m ? { layers: m.layers, macs: m.macs, macsSource: m.macsSource, macsPerSec: m.macs * rates[t.id], notes: m.notes } : {}),
    };
  });
  const profiles = loadProfiles(opts.profiles);
  const demand = profiles.length ? await scenarioDemand(s, { profiles, lanes: opts.lanes, baseDir: loaded.baseDir, profileFor: opts.profileFor }) : undefined;
  return {
    id: loaded.id,
    origin: loaded.origin,
    name: s.name,
    ...(s.description ? { description: s.description } : {}),
    ...(s.source ? { source: s.source } : {}),
    notes: s.notes ?? [],
    tenants,
    cascades: s.tenants.filter((t) => t.cascade).map((t) => ({ upstream: t.cascade!.upstream, dependent: t.id, probability: t.cascade!.probability })),
    ...(models ? { totals: { macsPerSec: tenants.reduce((a, t) => a + (t.macsPerSec ?? 0), 0), layers: tenants.reduce((a, t) => a + (t.layers ?? 0), 0) } } : {}),
    ...(s.scaling ? { scaling: s.scaling } : {}),
    ...(demand ? { demand } : {}),
    scenario: s,
  };
}

const ProfilesParam = z.array(z.string().min(1)).optional().describe('Profile ids or paths (one per model; matched to tenants by model hash, then name).');
const ProfileFor = z.record(z.string(), z.string()).optional().describe('Tenant id -> profile id, where matching by model hash or name is not enough.');

export const scenariosFeature = {
  name: 'scenarios',
  methods: {
    'scenarios.list': method({
      summary: 'Every scenario in the library: XRBench usage scenarios and probability sweep, mixed examples, user scenarios.',
      params: z.object({}).strict(),
      run: async (): Promise<ScenarioSummary[]> => listScenarios(),
    }),
    'scenarios.models': method({
      summary: 'The model library: XRBench layer-shape replicas, pretrained npm models, reference architectures, with input shapes and availability.',
      params: z.object({}).strict(),
      run: async (): Promise<LibraryEntry[]> => listLibrary(),
    }),
    'scenarios.get': method({
      summary: "A scenario's tenants (rates, deadlines, cascades) with each model's layer count and MACs; demand vs capacity when profiles are given.",
      params: z.object({ id: z.string().min(1), profiles: ProfilesParam, lanes: z.array(z.string()).optional(), models: z.boolean().optional(), profileFor: ProfileFor }).strict(),
      job: true,
      run: async (p, ctx): Promise<ScenarioView> => {
        ctx.progress({ message: `loading ${p.id}` });
        return scenarioView(p.id, p);
      },
    }),
    'scenarios.validate': method({
      summary: 'Validates a scenario (a JSON document, or a file path: .json or XRBench .m): structure, semantics and, unless models is none, model references and input shapes. Returns every error.',
      params: z
        .object({
          document: z.unknown().optional(),
          path: z.string().optional(),
          baseDir: z.string().optional(),
          models: z.enum(['fast', 'none']).optional(),
        })
        .strict(),
      run: async (p): Promise<ValidationResult> => {
        if ((p.document === undefined) === (p.path === undefined)) throw new EngineError('give exactly one of document or path', 'bad-request');
        return p.path ? validateScenarioFile(p.path, { level: p.models }) : validateScenario(p.document, { level: p.models, baseDir: p.baseDir });
      },
    }),
    'scenarios.demand': method({
      summary: "Demand vs capacity: each tenant's work per second on its preferred lane, each lane's utilisation with every layer on its fastest lane, feasibility. MACs/s only without profiles.",
      params: z.object({ id: z.string().min(1), profiles: ProfilesParam, lanes: z.array(z.string()).optional(), profileFor: ProfileFor }).strict(),
      job: true,
      run: async (p): Promise<DemandReport & { profileMatch: Record<string, string> }> => {
        const loaded = loadScenario(p.id);
        return scenarioDemand(loaded.scenario, { profiles: loadProfiles(p.profiles), lanes: p.lanes, baseDir: loaded.baseDir, profileFor: p.profileFor });
      },
    }),
    'scenarios.scale': method({
      summary: 'A new scenario at a target load: frame rates or input resolution x s (by a factor, a target utilisation on the profiles, or a target MACs/s); optionally only the tenants preferring one lane (skewed load). Saved to the user library with save.',
      params: z
        .object({
          id: z.string().min(1),
          factor: z.number().positive().optional(),
          targetUtilisation: z.number().positive().optional(),
          targetMacsPerSec: z.number().positive().optional(),
          mode: z.enum(['rate', 'resolution']).optional(),
          skewLane: z.string().optional(),
          tenants: z.array(z.string()).optional(),
          profiles: ProfilesParam,
          lanes: z.array(z.string()).optional(),
          profileFor: ProfileFor,
          name: z.string().optional(),
          save: z.string().optional().describe('Save the result as this user scenario (user/NAME).'),
          force: z.boolean().optional(),
        })
        .strict(),
      job: true,
      run: async (p, ctx) => {
        const targets = [p.factor !== undefined, p.targetUtilisation !== undefined, p.targetMacsPerSec !== undefined].filter(Boolean).length;
        if (targets !== 1) throw new EngineError('give exactly one of factor, targetUtilisation, targetMacsPerSec', 'bad-request');
        const loaded = loadScenario(p.id);
        ctx.progress({ message: `scaling ${p.id}` });
        const target = p.factor !== undefined ? { factor: p.factor } : p.targetUtilisation !== undefined ? { targetUtilisation: p.targetUtilisation } : { targetMacsPerSec: p.targetMacsPerSec! };
        const result = await scaleScenarioWith(loaded.scenario, target, { mode: p.mode ?? 'rate', skewLane: p.skewLane, tenants: p.tenants, name: p.name }, { profiles: loadProfiles(p.profiles), lanes: p.lanes, baseDir: loaded.baseDir, profileFor: p.profileFor });
        let saved: { id: string; path: string } | undefined;
        if (p.save) {
          try {
            saved = saveUserScenario(result.scenario, p.save, { force: p.force });
          } catch (e) {
            if (e instanceof ScenarioError) throw new EngineError(e.message, 'exists', { cause: e });
            throw e;
          }
        }
        return { ...result, ...(saved ? { saved } : {}) };
      },
    }),
    'scenarios.model': method({
      summary: 'One model of the library: what it is (label), input shapes and, for XRBench replicas, every layer as built with its stride, padding, adapters and MACs.',
      params: z.object({ ref: z.union([z.string().min(1), ModelRefSchema]) }).strict(),
      run: async (p) => {
        const ref = typeof p.ref === 'string' ? modelRefFromString(p.ref) : p.ref;
        const d = await describeModel(ref);
        let target = ref;
        if (ref.kind === 'library') target = (await findLibraryEntry(ref.id))!.ref;
        let layers: Omit<PlannedLayer, 'spec'>[] | undefined;
        let notes: string[] = [];
        if (target.kind === 'xrbench') {
          const plan = planNetwork(xrbenchSpecFor(target.scenario, target.network), target.options);
          layers = plan.layers;
          notes = plan.notes;
        }
        return { ref, ...d, ...(layers ? { layers } : {}), notes };
      },
    }),
    'scenarios.profiles': method({
      summary: "Which of a scenario's tenants have a stored, complete profile of their model (newest, matched by model hash, then name; with lanes, only profiles that measured every one of them) and which have none, with the model to profile.",
      params: z.object({ id: z.string().min(1), lanes: z.array(z.string().min(1)).optional() }).strict(),
      run: async (p): Promise<ScenarioProfiles> => newestProfiles(p.id, { lanes: p.lanes }),
    }),
    'scenarios.profileMissing': method({
      summary: "Profiles every model of a scenario that has no stored profile (scenarios.profiles), on the given lanes, one job with progress and cancel; returns the tenants' profiles after it.",
      params: z
        .object({
          id: z.string().min(1),
          /** Lanes to profile on, e.g. ["cpu:1", "webgpu"] (repeats and "#k" suffixes are folded); default cpu:1. */
          lanes: z.array(z.string().min(1)).min(1).optional(),
          budgetSec: z.number().positive().max(86_400).default(15),
        })
        .strict(),
      job: true,
      run: async (p, ctx): Promise<ScenarioProfiles & { profiled: { model: string; id: string; status: string }[]; lanes: string[] }> => {
        const lanes = [...new Set((p.lanes ?? ['cpu:1']).map((l) => l.replace(/#\d+$/, '')))];
        ctx.progress({ fraction: 0, message: `finding the stored profiles of ${p.id}'s models` });
        const before = await newestProfiles(p.id, { lanes });
        const models = [...new Set(before.missing.map((m) => m.profileArg))];
        if (!models.length) return { ...before, profiled: [], lanes };
        let index = 0;
        let profiles;
        try {
          profiles = await profileModels(await resolveProfileModels(models), {
            lanes,
            budgetSec: p.budgetSec,
            save: true,
            resume: true,
            signal: ctx.signal,
            onProgress: (x) => {
              if (x.phase === 'done') index++;
              const within = x.total ? x.fraction : 0;
              ctx.progress({ fraction: Math.min(1, (Math.min(index, models.length - 1) + (x.phase === 'done' ? 1 : within)) / models.length), message: `${x.model} (${Math.min(index + 1, models.length)} of ${models.length}): ${x.message}` });
            },
          });
        } catch (e) {
          if (ctx.signal.aborted) throw new EngineError(`profiling cancelled: ${(e as Error).message}; the measurements already made are kept in partial profiles that the next run resumes`, 'cancelled', { cause: e });
          throw e;
        }
        const after = await newestProfiles(p.id, { lanes });
        return { ...after, profiled: profiles.map((x) => ({ model: x.model.name, id: x.id, status: x.status })), lanes };
      },
    }),
    'scenarios.import': method({
      summary: 'Copies a validated scenario file (.json, or an XRBench/MAESTRO .m file) into the user library.',
      params: z.object({ path: z.string().min(1), id: z.string().optional(), force: z.boolean().optional(), models: z.enum(['fast', 'none']).optional() }).strict(),
      run: async (p) => importScenario(p.path, { id: p.id, force: p.force, models: p.models }),
    }),
  },
};
