// Parity with Dysta's public simulator: every reference output in ../shared/dysta-parity/cnn_rates3-4
// (per-task finish times at 1e-9 s, violated flags, decision logs, per-seed and mean metrics) must be
// reproduced; the loop's rules are pinned on tiny hand-made traces; malformed folders fail clearly.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  compareTasks, DYSTA_SCHEDULERS, firstDecisionDivergence, leftToRightSuffixSums, pyFloat, runDysta,
  type DystaCompat, type DystaLut, type DystaModelLut, type DystaRequest, type DystaScheduler,
} from '../scheduler/core/dysta';
import { runDystaBench } from '../scheduler/dysta-bench';
import { formatTasksCsv, loadReferenceDecisions, loadReferenceTasks, loadRequests, openParityFolder, ParityFolderError } from '../scheduler/dysta-io';
import { benchDystaCommand } from '../cli/commands/bench-dysta';

// The team's shared data: TESSERA_SHARED, else ../shared beside the checkout, else /work/shared.
const PARITY = [process.env.TESSERA_SHARED, join(__dirname, '..', '..', 'shared'), '/work/shared']
  .filter((d): d is string => Boolean(d))
  .map((d) => join(d, 'dysta-parity'))
  .find((d) => existsSync(d)) ?? join(__dirname, '..', '..', 'shared', 'dysta-parity');
const CNN34 = join(PARITY, 'cnn_rates3-4');
const HAVE_REFERENCE = existsSync(join(CNN34, 'lut.json'));

describe.runIf(HAVE_REFERENCE)(`Dysta parity (cnn_rates3-4)${HAVE_REFERENCE ? '' : ` [skipped: ${CNN34} not found]`}`, () => {
  const folder = HAVE_REFERENCE ? openParityFolder(CNN34) : undefined!;
  const requests = (seed: number, rate: number) => loadRequests(join(CNN34, `requests_seed${seed}_rate${rate}.csv`), folder.lut);

  it('finds the 22 reference task files and 22 decision logs (11 schedulers x 2 rates)', () => {
    expect(folder.referenceTasks).toHaveLength(22);
    expect(folder.referenceDecisions).toHaveLength(22);
    expect(new Set(folder.referenceTasks.map((r) => r.scheduler))).toEqual(new Set(DYSTA_SCHEDULERS));
    expect(folder.seeds).toEqual([1, 2, 3, 4, 5]);
    expect(folder.rates).toEqual([3, 4]);
  });

  for (const ref of HAVE_REFERENCE ? folder.referenceTasks : []) describe(ref.file.split('/').pop()!, () => {
    const run = () => runDysta(ref.scheduler as DystaScheduler, folder.lut, requests(ref.seed, ref.rate), { sloMult: ref.slo, recordDecisions: true });

    it('every task finishes at the reference time (1e-9 s) with the same violated flag', () => {
      const reference = loadReferenceTasks(ref.file);
      const ours = run().tasks;
      const cmp = compareTasks(ours, reference);
      expect(cmp.firstMismatch).toBeUndefined();
      expect(cmp.compared).toBe(reference.length);
      expect(cmp.worstFinishDiff).toBeLessThanOrEqual(1e-9);
      expect(ours.map((t) => t.violated)).toEqual(reference.map((t) => t.violated));
      // Our CSV writer reproduces the reference file byte for byte (columns, order, float repr, CRLF).
      expect(formatTasksCsv(ours)).toBe(gunzipSync(readFileSync(ref.file)).toString('utf8'));
    });

    it('makes the same decisions, step by step', () => {
      const log = folder.referenceDecisions.find((d) => d.seed === ref.seed && d.rate === ref.rate && d.slo === ref.slo && d.scheduler === ref.scheduler);
      expect(log, 'a decision log for this run').toBeDefined();
      const reference = loadReferenceDecisions(log!.file);
      const ours = run().decisions;
      expect(firstDecisionDivergence(ours, reference)).toBeUndefined();
      expect(ours).toHaveLength(reference.length);
    });
  });

  it('reproduces results_per_seed.json and summary_mean_over_seeds.csv; --out files equal the reference files', () => {
    const out = mkdtempSync(join(tmpdir(), 'dysta-out-'));
    const bench = runDystaBench(CNN34, { outDir: out });
    expect(bench.rows).toHaveLength(2 * 6 * 11);
    const parity = bench.parity!;
    expect(parity.mismatches).toEqual([]);
    expect(parity.tasks).toHaveLength(22);
    expect(parity.tasksMatched).toBe(22);
    expect(parity.perSeedCompared).toBe(660);
    expect(parity.perSeedMatched).toBe(660);
    expect(parity.summaryCompared).toBe(132);
    expect(parity.summaryMatched).toBe(132);
    expect(parity.worstMetricRelDiff).toBeLessThan(1e-9);
    expect(bench.files).toHaveLength(660);
    for (const ref of folder.referenceTasks) {
      const name = ref.file.split('/').pop()!.replace(/\.gz$/, '');
      expect(readFileSync(join(out, name), 'utf8'), name).toBe(gunzipSync(readFileSync(ref.file)).toString('utf8'));
    }
  });

  it('compat "tessera" changes only sdrm3, sdrm3_sparse and prema_sparse', () => {
    const reqs = requests(1, 4);
    const changed: string[] = [];
    for (const s of DYSTA_SCHEDULERS) {
      const a = runDysta(s, folder.lut, reqs, { sloMult: 10 }).tasks.map((t) => t.finishTime);
      const b = runDysta(s, folder.lut, reqs, { sloMult: 10, compat: 'tessera' }).tasks.map((t) => t.finishTime);
      if (a.some((x, i) => x !== b[i])) changed.push(s);
    }
    for (const s of changed) expect(['sdrm3', 'sdrm3_sparse', 'prema_sparse']).toContain(s);
    // At SLO 10 and rate 4 some tasks run late, so the unclamped urgency does matter here.
    expect(changed).toContain('sdrm3');
  });

  it('a parity check fails when the reference differs (the test can fail)', () => {
    const reference = loadReferenceTasks(folder.referenceTasks[0].file);
    const tampered = reference.map((t, i) => (i === 7 ? { ...t, finishTime: t.finishTime + 2e-9 } : t));
    const cmp = compareTasks(reference, tampered);
    expect(cmp.match).toBe(false);
    expect(cmp.firstMismatch).toMatchObject({ index: 7, reason: 'finish time' });
  });
});

