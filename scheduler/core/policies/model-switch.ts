// DREAM-style model switching (Kim et al., ASPLOS 2023): a tenant moves to a cheaper version of its
// model while the system is overloaded, and back when the load falls. Here the cheaper version is
// the tenant's largest whitelisted combination (whitelist.ts): approximate variants of many layers
// verified together end to end, e.g. the whole model in fp16 or int8 where it saves time. While a
// tenant is switched, every layer that combination substitutes runs its variant.
// Hysteresis: on when the tenant's window miss rate reaches `high`; off after `hold` windows in a
// row at or under `low`. A tenant calm only because of its variant flaps (off, misses, on again):
// switching on again within twice its hold of the last switch-off doubles that tenant's hold (up to
// 32 windows), so a sustained overload keeps the variant on. Each switch is an event (Policy.events: reports, traces) and counted in
// the policy's state (telemetry). Tenants without a whitelist are never switched. Pure.
import type { Feedback, PolicyEvent, SimWorkload } from '../types';

export interface ModelSwitchOptions {
  /** Window miss rate of a tenant that switches it to its model variant (default 0.2). */
  high?: number;
  /** Window miss rate at or under which it counts as calm (default 0.05). */
  low?: number;
  /** Calm windows in a row before it switches back (default 2). */
  hold?: number;
}

export class ModelSwitch {
  private w: SimWorkload | undefined;
  /** Per tenant: the combination's variant per layer, or undefined (no model variant). */
  private variants: (readonly number[] | undefined)[] = [];
  private ids: string[] = [];
  /** Per tenant: its combination is a model-level variant (all layers or none; see WhitelistCombo.whole). */
  private whole: boolean[] = [];
  private on = new Uint8Array(0);
  private calm = new Int32Array(0);
  private ended = new Int32Array(0);
  private missed = new Int32Array(0);
  /** Per tenant: its current hold (windows) and the window index of its last switch-off (-1: none). */
  private holdNow = new Int32Array(0);
  private offAt = new Int32Array(0);
  private window = 0;
  private readonly log: PolicyEvent[] = [];
  private readonly high: number;
  private readonly low: number;
  private readonly hold: number;

  constructor(o: ModelSwitchOptions = {}) {
    this.high = o.high ?? 0.2;
    this.low = o.low ?? 0.05;
    this.hold = o.hold ?? 2;
    if (!(this.low >= 0 && this.low < this.high && this.high <= 1)) throw new Error(`model switch: need 0 <= low < high <= 1 (got low ${this.low}, high ${this.high})`);
    if (!(Number.isInteger(this.hold) && this.hold >= 1)) throw new Error(`model switch: hold must be a whole number of windows >= 1 (got ${this.hold})`);
  }

  /** Binds to a workload (once per workload object). */
  ensure(w: SimWorkload): void {
    if (this.w === w) return;
    this.w = w;
    const n = w.tenants.length;
    this.variants = w.tenants.map((t) => {
      const size = (v: readonly number[]) => v.reduce((a, x) => a + (x > 0 ? 1 : 0), 0);
      let best: { variants: number[]; cost: number; id: string } | undefined;
      for (const c of t.whitelist?.combos ?? []) if (!best || size(c.variants) > size(best.variants) || (size(c.variants) === size(best.variants) && c.cost < best.cost)) best = c;
      return best && size(best.variants) > 0 ? best.variants : undefined;
    });
    this.ids = w.tenants.map((t) => {
      const v = this.variants[w.tenants.indexOf(t)];
      return v ? t.whitelist!.combos.find((c) => c.variants === v)!.id : '';
    });
    this.whole = w.tenants.map((t, i) => Boolean(this.variants[i] && t.whitelist!.combos.find((c) => c.variants === this.variants[i])?.whole));
    if (this.on.length !== n) {
      this.on = new Uint8Array(n);
      this.calm = new Int32Array(n);
      this.ended = new Int32Array(n);
      this.missed = new Int32Array(n);
      this.holdNow = new Int32Array(n).fill(this.hold);
      this.offAt = new Int32Array(n).fill(-1);
    }
  }

  /**
   * Whether a switched tenant runs its combination even where a layer of it is slower than the
   * original's: a model-level variant is faster as a whole, not layer by layer.
   */
  always(tenant: number): boolean {
    return this.whole[tenant] ?? false;
  }

  /** The variant a switched tenant's layer runs (0: none forced). */
  forced(tenant: number, layer: number): number {
    return this.on[tenant] ? (this.variants[tenant]?.[layer] ?? 0) : 0;
  }

  observe(f: Feedback): void {
    if (!this.w) return;
    if (f.kind === 'job') {
      this.ended[f.tenant]++;
      if (f.dropped || f.finish > f.deadline) this.missed[f.tenant]++;
      return;
    }
    if (f.kind !== 'window') return;
    this.window++;
    for (let t = 0; t < this.on.length; t++) {
      const ended = this.ended[t];
      const rate = ended ? this.missed[t] / ended : 0;
      this.ended[t] = 0;
      this.missed[t] = 0;
      if (!this.variants[t] || !ended) continue;
      if (!this.on[t] && rate >= this.high) {
        this.on[t] = 1;
        this.calm[t] = 0;
        if (this.offAt[t] >= 0 && this.window - this.offAt[t] <= 2 * this.holdNow[t]) this.holdNow[t] = Math.min(32, 2 * this.holdNow[t]);
        this.log.push({ time: f.end, tenant: t, kind: 'model-variant-on', detail: `${this.w.tenants[t].id} -> model variant ${this.ids[t]} (window miss rate ${(100 * rate).toFixed(0)}% >= ${(100 * this.high).toFixed(0)}%)` });
      } else if (this.on[t]) {
        this.calm[t] = rate <= this.low ? this.calm[t] + 1 : 0;
        if (this.calm[t] >= this.holdNow[t]) {
          this.on[t] = 0;
          this.offAt[t] = this.window;
          this.log.push({ time: f.end, tenant: t, kind: 'model-variant-off', detail: `${this.w.tenants[t].id} -> original model (${this.holdNow[t]} windows at miss rate <= ${(100 * this.low).toFixed(0)}%)` });
        }
      }
    }
  }

  events(): readonly PolicyEvent[] {
    return this.log;
  }

  /** For Policy.state(): switches so far and tenants switched now. */
  state(): Record<string, number> {
    let now = 0;
    for (let t = 0; t < this.on.length; t++) now += this.on[t];
    return { modelSwitches: this.log.length, modelVariantTenants: now };
  }

  /** Whether any tenant can switch (else the policy reports nothing of it). */
  get active(): boolean {
    return this.variants.some((v) => v);
  }
}
