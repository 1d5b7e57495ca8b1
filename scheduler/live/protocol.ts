// Messages between the live runtime (main side) and a lane worker (lane.worker.ts). Times the worker
// reports are microseconds since the run's clock origin (process.hrtime, the same monotonic clock in
// every thread and process of the machine), so the main side can place them on its own timeline.
import type { WireTensor } from './types';

export interface LaneWorkerData {
  lane: { id: string; ep: string; threads?: number; options?: Record<string, string | number | boolean> };
  /** process.hrtime.bigint() of the clock origin, as a decimal string (workerData may go through JSON). */
  originNs: string;
}

export interface UnitSetup {
  key: string;
  inputs: string[];
  outputs: string[];
  /** Tensor names still needed by later units of the model after this one (the rest are freed). */
  keep: string[];
}

export type ToLane =
  | { op: 'load'; seq: number; key: string; bytes: Uint8Array }
  | { op: 'tenant'; seq: number; tenant: number; units: UnitSetup[]; samples: Record<string, WireTensor>[]; /** The model's output names (returned for frames with `reply`). */ outputs?: string[] }
  | { op: 'run'; seq: number; job: number; tenant: number; layer: number; final: boolean; sample?: number; tensors?: Record<string, WireTensor>; sentUs: number; /** Final layer of a submitted frame: send its outputs back. */ reply?: boolean }
  | { op: 'park'; job: number }
  | { op: 'free'; job: number }
  | { op: 'crash' }
  | { op: 'ping'; seq: number; sentUs: number; payload?: ArrayBuffer }
  | { op: 'calibrate'; seq: number; tenant: number; reps: number; warmup: number; budgetMs: number; /** Pause between runs (ms): 0 = back to back. */ gapMs?: number };

export type FromLane =
  | { op: 'reply'; seq: number; ok: true; value?: unknown }
  | { op: 'reply'; seq: number; ok: false; error: string }
  | { op: 'done'; seq: number; job: number; recvUs: number; startUs: number; endUs: number; outBytes: number; error?: string; outputs?: Record<string, WireTensor> }
  | { op: 'parked'; job: number; tensors: Record<string, WireTensor>; sentUs: number; bytes: number }
  | { op: 'pong'; seq: number; sentUs: number; recvUs: number };

export interface CalibrationReply {
  /** Per unit: timed run latencies (ms), worker-side (session.run only). */
  times: number[][];
  /** Per unit: bytes of the outputs it passes on. */
  outBytes: number[];
}

export function wireBytes(tensors: Record<string, WireTensor> | undefined): number {
  let n = 0;
  if (tensors) for (const t of Object.values(tensors)) n += t.data.byteLength ?? 0;
  return n;
}