// ---------- the loop's rules on tiny traces ----------

function model(real: number[], opts: Partial<{ est: number[]; pattern: number[]; sparsity: number[]; avgSparsity: number[] }> = {}): DystaModelLut {
  return {
    latLut: { '0': real },
    sparsityLut: { '0': opts.sparsity ?? real.map(() => 0.5) },
    avgLatPerModel: opts.est ?? real,
    avgLatPerPattern: opts.pattern ?? opts.est ?? real,
    avgSparsity: opts.avgSparsity ?? real.map(() => 0.5),
    numLayers: real.length,
  };
}
const lutOf = (models: Record<string, DystaModelLut>): DystaLut => ({ modelOrder: Object.keys(models), models });
const req = (idx: number, t: number, m: string, targetLatBase = 100, priority = 1): DystaRequest => ({ idx, reqstTime: t, targetLatBase, model: m, priority, sampleId: 0 });
/** The model of each decision, in order. */
const order = (s: DystaScheduler, lut: DystaLut, reqs: DystaRequest[], compat: DystaCompat = 'dysta-reference', sloMult = 1) =>
  runDysta(s, lut, reqs, { sloMult, compat, recordDecisions: true }).decisions.map((d) => d.taskId.split('_').pop());

describe('Dysta-compatible loop rules', () => {
  it('admits only requests that arrived strictly before the clock', () => {
    const lut = lutOf({ a: model([1, 1]), b: model([0.5]) });
    // b arrives exactly when a's first layer ends: not admitted then, so a runs its second layer first.
    expect(order('sjf', lut, [req(0, 0, 'a'), req(1, 1, 'b')])).toEqual(['a', 'a', 'b']);
    expect(order('sjf', lut, [req(0, 0, 'a'), req(1, 0.9, 'b')])).toEqual(['a', 'b', 'a']);
  });

  it('jumps the clock to the next arrival when idle; metrics as Dysta counts them', () => {
    const lut = lutOf({ b: model([0.5]) });
    const r = runDysta('fcfs', lut, [req(0, 0, 'b', 1), req(1, 5, 'b', 1)], { sloMult: 1 });
    expect(r.tasks.map((t) => t.finishTime)).toEqual([0.5, 5.5]);
    expect(r.metrics).toEqual({ violationRate: 0, antt: 1, stp: 2 / 5.5 });
  });

  it('counts a violation only when the finish is strictly after the target', () => {
    const lut = lutOf({ b: model([0.5]) });
    const r = runDysta('fcfs', lut, [req(0, 0, 'b', 0.5), req(1, 10, 'b', 0.25)], { sloMult: 1 });
    expect(r.tasks.map((t) => [t.targetTime, t.finishTime, t.violated])).toEqual([[0.5, 0.5, false], [10.25, 10.5, true]]);
    expect(r.metrics.violationRate).toBe(0.5);
  });

  it('ties go to the earlier arrival (sjf, dysta, planaria)', () => {
    const lut = lutOf({ x: model([1, 1]), y: model([1]) });
    // At t=1 both have 1 s left: x (earlier) wins.
    expect(order('sjf', lut, [req(0, 0, 'x'), req(1, 0.5, 'y')])).toEqual(['x', 'x', 'y']);
    // Same remaining time and the same target (0 + 2 = 0.5 + 1.5), same idle: a tie for dysta too.
    expect(order('dysta_naive', lut, [req(0, 0, 'x', 2), req(1, 0.5, 'y', 1.5)])).toEqual(['x', 'x', 'y']);
    // Planaria: equal priority / slack.
    expect(order('planaria', lut, [req(0, 0, 'x', 2), req(1, 0.5, 'y', 1.5)])).toEqual(['x', 'x', 'y']);
  });

  it('planaria: with no positive score the last-arrived task runs', () => {
    const lut = lutOf({ x: model([1, 1]), y: model([1]) });
    // At t=1 both are past their targets (0.5 and 0.7).
    expect(order('planaria', lut, [req(0, 0, 'x', 0.5), req(1, 0.6, 'y', 0.1)])).toEqual(['x', 'y', 'x']);
    // With positive scores the higher one wins: y has less slack.
    expect(order('planaria', lut, [req(0, 0, 'x', 50), req(1, 0.6, 'y', 5)])).toEqual(['x', 'y', 'x']);
    expect(order('planaria', lut, [req(0, 0, 'x', 5), req(1, 0.6, 'y', 50)])).toEqual(['x', 'x', 'y']);
  });

  it('sdrm3: a late task gets a negative urgency in the reference, full urgency in Tessera', () => {
    const lut = lutOf({ x: model([1, 1, 1]), y: model([1, 1]) });
    // x is late from t=0.5 on; y has ample slack and has waited 0.9 s at t=1.
    const reqs = [req(0, 0, 'x', 0.5), req(1, 0.1, 'y', 100)];
    expect(order('sdrm3', lut, reqs)).toEqual(['x', 'y', 'y', 'x', 'x']);
    expect(order('sdrm3', lut, reqs, 'tessera')).toEqual(['x', 'x', 'y', 'x', 'y']);
  });

  it('prema: tokens grow with waiting x priority and gate the shortest-job choice', () => {
    const lut = lutOf({ x: model([1, 1, 1]), y: model([1, 1, 1, 1]) });
    // y (priority 9) arrives at 0.5; at t=2 its token (9 + 9 x 1.5 / 4) passes 9 and only it qualifies.
    expect(order('prema', lut, [req(0, 0, 'x', 100, 1), req(1, 0.5, 'y', 100, 9)])).toEqual(['x', 'x', 'y', 'y', 'y', 'y', 'x']);
    // SJF alone would finish x first.
    expect(order('sjf', lut, [req(0, 0, 'x', 100, 1), req(1, 0.5, 'y', 100, 9)])).toEqual(['x', 'x', 'x', 'y', 'y', 'y', 'y']);
  });

  it("prema_sparse: the reference scales every candidate by the last task's g, Tessera by its own", () => {
    // x's first layer is dense where the average is 50% sparse: g_x = 2, so g_x R_x = 4 > R_y = 3.
    const lut = lutOf({ x: model([1, 1, 1], { sparsity: [0, 0, 0] }), y: model([1, 1, 1]) });
    const reqs = [req(0, 0, 'x'), req(1, 0.5, 'y')];
    expect(order('prema_sparse', lut, reqs)[1]).toBe('x');
    expect(order('prema_sparse', lut, reqs, 'tessera')[1]).toBe('y');
  });

  it('dysta refines its estimate with the measured sparsity; dysta_naive does not', () => {
    const lut = lutOf({ x: model([1, 1, 1], { sparsity: [0, 0, 0] }), y: model([1, 1, 1]) });
    const reqs = [req(0, 0, 'x'), req(1, 0.5, 'y')];
    expect(order('dysta', lut, reqs)[1]).toBe('y'); // g_x R_x = 4 > 3
    expect(order('dysta_naive', lut, reqs)[1]).toBe('x'); // R_x = 2 < 3
    expect(order('sjf_sparse', lut, reqs)[1]).toBe('y');
    expect(order('sjf', lut, reqs)[1]).toBe('x');
  });

  it('dysta_oracle plans with the real remaining latency', () => {
    // x's estimates say 1 s left after its first layer; really 5 s. y: 2 s either way.
    const lut = lutOf({ x: model([1, 5], { est: [1, 1] }), y: model([1, 1]) });
    const reqs = [req(0, 0, 'x'), req(1, 0.5, 'y')];
    expect(order('dysta_naive', lut, reqs)[1]).toBe('x');
    expect(order('dysta_oracle', lut, reqs)[1]).toBe('y');
  });

  it('pattern-aware variants read avg_lat_per_pattern, the others avg_lat_per_model', () => {
    // By architecture x looks short, by pattern long.
    const lut = lutOf({ x: model([1, 1, 1], { est: [0.1, 0.1, 0.1], pattern: [2, 2, 2] }), y: model([1, 1, 1]) });
    const reqs = [req(0, 0, 'x'), req(1, 0.5, 'y')];
    expect(order('sjf', lut, reqs)[1]).toBe('x');
    expect(order('sjf_sparse', lut, reqs)[1]).toBe('y');
    expect(order('dysta_naive', lut, reqs)[1]).toBe('x');
    expect(order('dysta', lut, reqs)[1]).toBe('y');
  });

  it('sums remaining estimates left to right', () => {
    const a = [0.1, 0.2, 0.3];
    expect(leftToRightSuffixSums(a)).toEqual([0.1 + 0.2 + 0.3, 0.2 + 0.3, 0.3, 0]);
    expect(0.1 + 0.2 + 0.3).not.toBe(0.1 + (0.2 + 0.3)); // the order is observable
  });

  it('rejects unknown schedulers, compat settings, models and inconsistent LUTs clearly', () => {
    const lut = lutOf({ b: model([0.5]) });
    expect(() => runDysta('nope' as DystaScheduler, lut, [], { sloMult: 1 })).toThrow(/Unknown Dysta scheduler "nope"/);
    expect(() => runDysta('fcfs', lut, [], { sloMult: 1, compat: 'x' as DystaCompat })).toThrow(/Unknown compat "x"/);
    expect(() => runDysta('fcfs', lut, [req(0, 0, 'zzz')], { sloMult: 1 })).toThrow(/model "zzz" is not in the LUT/);
    expect(() => runDysta('fcfs', lut, [{ ...req(0, 0, 'b'), sampleId: 3 }], { sloMult: 1 })).toThrow(/sample 3 of model "b"/);
    const bad = lutOf({ b: model([0.5, 0.5], { est: [0.5] }) });
    expect(() => runDysta('fcfs', bad, [req(0, 0, 'b')], { sloMult: 1 })).toThrow(/inconsistent layer counts/);
  });

  it('formats floats as Python repr does', () => {
    expect(pyFloat(0)).toBe('0.0');
    expect(pyFloat(3)).toBe('3.0');
    expect(pyFloat(-2.5)).toBe('-2.5');
    expect(pyFloat(0.0480970213698364)).toBe('0.0480970213698364');
    expect(pyFloat(1e-5)).toBe('1e-05');
    expect(pyFloat(9.999999999999999e-5)).toBe('9.999999999999999e-05');
    expect(pyFloat(0.0001)).toBe('0.0001');
    expect(pyFloat(1.5e16)).toBe('1.5e+16');
    expect(pyFloat(9999999999999998)).toBe('9999999999999998.0');
    expect(pyFloat(1e22)).toBe('1e+22');
    expect(pyFloat(Infinity)).toBe('inf');
  });
});

