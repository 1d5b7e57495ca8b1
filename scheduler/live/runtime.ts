// The live runtime: a scenario run for real on the local lanes, under any policy of the registry,
// through the SAME policy interface as the simulator (scheduler/core/types.ts). At every event
// (frame release, layer finished, lane failure, telemetry tick) it builds the policy's Snapshot from
// live state and applies its Decision: drops, and (job, layer, lane) runs that it sends to the
// lanes' workers. Inference never runs on this thread: it decides, moves messages, keeps the books.
//
// Semantics follow the simulator so that the two can be compared: the same release times and
// cascade outcomes (arrivals.ts), the same bounded per-tenant queue of not-started frames, the same
// prediction model with the same online refinement (core/predict.ts), windows of the same length
// reported to adaptive policies, a dropped frame taking the dependents it would have released with it.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { uxcost } from '../core/metrics';
import { createPolicy } from '../core/policies';
import { PredictionModel } from '../core/predict';
import type { DropReason, JobRecord, Slice } from '../core/simulator';
import { relativeDeadline, type Feedback, type JobState, type LaneDef, type LaneState, type Policy, type SimWorkload, type Snapshot, type TenantDef } from '../core/types';
import { validateTenants, validateWorkload } from '../core/workload';
import { ArrivalStream, cascadeFires } from './arrivals';
import { buildLatencyTable, type LatencyTable } from './calibrate';
import { AlarmClock } from './clock';
import { LiveEnergy, laneWatts } from './energy';
import { LaneClient } from './lane-client';
import { keepSets, LiveSetupError, resolveExecModel } from './models';
import { busiestUtilisation } from '../sim-workload';
import type { FromLane } from './protocol';
import { buildReport, type RunBooks } from './report';
import type { ExecModel, ExecGranularity, LiveOptions, LiveReport, LiveScenario, TelemetryBatch, TelemetryJob, TelemetrySlice, WireTensor } from './types';
import { scaleTenantTiming } from '../../workloads/rate-scaling';

const LOC_NONE = -2; // fresh frame: its inputs are the tenant's samples, present on every lane
const LOC_MAIN = -1; // activations parked on the main thread
const LOOP_RESOLUTION_MS = 10;

export interface LiveSlice extends Slice {
  /** 0 for the first attempt; a job restarted after a lane failure runs again with attempt + 1. */
  attempt: number;
}

/** Why a live frame was dropped: the simulator's reasons, plus 'drain' (not done when the run ended) and 'no-lane' (every lane failed). */
export type LiveDropReason = DropReason | 'drain' | 'no-lane';

export interface LiveJobRecord extends JobRecord {
  reason?: LiveDropReason;
  /** Still in flight when the run was stopped: not counted in the metrics. */
  abandoned?: boolean;
  attempts: number;
  /** When the runtime saw the release (its clock's lateness is part of the latency). */
  seen: number;
}

interface LiveJob extends JobState {
  record: LiveJobRecord;
  running: boolean;
  /** Not started yet (for the per-tenant queue bound). */
  waiting: boolean;
  ended: boolean;
  loc: number;
  /** Lane its activations are being parked from, -1 when none. */
  parkingFrom: number;
  /** Lane waiting for this job's parked activations, -1 when none. */
  forwardTo: number;
  tensors?: Record<string, WireTensor>;
  attempt: number;
  /** Current dispatch: when the move of its activations began (µs since origin), NaN when none. */
  moveStartUs: number;
  moveBytes: number;
  /** Profiled latency of the layer running now. */
  profiled: number;
  variant: number;
  gSum: number;
  layersRun: number;
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
}

export interface LiveResult {
  report: LiveReport;
  jobs: LiveJobRecord[];
  slices: LiveSlice[];
  workload: SimWorkload;
}

type Phase = 'setup' | 'running' | 'draining' | 'stopping' | 'done';

export type ResolvedLiveOptions = LiveOptions & { granularity: ExecGranularity; scale: number; seed: number; maxQueuePerTenant: number; adaptive: boolean; telemetryHz: number; window: number };

