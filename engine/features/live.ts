// The live runtime capability: run a scenario for real on this machine's lanes under any policy,
// with telemetry streamed as 'live.telemetry' events (batched, 10 per second by default), stop a run
// (keeping what was measured), switch its policy mid-run, list the runs in progress.
//
// Telemetry event (topic 'live.telemetry', declared below with its payload type), one batch per tick: see TelemetryBatch in
// scheduler/live/types.ts: { runId, seq, t, phase, policy, policyState, tenants[], lanes[], jobs[],
// slices[], omitted, ratios[][], power { watts, joules, source }, loop { maxMs, p99Ms (since the start), tickMaxMs (this batch) } }.
import { z } from 'zod';
import { loadProfile } from '../../profiler/store';
import { findCalibration } from '../../scheduler/live/machine-calibration';
import type { Profile } from '../../profiler/types';
import { policyNames } from '../../scheduler/core/policies';
import { LiveRun, LiveSetupError, defaultLanes, fromScenario, loadLiveScenario, parseLanes, type LiveReport, type TelemetryBatch } from '../../scheduler/live';
import { parseScenario } from '../../workloads/scenario';
import { EngineError, emitter, event, method } from '../feature';
import { TOPICS } from '../topics';
import { isGranularity, type Granularity } from '../../common/granularity';
import { attachModelVariants, attachVariants } from '../../scheduler/live/variant-exec';

const liveEvents = {
  [TOPICS.liveTelemetry]: event<TelemetryBatch>('One telemetry batch per tick of a running live run (see TelemetryBatch).'),
};
const emit = emitter(liveEvents);

const runs = new Map<string, LiveRun>();

export const liveStartParams = z
  .object({
    /** "demo", "demo:tiny", a scenario file path, or a scenario document (workloads format). */
    scenario: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
    policy: z.string().min(1),
    durationSec: z.number().positive().max(7 * 86_400),
    /** e.g. "cpu:1,cpu:1" or "cpu:4,webgpu"; default two CPU lanes splitting the cores. */
    lanes: z.string().min(1).optional(),
    /** What one dispatch runs: 'model', 'layer' or 'group:K' (K consecutive cut layers). */
    granularity: z.string().refine(isGranularity, { message: 'granularity must be model, layer or group:K (e.g. group:2)' }).optional(),
    scale: z.number().positive().max(1000).optional(),
    /** Scale the rates so the busiest lane is this busy (every layer on its fastest lane, by the run's latency table). */
    load: z.number().positive().max(10).optional(),
    /** false: predict without the stored machine calibration (default: use it when fresh). */
    machineCalibration: z.boolean().optional(),
    seed: z.number().int().nonnegative().optional(),
    /** Stored profile ids or paths to plan with; without them, a short calibration on the lanes. */
    profiles: z.array(z.string().min(1)).optional(),
    /** Client-chosen run id (so it can stop the run before the first event); default generated. */
    runId: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).optional(),
    maxQueuePerTenant: z.number().int().positive().max(10_000).optional(),
    telemetryHz: z.number().min(1).max(60).optional(),
    isolation: z.enum(['thread', 'process']).optional(),
    /** Inject lane failures (demos and tests): lane id or index, run time in seconds. */
    faults: z.array(z.object({ lane: z.union([z.string(), z.number().int().nonnegative()]), at: z.number().nonnegative() }).strict()).optional(),
    writeFiles: z.boolean().optional(),
    /** Scheduled policy switches (the CLI's --switch edf@5s): at run time `at` seconds, switch to `policy`. */
    switches: z.array(z.object({ policy: z.string().min(1), at: z.number().nonnegative() }).strict()).max(100).optional(),
    /** Layer variants to generate, verify, load on every lane and offer the policy (layer granularity), e.g. "exact,fp16,lowrank". */
    variants: z.string().min(1).max(200).optional(),
    /** Model-level variants (model granularity), e.g. "resolution=0.75,arch-prune"; "none" turns off a profile's; absent: the profiles' (tenants with whitelist limits). */
    modelVariants: z.string().min(1).max(200).optional(),
  })
  .strict();

export type LiveStartParams = z.infer<typeof liveStartParams>;