// ---------- malformed folders ----------

describe('malformed parity folders', () => {
  const root = mkdtempSync(join(tmpdir(), 'dysta-bad-'));
  const goodModel = { num_samples: 1, num_layers: 2, lat_lut: { '0': [0.1, 0.2] }, sparsity_lut: { '0': [0.5, 0.5] }, avg_lat_per_pattern: [0.1, 0.2], avg_lat_per_model: [0.1, 0.2], avg_sparsity: [0.5, 0.5], target_lat_per_pattern: 0.3, target_lat_per_model: 0.3 };
  const goodRequests = 'idx,reqst_time,target_lat_base,model,priority,sample_id\n0,0.1,0.3,m,3,0\n1,0.2,0.3,m,1,0\n';
  const folder = (name: string, lut: unknown, requests: Record<string, string> = { 'requests_seed1_rate3.csv': goodRequests }) => {
    const dir = join(root, name);
    mkdirSync(dir);
    if (lut !== undefined) writeFileSync(join(dir, 'lut.json'), typeof lut === 'string' ? lut : JSON.stringify(lut));
    for (const [f, text] of Object.entries(requests)) writeFileSync(join(dir, f), text);
    return dir;
  };

  it('runs a small well-formed folder', () => {
    const dir = folder('good', { model_order: ['m'], models: { m: goodModel } });
    const bench = runDystaBench(dir, { slos: [1, 10] });
    expect(bench.rows).toHaveLength(2 * 11);
    expect(bench.parity).toBeUndefined();
    expect(bench.rows.find((r) => r.scheduler === 'fcfs' && r.slo === 10)!.violationRate).toBe(0);
  });

  it('names the missing folder or file', () => {
    expect(() => openParityFolder(join(root, 'nope'))).toThrow(/does not exist/);
    expect(() => openParityFolder(folder('nolut', undefined))).toThrow(/lut.json is missing/);
    expect(() => openParityFolder(folder('noreq', { model_order: ['m'], models: { m: goodModel } }, {}))).toThrow(/no requests_seed\{S\}_rate\{R\}.csv files/);
    const dir = folder('oneseed', { model_order: ['m'], models: { m: goodModel } });
    expect(() => runDystaBench(dir, { seeds: [1, 2] })).toThrow(/has no requests_seed2_rate3.csv/);
  });

  it('names the malformed lut.json field', () => {
    expect(() => openParityFolder(folder('json', '{"model_order": ['))).toThrow(ParityFolderError);
    expect(() => openParityFolder(folder('json2', '{"model_order": ['))).toThrow(/lut.json is not valid JSON/);
    expect(() => openParityFolder(folder('order', { models: {} }))).toThrow(/"model_order" must be/);
    expect(() => openParityFolder(folder('nomodel', { model_order: ['m', 'k'], models: { m: goodModel } }))).toThrow(/models\["k"\]: listed in model_order but has no entry/);
    expect(() => openParityFolder(folder('nofield', { model_order: ['m'], models: { m: { ...goodModel, sparsity_lut: undefined } } }))).toThrow(/models\["m"\] lacks field "sparsity_lut"/);
    expect(() => openParityFolder(folder('short', { model_order: ['m'], models: { m: { ...goodModel, avg_lat_per_model: [0.1] } } }))).toThrow(/avg_lat_per_model has 1 entries, num_layers is 2/);
    expect(() => openParityFolder(folder('nan', { model_order: ['m'], models: { m: { ...goodModel, lat_lut: { '0': [0.1, 'x'] } } } }))).toThrow(/lat_lut\["0"\]\[1\] is not a finite number/);
  });

  it('names the malformed request file, row and field', () => {
    const lut = { model_order: ['m'], models: { m: goodModel } };
    expect(() => runDystaBench(folder('cols', lut, { 'requests_seed1_rate3.csv': 'idx,time\n0,1\n' }))).toThrow(/requests_seed1_rate3.csv: expected columns idx,reqst_time/);
    expect(() => runDystaBench(folder('cell', lut, { 'requests_seed1_rate3.csv': goodRequests + '2,abc,0.3,m,3,0\n' }))).toThrow(/requests_seed1_rate3.csv: row 4: field reqst_time is not a number \("abc"\)/);
    expect(() => runDystaBench(folder('cells', lut, { 'requests_seed1_rate3.csv': goodRequests + '2,0.3,0.3,m\n' }))).toThrow(/row 4 has 4 cells, expected 6/);
    expect(() => runDystaBench(folder('model', lut, { 'requests_seed1_rate3.csv': goodRequests + '2,0.3,0.3,q,3,0\n' }))).toThrow(/row 4: field model: "q" is not in lut.json/);
    expect(() => runDystaBench(folder('sample', lut, { 'requests_seed1_rate3.csv': goodRequests + '2,0.3,0.3,m,3,7\n' }))).toThrow(/row 4: field sample_id: sample 7 of "m"/);
    expect(() => runDystaBench(folder('empty', lut, { 'requests_seed1_rate3.csv': '' }))).toThrow(/found \(empty file\)/);
  });

  it('names a broken reference file', () => {
    const dir = folder('ref', { model_order: ['m'], models: { m: goodModel } }, {
      'requests_seed1_rate3.csv': goodRequests,
      'tasks_seed1_rate3_slo10_fcfs.csv.gz': 'not gzip',
    });
    expect(() => runDystaBench(dir, { slos: [10], schedulers: ['fcfs'] })).toThrow(/tasks_seed1_rate3_slo10_fcfs.csv.gz is not a valid gzip file/);
    writeFileSync(join(dir, 'tasks_seed1_rate3_slo10_fcfs.csv.gz'), gzipSync('task_id,reqst_time,target_time,finish_time,real_isolated_time,violated\r\n0.1_m,0.1,3.1,0.4,0.30000000000000004,maybe\r\n'));
    expect(() => runDystaBench(dir, { slos: [10], schedulers: ['fcfs'] })).toThrow(/row 2: field violated is not 0 or 1/);
  });

  it('rejects an unknown scheduler', () => {
    const dir = folder('sched', { model_order: ['m'], models: { m: goodModel } });
    expect(() => runDystaBench(dir, { schedulers: ['edf'] })).toThrow(/Unknown scheduler "edf"/);
  });
});

