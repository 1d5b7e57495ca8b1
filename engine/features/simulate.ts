// The simulator capability: comparing policies on a scenario in the discrete-event
// simulator (a job: one run per policy and seed, progress after each, cancellable between runs),
// with the timeline of one run; and the trace of one run as Chrome trace JSON (Perfetto) or CSV.
import { z } from 'zod';
import { compareStepwise, metricsOf, runOne, type Comparison } from '../../scheduler/core/compare';
import { LOAD_LADDER, pickSeparatingLoad, type LoadProbe, type SeparatingLoad } from '../../scheduler/core/separate';
import { policyNames } from '../../scheduler/core/policies';
import { chromeTrace, jobsCsv, slicesCsv } from '../../scheduler/core/trace';
import type { SimWorkload } from '../../scheduler/core/types';
import { describeWorkload } from '../../scheduler/core/workload';
import { withGranularity } from '../../scheduler/core/groups';
import { isGranularity, type Granularity } from '../../common/granularity';
import { saveSimulation, type SimulateResult } from '../../scheduler/history/simulations-store';
import { calibrateWorkload } from '../../scheduler/core/calibration';
import { findCalibration } from '../../scheduler/live/machine-calibration';
import { loadSimWorkload, SimWorkloadError, syntheticScenarioRefs } from '../../scheduler/sim-workload';
import { EngineError, method } from '../feature';

/** What to simulate and how: shared by simulate.compare, simulate.trace and the CLI. */
export const simulationParams = z
  .object({
    /** synthetic:<xrbench scenario>[:skewed], or a scenario library id / file (then profiles are needed). */
    scenario: z.string().min(1),
    /** Stored profile ids (or paths) of the scenario's models. */
    profiles: z.array(z.string().min(1)).optional(),
    profileFor: z.record(z.string(), z.string()).optional(),
    lanes: z.array(z.string().min(1)).optional(),
    load: z.number().positive().max(1000).optional(),
    scale: z.number().positive().max(1000).optional(),
    variants: z.boolean().optional(),
    /** Apply the stored machine calibration of these lanes (`tessera calibrate`): interference, dispatch cost, CPU<->CPU copies. Real scenarios only; an error when none is fresh. */
    machineCalibration: z.boolean().optional(),
    durationSec: z.number().positive().max(3600).default(10),
    latencyNoise: z.number().min(0).max(10).default(0.1),
    jobNoise: z.number().min(0).max(10).default(0.1),
    preemption: z.enum(['layer', 'model']).default('layer'),
    /** What one dispatch runs: 'layer', 'model' or 'group:K' (K consecutive layers); overrides preemption when given. */
    granularity: z.string().refine(isGranularity, { message: 'granularity must be layer, model or group:K (e.g. group:4)' }).optional(),
    dropLate: z.boolean().default(false),
    window: z.number().positive().max(60).default(1),
  })
  .strict();

const compareParams = simulationParams.extend({
  policies: z.array(z.string().min(1)).min(1),
  seeds: z.number().int().min(1).max(1000).default(5),
  seed: z.number().int().nonnegative().default(1),
  /** The policy whose first seed's run is returned as a timeline (default dream if compared, else the first). */
  timelinePolicy: z.string().optional(),
  /** At most this many slices in the timeline (the earliest). */
  timelineSlices: z.number().int().positive().max(200_000).default(20_000),
  /** Store the result (simulations.list); default true. */
  save: z.boolean().default(true),
});

const findLoadParams = simulationParams.extend({
  policies: z.array(z.string().min(1)).min(2),
  seed: z.number().int().nonnegative().default(1),
  /** Simulated seconds per probe (one seed each); default the lesser of durationSec and 5. */
  probeSec: z.number().positive().max(60).optional(),
});

/** What a load means, in words (shown with every chosen load). */
export const LOAD_MEANING = 'load = utilisation of the busiest lane with every layer on its fastest lane (frame rates scaled to it; XRBench deadlines follow the frame period); above 1 the lanes cannot keep up';

const traceParams = simulationParams.extend({
  policy: z.string().min(1),
  seed: z.number().int().nonnegative().default(1),
  format: z.enum(['json', 'csv']).default('json'),
});

