// The live runtime: a scenario run for real on the local lanes, under any policy of the registry,
// through the SAME policy interface as the simulator (scheduler/core/types.ts). At every event
// (frame release, layer finished, lane failure, telemetry tick) it builds the policy's Snapshot from
// live state and applies its Decision: drops, and (job, layer, lane) runs that it sends to the
// lanes' workers. Inference never runs on this thread: it decides, moves messages, keeps the books.
//
// The job lifecycle is the simulator's own: scheduler/core/jobs.ts' JobBook releases frames (same
// release times and cascade outcomes, arrivals.ts; same bounded per-tenant queue), applies and
// validates decisions (an invalid one fails the run), drops with a cause and cascades, counts, and
// sends the job, layer and window feedback to adaptive policies; the prediction model and its online
// refinement are core/predict.ts'. What stays here is live: workers and where each job's activations
// are, lane failures and fault injection, the clock, telemetry, energy, and the report at the end.
import { randomUUID } from 'node:crypto';
import { DROP_REASON_TEXT, Job, JobBook, type DropReason } from '../core/jobs';
import { createPolicy } from '../core/policies';
import { PredictionModel } from '../core/predict';
import { relativeDeadline, type JobState, type LaneDef, type LaneState, type Policy, type SimWorkload, type Snapshot, type TenantDef } from '../core/types';
import { applyPins, validateTenants, validateWorkload } from '../core/workload';
import { ArrivalStream } from './arrivals';
import { buildLatencyTable, calibratedTable, type LatencyTable } from './calibrate';
import { expectedUtilisation, type BackgroundLoad } from '../core/calibration';
import { measureBackground } from './background';
import { AlarmClock } from './clock';
import { LiveEnergy, laneWatts } from './energy';
import { LaneClient } from './lane-client';
import { LoopMonitor } from './loop-monitor';
import { deepenDemoRef } from './demo';
import { keepSets, LiveSetupError, resolveExecModel, type ModelVariantAttacher, type ModelVariantRequest, type PickOutcome, type VariantAttacher, type VariantSubstituter } from './models';
import { namesModelKind } from '../../profiler/variants/model-kind-ids';
import { busiestUtilisation } from '../sim-workload';
import { buildWhitelist, hasLimits } from '../core/whitelist';
import type { FromLane } from './protocol';
import { RunRecords } from './records';
import { assembleReport, buildReport, type RunBooks } from './report';
import { RunJournal } from './run-journal';
import type { ExecModel, FrameOutcome, LiveJobRecord, LiveLevers, LiveOptions, LiveReport, LiveScenario, LiveSlice, LiveTenantSpec, ModelSwitchEvent, ResolvedLiveOptions, TelemetryBatch, WireTensor } from './types';

export type { LiveJobRecord, LiveSlice, ResolvedLiveOptions } from './types';
import { scaleTenantTiming } from '../../workloads/rate-scaling';
import type { LaneSpec, Profile } from '../../profiler/types';

/** Load targets never ask the dispatching thread for more layer runs per second than this. */
const MAX_DISPATCH_PER_SEC = 1000;
const LOC_NONE = -2; // fresh frame: its inputs are the tenant's samples, present on every lane
const LOC_MAIN = -1; // activations parked on the main thread

/** A frame in the live run: the books' job (its record too) plus where its activations are. */
class LiveJob extends Job implements LiveJobRecord {
  abandoned?: boolean = undefined;
  attempts = 1;
  loc = LOC_NONE;
  /** Lane its activations are being parked from, -1 when none. */
  parkingFrom = -1;
  /** Lane waiting for this job's parked activations, -1 when none. */
  forwardTo = -1;
  tensors?: Record<string, WireTensor> = undefined;
  attempt = 0;
  /** Current dispatch: when the move of its activations began (µs since origin), NaN when none. */
  moveStartUs = NaN;
  moveBytes = 0;
  /** Profiled latency of the layer running now. */
  profiled = 0;
  variant = 0;
  /** A submitted frame: its inputs (kept until it ends: a lane failure reruns it), outputs, and who waits for them. */
  feeds?: Record<string, WireTensor> = undefined;
  outputs?: Record<string, WireTensor> = undefined;
  settle?: (outcome: FrameOutcome) => void = undefined;
  constructor(
    id: number,
    tenant: number,
    frame: number,
    release: number,
    deadline: number,
    priority: number,
    layerCount: number,
    upstream: number,
    isolated: number,
    /** When the runtime saw the release (its clock's lateness is part of the latency). */
    readonly seen: number,
  ) {
    super(id, tenant, frame, release, deadline, priority, layerCount, upstream, isolated);
  }
}

interface LaneRt {
  index: number;
  client: LaneClient;
  state: LaneState;
  job: LiveJob | undefined;
  held: Set<number>;
  busyUs: number;
  tickBusyUs: number;
  runs: number;
  overheadS: number;
  failure?: { at: number; reason: string };
  seq: number;
}

export interface LiveHooks {
  onTelemetry?: (batch: TelemetryBatch) => void;
  /** Setup progress (model loading, calibration). */
  onProgress?: (message: string) => void;
  /** Makes the policy for a name (default: the registry's createPolicy); for tests and embedders. */
  createPolicy?: (name: string) => Policy;
  /** Generates layer variants for `variants` runs (scheduler/live/variant-exec.ts attachVariants; the engine passes it). */
  attachVariants?: VariantAttacher;
  /** Makes model-level variants (`modelVariants`, or a profile's; variant-exec.ts attachModelVariants; the engine passes it). */
  attachModelVariants?: ModelVariantAttacher;
  /** Makes a schedule's fixed variant picks (`variantPicks`; variant-exec.ts substituteVariants; the engine and the CLI pass it). */
  substituteVariants?: VariantSubstituter;
  /** Setup is done and the run takes frames (submit() may be called from now on). */
  onRunning?: () => void;
}

export interface LiveResult {
  report: LiveReport;
  jobs: LiveJobRecord[];
  slices: LiveSlice[];
  workload: SimWorkload;
}

type Phase = 'setup' | 'running' | 'draining' | 'stopping' | 'done';

export class LiveRun {
  readonly id: string;
  readonly options: ResolvedLiveOptions;
  private phase: Phase = 'setup';
  private policy: Policy;
  private policyName: string;
  private readonly switches: { at: number; policy: string }[] = [];
  /** The run's time base: µs since `origin` (hrtime); run time (s) counts from the first release. */
  private readonly time = { origin: process.hrtime.bigint(), startUs: NaN, endUs: NaN, startedAt: undefined as string | undefined, releasedUntil: 0 };
  private lanes: LaneRt[] = [];
  private laneStates: LaneState[] = [];
  private execs: ExecModel[] = [];
  /** The workload as planned (the prediction runs on it). */
  private workload!: SimWorkload;
  /** The workload the policy sees now (lanes that failed have no costs; pins applied). */
  private current!: SimWorkload;
  /** `current` before the pins: a lane failure is applied here, then the pins again (a tenant pinned to a dead lane gets the others). */
  private unpinned!: SimWorkload;
  /** Per tenant: the lane index it is pinned to, or null. */
  private pins: (number | null)[] = [];
  /** Per tenant: what became of its fixed variant picks, and the sessions' sizes. */
  private pickOutcomes: (PickOutcome & { modelBytes?: number; rssGrowthBytes?: number })[][] = [];
  private table!: LatencyTable;
  /** Per lane: the variant sessions loaded there and the memory they took. */
  private variantMemory: NonNullable<LiveReport['variantSessions']> = [];
  /** Per tenant: variants a lane refused to load (never offered there). */
  private variantRefused: { unit: number; variant: number; lane: number }[][] = [];
  /** The prediction's workload without the calibration (one lane at a time, idle dispatch cost), for the report's comparison. */
  private uncalibrated!: SimWorkload;
  private calibrationNotes: string[] = [];
  private background: BackgroundLoad | undefined;
  private loadTarget: { load: number; scale: number } | undefined;
  private deepened = false;
  /** The scale the caller asked for (a load target multiplies it). */
  private readonly baseScale: number;
  private model!: PredictionModel;
  private snapshot!: Snapshot;
  /** The scenario's arrivals (undefined when frames are submitted). */
  private arrivals: ArrivalStream | undefined;
  private clock: AlarmClock | undefined;
  private energy!: LiveEnergy;
  private readonly loop = new LoopMonitor();
  /** The job lifecycle (scheduler/core/jobs.ts). */
  private book!: JobBook<LiveJob>;
  private readonly records: RunRecords;
  private readonly readyView: JobState[] = [];
  /** Energy estimate of the window being filled, for the policy's window feedback. */
  private windowJ = 0;
  private readonly faults = { log: [] as LiveReport['faults'], jobs: [] as { lane: number; at: number; jobs: number[] }[], injected: new Set<number>() };
  private readonly timers = { telemetry: undefined as ReturnType<typeof setInterval> | undefined, drain: undefined as ReturnType<typeof setTimeout> | undefined, stop: undefined as ReturnType<typeof setTimeout> | undefined, faults: [] as ReturnType<typeof setTimeout>[] };
  private readonly telemetry = { seq: 0, lastTickUs: 0, lastTickJoules: 0 };
  /** Model-variant switches already sent in telemetry: the policy whose events were read, and how many. */
  private readonly switchesSeen = { policy: undefined as Policy | undefined, count: 0 };
  private readonly outcome = { status: 'completed' as LiveReport['status'], error: undefined as string | undefined, stopReason: undefined as string | undefined, warnings: [] as string[] };
  /** The run's record as it goes (events + report snapshots), when it writes files. */
  private journal: RunJournal | undefined;
  private readonly snap = { lastUs: 0, intervalSec: 2 };
  private finished: (() => void) | undefined;
  private readonly makePolicy: (name: string) => Policy;
  /** frames: 'submitted': frames submitted so far per tenant (the frame index of the next one). */
  private submitted: number[] = [];

