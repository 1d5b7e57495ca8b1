// The published declarations of tessera/runtime (package.json exports "./runtime".types is this
// file's emitted .d.ts; scripts/runtime-types.mjs). index.ts implements them and the type checker
// holds it to them, so they cannot drift apart. Types only: no code runs from here.
import type { FrameOutcome, LiveReport, WireTensor } from '../live/types';
import type { Schedule } from '../schedule/format';
import type { TenantStats } from './stats';

export type { FrameOutcome, LiveReport, Schedule, TenantStats, WireTensor };

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
  laneProblem?: (lane: { id: string; ep: string; threads?: number }) => Promise<string | undefined>;
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


/** A loaded schedule, ready to start (openSchedule). */
export interface ScheduleRuntime {
  /** The schedule's tenant ids, in order. */
  readonly tenants: string[];
  readonly schedule: Schedule;
  /** The ONNX Runtime version running it (the schedule records the one it was tuned with). */
  readonly ortVersion: string;
  /** Loads every model on the schedule's lanes and measures them (a few seconds); resolves once frames can be submitted. */
  start(): Promise<void>;
  /**
   * Submits a frame of `tenant` with its input tensors (every model input except the scenario's
   * fixed ones, with the schedule's shapes). Resolves with the outputs, or with why it was dropped;
   * throws when the runtime is not running or the feeds do not fit the model.
   */
  submit(tenant: string, feeds: Record<string, Feed>): Promise<FrameOutcome>;
  /** Live statistics per tenant (frames, misses, latency) and per lane. */
  stats(): RuntimeStats;
  /** Takes no more frames; frames in flight finish (within the drain timeout, then they are dropped); the lanes shut down. */
  stop(): Promise<StopResult>;
}

/** Loads a tuned schedule (file or bundle folder) and refuses it, with a ScheduleError naming the file or lane, unless every check passes. */
export declare function openSchedule(file: string, o?: OpenOptions): Promise<ScheduleRuntime>;

/** A schedule that must not run: the message names the file or lane and what to do. */
export declare class ScheduleError extends Error {
  readonly code: 'bad-schedule' | 'hash-mismatch' | 'missing-model' | 'unknown-version' | 'missing-lane' | 'no-result' | 'not-found';
}

/** The runtime could not start (a model no lane can load, bad options) or refused a submission. */
export declare class RuntimeSetupError extends Error {}
