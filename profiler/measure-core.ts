// The timing loop and its helpers, shared by the lane worker (measure.worker.ts) and the harness
// benchmark (bench/profiler.ts), which times the very same loop against a bare `session.run` loop.
// Also: the lane's session options, the baseline (empty) and GEMM micro-benchmark models, and the
// parser of ONNX Runtime's profiler output (Chrome-trace JSON with `<node>_kernel_time` events).
import * as ort from 'onnxruntime-node';
import { GraphBuilder, seededWeights } from './onnx/builder';
import { latencyStats, StoppingRule, type StoppingRuleOptions, type StopReason } from './stats';
import type { LatencyStats } from './types';

/** A tensor that can cross a process boundary (structured clone keeps typed arrays). */
export interface WireTensor {
  type: string;
  dims: number[];
  data: ArrayBufferView | string[];
}

export function toWireTensor(t: { type: string; dims: readonly number[]; data: unknown }): WireTensor {
  return { type: t.type, dims: [...t.dims], data: t.data as ArrayBufferView | string[] };
}

export function toOrtTensor(w: WireTensor): ort.Tensor {
  return new ort.Tensor(w.type as any, w.data as any, w.dims);
}

export { laneSessionOptions } from './lane-session';

export interface TimedRuns {
  samples: number[];
  stats: LatencyStats;
  stop: StopReason;
  /** Time spent in the timed repetitions (ms), not counting warm-up. */
  elapsedMs: number;
  warmupRuns: number;
}

export interface TimingOptions {
  /** Minimum warm-up runs (default 3). Warm-up continues until it has also lasted `warmupMinMs`. */
  warmup?: number;
  /** Default 20 ms, capped at 50 runs. */
  warmupMinMs?: number;
  rule: StoppingRuleOptions;
  signal?: { aborted: boolean };
}

/**
 * Warm-up, then time each call of `run` until the stopping rule says stop. Each sample is one
 * call, timed with performance.now() around the awaited call: the same code path as a bare
 * `await session.run(feeds)` loop plus two clock reads and an array push.
 */
export async function timeRuns(run: () => Promise<unknown>, opts: TimingOptions): Promise<TimedRuns> {
  const minWarm = opts.warmup ?? 3;
  const warmMs = opts.warmupMinMs ?? 20;
  let warm = 0;
  const w0 = performance.now();
  while (warm < minWarm || (performance.now() - w0 < warmMs && warm < 50)) {
    await run();
    warm++;
  }
  const rule = new StoppingRule(opts.rule);
  const samples: number[] = [];
  const t0 = performance.now();
  let stop: StopReason | undefined;
  for (;;) {
    const a = performance.now();
    await run();
    const b = performance.now();
    samples.push(b - a);
    stop = rule.check(samples, b - t0);
    if (stop) break;
    if (opts.signal?.aborted && samples.length >= 3) {
      stop = 'budget';
      break;
    }
  }
  return { samples, stats: latencyStats(samples, rule.ciTarget), stop, elapsedMs: performance.now() - t0, warmupRuns: warm };
}

/**
 * The smallest step performance.now() takes in this thread (ms): the timer's resolution as seen here
 * (at least the cost of one read). Reads until 50 steps, 20 ms or 10^7 reads.
 */
export function timerResolutionMs(): number {
  const t0 = performance.now();
  let last = t0;
  let best = Infinity;
  let steps = 0;
  for (let i = 0; i < 1e7 && steps < 50; i++) {
    const t = performance.now();
    if (t > last) {
      if (t - last < best) best = t - last;
      last = t;
      steps++;
    }
    if (t - t0 > 20) break;
  }
  return Number.isFinite(best) ? best : Math.max(20, performance.now() - t0);
}

/** The empty model of a lane's per-call baseline: Identity on a 1-element float tensor. */
export function baselineModel(): { bytes: Uint8Array; feeds: Record<string, WireTensor> } {
  const g = new GraphBuilder('tessera_baseline');
  g.input('x', [1]);
  g.node('Identity', ['x'], ['y']);
  g.output('y', [1]);
  return { bytes: g.toBytes(), feeds: { x: { type: 'float32', dims: [1], data: new Float32Array([1]) } } };
}

/** The GEMM micro-benchmark: Y = X (n x n) * W (n x n), 2 n^3 FLOPs. */
export function gemmModel(n: number): { bytes: Uint8Array; feeds: Record<string, WireTensor>; flops: number } {
  const g = new GraphBuilder(`tessera_gemm_${n}`);
  g.input('x', [n, n]);
  const w = g.initializer('w', [n, n], seededWeights(n * n, 7, n));
  g.node('MatMul', ['x', w], ['y']);
  g.output('y', [n, n]);
  return { bytes: g.toBytes(), feeds: { x: { type: 'float32', dims: [n, n], data: seededWeights(n * n, 3, n) } }, flops: 2 * n * n * n };
}

