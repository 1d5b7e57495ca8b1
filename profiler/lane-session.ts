// The session options that define a lane: one rule for the profiler's lane worker, its harness bench
// and the live runtime's lane worker, so that a profile measures layers the way a live run runs them.
import type * as ort from 'onnxruntime-node';
import type { LaneSpec } from '../common/lane-spec';

/**
 * CPU lanes: T intra-op threads, 1 inter-op thread, sequential, and no spinning: after each run ORT's
 * intra-op threads otherwise spin on their cores waiting for more work, and in a live run those cores
 * belong to the other lanes and the dispatcher. Measured on a 2-core VM (a two-tenant schedule on one
 * cpu:2 lane, 3 alternating pairs of 3 s replays): p99 13-22 ms and 0.6-1.7% misses with spinning,
 * 4.1-5.2 ms and no misses without. The price, back to back on an idle machine: PP-OCR cls on cpu:2
 * takes 0.64 ms instead of 0.50 ms (median of 300, 3 rounds), the threads' wake-up. Profiles measure
 * what live runs do. Other lanes: their execution provider with its options.
 */
export function laneSessionOptions(lane: Pick<LaneSpec, 'ep' | 'threads' | 'options'>, extra: ort.InferenceSession.SessionOptions = {}): ort.InferenceSession.SessionOptions {
  const epOptions = lane.options ? { name: lane.ep, ...lane.options } : lane.ep;
  const base: ort.InferenceSession.SessionOptions = {
    executionProviders: [epOptions as never],
    executionMode: 'sequential',
    interOpNumThreads: 1,
    logSeverityLevel: 3,
    ...extra,
  };
  if (lane.threads !== undefined) base.intraOpNumThreads = lane.threads;
  if (lane.ep === 'cpu') base.extra = { ...(base.extra ?? {}), session: { intra_op: { allow_spinning: '0' } } };
  return base;
}
