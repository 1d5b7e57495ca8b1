// The Tune and Export views' pure logic (renderer/views/tune-model.ts): form checks, best-so-far
// series, candidate rows with best and Pareto marks, the scatter groups, validation and replay rows.
import { describe, expect, test } from 'vitest';
import { addBestPoint, bestSoFarSeries, candidateRows, DEFAULT_TUNE_FORM, missCapText, paretoScatter, replayRows, toleranceText, tuneParams, validationRows, type ReplayResult, type TuneRunResult } from '../renderer/views/tune-model';
import { DASH } from '../renderer/format';

const iv = (mean: number | null, lo = mean, hi = mean) => ({ mean, sd: 0, lo, hi, n: 3 });
const summary = (policy: string, objective: number, miss: number, energy: number, layout = 0) => ({
  candidate: { policy, layout, granularity: 'layer' as const, maxQueuePerTenant: 4, dropLate: false },
  origin: 'search' as const,
  seeds: [1, 2, 3],
  objective: iv(objective, objective * 0.9, objective * 1.1),
  missRate: iv(miss),
  energyJ: iv(energy),
  averageWatts: iv(1),
  uxcost: iv(objective),
  xrbench: iv(0.5),
  p99Ms: iv(null),
  perTenant: [],
});

function result(): TuneRunResult {
  const edf = summary('edf', 0.5, 0.2, 10);
  const lsf = summary('lsf', 0.6, 0.3, 9);
  const best = summary('dream', 0.2, 0.05, 12, 1);
  const cheap = summary('terastal', 0.3, 0.1, 8, 1);
  const worse = summary('dream_static', 0.4, 0.2, 13);
  return {
    scenario: 's',
    layouts: [['cpu:1', 'cpu:1#1'], ['cpu:2']],
    profiles: {},
    profiled: [],
    rateScale: 1,
    wallSec: 2,
    workers: 1,
    result: {
      status: 'done',
      objective: { kind: 'uxcost' },
      referencePolicy: 'edf',
      referenceJoules: 10,
      simSeeds: [1, 2, 3],
      rungs: [1, 3],
      baselines: [edf, lsf],
      bestBaseline: edf,
      best,
      improvement: 0.6,
      top: [best, cheap, worse],
      pareto: [best, cheap],
      tried: [
        { index: 0, batch: 0, origin: 'search', candidate: worse.candidate, seeds: 1, objective: 0.4, missRate: 0.2, energyJ: 13, bestSoFar: 0.4 },
        { index: 1, batch: 0, origin: 'search', candidate: cheap.candidate, seeds: 1, objective: 0.3, missRate: 0.1, energyJ: 8, bestSoFar: 0.3 },
        { index: 2, batch: 1, origin: 'search', candidate: best.candidate, seeds: 3, objective: 0.2, missRate: 0.05, energyJ: 12, bestSoFar: 0.2 },
      ],
      candidatesTried: 3,
      simulations: 9,
      fromCheckpoint: 0,
    },
    validation: [{ which: 'tuned', policy: 'dream', lanes: ['cpu:2'], predictedMissRate: 0.05, measuredMissRate: 0.12, measuredEnergyJ: 3.2, energySource: 'estimated', runId: 'r', perTenant: [] }],
  } as unknown as TuneRunResult;
}