export interface OrtNodeTime {
  /** Median over the profiled runs of the node's kernel time per run, ms. */
  ms: number;
  /** Execution provider that ran the node, e.g. CPUExecutionProvider, WebGpuExecutionProvider. */
  provider?: string;
  opType?: string;
}

export interface OrtTrace {
  /** Per top-level node name (as ORT names it after graph optimisation). */
  nodes: Record<string, OrtNodeTime>;
  /** Nodes that ran inside another node's subgraph (their time is part of the parent's); provider only. */
  nested?: Record<string, { provider?: string; opType?: string }>;
  /** Runs used (after skipping warm-up runs). */
  runs: number;
  /** Median over runs of the sum of all kernel times in a run, ms. */
  totalKernelMs: number;
  /** Median over runs of ORT's own model_run duration, ms. */
  modelRunMs: number;
}

interface TraceEvent {
  cat?: string;
  tid?: unknown;
  name?: string;
  ph?: string;
  ts?: number;
  dur?: number;
  args?: Record<string, unknown>;
}

function medianOf(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Parses ORT's profiler output. Kernel events (`cat: "Node"`, name `<node>_kernel_time`) are
 * grouped into runs by the `model_run` session events that contain them; the first `skipRuns` runs
 * (warm-up) are dropped; each node's time is the median over runs of its summed kernel time in a
 * run (a node inside a Loop body runs several times per run).
 */
export function parseOrtTrace(json: string | TraceEvent[], skipRuns = 0): OrtTrace {
  const events: TraceEvent[] = typeof json === 'string' ? JSON.parse(json) : json;
  if (!Array.isArray(events)) throw new Error('ORT profile is not a JSON array of trace events');
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run' && typeof e.ts === 'number').sort((a, b) => a.ts! - b.ts!);
  const kernels = events.filter((e) => e.cat === 'Node' && typeof e.name === 'string' && e.name.endsWith('_kernel_time') && typeof e.ts === 'number');
  const used = runs.slice(Math.min(skipRuns, Math.max(0, runs.length - 1)));
  const perRun: Map<string, number>[] = used.map(() => new Map());
  const meta = new Map<string, { provider?: string; opType?: string }>();
  const nested: Record<string, { provider?: string; opType?: string }> = {};
  // Kernels inside a control-flow node's subgraph (If, Loop, Scan) run within that node's own
  // kernel event: they are nested, counted in their parent's time, and not added again.
  const sorted = [...kernels].sort((a, b) => a.ts! - b.ts! || (b.dur ?? 0) - (a.dur ?? 0));
  const open: { end: number; tid: unknown }[] = [];
  for (const k of sorted) {
    const ts = k.ts!;
    const end = ts + (k.dur ?? 0);
    while (open.length && (open[open.length - 1].end <= ts || open[open.length - 1].tid !== k.tid)) open.pop();
    const isNested = open.length > 0 && end <= open[open.length - 1].end;
    open.push({ end, tid: k.tid });
    const name = k.name!.slice(0, -'_kernel_time'.length);
    const info = { provider: k.args?.provider as string | undefined, opType: k.args?.op_name as string | undefined };
    if (isNested) {
      nested[name] ??= info;
      continue;
    }
    const idx = used.findIndex((r) => ts >= r.ts! && ts <= r.ts! + (r.dur ?? 0));
    if (idx < 0) continue;
    perRun[idx].set(name, (perRun[idx].get(name) ?? 0) + (k.dur ?? 0) / 1000);
    if (!meta.has(name)) meta.set(name, info);
  }
  const nodes: Record<string, OrtNodeTime> = {};
  for (const [name, m] of meta) {
    nodes[name] = { ms: medianOf(perRun.map((r) => r.get(name) ?? 0)), ...m };
  }
  return {
    nodes,
    nested,
    runs: used.length,
    totalKernelMs: medianOf(perRun.map((r) => [...r.values()].reduce((s, v) => s + v, 0))),
    modelRunMs: medianOf(used.map((r) => (r.dur ?? 0) / 1000)),
  };
}

/** ORT's provider name for a lane's EP, as it appears in the profiler's `provider` field. */
export function ortProviderName(ep: string): string {
  const names: Record<string, string> = {
    cpu: 'CPUExecutionProvider',
    webgpu: 'WebGpuExecutionProvider',
    cuda: 'CUDAExecutionProvider',
    tensorrt: 'TensorrtExecutionProvider',
    dml: 'DmlExecutionProvider',
    coreml: 'CoreMLExecutionProvider',
  };
  return names[ep] ?? ep;
}
