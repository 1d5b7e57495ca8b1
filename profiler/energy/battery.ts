// Battery discharge rate: on Linux /sys/class/power_supply/BAT*/power_now (uW) or current_now (uA)
// x voltage_now (uV). It only measures anything while the machine runs on battery (status
// "Discharging"); it covers the whole system (display, radios, ...), so the idle subtraction matters.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Availability, MeterReading, PowerMeter } from './meter';

async function readNum(file: string): Promise<number | undefined> {
  try {
    const v = Number((await readFile(file, 'utf8')).trim());
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Watts from a power_supply directory's values (pure; values as the kernel writes them). */
export function batteryWatts(v: { power_now?: number; current_now?: number; voltage_now?: number }): number | undefined {
  if (v.power_now !== undefined) return Math.abs(v.power_now) / 1e6;
  if (v.current_now !== undefined && v.voltage_now !== undefined) return (Math.abs(v.current_now) / 1e6) * (v.voltage_now / 1e6);
  return undefined;
}

export class BatteryMeter implements PowerMeter {
  readonly id = 'battery';
  readonly domain = 'system' as const;
  readonly sampleHz = 2;
  /** Fuel gauges update power_now every few hundred ms to seconds. */
  readonly averagingMs = 1000;
  private batteries: string[] = [];

  constructor(private readonly root = '/sys/class/power_supply') {}

  async available(): Promise<Availability> {
    if (process.platform !== 'linux') return { ok: false, reason: `battery discharge metering is implemented for Linux sysfs only (platform ${process.platform})` };
    let names: string[];
    try {
      names = (await readdir(this.root)).filter((n) => /^BAT/i.test(n));
    } catch {
      names = [];
    }
    if (names.length === 0) return { ok: false, reason: 'no battery found' };
    const dirs = names.map((n) => join(this.root, n));
    const status = (await readFile(join(dirs[0], 'status'), 'utf8').catch(() => '')).trim();
    if (status !== 'Discharging') return { ok: false, reason: `battery status is "${status || 'unknown'}": discharge can only be measured on battery power (unplug the charger)` };
    this.batteries = dirs;
    const r = await this.sample().catch(() => undefined);
    if (!r) return { ok: false, reason: 'the battery reports neither power_now nor current_now/voltage_now' };
    return { ok: true };
  }

  async sample(): Promise<MeterReading> {
    let total = 0;
    let any = false;
    for (const d of this.batteries) {
      const w = batteryWatts({ power_now: await readNum(join(d, 'power_now')), current_now: await readNum(join(d, 'current_now')), voltage_now: await readNum(join(d, 'voltage_now')) });
      if (w !== undefined) {
        total += w;
        any = true;
      }
    }
    if (!any) throw new Error('no battery power reading');
    return { kind: 'power', tMs: performance.now(), watts: total };
  }

  describe(): string {
    return `battery discharge rate (Linux power_supply ${this.batteries.map((b) => b.split('/').pop()).join(', ')}), polled at ${this.sampleHz} Hz; whole system power`;
  }
}