// ---------- the CLI command ----------

describe.runIf(HAVE_REFERENCE)('tessera bench dysta', () => {
  const exec = async (positionals: string[], values: Record<string, unknown>, json = false) => {
    let out = '';
    let err = '';
    const code = await benchDystaCommand.run({
      positionals,
      values: { compat: 'dysta-reference', ...values },
      json,
      stdout: (s) => (out += s),
      stderr: (s) => (err += s),
      signal: new AbortController().signal,
    });
    return { code, out, err };
  };

  it('prints a table and the parity result, progress on stderr', async () => {
    const r = await exec([CNN34], { seeds: '1', slos: '10', schedulers: 'fcfs,dysta' });
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/rate\s+slo\s+scheduler\s+viol\.rate\s+ANTT\s+STP/);
    expect(lines.filter((l) => /^\s+[34]\s+10 (fcfs|dysta)\s/.test(l))).toHaveLength(4);
    expect(r.out).toMatch(/4\/4 reference task files match/);
    expect(r.err).toMatch(/100% \(4\/4 runs\)/);
  });

  it('prints JSON with --json and reports both compat modes', async () => {
    const r = await exec([CNN34], { seeds: '1,2', rates: '4', slos: '10,50', schedulers: 'sdrm3', compat: 'both' }, true);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.rows).toHaveLength(4);
    expect(json.rows.map((x: { compat: string }) => x.compat).sort()).toEqual(['dysta-reference', 'dysta-reference', 'tessera', 'tessera']);
    expect(json.rows[0].perSeed).toHaveLength(2);
    expect(json.parity).toMatchObject({ tasksMatched: 1, tasksCompared: 1, perSeedMatched: 4, perSeedCompared: 4, summaryCompared: 0 });
  });

  it('takes any positive SLO multipliers, not only the reference set, and says so in its help', async () => {
    expect(benchDystaCommand.usage).toMatch(/any positive SLO multipliers/);
    const r = await exec([CNN34], { seeds: '1', rates: '4', slos: '2.5,300', schedulers: 'fcfs,sjf' }, true);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out).rows as { slo: number; scheduler: string; violationRate: number }[];
    expect(rows.map((x) => `${x.slo}:${x.scheduler}`).sort()).toEqual(['2.5:fcfs', '2.5:sjf', '300:fcfs', '300:sjf']);
    const fcfs = (slo: number) => rows.find((x) => x.slo === slo && x.scheduler === 'fcfs')!.violationRate;
    expect(fcfs(2.5)).toBeGreaterThan(fcfs(300)); // a tighter SLO misses more
    await expect(exec([CNN34], { slos: '0' })).rejects.toThrow(/--slos must be a positive number/);
  });

  it("--tessera-policies runs Tessera's own policies in the main simulator beside the reference rules", async () => {
    const r = await exec([CNN34], { seeds: '1', rates: '4', slos: '10', schedulers: 'fcfs,prema,sjf_sparse', 'tessera-policies': true }, true);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out).rows as { scheduler: string; tessera?: { policy: string; seedsMatching: number; difference?: string; antt: number } }[];
    const by = (s: string) => rows.find((x) => x.scheduler === s)!;
    expect(by('fcfs').tessera).toMatchObject({ policy: 'fcfs', seedsMatching: 1 });
    expect(by('fcfs').tessera!.difference).toBeUndefined();
    expect(by('prema').tessera).toMatchObject({ policy: 'prema', seedsMatching: 0 });
    expect(by('prema').tessera!.difference).toMatch(/tokens accrue/);
    expect(by('sjf_sparse').tessera).toBeUndefined(); // no Tessera counterpart
    const text = await exec([CNN34], { seeds: '1', rates: '4', slos: '10', schedulers: 'fcfs,prema', 'tessera-policies': true });
    expect(text.out).toMatch(/Tessera\s+viol\.rate\s+ANTT\s+exact/);
    expect(text.out).toMatch(/prema: tokens accrue/);
  });

  it('rejects bad options with a usage error', async () => {
    await expect(exec([CNN34], { compat: 'python' })).rejects.toThrow(/--compat must be/);
    await expect(exec([CNN34], { schedulers: 'fcfs,edf' })).rejects.toThrow(/unknown scheduler "edf"/);
    await expect(exec([CNN34], { seeds: '1.5' })).rejects.toThrow(/--seeds must be a positive integer \(got 1.5\)/);
    await expect(exec([], {})).rejects.toThrow(/give the parity folder/);
  });
});
