// macOS powermetrics: CPU / GPU / ANE power of Apple silicon (and Intel Macs). It needs root:
// Tessera runs it through `sudo -n` (non-interactive) and reports it unavailable when sudo would
// ask for a password. A sudoers rule such as
//   yourname ALL=(root) NOPASSWD: /usr/bin/powermetrics
// allows it.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import type { Availability, MeterReading, PowerMeter } from './meter';

export type PowermetricsRail = 'cpu' | 'gpu' | 'ane' | 'combined';

/** Parses the mW figures of one or more powermetrics text samples; returns the last of each. */
export function parsePowermetrics(text: string): Partial<Record<PowermetricsRail, number>> {
  const out: Partial<Record<PowermetricsRail, number>> = {};
  const re = /^(CPU|GPU|ANE|Combined) Power(?: \([^)]*\))?:\s*([\d.]+)\s*mW/gm;
  for (const m of text.matchAll(re)) {
    const rail = m[1].toLowerCase() as PowermetricsRail;
    out[rail] = Number(m[2]) / 1000;
  }
  return out;
}

export class PowermetricsMeter implements PowerMeter {
  readonly id = 'powermetrics';
  readonly domain;
  readonly sampleHz = 5;
  readonly averagingMs = 200;
  private child: ChildProcess | undefined;
  private latest: number | undefined;
  private latestAt = 0;
  private buffer = '';

  constructor(private readonly rail: PowermetricsRail = 'combined') {
    this.domain = rail === 'gpu' ? ('gpu' as const) : rail === 'cpu' ? ('cpu-package' as const) : ('soc' as const);
  }

  async available(): Promise<Availability> {
    if (process.platform !== 'darwin') return { ok: false, reason: 'powermetrics exists on macOS only' };
    const ok = await new Promise<boolean>((resolve) => execFile('sudo', ['-n', '/usr/bin/powermetrics', '-n', '1', '-i', '100', '--samplers', 'cpu_power,gpu_power'], { timeout: 10_000 }, (err) => resolve(!err)));
    if (!ok) return { ok: false, reason: 'powermetrics needs root: run Tessera with sudo, or allow it without a password (sudoers: `yourname ALL=(root) NOPASSWD: /usr/bin/powermetrics`)' };
    return { ok: true };
  }

  private ensureStarted(): void {
    if (this.child) return;
    const period = Math.round(1000 / this.sampleHz);
    this.child = spawn('sudo', ['-n', '/usr/bin/powermetrics', '-i', String(period), '--samplers', 'cpu_power,gpu_power,ane_power'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.buffer = (this.buffer + chunk.toString()).slice(-20000);
      const parsed = parsePowermetrics(this.buffer);
      const v = parsed[this.rail];
      if (v !== undefined) {
        this.latest = v;
        this.latestAt = performance.now();
        this.buffer = '';
      }
    });
  }

  async sample(): Promise<MeterReading> {
    this.ensureStarted();
    const t0 = performance.now();
    while (this.latest === undefined && performance.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 50));
    if (this.latest === undefined) throw new Error('powermetrics produced no reading within 3 s');
    return { kind: 'power', tMs: this.latestAt, watts: this.latest };
  }

  describe(): string {
    return `macOS powermetrics ${this.rail} power, ${Math.round(1000 / this.sampleHz)} ms sample interval (${this.sampleHz} Hz), run via sudo -n`;
  }

  close(): void {
    this.child?.kill();
    this.child = undefined;
  }
}