describe('tune view model', () => {
  test('the form becomes tune.run params; bad fields are named', () => {
    const ok = tuneParams({ ...DEFAULT_TUNE_FORM, scenario: 'mixed/reading_assistant', profiles: 'a, b' });
    expect(ok.errors).toEqual([]);
    expect(ok.params).toMatchObject({ scenario: 'mixed/reading_assistant', profiles: ['a', 'b'], objective: 'uxcost', budgetSec: 60, candidates: 200, seed: 1, validateSec: 0 });
    // Blank (the default) or 'auto': the engine estimates it from the profiles' drift checks.
    expect(ok.params?.speedDrift).toBeUndefined();
    expect(tuneParams({ ...DEFAULT_TUNE_FORM, scenario: 's', speedDrift: 'auto' }).params?.speedDrift).toBeUndefined();
    expect(tuneParams({ ...DEFAULT_TUNE_FORM, scenario: 's', speedDrift: '0.2' }).params?.speedDrift).toBe(0.2);
    expect(tuneParams({ ...DEFAULT_TUNE_FORM, scenario: 's', speedDrift: '2' }).errors.join('\n')).toMatch(/Speed drift: a number from 0 to 1/);
    expect(tuneParams({ ...DEFAULT_TUNE_FORM, scenario: 's', budgetSec: '' }).params?.budgetSec).toBeUndefined();
    expect(ok.params?.machineCalibration).toBeUndefined();
    expect(tuneParams({ ...DEFAULT_TUNE_FORM, scenario: 's', calibrated: true }).params?.machineCalibration).toBe(true);
    const bad = tuneParams({ ...DEFAULT_TUNE_FORM, scenario: '', candidates: '2.5', seed: '-1', objective: 'miss-under-cap', profiles: 'a', profileMissing: true });
    expect(bad.params).toBeUndefined();
    expect(bad.errors.join('\n')).toMatch(/Scenario: pick one/);
    expect(bad.errors.join('\n')).toMatch(/Candidates: a whole number from 1/);
    expect(bad.errors.join('\n')).toMatch(/Seed: a whole number from 0/);
    expect(bad.errors.join('\n')).toMatch(/Energy cap \(W\): give a number/);
    expect(bad.errors.join('\n')).toMatch(/not both/);
  });

  test('best so far: live points only when they bring news, never worse; the final series from the result', () => {
    let s: { x: number; y: number }[] = [];
    s = addBestPoint(s, { candidatesTried: 0, best: null });
    expect(s).toEqual([]);
    s = addBestPoint(s, { candidatesTried: 4, best: 0.5 });
    s = addBestPoint(s, { candidatesTried: 4, best: 0.5 });
    s = addBestPoint(s, { candidatesTried: 8, best: 0.7 });
    s = addBestPoint(s, { candidatesTried: 12, best: 0.3 });
    s = addBestPoint(s, { candidatesTried: 2, best: 0.1 });
    expect(s).toEqual([{ x: 4, y: 0.5 }, { x: 8, y: 0.5 }, { x: 12, y: 0.3 }]);
    expect(bestSoFarSeries(result())).toEqual([{ x: 1, y: 0.4 }, { x: 2, y: 0.3 }, { x: 3, y: 0.2 }]);
  });

  test('candidate rows: untuned first, best and Pareto marked, CIs shown, missing figures as a dash', () => {
    const rows = candidateRows(result());
    expect(rows.map((r) => `${r.kind}:${r.policy}`)).toEqual(['untuned:edf', 'untuned:lsf', 'tuned:dream', 'tuned:terastal', 'tuned:dream_static']);
    expect(rows.filter((r) => r.best).map((r) => r.policy)).toEqual(['dream']);
    expect(rows.filter((r) => r.pareto).map((r) => r.policy)).toEqual(['dream', 'terastal']);
    expect(rows[2].label).toMatch(/^dream, lanes cpu:2, layer granularity, queue 4/);
    expect(rows[2].objective).toBe('0.2000 [0.1800, 0.2200]');
    expect(rows[2].missRate).toBe('5.0%');
    expect(rows[2].p99Ms).toBe('–');
  });

  test('a candidate over the miss cap shows no penalised objective, and the caps are said in words', () => {
    const r = result();
    expect(missCapText(r)).toBeUndefined();
    (r.result.top[2] as { overMissCap?: true }).overMissCap = true;
    (r.result.top[2] as { objective: unknown }).objective = iv(1000.3);
    Object.assign(r.result, { missCap: 0.205, tenantMissCaps: [{ tenant: 'hud', missCap: 0.13 }, { tenant: 'ocr', missCap: 0.005 }], missCapBaseline: summary('edf', 0.5, 0.2, 10).candidate });
    expect(candidateRows(r)[4].objective).toBe('over the miss cap');
    expect(candidateRows(r)[3].objective).not.toBe('over the miss cap');
    expect(missCapText(r)).toBe("A schedule missing more than 20.5% of frames (the least-missing untuned policy (edf at layer granularity) + 0.5 points), or more of one tenant's frames than that policy misses of that tenant's (+ 0.5 points or two standard errors) or of all frames, whichever is more (hud 13.0%, ocr 0.5%), is over the miss cap and ranks after every one that is not: UXCost alone would reward dropping frames.");
  });

  test('Pareto scatter: miss rate in % against energy; the front sorted by energy', () => {
    const p = paretoScatter(result());
    expect(p.untuned.map((x) => [x.x, x.y])).toEqual([[10, 20], [9, 30]]);
    expect(p.front.map((x) => [x.x, x.y])).toEqual([[8, 10], [12, 5]]);
    expect(p.tuned).toHaveLength(3);
  });

  test('validation rows: predicted vs measured with the difference in points and the energy source', () => {
    expect(validationRows(result())).toEqual([{ which: 'tuned', policy: 'dream', predicted: '5.0%', measured: '12.0%', diffPts: '+7.0 pts', energy: '3.20 J (ESTIMATE)', hindsight: DASH }]);
    // The run re-simulated with the latencies it learnt: the model held, the latencies did not.
    const h = result();
    h.validation = [{ ...h.validation![0], hindsightMissRate: 0.11, learntRatios: [1.8, 2.1] }];
    expect(validationRows(h)[0].hindsight).toBe('re-simulated with the latencies this run learnt (x1.80-2.10 the predicted): 11.0% miss');
    h.validation = [{ ...h.validation![0], learntRatios: [1.5, 1.52] }];
    expect(validationRows(h)[0].hindsight).toBe('re-simulated with the latencies this run learnt (x1.50 the predicted): 11.0% miss');
    // What the live run applied of the schedule's levers, and what it could not.
    const r = result();
    r.validation = [{ ...r.validation![0], appliedLive: ['pins eyes->cpu:1#1', 'late drop'], notAppliedLive: ['variants (vad: policy picks)'] }];
    expect(validationRows(r)[0].policy).toBe('dream (applied live: pins eyes->cpu:1#1, late drop) (ran live without variants (vad: policy picks))');
    // One run's prediction interval beside the prediction: what a single live run may show if it holds.
    r.validation = [{ ...r.validation![0], predictedMissRange: [0, 0.21] }];
    expect(validationRows(r)[0].predicted).toBe('5.0% (one run 0.0% to 21.0%)');
  });

  test('a validation run that failed is a row that says why, after the ones that ran', () => {
    const r = result();
    r.validationFailed = [{ which: 'tuned', rank: 2, candidate: 'terastal, lanes cpu:2', policy: 'terastal', error: 'tenant "ocr_rec": model cannot be loaded on any lane' }];
    const rows = validationRows(r);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toEqual({ which: 'tuned #2', policy: 'terastal', predicted: DASH, measured: 'failed: tenant "ocr_rec": model cannot be loaded on any lane', diffPts: DASH, energy: DASH, hindsight: DASH });
  });

  test('replay rows and the tolerance text', () => {
    const r = {
      pass: false,
      rows: [
        { tenant: 'a', expected: { missRate: 0.01, missRateHi: 0.02, p99Ms: 12 }, measured: { released: 40, missRate: 0, p99Ms: 10 }, pass: true, violations: [] },
        { tenant: 'b', expected: { missRate: 0, missRateHi: null, p99Ms: 5 }, measured: { released: 10, missRate: 0.5, p99Ms: null }, pass: false, violations: ['miss rate 50.0% > expected 0.0% + 5.0 points'] },
      ],
    } as unknown as ReplayResult;
    const rows = replayRows(r);
    expect(rows[0]).toMatchObject({ tenant: 'a', expected: '1.0% (one run: up to 2.0%)', measured: '0.0% of 40', pass: true });
    expect(rows[1]).toMatchObject({ expected: '0.0%', measuredP99: 'unbounded', pass: false, why: 'miss rate 50.0% > expected 0.0% + 5.0 points' });
    expect(toleranceText('5', '50')).toEqual({ text: 'miss=5%,p99=50%' });
    expect(toleranceText('', 'off')).toEqual({ text: 'p99=off' });
    expect(toleranceText('-1', '').error).toMatch(/Miss tolerance/);
    expect(toleranceText('', 'x').error).toMatch(/p99 tolerance/);
  });
});