/** A policy name without its JSON parameters (`dream{"dropMargin":0.4}` -> dream; createPolicy() checks the parameters). */
const baseName = (policy: string) => policy.replace(/\{.*$/s, '');

/** Validates the parameters and builds the run (without starting it). Shared with the CLI. */
export async function createLiveRun(params: LiveStartParams, hooks: ConstructorParameters<typeof LiveRun>[2]): Promise<LiveRun> {
  if (!policyNames().includes(baseName(params.policy))) throw new EngineError(`unknown policy "${params.policy}"; known policies: ${policyNames().join(', ')}`, 'bad-request');
  for (const sw of params.switches ?? []) {
    if (!policyNames().includes(baseName(sw.policy))) throw new EngineError(`switches: unknown policy "${sw.policy}"; known policies: ${policyNames().join(', ')}`, 'bad-request');
    if (sw.at >= params.durationSec) throw new EngineError(`switches: ${sw.policy} at ${sw.at} s is not before the end of the run (${params.durationSec} s); give a time under the duration`, 'bad-request');
  }
  if (params.runId && runs.has(params.runId)) throw new EngineError(`a live run with id "${params.runId}" is already running`, 'bad-request');
  const scenario = typeof params.scenario === 'string' ? await loadLiveScenario(params.scenario) : await fromScenario(parseScenario(params.scenario, 'scenario'));
  let lanes;
  try {
    lanes = params.lanes ? parseLanes(params.lanes) : defaultLanes();
  } catch (e) {
    throw new LiveSetupError((e as Error).message);
  }
  const profiles: Profile[] = [];
  for (const id of params.profiles ?? []) {
    try {
      profiles.push(loadProfile(id));
    } catch (e) {
      throw new LiveSetupError(`profile ${id}: ${(e as Error).message}`);
    }
  }
  // The stored machine calibration for these lanes, when one is fresh (`tessera calibrate` makes it);
  // without one the run predicts with what it measures itself, and the report says so.
  const found = params.machineCalibration === false ? undefined : await findCalibration(lanes.map((l) => l.id));
  if (found && !found.calibration) hooks?.onProgress?.(found.reason);
  return new LiveRun(
    scenario,
    {
      policy: params.policy,
      machineCalibration: found?.calibration,
      duration: params.durationSec,
      lanes,
      granularity: params.granularity as Granularity | undefined,
      scale: params.scale,
      load: params.load,
      seed: params.seed,
      profiles,
      runId: params.runId,
      maxQueuePerTenant: params.maxQueuePerTenant,
      telemetryHz: params.telemetryHz,
      isolation: params.isolation,
      faults: params.faults,
      writeFiles: params.writeFiles,
      variants: params.variants,
      modelVariants: params.modelVariants,
    },
    { ...hooks, attachVariants, attachModelVariants },
  );
}

export const liveFeature = {
  name: 'live',
  events: liveEvents,
  methods: {
    'live.start': method({
      summary: 'Run a scenario for real on the local lanes under a policy; streams live.telemetry events; returns the report (metrics, predicted vs measured, trace path).',
      params: liveStartParams,
      job: true,
      run: async (params, ctx): Promise<LiveReport> => {
        let lastProgress = 0;
        let id = params.runId ?? '';
        // Scheduled switches fire on the first telemetry tick at or after their time (10 Hz by default).
        const pending = [...(params.switches ?? [])].sort((a, b) => a.at - b.at);
        const run = await createLiveRun(params, {
          onProgress: (message) => ctx.progress({ message, detail: { runId: id, phase: 'setup' } }),
          onTelemetry: (batch: TelemetryBatch) => {
            while (pending.length && batch.phase === 'running' && batch.t >= pending[0].at) run.setPolicy(pending.shift()!.policy);
            emit(ctx, TOPICS.liveTelemetry, batch);
            const now = performance.now();
            if (now - lastProgress >= 500 || batch.phase === 'done') {
              lastProgress = now;
              ctx.progress({ fraction: Math.min(1, batch.t / params.durationSec), message: `${batch.phase} ${batch.t.toFixed(1)} / ${params.durationSec} s`, detail: { runId: batch.runId, phase: batch.phase } });
            }
          },
        });
        id = run.id;
        runs.set(run.id, run);
        ctx.progress({ fraction: 0, message: 'setting up', detail: { runId: run.id, phase: 'setup' } });
        try {
          return (await run.run(ctx.signal)).report;
        } finally {
          runs.delete(run.id);
        }
      },
    }),
    'live.stop': method({
      summary: 'Stop a live run by id; it ends with everything measured so far (live.start returns its report).',
      params: z.object({ runId: z.string().min(1) }).strict(),
      run: async ({ runId }): Promise<{ runId: string; stopping: boolean }> => {
        const run = runs.get(runId);
        if (!run) throw new EngineError(`no live run "${runId}" (running: ${[...runs.keys()].join(', ') || 'none'})`, 'not-found');
        run.stop('stopped by live.stop');
        return { runId, stopping: true };
      },
    }),
    'live.setPolicy': method({
      summary: 'Switch the policy of a live run without restarting it.',
      params: z.object({ runId: z.string().min(1), policy: z.string().min(1) }).strict(),
      run: async ({ runId, policy }): Promise<{ runId: string; policy: string }> => {
        const run = runs.get(runId);
        if (!run) throw new EngineError(`no live run "${runId}"`, 'not-found');
        if (!policyNames().includes(baseName(policy))) throw new EngineError(`unknown policy "${policy}"; known policies: ${policyNames().join(', ')}`, 'bad-request');
        run.setPolicy(policy);
        return { runId, policy };
      },
    }),
    'live.list': method({
      summary: 'Live runs in progress.',
      params: z.object({}).strict(),
      run: async (): Promise<{ id: string; phase: string; policy: string; scenario: string; elapsed: number; duration: number }[]> => [...runs.values()].map((r) => r.state),
    }),
  },
};
