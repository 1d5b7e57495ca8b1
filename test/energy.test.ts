import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  batteryWatts,
  counterDeltaUj,
  detectMeters,
  energyLabel,
  estimateEnergy,
  joulesPerRun,
  meanWatts,
  meterForLane,
  NvidiaSmiMeter,
  parseNvidiaSmiPower,
  parsePowermetrics,
  RaplMeter,
  recordWindow,
  type MeterReading,
  type PowerMeter,
} from '../profiler/energy';

const tmp = mkdtempSync(join(tmpdir(), 'tessera-energy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fakeRapl(root: string, zones: Record<string, { name: string; uj: number; max: number }>): void {
  for (const [dir, z] of Object.entries(zones)) {
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, dir, 'name'), `${z.name}\n`);
    writeFileSync(join(root, dir, 'energy_uj'), `${z.uj}\n`);
    writeFileSync(join(root, dir, 'max_energy_range_uj'), `${z.max}\n`);
  }
}

class FakeMeter implements PowerMeter {
  readonly id = 'fake';
  readonly sampleHz = 50;
  readonly averagingMs = 0;
  constructor(
    readonly domain: PowerMeter['domain'],
    private readonly watts: () => number,
    private readonly ok = true,
  ) {}
  async available() {
    return this.ok ? { ok: true } : { ok: false, reason: 'fake meter switched off' };
  }
  async sample(): Promise<MeterReading> {
    return { kind: 'power', tMs: performance.now(), watts: this.watts() };
  }
  describe() {
    return 'fake';
  }
}

describe('energy arithmetic', () => {
  it('corrects one RAPL counter wrap-around at max_energy_range_uj', () => {
    expect(counterDeltaUj(100, 250, 1000)).toBe(150);
    expect(counterDeltaUj(900, 50, 1000)).toBe(150);
    expect(counterDeltaUj(900, 50, 0)).toBe(50); // unknown range: count from the reset
  });

  it('integrates power readings (trapezoid) and energy counters into mean watts', () => {
    const p = (tMs: number, watts: number): MeterReading => ({ kind: 'power', tMs, watts });
    expect(meanWatts([p(0, 10), p(1000, 20)])).toBeCloseTo(15);
    // Uneven sampling: 10 W for 900 ms then 20 W for 100 ms, time-weighted, not the sample mean.
    expect(meanWatts([p(0, 10), p(900, 10), p(901, 20), p(1000, 20)])).toBeCloseTo((10 * 900 + 15 * 1 + 20 * 99) / 1000, 6);
    expect(meanWatts([p(0, 42)])).toBe(42);
    expect(meanWatts([])).toBeNaN();
    const e = (tMs: number, uj: number): MeterReading => ({ kind: 'energy', tMs, counters: [{ name: 'pkg', uj, maxUj: 262143328850 }] });
    // 30 J over 2 s across a wrap: 262143328850 - 262133328850 = 10 J, then 20 J after the wrap.
    expect(meanWatts([e(0, 262133328850), e(1000, 0), e(2000, 20_000_000)])).toBeCloseTo(15);
  });

  it('energy per run is (active - idle) x latency, never negative', () => {
    expect(joulesPerRun(25, 5, 10)).toBeCloseTo(0.2);
    expect(joulesPerRun(4, 5, 10)).toBe(0);
  });

  it('estimates are labelled estimated everywhere, with their model and constants', () => {
    const cpu = estimateEnergy({ id: 'cpu:2', ep: 'cpu', threads: 2 }, 10);
    expect(cpu.source.kind).toBe('estimated');
    expect(cpu.source.meter).toMatch(/^estimate:/);
    expect(cpu.source.detail).toMatch(/ESTIMATE/);
    expect(cpu.watts).toBe(10);
    expect(cpu.joulesPerRun).toBeCloseTo(0.1);
    expect(energyLabel(cpu)).toMatch(/^ESTIMATE/);
    const gpu = estimateEnergy({ id: 'webgpu', ep: 'webgpu' }, 2);
    expect(gpu.source.kind).toBe('estimated');
    expect(energyLabel({ joulesPerRun: 1, source: { kind: 'measured', meter: 'rapl', detail: '', sampleHz: 10 } })).toBe('measured (rapl, 10 Hz)');
  });

  it('parses nvidia-smi, powermetrics and battery values', () => {
    expect(parseNvidiaSmiPower('71.23\n65.00\n')).toEqual([71.23, 65]);
    expect(parseNvidiaSmiPower('[N/A]\n')[0]).toBeNaN();
    const pm = parsePowermetrics('**** Processor usage ****\nCPU Power: 1234 mW\nGPU Power: 56 mW\nANE Power: 0 mW\nCombined Power (CPU + GPU + ANE): 1290 mW\n');
    expect(pm).toEqual({ cpu: 1.234, gpu: 0.056, ane: 0, combined: 1.29 });
    expect(batteryWatts({ power_now: 12_500_000 })).toBeCloseTo(12.5);
    expect(batteryWatts({ current_now: 1_000_000, voltage_now: 11_000_000 })).toBeCloseTo(11);
    expect(batteryWatts({})).toBeUndefined();
  });
});

