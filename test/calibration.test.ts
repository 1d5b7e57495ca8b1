// Machine calibration: the pure rules (staleness, lane-pair lookup, adjustments, error removed),
// the live predictor's calibrated table, the store, and one short real measurement on two CPU lanes.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backgroundFactor, calibrateWorkload, calibrationAdjustments, calibrationKey, calibrationStatus, errorRemoved, expectedUtilisation, pairSlowdown, type MachineCalibration, type MachineFingerprint } from '../scheduler/core/calibration';
import { calibratedTable, type LatencyTable } from '../scheduler/live/calibrate';
import { removedOf } from '../scheduler/live/report';
import { calibrationDir, findCalibration, listCalibrations, measureMachineCalibration, saveCalibration, fingerprint } from '../scheduler/live/machine-calibration';
import { LiveRun, demoScenario, parseLanes } from '../scheduler/live';
import { deepenDemoRef } from '../scheduler/live/demo';
import { oneLane } from './scheduler-fixtures';

const fp: MachineFingerprint = { hostname: 'box', cpu: 'X', cores: 2, platform: 'linux', arch: 'x64', node: 'v22', ort: '1.30.0' };

function cal(over: Partial<MachineCalibration> = {}): MachineCalibration {
  const lanes = ['cpu:1', 'cpu:1#1'];
  return {
    schema: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    fingerprint: fp,
    key: calibrationKey(fp, lanes),
    lanes,
    kernels: 'test',
    interference: [
      { lane: 'cpu:1', with: 'cpu:1#1', soloMs: 2, contendedMs: 3, slowdown: 1.5 },
      { lane: 'cpu:1#1', with: 'cpu:1', soloMs: 2, contendedMs: 2.4, slowdown: 1.2 },
    ],
    dispatch: [
      { lane: 'cpu:1', idleUs: 100, contendedUs: 300 },
      { lane: 'cpu:1#1', idleUs: 100, contendedUs: 100 },
    ],
    decisionUs: { edf: 10 },
    copies: { latencyUs: 20, bytesPerSec: 1e9, points: [{ bytes: 0, oneWayUs: 20 }], method: 'test' },
    background: { at: '2026-01-01T00:00:00.000Z', loadavg1: 1, cores: 2, othersBusyCores: 0, windowMs: 300 },
    tookSec: 1,
    ...over,
  };
}

