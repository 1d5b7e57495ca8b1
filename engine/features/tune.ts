// The tuner capability: tune.run searches schedules for a scenario in the simulator (a job: progress
// after every round of simulations, cancellable, resumable from a checkpoint), optionally validates
// the result live, and writes the tuned schedule file (schedule.* in schedule.ts reads them).
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { TESSERA_VERSION } from '../../base/version';
import { profileModels } from '../../profiler/profile';
import { loadProfile } from '../../profiler/store';
import { runVariants } from '../../profiler/variants/run';
import { DEFAULT_SPACE, MAX_SPEED_DRIFT, RATE, runInterval, speedDrift, type SpeedDriftEstimate, describeCandidate, infeasibleTenants, LIVE_SPACE, OBJECTIVES, simulatorOnlyLevers, tenantsWithVariants, type CandidateSummary, type ObjectiveKind, type TuneResult } from '../../scheduler/core/tune';
import { makeSchedule, schedulePath, writeSchedule } from '../../scheduler/schedule/file';
import type { Schedule } from '../../scheduler/schedule/format';
import { validateLive, type Validation } from '../../scheduler/schedule/replay';
import { substituteVariants } from '../../scheduler/live/variant-exec';
import { storeSchedule, type StoredSchedule } from '../../scheduler/schedule/store';
import { defaultLanes, type LiveLevers } from '../../scheduler/live';
import { buildTuneProblem, driftChecks, matchGivenProfiles, newestProfiles, runTune, TuneCancelled, type TuneProblem } from '../../scheduler/tune-run';
import { loadScenario } from '../../workloads/scenario-library';
import { EngineError, method } from '../feature';
import { resolveProfileModels } from './profile';

const objectiveKinds = Object.keys(OBJECTIVES) as [ObjectiveKind, ...ObjectiveKind[]];

export const tuneRunParams = z
  .object({
    /** A scenario library id or file (its models' profiles are needed). */
    scenario: z.string().min(1),
    /** Stored profile ids; default the newest stored profile of each tenant's model. */
    profiles: z.array(z.string().min(1)).optional(),
    /** Profile the models that have no stored profile first (short profiles). */
    profileMissing: z.boolean().default(false),
    /** Budget of each such profile, seconds. */
    profileBudgetSec: z.number().positive().max(3600).default(20),
    /** Lanes for --profile-missing (default cpu:1 and the live runtime's default CPU lane, so that the tuner can try both splits of the cores). */
    profileLanes: z.array(z.string().min(1)).optional(),
    /** Lane layouts to search (each a list of lane ids); default: from the lanes the profiles measured. */
    layouts: z.array(z.array(z.string().min(1)).min(1)).optional(),
    load: z.number().positive().max(1000).optional(),
    /** What `load` costs a frame at: the layers' sum (default) or the measured whole model (tune-run.ts ProblemOptions). */
    loadGranularity: z.enum(['layer', 'model']).default('layer'),
    scale: z.number().positive().max(1000).optional(),
    objective: z.enum(objectiveKinds).default('uxcost'),
    energyCapWatts: z.number().positive().optional(),
    /** Candidates to try (baselines not counted). */
    candidates: z.number().int().min(1).max(100_000).default(64),
    /** Wall-clock budget (s): stops at the first batch boundary after it. */
    budgetSec: z.number().positive().max(86_400).optional(),
    seed: z.number().int().nonnegative().default(1),
    simSeeds: z.number().int().min(1).max(50).default(5),
    durationSec: z.number().positive().max(600).default(10),
    latencyNoise: z.number().min(0).max(10).default(0.1),
    /**
     * The machine's run-to-run speed variation (SimSettings.speedDrift): log-normal sd of a
     * per-simulation factor on every latency; 0 turns it off. Absent: estimated from the profiles'
     * whole-model drift checks (scheduler/core/tune/speed-drift.ts), the default when they have too few.
     */
    speedDrift: z.number().min(0).max(MAX_SPEED_DRIFT).optional(),
    jobNoise: z.number().min(0).max(10).default(0.1),
    workers: z.number().int().min(0).max(256).optional(),
    policies: z.array(z.string().min(1)).optional(),
    /** Also search the per-tenant 'policy' variant choice (the policy picks among the profile's measured variants), which the live runtime cannot apply: such schedules replay with the original layers. Pinning, late drop and 'original' / 'fastest' variant choices are searched either way (the live runtime applies them). */
    simulatorOnly: z.boolean().default(false),
    /** Apply the stored machine calibration (tessera calibrate) to every layout's latencies (tune-run.ts ProblemOptions.machineCalibration). */
    machineCalibration: z.boolean().default(false),
    /** Validate live: run the best untuned policy and the top tuned schedules on this machine for this long each (0: no validation). */
    validateSec: z.number().min(0).max(600).default(0),
    /** How many of the top tuned candidates (distinct figures) to validate live. */
    validateTop: z.number().int().min(1).max(10).default(3),
    /** Write the schedule here. */
    out: z.string().min(1).optional(),
    checkpoint: z.string().min(1).optional(),
    resume: z.boolean().default(false),
  })
  .strict();

