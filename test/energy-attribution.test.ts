// Energy attribution by regression (scheduler/core/energy-attribution.ts): a RAPL package counter
// recorded from a known synthetic ground truth (idle + per-lane watts while busy, measurement noise,
// the counter wrapping at the fixture's max_energy_range_uj) goes through the live run's own
// reading -> interval power path (live/energy.ts intervalPower) and the regression must recover the
// truth within its 95% intervals; too few samples, a lane that never varied and no meter at all say
// that nothing is attributed. Then a LiveEnergy polls the fake powercap tree (TESSERA_POWERCAP_ROOT)
// while a writer plays the ground truth into its counter.
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attributeEnergy, busyPerSample, type BusyInterval, type PowerSample, type RegressionAttribution } from '../scheduler/core/energy-attribution';
import { intervalPower, LiveEnergy } from '../scheduler/live/energy';
import { POWERCAP_ROOT_ENV, type MeterReading } from '../profiler/energy';
import { rng } from '../scheduler/core/rng';
import { t975 } from '../scheduler/core/stats';

const FIX = join(__dirname, 'fixtures', 'energy');
const MAX_UJ = Number(readFileSync(join(FIX, 'powercap', 'intel-rapl:0', 'max_energy_range_uj'), 'utf8'));

const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

const NOISE_UJ = 0.15e6;
const TRUTH = { idle: 12, lane: [18, 9] };
const TENANTS = ['a', 'b', 'c'];
/** lane 0 runs a and b, lane 1 runs a and c. */
const ON_LANE = [
  [0, 1],
  [0, 2],
];

/** Busy intervals over [0, span): layers of 5-80 ms with 0-120 ms gaps, tenants drawn per layer. */
function schedule(span: number, r: () => number): BusyInterval[] {
  const out: BusyInterval[] = [];
  for (let lane = 0; lane < 2; lane++) {
    let t = r() * 0.05;
    while (t < span) {
      // Busy phases and quiet phases of a second or so, so the lanes' busy shares vary between samples.
      const phaseBusy = Math.floor(t / (0.7 + 0.4 * lane)) % 2 === 0;
      const len = 0.005 + r() * 0.075;
      const end = Math.min(span, t + len);
      out.push({ lane, tenant: ON_LANE[lane][Math.floor(r() * 2)], start: t, end });
      t = end + (phaseBusy ? r() * 0.01 : r() * 0.12);
    }
  }
  return out;
}

/** Exact joules of the ground truth over [t0, t1] (an independent overlap loop). */
function truthJ(busy: BusyInterval[], t0: number, t1: number): number {
  let j = TRUTH.idle * (t1 - t0);
  for (const b of busy) j += TRUTH.lane[b.lane] * Math.max(0, Math.min(t1, b.end) - Math.max(t0, b.start));
  return j;
}

/** A RAPL package counter read at ~10 Hz (jittered), starting 50 J below its wrap, with 1.5 W-equivalent noise per reading. */
function recordedCounter(busy: BusyInterval[], span: number, r: () => number): MeterReading[] {
  const readings: MeterReading[] = [];
  let counter = MAX_UJ - 50e6;
  let prevT = 0;
  for (let k = 0; k * 0.1 <= span - 0.1; k++) {
    const t = k === 0 ? 0 : Math.min(span, k * 0.1 + (r() - 0.5) * 0.02);
    if (k > 0) counter = (counter + truthJ(busy, prevT, t) * 1e6 + gauss(r) * NOISE_UJ) % MAX_UJ;
    readings.push({ kind: 'energy', tMs: t * 1000, counters: [{ name: 'intel-rapl:0 (package-0)', uj: Math.round(Math.max(0, counter)), maxUj: MAX_UJ }] });
    prevT = t;
  }
  return readings;
}

const within = (e: { lo: number; hi: number }, v: number) => e.lo <= v && v <= e.hi;

