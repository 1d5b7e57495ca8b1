// The example app (examples/reading-assistant) end to end, as CI runs it: a schedule is tuned here
// for its scenario (the real npm models: Silero VAD v5, PP-OCRv4 det and rec), bundled with
// `tessera schedule bundle --json`, and the app runs it through the package entry `tessera/runtime`
// in its own process, on a machine state without the tuning profiles (another machine: the runtime
// measures the lanes itself). Outputs must come back for every tenant and the stats must add up.
// Then a tampered bundle file is refused by `schedule validate` and by the runtime, naming the file.
//
// The tuner's latency table here comes from hand-written profiles (test/support/fake-profile.ts,
// with the real models' sha256), because measuring three real models takes minutes; the live run
// never sees them. Model granularity only: cutting the models into layers at start-up takes longer
// than this test should.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { saveProfile } from '../profiler/store';
import { DEFAULT_SPACE } from '../scheduler/core/tune';
import { openSchedule } from '../scheduler/embed';
import { makeSchedule, writeSchedule } from '../scheduler/schedule/file';
import { buildTuneProblem, runTune } from '../scheduler/tune-run';
import { resolveModel } from '../workloads/library';
import { loadScenario } from '../workloads/scenario-library';
import { fakeProfile } from './support/fake-profile';

const root = join(__dirname, '..');
const bin = join(root, 'bin', 'tessera.cjs');
const app = join(root, 'examples', 'reading-assistant', 'main.mjs');
const scenarioFile = join(root, 'examples', 'reading-assistant', 'scenario.json');
let tuneHome: string;
let appHome: string;
let dir: string;
const savedHome = process.env.TESSERA_HOME;

function run(args: string[], home: string, timeout = 120_000) {
  return spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout, env: { ...process.env, TESSERA_HOME: home } });
}

beforeAll(async () => {
  tuneHome = mkdtempSync(join(tmpdir(), 'tessera-example-tune-'));
  appHome = mkdtempSync(join(tmpdir(), 'tessera-example-app-'));
  dir = mkdtempSync(join(tmpdir(), 'tessera-example-'));
  process.env.TESSERA_HOME = tuneHome;
  // Per model, whole-model ms on cpu:1 and cpu:2 (hand-written, of the order measured on a laptop core).
  const ms: Record<string, [number, number]> = { vad: [1, 0.8], ocr_det: [60, 40], ocr_rec: [25, 18] };
  const profileFor: Record<string, string> = {};
  for (const t of loadScenario(scenarioFile).scenario.tenants) {
    const m = await resolveModel(t.model);
    const p = fakeProfile(`example-${t.id}`, m.name, ['cpu:1', 'cpu:2'], [ms[t.id]]);
    p.model.sha256 = m.sha256;
    saveProfile(p);
    profileFor[t.id] = p.id;
  }
  const problem = await buildTuneProblem(scenarioFile, { profileFor });
  const outcome = await runTune(problem.layouts, {
    objective: { kind: 'uxcost' },
    space: { ...DEFAULT_SPACE, policies: ['edf', 'dream_static', 'terastal'], granularities: ['model'], pinning: false },
    sim: { duration: 3, latencyNoise: 0.1, jobNoise: 0.1, window: 0.5 },
    maxCandidates: 8,
    batch: 4,
    simSeeds: 2,
    seed: 1,
    workers: 0,
  });
  writeSchedule(join(dir, 's.json'), await makeSchedule(problem, outcome, { tesseraVersion: 'test' }));
}, 120_000);

afterAll(() => {
  if (savedHome === undefined) delete process.env.TESSERA_HOME;
  else process.env.TESSERA_HOME = savedHome;
  for (const d of [tuneHome, appHome, dir]) rmSync(d, { recursive: true, force: true });
});

describe('example app through tessera/runtime', () => {
  test('a tuned, bundled schedule runs the reading assistant: outputs come back for every tenant and the stats add up', () => {
    const bundle = join(dir, 'bundle');
    const b = run([bin, 'schedule', 'bundle', join(dir, 's.json'), '--out', bundle, '--json'], tuneHome);
    expect(b.stderr).toBe('');
    expect(b.status).toBe(0);
    const manifest = JSON.parse(b.stdout).manifest;
    expect(manifest.files.map((f: { tenant?: string }) => f.tenant).filter(Boolean)).toEqual(['vad', 'ocr_det', 'ocr_rec']);

    const seconds = 3;
    const r = run([app, bundle, '--seconds', String(seconds), '--json'], appHome, 150_000);
    expect(r.status, `${r.stderr}\n${r.stdout.slice(-3000)}`).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.report.status).toBe('completed');
    const by = Object.fromEntries(out.stats.tenants.map((t: { tenant: string }) => [t.tenant, t]));
    for (const id of ['vad', 'ocr_det', 'ocr_rec']) {
      const t = by[id];
      expect(t.finished, id).toBeGreaterThan(0);
      expect(t.inFlight, id).toBe(0);
      expect(t.finished + t.dropped, id).toBe(t.submitted);
      expect(t.latencyMs.mean, id).toBeGreaterThan(0);
      expect(t.latencyMs.p95, id).toBeGreaterThanOrEqual(t.latencyMs.p50);
      expect(t.latencyMs.max, id).toBeGreaterThanOrEqual(t.latencyMs.p95);
      expect(t.missRate, id).toBeGreaterThanOrEqual(0);
    }
    // One VAD window per 32 ms, one camera frame per 500 ms (timers on a loaded machine run late, never early).
    expect(by.vad.submitted).toBeGreaterThanOrEqual(30);
    expect(by.vad.submitted).toBeLessThanOrEqual(Math.ceil((seconds * 1000) / 32) + 1);
    expect(by.ocr_det.submitted).toBeGreaterThanOrEqual(3);
    // The app used the outputs: every finished VAD frame was read, recognition ran on detected text.
    expect(out.app.vadFrames).toBe(by.vad.finished);
    expect(out.app.detections).toBe(by.ocr_det.finished);
    expect(out.app.textFound).toBeGreaterThan(0);
    expect(by.ocr_rec.submitted).toBe(out.app.textFound);
    expect(out.app.recognised.length).toBeGreaterThan(0);
    expect(out.app.errors).toEqual([]);
    expect(out.stats.lanes.length).toBe(out.lanes.length);
  }, 200_000);

  test('a tampered bundle file is refused by schedule validate and by the runtime, naming the file', async () => {
    const bundle = join(dir, 'bundle');
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8'));
    const det = manifest.files.find((f: { tenant?: string }) => f.tenant === 'ocr_det').path as string;
    const bytes = readFileSync(join(bundle, det));
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(join(bundle, det), bytes);
    const v = run([bin, 'schedule', 'validate', bundle, '--json'], appHome);
    expect(v.status).toBe(1);
    expect(v.stderr).toContain(join(bundle, det));
    expect(v.stderr).toMatch(/sha256 [0-9a-f]{64} does not match the manifest/);
    const err = await openSchedule(bundle).catch((e) => e);
    expect(err.code).toBe('hash-mismatch');
    expect(err.message).toContain(join(bundle, det));
  }, 60_000);
});