export class LiveRun {
  readonly id: string;
  readonly options: ResolvedLiveOptions;
  private phase: Phase = 'setup';
  private policy: Policy;
  private policyName: string;
  private readonly switches: { at: number; policy: string }[] = [];
  private readonly originNs = process.hrtime.bigint();
  private runStartUs = NaN;
  /** Wall-clock time of the first release (ISO), for the report. */
  private startedAt: string | undefined;
  private lanes: LaneRt[] = [];
  private laneStates: LaneState[] = [];
  private execs: ExecModel[] = [];
  /** The workload as planned (the prediction runs on it). */
  private workload!: SimWorkload;
  /** The workload the policy sees now (lanes that failed have no costs). */
  private current!: SimWorkload;
  private table!: LatencyTable;
  private model!: PredictionModel;
  private snapshot!: Snapshot;
  private arrivals!: ArrivalStream;
  private clock: AlarmClock | undefined;
  private energy!: LiveEnergy;
  private loopDelay: IntervalHistogram | undefined;
  /** The same delay since the previous telemetry batch (reset after each batch). */
  private tickLoopDelay: IntervalHistogram | undefined;
  private readonly active = new Map<number, LiveJob>();
  /** Jobs in the system (waiting or running), in release order. */
  private readonly inSystem: LiveJob[] = [];
  private readonly readyView: JobState[] = [];
  private records: LiveJobRecord[] = [];
  private recordsDropped = 0;
  private slices: LiveSlice[] = [];
  private slicesDropped = 0;
  private nextJobId = 0;
  private waiting: Int32Array = new Int32Array(0);
  private maxQueued: number[] = [];
  private dependents: number[][] = [];
  private counters: { released: number; finished: number; late: number; dropped: number }[] = [];
  private queueDrops = 0;
  private systemCapDrops = 0;
  private policyDrops = 0;
  private readonly faults: { lane: string; at: number; reason: string; rescheduledJobs: number }[] = [];
  private readonly faultJobs: { lane: number; at: number; jobs: number[] }[] = [];
  private transfers = { count: 0, bytes: 0, samples: [] as number[] };
  private win = { start: 0, ended: 0, missed: 0, dropped: 0, energy: 0, ref: 0 };
  private telemetryTimer: ReturnType<typeof setInterval> | undefined;
  private telemetrySeq = 0;
  private pendingJobs: TelemetryJob[] = [];
  private pendingSlices: TelemetrySlice[] = [];
  private omitted = { jobs: 0, slices: 0 };
  private lastTickUs = 0;
  private lastTickJoules = 0;
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  private stopTimer: ReturnType<typeof setTimeout> | undefined;
  private faultTimers: ReturnType<typeof setTimeout>[] = [];
  private readonly injected = new Set<number>();
  private finished: (() => void) | undefined;
  private status: LiveReport['status'] = 'completed';
  private error: string | undefined;
  private stopReason: string | undefined;
  private readonly warnings: string[] = [];
  private readonly caps: { slices: number; jobs: number; telemetryItems: number };
  private endUs = NaN;
  private releasedUntil = 0;
  private isolated: Float64Array = new Float64Array(0);
  private readonly layerFb = { kind: 'layer' as const, time: 0, job: 0, tenant: 0, layer: 0, lane: 0, variant: 0, predicted: 0, observed: 0 };
  private readonly jobFb = { kind: 'job' as const, time: 0, job: 0, tenant: 0, release: 0, deadline: 0, finish: NaN, dropped: false, accuracyUsed: 0 };