export interface TuneRunResult {
  scenario: string;
  layouts: string[][];
  profiles: Record<string, string>;
  profiled: string[];
  rateScale: number;
  /** Per layout, the machine calibration applied (machineCalibration). */
  calibration?: TuneProblem['calibration'];
  /** The speed drift simulated, and where it comes from (given, measured from the profiles' drift checks, or the default). */
  speedDrift: SpeedDriftEstimate;
  /** Tenants whose whole model cannot take some of their layer variants (TenantDef.notInWholeModel): at model granularity their fixed picks leave those out. */
  wholeModelLimits?: { tenant: string; reason: string }[];
  result: TuneResult;
  /** Tenant ids in scenario order, and those with measured layer variants (their 'policy' choice is simulator-only: simulatorOnlyLevers). */
  tenants: string[];
  variantTenants: number[];
  wallSec: number;
  workers: number;
  schedule?: Schedule;
  out?: string;
  /** Where the schedule was stored (the app's Export view lists stored schedules). */
  stored?: StoredSchedule;
  /** Live validation (validateSec > 0): the best untuned policy and the top tuned candidates, predicted vs measured. */
  validation?: LiveCheck[];
  /** Validation runs that failed (the others still ran, and the search's result stands): which, and why. */
  validationFailed?: LiveCheckFailure[];
}

export interface LiveCheckFailure {
  which: 'tuned' | 'untuned';
  rank: number;
  candidate: string;
  policy: string;
  error: string;
}

export interface LiveCheck {
  which: 'tuned' | 'untuned';
  /** Tuned: 1 = the best; untuned: 0. */
  rank: number;
  candidate: string;
  policy: string;
  lanes: string[];
  predictedMissRate: number | null;
  /** One run's 95% prediction interval of the miss rate (core/tune runInterval): what a single live run of this length may show if the prediction holds. */
  predictedMissRange?: [number, number];
  measuredMissRate: number;
  predictedEnergyJ: number | null;
  measuredEnergyJ: number;
  energySource: string;
  /** What of the candidate the live run could not apply (it ran without it): 'policy' variant choices, fixed variants it could not make here. */
  notAppliedLive: string[];
  /** What the live run applied beyond policy, lanes, granularity and queue bound: pins, late drop, fixed layer variants. */
  appliedLive?: string[];
  runId: string;
  perTenant: Validation['perTenant'];
  /** The run re-simulated with the latencies it learnt, and their range against the prediction's (replay.ts ReplayResult.report). */
  hindsightMissRate?: number;
  learntRatios?: [number, number];
}

/** The top `n` tuned candidates whose figures differ (configurations that change nothing here count once). */
export function distinctTop(top: readonly CandidateSummary[], n: number): CandidateSummary[] {
  const out: CandidateSummary[] = [];
  for (const s of top) {
    if (out.length >= n) break;
    if (!out.some((o) => o.missRate.mean === s.missRate.mean && o.energyJ.mean === s.energyJ.mean)) out.push(s);
  }
  return out;
}

