// The host side of measurement: lanes (parsing, listing what this machine has) and one worker per
// lane. A lane's worker is a child process (measure.worker.ts), so an execution provider that
// crashes kills only that process, and a watchdog kills one that hangs; the caller then marks the
// (layer, lane) as failed and may start a fresh worker for the next layer.
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { summariseProbeError } from './devices';
import { AdapterLog, adapterRefusal, adapterUnknownNote, type GpuAdapter } from './gpu/adapter';
import { laneProcessEnv } from './gpu/environment';
import type { OrtTrace, WireTensor } from './measure-core';
import { spawnWorker, type Isolation, type WorkerHandle } from '../base/worker-host';
import { parseLaneSpec as parseLaneSpecWith, parseLanes as parseLaneList } from '../common/lane-spec';
import type { StoppingRuleOptions } from './stats';
import type { LaneInfo, LaneSpec, LatencyStats } from './types';

export type WorkerRequest =
  | { id: number; op: 'init' }
  | { id: number; op: 'load'; key: string; bytes: Uint8Array; feeds: Record<string, WireTensor> }
  | { id: number; op: 'measure'; key: string; warmup: number; rule: StoppingRuleOptions }
  | { id: number; op: 'baseline'; warmup: number; rule: StoppingRuleOptions }
  | { id: number; op: 'peak'; sizes: number[]; rule: StoppingRuleOptions; baselineMs?: number }
  | { id: number; op: 'profile'; key: string; warmup: number; runs: number }
  | { id: number; op: 'loop'; key: string; durationMs: number }
  | { id: number; op: 'chain'; layers: { name: string; bytes: Uint8Array; outputs: string[] }[]; feeds: Record<string, WireTensor> }
  | { id: number; op: 'echo'; payload: Uint8Array }
  | { id: number; op: 'release' };

type DistributiveOmit<T, K extends keyof any> = T extends unknown ? Omit<T, K> : never;
export type WorkerCall = DistributiveOmit<WorkerRequest, 'id'>;

export interface WorkerResults {
  init: { ortVersion: string; pid: number };
  load: { createMs: number };
  measure: { stats: LatencyStats; stop: string; elapsedMs: number; warmupRuns: number };
  baseline: { stats: LatencyStats; timerResolutionMs: number };
  peak: { gflops: number; n: number; medianMs: number };
  profile: OrtTrace;
  loop: { runs: number; ms: number };
  /** The chained layers run on this lane from the graph inputs: every tensor they produced, or where the chain broke. */
  chain: { tensors: Record<string, WireTensor>; error?: { layer: number; name: string; message: string } };
  /** The payload, sent back (a transfer-cost round trip). */
  echo: { payload: Uint8Array };
  release: Record<string, never>;
}

/** Test-only fault injection: the worker kills itself with SIGSEGV (crashAt) or spins forever (hangAt) on a key. */
export interface WorkerTestHooks {
  /** "layer:3" (at load), "measure:layer:3", "profile:whole". */
  crashAt?: string;
  hangAt?: string;
}

/** Why a worker request failed: the EP threw (error), the worker died (crash) or the watchdog fired (timeout). */
export class LaneWorkerError extends Error {
  constructor(
    message: string,
    readonly kind: 'error' | 'crash' | 'timeout' | 'cancelled',
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (v: any) => void;
  reject: (e: Error) => void;
  timer?: ReturnType<typeof setTimeout>;
}

/** One lane's worker process. Requests are serialised by the worker; each has a watchdog timeout. */
export class LaneWorker {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private dead: string | undefined;
  private readonly ready: Promise<void>;

