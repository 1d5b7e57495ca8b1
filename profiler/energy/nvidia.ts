// NVIDIA GPU board power via nvidia-smi. `power.draw` is a ~1 s moving average on recent GPUs
// (Ampere and later; the driver says so in `nvidia-smi --help-query-gpu`); `power.draw.instant`
// (driver 530+) is the instantaneous reading and is used when the driver supports it.
import { execFile } from 'node:child_process';
import type { Availability, MeterReading, PowerMeter } from './meter';

function run(cmd: string, args: string[], timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, windowsHide: true }, (err, stdout, stderr) => {
      // nvidia-smi prints its errors ("GPU is lost", "No devices were found") on stdout.
      const said = `${stdout}\n${stderr}`.trim().split('\n')[0];
      if (err) reject(Object.assign(err, { stderr: String(stderr), message: said ? `${cmd} ${args[0] ?? ''}: ${said}` : err.message }));
      else resolve(String(stdout));
    });
  });
}

/** Parses `--format=csv,noheader,nounits` output of one numeric field: one value per GPU; NaN for [N/A]. */
export function parseNvidiaSmiPower(stdout: string): number[] {
  return stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => {
      const v = Number(l.split(',')[0].trim());
      return Number.isFinite(v) ? v : NaN;
    });
}

export class NvidiaSmiMeter implements PowerMeter {
  readonly id = 'nvidia-smi';
  readonly domain = 'gpu' as const;
  readonly sampleHz = 5;
  averagingMs = 1000;
  private field: 'power.draw.instant' | 'power.draw' | undefined;
  private gpuCount = 0;

  constructor(private readonly binary = 'nvidia-smi') {}

  private async query(field: string): Promise<number[]> {
    return parseNvidiaSmiPower(await run(this.binary, [`--query-gpu=${field}`, '--format=csv,noheader,nounits']));
  }

  async available(): Promise<Availability> {
    for (const field of ['power.draw.instant', 'power.draw'] as const) {
      try {
        const values = await this.query(field);
        if (values.length > 0 && values.every(Number.isFinite)) {
          this.field = field;
          this.gpuCount = values.length;
          this.averagingMs = field === 'power.draw' ? 1000 : 0;
          return { ok: true };
        }
      } catch (e) {
        const err = e as NodeJS.ErrnoException & { stderr?: string };
        if (err.code === 'ENOENT') return { ok: false, reason: 'nvidia-smi not found (no NVIDIA driver installed)' };
        // An unknown field is an error on older drivers: try the next one.
      }
    }
    return { ok: false, reason: 'nvidia-smi reports no power reading for this GPU ([N/A] or not supported)' };
  }

  async sample(): Promise<MeterReading> {
    if (!this.field) throw new Error('NvidiaSmiMeter.sample() before available()');
    const values = await this.query(this.field);
    // All GPUs together: Tessera's GPU lanes do not pin a device index yet.
    return { kind: 'power', tMs: performance.now(), watts: values.reduce((s, v) => s + v, 0) };
  }

  describe(): string {
    const avg = this.field === 'power.draw' ? 'power.draw, a ~1 s moving average on recent GPUs (readings in the first second of a window are dropped)' : 'power.draw.instant (instantaneous)';
    return `nvidia-smi ${avg}, polled at ${this.sampleHz} Hz, sum over ${this.gpuCount || 'all'} GPU(s); GPU board power only (host CPU not included)`;
  }
}
