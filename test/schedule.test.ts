// Tuned schedules end to end on a small real scenario (two tiny CNN files, profiles written by hand
// for the latency table: fake-profile.ts, never shown as measurements): tune -> schedule file ->
// checks (schema doc, tampered hash, unknown version, missing model, missing lane) -> replay live
// through the CLI, which exits non-zero when a tolerance is deliberately violated.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { saveProfile } from '../profiler/store';
import { DEFAULT_SPACE } from '../scheduler/core/tune';
import { loadSchedule, makeSchedule, readSchedule, ScheduleError, writeSchedule } from '../scheduler/schedule/file';
import { scheduleJsonSchema, type Schedule } from '../scheduler/schedule/format';
import { judgeReplay, parseTolerance, replaySchedule, scheduleLiveOptions } from '../scheduler/schedule/replay';
import { runInterval } from '../scheduler/core/tune';
import { notAppliedText } from '../engine/features/tune';
import { substituteVariants } from '../scheduler/live/variant-exec';
import { cutModel } from '../profiler/onnx/cut';
import { loadModel } from '../profiler/onnx/model';
import { buildTuneProblem, newestProfiles, runTune, type TuneProblem } from '../scheduler/tune-run';
import { fakeProfile } from './support/fake-profile';
import { CALIBRATION_SCHEMA, calibrationKey } from '../scheduler/core/calibration';
import { fingerprint, saveCalibration } from '../scheduler/live/machine-calibration';
import { tinyCnn } from './support/tiny-model';

const SCHEMA_FILE = join(__dirname, '..', 'docs', 'schedule.schema.json');
const bin = join(__dirname, '..', 'bin', 'tessera.cjs');
let home: string;
let dir: string;
let scenarioFile: string;
let problem: TuneProblem;
let schedule: Schedule;
let scheduleFile: string;
const savedHome = process.env.TESSERA_HOME;
const lanesOk = async () => undefined;
const tune = { objective: { kind: 'uxcost' as const }, space: { ...DEFAULT_SPACE, policies: ['edf', 'dream_static', 'terastal'], pinning: false, dropLate: [false] }, sim: { duration: 2, latencyNoise: 0.1, jobNoise: 0.1, window: 0.5 }, maxCandidates: 8, batch: 4, simSeeds: 3, seed: 2 };

function tessera(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, TESSERA_HOME: home } });
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'tessera-sched-home-'));
  dir = mkdtempSync(join(tmpdir(), 'tessera-sched-'));
  process.env.TESSERA_HOME = home;
  const models = { a: tinyCnn({ channels: 4, size: 16, name: 'tiny_a' }), b: tinyCnn({ channels: 8, size: 16, name: 'tiny_b' }) };
  for (const [k, bytes] of Object.entries(models)) {
    writeFileSync(join(dir, `${k}.onnx`), bytes);
    const p = fakeProfile(`p-${k}`, `tiny_${k}`, ['cpu:1', 'cpu:2'], k === 'a' ? [[4, 2.5], [3, 2]] : [[6, 3.5], [5, 3]]);
    p.model.sha256 = createHash('sha256').update(bytes).digest('hex');
    saveProfile(p);
  }
  scenarioFile = join(dir, 'two.json');
  writeFileSync(
    scenarioFile,
    JSON.stringify({
      schemaVersion: 1,
      name: 'two tiny',
      tenants: [
        { id: 'a', model: { kind: 'file', path: 'a.onnx' }, arrival: { type: 'periodic', fps: 60 }, priority: 9 },
        { id: 'b', model: { kind: 'file', path: 'b.onnx' }, arrival: { type: 'periodic', fps: 40 } },
      ],
    }),
  );
  const found = await newestProfiles(scenarioFile);
  expect(found.missing).toEqual([]);
  problem = await buildTuneProblem(scenarioFile, { profileFor: found.found });
  const outcome = await runTune(problem.layouts, { ...tune, workers: 0 });
  schedule = await makeSchedule(problem, outcome, { tesseraVersion: 'test', scenarioBaseDir: dir });
  scheduleFile = join(dir, 's.json');
  writeSchedule(scheduleFile, schedule);
}, 120_000);