describe('machine calibration rules', () => {
  it('is fresh only for the same machine, the lanes it measured, within its age', () => {
    const c = cal();
    const t0 = Date.parse(c.createdAt);
    expect(calibrationStatus(c, fp, ['cpu:1', 'cpu:1#1'], t0 + 3600e3).fresh).toBe(true);
    expect(calibrationStatus(c, fp, ['cpu:1', 'cpu:1#1'], t0 + 25 * 3600e3)).toMatchObject({ fresh: false, reason: expect.stringContaining('older than 24 h') });
    expect(calibrationStatus(c, { ...fp, ort: '1.31.0' }, ['cpu:1'], t0)).toMatchObject({ fresh: false, reason: expect.stringContaining('ort (1.30.0 then, 1.31.0 now)') });
    expect(calibrationStatus(c, fp, ['cpu:2'], t0)).toMatchObject({ fresh: false, reason: expect.stringContaining('cpu:2 not calibrated') });
    expect(calibrationStatus({ ...c, createdAt: 'garbage' }, fp, ['cpu:1'], t0).fresh).toBe(false);
  });

  it('looks lane pairs up by id, else by kind, else not at all', () => {
    const c = cal();
    expect(pairSlowdown(c, 'cpu:1', 'cpu:1#1')).toBe(1.5);
    expect(pairSlowdown(c, 'cpu:1#2', 'cpu:1')).toBeCloseTo(1.35); // same kinds: the mean of the pairs
    expect(pairSlowdown(c, 'webgpu', 'cpu:1')).toBeUndefined();
  });

  it('weights the slow-down and the dispatch contention by how busy the other lanes are', () => {
    const c = cal();
    const idle = calibrationAdjustments(c, ['cpu:1', 'cpu:1#1'], [0, 0], 'edf', true);
    expect(idle.computeFactor).toEqual([1, 1]);
    expect(idle.extraS.map((s) => Math.round(s * 1e6))).toEqual([10, 10]); // the decision only
    const half = calibrationAdjustments(c, ['cpu:1', 'cpu:1#1'], [0.5, 0.5], 'edf', true);
    expect(half.computeFactor[0]).toBeCloseTo(1.25);
    expect(half.computeFactor[1]).toBeCloseTo(1.1);
    expect(Math.round(half.extraS[0] * 1e6)).toBe(10 + 100); // + half of the 200 µs contended excess
    const full = calibrationAdjustments(c, ['cpu:1', 'cpu:1#1'], [1, 1], 'dream', false);
    expect(full.computeFactor[0]).toBeCloseTo(1.5);
    expect(Math.round(full.extraS[0] * 1e6)).toBe(300); // idle + excess, no decision figure for dream
    expect(full.notes.join(' ')).toContain('no decision cost calibrated for dream');
    const uncovered = calibrationAdjustments(c, ['cpu:1', 'webgpu'], [1, 1], 'edf', true);
    expect(uncovered.computeFactor).toEqual([1, 1]);
    expect(uncovered.notes.join(' ')).toContain('not calibrated');
  });

  it('applies to a simulator workload: costs, CPU copy links, the source says so', () => {
    const w = oneLane(2, 0.004, 100); // 2 layers x 4 ms at 100 fps: 80% busy
    const cpu = { ...w.lanes[0], kind: 'cpu' };
    const two = { ...w, lanes: [{ ...cpu, id: 'cpu:1' }, { ...cpu, id: 'cpu:1#1' }], tenants: w.tenants.map((t) => ({ ...t, layers: t.layers.map((l) => ({ ...l, variants: l.variants.map((v) => ({ ...v, cost: [v.cost[0], v.cost[0]] })) })) })) };
    const u = expectedUtilisation(two);
    expect(u[0]).toBeCloseTo(0.4);
    const { workload } = calibrateWorkload(two, cal(), 'edf');
    const c0 = workload.tenants[0].layers[0].variants[0].cost[0]!.latency;
    expect(c0).toBeCloseTo(0.004 * (1 + 0.4 * 0.5) + (100 + 0.4 * 200 + 10) / 1e6, 9);
    expect(workload.lanes[0].link).toEqual({ latency: 20e-6, bytesPerSec: 1e9 });
    expect(workload.latencySource.detail).toContain('machine calibration');
    // A whole model (model granularity) pays the slow-down and one dispatch, like one layer.
    const whole = { ...two, tenants: two.tenants.map((t) => ({ ...t, wholeModel: [{ latency: 0.01 }, null] })) };
    const wm = calibrateWorkload(whole, cal(), 'edf').workload.tenants[0].wholeModel!;
    expect(wm[0]!.latency).toBeCloseTo(0.01 * (1 + expectedUtilisation(whole)[1] * 0.5) + (100 + 0.4 * 200 + 10) / 1e6, 9);
    expect(wm[1]).toBeNull();
  });

  it('measures how much of the error is removed, and can say it made things worse', () => {
    expect(errorRemoved(10, 6, 9)).toBeCloseTo(0.75);
    expect(errorRemoved(10, 9, 7)).toBeCloseTo(-2);
    expect(errorRemoved(10, 10, 9)).toBeNaN();
    const row = (tenant: string, m: number, p: number) => ({ tenant, measured: { released: 1, meanLatencyMs: m, p95LatencyMs: m, missRate: 0, dropRate: 0 }, predicted: { released: 1, meanLatencyMs: p, p95LatencyMs: p, missRate: 0, dropRate: 0 }, diff: { meanLatencyRel: 0, p95LatencyRel: 0, missRatePts: 0, dropRatePts: 0 } });
    const r = removedOf([row('a', 10, 9), row('b', 4, 4), row('(all)', 0, 0)], [row('a', 10, 6), row('b', 4, 3), row('(all)', 0, 100)]);
    expect(r.meanLatency).toBeCloseTo(1 - 1 / 5);
    expect(r.missRate).toBeNull();
  });

  it('models the background as a fair share of the cores', () => {
    expect(backgroundFactor({ cores: 2, othersBusyCores: 0 }, 2)).toBe(1);
    expect(backgroundFactor({ cores: 2, othersBusyCores: 2 }, 2)).toBe(2);
    expect(backgroundFactor({ cores: 2, othersBusyCores: NaN }, 2)).toBe(1);
  });
});

