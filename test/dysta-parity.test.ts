// Parity with Dysta's public simulator: per-task finish times on the reference outputs in
// ../shared/dysta-parity/cnn_rates3-4 must be equal (1e-9 s), and the summary metrics too.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pyFloat, runDysta, type DystaLut, type DystaScheduler } from '../scheduler/core/dysta/reference';
import { runDystaBench } from '../scheduler/dysta-bench';
import { loadReferenceTasks, loadRequests, openParityFolder } from '../scheduler/dysta-io';

// The team's shared data: TESSERA_SHARED, else ../shared beside the checkout, else /work/shared.
const PARITY = [process.env.TESSERA_SHARED, join(__dirname, '..', '..', 'shared'), '/work/shared']
  .filter((d): d is string => Boolean(d))
  .map((d) => join(d, 'dysta-parity'))
  .find((d) => existsSync(d)) ?? join(__dirname, '..', '..', 'shared', 'dysta-parity');
const CNN34 = join(PARITY, 'cnn_rates3-4');
const referenceFiles = existsSync(CNN34) ? readdirSync(CNN34).filter((f) => f.startsWith('tasks_')) : [];

describe.runIf(referenceFiles.length > 0)(`Dysta parity (cnn_rates3-4)${referenceFiles.length ? '' : ` [skipped: ${CNN34} not found]`}`, () => {
  const folder = referenceFiles.length ? openParityFolder(CNN34) : undefined!;

  it('has the 22 reference files (11 schedulers x 2 rates)', () => {
    expect(referenceFiles).toHaveLength(22);
  });

  it.each(referenceFiles)('%s: every task finishes at the reference time', (file) => {
    const [, seed, rate, slo, scheduler] = /^tasks_seed(\d+)_rate(\d+)_slo(\d+)_(.+)\.csv\.gz$/.exec(file)!;
    const requests = loadRequests(join(CNN34, `requests_seed${seed}_rate${rate}.csv`));
    const reference = loadReferenceTasks(join(CNN34, file));
    const ours = runDysta(scheduler as DystaScheduler, folder.lut, requests, { sloMult: Number(slo) });
    expect(ours.tasks).toHaveLength(reference.length);
    let worst = 0;
    reference.forEach((ref, i) => {
      const mine = ours.tasks[i];
      expect(mine.taskId).toBe(ref.taskId);
      expect(mine.violated).toBe(ref.violated);
      expect(Math.abs(mine.targetTime - ref.targetTime)).toBeLessThanOrEqual(1e-9);
      worst = Math.max(worst, Math.abs(mine.finishTime - ref.finishTime));
    });
    expect(worst).toBeLessThanOrEqual(1e-9);
  });

  it('matches the reference metrics for every seed, rate, SLO and scheduler', () => {
    const reference: { seed: number; rate: number; slo_mult: number; scheduler: string; vio_rate: number; stp: number; antt: number }[] =
      JSON.parse(readFileSync(join(CNN34, 'results_per_seed.json'), 'utf8'));
    const bench = runDystaBench(CNN34);
    expect(bench.rows).toHaveLength(2 * 6 * 11);
    let compared = 0;
    for (const ref of reference) {
      const row = bench.rows.find((r) => r.rate === ref.rate && r.slo === ref.slo_mult && r.scheduler === ref.scheduler);
      const seed = row?.perSeed.find((s) => s.seed === ref.seed);
      expect(seed, `${JSON.stringify(ref)}`).toBeDefined();
      expect(seed!.violationRate).toBeCloseTo(ref.vio_rate, 12);
      expect(seed!.antt / ref.antt).toBeCloseTo(1, 12);
      expect(seed!.stp / ref.stp).toBeCloseTo(1, 12);
      compared++;
    }
    expect(compared).toBe(reference.length);
    expect(compared).toBeGreaterThanOrEqual(660);
  });

  it('writes tasks CSVs in the reference format', () => {
    const out = mkdtempSync(join(tmpdir(), 'dysta-out-'));
    runDystaBench(CNN34, { seeds: [1], rates: [3], slos: [10], schedulers: ['fcfs'], outDir: out });
    const mine = readFileSync(join(out, 'tasks_seed1_rate3_slo10_fcfs.csv'), 'utf8').split('\n').slice(0, 3);
    expect(mine[0]).toBe('task_id,reqst_time,target_time,finish_time,real_isolated_time,violated');
    const ref = loadReferenceTasks(join(CNN34, 'tasks_seed1_rate3_slo10_fcfs.csv.gz'));
    expect(mine[1].split(',')[0]).toBe(ref[0].taskId);
  });
});