describe('meters', () => {
  it('RAPL reads package zones only, from a fake sysfs tree, and integrates across a wrap', async () => {
    const root = join(tmp, 'powercap');
    fakeRapl(root, {
      'intel-rapl:0': { name: 'package-0', uj: 999_000_000, max: 1_000_000_000 },
      'intel-rapl:0:0': { name: 'core', uj: 5, max: 1_000_000_000 },
      'intel-rapl:1': { name: 'psys', uj: 5, max: 1_000_000_000 },
    });
    const m = new RaplMeter(root);
    expect(await m.available()).toEqual({ ok: true });
    const r1 = await m.sample();
    expect(r1.kind === 'energy' && r1.counters.map((c) => c.name)).toEqual(['intel-rapl:0 (package-0)']);
    writeFileSync(join(root, 'intel-rapl:0', 'energy_uj'), '1000000\n'); // wrapped: +2 J
    const r2 = await m.sample();
    const span = r2.tMs - r1.tMs;
    expect(meanWatts([r1, r2])).toBeCloseTo(2 / (span / 1000), 3);
    expect(m.describe()).toMatch(/RAPL.*10 Hz/);
  });

  it('RAPL explains a missing powercap tree and an unreadable energy_uj', async () => {
    const none = await new RaplMeter(join(tmp, 'nope')).available();
    expect(none.ok).toBe(false);
    expect(none.reason).toMatch(/no RAPL package zones/);
    const root = join(tmp, 'powercap-locked');
    fakeRapl(root, { 'intel-rapl:0': { name: 'package-0', uj: 1, max: 10 } });
    // Root reads anything, so the kernel's EACCES is provoked through the meter's file reader.
    const eacces = async (f: string) => {
      if (f.endsWith('energy_uj')) throw Object.assign(new Error(`EACCES: permission denied, open '${f}'`), { code: 'EACCES' });
      return '';
    };
    const locked = await new RaplMeter(root, eacces).available();
    expect(locked.ok).toBe(false);
    expect(locked.reason).toMatch(/permission denied.*root-only since Linux 5\.10.*chmod o\+r.*udev/s);
  });

  it('nvidia-smi: falls back from power.draw.instant to the 1 s averaged power.draw, and says so', async () => {
    const bin = join(tmp, 'nvidia-smi');
    writeFileSync(bin, `#!/bin/sh\ncase "$1" in *instant*) echo "[N/A]";; *) echo "75.5"; echo "24.5";; esac\n`);
    chmodSync(bin, 0o755);
    const m = new NvidiaSmiMeter(bin);
    expect(await m.available()).toEqual({ ok: true });
    expect(m.averagingMs).toBe(1000);
    expect(m.describe()).toMatch(/~1 s moving average/);
    const r = await m.sample();
    expect(r.kind === 'power' && r.watts).toBeCloseTo(100);
    const missing = await new NvidiaSmiMeter(join(tmp, 'no-such-nvidia-smi')).available();
    expect(missing).toMatchObject({ ok: false, reason: expect.stringMatching(/not found/) });
  });

  it('recordWindow polls a meter while work runs and drops readings inside the meter averaging window', async () => {
    let w = 10;
    const m = new FakeMeter('cpu-package', () => w);
    setTimeout(() => (w = 30), 100);
    const win = await recordWindow(m, { until: new Promise((r) => setTimeout(r, 300)), skipMs: 150 });
    expect(win.samples).toBeGreaterThan(3);
    expect(win.meanWatts).toBeCloseTo(30, 5);
    expect(win.seconds).toBeGreaterThan(0.25);
  });

  it('recordWindow rejects a window in which every reading failed, however few (it measured nothing)', async () => {
    const m = new FakeMeter('cpu-package', () => {
      throw new Error('counter gone');
    });
    // ~2 readings at 50 Hz in 30 ms: below the 4 failures in a row that abort a long window.
    await expect(recordWindow(m, { until: new Promise((r) => setTimeout(r, 30)) })).rejects.toThrow(/counter gone/);
  });

  it('detectMeters reports why a meter is off, and lanes get the meter of their device', async () => {
    const cpuMeter = new FakeMeter('cpu-package', () => 1);
    const set = await detectMeters([cpuMeter, new FakeMeter('gpu', () => 1, false)]);
    expect(set.meters).toEqual([cpuMeter]);
    expect(set.status[1]).toMatchObject({ ok: false, reason: 'fake meter switched off' });
    expect(meterForLane({ id: 'cpu:1', ep: 'cpu', threads: 1 }, set.meters)).toBe(cpuMeter);
    expect(meterForLane({ id: 'webgpu', ep: 'webgpu' }, set.meters)).toBeUndefined();
    const sys = new FakeMeter('system', () => 1);
    expect(meterForLane({ id: 'webgpu', ep: 'webgpu' }, [cpuMeter, sys])).toBe(sys);
  });

  it('on this machine every real meter is either readable or says why not', async () => {
    const set = await detectMeters();
    for (const s of set.status) {
      if (!s.ok) expect(s.reason, s.id).toBeTruthy();
      else expect(s.detail, s.id).toBeTruthy();
    }
    await set.close();
  });
});