describe('the live predictor\'s calibrated table', () => {
  const raw = (): LatencyTable => ({
    computeMs: [[[2, 2]], [[1, 1]]],
    contendedMs: [[[3, 4]], [[NaN, NaN]]],
    sources: ['calibration on these lanes', 'profile p1 (measured x on box; raw run() medians)'],
    outBytes: [[0], [0]],
    cv: 0,
    logSigma: 0,
    overheadS: [1e-4, 1e-4],
    transfer: { latency: 2e-5, bytesPerSec: 1e9 },
    releaseLagS: 0,
  });
  const base = { laneIds: ['cpu:1', 'cpu:1#1'], cpuLanes: [true, true], policy: 'edf', busyThreads: 2 };

  it('blends the run\'s own contended pass at the utilisation, else the lane-pair factor, and scales profiles by the background', () => {
    const r = calibratedTable(raw(), { ...base, utilisation: 0.5, machine: cal(), background: { at: '', loadavg1: 3, cores: 2, othersBusyCores: 1, windowMs: 250 } });
    expect(r.table.computeMs[0][0]).toEqual([2.5, 3]); // own contended pass
    expect(r.table.computeMs[1][0][0]).toBeCloseTo(1 * 1.25 * 1.5); // lane pair x background (2 + 1) / 2
    expect(r.table.overheadS[0]).toBeCloseTo(1e-4 + (100 + 10) / 1e6);
    expect(r.table.transfer).toEqual({ latency: 40e-6, bytesPerSec: 0.5e9 });
    expect(r.notes.join(' ')).toMatch(/own contended pass.*50%/);
    // Without a calibration and at utilisation 0: the raw table.
    const none = calibratedTable(raw(), { ...base, utilisation: 0 });
    expect(none.table.computeMs).toEqual(raw().computeMs);
    expect(none.table.overheadS).toEqual(raw().overheadS);
  });
});

describe('stored calibrations', () => {
  const home = mkdtempSync(join(tmpdir(), 'tessera-calib-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('saves, lists newest first, skips broken files, and finds only a fresh one for these lanes', async () => {
    const me = await fingerprint();
    const lanes = ['cpu:1', 'cpu:1#1'];
    const old = cal({ fingerprint: me, key: calibrationKey(me, lanes) + '-old', createdAt: new Date(Date.now() - 48 * 3600e3).toISOString() });
    saveCalibration(old, home);
    mkdirSync(calibrationDir(home), { recursive: true });
    writeFileSync(join(calibrationDir(home), 'broken.json'), '{"schema": 1,');
    expect((await findCalibration(lanes, home)).reason).toContain('older than 24 h');
    const fresh = cal({ fingerprint: me, key: calibrationKey(me, lanes), createdAt: new Date().toISOString() });
    saveCalibration(fresh, home);
    expect(listCalibrations(home).map((c) => c.key)).toEqual([fresh.key, old.key]);
    expect((await findCalibration(lanes, home)).calibration?.key).toBe(fresh.key);
    expect((await findCalibration(['cpu:2'], home)).calibration).toBeUndefined();
  });
});

