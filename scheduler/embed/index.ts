// tessera/runtime: the embeddable runtime (package.json `exports`, built into dist/runtime.cjs). An
// app loads a tuned schedule (a file from `tessera tune`, or a bundle folder from `tessera schedule
// bundle`), starts it, submits frames for its tenants with their input tensors, gets each frame's
// outputs back, reads live stats and stops. It is the live runtime (scheduler/live) in its
// submitted-frames mode: the schedule's policy, lanes, granularity and queue bound, the same checks
// as the CLI on load (schema version, every model's sha256, every lane present). It pulls in no
// Electron, UI, engine or profiling code (test/runtime-entry.test.ts checks the bundle's inputs).
//
//   const rt = await openSchedule('schedule.json');
//   await rt.start();
//   const r = await rt.submit('vad', { input: { type: 'float32', dims: [1, 512], data } });
//   if (r.ok) use(r.outputs.output.data);
//   console.log(rt.stats());
//   await rt.stop();
import * as ort from 'onnxruntime-node';
import { LiveRun } from '../live/runtime';
import type { FrameOutcome, LiveReport, TelemetryBatch, WireTensor } from '../live/types';
import { liveScenarioOf, loadSchedule, schedulePath, type CheckOptions } from '../schedule/file';
import type { Schedule } from '../schedule/format';
import { scheduleLiveOptions } from '../schedule/replay';
import { StatsBook, type TenantStats } from './stats';

export type { FrameOutcome, WireTensor } from '../live/types';
export type { Schedule } from '../schedule/format';
export type { TenantStats } from './stats';
export { ScheduleError } from '../schedule/file';
export { LiveSetupError as RuntimeSetupError } from '../live/models';

/** An input tensor: { type, dims, data } (an onnxruntime-node Tensor is one). */
export interface Feed {
  type: string;
  dims: readonly number[];
  data: ArrayBufferView;
}

export interface OpenOptions {
  /** Called with every frame's outcome, besides the promise submit() returns. */
  onResult?: (outcome: FrameOutcome) => void;
  /** Setup messages (loading models on the lanes, measuring their latencies). */
  onProgress?: (message: string) => void;
  /** Also write the run's report and trace under TESSERA_HOME/runs when it stops (default false). */
  writeFiles?: boolean;
  /** Seconds frames in flight get to finish at stop() (default: 4 x the longest deadline, at least 1). */
  drainTimeout?: number;
  /** Which lanes this machine lacks (tests); default: probed as `tessera schedule validate` does. */
  laneProblem?: CheckOptions['laneProblem'];
}

export interface RuntimeStats {
  /** 'ready' (opened), 'starting', 'running', 'stopping', 'stopped'. */
  state: RuntimeState;
  /** Seconds since it started running. */
  elapsedSec: number;
  policy: string;
  tenants: TenantStats[];
  /** Per lane, from the latest telemetry tick (10 per second): busy share since the previous tick. */
  lanes: { id: string; alive: boolean; utilisation: number; runs: number }[];
}

export type RuntimeState = 'ready' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface StopResult {
  stats: RuntimeStats;
  /** The live runtime's report of the whole run (metrics over every submitted frame, lanes, energy, warnings). */
  report: LiveReport;
}

/** Loads a tuned schedule (file or bundle folder) and refuses it, with a ScheduleError naming the file or lane, unless every check passes. */
export async function openSchedule(file: string, o: OpenOptions = {}): Promise<ScheduleRuntime> {
  const { schedule } = await loadSchedule(schedulePath(file), { laneProblem: o.laneProblem });
  return new ScheduleRuntime(schedule, o);
}

export class ScheduleRuntime {
  /** The schedule's tenant ids, in order. */
  readonly tenants: string[];
  /** The ONNX Runtime version running it (the schedule records the one it was tuned with). */
  readonly ortVersion = ort.env.versions.common;
  private run: LiveRun | undefined;
  private done: Promise<{ report: LiveReport }> | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<StopResult> | undefined;
  private readonly book: StatsBook;
  private lanes: RuntimeStats['lanes'] = [];
  private state: RuntimeState = 'ready';

  constructor(
    readonly schedule: Schedule,
    private readonly o: OpenOptions = {},
  ) {
    this.tenants = schedule.scenario.definition.tenants.map((t) => t.id);
    this.book = new StatsBook(this.tenants);
  }

  /** Loads every model on the schedule's lanes and measures them (a few seconds); resolves once frames can be submitted. */
  start(): Promise<void> {
    this.starting ??= this.begin();
    return this.starting;
  }

  private async begin(): Promise<void> {
    this.state = 'starting';
    const scenario = await liveScenarioOf(this.schedule);
    let running!: () => void;
    const isRunning = new Promise<void>((resolve) => (running = resolve));
    const run = new LiveRun(
      scenario,
      { ...scheduleLiveOptions(this.schedule), frames: 'submitted', duration: Infinity, writeFiles: this.o.writeFiles ?? false, meters: false, drainTimeout: this.o.drainTimeout },
      {
        onRunning: running,
        onProgress: this.o.onProgress,
        onTelemetry: (b: TelemetryBatch) => (this.lanes = b.lanes.map((l) => ({ id: l.id, alive: l.alive, utilisation: l.utilisation, runs: l.runs }))),
      },
    );
    this.run = run;
    this.done = run.run().finally(() => (this.state = 'stopped'));
    // Setup errors reject start(); a run that ends by itself later (every lane failed) is seen by submit() and stop().
    this.done.catch(() => {});
    await Promise.race([isRunning, this.done.then(() => Promise.reject(new Error('the runtime ended during setup')))]);
    this.state = 'running';
  }

  /**
   * Submits a frame of `tenant` with its input tensors (every model input except the scenario's
   * fixed ones, with the schedule's shapes). Resolves with the outputs, or with why it was dropped;
   * throws when the runtime is not running or the feeds do not fit the model.
   */
  submit(tenant: string, feeds: Record<string, Feed>): Promise<FrameOutcome> {
    const t = this.tenants.indexOf(tenant);
    if (t < 0) throw new Error(`no tenant "${tenant}" in this schedule (tenants: ${this.tenants.join(', ')})`);
    if (!this.run || this.state !== 'running') throw new Error(`the runtime is ${this.state}: call start() and wait for it before submitting frames`);
    const wire: Record<string, WireTensor> = {};
    for (const [name, f] of Object.entries(feeds)) wire[name] = { type: f.type, dims: [...f.dims], data: f.data };
    const pending = this.run.submit(t, wire);
    this.book.submitted(t);
    return pending.then((outcome) => {
      this.book.ended(t, outcome);
      try {
        this.o.onResult?.(outcome);
      } catch {
        /* a listener's error is the app's: it must not lose the outcome */
      }
      return outcome;
    });
  }

  /** Live statistics per tenant (frames, misses, latency) and per lane. */
  stats(): RuntimeStats {
    const st = this.run?.state;
    return { state: this.state, elapsedSec: st?.elapsed ?? 0, policy: st?.policy ?? this.schedule.policy.spec, tenants: this.book.get(), lanes: this.lanes };
  }

  /** Takes no more frames; frames in flight finish (within the drain timeout, then they are dropped); the lanes shut down. */
  stop(): Promise<StopResult> {
    this.stopping ??= (async () => {
      if (this.starting) await this.starting.catch(() => {});
      if (!this.run || !this.done) {
        this.state = 'stopped';
        throw new Error('the runtime was never started');
      }
      if (this.state === 'running') this.state = 'stopping';
      this.run.finishSubmissions();
      const { report } = await this.done;
      return { stats: this.stats(), report };
    })();
    return this.stopping;
  }
}
