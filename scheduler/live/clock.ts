// Main side of the alarm clock (live-clock.worker.ts): one pending alarm at a time, sub-millisecond
// wake-ups. Falls back to setTimeout (millisecond resolution, labelled in the report) when shared
// memory or the clock worker is not available.
import { Worker } from 'node:worker_threads';
import { workerScript } from '../../base/paths';

export class AlarmClock {
  private worker: Worker | undefined;
  private ctl: Int32Array | undefined;
  private target: Float64Array | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private targetUs = NaN;
  /** 'atomics' (the clock worker) or 'timers' (setTimeout fallback, also taken if the worker fails later). */
  kind: 'atomics' | 'timers';

  constructor(
    private readonly originNs: bigint,
    private onAlarm: () => void,
  ) {
    let kind: 'atomics' | 'timers' = 'timers';
    try {
      const sab = new SharedArrayBuffer(16);
      this.ctl = new Int32Array(sab, 0, 2);
      this.target = new Float64Array(sab, 8, 1);
      this.target[0] = NaN;
      this.worker = new Worker(workerScript('live-clock'), { workerData: { sab, originNs: originNs.toString() } });
      this.worker.on('message', (m: { gen: number }) => {
        if (this.ctl && m.gen === Atomics.load(this.ctl, 0)) this.fire();
      });
      this.worker.on('error', () => {
        // The clock worker failed: fall back to timers and re-arm whatever was pending.
        this.worker = undefined;
        this.kind = 'timers';
        if (Number.isFinite(this.targetUs)) this.set(this.targetUs);
      });
      this.worker.unref();
      kind = 'atomics';
    } catch {
      this.worker = undefined;
    }
    this.kind = kind;
  }

  private nowUs(): number {
    return Number(process.hrtime.bigint() - this.originNs) / 1000;
  }

  private fire(): void {
    if (!Number.isFinite(this.targetUs)) return;
    this.targetUs = NaN;
    this.onAlarm();
  }

  /** Calls onAlarm once at (not before) `atUs` (µs since the origin), replacing any pending alarm. */
  set(atUs: number): void {
    this.targetUs = atUs;
    if (this.worker && this.ctl && this.target) {
      this.target[0] = atUs;
      Atomics.add(this.ctl, 0, 1);
      Atomics.notify(this.ctl, 0);
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    const arm = () => {
      const ms = (this.targetUs - this.nowUs()) / 1000;
      if (ms <= 0) this.fire();
      else this.timer = setTimeout(arm, Math.ceil(ms));
    };
    arm();
  }

  /** Replaces the alarm callback. */
  onFire(cb: () => void): void {
    this.onAlarm = cb;
  }

  /**
   * How late this clock wakes the main thread: the median delay (s) between an alarm's target time and
   * the callback, over `n` alarms `spacingMs` apart. Part of every frame's latency (the release is
   * noticed that much later), so the latency table carries it.
   */
  async measureLag(n = 20, spacingMs = 2): Promise<number> {
    const prev = this.onAlarm;
    const lags: number[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const target = this.nowUs() + spacingMs * 1000;
        await new Promise<void>((resolve) => {
          this.onAlarm = () => {
            lags.push(this.nowUs() - target);
            resolve();
          };
          this.set(target);
        });
      }
    } finally {
      this.onAlarm = prev;
    }
    lags.sort((a, b) => a - b);
    return Math.max(0, lags[Math.floor(lags.length / 2)]) / 1e6;
  }

  clear(): void {
    this.targetUs = NaN;
    if (this.timer) clearTimeout(this.timer);
    if (this.ctl && this.target) {
      this.target[0] = NaN;
      Atomics.add(this.ctl, 0, 1);
      Atomics.notify(this.ctl, 0);
    }
  }

  async close(): Promise<void> {
    this.clear();
    if (this.ctl) {
      Atomics.store(this.ctl, 0, -1);
      Atomics.notify(this.ctl, 0);
    }
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