afterAll(() => {
  if (savedHome === undefined) delete process.env.TESSERA_HOME;
  else process.env.TESSERA_HOME = savedHome;
  rmSync(home, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

const variant = (mut: (s: Schedule) => void, name: string) => {
  const s = structuredClone(schedule);
  mut(s);
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(s));
  return f;
};

describe('tuned schedule file', () => {
  test('docs/schedule.schema.json is up to date (TESSERA_UPDATE=1 rewrites it)', () => {
    const text = `${JSON.stringify(scheduleJsonSchema(), null, 2)}\n`;
    if (process.env.TESSERA_UPDATE) writeFileSync(SCHEMA_FILE, text);
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(text);
    // Version 1 (layer or model granularity) and 2 (adds group:K) are both read.
    expect(JSON.parse(text).properties.schemaVersion.anyOf.map((x: { const: number }) => x.const)).toEqual([1, 2]);
  });

  test('records the machine, ORT, lanes, models with sha256, policy, predictions with CIs and provenance; loads when all checks pass', async () => {
    expect(problem.layouts.map((l) => l.lanes)).toEqual([['cpu:1', 'cpu:1#1'], ['cpu:2']]);
    expect(schedule.models.map((m) => m.tenant)).toEqual(['a', 'b']);
    expect(schedule.models[0].sha256).toBe(createHash('sha256').update(readFileSync(join(dir, 'a.onnx'))).digest('hex'));
    expect(schedule.models[0].path).toBe(join(dir, 'a.onnx'));
    expect(schedule.predicted.overall.missRate.n).toBe(3);
    expect(schedule.predicted.perTenant).toHaveLength(2);
    expect(schedule.provenance.candidatesTried).toBe(8);
    expect(schedule.provenance.seed).toBe(2);
    // The miss caps the candidates were ranked under (UXCost), one per tenant.
    expect(schedule.provenance.missCaps!.perTenant.map((x) => x.tenant)).toEqual(['a', 'b']);
    expect(schedule.provenance.missCaps!.baseline).toMatch(/ at (layer|model) granularity$/);
    expect(schedule.ortVersion).toBe('1.30.0');
    const { schedule: loaded, check } = await loadSchedule(scheduleFile, { laneProblem: lanesOk });
    expect(loaded.policy.spec).toBe(schedule.policy.spec);
    expect(check.models.every((m) => m.ok)).toBe(true);
  });

  test('a tampered hash is refused, naming the file; so are an unknown version, a missing model and a missing lane', async () => {
    const tampered = variant((s) => (s.models[1].sha256 = '0'.repeat(64)), 'tampered.json');
    const err = await loadSchedule(tampered, { laneProblem: lanesOk }).catch((e) => e);
    expect(err).toBeInstanceOf(ScheduleError);
    expect(err.code).toBe('hash-mismatch');
    expect(err.message).toContain(join(dir, 'b.onnx'));
    expect(() => readSchedule(variant((s) => ((s as { schemaVersion: number }).schemaVersion = 99), 'v99.json'))).toThrow(/schemaVersion 99 is unknown/);
    const missing = variant((s) => {
      s.models[0].path = join(dir, 'gone.onnx');
      s.models[0].ref = { kind: 'file', path: join(dir, 'gone.onnx') };
    }, 'missing.json');
    await expect(loadSchedule(missing, { laneProblem: lanesOk })).rejects.toMatchObject({ code: 'missing-model' });
    const noLane = await loadSchedule(scheduleFile, { laneProblem: async (l) => (l.id === schedule.lanes[0] ? 'not on this machine' : undefined) }).catch((e) => e);
    expect(noLane.code).toBe('missing-lane');
    expect(noLane.message).toContain(schedule.lanes[0]);
  });

  test('a schedule\'s late drop, pins and fixed variants become the live runtime\'s options; a replay applies them', { timeout: 120_000 }, async () => {
    const s = structuredClone(schedule);
    s.lanes = ['cpu:1', 'cpu:1#1'];
    s.options = { ...s.options, granularity: 'layer', dropLate: true };
    s.pins = [null, 'cpu:1#1'];
    const cut = await cutModel(await loadModel(join(dir, 'a.onnx')), { granularity: 'group', verify: false });
    const conv1 = cut.layers.find((l) => l.nodes.includes('conv1'))!.name;
    s.variants = [{ tenant: 'a', variant: 'fastest', layers: [{ layer: conv1, variant: 'split-out(g=2)' }] }, { tenant: 'b', variant: 'original' }];
    const o = scheduleLiveOptions(s);
    expect(o.dropLate).toBe(true);
    expect(o.pins).toEqual([null, 1]);
    expect(o.variantPicks).toEqual([[{ layer: conv1, variant: 'split-out(g=2)' }], null]);
    expect(() => scheduleLiveOptions({ ...s, pins: [null, 'cpu:9'] })).toThrow(/pins name lane\(s\) cpu:9/);
    const none = scheduleLiveOptions(schedule);
    expect([none.dropLate, none.pins, none.variantPicks]).toEqual([schedule.options.dropLate || undefined, undefined, undefined]);
    const r = await replaySchedule(s, { durationSec: 0.6, tolerance: parseTolerance('miss=1,p99=off'), differences: [], writeFiles: false, substituteVariants });
    expect(r.report.levers?.dropLate).toBe(true);
    expect(r.report.levers?.pins).toEqual([{ tenant: 'b', lane: 'cpu:1#1' }]);
    expect(r.report.levers?.variants).toEqual([expect.objectContaining({ tenant: 'a', layer: conv1, variant: 'split-out(g=2)', applied: true })]);
  });

  test("a live run's unapplied fixed variants are said once per tenant and reason", () => {
    const why = 'could not be substituted into the whole model: opset 9';
    expect(notAppliedText([
      { tenant: 'ocr_rec', layer: 'c0', variant: 'fp16', applied: false, reason: why },
      { tenant: 'ocr_rec', layer: 'c1', variant: 'int8-static', applied: false, reason: why },
      { tenant: 'eyes', layer: 'c9', variant: 'fp16', applied: false, reason: 'failed verification' },
    ])).toEqual([`2 variants of ocr_rec (fp16 on c0, int8-static on c1) (${why})`, 'variant fp16 of eyes layer c9 (failed verification)']);
    expect(notAppliedText([])).toEqual([]);
  });

  test('replay verdicts: within the tolerance passes, beyond it fails per tenant', () => {
    const ok = judgeReplay(schedule, schedule.predicted.perTenant.map((t) => ({ tenant: t.tenant, released: 10, missRate: t.missRate.mean ?? 0, p99Ms: t.p99Ms.mean })), parseTolerance('miss=0.05,p99=0.5'));
    expect(ok.pass).toBe(true);
    const bad = judgeReplay(schedule, schedule.predicted.perTenant.map((t) => ({ tenant: t.tenant, released: 10, missRate: 1, p99Ms: null })), parseTolerance('miss=5%'));
    expect(bad.pass).toBe(false);
    expect(bad.rows[0].violations.join(' ')).toMatch(/miss rate/);
    expect(() => parseTolerance('latency=3')).toThrow(/miss=POINTS/);
    // One run is judged against one run's 95% prediction interval over the seeds, not the mean's CI:
    // mean 10%, sd 5 points over 5 seeds: the mean's CI ends at 16.2%, one run's at 25.2%.
    const one = structuredClone(schedule);
    one.predicted.perTenant.forEach((x) => (x.missRate = { mean: 0.1, sd: 0.05, lo: 0.038, hi: 0.162, n: 5 }));
    expect(runInterval(one.predicted.perTenant[0].missRate)!.hi).toBeCloseTo(0.1 + 2.776 * 0.05 * Math.sqrt(1.2), 12);
    const at = (missRate: number) => judgeReplay(one, one.predicted.perTenant.map((t) => ({ tenant: t.tenant, released: 100, missRate, p99Ms: t.p99Ms.mean })), parseTolerance('miss=0,p99=off'));
    expect(at(0.2).pass).toBe(true);
    expect(at(0.26).pass).toBe(false);
    expect(at(0.26).rows[0].violations[0]).toMatch(/> expected 25\.2% \(one run, 95%\)/);
    // A rate's interval stops at 100%; without sd the CI's end (or the mean) is used.
    expect(runInterval({ mean: 0.9, sd: 0.3, lo: 0.5, hi: 1, n: 5 }, [0, 1])).toEqual({ lo: 0, hi: 1 });
    expect(runInterval({ mean: 0.1, sd: null, lo: 0.05, hi: 0.15, n: 1 })).toEqual({ lo: 0.05, hi: 0.15 });
    expect(runInterval({ mean: null, sd: null, lo: null, hi: null, n: 0 })).toBeNull();
  });

  test('the worker-thread search gives the same result as the inline one', async () => {
    const a = await runTune(problem.layouts, { ...tune, workers: 0 });
    const b = await runTune(problem.layouts, { ...tune, workers: 2 });
    expect(b.result.tried.map((t) => t.objective)).toEqual(a.result.tried.map((t) => t.objective));
    expect(b.workers).toBe(2);
  });
});

describe('engine', () => {
  test('tune.run reports progress and stops on cancel; a checkpoint resumes it without re-running simulations', async () => {
    const { localClient } = await import('../engine/local');
    const { client, close } = localClient();
    try {
      const checkpoint = join(dir, 'ck.json');
      const controller = new AbortController();
      const messages: string[] = [];
      const params = { scenario: scenarioFile, candidates: 400, simSeeds: 2, durationSec: 1, policies: ['edf', 'dream_static'], workers: 0, checkpoint };
      const p = client.call('tune.run', params, {
        signal: controller.signal,
        onProgress: (x: { message: string }) => {
          messages.push(x.message);
          if (/search: [1-9]/.test(x.message)) controller.abort();
        },
      });
      await expect(p).rejects.toMatchObject({ code: 'cancelled' });
      expect(messages.some((m) => /baselines|search/.test(m))).toBe(true);
      const resumed = await client.call('tune.run', { ...params, candidates: 4, resume: true });
      expect(resumed.result.fromCheckpoint).toBeGreaterThan(0);
      expect(resumed.result.candidatesTried).toBe(4);
    } finally {
      close();
    }
  });
});

describe('CLI', () => {
  test('tessera tune writes a schedule that schedule validate accepts; a model without a profile is named with the command that profiles it', () => {
    const out = join(dir, 'cli.json');
    const r = tessera('tune', scenarioFile, '--candidates', '6', '--seeds', '2', '--duration', '1s', '--policies', 'edf,terastal', '--workers', '1', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Untuned policies/);
    expect(r.stdout).toMatch(/Pareto front/);
    const v = tessera('schedule', 'validate', out);
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect(readSchedule(out).provenance.candidatesTried).toBeLessThanOrEqual(6);
    writeFileSync(join(dir, 'c.onnx'), tinyCnn({ channels: 6, size: 12, name: 'tiny_c' }));
    const three = join(dir, 'three.json');
    const def = JSON.parse(readFileSync(scenarioFile, 'utf8'));
    def.tenants.push({ id: 'c', model: { kind: 'file', path: 'c.onnx' }, arrival: { type: 'periodic', fps: 10 } });
    writeFileSync(three, JSON.stringify(def));
    const m = tessera('tune', three, '--candidates', '4');
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/tenant "c"/);
    expect(m.stderr).toMatch(/tessera profile .*c\.onnx/);
    expect(m.stderr).toMatch(/--profile-missing/);
  });


  test('with the machine calibration, every layout carries what lanes running together cost; without a stored one, the error names the lanes and the command', async () => {
    const profileFor = (await newestProfiles(scenarioFile)).found;
    await expect(buildTuneProblem(scenarioFile, { profileFor, machineCalibration: true })).rejects.toThrow(/machine calibration for lanes cpu:1\+cpu:1#1: no machine calibration stored[\s\S]*tessera calibrate --lanes cpu:1,cpu:1#1,cpu:2/);
    const fp = await fingerprint();
    const lanes = ['cpu:1', 'cpu:1#1', 'cpu:2'];
    const pair = (lane: string, other: string) => ({ lane, with: other, soloMs: 2, contendedMs: 3, slowdown: 1.5 });
    const file = saveCalibration({
      schema: CALIBRATION_SCHEMA, createdAt: new Date().toISOString(), fingerprint: fp, key: calibrationKey(fp, lanes), lanes, kernels: 'test (hand-written)',
      interference: [pair('cpu:1', 'cpu:1#1'), pair('cpu:1#1', 'cpu:1')],
      dispatch: lanes.map((lane) => ({ lane, idleUs: 100, contendedUs: 100 })),
      decisionUs: {}, copies: { latencyUs: 20, bytesPerSec: 1e9, points: [], method: 'test' },
      background: { at: new Date().toISOString(), loadavg1: 0, cores: 2, othersBusyCores: 0, windowMs: 300 }, tookSec: 1,
    });
    try {
      const plain = await buildTuneProblem(scenarioFile, { profileFor });
      const cal = await buildTuneProblem(scenarioFile, { profileFor, machineCalibration: true });
      expect(cal.calibration!.map((c) => c.lanes)).toEqual([['cpu:1', 'cpu:1#1'], ['cpu:2']]);
      expect(cal.rateScale).toBe(plain.rateScale);
      const lat = (q: TuneProblem, l: number) => q.layouts[l].workload.tenants[0].layers[0].variants[0].cost[0]!.latency;
      // Two lanes: slowed by the other at its expected utilisation, plus 100 µs dispatch; one lane alone: the dispatch only.
      expect(lat(cal, 0)).toBeGreaterThan(lat(plain, 0) + 100e-6);
      expect(lat(cal, 1)).toBeCloseTo(lat(plain, 1) + 100e-6, 9);
    } finally {
      rmSync(file, { force: true });
    }
  });

  test('an infeasible tenant: tune still writes a schedule, marked infeasible for it; validate accepts it with the warning', () => {
    const tight = join(dir, 'tight.json');
    const def = JSON.parse(readFileSync(scenarioFile, 'utf8'));
    def.tenants[1].deadlineMs = 0.01;
    writeFileSync(tight, JSON.stringify(def));
    const out = join(dir, 'tight-s.json');
    const r = tessera('tune', tight, '--candidates', '4', '--seeds', '2', '--duration', '1s', '--policies', 'edf', '--workers', '0', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/INFEASIBLE[\s\S]*b: needs/);
    expect(r.stdout).toMatch(/marked infeasible/);
    const s = readSchedule(out);
    expect(s.infeasible?.map((t) => t.tenant)).toEqual(['b']);
    const v = tessera('schedule', 'validate', out);
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/OK, WITH WARNINGS/);
    expect(v.stdout).toMatch(/INFEASIBLE: tenant "b"/);
    const shown = tessera('schedule', 'show', out).stdout;
    expect(shown).toMatch(/INFEASIBLE: b needs/);
    expect(shown).toMatch(/Ranked under miss caps \(from edf at (layer|model) granularity, untuned\): [\d.]+% of all frames; per tenant a [\d.]+%, b [\d.]+%/);
    expect(r.stdout).toMatch(/Ranking: A schedule missing more than [\d.]+% of frames/);
  });

  test('tune.run validates the best untuned policy and the top tuned candidates live: predicted vs measured for each', async () => {
    const { localClient } = await import('../engine/local');
    const { client, close } = localClient();
    try {
      const r = await client.call('tune.run', { scenario: scenarioFile, candidates: 8, simSeeds: 2, durationSec: 1, policies: ['edf', 'terastal', 'dream_static'], workers: 0, validateSec: 1, validateTop: 2 });
      const v = r.validation!;
      expect(v[0]).toMatchObject({ which: 'untuned', rank: 0 });
      const tuned = v.filter((x) => x.which === 'tuned');
      expect(tuned.map((x) => x.rank)).toEqual(tuned.length === 2 ? [1, 2] : [1]);
      expect(tuned.length).toBeGreaterThanOrEqual(1);
      for (const x of v) {
        expect(x.runId).toBeTruthy();
        expect(x.measuredMissRate).toBeGreaterThanOrEqual(0);
        expect(x.predictedEnergyJ).not.toBeNull();
        // One run's 95% prediction interval holds the prediction (and is no narrower than the mean's CI).
        expect(x.predictedMissRange![0]).toBeLessThanOrEqual(x.predictedMissRate!);
        expect(x.predictedMissRange![1]).toBeGreaterThanOrEqual(x.predictedMissRate!);
        expect(x.perTenant.map((t) => t.tenant)).toEqual(['a', 'b']);
        expect(x.notAppliedLive).toEqual([]); // the default space holds only what the runtime applies
        // The run re-simulated with the latencies it learnt (tells the machine's latencies from the schedule's model).
        expect(x.hindsightMissRate).toBeGreaterThanOrEqual(0);
        expect(x.learntRatios![0]).toBeGreaterThan(0);
        expect(x.learntRatios![1]).toBeGreaterThanOrEqual(x.learntRatios![0]);
      }
      // Distinct figures: no two tuned rows predict the very same thing.
      if (tuned.length === 2) expect([tuned[0].predictedMissRate, tuned[0].predictedEnergyJ]).not.toEqual([tuned[1].predictedMissRate, tuned[1].predictedEnergyJ]);
      expect(r.schedule!.provenance.validation).toHaveLength(1);
      expect(r.schedule!.provenance.validation[0].runId).toBe(tuned[0].runId);
      // No speedDrift given: estimated from the profiles' drift checks (these short test profiles
      // may have too few for an estimate), and the schedule records the sd and where it came from.
      expect(['measured', 'default']).toContain(r.speedDrift.basis);
      expect(r.schedule!.predicted.simulation.speedDrift).toBe(r.speedDrift.sd);
      expect(r.schedule!.predicted.simulation.speedDriftBasis).toBe(r.speedDrift.detail);
    } finally {
      close();
    }
  }, 180_000);

  test('schedule validate accepts the file and refuses the tampered one; replay exits 1 when a tolerance is deliberately violated', () => {
    const v = tessera('schedule', 'validate', scheduleFile, '--json');
    expect(v.status, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout).ok).toBe(true);
    const tampered = variant((s) => (s.models[0].sha256 = 'f'.repeat(64)), 'tampered2.json');
    const t = tessera('schedule', 'validate', tampered);
    expect(t.status).toBe(1);
    expect(t.stdout).toContain(join(dir, 'a.onnx'));
    const r = tessera('replay', tampered, '--duration', '1s');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/sha256/);
    // Expectations nobody can meet: every tenant's p99 at 1 µs, no tolerance.
    const strict = variant((s) => s.predicted.perTenant.forEach((x) => (x.p99Ms = { mean: 0.001, sd: 0, lo: 0.001, hi: 0.001, n: 3 })), 'strict.json');
    const rep = tessera('replay', strict, '--duration', '2s', '--tolerance', 'miss=0,p99=0');
    expect(rep.status, rep.stderr).toBe(1);
    expect(rep.stdout).toMatch(/REGRESSED/);
    expect(rep.stdout).toMatch(/expected p99 ms/);
    const pass = tessera('replay', scheduleFile, '--duration', '2s', '--tolerance', 'miss=1,p99=off', '--json');
    expect(pass.status, pass.stderr + pass.stdout).toBe(0);
    const pr = JSON.parse(pass.stdout);
    expect(pr.rows.map((x: { tenant: string }) => x.tenant)).toEqual(['a', 'b']);
    expect(pr.rows[0].measured.released).toBeGreaterThan(0);
  });
});
