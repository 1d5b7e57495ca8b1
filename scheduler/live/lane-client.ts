// The main side of one lane: spawns its worker, sends requests, and routes its messages. A lane
// whose worker dies (or fails a run) is reported once through onFail.
import { spawnWorker, type Isolation, type WorkerHandle } from '../../base/worker-host';
import { AdapterLog, adapterRefusal, type GpuAdapter } from '../../profiler/gpu/adapter';
import { laneProcessEnv } from '../../profiler/gpu/environment';
import type { LaneSpec } from '../../profiler/types';
import type { FromLane, LaneWorkerData, ToLane } from './protocol';

export const LANE_WORKER = 'live-lane';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class LaneClient {
  private readonly handle: WorkerHandle;
  private readonly pending = new Map<number, Pending>();
  private seq = 1;
  private failed: string | undefined;
  private readonly failListeners: ((reason: string) => void)[] = [];
  private readonly adapterLog = new AdapterLog();
  /** 'done' and 'parked' messages go here (set by the runtime). */
  onEvent: (m: Extract<FromLane, { op: 'done' | 'parked' }>) => void = () => {};

  constructor(
    readonly index: number,
    readonly spec: LaneSpec,
    private readonly originNs: bigint,
    isolation: Isolation,
  ) {
    const data: LaneWorkerData = { lane: { id: spec.id, ep: spec.ep, threads: spec.threads, options: spec.options }, originNs: originNs.toString() };
    // GPU lanes run in their own process with their own environment (driver setup, adapter log).
    const env = laneProcessEnv(spec);
    this.handle = spawnWorker(LANE_WORKER, isolation, data, { env: env.env, stderrLine: this.adapterLog.stderrLine });
    this.adapterLog.onAdapter = (a) => {
      const refusal = adapterRefusal(spec, a);
      if (refusal) this.fail(refusal);
    };
    if (env.error) this.fail(env.error);
    this.handle.onMessage((m: FromLane) => this.route(m));
    this.handle.onExit((reason) => {
      if (reason !== undefined) this.fail(`${reason}${this.handle.stderrTail() ? `: ${this.handle.stderrTail().slice(-400)}` : ''}`);
      else this.fail('terminated');
    });
  }

  /** GPU lanes: the adapter the lane's process runs on, once its first session exists (undefined before, or where not identified). */
  get adapter(): GpuAdapter | undefined {
    return this.adapterLog.adapter;
  }

  get isolation(): Isolation {
    return this.handle.isolation;
  }

  get alive(): boolean {
    return this.failed === undefined;
  }

  get failure(): string | undefined {
    return this.failed;
  }

  nowUs(): number {
    return Number(process.hrtime.bigint() - this.originNs) / 1000;
  }

  onFail(listener: (reason: string) => void): void {
    this.failListeners.push(listener);
  }

  /** Marks the lane failed (worker death, a failed run) and rejects every pending request. */
  fail(reason: string): void {
    if (this.failed !== undefined) return;
    this.failed = reason;
    for (const p of this.pending.values()) p.reject(new Error(`lane ${this.spec.id} failed: ${reason}`));
    this.pending.clear();
    for (const l of this.failListeners) l(reason);
  }

  post(message: ToLane, transfer?: ArrayBuffer[]): void {
    if (this.failed !== undefined) return;
    this.handle.post(message, transfer);
  }

  /** A request with a reply ('load', 'tenant', 'calibrate', 'ping'). */
  request<T>(message: DistributiveOmit<Extract<ToLane, { seq: number }>, 'seq'>, transfer?: ArrayBuffer[]): Promise<T> {
    if (this.failed !== undefined) return Promise.reject(new Error(`lane ${this.spec.id} failed: ${this.failed}`));
    const seq = this.seq++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject });
      this.handle.post({ ...message, seq } as ToLane, transfer);
    });
  }

  /** Round trip of a message (optionally carrying a payload) to this lane's worker: one-way latency in µs. */
  async ping(payloadBytes = 0): Promise<number> {
    const payload = payloadBytes > 0 ? new ArrayBuffer(payloadBytes) : undefined;
    const pong = await this.request<{ sentUs: number; recvUs: number }>({ op: 'ping', sentUs: this.nowUs(), payload }, payload ? [payload] : undefined);
    return pong.recvUs - pong.sentUs;
  }

  async terminate(): Promise<void> {
    this.failed ??= 'terminated';
    for (const p of this.pending.values()) p.reject(new Error(`lane ${this.spec.id} was shut down`));
    this.pending.clear();
    await this.handle.terminate();
  }

  private route(m: FromLane): void {
    if (m.op === 'reply') {
      const p = this.pending.get(m.seq);
      if (!p) return;
      this.pending.delete(m.seq);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.error));
      return;
    }
    if (m.op === 'pong') {
      const p = this.pending.get(m.seq);
      if (!p) return;
      this.pending.delete(m.seq);
      p.resolve({ sentUs: m.sentUs, recvUs: m.recvUs });
      return;
    }
    this.onEvent(m);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