  constructor(
    public scenario: LiveScenario,
    options: LiveOptions,
    private readonly hooks: LiveHooks = {},
  ) {
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as LiveOptions;
    this.options = { granularity: 'model', scale: 1, seed: 1, maxQueuePerTenant: 16, adaptive: true, telemetryHz: 10, window: 0.5, ...given };
    this.id = options.runId ?? `${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}-${randomUUID().slice(0, 8)}`;
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(this.id)) throw new LiveSetupError(`run id "${this.id}" may only contain letters, digits, '.', '_' and '-'`);
    this.records = new RunRecords({ slices: 200_000, jobs: 500_000, telemetryItems: 2000, ...this.options.caps });
    this.makePolicy = hooks.createPolicy ?? ((name) => createPolicy(name));
    this.policy = this.makePolicy(options.policy);
    this.policyName = options.policy;
    if (this.options.frames === 'submitted') {
      // The embedder decides which frames exist: no cascade releases, and no prediction (the simulator would replay the scenario's own arrivals).
      this.scenario = { ...scenario, tenants: scenario.tenants.map((t) => ({ ...t, cascade: undefined })) };
      this.options.predict = false;
      this.submitted = scenario.tenants.map(() => 0);
    }
    validate(this.scenario, this.options);
    this.baseScale = this.options.scale;
  }

  // -------------------------------------------------------------------------------------------
  // Public controls.

  get state(): { id: string; phase: Phase; policy: string; scenario: string; elapsed: number; duration: number } {
    return { id: this.id, phase: this.phase, policy: this.policyName, scenario: this.scenario.name, elapsed: Number.isFinite(this.time.startUs) ? this.now() : 0, duration: this.options.duration };
  }

  /**
   * frames: 'submitted': a frame of tenant `tenant` (index) with its input tensors, released now under
   * the run's policy and lanes. Resolves when it finishes (with the model's outputs) or is dropped
   * (with the cause); never rejects. Throws when the run does not take frames or the feeds do not fit
   * the model (see checkFeeds).
   */
  submit(tenant: number, feeds: Record<string, WireTensor>): Promise<FrameOutcome> {
    if (this.options.frames !== 'submitted') throw new LiveSetupError('this run releases frames from its scenario\'s arrivals; submit() needs the option frames: "submitted"');
    if (this.phase !== 'running') throw new LiveSetupError(this.phase === 'setup' ? 'the run is still setting up: submit frames once it runs (onRunning)' : `the run takes no more frames (${this.phase})`);
    if (!(tenant >= 0 && tenant < this.execs.length)) throw new LiveSetupError(`no tenant ${tenant}: the scenario has ${this.execs.length}`);
    const problem = checkFeeds(this.execs[tenant], this.scenario.tenants[tenant], feeds);
    if (problem) throw new LiveSetupError(`tenant "${this.scenario.tenants[tenant].id}": ${problem}`);
    const now = this.now();
    this.book.clock.now = now;
    return new Promise<FrameOutcome>((resolve) => {
      const job = this.book.release(tenant, this.submitted[tenant]++, now, -1, now);
      job.feeds = feeds;
      job.settle = resolve;
      this.afterEvent(now);
    });
  }

  /** frames: 'submitted': takes no more frames; those in the system finish (within the drain timeout), then the run completes. */
  finishSubmissions(): void {
    if (this.phase === 'setup') return this.stop('finished before it started');
    if (this.phase !== 'running') return;
    this.time.releasedUntil = this.now();
    this.beginDraining();
    this.afterEvent(this.now());
  }

  /** Switches the policy mid-run (the next decision uses it). Throws on an unknown policy name. */
  setPolicy(name: string): void {
    const p = this.makePolicy(name);
    this.policy = p;
    if (this.book) this.book.policy = p;
    this.policyName = name;
    this.switches.push({ at: Number.isFinite(this.time.startUs) ? this.now() : 0, policy: name });
    this.journal?.event({ type: 'policy', t: this.switches.at(-1)!.at, policy: name });
    if (this.phase === 'running' || this.phase === 'draining') this.consult(this.now());
  }

  /** Stops the run: no more frames; layers in flight finish and are kept; the report covers what was measured. */
  stop(reason = 'stopped by the user'): void {
    if (this.phase === 'done' || this.phase === 'stopping') return;
    this.outcome.stopReason = reason;
    this.outcome.status = 'stopped';
    if (this.phase === 'setup') {
      this.phase = 'stopping';
      return;
    }
    this.time.releasedUntil = Math.min(this.options.duration, this.now());
    this.beginStopping();
  }

  /** Sets up (models, lanes, calibration), runs, and reports. Errors before the start are LiveSetupError. */
  async run(signal?: AbortSignal): Promise<LiveResult> {
    const onAbort = () => this.stop(signal?.reason instanceof Error ? `stopped: ${signal.reason.message}` : 'stopped (aborted)');
    if (signal?.aborted) throw abortError('the live run was cancelled before it started');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      try {
        await this.setup(signal);
      } catch (e) {
        if (this.phase === 'stopping' || signal?.aborted) throw abortError(`the live run was stopped during setup (${this.outcome.stopReason ?? 'cancelled'}); nothing was measured`);
        throw e;
      }
      if (this.phase === 'stopping' || signal?.aborted) throw abortError(`the live run was stopped during setup (${this.outcome.stopReason ?? 'cancelled'}); nothing was measured`);
      await this.execute();
      return await this.finish();
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await this.cleanup();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Setup.

  /**
   * Loads every verified variant's session on every lane that holds its tenant, before the run (a
   * switch of variant costs no load then). One lane at a time, so the process's resident memory
   * growth while a lane loads is that lane's sessions (threads share the process). A variant a
   * lane's execution provider refuses is recorded and never offered there.
   */
  private async loadVariants(loaded: boolean[][], signal?: AbortSignal): Promise<void> {
    this.hooks.onProgress?.('loading layer variants on every lane');
    this.variantMemory = [];
    for (const [l, lane] of this.lanes.entries()) {
      const mem = { lane: lane.client.spec.id, sessions: 0, modelBytes: 0, rssGrowthBytes: 0, refused: [] as string[] };
      for (const [t, exec] of this.execs.entries()) {
        if (!loaded[t][l]) continue;
        for (const [i, u] of exec.units.entries()) {
          for (const [k, v] of (u.variants ?? []).entries()) {
            if (signal?.aborted || !lane.client.alive) return;
            try {
              const r = await lane.client.request<{ rssBefore: number; rssAfter: number }>({ op: 'load', key: `${t}/${i}/v${k + 1}`, bytes: v.bytes });
              mem.sessions++;
              mem.modelBytes += v.bytes.byteLength;
              mem.rssGrowthBytes += Math.max(0, r.rssAfter - r.rssBefore);
            } catch (e) {
              mem.refused.push(`${this.scenario.tenants[t].id} layer ${i} ${v.id}: ${(e as Error).message.split('\n')[0]}`);
              (this.variantRefused[t] ??= []).push({ unit: i, variant: k + 1, lane: l });
            }
          }
        }
      }
      this.variantMemory.push(mem);
    }
  }

  private async setup(signal?: AbortSignal): Promise<void> {
    const o = this.options;
    const progress = (m: string) => this.hooks.onProgress?.(m);
    await this.prepare(signal, progress);
    if (signal?.aborted) return;
    // Demos reach a load target with deeper models at their own rates (deadlines that follow the
    // frame period stay meaningful, and the dispatching thread is not flooded): measure, deepen, measure again.
    const deeper = o.load !== undefined && !this.deepened ? this.deeperDemo(o.load) : undefined;
    if (deeper) {
      this.deepened = true;
      progress(`deepening the demo models for load ${o.load} (${deeper.note}); measuring again`);
      await Promise.all(this.lanes.map((l) => l.client.terminate().catch(() => {})));
      await this.clock?.close().catch(() => {});
      await this.energy?.stop().catch(() => {});
      this.scenario = deeper.scenario;
      // The first measurement's load-target notes no longer hold.
      this.outcome.warnings = this.outcome.warnings.filter((w) => !w.startsWith('load target '));
      this.outcome.warnings.push(`load target ${o.load}: the demo's models were deepened (${deeper.note}) instead of raising the frame rates`);
      await this.prepare(signal, progress);
    }
  }

  /**
   * What model-level variants the tenants get (undefined: none). They run at model granularity only:
   * at layer granularity a variant's own cut does not line up with the original's units (its layers
   * are charged to the original's by node name, some original layers get none), so a frame could not
   * be handed between them: asked for there, the run is refused; a profile's are left out with a warning.
   */
  private modelVariantRequest(): ModelVariantRequest | undefined {
    const o = this.options;
    const asked = o.modelVariants !== undefined && o.modelVariants !== 'none' ? o.modelVariants : undefined;
    if (namesModelKind(o.variants)) throw new LiveSetupError(`variants (${o.variants}): resolution and arch-prune are model kinds: ask for them with modelVariants (--model-variants), at model granularity`);
    if (asked && o.granularity !== 'model') {
      throw new LiveSetupError(`model variants (${asked}) run at model granularity only (one session of the variant model per frame): at ${o.granularity} granularity a variant's own cut does not line up with the original's units (its layers are charged to the original's by node name; some original layers get none), so a frame cannot move between them; run with granularity model`);
    }
    if (asked && !this.hooks.attachModelVariants) throw new LiveSetupError('model variants: this runtime was built without the variant generator (hooks.attachModelVariants); run through the engine or the CLI');
    if (o.modelVariants === 'none' || !this.hooks.attachModelVariants) return undefined;
    if (o.granularity !== 'model') {
      if (o.profiles?.some((p) => p.modelVariants?.variants.some((v) => v.verification.passed))) this.outcome.warnings.push(`the profiles' model variants are not used at ${o.granularity} granularity (model granularity only: a variant's own cut does not line up with the original's units)`);
      return undefined;
    }
    return { kinds: asked, profiles: o.profiles ?? [], lanes: o.lanes.map((l) => l.id), attach: this.hooks.attachModelVariants, warnings: [] };
  }

  /** The demo scenario with deeper models when its lanes would be well under the load target at its own rates; undefined otherwise. */
  private deeperDemo(load: number): { scenario: LiveScenario; note: string } | undefined {
    const refs = this.scenario.tenants.map((t) => (typeof t.model === 'string' ? t.model : undefined));
    if (refs.some((r) => r === undefined || deepenDemoRef(r, 1) === undefined)) return undefined;
    const defs = this.lanes.map((l) => l.state.def);
    const base = busiestUtilisation(buildWorkload(this.scenario, this.execs, { ...this.table, overheadS: this.table.overheadS.map(() => 0), releaseLagS: 0 }, defs, { scale: this.baseScale }, this.id));
    const factor = load / Math.max(1e-9, base);
    if (!(factor > 1.5)) return undefined;
    const tenants = this.scenario.tenants.map((t, i) => ({ ...t, model: deepenDemoRef(refs[i]!, factor)! }));
    return { scenario: { ...this.scenario, tenants }, note: `layers x${factor.toFixed(1)}: ${tenants.map((t) => `${t.id} ${t.model}`).join(', ')}` };
  }

  private async prepare(signal: AbortSignal | undefined, progress: (m: string) => void): Promise<void> {
    const o = this.options;
    progress('preparing models');
    this.execs = [];
    if (o.variants && o.granularity !== 'layer') throw new LiveSetupError(`variants (${o.variants}) are layer variants: run with granularity layer (not ${o.granularity})`);
    if (o.variants) progress(`generating and verifying layer variants (${o.variants})`);
    if (o.variants && !this.hooks.attachVariants) throw new LiveSetupError('variants: this runtime was built without the variant generator (hooks.attachVariants); run through the engine or the CLI');
    const variants = o.variants && this.hooks.attachVariants ? { kinds: o.variants, attach: this.hooks.attachVariants } : undefined;
    const modelVariants = this.modelVariantRequest();
    this.pickOutcomes = this.scenario.tenants.map(() => []);
    for (const [ti, t] of this.scenario.tenants.entries()) {
      const list = o.variantPicks?.[ti] ?? [];
      const why = !list.length ? undefined : !this.hooks.substituteVariants ? 'this runtime has no variant generator (the embeddable runtime carries no profiling code): the original layer runs' : undefined;
      const picks = list.length && !why ? { list, substitute: this.hooks.substituteVariants!, outcomes: this.pickOutcomes[ti] } : undefined;
      if (picks) progress(`making and verifying ${list.length} fixed layer variant(s) of "${t.id}"`);
      if (modelVariants && (o.modelVariants || o.profiles?.length)) progress(`making and verifying model variants of "${t.id}"`);
      this.execs.push(await resolveExecModel(t, o.granularity, o.seed, variants, picks, modelVariants));
      // Models that are not cut here (demo and pre-cut models) leave their picks unanswered.
      for (const pick of list) if (!this.pickOutcomes[ti].some((x) => x.layer === pick.layer)) this.pickOutcomes[ti].push({ ...pick, applied: false, reason: why ?? 'the model is not an ONNX file cut by the runtime' });
      for (const x of this.pickOutcomes[ti]) if (!x.applied) this.outcome.warnings.push(`tenant "${t.id}": layer ${x.layer} runs its original, not the schedule's variant ${x.variant}: ${x.reason}`);
    }
    if (modelVariants) this.outcome.warnings.push(...modelVariants.warnings);
    this.pins = this.scenario.tenants.map((t, ti) => {
      const p = o.pins?.[ti];
      if (p === null || p === undefined) return null;
      const lane = typeof p === 'number' ? p : o.lanes.findIndex((l) => l.id === p);
      if (!(lane >= 0 && lane < o.lanes.length)) throw new LiveSetupError(`tenant "${t.id}" is pinned to lane ${p}, which is not a lane of this run (${o.lanes.map((l) => l.id).join(', ')})`);
      return lane;
    });
    progress(`starting ${o.lanes.length} lane(s)`);
    const isolation = o.isolation ?? 'thread';
    this.lanes = o.lanes.map((spec, index) => {
      const w = laneWatts(spec);
      return {
        index,
        client: new LaneClient(index, spec, this.time.origin, isolation),
        state: { index, def: { id: spec.id, kind: spec.ep === 'cpu' ? 'cpu' : 'gpu', idleWatts: w.idleWatts, busyWatts: w.busyWatts }, idle: true, busyUntil: 0, job: -1, power: w.idleWatts },
        job: undefined,
        held: new Set<number>(),
        busyUs: 0,
        tickBusyUs: 0,
        runs: 0,
        overheadS: 0,
        seq: 0,
      };
    });
    this.laneStates = this.lanes.map((l) => l.state);
    // Load every unit of every tenant on every lane; a tenant no lane can load stops the run here.
    progress('loading models on every lane');
    const loaded = this.execs.map(() => this.lanes.map(() => true));
    const errors = this.execs.map(() => this.lanes.map(() => ''));
    await Promise.all(
      this.lanes.map(async (lane, l) => {
        for (let t = 0; t < this.execs.length; t++) {
          const exec = this.execs[t];
          for (let i = 0; i < exec.units.length; i++) {
            if (signal?.aborted || !lane.client.alive) return;
            try {
              const r = await lane.client.request<{ rssBefore?: number; rssAfter?: number }>({ op: 'load', key: `${t}/${i}`, bytes: exec.units[i].bytes });
              // The session of a fixed variant (model granularity: the whole model with them substituted, counted on its first pick).
              const fixed = exec.units[i].fixedVariant ? this.pickOutcomes[t].find((x) => x.applied && (exec.units.length === 1 || x.layer === exec.units[i].name)) : undefined;
              if (fixed) {
                fixed.modelBytes = (fixed.modelBytes ?? 0) + exec.units[i].bytes.byteLength;
                fixed.rssGrowthBytes = (fixed.rssGrowthBytes ?? 0) + Math.max(0, (r?.rssAfter ?? 0) - (r?.rssBefore ?? 0));
              }
            } catch (e) {
              loaded[t][l] = false;
              errors[t][l] = `${exec.units[i].name}: ${(e as Error).message}`;
              break;
            }
          }
          if (!loaded[t][l] || !lane.client.alive) continue;
          const keep = keepSets(exec);
          await lane.client.request({
            op: 'tenant',
            tenant: t,
            units: exec.units.map((u, i) => ({ key: `${t}/${i}`, inputs: u.inputs.map((x) => x.name), outputs: u.outputs.map((x) => x.name), keep: keep[i], ...(u.variants?.length ? { variants: u.variants.map((_, k) => `${t}/${i}/v${k + 1}`) } : {}) })),
            samples: exec.samples ?? [],
            outputs: exec.outputs,
          });
        }
      }),
    );
    for (const lane of this.lanes) if (!lane.client.alive) throw new LiveSetupError(`lane ${lane.client.spec.id} could not start: ${lane.client.failure}`);
    this.execs.forEach((exec, t) => {
      const tenant = this.scenario.tenants[t].id;
      if (loaded[t].every((ok) => !ok)) {
        throw new LiveSetupError(`tenant "${tenant}": model ${exec.name} cannot be loaded on any lane (${this.lanes.map((l, i) => `${l.client.spec.id}: ${errors[t][i]}`).join('; ')})`);
      }
      this.lanes.forEach((l, i) => {
        if (!loaded[t][i]) this.outcome.warnings.push(`tenant "${tenant}" cannot run on lane ${l.client.spec.id} (${errors[t][i]}); it uses the other lanes`);
      });
    });
    if (signal?.aborted) return;
    if (this.execs.some((e) => e.units.some((u) => u.variants?.length))) await this.loadVariants(loaded, signal);
    progress('measuring latencies');
    const raw = await buildLatencyTable({
      lanes: this.lanes.map((l) => l.client),
      execs: this.execs,
      loaded,
      granularity: o.granularity,
      profiles: o.profiles ?? [],
      reps: o.calibration?.reps ?? 12,
      warmup: o.calibration?.warmup ?? 3,
      budgetMs: 3000,
      mode: o.calibration?.mode,
      rates: effectiveRates(this.scenario, o.scale),
      signal,
      onProgress: progress,
    });
    raw.links = profileLinks(o.lanes, o.profiles ?? []);
    this.lanes.forEach((l, i) => (l.overheadS = raw.overheadS[i]));
    // Frames are released by the alarm clock: how late it wakes this thread is part of every frame's latency.
    this.clock = new AlarmClock(this.time.origin, () => {});
    if (this.clock.kind !== 'atomics') this.outcome.warnings.push('frames are released with setTimeout (millisecond resolution): the precise clock worker could not start');
    raw.releaseLagS = await this.clock.measureLag();
    progress('measuring the background load');
    this.background = await measureBackground(250);
    const defs = this.lanes.map((l) => l.state.def);
    const plan = (utilisation: number) =>
      calibratedTable(raw, {
        utilisation,
        laneIds: o.lanes.map((l) => l.id),
        cpuLanes: o.lanes.map((l) => l.ep === 'cpu'),
        policy: this.policyName,
        machine: o.machineCalibration,
        background: this.background,
        busyThreads: o.lanes.reduce((a, l) => a + (l.ep === 'cpu' ? (l.threads ?? 1) : 0), 0),
      });
    // The lanes' utilisation decides how much they slow each other down, and (with a load target)
    // the rates decide the utilisation: a few fixed-point steps settle both.
    // Utilisation here is session.run time (what the lanes' "busy" measures): the dispatch overhead
    // and the release lag are left out of it.
    const computeOnly = (t: LatencyTable) => buildWorkload(this.scenario, this.execs, { ...t, overheadS: t.overheadS.map(() => 0), releaseLagS: 0 }, defs, o, this.id);
    o.scale = this.baseScale;
    let planned = plan(0);
    for (let k = 0; k < 4; k++) {
      if (o.load !== undefined) {
        // Rates x whatever brings the busiest lane's session.run time to the target, by the calibrated table.
        const busiest = busiestUtilisation(computeOnly(planned.table));
        if (!(busiest > 0)) throw new LiveSetupError(`cannot scale ${this.scenario.name} to load ${o.load}: no lane has work`);
        o.scale = +(o.scale * (o.load / busiest)).toPrecision(4);
      }
      planned = plan(expectedUtilisation(computeOnly(planned.table))[0] ?? 0);
    }
    if (o.load !== undefined) {
      // The dispatching thread serves every layer run: past about MAX_DISPATCH_PER_SEC (a few thousand
      // on a quiet machine, far fewer on a loaded one) it, not the lanes, is the bottleneck.
      const perSec = effectiveRates(this.scenario, o.scale).reduce((a, r, t) => a + r * this.execs[t].units.length, 0);
      if (perSec > MAX_DISPATCH_PER_SEC) {
        const cut = MAX_DISPATCH_PER_SEC / perSec;
        o.scale = +(o.scale * cut).toPrecision(4);
        planned = plan(Math.min(1, o.load * cut));
        this.outcome.warnings.push(`load target ${o.load}: lowered to about ${(o.load * cut).toFixed(2)} busy (rates x${o.scale}): it needed ${perSec.toFixed(0)} layer dispatches per second, over the ${MAX_DISPATCH_PER_SEC} the dispatching thread is given; use heavier models, or model granularity`);
      }
      // Each layer also holds its lane for the dispatch overhead: where compute + dispatch would
      // take more than 95% of the busiest lane, the target cannot be met without overload.
      const occupied = busiestUtilisation(buildWorkload(this.scenario, this.execs, planned.table, defs, o, this.id));
      if (occupied > 0.95) {
        const cut = 0.95 / occupied;
        o.scale = +(o.scale * cut).toPrecision(4);
        planned = plan(Math.min(1, o.load * cut));
        this.outcome.warnings.push(`load target ${o.load}: lowered to ${(o.load * cut).toFixed(2)} busy (rates x${o.scale}): with each layer's dispatch overhead (${planned.table.overheadS.map((x) => `${(x * 1e6).toFixed(0)} µs`).join(', ')}) the busiest lane would be ${(100 * occupied).toFixed(0)}% occupied; dispatch, not compute, is the bottleneck at these rates`);
      }
    }
    if (o.load !== undefined) this.loadTarget = { load: o.load, scale: o.scale };
    this.table = planned.table;
    // What a layer is expected to cost beyond session.run: the online refinement compares like with like.
    this.lanes.forEach((l, i) => (l.overheadS = this.table.overheadS[i]));
    this.calibrationNotes = planned.notes;
    this.uncalibrated = applyPins(buildWorkload(this.scenario, this.execs, raw, defs, o, this.id), this.pins);
    const unpinned = buildWorkload(this.scenario, this.execs, this.table, defs, o, this.id, planned.notes);
    this.unpinned = unpinned;
    this.workload = applyPins(unpinned, this.pins);
    try {
      validateWorkload(this.workload);
    } catch (e) {
      throw new LiveSetupError((e as Error).message);
    }
    this.setCurrent(this.workload, undefined);
    const isolated = Float64Array.from(this.workload.tenants, (_, t) => this.model.isolated(t));
    const tenants = this.workload.tenants;
    this.book = new JobBook<LiveJob>(this.workload, this.laneStates, this.policy, this.model, {
      maxQueuePerTenant: o.maxQueuePerTenant,
      maxInSystem: maxInSystem(o.maxQueuePerTenant, tenants.length),
      window: o.window,
      preemption: 'layer',
      seed: o.seed,
    }, {
      make: (id, t, frame, release, deadline, upstream, now) => new LiveJob(id, t, frame, release, deadline, tenants[t].priority, tenants[t].layers.length, upstream, isolated[t], now),
      created: (job) => this.records.addJob(job),
      ended: (job) => {
        this.freeData(job);
        this.records.jobEnded(job);
        this.settle(job);
      },
      windowEnergy: () => {
        const j = this.windowJ;
        this.windowJ = 0;
        return j;
      },
    });
    if (o.frames !== 'submitted') this.arrivals = new ArrivalStream(this.workload.tenants, o.seed, o.duration);
    this.energy = new LiveEnergy(o.lanes);
    await this.energy.start(o.meters ?? true);
  }


  /** The workload and prediction model the policy sees; keeps the online ratios when lanes fail. */
  private setCurrent(w: SimWorkload, ratios: Float64Array | undefined): void {
    this.current = w;
    this.model = new PredictionModel(w);
    if (ratios) this.model.setRatios(ratios);
    if (this.book) this.book.model = this.model;
    this.snapshot = {
      time: 0,
      ready: this.readyView,
      lanes: this.laneStates,
      workload: w,
      predict: this.model.predictor(this.options.adaptive),
      offline: this.model.predictor(false),
      inSystem: 0,
      preemption: 'layer',
    };
  }

  // -------------------------------------------------------------------------------------------
  // The run.

  private clockUs(): number {
    return Number(process.hrtime.bigint() - this.time.origin) / 1000;
  }

  /** Run time, s. */
  private now(): number {
    return (this.clockUs() - this.time.startUs) / 1e6;
  }

  private toRun(us: number): number {
    return (us - this.time.startUs) / 1e6;
  }

  private execute(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.finished = resolve;
      for (const lane of this.lanes) {
        lane.client.onEvent = (m) => this.onLaneEvent(lane, m);
        lane.client.onFail((reason) => this.onLaneFailed(lane, reason));
      }
      this.loop.start();
      this.clock!.onFire(() => this.onAlarm());
      this.time.startUs = this.clockUs();
      this.time.startedAt = new Date().toISOString();
      this.telemetry.lastTickUs = this.time.startUs;
      this.time.releasedUntil = this.options.duration;
      this.phase = 'running';
      for (const f of this.options.faults ?? []) {
        const lane = typeof f.lane === 'number' ? this.lanes[f.lane] : this.lanes.find((l) => l.client.spec.id === f.lane)!;
        this.timers.faults.push(
          setTimeout(() => {
            this.faults.injected.add(lane.index);
            lane.client.post({ op: 'crash' });
          }, Math.max(0, f.at * 1000)),
        );
      }
      this.timers.telemetry = setInterval(() => this.tick(), 1000 / this.options.telemetryHz);
      this.openJournal();
      if (this.options.frames === 'submitted') {
        try {
          this.hooks.onRunning?.();
        } catch (e) {
          this.outcome.warnings.push(`onRunning listener failed: ${(e as Error).message}`);
        }
      } else this.onAlarm();
    });
  }

  /** Starts the run's record on disk: the start event and a first (empty) snapshot. */
  private openJournal(): void {
    if (this.options.writeFiles === false) return;
    try {
      this.journal = new RunJournal(this.id);
    } catch (e) {
      this.outcome.warnings.push(`the run's record cannot be written as it goes (${(e as Error).message}): a crash would lose it`);
      return;
    }
    this.snap.intervalSec = this.options.snapshotInterval ?? 2;
    this.journal.event({ type: 'start', runId: this.id, pid: process.pid, startedAt: this.time.startedAt!, scenario: this.scenario.name, policy: this.policyName, lanes: this.lanes.map((l) => l.client.spec.id), durationSec: this.options.duration });
    this.saveSnapshot();
  }

  /** Saves a report snapshot of what ended so far (skipped while the previous one is being written). */
  private saveSnapshot(): void {
    const j = this.journal;
    if (!j || j.busy) return;
    const t0 = performance.now();
    const report = assembleReport(this.books(true), { pid: process.pid, intervalSec: this.snap.intervalSec });
    j.snapshot(report);
    // Making a snapshot holds the event loop: keep that under 5% of the time between snapshots.
    this.snap.intervalSec = Math.max(this.options.snapshotInterval ?? 2, (20 * (performance.now() - t0)) / 1000);
    this.snap.lastUs = this.clockUs();
    const m = report.metrics.overall;
    j.event({ type: 'snapshot', t: report.elapsedSec, released: m.released, finished: m.finished, dropped: m.dropped });
  }

  private onAlarm(): void {
    if (this.phase !== 'running' || !this.arrivals) return;
    const now = this.now();
    this.book.clock.now = now;
    this.book.closeWindows();
    for (;;) {
      const r = this.arrivals.peek();
      if (!r) break;
      if (r.time > now) {
        this.clock!.set(this.time.startUs + r.time * 1e6);
        break;
      }
      this.arrivals.take();
      this.book.release(r.tenant, r.frame, r.time, -1, now);
    }
    if (!this.arrivals.peek()) this.beginDraining();
    this.afterEvent(now);
  }

  private beginDraining(): void {
    if (this.phase !== 'running') return;
    this.phase = 'draining';
    const longest = Math.max(...this.workload.tenants.map(relativeDeadline));
    const timeout = this.options.drainTimeout ?? Math.max(1, 4 * longest);
    this.timers.drain = setTimeout(() => {
      if (this.phase !== 'draining') return;
      for (const j of [...this.book.active]) if (!j.running) this.drop(j, 'drain');
      this.beginStopping();
    }, timeout * 1000);
  }

  private beginStopping(): void {
    if (this.phase === 'done' || this.phase === 'stopping') return;
    this.phase = 'stopping';
    this.clock?.clear();
    // Layers in flight finish and are kept; then whatever has not finished is abandoned.
    const longest = Math.max(0.5, ...this.lanes.map((l) => (l.job ? 3 * l.job.profiled : 0)));
    this.timers.stop = setTimeout(() => this.end(), Math.min(10, longest) * 1000);
    this.afterEvent(this.now());
  }

  private afterEvent(now: number): void {
    if (this.phase === 'done') return;
    if (this.phase === 'running' || this.phase === 'draining') this.consult(now);
    if (this.phase === 'draining' && this.book.inSystem === 0) this.end();
    else if (this.phase === 'stopping' && this.lanes.every((l) => !l.job)) this.end();
  }

  /** Ends the run as failed (e.g. the policy made an invalid decision): frames in flight are abandoned. */
  private fail(message: string): void {
    if (this.phase === 'done') return;
    this.outcome.status = 'failed';
    this.outcome.error = message;
    this.time.releasedUntil = Math.min(this.time.releasedUntil, Math.max(0, this.now()));
    this.end();
  }

  private end(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.time.endUs = this.clockUs();
    this.clock?.clear();
    if (this.timers.drain) clearTimeout(this.timers.drain);
    if (this.timers.stop) clearTimeout(this.timers.stop);
    for (const t of this.timers.faults) clearTimeout(t);
    for (const j of [...this.book.active]) {
      // A completed run that ran out of drain time counts its leftovers as dropped; a stopped one abandons them.
      if (this.outcome.status === 'completed') this.drop(j, 'drain', true);
      else {
        this.book.abandon(j);
        j.abandoned = true;
        this.settle(j);
      }
    }
    this.tick();
    if (this.timers.telemetry) clearInterval(this.timers.telemetry);
    this.finished?.();
  }

  /** A submitted frame ended (finished, dropped, or abandoned by a stop): its outcome to whoever waits. */
  private settle(job: LiveJob): void {
    const done = job.settle;
    if (!done) return;
    job.settle = undefined;
    job.feeds = undefined;
    const outputs = job.outputs;
    job.outputs = undefined;
    const tenant = this.scenario.tenants[job.tenant].id;
    if (job.abandoned) done({ ok: false, tenant, frame: job.frame, reason: 'stopped', message: `the run was stopped (${this.outcome.stopReason ?? this.outcome.error ?? 'stopped'}) before the frame finished` });
    else if (job.dropped) done({ ok: false, tenant, frame: job.frame, reason: job.dropReason ?? 'policy', message: DROP_REASON_TEXT[job.dropReason ?? 'policy'] });
    else done({ ok: true, tenant, frame: job.frame, outputs: outputs ?? {}, latencyMs: (job.finish - job.release) * 1000, late: job.finish > job.deadline });
  }

  private freeData(job: LiveJob): void {
    if (job.loc >= 0) {
      const lane = this.lanes[job.loc];
      if (lane.held.delete(job.id)) lane.client.post({ op: 'free', job: job.id });
    }
    job.tensors = undefined;
    job.loc = LOC_NONE;
  }

  /** Drops a frame (its data is freed by the books' ended hook); running ones only when forced (the run's end, no lane left). */
  private drop(job: LiveJob, reason: DropReason, force = false): void {
    if (job.ended || (job.running && !force)) return;
    const now = Number.isFinite(this.time.endUs) ? this.toRun(this.time.endUs) : this.now();
    this.book.drop(job, reason, now);
  }

  private consult(now: number): void {
    this.book.clock.now = now;
    this.book.closeWindows();
    // Late dropping: the simulator's rule (JobBook.dropLate), at every event and telemetry tick.
    if (this.options.dropLate && this.book.readyCount > 0) this.book.dropLate();
    if (this.book.readyCount === 0) return;
    let anyIdle = false;
    for (const l of this.laneStates) if (l.idle) anyIdle = true;
    if (!anyIdle) return;
    try {
      const d = this.book.decide(this.snapshot);
      if (!d) return;
      for (const a of d.assign) {
        const job = this.book.assignee(a);
        this.assign(job, this.lanes[a.lane], this.model.latency(job.tenant, job.next, a.lane, a.variant), a.variant, now);
      }
    } catch (e) {
      // An invalid decision (InvalidDecisionError), or a policy that threw: the run cannot go on honestly.
      this.fail(`policy "${this.policyName}" failed at ${now.toFixed(3)} s: ${(e as Error).message}`);
    }
  }


  private assign(job: LiveJob, lane: LaneRt, profiled: number, variant: number, now: number): void {
    this.book.clock.now = now;
    this.book.start(job, variant);
    job.profiled = profiled;
    job.variant = variant;
    job.moveStartUs = NaN;
    job.moveBytes = 0;
    lane.job = job;
    const st = lane.state;
    st.idle = false;
    st.job = job.id;
    st.power = st.def.busyWatts;
    st.busyUntil = now + this.model.transferTime(job.tenant, job.next, job.lastLane, lane.index) + profiled * (this.options.adaptive ? this.model.ratio(job.tenant, lane.index) : 1);
    // Activations of other jobs left on this lane move out first (the worker handles messages in order).
    for (const other of lane.held) {
      if (other === job.id) continue;
      lane.held.delete(other);
      const o = this.book.find(other);
      if (!o) {
        lane.client.post({ op: 'free', job: other });
        continue;
      }
      lane.client.post({ op: 'park', job: other });
      o.parkingFrom = lane.index;
    }
    if (job.parkingFrom >= 0) {
      // Its activations are on their way to the main thread: forward them when they arrive.
      job.forwardTo = lane.index;
      job.moveStartUs = this.clockUs();
      return;
    }
    if (job.loc === LOC_NONE || job.loc === lane.index) {
      this.sendRun(job, lane, undefined);
      return;
    }
    job.moveStartUs = this.clockUs();
    if (job.loc === LOC_MAIN) {
      const tensors = job.tensors;
      job.tensors = undefined;
      this.sendRun(job, lane, tensors);
      return;
    }
    // Held by another (idle) lane: park it there, then forward.
    const from = this.lanes[job.loc];
    from.held.delete(job.id);
    from.client.post({ op: 'park', job: job.id });
    job.parkingFrom = from.index;
    job.forwardTo = lane.index;
  }

  private sendRun(job: LiveJob, lane: LaneRt, tensors: Record<string, WireTensor> | undefined): void {
    const transfer: ArrayBuffer[] = [];
    if (tensors) {
      for (const t of Object.values(tensors)) {
        const buf = t.data.buffer;
        if (buf instanceof ArrayBuffer && !transfer.includes(buf)) transfer.push(buf);
        job.moveBytes += t.data.byteLength;
      }
    }
    const fresh = job.loc === LOC_NONE;
    job.loc = lane.index;
    const final = job.next === job.layerCount - 1;
    // A submitted frame's inputs are copied, not moved: a lane failure reruns it from them. Inputs it leaves out are the tenant's fixed values (in the samples).
    const given = fresh && job.feeds ? job.feeds : undefined;
    lane.client.post(
      { op: 'run', seq: ++lane.seq, job: job.id, tenant: job.tenant, layer: job.next, variant: job.variant, final, sample: fresh ? job.frame : undefined, tensors: tensors ?? given, sentUs: this.clockUs(), ...(final && job.settle ? { reply: true } : {}) },
      transfer,
    );
  }

  private onLaneEvent(lane: LaneRt, m: Extract<FromLane, { op: 'done' | 'parked' }>): void {
    if (this.phase === 'done' || this.phase === 'setup') return;
    if (m.op === 'parked') this.onParked(m);
    else this.onDone(lane, m);
    this.afterEvent(this.now());
  }

  private onParked(m: Extract<FromLane, { op: 'parked' }>): void {
    const job = this.book.find(m.job);
    if (!job || job.ended) return;
    job.parkingFrom = -1;
    job.loc = LOC_MAIN;
    job.tensors = m.tensors;
    if (job.forwardTo < 0) return;
    const lane = this.lanes[job.forwardTo];
    job.forwardTo = -1;
    if (lane.job !== job || !lane.client.alive) return;
    if (this.phase === 'stopping') {
      // Stopping: nothing new starts; give the reserved lane back.
      this.freeLane(lane);
      this.book.unrun(job);
      return;
    }
    const tensors = job.tensors;
    job.tensors = undefined;
    this.sendRun(job, lane, tensors);
  }

  private freeLane(lane: LaneRt): void {
    lane.job = undefined;
    if (lane.failure) return;
    const st = lane.state;
    st.idle = true;
    st.busyUntil = this.now();
    st.job = -1;
    st.power = st.def.idleWatts;
  }

  private onDone(lane: LaneRt, m: Extract<FromLane, { op: 'done' }>): void {
    const job = lane.job;
    if (!job || job.id !== m.job) return;
    if (m.error) {
      // A lane that cannot run a layer it loaded is taken out; the job is rescheduled elsewhere.
      lane.client.fail(m.error);
      return;
    }
    this.freeLane(lane);
    if (m.outputs) job.outputs = m.outputs;
    const layer = job.next;
    const start = this.toRun(m.startUs);
    const end = this.toRun(m.endUs);
    if (Number.isFinite(job.moveStartUs)) {
      const moveUs = Math.max(0, m.recvUs - job.moveStartUs);
      this.records.addSlice({ job: job.id, tenant: job.tenant, lane: lane.index, layer, variant: job.variant, start: this.toRun(job.moveStartUs), end: this.toRun(m.recvUs), kind: 'transfer', attempt: job.attempt });
      this.records.addTransfer(job.moveBytes, moveUs);
    }
    this.records.addSlice({ job: job.id, tenant: job.tenant, lane: lane.index, layer, variant: job.variant, start, end, kind: 'layer', attempt: job.attempt });
    const busyUs = m.endUs - m.startUs;
    lane.busyUs += busyUs;
    lane.tickBusyUs += busyUs;
    lane.runs++;
    this.energy.busy(lane.index, busyUs / 1e6);
    this.energy.interval(lane.index, job.tenant, start, end);
    this.windowJ += this.energy.estimate(lane.index, busyUs / 1e6);
    const observed = busyUs / 1e6 + lane.overheadS;
    if (this.options.adaptive) this.model.update(job.tenant, lane.index, job.profiled, observed);
    this.book.clock.now = end;
    if (!this.book.layerDone(job, lane.index, job.variant, job.profiled, observed)) {
      job.loc = lane.index;
      lane.held.add(job.id);
      return;
    }
    job.loc = LOC_NONE; // the worker freed it (final layer)
    // Cascade dependents are released while frames are (running, draining), not once the run stops.
    this.book.finish(job, end, this.now(), this.phase === 'running' || this.phase === 'draining');
  }


  private onLaneFailed(lane: LaneRt, reason: string): void {
    if (this.phase === 'done' || this.phase === 'setup' || lane.failure) return;
    const at = this.now();
    if (this.faults.injected.has(lane.index)) reason = `${reason} (injected fault)`;
    lane.failure = { at, reason };
    const st = lane.state;
    st.idle = false;
    st.busyUntil = Infinity;
    st.job = -1;
    st.power = 0;
    // The policy and the predictions no longer see the lane (the online ratios are kept); the pins
    // are applied again, so a tenant pinned to it runs on the lanes left.
    this.unpinned = {
      ...this.unpinned,
      tenants: this.unpinned.tenants.map((t) => ({ ...t, layers: t.layers.map((l) => ({ ...l, variants: l.variants.map((v) => ({ ...v, cost: v.cost.map((c, i) => (i === lane.index ? null : c)) })) })) })),
    };
    const w = applyPins(this.unpinned, this.pins);
    const rescheduled: number[] = [];
    const restart = (job: LiveJob) => {
      if (job.ended) return;
      this.book.unrun(job);
      job.next = 0;
      job.loc = LOC_NONE;
      job.tensors = undefined;
      job.parkingFrom = -1;
      job.forwardTo = -1;
      job.lastLane = -1;
      job.lastRun = job.release;
      job.accuracyUsed = 0;
      job.variantSet = -1;
      job.attempt++;
      job.attempts++;
      if (!rescheduled.includes(job.id)) rescheduled.push(job.id);
    };
    const running = lane.job;
    lane.job = undefined;
    if (running && !running.ended) {
      if (running.forwardTo === lane.index && running.parkingFrom >= 0) {
        // Its data was on its way here through the main thread: not lost, only unassigned.
        running.forwardTo = -1;
        this.book.unrun(running);
        rescheduled.push(running.id);
      } else restart(running);
    }
    for (const id of lane.held) {
      const j = this.book.find(id);
      if (j) restart(j);
    }
    lane.held.clear();
    for (const j of this.book.active) {
      if (j.parkingFrom !== lane.index) continue;
      // Its data was being parked from the dead lane: lost. Free the lane that waited for it.
      if (j.forwardTo >= 0 && this.lanes[j.forwardTo].job === j) this.freeLane(this.lanes[j.forwardTo]);
      restart(j);
    }
    this.setCurrent(w, this.model.ratios);
    void lane.client.terminate().catch(() => {});
    this.faults.log.push({ lane: lane.client.spec.id, at, reason, rescheduledJobs: rescheduled.length });
    this.journal?.event({ type: 'fault', t: at, lane: lane.client.spec.id, reason });
    this.faults.jobs.push({ lane: lane.index, at, jobs: rescheduled });
    if (this.lanes.every((l) => l.failure)) {
      this.outcome.status = 'failed';
      this.outcome.error = `every lane failed (last: ${lane.client.spec.id}: ${reason})`;
      this.time.releasedUntil = Math.min(this.time.releasedUntil, at);
      for (const j of [...this.book.active]) this.drop(j, 'no-lane', true);
      this.end();
      return;
    }
    this.afterEvent(at);
  }

  // -------------------------------------------------------------------------------------------
  // Telemetry.

  private tick(): void {
    if (!Number.isFinite(this.time.startUs)) return;
    const nowUs = Number.isFinite(this.time.endUs) ? this.time.endUs : this.clockUs();
    const tm = this.telemetry;
    const dtUs = Math.max(1, nowUs - tm.lastTickUs);
    const joules = this.energy.joules;
    const b = this.book;
    const items = this.records.takeTelemetry();
    const batch: TelemetryBatch = {
      runId: this.id,
      seq: tm.seq++,
      t: this.toRun(nowUs),
      phase: this.phase === 'setup' ? 'running' : this.phase,
      policy: this.policyName,
      policyState: this.policy.state?.(),
      tenants: this.workload.tenants.map((t, i) => ({ id: t.id, deadline: relativeDeadline(t), released: b.released[i], finished: b.finished[i], late: b.late[i], dropped: b.dropped[i], queued: b.waiting[i] })),
      lanes: this.lanes.map((l) => {
        const utilisation = Math.min(1, l.tickBusyUs / dtUs);
        return { id: l.client.spec.id, alive: !l.failure, utilisation, runs: l.runs, estimatedWatts: utilisation * l.state.def.busyWatts };
      }),
      jobs: items.jobs,
      slices: items.slices,
      omitted: items.omitted,
      ratios: this.workload.tenants.map((_, t) => this.lanes.map((_l, l) => this.model.ratio(t, l))),
      power: { watts: (joules - tm.lastTickJoules) / (dtUs / 1e6), joules, source: this.energy.source },
      loop: this.loop.takeTick(),
    };
    const switches = this.newModelSwitches();
    if (switches.length) {
      batch.modelSwitches = switches;
      for (const e of switches) this.journal?.event({ type: 'model-switch', ...e });
    }
    for (const l of this.lanes) l.tickBusyUs = 0;
    if (this.journal) {
      if (items.jobs.length || items.omitted.jobs) this.journal.event({ type: 'jobs', t: batch.t, jobs: items.jobs.map((j) => [j.id, j.tenant, j.release, j.deadline, j.finish, j.reason ?? null]), omitted: items.omitted.jobs });
      if (this.phase !== 'done' && nowUs - this.snap.lastUs >= this.snap.intervalSec * 1e6) this.saveSnapshot();
    }
    tm.lastTickUs = nowUs;
    tm.lastTickJoules = joules;
    if (this.phase === 'running' || this.phase === 'draining') {
      const now = this.now();
      this.consult(now); // time-driven decisions (e.g. a frame that became hopeless), window feedback
      if (this.phase === 'draining' && b.inSystem === 0) this.end();
    }
    try {
      this.hooks.onTelemetry?.(batch);
    } catch (e) {
      this.outcome.warnings.push(`telemetry listener failed: ${(e as Error).message}`);
    }
  }

  /** The policy's model-variant switches (DREAM's model-variant-on / -off events) not yet sent. */
  private newModelSwitches(): ModelSwitchEvent[] {
    const seen = this.switchesSeen;
    if (seen.policy !== this.policy) {
      seen.policy = this.policy;
      seen.count = 0;
    }
    const events = this.policy.events?.() ?? [];
    const out: ModelSwitchEvent[] = [];
    for (let i = seen.count; i < events.length; i++) {
      const e = events[i];
      if (e.kind !== 'model-variant-on' && e.kind !== 'model-variant-off') continue;
      out.push({ t: e.time, tenant: this.workload.tenants[e.tenant]?.id ?? String(e.tenant), to: e.kind === 'model-variant-on' ? 'variant' : 'original', detail: e.detail });
    }
    seen.count = events.length;
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // The end.

  /** The meters' energy attributed to the tenants (energy.ts); readings carry performance.now() ms. */
  private energyAttribution() {
    const offsetUs = this.clockUs() - performance.now() * 1000;
    return this.energy.attribution(this.workload.tenants.map((t) => t.id), (ms) => this.toRun(ms * 1000 + offsetUs));
  }

  /** What the report is made of: at the end, or (snapshot) while the run goes. */
  private books(snapshot = false): RunBooks {
    const r = this.records;
    const now = snapshot ? this.now() : this.toRun(this.time.endUs);
    return {
      runId: this.id,
      startedAt: this.time.startedAt,
      scenario: this.scenario,
      options: this.options,
      initialPolicy: this.switches.length ? this.options.policy : this.policyName,
      policy: this.policy,
      createPolicy: this.makePolicy,
      switches: this.switches,
      workload: this.workload,
      uncalibrated: this.uncalibrated,
      calibration: { notes: this.calibrationNotes, machine: this.options.machineCalibration, background: this.background, loadTarget: this.loadTarget },
      execs: this.execs,
      table: this.table,
      records: r.records,
      recordsDropped: r.recordsDropped,
      slices: r.slices,
      slicesDropped: r.slicesDropped,
      elapsed: now,
      releasedUntil: snapshot ? Math.min(this.time.releasedUntil, now) : this.time.releasedUntil,
      status: this.outcome.status,
      error: this.outcome.error ?? (this.outcome.status === 'stopped' ? this.outcome.stopReason : undefined),
      lanes: this.lanes.map((l) => ({ spec: l.client.spec, adapter: l.client.adapter, failure: l.failure, busySec: l.busyUs / 1e6, runs: l.runs, overheadS: l.overheadS })),
      ratios: this.workload.tenants.map((_, t) => this.lanes.map((_l, l) => this.model.ratio(t, l))),
      transfers: r.transfers,
      maxQueued: Array.from(this.book.maxQueued),
      maxInSystem: maxInSystem(this.options.maxQueuePerTenant, this.workload.tenants.length),
      loop: this.loop.stats(),
      faults: this.faults.log,
      policyEvents: this.policy.events?.(),
      ...(this.levers() ? { levers: this.levers() } : {}),
      ...(this.variantMemory.length ? { variants: { sessions: this.variantMemory, runs: this.book.variantRuns } } : {}),
      faultJobs: this.faults.jobs,
      energy: { joules: this.energy.joules, source: this.energy.source, notes: this.energy.notes, ...(snapshot ? {} : { attribution: this.energyAttribution() }) },
      warnings: this.journal?.error ? [...this.outcome.warnings, `the run's record could not be written as it went (${this.journal.error}): a crash would have lost it`] : this.outcome.warnings,
      clockKind: this.clock?.kind ?? 'timers',
    };
  }

  /** What the run applied of the schedule levers it was given (undefined when none was asked). */
  private levers(): LiveLevers | undefined {
    const o = this.options;
    const tenants = this.scenario.tenants;
    const pins = this.pins.flatMap((p, t) => (p === null ? [] : [{ tenant: tenants[t].id, lane: o.lanes[p].id }]));
    const variants = this.pickOutcomes.flatMap((xs, t) => xs.map((x) => ({ tenant: tenants[t].id, ...x })));
    if (!o.dropLate && !pins.length && !variants.length) return undefined;
    return { dropLate: o.dropLate === true, pins, variants };
  }

  private async finish(): Promise<LiveResult> {
    await this.journal?.settle(); // no snapshot may land after the final report
    const report = await buildReport(this.books());
    await this.journal?.close({ type: 'end', t: report.elapsedSec, status: report.status, error: report.error });
    this.journal = undefined;
    return { report, jobs: this.records.records, slices: this.records.slices, workload: this.workload };
  }

  private async cleanup(): Promise<void> {
    if (this.timers.telemetry) clearInterval(this.timers.telemetry);
    if (this.timers.drain) clearTimeout(this.timers.drain);
    if (this.timers.stop) clearTimeout(this.timers.stop);
    for (const t of this.timers.faults) clearTimeout(t);
    this.loop.stop();
    await this.journal?.close().catch(() => {});
    await this.clock?.close().catch(() => {});
    await this.energy?.stop().catch(() => {});
    await Promise.all(this.lanes.map((l) => l.client.terminate().catch(() => {})));
  }
}