type SimParams = z.infer<typeof simulationParams>;

export type { SimulateResult, Timeline } from '../../scheduler/history/types';

function checkPolicies(names: string[]): void {
  const known = policyNames();
  for (const p of names) if (!known.includes(p)) throw new EngineError(`unknown policy "${p}"; known policies: ${known.join(', ')}`, 'bad-request');
}

export async function workloadFor(p: SimParams): Promise<SimWorkload> {
  try {
    const w = await loadSimWorkload(p.scenario, { profiles: p.profiles, profileFor: p.profileFor, lanes: p.lanes, load: p.load, scale: p.scale, variants: p.variants });
    if (!p.machineCalibration) return grouped(w, p);
    if (w.latencySource.kind === 'synthetic') throw new EngineError(`machineCalibration: ${p.scenario} has a generated latency table; the calibration applies to measured profiles (give a library scenario with --profile)`, 'bad-request');
    const found = await findCalibration(w.lanes.map((l) => l.id));
    if (!found.calibration) throw new EngineError(`machineCalibration: ${found.reason}`, 'bad-request');
    // One workload for every policy compared: no per-policy decision cost here (the live predictor adds it).
    return grouped(calibrateWorkload(w, found.calibration).workload, p);
  } catch (e) {
    if (e instanceof SimWorkloadError) throw new EngineError(e.message, 'bad-scenario', { cause: e });
    throw e;
  }
}

/** The granularity a simulation runs at: `granularity` when given, else the preemption. */
export const simGranularity = (p: Pick<SimParams, 'granularity' | 'preemption'>): Granularity => (p.granularity as Granularity | undefined) ?? p.preemption;
/** Groups of K layers: the workload's layers grouped (scheduler/core/groups.ts); layer and model: as loaded. */
const grouped = (w: SimWorkload, p: SimParams): SimWorkload => withGranularity(w, simGranularity(p)).workload;