describe('Dysta-compatible loop rules', () => {
  const lut: DystaLut = {
    modelOrder: ['a', 'b'],
    models: {
      a: { latLut: { '0': [1, 1] }, sparsityLut: { '0': [0.5, 0.5] }, avgLatPerPattern: [1, 1], avgLatPerModel: [1, 1], avgSparsity: [0.5, 0.5], numLayers: 2 },
      b: { latLut: { '0': [0.5] }, sparsityLut: { '0': [0.5] }, avgLatPerPattern: [0.5], avgLatPerModel: [0.5], avgSparsity: [0.5], numLayers: 1 },
    },
  };
  const req = (idx: number, t: number, model: string) => ({ idx, reqstTime: t, targetLatBase: 1, model, priority: 3, sampleId: 0 });

  it('admits only requests that arrived strictly before the clock', () => {
    // b arrives exactly when a's first layer ends: not admitted then, so a runs its second layer first.
    const r = runDysta('sjf', lut, [req(0, 0, 'a'), req(1, 1, 'b')], { sloMult: 10, recordDecisions: true });
    expect(r.decisions.map((d) => d.taskId)).toEqual(['0.0_a', '0.0_a', '1.0_b']);
    const later = runDysta('sjf', lut, [req(0, 0, 'a'), req(1, 0.9, 'b')], { sloMult: 10, recordDecisions: true });
    expect(later.decisions.map((d) => d.taskId)).toEqual(['0.0_a', '0.9_b', '0.0_a']);
  });

  it('jumps the clock to the next arrival when idle and computes the metrics', () => {
    const r = runDysta('fcfs', lut, [req(0, 0, 'b'), req(1, 5, 'b')], { sloMult: 1 });
    expect(r.tasks.map((t) => t.finishTime)).toEqual([0.5, 5.5]);
    expect(r.metrics).toEqual({ violationRate: 0, antt: 1, stp: 2 / 5.5 });
  });

  it('rejects unknown schedulers and models clearly', () => {
    expect(() => runDysta('nope' as DystaScheduler, lut, [], { sloMult: 1 })).toThrow(/Unknown Dysta scheduler "nope"/);
    expect(() => runDysta('fcfs', lut, [req(0, 0, 'zzz')], { sloMult: 1 })).toThrow(/model "zzz" is not in the LUT/);
  });

  it('formats floats as Python does', () => {
    expect(pyFloat(0)).toBe('0.0');
    expect(pyFloat(3)).toBe('3.0');
    expect(pyFloat(0.0480970213698364)).toBe('0.0480970213698364');
    expect(pyFloat(1e-5)).toBe('1e-05');
    expect(pyFloat(0.0001)).toBe('0.0001');
    expect(pyFloat(1.5e16)).toBe('1.5e+16');
  });
});

describe('malformed parity folders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dysta-bad-'));
  it('names the missing file', () => {
    expect(() => openParityFolder(join(dir, 'nope'))).toThrow(/does not exist/);
    mkdirSync(join(dir, 'empty'));
    expect(() => openParityFolder(join(dir, 'empty'))).toThrow(/lut.json is missing/);
  });
  it('names the missing field and the bad column', () => {
    mkdirSync(join(dir, 'badlut'));
    writeFileSync(join(dir, 'badlut', 'lut.json'), JSON.stringify({ model_order: ['m'], models: { m: { lat_lut: {} } } }));
    expect(() => openParityFolder(join(dir, 'badlut'))).toThrow(/model "m" lacks field "sparsity_lut"/);
    mkdirSync(join(dir, 'badcsv'));
    writeFileSync(join(dir, 'badcsv', 'lut.json'), JSON.stringify({ model_order: [], models: {} }));
    writeFileSync(join(dir, 'badcsv', 'requests_seed1_rate3.csv'), 'idx,time\n0,1\n');
    expect(() => runDystaBench(join(dir, 'badcsv'))).toThrow(/expected columns idx,reqst_time/);
  });
});
