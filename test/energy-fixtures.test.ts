// The measured-energy paths against recorded fixtures (test/fixtures/energy): a fake nvidia-smi on
// PATH that replays readings, and a powercap tree under TESSERA_POWERCAP_ROOT whose counter wraps
// around. Both meters also disappear mid-run. Meter discovery goes through detectMeters(), the very
// code a run uses; nothing here needs a GPU or RAPL.
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { counterDeltaUj, detectMeters, meanWatts, meterForLane, NvidiaSmiMeter, POWERCAP_ROOT_ENV, RaplMeter, type MeterReading } from '../profiler/energy';
import { profileModel } from '../profiler/profile';
import { LiveEnergy, LOST_AFTER } from '../scheduler/live/energy';
import { tinyCnn } from './support/tiny-model';

/** Replaces the counter file atomically, as sysfs reads are: a poller never sees a half-written number (which reads as a wrap). */
function setCounter(v: string | number): void {
  writeFileSync(`${raplFile}.tmp`, `${v}\n`);
  renameSync(`${raplFile}.tmp`, raplFile);
}

const FIX = join(__dirname, 'fixtures', 'energy');
const tmp = mkdtempSync(join(tmpdir(), 'tessera-energy-fx-'));
const saved = { PATH: process.env.PATH, root: process.env[POWERCAP_ROOT_ENV], rec: process.env.TESSERA_FAKE_NVIDIA_SMI_RECORDING, state: process.env.TESSERA_FAKE_NVIDIA_SMI_STATE };
const powercap = join(tmp, 'powercap');
const raplFile = join(powercap, 'intel-rapl:0', 'energy_uj');

/** The recorded values of a fixture file (comment lines dropped). */
function recorded(file: string): string[] {
  return readFileSync(join(FIX, file), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('fields:') && !l.startsWith('LOST'));
}

beforeEach(() => {
  rmSync(powercap, { recursive: true, force: true });
  cpSync(join(FIX, 'powercap'), powercap, { recursive: true });
  process.env[POWERCAP_ROOT_ENV] = powercap;
  process.env.PATH = `${join(FIX, 'bin')}${delimiter}${saved.PATH}`;
  process.env.TESSERA_FAKE_NVIDIA_SMI_RECORDING = join(FIX, 'nvidia-smi-power.txt');
  process.env.TESSERA_FAKE_NVIDIA_SMI_STATE = join(tmp, 'nvidia-smi-state');
  rmSync(process.env.TESSERA_FAKE_NVIDIA_SMI_STATE, { force: true });
});

afterAll(() => {
  const restore = (k: string, v: string | undefined) => (v === undefined ? delete process.env[k] : (process.env[k] = v));
  restore('PATH', saved.PATH);
  restore(POWERCAP_ROOT_ENV, saved.root);
  restore('TESSERA_FAKE_NVIDIA_SMI_RECORDING', saved.rec);
  restore('TESSERA_FAKE_NVIDIA_SMI_STATE', saved.state);
  rmSync(tmp, { recursive: true, force: true });
});