describe('measuring a calibration (real lanes)', () => {
  it('measures every lane pair, dispatch, decisions and copies by size on two CPU lanes', { timeout: 90_000 }, async () => {
    const steps: string[] = [];
    const c = await measureMachineCalibration({ lanes: parseLanes('cpu:1,cpu:1'), reps: 4, onProgress: (m) => steps.push(m) });
    expect(c.lanes).toEqual(['cpu:1', 'cpu:1#1']);
    expect(c.interference.map((p) => `${p.lane}|${p.with}`)).toEqual(['cpu:1|cpu:1#1', 'cpu:1#1|cpu:1']);
    for (const p of c.interference) {
      expect(p.soloMs).toBeGreaterThan(0);
      expect(p.contendedMs).toBeGreaterThan(0);
      expect(p.slowdown).toBeGreaterThanOrEqual(1);
    }
    expect(c.dispatch).toHaveLength(2);
    expect(c.dispatch.every((d) => d.idleUs >= 0 && d.contendedUs >= 0)).toBe(true);
    expect(c.decisionUs.edf).toBeGreaterThan(0);
    expect(c.decisionUs.dream).toBeGreaterThan(0);
    expect(c.copies.points.map((p) => p.bytes)).toEqual([0, 64 << 10, 1 << 20, 4 << 20]);
    expect(c.background.cores).toBeGreaterThan(0);
    expect(steps.some((s) => s.includes('copies'))).toBe(true);
  });
});

describe('load targets on the demo', () => {
  it('deepens a demo model (named or parameterised) by a factor, within 1-64 layers, and leaves other refs alone', () => {
    expect(deepenDemoRef('demo:conv', 3)).toBe('demo:conv:32:56:12');
    expect(deepenDemoRef('demo:mlp:8:384:3', 2)).toBe('demo:mlp:8:384:6');
    expect(deepenDemoRef('demo:kws', 100)).toBe('demo:mlp:8:384:64');
    expect(deepenDemoRef('demo:kws', 0.01)).toBe('demo:mlp:8:384:1');
    expect(deepenDemoRef('model.onnx', 2)).toBeUndefined();
  });
});

describe('a live run with a machine calibration', () => {
  it('reports the prediction with and without it, what it applied and the error removed', { timeout: 90_000 }, async () => {
    const lanes = parseLanes('cpu:1,cpu:1');
    const me = await fingerprint();
    const c = cal({ fingerprint: me, key: 'test', createdAt: new Date().toISOString(), interference: [{ lane: 'cpu:1', with: 'cpu:1#1', soloMs: 1, contendedMs: 3, slowdown: 3 }, { lane: 'cpu:1#1', with: 'cpu:1', soloMs: 1, contendedMs: 3, slowdown: 3 }] });
    const r = (await new LiveRun(demoScenario('tiny'), { policy: 'edf', duration: 1, lanes, seed: 1, meters: false, writeFiles: false, machineCalibration: c, calibration: { reps: 4, warmup: 1, mode: 'solo' } }).run()).report;
    const k = r.calibration!;
    expect(k.machine?.key).toBe('test');
    expect(k.background?.cores).toBeGreaterThan(0);
    expect(k.applied.join(' ')).toMatch(/x3\.00 with cpu:1#1/);
    expect(k.uncalibrated?.map((x) => x.tenant)).toEqual(r.comparison!.map((x) => x.tenant));
    // A x3 slow-down of busy neighbours makes the calibrated prediction slower than the uncalibrated one.
    const all = r.comparison!.at(-1)!;
    expect(all.predicted.meanLatencyMs).toBeGreaterThan(k.uncalibrated!.at(-1)!.predicted.meanLatencyMs);
    expect(k.errorRemoved).toBeDefined();
    expect(r.latencySource).toContain('machine calibration test');
    // The calibrated prediction models the dispatching thread (edf decision 10 µs + one 20 µs hop), with the A/B beside it.
    expect(k.dispatcher).toMatchObject({ serviceUs: expect.closeTo(30, 6), withoutDispatcher: expect.any(Array), errorRemoved: expect.any(Object) });
    expect(k.dispatcher!.withoutDispatcher!.map((x) => x.tenant)).toEqual(r.comparison!.map((x) => x.tenant));
    expect(r.predicted!.note).toMatch(/dispatcher modelled .*30 µs each/);
    // No meter: per-tenant energy says it is not available rather than showing an estimate.
    expect(r.energy.attribution).toEqual([{ attribution: 'unavailable', reason: expect.stringMatching(/no power meter/) }]);
  });
});