  constructor(
    readonly scenario: LiveScenario,
    options: LiveOptions,
    private readonly hooks: LiveHooks = {},
  ) {
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as LiveOptions;
    this.options = { granularity: 'model', scale: 1, seed: 1, maxQueuePerTenant: 16, adaptive: true, telemetryHz: 10, window: 0.5, ...given };
    this.id = options.runId ?? `${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}-${randomUUID().slice(0, 8)}`;
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(this.id)) throw new LiveSetupError(`run id "${this.id}" may only contain letters, digits, '.', '_' and '-'`);
    this.caps = { slices: 200_000, jobs: 500_000, telemetryItems: 2000, ...this.options.caps };
    this.policy = createPolicy(options.policy);
    this.policyName = options.policy;
    validate(scenario, this.options);
  }

  // -------------------------------------------------------------------------------------------
  // Public controls.

  get state(): { id: string; phase: Phase; policy: string; scenario: string; elapsed: number; duration: number } {
    return { id: this.id, phase: this.phase, policy: this.policyName, scenario: this.scenario.name, elapsed: Number.isFinite(this.runStartUs) ? this.now() : 0, duration: this.options.duration };
  }

  /** Switches the policy mid-run (the next decision uses it). Throws on an unknown policy name. */
  setPolicy(name: string): void {
    const p = createPolicy(name);
    this.policy = p;
    this.policyName = name;
    this.switches.push({ at: Number.isFinite(this.runStartUs) ? this.now() : 0, policy: name });
    if (this.phase === 'running' || this.phase === 'draining') this.consult(this.now());
  }

  /** Stops the run: no more frames; layers in flight finish and are kept; the report covers what was measured. */
  stop(reason = 'stopped by the user'): void {
    if (this.phase === 'done' || this.phase === 'stopping') return;
    this.stopReason = reason;
    this.status = 'stopped';
    if (this.phase === 'setup') {
      this.phase = 'stopping';
      return;
    }
    this.releasedUntil = Math.min(this.options.duration, this.now());
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
        if (this.phase === 'stopping' || signal?.aborted) throw abortError(`the live run was stopped during setup (${this.stopReason ?? 'cancelled'}); nothing was measured`);
        throw e;
      }
      if (this.phase === 'stopping' || signal?.aborted) throw abortError(`the live run was stopped during setup (${this.stopReason ?? 'cancelled'}); nothing was measured`);
      await this.execute();
      return await this.finish();
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await this.cleanup();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Setup.

  private async setup(signal?: AbortSignal): Promise<void> {
    const o = this.options;
    const progress = (m: string) => this.hooks.onProgress?.(m);
    progress('preparing models');
    this.execs = [];
    for (const t of this.scenario.tenants) this.execs.push(await resolveExecModel(t, o.granularity, o.seed));
    progress(`starting ${o.lanes.length} lane(s)`);
    const isolation = o.isolation ?? 'thread';
    this.lanes = o.lanes.map((spec, index) => {
      const w = laneWatts(spec);
      return {
        index,
        client: new LaneClient(index, spec, this.originNs, isolation),
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
              await lane.client.request({ op: 'load', key: `${t}/${i}`, bytes: exec.units[i].bytes });
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
            units: exec.units.map((u, i) => ({ key: `${t}/${i}`, inputs: u.inputs.map((x) => x.name), outputs: u.outputs.map((x) => x.name), keep: keep[i] })),
            samples: exec.samples ?? [],
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
        if (!loaded[t][i]) this.warnings.push(`tenant "${tenant}" cannot run on lane ${l.client.spec.id} (${errors[t][i]}); it uses the other lanes`);
      });
    });
    if (signal?.aborted) return;
    progress('measuring latencies');
    this.table = await buildLatencyTable({
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
    this.lanes.forEach((l, i) => (l.overheadS = this.table.overheadS[i]));
    // Frames are released by the alarm clock: how late it wakes this thread is part of every frame's latency.
    this.clock = new AlarmClock(this.originNs, () => {});
    if (this.clock.kind !== 'atomics') this.warnings.push('frame releases use setTimeout (millisecond resolution): the precise clock worker could not start');
    this.table.releaseLagS = await this.clock.measureLag();
    if (o.load !== undefined) {
      // Rates x whatever brings the busiest lane to the target load, by the table just measured.
      const busiest = busiestUtilisation(buildWorkload(this.scenario, this.execs, this.table, this.lanes.map((l) => l.state.def), o, this.id));
      if (!(busiest > 0)) throw new LiveSetupError(`cannot scale ${this.scenario.name} to load ${o.load}: no lane has work`);
      o.scale = +(o.scale * (o.load / busiest)).toPrecision(4);
    }
    this.workload = buildWorkload(this.scenario, this.execs, this.table, this.lanes.map((l) => l.state.def), o, this.id);
    try {
      validateWorkload(this.workload);
    } catch (e) {
      throw new LiveSetupError((e as Error).message);
    }
    this.setCurrent(this.workload, undefined);
    this.isolated = Float64Array.from(this.workload.tenants, (_, t) => this.model.isolated(t));
    const nT = this.workload.tenants.length;
    this.waiting = new Int32Array(nT);
    this.maxQueued = new Array(nT).fill(0);
    this.counters = this.workload.tenants.map(() => ({ released: 0, finished: 0, late: 0, dropped: 0 }));
    const index = new Map(this.workload.tenants.map((t, i) => [t.id, i]));
    this.dependents = this.workload.tenants.map(() => []);
    this.workload.tenants.forEach((t, i) => t.cascade && this.dependents[index.get(t.cascade.upstream)!].push(i));
    this.arrivals = new ArrivalStream(this.workload.tenants, o.seed, o.duration);
    this.win.ref = this.workload.lanes.reduce((a, l) => a + l.busyWatts * o.window, 0);
    this.energy = new LiveEnergy(o.lanes);
    await this.energy.start(o.meters ?? true);
  }

  /** The workload and prediction model the policy sees; keeps the online ratios when lanes fail. */
  private setCurrent(w: SimWorkload, ratios: Float64Array | undefined): void {
    this.current = w;
    this.model = new PredictionModel(w);
    if (ratios) this.model.ratios.set(ratios);
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
    return Number(process.hrtime.bigint() - this.originNs) / 1000;
  }

  /** Run time, s. */
  private now(): number {
    return (this.clockUs() - this.runStartUs) / 1e6;
  }

  private toRun(us: number): number {
    return (us - this.runStartUs) / 1e6;
  }

  private execute(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.finished = resolve;
      for (const lane of this.lanes) {
        lane.client.onEvent = (m) => this.onLaneEvent(lane, m);
        lane.client.onFail((reason) => this.onLaneFailed(lane, reason));
      }
      this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
      this.loopDelay.enable();
      this.tickLoopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
      this.tickLoopDelay.enable();
      this.clock!.onFire(() => this.onAlarm());
      this.runStartUs = this.clockUs();
      this.startedAt = new Date().toISOString();
      this.lastTickUs = this.runStartUs;
      this.releasedUntil = this.options.duration;
      this.phase = 'running';
      for (const f of this.options.faults ?? []) {
        const lane = typeof f.lane === 'number' ? this.lanes[f.lane] : this.lanes.find((l) => l.client.spec.id === f.lane)!;
        this.faultTimers.push(
          setTimeout(() => {
            this.injected.add(lane.index);
            lane.client.post({ op: 'crash' });
          }, Math.max(0, f.at * 1000)),
        );
      }
      this.telemetryTimer = setInterval(() => this.tick(), 1000 / this.options.telemetryHz);
      this.onAlarm();
    });
  }

  private onAlarm(): void {
    if (this.phase !== 'running') return;
    const now = this.now();
    this.closeWindows(now);
    for (;;) {
      const r = this.arrivals.peek();
      if (!r) break;
      if (r.time > now) {
        this.clock!.set(this.runStartUs + r.time * 1e6);
        break;
      }
      this.arrivals.take();
      this.release(r.tenant, r.frame, r.time, -1, now);
    }
    if (!this.arrivals.peek()) this.beginDraining();
    this.afterEvent(now);
  }

  private beginDraining(): void {
    if (this.phase !== 'running') return;
    this.phase = 'draining';
    const longest = Math.max(...this.workload.tenants.map(relativeDeadline));
    const timeout = this.options.drainTimeout ?? Math.max(1, 4 * longest);
    this.drainTimer = setTimeout(() => {
      if (this.phase !== 'draining') return;
      for (const j of [...this.inSystem]) if (!j.running) this.drop(j, 'drain');
      this.beginStopping();
    }, timeout * 1000);
  }

  private beginStopping(): void {
    if (this.phase === 'done' || this.phase === 'stopping') return;
    this.phase = 'stopping';
    this.clock?.clear();
    // Layers in flight finish and are kept; then whatever has not finished is abandoned.
    const longest = Math.max(0.5, ...this.lanes.map((l) => (l.job ? 3 * l.job.profiled : 0)));
    this.stopTimer = setTimeout(() => this.end(), Math.min(10, longest) * 1000);
    this.afterEvent(this.now());
  }

  private afterEvent(now: number): void {
    if (this.phase === 'done') return;
    if (this.phase === 'running' || this.phase === 'draining') this.consult(now);
    if (this.phase === 'draining' && this.inSystem.length === 0) this.end();
    else if (this.phase === 'stopping' && this.lanes.every((l) => !l.job)) this.end();
  }

  private end(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.endUs = this.clockUs();
    this.clock?.clear();
    if (this.drainTimer) clearTimeout(this.drainTimer);
    if (this.stopTimer) clearTimeout(this.stopTimer);
    for (const t of this.faultTimers) clearTimeout(t);
    for (const j of [...this.inSystem]) {
      // A completed run that ran out of drain time counts its leftovers as dropped; a stopped one abandons them.
      if (this.status === 'completed') this.drop(j, 'drain', true);
      else this.abandon(j);
    }
    this.tick();
    if (this.telemetryTimer) clearInterval(this.telemetryTimer);
    this.finished?.();
  }

  private newJob(t: number, frame: number, time: number, upstream: number, seen: number): LiveJob {
    const tenant = this.workload.tenants[t];
    const id = this.nextJobId++;
    const deadline = time + relativeDeadline(tenant);
    const record: LiveJobRecord = { id, tenant: t, frame, release: time, deadline, start: NaN, finish: NaN, dropped: false, isolated: this.isolated[t], accuracyUsed: 0, upstream, layersRun: 0, attempts: 1, seen };
    this.pushRecord(record);
    this.counters[t].released++;
    return {
      id, tenant: t, frame, release: time, deadline, priority: tenant.priority, next: 0, layerCount: tenant.layers.length, lastRun: time, lastLane: -1, accuracyUsed: 0, upstream, g: 1,
      record, running: false, waiting: true, ended: false, loc: LOC_NONE, parkingFrom: -1, forwardTo: -1, attempt: 0, moveStartUs: NaN, moveBytes: 0, profiled: 0, variant: 0, gSum: 0, layersRun: 0,
    };
  }

  private release(t: number, frame: number, time: number, upstream: number, seen: number): void {
    const job = this.newJob(t, frame, time, upstream, seen);
    if (this.waiting[t] >= this.options.maxQueuePerTenant) {
      // Bounded admission: the oldest not-started frame of this tenant gives way (as in the simulator).
      const oldest = this.inSystem.find((j) => j.tenant === t && j.waiting && !j.running);
      if (oldest) this.drop(oldest, 'queue');
    }
    // Safety net (the simulator has none): frames already started and waiting for their next layer
    // are not covered by the per-tenant bound; cap everything in the system so nothing grows without limit.
    const cap = 4 * this.options.maxQueuePerTenant * this.workload.tenants.length;
    if (this.inSystem.length >= cap) {
      const oldest = this.inSystem.find((j) => !j.running);
      if (oldest) {
        this.drop(oldest, 'queue');
        this.systemCapDrops++;
      }
    }
    this.inSystem.push(job);
    this.active.set(job.id, job);
    this.waiting[t]++;
    if (this.waiting[t] > this.maxQueued[t]) this.maxQueued[t] = this.waiting[t];
  }

  private pushRecord(r: LiveJobRecord): void {
    this.records.push(r);
    if (this.records.length > this.caps.jobs) {
      const n = Math.ceil(this.caps.jobs / 10);
      this.records.splice(0, n);
      this.recordsDropped += n;
    }
  }

  private pushSlice(s: LiveSlice): void {
    this.slices.push(s);
    if (this.slices.length > this.caps.slices) {
      const n = Math.ceil(this.caps.slices / 10);
      this.slices.splice(0, n);
      this.slicesDropped += n;
    }
    if (this.pendingSlices.length < this.caps.telemetryItems) this.pendingSlices.push({ job: s.job, tenant: s.tenant, lane: s.lane, layer: s.layer, start: s.start, end: s.end, kind: s.kind });
    else this.omitted.slices++;
  }

  private leave(job: LiveJob): void {
    const i = this.inSystem.indexOf(job);
    if (i >= 0) this.inSystem.splice(i, 1);
    this.active.delete(job.id);
    if (job.waiting) this.waiting[job.tenant]--;
    job.waiting = false;
    job.ended = true;
  }

  private freeData(job: LiveJob): void {
    if (job.loc >= 0) {
      const lane = this.lanes[job.loc];
      if (lane.held.delete(job.id)) lane.client.post({ op: 'free', job: job.id });
    }
    job.tensors = undefined;
    job.loc = LOC_NONE;
  }

  /** A frame that ended (finished or dropped): books, feedback, telemetry. */
  private jobEnded(r: LiveJobRecord, now: number): void {
    const c = this.counters[r.tenant];
    this.win.ended++;
    if (r.dropped) {
      c.dropped++;
      this.win.dropped++;
      this.win.missed++;
    } else {
      c.finished++;
      if (r.finish > r.deadline) {
        c.late++;
        this.win.missed++;
      }
    }
    if (this.policy.observe) {
      const f = this.jobFb;
      f.time = now;
      f.job = r.id;
      f.tenant = r.tenant;
      f.release = r.release;
      f.deadline = r.deadline;
      f.finish = r.finish;
      f.dropped = r.dropped;
      f.accuracyUsed = r.accuracyUsed;
      this.policy.observe(f);
    }
    if (this.pendingJobs.length < this.caps.telemetryItems) this.pendingJobs.push({ id: r.id, tenant: r.tenant, release: r.release, deadline: r.deadline, finish: r.dropped ? null : r.finish, dropped: r.dropped, reason: r.reason });
    else this.omitted.jobs++;
  }

  private drop(job: LiveJob, reason: LiveDropReason, force = false): void {
    if (job.ended || (job.running && !force)) return;
    const now = Number.isFinite(this.endUs) ? this.toRun(this.endUs) : this.now();
    this.leave(job);
    this.freeData(job);
    job.record.dropped = true;
    job.record.reason = reason;
    job.record.dropReason = reason === 'drain' || reason === 'no-lane' ? 'unserved' : reason;
    if (reason === 'queue') this.queueDrops++;
    if (reason === 'policy') this.policyDrops++;
    this.jobEnded(job.record, now);
    this.dropDependents(job.record, now);
  }

  /** The dependents a dropped frame would have released are released and dropped with it (as the simulator does). */
  private dropDependents(r: LiveJobRecord, now: number): void {
    for (const d of this.dependents[r.tenant]) {
      if (!cascadeFires(this.options.seed, this.workload.tenants, d, r.frame)) continue;
      const dep = this.newJob(d, r.frame, now, r.id, now);
      dep.ended = true;
      dep.record.dropped = true;
      dep.record.reason = 'cascade';
      dep.record.dropReason = 'cascade';
      this.jobEnded(dep.record, now);
      this.dropDependents(dep.record, now);
    }
  }

  private abandon(job: LiveJob): void {
    if (job.ended) return;
    this.leave(job);
    job.record.abandoned = true;
  }

  private closeWindows(now: number): void {
    const w = this.win;
    const len = this.options.window;
    while (now >= w.start + len) {
      const end = w.start + len;
      if (this.policy.observe) {
        const missRate = w.ended ? w.missed / w.ended : 0;
        const fb: Feedback = { kind: 'window', start: w.start, end, ended: w.ended, missed: w.missed, dropped: w.dropped, missRate, energyJ: w.energy, uxcost: uxcost(w.energy, w.ref, missRate), referenceJ: w.ref };
        this.policy.observe(fb);
      }
      w.start = end;
      w.ended = w.missed = w.dropped = 0;
      w.energy = 0;
    }
  }

  private consult(now: number): void {
    this.closeWindows(now);
    if (this.inSystem.length === 0) return;
    let anyIdle = false;
    for (const l of this.laneStates) if (l.idle) anyIdle = true;
    if (!anyIdle) return;
    this.readyView.length = 0;
    for (const j of this.inSystem) if (!j.running) this.readyView.push(j);
    if (this.readyView.length === 0) return;
    const s = this.snapshot;
    s.time = now;
    s.inSystem = this.inSystem.length;
    const decision = this.policy.decide(s);
    for (const id of decision.drop) {
      const job = this.active.get(id);
      if (job && !job.running) this.drop(job, 'policy');
    }
    for (const a of decision.assign) {
      const job = this.active.get(a.job);
      const lane = this.lanes[a.lane];
      if (!job || !lane || job.running || job.ended || !lane.state.idle) continue;
      const profiled = this.model.latency(job.tenant, job.next, a.lane, a.variant);
      if (!(profiled < Infinity)) continue;
      this.assign(job, lane, profiled, a.variant, now);
    }
  }

  private assign(job: LiveJob, lane: LaneRt, profiled: number, variant: number, now: number): void {
    job.running = true;
    job.profiled = profiled;
    job.variant = variant;
    job.moveStartUs = NaN;
    job.moveBytes = 0;
    if (job.waiting) {
      job.waiting = false;
      this.waiting[job.tenant]--;
      if (Number.isNaN(job.record.start)) job.record.start = now;
    }
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
      const o = this.active.get(other);
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
    lane.client.post(
      { op: 'run', seq: ++lane.seq, job: job.id, tenant: job.tenant, layer: job.next, final: job.next === job.layerCount - 1, sample: fresh ? job.frame : undefined, tensors, sentUs: this.clockUs() },
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
    const job = this.active.get(m.job);
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
      job.running = false;
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
    const layer = job.next;
    const start = this.toRun(m.startUs);
    const end = this.toRun(m.endUs);
    if (Number.isFinite(job.moveStartUs)) {
      const moveUs = Math.max(0, m.recvUs - job.moveStartUs);
      this.pushSlice({ job: job.id, tenant: job.tenant, lane: lane.index, layer, variant: job.variant, start: this.toRun(job.moveStartUs), end: this.toRun(m.recvUs), kind: 'transfer', attempt: job.attempt });
      this.transfers.count++;
      this.transfers.bytes += job.moveBytes;
      if (this.transfers.samples.length < 100_000) this.transfers.samples.push(moveUs);
    }
    this.pushSlice({ job: job.id, tenant: job.tenant, lane: lane.index, layer, variant: job.variant, start, end, kind: 'layer', attempt: job.attempt });
    const busyUs = m.endUs - m.startUs;
    lane.busyUs += busyUs;
    lane.tickBusyUs += busyUs;
    lane.runs++;
    this.energy.busy(lane.index, busyUs / 1e6);
    this.win.energy += this.energy.estimate(lane.index, busyUs / 1e6);
    const observed = busyUs / 1e6 + lane.overheadS;
    if (this.options.adaptive) this.model.update(job.tenant, lane.index, job.profiled, observed);
    job.running = false;
    job.lastRun = end;
    job.lastLane = lane.index;
    job.next = layer + 1;
    job.layersRun++;
    job.record.layersRun++;
    job.gSum += observed / job.profiled;
    job.g = job.gSum / job.layersRun;
    job.accuracyUsed += this.workload.tenants[job.tenant].layers[layer].variants[job.variant]?.accuracyDelta ?? 0;
    job.record.accuracyUsed = job.accuracyUsed;
    if (this.policy.observe) {
      const f = this.layerFb;
      f.time = end;
      f.job = job.id;
      f.tenant = job.tenant;
      f.layer = layer;
      f.lane = lane.index;
      f.variant = job.variant;
      f.predicted = job.profiled;
      f.observed = observed;
      this.policy.observe(f);
    }
    if (job.next < job.layerCount) {
      job.loc = lane.index;
      lane.held.add(job.id);
      return;
    }
    job.loc = LOC_NONE; // the worker freed it (final layer)
    this.leave(job);
    job.record.finish = end;
    const now = this.now();
    this.jobEnded(job.record, now);
    if (this.phase === 'running' || this.phase === 'draining') {
      for (const d of this.dependents[job.tenant]) {
        if (cascadeFires(this.options.seed, this.workload.tenants, d, job.frame)) this.release(d, job.frame, end, job.id, now);
      }
    }
  }

  private onLaneFailed(lane: LaneRt, reason: string): void {
    if (this.phase === 'done' || this.phase === 'setup' || lane.failure) return;
    const at = this.now();
    if (this.injected.has(lane.index)) reason = `${reason} (injected fault)`;
    lane.failure = { at, reason };
    const st = lane.state;
    st.idle = false;
    st.busyUntil = Infinity;
    st.job = -1;
    st.power = 0;
    // The policy and the predictions no longer see the lane (the online ratios are kept).
    const w: SimWorkload = {
      ...this.current,
      tenants: this.current.tenants.map((t) => ({ ...t, layers: t.layers.map((l) => ({ ...l, variants: l.variants.map((v) => ({ ...v, cost: v.cost.map((c, i) => (i === lane.index ? null : c)) })) })) })),
    };
    const rescheduled: number[] = [];
    const restart = (job: LiveJob) => {
      if (job.ended) return;
      job.running = false;
      job.next = 0;
      job.loc = LOC_NONE;
      job.tensors = undefined;
      job.parkingFrom = -1;
      job.forwardTo = -1;
      job.lastLane = -1;
      job.lastRun = job.release;
      job.accuracyUsed = 0;
      job.attempt++;
      job.record.attempts++;
      if (!rescheduled.includes(job.id)) rescheduled.push(job.id);
    };
    const running = lane.job;
    lane.job = undefined;
    if (running && !running.ended) {
      if (running.forwardTo === lane.index && running.parkingFrom >= 0) {
        // Its data was on its way here through the main thread: not lost, only unassigned.
        running.forwardTo = -1;
        running.running = false;
        rescheduled.push(running.id);
      } else restart(running);
    }
    for (const id of lane.held) {
      const j = this.active.get(id);
      if (j) restart(j);
    }
    lane.held.clear();
    for (const j of this.active.values()) {
      if (j.parkingFrom !== lane.index) continue;
      // Its data was being parked from the dead lane: lost. Free the lane that waited for it.
      if (j.forwardTo >= 0 && this.lanes[j.forwardTo].job === j) this.freeLane(this.lanes[j.forwardTo]);
      restart(j);
    }
    this.setCurrent(w, this.model.ratios);
    void lane.client.terminate().catch(() => {});
    this.faults.push({ lane: lane.client.spec.id, at, reason, rescheduledJobs: rescheduled.length });
    this.faultJobs.push({ lane: lane.index, at, jobs: rescheduled });
    if (this.lanes.every((l) => l.failure)) {
      this.status = 'failed';
      this.error = `every lane failed (last: ${lane.client.spec.id}: ${reason})`;
      this.releasedUntil = Math.min(this.releasedUntil, at);
      for (const j of [...this.inSystem]) this.drop(j, 'no-lane', true);
      this.end();
      return;
    }
    this.afterEvent(at);
  }

  // -------------------------------------------------------------------------------------------
  // Telemetry.

  private tick(): void {
    if (!Number.isFinite(this.runStartUs)) return;
    const nowUs = Number.isFinite(this.endUs) ? this.endUs : this.clockUs();
    const dtUs = Math.max(1, nowUs - this.lastTickUs);
    const joules = this.energy.joules;
    const batch: TelemetryBatch = {
      runId: this.id,
      seq: this.telemetrySeq++,
      t: this.toRun(nowUs),
      phase: this.phase === 'setup' ? 'running' : this.phase,
      policy: this.policyName,
      policyState: this.policy.state?.(),
      tenants: this.workload.tenants.map((t, i) => ({ id: t.id, deadline: relativeDeadline(t), ...this.counters[i], queued: this.waiting[i] })),
      lanes: this.lanes.map((l) => {
        const utilisation = Math.min(1, l.tickBusyUs / dtUs);
        return { id: l.client.spec.id, alive: !l.failure, utilisation, runs: l.runs, estimatedWatts: utilisation * l.state.def.busyWatts };
      }),
      jobs: this.pendingJobs,
      slices: this.pendingSlices,
      omitted: this.omitted,
      ratios: this.workload.tenants.map((_, t) => this.lanes.map((_l, l) => this.model.ratio(t, l))),
      power: { watts: (joules - this.lastTickJoules) / (dtUs / 1e6), joules, source: this.energy.source },
      loop: this.tickLoopStats(),
    };
    this.tickLoopDelay?.reset();
    this.pendingJobs = [];
    this.pendingSlices = [];
    this.omitted = { jobs: 0, slices: 0 };
    for (const l of this.lanes) l.tickBusyUs = 0;
    this.lastTickUs = nowUs;
    this.lastTickJoules = joules;
    if (this.phase === 'running' || this.phase === 'draining') {
      const now = this.now();
      this.consult(now); // time-driven decisions (e.g. a frame that became hopeless), window feedback
      if (this.phase === 'draining' && this.inSystem.length === 0) this.end();
    }
    try {
      this.hooks.onTelemetry?.(batch);
    } catch (e) {
      this.warnings.push(`telemetry listener failed: ${(e as Error).message}`);
    }
  }

  private loopStats(h = this.loopDelay): { maxMs: number; p99Ms: number; meanMs: number } {
    if (!h || h.count === 0) return { maxMs: 0, p99Ms: 0, meanMs: 0 };
    // The histogram records the sampling timer's whole interval: the delay is what exceeds the resolution.
    const d = (ns: number) => Math.max(0, (ns - LOOP_RESOLUTION_MS * 1e6) / 1e6);
    return { maxMs: d(h.max), p99Ms: d(h.percentile(99)), meanMs: d(h.mean) };
  }

  /** The batch's loop figures: cumulative since the start, and the max since the previous batch. */
  private tickLoopStats(): Required<TelemetryBatch['loop']> {
    const all = this.loopStats();
    const tick = this.loopStats(this.tickLoopDelay);
    return { maxMs: all.maxMs, p99Ms: all.p99Ms, tickMaxMs: tick.maxMs, tickSamples: this.tickLoopDelay?.count ?? 0 };
  }

  // -------------------------------------------------------------------------------------------
  // The end.

  private async finish(): Promise<LiveResult> {
    const books: RunBooks = {
      runId: this.id,
      startedAt: this.startedAt,
      scenario: this.scenario,
      options: this.options,
      initialPolicy: this.switches.length ? this.options.policy : this.policyName,
      policy: this.policy,
      switches: this.switches,
      workload: this.workload,
      execs: this.execs,
      table: this.table,
      records: this.records,
      recordsDropped: this.recordsDropped,
      slices: this.slices,
      slicesDropped: this.slicesDropped,
      elapsed: this.toRun(this.endUs),
      releasedUntil: this.releasedUntil,
      status: this.status,
      error: this.error ?? (this.status === 'stopped' ? this.stopReason : undefined),
      lanes: this.lanes.map((l) => ({ spec: l.client.spec, adapter: l.client.adapter, failure: l.failure, busySec: l.busyUs / 1e6, runs: l.runs, overheadS: l.overheadS })),
      ratios: this.workload.tenants.map((_, t) => this.lanes.map((_l, l) => this.model.ratio(t, l))),
      transfers: this.transfers,
      maxQueued: this.maxQueued,
      queueDrops: this.queueDrops,
      policyDrops: this.policyDrops,
      loop: this.loopStats(),
      faults: this.faults,
      faultJobs: this.faultJobs,
      energy: { joules: this.energy.joules, source: this.energy.source, notes: this.energy.notes },
      warnings: this.systemCapDrops ? [...this.warnings, `${this.systemCapDrops} frame(s) dropped by the cap on frames in the system (4 x queue bound x tenants), which the simulator does not model`] : this.warnings,
      clockKind: this.clock?.kind ?? 'timers',
    };
    const report = await buildReport(books);
    return { report, jobs: this.records, slices: this.slices, workload: this.workload };
  }

  private async cleanup(): Promise<void> {
    if (this.telemetryTimer) clearInterval(this.telemetryTimer);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    if (this.stopTimer) clearTimeout(this.stopTimer);
    for (const t of this.faultTimers) clearTimeout(t);
    this.loopDelay?.disable();
    this.tickLoopDelay?.disable();
    await this.clock?.close().catch(() => {});
    await this.energy?.stop().catch(() => {});
    await Promise.all(this.lanes.map((l) => l.client.terminate().catch(() => {})));
  }
}

