// Power and energy of a live run. Where the machine has a meter that covers a lane (RAPL for CPU
// lanes, nvidia-smi for GPU lanes, ...), it is polled during the run and its energy integrated: a
// MEASUREMENT of the whole device (other processes included), labelled with the meter and its rate.
// Lanes no meter covers get an ESTIMATE: busy time x the estimate model's watts above idle
// (profiler/energy/estimate.ts), labelled as an estimate. A mix of both is labelled an estimate.
// With a meter, its samples and the layers' busy intervals are kept, and at the end the measured
// energy is attributed to the tenants by regression (core/energy-attribution.ts), labelled as such;
// without one, attribution says it is not available.
import { counterDeltaUj, detectMeters, estimatedLaneWatts, meterForLane, type MeterReading, type MeterSet, type PowerMeter } from '../../profiler/energy';
import type { LaneSpec } from '../../profiler/types';
import type { EnergySourceLabel } from './types';
import { attributeEnergy, type Attribution, type BusyInterval, type PowerSample } from '../core/energy-attribution';

/** At most this many power samples per meter and busy intervals are kept for the attribution (the oldest give way). */
export const ATTRIBUTION_CAP = 200_000;

/** Busy/idle watts of a lane for the scheduler (idle draw is not modelled: 0 W above idle). */
export function laneWatts(lane: LaneSpec): { idleWatts: number; busyWatts: number; model: string; detail: string } {
  const e = estimatedLaneWatts(lane);
  return { idleWatts: 0, busyWatts: e.watts, model: e.meter, detail: e.detail };
}

/**
 * Mean power between two readings of one meter: power readings by the trapezoid, energy counters by
 * their difference (wrap-around included); undefined where they cannot be combined.
 */
export function intervalPower(prev: MeterReading, r: MeterReading): { t0Ms: number; t1Ms: number; watts: number } | undefined {
  const dt = (r.tMs - prev.tMs) / 1000;
  if (!(dt > 0)) return undefined;
  if (r.kind === 'power' && prev.kind === 'power') return { t0Ms: prev.tMs, t1Ms: r.tMs, watts: (r.watts + prev.watts) / 2 };
  if (r.kind === 'energy' && prev.kind === 'energy') {
    let uj = 0;
    for (const c of r.counters) {
      const before = prev.counters.find((x) => x.name === c.name);
      if (before) uj += counterDeltaUj(before.uj, c.uj, c.maxUj);
    }
    return { t0Ms: prev.tMs, t1Ms: r.tMs, watts: uj / 1e6 / dt };
  }
  return undefined;
}

interface Polled {
  meter: PowerMeter;
  lanes: number[];
  joules: number;
  last?: MeterReading;
  lastWatts: number;
  timer?: ReturnType<typeof setTimeout>;
  busy: boolean;
  /** Consecutive failed readings; at LOST_AFTER the meter is dropped and its lanes fall back to the estimate. */
  failures: number;
  readings: number;
  lost?: string;
  /** Mean power per reading interval (performance.now() ms), for the attribution. */
  samples: { t0Ms: number; t1Ms: number; watts: number }[];
}

/** A meter that fails this many readings in a row is treated as gone (unplugged GPU, driver reset, removed counter). */
export const LOST_AFTER = 3;

export class LiveEnergy {
  private polled: Polled[] = [];
  private meterSet: MeterSet | undefined;
  private readonly estimatedLanes: number[] = [];
  private readonly busyWatts: number[];
  private estimatedJoules = 0;
  private stopped = false;
  private readonly intervals: BusyInterval[] = [];
  private intervalsDropped = 0;
  readonly notes: string[] = [];

  constructor(private readonly lanes: LaneSpec[]) {
    this.busyWatts = lanes.map((l) => laneWatts(l).busyWatts);
  }

  /** Finds meters (unless `useMeters` is false) and starts polling them. */
  async start(useMeters: boolean): Promise<void> {
    const covered = new Map<PowerMeter, number[]>();
    if (useMeters) {
      try {
        this.meterSet = await detectMeters();
        for (const s of this.meterSet.status) if (!s.ok) this.notes.push(`meter ${s.id}: ${s.reason}`);
        this.lanes.forEach((lane, i) => {
          const m = meterForLane(lane, this.meterSet!.meters);
          if (m) covered.set(m, [...(covered.get(m) ?? []), i]);
        });
      } catch (e) {
        this.notes.push(`meter detection failed: ${(e as Error).message}`);
      }
    }
    for (let i = 0; i < this.lanes.length; i++) if (![...covered.values()].some((ls) => ls.includes(i))) this.estimatedLanes.push(i);
    this.polled = [...covered].map(([meter, lanes]) => ({ meter, lanes, joules: 0, lastWatts: NaN, busy: false, failures: 0, readings: 0, samples: [] }));
    for (const p of this.polled) this.poll(p);
  }

