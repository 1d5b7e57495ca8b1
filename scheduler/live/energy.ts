// Power and energy of a live run. Where the machine has a meter that covers a lane (RAPL for CPU
// lanes, nvidia-smi for GPU lanes, ...), it is polled during the run and its energy integrated: a
// MEASUREMENT of the whole device (other processes included), labelled with the meter and its rate.
// Lanes no meter covers get an ESTIMATE: busy time x the estimate model's watts above idle
// (profiler/energy/estimate.ts), labelled as an estimate. A mix of both is labelled an estimate.
import { counterDeltaUj, detectMeters, estimatedLaneWatts, meterForLane, type MeterReading, type MeterSet, type PowerMeter } from '../../profiler/energy';
import type { LaneSpec } from '../../profiler/types';
import type { EnergySourceLabel } from './types';

/** Busy/idle watts of a lane for the scheduler (idle draw is not modelled: 0 W above idle). */
export function laneWatts(lane: LaneSpec): { idleWatts: number; busyWatts: number; model: string; detail: string } {
  const e = estimatedLaneWatts(lane);
  return { idleWatts: 0, busyWatts: e.watts, model: e.meter, detail: e.detail };
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
    this.polled = [...covered].map(([meter, lanes]) => ({ meter, lanes, joules: 0, lastWatts: NaN, busy: false, failures: 0, readings: 0 }));
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
          const dt = (r.tMs - p.last.tMs) / 1000;
          if (r.kind === 'power' && p.last.kind === 'power' && dt > 0) {
            p.joules += ((r.watts + p.last.watts) / 2) * dt;
            p.lastWatts = r.watts;
          } else if (r.kind === 'energy' && p.last.kind === 'energy' && dt > 0) {
            let uj = 0;
            for (const c of r.counters) {
              const prev = p.last.counters.find((x) => x.name === c.name);
              if (prev) uj += counterDeltaUj(prev.uj, c.uj, c.maxUj);
            }
            p.joules += uj / 1e6;
            p.lastWatts = uj / 1e6 / dt;
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