/** Frames per second each tenant runs: its own rate x scale, or its upstream's x the cascade probability. */
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

/** The run's options here; the tenants' timing and cascades by the core's one check (validateTenants). */
function validate(scenario: LiveScenario, o: LiveOptions): void {
  try {
    validateTenants(scenario.tenants, `scenario "${scenario.name}"`);
  } catch (e) {
    throw new LiveSetupError((e as Error).message);
  }
  if (!(o.duration > 0)) throw new LiveSetupError(`duration must be > 0 s (got ${o.duration})`);
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
export function buildWorkload(scenario: LiveScenario, execs: ExecModel[], table: LatencyTable, lanes: LaneDef[], o: { scale?: number }, runId: string): SimWorkload {
  const scale = o.scale ?? 1;
  const tenants: TenantDef[] = scenario.tenants.map((t, ti) => ({
    id: t.id,
    model: execs[ti].name,
    layers: execs[ti].units.map((u, i) => ({
      name: u.name,
      outputBytes: table.outBytes[ti][i],
      variants: [
        {
          id: 'original',
          accuracyDelta: 0,
          cost: lanes.map((_, l) => {
            const ms = table.computeMs[ti][i][l];
            const notice = i === 0 && !t.cascade ? table.releaseLagS : 0;
            return Number.isFinite(ms) ? { latency: Math.max(1e-7, ms / 1000 + table.overheadS[l] + notice) } : null;
          }),
        },
      ],
    })),
    // Rate x scale by the one rule (workloads/rate-scaling.ts): a deadline at the next release follows.
    ...scaleTenantTiming({ arrival: t.arrival, deadline: t.deadline, slos: t.slos }, scale),
    priority: t.priority ?? 3,
    cascade: t.cascade,
    baseAccuracy: t.baseAccuracy,
  }));
  const sources = [...new Set(table.sources)];
  return {
    name: scenario.name + (scale !== 1 ? ` (rates x${scale})` : ''),
    // Moving activations between lanes goes through the main thread: one message hop out, one in.
    lanes: lanes.map((l) => ({ ...l, link: { latency: table.transfer.latency / 2, bytesPerSec: 2 * table.transfer.bytesPerSec } })),
    tenants,
    latencySource: {
      kind: 'measured',
      profileId: table.sources.every((s) => s.startsWith('profile ')) ? sources.join(', ') : `live-calibration:${runId}`,
      detail: `${sources.join('; ')}; plus, measured on this run's lanes, each layer's dispatch overhead (${lanes.map((l, i) => `${l.id}: ${(table.overheadS[i] * 1e6).toFixed(0)} µs`).join(', ')}) and, on the first layer of source tenants, the release clock's lag (${(table.releaseLagS * 1e6).toFixed(0)} µs)`,
    },
    energySource: { kind: 'estimated', detail: `ESTIMATE: busy watts above idle per lane (${lanes.map((l) => `${l.id} ${l.busyWatts} W`).join(', ')}), idle draw not counted` },
  };
}