  private poll(p: Polled): void {
    if (this.stopped || p.lost) return;
    p.timer = setTimeout(() => this.poll(p), 1000 / p.meter.sampleHz);
    p.timer.unref?.();
    if (p.busy) return;
    p.busy = true;
    p.meter
      .sample()
      .then((r) => {
        if (p.last) {
          const s = intervalPower(p.last, r);
          if (s) {
            p.joules += (s.watts * (s.t1Ms - s.t0Ms)) / 1000;
            p.lastWatts = r.kind === 'power' ? r.watts : s.watts;
            this.keep(p, s);
          }
        } else if (r.kind === 'power') p.lastWatts = r.watts;
        p.last = r;
        p.failures = 0;
        p.readings++;
      })
      .catch((e) => {
        if (this.stopped || p.lost) return;
        if (++p.failures < LOST_AFTER) return;
        // The meter is gone: keep the energy it measured, estimate its lanes from now on, and say so.
        p.lost = `meter ${p.meter.id} stopped answering after ${p.readings} reading(s) (${LOST_AFTER} failures in a row: ${(e as Error).message.split('\n')[0]}); its measured energy covers the run until then, lane(s) ${p.lanes.map((i) => this.lanes[i].id).join(', ')} are estimated from then on`;
        this.notes.push(p.lost);
        if (p.timer) clearTimeout(p.timer);
        p.lastWatts = NaN;
        for (const i of p.lanes) if (!this.estimatedLanes.includes(i)) this.estimatedLanes.push(i);
      })
      .finally(() => (p.busy = false));
  }

  private keep(p: Polled, s: Polled['samples'][number]): void {
    p.samples.push(s);
    if (p.samples.length > ATTRIBUTION_CAP) p.samples.splice(0, p.samples.length - ATTRIBUTION_CAP);
  }

  /** A lane ran a layer of `tenant` over [start, end] (run seconds): kept for the attribution while a meter is polled. */
  interval(lane: number, tenant: number, start: number, end: number): void {
    if (!this.polled.length) return;
    this.intervals.push({ lane, tenant, start, end });
    if (this.intervals.length > ATTRIBUTION_CAP) {
      const n = Math.ceil(ATTRIBUTION_CAP / 10);
      this.intervals.splice(0, n);
      this.intervalsDropped += n;
    }
  }

  /**
   * The measured energy attributed to the tenants, one entry per meter (core/energy-attribution.ts),
   * or one 'unavailable' entry saying why there is none. `toRunS` maps a reading's performance.now()
   * ms to run seconds.
   */
  attribution(tenantIds: string[], toRunS: (perfMs: number) => number): Attribution[] {
    if (!this.polled.length) {
      return [{ attribution: 'unavailable', reason: `no power meter covers the lanes (${this.notes.length ? `${this.notes.length} meter(s) found unusable, listed with the meters not used` : 'meters off or none found'}): energy per tenant is not measured, and no estimate is shown as one` }];
    }
    const laneIds = this.lanes.map((l) => l.id);
    // Samples from before the oldest kept interval would regress power on busy time we no longer have.
    const from = this.intervalsDropped ? (this.intervals[0]?.start ?? Infinity) : -Infinity;
    return this.polled.map((p) => {
      const samples: PowerSample[] = p.samples.map((s) => ({ t0: toRunS(s.t0Ms), t1: toRunS(s.t1Ms), watts: s.watts })).filter((s) => s.t0 >= from && s.t0 >= 0);
      const a = attributeEnergy({ meter: p.meter.id, samples, busy: this.intervals, laneIds, covered: p.lanes, tenantIds });
      if (a.attribution === 'regression' && p.lost) a.method += `; the meter was lost mid-run: only its samples until then`;
      if (a.attribution === 'regression' && this.intervalsDropped) a.method += `; the busy intervals were capped at ${ATTRIBUTION_CAP}: only the run's later part is regressed`;
      return a;
    });
  }

  /** A lane was busy for `seconds` (feeds the estimate for lanes no meter covers). */
  busy(lane: number, seconds: number): number {
    if (!this.estimatedLanes.includes(lane)) return 0;
    const j = seconds * this.busyWatts[lane];
    this.estimatedJoules += j;
    return j;
  }

  /** Estimated energy of `seconds` busy on `lane`, whether or not a meter covers it (for the policy's windows). */
  estimate(lane: number, seconds: number): number {
    return seconds * this.busyWatts[lane];
  }

  get joules(): number {
    return this.estimatedJoules + this.polled.reduce((a, p) => a + p.joules, 0);
  }

  /** Latest measured power of the meters, watts (NaN when none). */
  get measuredWatts(): number {
    const live = this.polled.filter((p) => !p.lost);
    return live.length ? live.reduce((a, p) => a + (Number.isFinite(p.lastWatts) ? p.lastWatts : 0), 0) : NaN;
  }

  get source(): EnergySourceLabel {
    const est = this.estimatedLanes.length
      ? `ESTIMATE for lane(s) ${this.estimatedLanes.map((i) => this.lanes[i].id).join(', ')}: busy time x watts above idle (${this.estimatedLanes.map((i) => `${this.lanes[i].id}: ${laneWatts(this.lanes[i]).model}, ${this.busyWatts[i]} W`).join('; ')}); idle draw not counted`
      : '';
    const meas = this.polled
      .map((p) => `MEASURED by ${p.meter.id} (${p.meter.describe()}) for lane(s) ${p.lanes.map((i) => this.lanes[i].id).join(', ')}: whole-device energy during the run, other processes included${p.lost ? ` (until it was lost: ${p.lost})` : ''}`)
      .join('; ');
    if (this.polled.length === 0) return { kind: 'estimated', detail: est };
    if (this.estimatedLanes.length === 0) return { kind: 'measured', detail: meas };
    return { kind: 'estimated', detail: `mixed, so labelled an estimate: ${meas}; ${est}` };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const p of this.polled) if (p.timer) clearTimeout(p.timer);
    await this.meterSet?.close().catch(() => {});
  }
}