const simOptions = (p: SimParams) => ({ duration: p.durationSec, latencyNoise: p.latencyNoise, jobNoise: p.jobNoise, preemption: simGranularity(p) === 'model' ? ('model' as const) : ('layer' as const), dropLate: p.dropLate, window: p.window });

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export const simulateFeature = {
  name: 'simulate',
  methods: {
    'simulate.scenarios': method({
      summary: 'What the simulator can run: synthetic XRBench workloads (generated latency tables, labelled synthetic) and, with profiles, any library scenario.',
      params: z.object({}).strict(),
      run: async () => ({ synthetic: syntheticScenarioRefs(), note: 'Library scenarios (scenarios.list) simulate with measured profiles of their models.' }),
    }),
    'simulate.compare': method({
      summary: 'Compare policies on a scenario in the simulator: every metric per policy with the spread over seeds, and the timeline of one run.',
      params: compareParams,
      job: true,
      run: async (p, ctx): Promise<SimulateResult> => {
        checkPolicies(p.policies);
        const t0 = performance.now();
        ctx.progress({ fraction: 0, message: `loading ${p.scenario}` });
        const workload = await workloadFor(p);
        const seeds = Array.from({ length: p.seeds }, (_, i) => p.seed + i);
        const steps = compareStepwise(workload, p.policies, { ...simOptions(p), seeds });
        let lastTurn = performance.now();
        let comparison: Comparison;
        for (;;) {
          const step = steps.next();
          if (step.done) {
            comparison = step.value;
            break;
          }
          // Give the engine's event loop a turn between runs: progress goes out, cancel comes in.
          if (performance.now() - lastTurn > 50) {
            ctx.progress({ fraction: step.value.done / step.value.total, message: `${step.value.policy} seed ${step.value.seed} (${step.value.done}/${step.value.total})` });
            await turn();
            lastTurn = performance.now();
          }
          if (ctx.signal.aborted) throw new EngineError(`simulation cancelled after ${step.value.done} of ${step.value.total} runs`, 'cancelled');
        }
        const timelinePolicy = p.timelinePolicy ?? (p.policies.includes('dream') ? 'dream' : p.policies[0]);
        checkPolicies([timelinePolicy]);
        const one = runOne(workload, timelinePolicy, { ...simOptions(p), seed: p.seed, recordSlices: true, metrics: false });
        const slices = [...one.slices].sort((a, b) => a.start - b.start);
        const kept = slices.slice(0, p.timelineSlices);
        const result: SimulateResult = {
          scenario: p.scenario,
          summary: describeWorkload(workload),
          lanes: workload.lanes.map((l) => ({ id: l.id, kind: l.kind, busyWatts: l.busyWatts, idleWatts: l.idleWatts })),
          comparison,
          timeline: {
            policy: timelinePolicy,
            seed: p.seed,
            lanes: workload.lanes.map((l) => l.id),
            tenants: workload.tenants.map((t) => t.id),
            horizon: one.horizon,
            slices: kept.map((s) => [s.tenant, s.lane, s.layer, s.start, s.end, s.kind === 'layer' ? 0 : 1, s.job]),
            truncated: kept.length < slices.length,
            jobs: one.jobs.map((j) => [j.tenant, j.release, j.deadline, Number.isFinite(j.finish) ? j.finish : null, j.dropped]),
          },
          elapsedSec: (performance.now() - t0) / 1000,
        };
        // Every result is stored (the History view and `tessera simulations` list them); a refused write does not lose the result.
        if (!p.save) return result;
        try {
          return saveSimulation(p, result).result;
        } catch (e) {
          return { ...result, saveError: (e as Error).message };
        }
      },
    }),
    'simulate.findLoad': method({
      summary: `Find a load at which the policies differ: short probes (one seed) over loads ${LOAD_LADDER[0]} to ${LOAD_LADDER.at(-1)}, picking the widest spread of miss rates where the best policy still keeps up. ${LOAD_MEANING}.`,
      params: findLoadParams,
      job: true,
      run: async (p, ctx): Promise<SeparatingLoad & { meaning: string; probeSec: number }> => {
        checkPolicies(p.policies);
        const probeSec = p.probeSec ?? Math.min(p.durationSec, 5);
        const options = { ...simOptions(p), duration: probeSec, seed: p.seed, recordSlices: false, metrics: false };
        const probes: LoadProbe[] = [];
        const total = LOAD_LADDER.length * p.policies.length;
        for (const load of LOAD_LADDER) {
          const workload = await workloadFor({ ...p, load });
          const missRate: Record<string, number> = {};
          for (const policy of p.policies) {
            const r = runOne(workload, policy, options);
            missRate[policy] = metricsOf(workload, r, options).overall.missRate;
            const done = probes.length * p.policies.length + Object.keys(missRate).length;
            ctx.progress({ fraction: done / total, message: `load ${load}: ${policy} (${done}/${total})` });
            await turn();
            if (ctx.signal.aborted) throw new EngineError(`finding a load cancelled after ${done} of ${total} probes`, 'cancelled');
          }
          probes.push({ load, missRate });
        }
        return { ...pickSeparatingLoad(probes), meaning: LOAD_MEANING, probeSec };
      },
    }),
    'simulate.trace': method({
      summary: 'The trace of one simulated run: Chrome trace-event JSON (open in https://ui.perfetto.dev: a track per lane, a slice per layer, a flow per job) or CSV (slices, then jobs).',
      params: traceParams,
      run: async (p): Promise<{ filename: string; format: 'json' | 'csv'; content: string; jobsCsv?: string }> => {
        checkPolicies([p.policy]);
        const workload = await workloadFor(p);
        const one = runOne(workload, p.policy, { ...simOptions(p), seed: p.seed, recordSlices: true, metrics: false });
        const base = `${p.scenario.replace(/[^A-Za-z0-9._-]+/g, '_')}-${p.policy}-seed${p.seed}`;
        if (p.format === 'csv') return { filename: `${base}.csv`, format: 'csv', content: slicesCsv(workload, one.slices), jobsCsv: jobsCsv(workload, one.jobs) };
        return { filename: `${base}.trace.json`, format: 'json', content: JSON.stringify(chromeTrace(workload, one, { policy: p.policy, seed: p.seed, scenario: p.scenario })) };
      },
    }),
  },
};