  private constructor(
    readonly lane: LaneSpec,
    private readonly handle: WorkerHandle,
    private readonly adapterLog: AdapterLog,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.pending.set(0, { resolve: () => resolve(), reject });
    });
    handle.onMessage((m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (p.timer) clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new LaneWorkerError(m.error ?? 'unknown worker error', 'error'));
    });
    handle.onExit((reason) => {
      this.dead = reason ?? 'terminated';
      const tail = handle.stderrTail().trim();
      const msg = `${lane.id} worker died: ${this.dead}${tail ? ` (stderr: ${tail.split('\n').slice(-3).join(' | ').slice(0, 400)})` : ''}`;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        if (p.timer) clearTimeout(p.timer);
        p.reject(new LaneWorkerError(msg, reason === undefined ? 'cancelled' : 'crash'));
      }
    });
  }

  static async start(lane: LaneSpec, opts: { hooks?: WorkerTestHooks; isolation?: Isolation; startTimeoutMs?: number } = {}): Promise<LaneWorker> {
    const env = laneProcessEnv(lane);
    if (env.error) throw new LaneWorkerError(env.error, 'error');
    const adapterLog = new AdapterLog();
    const handle = spawnWorker('measure', opts.isolation ?? 'process', { lane, hooks: opts.hooks }, { env: env.env, stderrLine: adapterLog.stderrLine });
    const w = new LaneWorker(lane, handle, adapterLog);
    const timeout = opts.startTimeoutMs ?? 60_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        w.ready,
        new Promise((_, reject) => (timer = setTimeout(() => reject(new LaneWorkerError(`${lane.id} worker did not start within ${timeout / 1000} s`, 'timeout')), timeout))),
      ]);
    } catch (e) {
      await w.terminate();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return w;
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  stderrTail(): string {
    return this.handle.stderrTail();
  }

  /**
   * After a successful 'init' on a GPU lane: the adapter it runs on, or a note saying why it is
   * unknown; `refusal` is set when a plain lane landed on a software adapter (never used by default).
   */
  async identify(): Promise<{ adapter?: GpuAdapter; adapterNote?: string; refusal?: string }> {
    if (this.lane.ep === 'cpu') return {};
    const adapter = await this.adapterLog.wait(1000);
    if (!adapter) return { adapterNote: adapterUnknownNote(this.lane.ep) };
    return { adapter, refusal: adapterRefusal(this.lane, adapter) };
  }

  /** Sends one request; rejects with LaneWorkerError. On timeout the worker is killed (it may be stuck in native code). */
  call<K extends WorkerCall['op']>(req: Extract<WorkerCall, { op: K }>, timeoutMs: number, signal?: AbortSignal): Promise<WorkerResults[K]> {
    if (this.dead) return Promise.reject(new LaneWorkerError(`${this.lane.id} worker is not running (${this.dead})`, 'crash'));
    const id = this.nextId++;
    return new Promise<WorkerResults[K]>((resolve, reject) => {
      const onAbort = () => {
        reject(new LaneWorkerError('cancelled', 'cancelled'));
        void this.terminate();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        done();
        reject(new LaneWorkerError(`${this.lane.id}: no answer to ${req.op} within ${(timeoutMs / 1000).toFixed(0)} s (watchdog): the execution provider hangs; its worker was killed`, 'timeout'));
        void this.terminate();
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (done(), resolve(v)),
        reject: (e) => (done(), reject(e)),
        timer,
      });
      this.handle.post({ ...req, id });
    });
  }

  async terminate(): Promise<void> {
    await this.handle.terminate();
  }
}

export function cpuCount(): number {
  return availableParallelism();
}

/** One lane id (the grammar is common/lane-spec.ts); `cpu` alone gets every core of this machine. */
export function parseLaneSpec(text: string, cores = cpuCount()): LaneSpec {
  return parseLaneSpecWith(text, cores);
}

/** Comma-separated lanes (common/lane-spec.ts); repeated ids get #1, #2 suffixes. */
export function parseLanes(list: string | string[], cores = cpuCount()): LaneSpec[] {
  return parseLaneList(list, cores);
}

/** The default: one CPU lane with every core. */
export function defaultLanes(cores = cpuCount()): LaneSpec[] {
  return [{ id: `cpu:${cores}`, ep: 'cpu', threads: cores }];
}

/** Why this onnxruntime-node build cannot run a lane at all (before any worker starts), or undefined. */
export function laneUnsupportedReason(lane: LaneSpec): string | undefined {
  const backends = ort.listSupportedBackends();
  const b = backends.find((x) => x.name === lane.ep);
  if (!b) return `${lane.ep}: not in this onnxruntime-node build (it has: ${backends.map((x) => x.name).join(', ')})`;
  return undefined;
}

/** The error text of a lane whose worker failed to initialise, in one line a user can act on. */
export function laneInitError(lane: LaneSpec, e: unknown, stderr = ''): string {
  const msg = e instanceof Error ? e.message : String(e);
  return summariseProbeError(lane.ep, `${msg}\n${stderr}`, lane.id);
}

/**
 * Lane specs for this machine: CPU lanes (1 thread, half the cores, all cores, and the cores
 * split into single-thread lanes for contention runs) and one lane per GPU/NPU EP in the
 * installed package, each probed in a worker; unavailable ones carry `error`.
 */
export async function listLanes(opts: { probe?: boolean } = {}): Promise<LaneInfo[]> {
  const cores = cpuCount();
  const threadCounts = [...new Set([1, Math.max(1, Math.floor(cores / 2)), cores])];
  const lanes: LaneInfo[] = threadCounts.map((t) => ({ id: `cpu:${t}`, ep: 'cpu', threads: t }));
  if (cores > 1) for (let k = 1; k < cores; k++) lanes.push({ id: `cpu:1#${k}`, ep: 'cpu', threads: 1 });
  for (const b of ort.listSupportedBackends()) {
    if (b.name === 'cpu') continue;
    const lane: LaneInfo = { id: b.name, ep: b.name };
    if (opts.probe !== false) {
      try {
        const w = await LaneWorker.start(lane);
        try {
          await w.call({ op: 'init' }, 60_000);
          const id = await w.identify();
          Object.assign(lane, id.adapter ? { adapter: id.adapter } : {}, id.adapterNote ? { adapterNote: id.adapterNote } : {});
          if (id.refusal) lane.error = id.refusal;
        } catch (e) {
          lane.error = laneInitError(lane, e, w.stderrTail());
        } finally {
          await w.terminate();
        }
      } catch (e) {
        lane.error = laneInitError(lane, e);
      }
    }
    lanes.push(lane);
  }
  return lanes;
}