/** Per lane: a device lane's measured transfer fit from a given profile (one hop), where one has it. */
export function profileLinks(lanes: LaneSpec[], profiles: Profile[]): LatencyTable['links'] {
  return lanes.map((spec) => {
    if (spec.ep === 'cpu') return undefined;
    const id = spec.id.replace(/#\d+$/, '');
    for (const p of profiles) {
      const info = p.lanes.find((l) => l.id === id && l.transfer);
      if (info?.transfer) return { latency: info.transfer.latencyUs / 1e6, bytesPerSec: info.transfer.bytesPerSec, source: `MEASURED by profile ${p.id}: ${info.transfer.latencyUs.toFixed(0)} µs + ${(info.transfer.bytesPerSec / 1e9).toFixed(2)} GB/s per hop` };
    }
    return undefined;
  });
}

/** The live runtime's cap on frames in the system (waiting or running), a memory bound: 4 x the queue bound x the tenants. */
export function maxInSystem(maxQueuePerTenant: number, tenants: number): number {
  return 4 * maxQueuePerTenant * tenants;
}


export function effectiveRates(scenario: LiveScenario, scale = 1): number[] {
  const byId = new Map(scenario.tenants.map((t) => [t.id, t]));
  const rate = (id: string, depth: number): number => {
    const t = byId.get(id);
    if (!t) return 0;
    if (t.cascade && depth < scenario.tenants.length) return rate(t.cascade.upstream, depth + 1) * t.cascade.probability;
    return (t.arrival.type === 'periodic' ? t.arrival.fps : t.arrival.ratePerSec) * scale;
  };
  return scenario.tenants.map((t) => rate(t.id, 0));
}

function abortError(message: string): Error {
  const e = new Error(message);
  e.name = 'AbortError';
  return e;
}

/**
 * Why a submitted frame's feeds do not fit the tenant's model (undefined: they do): every input given
 * with the model's type and resolved dims, except fixed inputs (the scenario's inputValues), and no
 * unknown names.
 */
export function checkFeeds(exec: Pick<ExecModel, 'inputs' | 'name'>, tenant: Pick<LiveTenantSpec, 'inputValues'>, feeds: Record<string, WireTensor>): string | undefined {
  const names = exec.inputs.map((i) => i.name);
  for (const name of Object.keys(feeds)) if (!names.includes(name)) return `model ${exec.name} has no input '${name}' (its inputs: ${names.join(', ')})`;
  for (const io of exec.inputs) {
    const t = feeds[io.name];
    if (!t) {
      if (tenant.inputValues && io.name in tenant.inputValues) continue;
      return `input '${io.name}' (${io.type} ${JSON.stringify(io.dims)}) is missing`;
    }
    if (t.type !== io.type) return `input '${io.name}' is ${t.type}; model ${exec.name} takes ${io.type}`;
    if (t.dims.length !== io.dims.length || t.dims.some((d, i) => d !== io.dims[i])) return `input '${io.name}' has dims ${JSON.stringify(t.dims)}; the schedule runs ${exec.name} with ${JSON.stringify(io.dims)} (its layers and latencies are for that shape)`;
    const n = io.dims.reduce((a, b) => a * b, 1);
    const len = (t.data as unknown as { length?: number }).length ?? t.data.byteLength;
    if (len !== n) return `input '${io.name}' has ${len} elements; dims ${JSON.stringify(io.dims)} need ${n}`;
  }
  return undefined;
}

/** The run's options here; the tenants' timing and cascades by the core's one check (validateTenants). */
function validate(scenario: LiveScenario, o: LiveOptions): void {
  try {
    validateTenants(scenario.tenants, `scenario "${scenario.name}"`);
  } catch (e) {
    throw new LiveSetupError((e as Error).message);
  }
  if (!(o.duration > 0) && o.frames !== 'submitted') throw new LiveSetupError(`duration must be > 0 s (got ${o.duration})`);
  if (o.load !== undefined && !(o.load > 0)) throw new LiveSetupError(`load must be > 0 (got ${o.load})`);
  if (!o.lanes.length) throw new LiveSetupError('no lanes: give at least one, e.g. cpu:1');
  if (new Set(o.lanes.map((l) => l.id)).size !== o.lanes.length) throw new LiveSetupError(`lane ids must be unique (${o.lanes.map((l) => l.id).join(', ')})`);
  if (!((o.scale ?? 1) > 0)) throw new LiveSetupError(`scale must be > 0 (got ${o.scale})`);
  for (const f of o.faults ?? []) {
    const ok = typeof f.lane === 'number' ? f.lane >= 0 && f.lane < o.lanes.length : o.lanes.some((l) => l.id === f.lane);
    if (!ok) throw new LiveSetupError(`fault injection names lane ${f.lane}, which is not a lane of this run`);
  }
}

/** The scheduler's view of the run: the same SimWorkload the simulator gets for its prediction. */
export function buildWorkload(scenario: LiveScenario, execs: ExecModel[], table: LatencyTable, lanes: LaneDef[], o: { scale?: number }, runId: string, calibrationNotes: string[] = []): SimWorkload {
  const scale = o.scale ?? 1;
  const tenants: TenantDef[] = scenario.tenants.map((t, ti) => {
    const cost = (ms: number | undefined, i: number, l: number) => {
      const notice = i === 0 && !t.cascade ? table.releaseLagS : 0;
      return ms !== undefined && Number.isFinite(ms) ? { latency: Math.max(1e-7, ms / 1000 + table.overheadS[l] + notice) } : null;
    };
    const layers = execs[ti].units.map((u, i) => ({
      name: u.name,
      outputBytes: table.outBytes[ti][i],
      variants: [
        // A unit that runs a schedule's fixed variant in place of the original (variantPicks) is that variant, as in the simulator's
        // applyVariantChoice: variants[0], charged nothing per frame (the workload check refuses a loss there); its loss lowers baseAccuracy below.
        { id: u.fixedVariant?.id ?? 'original', accuracyDelta: 0, cost: lanes.map((_, l) => cost(table.computeMs[ti][i][l], i, l)) },
        // Variant k + 1 is the lanes' session v(k + 1): never filtered, so the indices stay aligned (unmeasured = null).
        ...(u.variants ?? []).map((v, k) => ({ id: v.id, accuracyDelta: v.accuracyDelta, cost: lanes.map((_, l) => cost(table.variantMs?.[ti]?.[i]?.[k]?.[l], i, l)) })),
      ],
    }));
    const limits = { maxOutputRelErr: t.maxOutputRelErr, maxTop1Drop: t.maxTop1Drop, minMapIoU: t.minMapIoU, maxDecisionChange: t.maxDecisionChange };
    const whitelist = hasLimits(limits) ? buildWhitelist(layers, execs[ti].combinations ?? [], limits).whitelist : undefined;
    const fixedLoss = execs[ti].units.reduce((a, u) => a + (u.fixedVariant?.accuracyDelta ?? 0), 0);
    return {
    id: t.id,
    model: execs[ti].name,
    layers,
    ...(t.accuracyBudget !== undefined ? { accuracyBudget: t.accuracyBudget } : {}),
    ...(whitelist ? { whitelist } : {}),
    // Rate x scale by the one rule (workloads/rate-scaling.ts): a deadline at the next release follows.
    ...scaleTenantTiming({ arrival: t.arrival, deadline: t.deadline, slos: t.slos }, scale),
    priority: t.priority ?? 3,
    cascade: t.cascade,
    baseAccuracy: fixedLoss > 0 ? (t.baseAccuracy ?? 1) - fixedLoss : t.baseAccuracy,
    };
  });
  const sources = [...new Set(table.sources)];
  return {
    name: scenario.name + (scale !== 1 ? ` (rates x${scale})` : ''),
    // Moving activations between lanes goes through the main thread: one message hop out, one in.
    lanes: lanes.map((l, i) => {
      const own = table.links?.[i];
      return { ...l, link: own ? { latency: own.latency, bytesPerSec: own.bytesPerSec } : { latency: table.transfer.latency / 2, bytesPerSec: 2 * table.transfer.bytesPerSec } };
    }),
    tenants,
    latencySource: {
      kind: 'measured',
      profileId: table.sources.every((s) => s.startsWith('profile ')) ? sources.join(', ') : `live-calibration:${runId}`,
      detail: `${sources.join('; ')}; plus, measured on this run's lanes, each layer's dispatch overhead (${lanes.map((l, i) => `${l.id}: ${(table.overheadS[i] * 1e6).toFixed(0)} µs`).join(', ')}) and, on the first layer of source tenants, the release clock's lag (${(table.releaseLagS * 1e6).toFixed(0)} µs)` +
        (table.links?.some(Boolean) ? `; moving activations: ${lanes.map((l, i) => `${l.id} ${table.links?.[i] ? table.links[i]!.source : 'this run\'s measured hop'}`).join(', ')}` : '') +
        (calibrationNotes.length ? `; calibrated: ${calibrationNotes.join('; ')}` : ''),
    },
    energySource: { kind: 'estimated', detail: `ESTIMATE: busy watts above idle per lane (${lanes.map((l) => `${l.id} ${l.busyWatts} W`).join(', ')}), idle draw not counted` },
  };
}
