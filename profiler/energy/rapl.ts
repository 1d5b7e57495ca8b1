// Linux RAPL: cumulative CPU package energy counters under /sys/class/powercap/intel-rapl:N
// (AMD Zen exposes the same interface). Counters wrap at max_energy_range_uj. Since kernel 5.10
// (the PLATYPUS side channel, CVE-2020-8694) energy_uj is readable by root only unless an
// administrator relaxes it.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Availability, EnergyCounter, MeterReading, PowerMeter } from './meter';

export const RAPL_PERMISSION_HELP =
  'energy_uj is root-only since Linux 5.10 (CVE-2020-8694). To let Tessera read it: ' +
  '`sudo chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj` (until reboot), or a udev rule such as ' +
  '`SUBSYSTEM=="powercap", ACTION=="add", RUN+="/bin/chmod o+r /sys%p/energy_uj"` in /etc/udev/rules.d/90-rapl.rules.';

/** Points RAPL at another powercap tree (fixtures in CI; a copied tree). */
export const POWERCAP_ROOT_ENV = 'TESSERA_POWERCAP_ROOT';

interface Zone {
  dir: string;
  name: string;
  maxUj: number;
}

export class RaplMeter implements PowerMeter {
  readonly id = 'rapl';
  readonly domain = 'cpu-package' as const;
  readonly sampleHz = 10;
  readonly averagingMs = 0;
  private zones: Zone[] | undefined;

  /** `root` is /sys/class/powercap, or TESSERA_POWERCAP_ROOT (recorded fixtures, a copied tree); tests may also replace the file reader to provoke errors. */
  constructor(
    private readonly root = process.env[POWERCAP_ROOT_ENV] || '/sys/class/powercap',
    private readonly read: (file: string) => Promise<string> = (f) => readFile(f, 'utf8'),
  ) {}

  /** Top-level package zones (intel-rapl:N, name package-*); psys and sub-zones (core, uncore, dram) would double count. */
  private async findZones(): Promise<Zone[]> {
    let entries: string[];
    try {
      entries = await readdir(this.root);
    } catch {
      return [];
    }
    const zones: Zone[] = [];
    for (const e of entries.filter((x) => /^intel-rapl:\d+$/.test(x)).sort()) {
      const dir = join(this.root, e);
      const name = (await readFile(join(dir, 'name'), 'utf8').catch(() => '')).trim();
      if (name && !name.startsWith('package')) continue;
      const maxUj = Number((await readFile(join(dir, 'max_energy_range_uj'), 'utf8').catch(() => '0')).trim()) || 0;
      zones.push({ dir, name: `${e} (${name || 'package'})`, maxUj });
    }
    return zones;
  }

  async available(): Promise<Availability> {
    const zones = await this.findZones();
    if (zones.length === 0) return { ok: false, reason: `no RAPL package zones under ${this.root} (not Linux, no intel_rapl/amd powercap driver, or a VM)` };
    try {
      await this.read(join(zones[0].dir, 'energy_uj'));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') return { ok: false, reason: `cannot read ${join(zones[0].dir, 'energy_uj')}: permission denied. ${RAPL_PERMISSION_HELP}` };
      return { ok: false, reason: `cannot read ${join(zones[0].dir, 'energy_uj')}: ${(e as Error).message}` };
    }
    this.zones = zones;
    return { ok: true };
  }

  async sample(): Promise<MeterReading> {
    const zones = this.zones ?? (this.zones = await this.findZones());
    const counters: EnergyCounter[] = [];
    for (const z of zones) {
      const uj = Number((await this.read(join(z.dir, 'energy_uj'))).trim());
      counters.push({ name: z.name, uj, maxUj: z.maxUj });
    }
    return { kind: 'energy', tMs: performance.now(), counters };
  }

  describe(): string {
    const names = this.zones?.map((z) => z.name).join(', ') ?? 'package zones';
    return `Linux RAPL energy counters (${names}), read at ${this.sampleHz} Hz, wrap-around corrected; CPU package only (no DRAM, no GPU)`;
  }
}