describe('energy meters on recorded fixtures', () => {
  it('detectMeters finds the fake nvidia-smi on PATH and the powercap tree named by TESSERA_POWERCAP_ROOT, and lanes get their meter', async () => {
    const set = await detectMeters();
    const byId = Object.fromEntries(set.status.map((s) => [s.id, s]));
    expect(byId['nvidia-smi']).toMatchObject({ ok: true, detail: expect.stringMatching(/power\.draw, a ~1 s moving average.*2 GPU/) });
    expect(byId.rapl).toMatchObject({ ok: true, detail: expect.stringMatching(/intel-rapl:0 \(package-0\)/) });
    expect(meterForLane({ id: 'webgpu', ep: 'webgpu' }, set.meters)?.id).toBe('nvidia-smi');
    expect(meterForLane({ id: 'cpu:1', ep: 'cpu', threads: 1 }, set.meters)?.id).toBe('rapl');
    await set.close();
  });

  it('RAPL integrates the recorded counter across its wrap-around at max_energy_range_uj', async () => {
    const values = recorded('rapl-energy_uj.txt').map(Number);
    const max = Number(readFileSync(join(powercap, 'intel-rapl:0', 'max_energy_range_uj'), 'utf8'));
    const m = new RaplMeter();
    expect(await m.available()).toEqual({ ok: true });
    const readings: MeterReading[] = [];
    for (const v of values) {
      setCounter(v);
      readings.push(await m.sample());
      await new Promise((r) => setTimeout(r, 5));
    }
    // Package zone only (core is inside it, psys would double count).
    expect(readings.every((r) => r.kind === 'energy' && r.counters.length === 1)).toBe(true);
    let expectedUj = 0;
    for (let i = 1; i < values.length; i++) expectedUj += counterDeltaUj(values[i - 1], values[i], max);
    expect(expectedUj).toBe(4_678_850);
    const spanS = (readings.at(-1)!.tMs - readings[0].tMs) / 1000;
    expect(meanWatts(readings) * spanS).toBeCloseTo(expectedUj / 1e6, 6);
  });

  it('nvidia-smi replays the recording: falls back to power.draw, sums the GPUs, and fails clearly once the GPU is lost', async () => {
    const calls = recorded('nvidia-smi-power.txt').map((l) => l.split(';').reduce((s, v) => s + Number(v), 0));
    const m = new NvidiaSmiMeter();
    expect(await m.available()).toEqual({ ok: true }); // consumes the first reading
    expect(m.averagingMs).toBe(1000);
    for (const expected of calls.slice(1)) {
      const r = await m.sample();
      expect(r.kind === 'power' && r.watts).toBeCloseTo(expected, 6);
    }
    await expect(m.sample()).rejects.toThrow(/GPU is lost/);
  });

  it('a live run whose meters disappear mid-run keeps what they measured, estimates from then on, and says so', async () => {
    const lanes = [
      { id: 'cpu:1', ep: 'cpu', threads: 1 },
      { id: 'webgpu', ep: 'webgpu' },
    ];
    const acc = new LiveEnergy(lanes);
    await acc.start(true);
    expect(acc.source).toMatchObject({ kind: 'measured', detail: expect.stringMatching(/MEASURED by rapl.*MEASURED by nvidia-smi/s) });
    // Replay the RAPL counter (wrap included), then remove it as a driver unload would.
    for (const v of recorded('rapl-energy_uj.txt')) {
      setCounter(v);
      await new Promise((r) => setTimeout(r, 150));
    }
    rmSync(raplFile);
    // nvidia-smi polls at 5 Hz: 6 readings, then LOST_AFTER failures; RAPL at 10 Hz.
    const deadline = Date.now() + 10_000;
    while (acc.notes.filter((n: string) => /stopped answering/.test(n)).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await acc.stop();
    const lost = acc.notes.filter((n: string) => /stopped answering/.test(n));
    expect(lost, acc.notes.join('\n')).toHaveLength(2);
    expect(lost.find((n: string) => n.startsWith('meter nvidia-smi'))).toMatch(new RegExp(`${LOST_AFTER} failures in a row.*GPU is lost.*lane\\(s\\) webgpu are estimated from then on`));
    expect(lost.find((n: string) => n.startsWith('meter rapl'))).toMatch(/lane\(s\) cpu:1 are estimated from then on/);
    // Energy measured before the loss is kept: RAPL counted at most the replayed 4.68 J (no wrap blow-up), nvidia-smi a few hundred W x ~1 s.
    expect(acc.joules).toBeGreaterThan(0);
    expect(acc.joules).toBeLessThan(4.68 + 2 * 400);
    // From the loss on, busy time on those lanes is estimated, and the label says the figure is no longer a pure measurement.
    expect(acc.busy(0, 1)).toBeGreaterThan(0);
    expect(acc.busy(1, 1)).toBeGreaterThan(0);
    expect(acc.source.kind).toBe('estimated');
    expect(acc.source.detail).toMatch(/mixed, so labelled an estimate.*until it was lost/s);
    expect(Number.isNaN(acc.measuredWatts)).toBe(true);
  }, 20_000);

  it('a profile whose RAPL counter disappears mid-run measures energy before, estimates after, and warns', async () => {
    // The counter advances 2 J per reading (40 W at 10 Hz). The counter file is removed once the
    // profiler starts its second layer (the whole model and layer 1 are measured by then): tied to the
    // profiler's progress, not to a count of reads or a time, so a loaded machine sees the same story.
    let uj = Number(readFileSync(raplFile, 'utf8'));
    let vanish = false;
    const meter = new RaplMeter(undefined, async (f) => {
      if (f.endsWith('energy_uj') && vanish) rmSync(raplFile, { force: true });
      const text = readFileSync(f, 'utf8');
      if (f.endsWith('energy_uj')) writeFileSync(raplFile, `${(uj += 2e6)}\n`);
      return text;
    });
    const onProgress = (e: { phase: string; message: string }) => {
      if (e.phase === 'layer' && /layer 2\//.test(e.message)) vanish = true;
    };
    const p = await profileModel(tinyCnn(), { lanes: ['cpu:1'], budgetSec: 0.5, energyWindowSec: 0.3, meters: [meter], save: false, name: 'tiny_cnn', onProgress });
    const kinds = [...p.layers.map((l) => l.lanes[0].energy?.source.kind), p.wholeModel[0].energy?.source.kind];
    expect(kinds, JSON.stringify(p.warnings)).toContain('measured');
    expect(kinds).toContain('estimated');
    expect(p.layers.every((l) => l.lanes[0].latencyMs !== undefined)).toBe(true);
    expect(p.warnings.some((w) => /meter rapl failed while measuring .*energy from there on is estimated/.test(w))).toBe(true);
  }, 60_000);
});
