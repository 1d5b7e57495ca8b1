// tessera/runtime: the embeddable runtime (package.json `exports`, built into dist/runtime.cjs). An
// app loads a tuned schedule (a file from `tessera tune`, or a bundle folder from `tessera schedule
// bundle`), starts it, submits frames for its tenants with their input tensors, gets each frame's
// outputs back, reads live stats and stops. It is the live runtime (scheduler/live) in its
// submitted-frames mode: the schedule's policy, lanes, granularity, queue bound, late dropping and
// pins, the same checks as the CLI on load (schema version, every model's sha256, every lane
// present). It pulls in no Electron, UI, engine or profiling code (test/runtime-entry.test.ts checks
// the bundle's inputs), so it cannot make a schedule's fixed layer variants ('fastest'): those layers
// run as the originals, and the stop report's `levers` and warnings say so.
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
import { LiveSetupError } from '../live/models';
import { liveScenarioOf, loadSchedule, schedulePath, ScheduleError } from '../schedule/file';
import type { Schedule } from '../schedule/format';
import { scheduleLiveOptions } from '../schedule/replay';
import type * as Api from './api';
import type { Feed, OpenOptions, RuntimeState, RuntimeStats, StopResult } from './api';
import { StatsBook } from './stats';

// The published declarations are api.ts (package.json exports "./runtime".types); this module
// implements them, and the type checker holds it to them (implements / typeof below).
export type * from './api';
export { ScheduleError, LiveSetupError as RuntimeSetupError };
type Conforms<A extends B, B> = A;
type _ErrorsConform = [Conforms<ScheduleError, Api.ScheduleError>, Conforms<LiveSetupError, Api.RuntimeSetupError>];

/** Loads a tuned schedule (file or bundle folder) and refuses it, with a ScheduleError naming the file or lane, unless every check passes. */
export const openSchedule: typeof Api.openSchedule = async (file: string, o: OpenOptions = {}): Promise<ScheduleRuntime> => {
  const { schedule } = await loadSchedule(schedulePath(file), { laneProblem: o.laneProblem });
  return new ScheduleRuntime(schedule, o);
};

export class ScheduleRuntime implements Api.ScheduleRuntime {
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