describe('energy attribution by regression', () => {
  it('t quantiles: the table, and the expansion past 30 degrees of freedom', () => {
    expect(t975(1)).toBeCloseTo(12.706, 3);
    expect(t975(10)).toBeCloseTo(2.228, 3);
    expect(t975(60)).toBeCloseTo(2.0003, 3);
    expect(t975(1e6)).toBeCloseTo(1.96, 3);
  });

  it('splits busy time across sample intervals', () => {
    const samples: PowerSample[] = [
      { t0: 0, t1: 1, watts: 0 },
      { t0: 1, t1: 2, watts: 0 },
    ];
    const per = busyPerSample(samples, [{ lane: 1, tenant: 0, start: 0.5, end: 1.25 }], 2, 1);
    expect(Array.from(per.lane[0])).toEqual([0, 0.5]);
    expect(Array.from(per.lane[1])).toEqual([0, 0.25]);
  });

  /** One recorded run from `seed`: the attribution, and the ground truth over the span its samples cover. */
  function recordedRun(seed: number) {
    const r = rng(seed);
    const span = 30;
    const busy = schedule(span, r);
    const readings = recordedCounter(busy, span, r);
    const samples: PowerSample[] = [];
    for (let i = 1; i < readings.length; i++) {
      const s = intervalPower(readings[i - 1], readings[i])!;
      samples.push({ t0: s.t0Ms / 1000, t1: s.t1Ms / 1000, watts: s.watts });
    }
    const a = attributeEnergy({ meter: 'rapl', samples, busy, laneIds: ['cpu:1', 'cpu:1#1'], covered: [0, 1], tenantIds: TENANTS }) as RegressionAttribution;
    const [from, to] = [samples[0].t0, samples.at(-1)!.t1];
    const tenantTruth = TENANTS.map((_, ti) => busy.filter((b) => b.tenant === ti).reduce((x, b) => x + TRUTH.lane[b.lane] * Math.max(0, Math.min(to, b.end) - Math.max(from, b.start)), 0));
    return { a, samples, tenantTruth, measuredTruth: truthJ(busy, from, to) };
  }

  it('recovers a known ground truth from a recorded, wrapping RAPL counter: point estimates close, 95% intervals cover it', () => {
    const { a, samples, measuredTruth } = recordedRun(1);
    // The counter wrapped once: no sample may read it as a huge jump.
    expect(Math.max(...samples.map((s) => s.watts))).toBeLessThan(60);
    expect(a.attribution).toBe('regression');
    expect(a.samples).toBe(samples.length);
    expect(a.r2).toBeGreaterThan(0.9);
    expect(a.measuredJoules).toBeCloseTo(measuredTruth, -1);
    expect(a.tenants.map((t) => t.tenant)).toEqual(TENANTS);
    expect(a.method).toMatch(/least squares of \d+ power samples of rapl/);
    // Over 40 recorded runs (different schedules and noise): every estimate near the truth, and each
    // 95% interval holding it in at least 85% of the runs (binomial: 3 sd below 95% at n = 40).
    const runs = Array.from({ length: 40 }, (_, k) => recordedRun(100 + k));
    const covered = (get: (x: (typeof runs)[number]) => [{ lo: number; hi: number; value: number }, number]) => runs.filter((x) => within(...get(x))).length / runs.length;
    const quantities: [string, (x: (typeof runs)[number]) => [{ lo: number; hi: number; value: number }, number]][] = [
      ['idle W', (x) => [x.a.idleWatts, TRUTH.idle]],
      ['cpu:1 W', (x) => [x.a.lanes[0].wattsWhileBusy, TRUTH.lane[0]]],
      ['cpu:1#1 W', (x) => [x.a.lanes[1].wattsWhileBusy, TRUTH.lane[1]]],
      ...TENANTS.map((id, ti) => [`${id} J`, (x: (typeof runs)[number]) => [x.a.tenants[ti].joules, x.tenantTruth[ti]]] as [string, (x: (typeof runs)[number]) => [{ lo: number; hi: number; value: number }, number]]),
    ];
    for (const [name, get] of quantities) {
      expect(covered(get), name).toBeGreaterThanOrEqual(0.85);
      for (const x of runs) {
        const [e, truth] = get(x);
        expect(Math.abs(e.value - truth) / truth, name).toBeLessThan(0.1);
        expect(e.hi - e.lo, name).toBeLessThan(0.2 * truth); // informative, not a blanket interval
      }
    }
  });

  it('says why nothing is attributed: too few samples, a lane whose busy share never varied, no meter', async () => {
    const few = attributeEnergy({ meter: 'rapl', samples: [{ t0: 0, t1: 1, watts: 10 }], busy: [], laneIds: ['cpu:1'], covered: [0], tenantIds: ['a'] });
    expect(few).toEqual({ attribution: 'unavailable', meter: 'rapl', reason: expect.stringMatching(/1 power sample\(s\).*at least 5 needed/) });
    const always: PowerSample[] = Array.from({ length: 20 }, (_, i) => ({ t0: i, t1: i + 1, watts: 30 + (i % 3) }));
    const flat = attributeEnergy({ meter: 'rapl', samples: always, busy: [{ lane: 0, tenant: 0, start: 0, end: 20 }], laneIds: ['cpu:1'], covered: [0], tenantIds: ['a'] });
    expect(flat).toMatchObject({ attribution: 'unavailable', reason: expect.stringMatching(/cpu:1's busy share hardly varied.*cannot be told from the baseline/) });
    const none = new LiveEnergy([{ id: 'cpu:1', ep: 'cpu', threads: 1 }]);
    await none.start(false);
    none.interval(0, 0, 0, 1);
    expect(none.attribution(['a'], (ms) => ms / 1000)).toEqual([{ attribution: 'unavailable', reason: expect.stringMatching(/no power meter covers the lanes.*not measured/) }]);
    await none.stop();
  });
});

describe('energy attribution in a live accumulator on the fake powercap tree', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tessera-attr-'));
  const saved = process.env[POWERCAP_ROOT_ENV];
  afterAll(() => {
    if (saved === undefined) delete process.env[POWERCAP_ROOT_ENV];
    else process.env[POWERCAP_ROOT_ENV] = saved;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('polls RAPL while the ground truth is played into the counter, and attributes it per tenant', async () => {
    const root = join(tmp, 'powercap');
    cpSync(join(FIX, 'powercap'), root, { recursive: true });
    process.env[POWERCAP_ROOT_ENV] = root;
    const file = join(root, 'intel-rapl:0', 'energy_uj');
    const r = rng(11);
    const span = 4;
    const busy = schedule(span, r);
    const t0 = performance.now();
    const base = MAX_UJ - 20e6; // wraps within the run
    const write = () => {
      const t = Math.min(span, (performance.now() - t0) / 1000);
      writeFileSync(`${file}.tmp`, `${Math.round((base + truthJ(busy, 0, t) * 1e6) % MAX_UJ)}\n`);
      renameSync(`${file}.tmp`, file); // atomic, as sysfs reads are
    };
    write();
    const acc = new LiveEnergy([
      { id: 'cpu:1', ep: 'cpu', threads: 1 },
      { id: 'cpu:1#1', ep: 'cpu', threads: 1 },
    ]);
    await acc.start(true);
    expect(acc.source.kind).toBe('measured');
    for (const b of busy) acc.interval(b.lane, b.tenant, b.start, b.end);
    while (performance.now() - t0 < span * 1000) {
      write();
      await new Promise((res) => setTimeout(res, 5));
    }
    await acc.stop();
    const [a] = acc.attribution(TENANTS, (ms) => (ms - t0) / 1000);
    // On a loaded machine the poller may be starved of readings: then it must say so, not guess.
    if (a.attribution === 'unavailable') {
      expect(a.reason).toMatch(/power sample|hardly varied/);
      return;
    }
    expect(a.meter).toBe('rapl');
    expect(a.samples).toBeGreaterThan(5);
    // The writer updates the counter every few ms, so readings lag the truth a little: the intervals must still hold it.
    expect(within(a.lanes[0].wattsWhileBusy, TRUTH.lane[0]) || Math.abs(a.lanes[0].wattsWhileBusy.value - TRUTH.lane[0]) < 2, JSON.stringify(a.lanes)).toBe(true);
    expect(a.tenants.map((t) => t.tenant)).toEqual(TENANTS);
    const total = a.tenants.reduce((x, t) => x + t.joules.value, 0) + a.baselineJoules.value;
    // The fit's energy adds up to what was measured (least squares with an intercept; samples of unequal length keep it from being exact).
    expect(Math.abs(total - a.measuredJoules) / a.measuredJoules).toBeLessThan(0.03);
  }, 20_000);
});