export const tuneFeature = {
  name: 'tune',
  methods: {
    'tune.run': method({
      summary: 'Tune a schedule for a scenario: search policy, parameters, lane layout and granularity in the simulator on the stored profiles; Pareto front of misses vs energy; writes the tuned schedule file.',
      params: tuneRunParams,
      job: true,
      run: async (p, ctx): Promise<TuneRunResult> => {
        if (p.objective === 'miss-under-cap' && p.energyCapWatts === undefined) throw new EngineError('objective miss-under-cap needs energyCapWatts (CLI: --energy-cap W)', 'bad-request');
        let loaded;
        try {
          loaded = loadScenario(p.scenario);
        } catch (e) {
          throw new EngineError((e as Error).message, 'bad-scenario', { cause: e });
        }
        ctx.progress({ fraction: 0, message: `finding profiles of ${p.scenario}'s models` });
        let profileFor: Record<string, string>;
        const profiled: string[] = [];
        if (p.profiles?.length) {
          try {
            profileFor = await matchGivenProfiles(p.scenario, p.profiles);
          } catch (e) {
            throw new EngineError((e as Error).message, 'bad-profile', { cause: e });
          }
        } else {
          let found = await newestProfiles(p.scenario);
          if (found.missing.length && p.profileMissing) {
            const lanes = p.profileLanes ?? [...new Set(['cpu:1', ...defaultLanes().map((l) => l.id.replace(/#\d+$/, '')), `cpu:${Math.min(availableParallelism(), 2)}`])];
            const models = [...new Set(found.missing.map((m) => m.profileArg))];
            ctx.progress({ fraction: 0, message: `profiling ${models.join(', ')} on ${lanes.join(', ')} (${p.profileBudgetSec} s each)` });
            await profileModels(await resolveProfileModels(models), { lanes, budgetSec: p.profileBudgetSec, save: true, signal: ctx.signal, onProgress: (x) => ctx.progress({ message: `profiling ${x.model}: ${x.message}` }) });
            profiled.push(...models);
            found = await newestProfiles(p.scenario);
          }
          if (found.missing.length) {
            throw new EngineError(
              `no stored profile for ${found.missing.map((m) => `tenant "${m.tenant}" (model ${m.model})`).join(', ')}: run ${[...new Set(found.missing.map((m) => `tessera profile ${m.profileArg} --lanes cpu:1,cpu:2`))].join(' and ')}, or tune with --profile-missing`,
              'bad-scenario',
            );
          }
          profileFor = found.found;
        }
        let problem = await buildTuneProblem(p.scenario, { profileFor, layouts: p.layouts, load: p.load, loadGranularity: p.loadGranularity, scale: p.scale, machineCalibration: p.machineCalibration });
        // --profile-missing: a tenant that misses its deadline even alone may make it with faster
        // layer variants (searched as variant choices): measure them for its model (if its profile
        // has none) before searching.
        if (p.profileMissing && !p.profiles?.length) {
          const stuck = infeasibleTenants(problem.layouts, false);
          const ids = [...new Set(stuck.map((x) => profileFor[x.tenant]))].filter((id) => !loadProfile(id).variantRun);
          for (const id of ids) {
            ctx.progress({ message: `${stuck.map((x) => x.tenant).join(', ')} cannot meet the deadline alone: measuring layer variants of ${id} (${p.profileBudgetSec} s per lane)` });
            let inputValues;
            try {
              inputValues = (await resolveProfileModels([loadProfile(id).model.name]))[0].inputValues;
            } catch {
              inputValues = undefined;
            }
            await runVariants({ profile: id }, { budgetSec: p.profileBudgetSec, inputValues, signal: ctx.signal, onProgress: (x) => ctx.progress({ message: `variants of ${id}: ${x.message}` }) });
            profiled.push(`${id} (layer variants)`);
          }
          if (ids.length) problem = await buildTuneProblem(p.scenario, { profileFor, layouts: p.layouts, load: p.load, loadGranularity: p.loadGranularity, scale: p.scale, machineCalibration: p.machineCalibration });
        }
        const space = { ...(p.simulatorOnly ? DEFAULT_SPACE : LIVE_SPACE), ...(p.policies ? { policies: p.policies } : {}) };
        const drift = speedDrift(driftChecks(problem.profiles), p.speedDrift);
        let outcome;
        try {
          outcome = await runTune(problem.layouts, {
            objective: { kind: p.objective, ...(p.energyCapWatts !== undefined ? { energyCapWatts: p.energyCapWatts } : {}) },
            space,
            sim: { duration: p.durationSec, latencyNoise: p.latencyNoise, jobNoise: p.jobNoise, window: 0.5, speedDrift: drift.sd },
            seed: p.seed,
            simSeeds: p.simSeeds,
            maxCandidates: p.candidates,
            ...(p.budgetSec !== undefined ? { budgetSec: p.budgetSec } : {}),
            ...(p.workers !== undefined ? { workers: p.workers } : {}),
            ...(p.checkpoint ? { checkpointFile: p.checkpoint, resume: p.resume } : {}),
            // An infeasible tenant is reported and marked in the schedule; the others are still tuned.
            whenInfeasible: 'search',
            signal: ctx.signal,
            onProgress: (x) =>
              ctx.progress({
                fraction: Math.min(1, Math.max(x.candidatesTried / x.maxCandidates, p.budgetSec ? x.elapsedSec / p.budgetSec : 0)),
                message: `${x.phase}: ${x.candidatesTried}${p.budgetSec ? ` candidates (${x.elapsedSec.toFixed(0)}/${p.budgetSec} s)` : `/${x.maxCandidates} candidates`}, ${x.simulations} simulations${x.best !== undefined && Number.isFinite(x.best) ? `, best ${x.best.toFixed(4)}` : ''}`,
                detail: x,
              }),
          });
        } catch (e) {
          if (e instanceof TuneCancelled) throw e;
          throw new EngineError(`tuning ${p.scenario}: ${(e as Error).message}`, 'failed', { cause: e });
        }
        const out: TuneRunResult = { scenario: p.scenario, layouts: problem.layouts.map((l) => l.lanes), profiles: profileFor, profiled, rateScale: problem.rateScale, ...(problem.calibration ? { calibration: problem.calibration } : {}), speedDrift: drift, ...wholeModelLimits(problem), result: outcome.result, tenants: problem.scenario.tenants.map((t) => t.id), variantTenants: tenantsWithVariants(problem.layouts[0].workload), wallSec: outcome.wallSec, workers: outcome.workers };
        if (outcome.result.status !== 'infeasible' && outcome.result.best) {
          out.schedule = await makeSchedule(problem, outcome, { tesseraVersion: TESSERA_VERSION, scenarioBaseDir: loaded.baseDir, speedDriftBasis: drift.detail });
          if (p.validateSec > 0) {
            out.validation = [];
            const layoutIds = problem.layouts.map((l) => l.lanes.join('+'));
            const tenantIds = problem.scenario.tenants.map((t) => t.id);
            const picks: { which: 'tuned' | 'untuned'; rank: number; pick: CandidateSummary }[] = [
              ...(outcome.result.bestBaseline ? [{ which: 'untuned' as const, rank: 0, pick: outcome.result.bestBaseline }] : []),
              ...distinctTop(outcome.result.top, p.validateTop).map((pick, i) => ({ which: 'tuned' as const, rank: i + 1, pick })),
            ];
            for (const { which, rank, pick } of picks) {
              const label = which === 'untuned' ? 'the best untuned policy' : `tuned #${rank}`;
              const s = rank === 1 ? out.schedule : await makeSchedule(problem, outcome, { tesseraVersion: TESSERA_VERSION, scenarioBaseDir: loaded.baseDir, speedDriftBasis: drift.detail, pick });
              ctx.progress({ message: `validating ${label} live (${p.validateSec} s)` });
              try {
                const v = await validateLive(s, p.validateSec, { signal: ctx.signal, onProgress: (m) => ctx.progress({ message: `validating ${label}: ${m}` }), substituteVariants });
                if (rank === 1) out.schedule.provenance.validation.push(v.validation);
                out.validation.push({
                  which,
                  rank,
                  candidate: describeCandidate(pick.candidate, layoutIds),
                  policy: s.policy.spec,
                  lanes: s.lanes,
                  predictedMissRate: s.predicted.overall.missRate.mean,
                  ...withRange(runInterval(pick.missRate, RATE)),
                  measuredMissRate: v.validation.measured.missRate,
                  predictedEnergyJ: s.predicted.overall.energyJ.mean,
                  measuredEnergyJ: v.validation.measured.energyJ,
                  energySource: v.replay.report.energy.source.kind,
                  notAppliedLive: [
                    ...simulatorOnlyLevers(pick.candidate, tenantIds, tenantsWithVariants(problem.layouts[pick.candidate.layout].workload)),
                    // What the run could not apply of what the runtime supports (a fixed variant it could not make or verify here).
                    ...notAppliedText((v.replay.report.levers?.variants ?? []).filter((x) => !x.applied)),
                  ],
                  ...(v.replay.report.levers ? { appliedLive: appliedText(v.replay.report.levers) } : {}),
                  runId: v.validation.runId,
                  perTenant: v.validation.perTenant,
                  ...(v.replay.report.hindsightMissRate !== undefined ? { hindsightMissRate: v.replay.report.hindsightMissRate } : {}),
                  ...(v.replay.report.learntRatios ? { learntRatios: v.replay.report.learntRatios } : {}),
                });
              } catch (e) {
                if (ctx.signal.aborted) throw new EngineError(`live validation of ${label}: ${(e as Error).message}`, 'cancelled', { cause: e });
                // One candidate that cannot run here (a model this machine cannot load, say) loses its own row, not the search.
                (out.validationFailed ??= []).push({ which, rank, candidate: describeCandidate(pick.candidate, layoutIds), policy: s.policy.spec, error: (e as Error).message });
              }
            }
          }
          if (p.out) {
            out.out = schedulePath(p.out);
            writeSchedule(out.out, out.schedule);
          }
          out.stored = storeSchedule(out.schedule, 'tune');
        }
        return out;
      },
    }),
  },
};

const wholeModelLimits = (problem: TuneProblem): Pick<TuneRunResult, 'wholeModelLimits'> => {
  const limits = problem.layouts[0].workload.tenants.flatMap((t) => (t.notInWholeModel ? [{ tenant: t.id, reason: t.notInWholeModel.reason }] : []));
  return limits.length ? { wholeModelLimits: limits } : {};
};

const withRange = (r: { lo: number; hi: number } | null): { predictedMissRange?: [number, number] } => (r ? { predictedMissRange: [r.lo, r.hi] } : {});

/**
 * Fixed variants a live run could not apply, in words: one entry per tenant and reason (a whole model
 * that could take none of them lists each pick once, not the same reason once per pick).
 */
export function notAppliedText(vs: readonly LiveLevers['variants'][number][]): string[] {
  const groups = new Map<string, LiveLevers['variants'][number][]>();
  for (const x of vs) {
    const k = JSON.stringify([x.tenant, x.reason ?? '']);
    groups.set(k, [...(groups.get(k) ?? []), x]);
  }
  return [...groups.values()].map((g) => (g.length === 1 ? `variant ${g[0].variant} of ${g[0].tenant} layer ${g[0].layer}` : `${g.length} variants of ${g[0].tenant} (${g.map((x) => `${x.variant} on ${x.layer}`).join(', ')})`) + (g[0].reason ? ` (${g[0].reason})` : ''));
}

/** The levers a validation run applied beyond policy, lanes, granularity and queue bound, in words. */
export function appliedText(l: LiveLevers): string[] {
  const out: string[] = [];
  if (l.pins.length) out.push(`pins ${l.pins.map((p) => `${p.tenant}->${p.lane}`).join(', ')}`);
  if (l.dropLate) out.push('late drop');
  const v = l.variants.filter((x) => x.applied);
  if (v.length) out.push(`${v.length} fixed layer variant(s) (${[...new Set(v.map((x) => x.tenant))].join(', ')})`);
  return out;
}
