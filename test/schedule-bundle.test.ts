// Schedule bundles (scheduler/schedule/bundle.ts): a folder with the schedule, its model files and a
// manifest of every file's sha256. Made from a schedule tuned here on two tiny CNN files (latency
// table from hand-written profiles, test/support/fake-profile.ts); the original files are then
// deleted, as on another machine, and the bundle still validates and replays through the CLI. A
// missing or changed file, a file outside the folder and a non-empty output folder are refused.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { saveProfile } from '../profiler/store';
import { DEFAULT_SPACE } from '../scheduler/core/tune';
import { writeBundle } from '../scheduler/schedule/bundle';
import { loadSchedule, makeSchedule, readSchedule, ScheduleError, writeSchedule } from '../scheduler/schedule/file';
import type { Schedule } from '../scheduler/schedule/format';
import { buildTuneProblem, runTune } from '../scheduler/tune-run';
import { fakeProfile } from './support/fake-profile';
import { tinyCnn } from './support/tiny-model';

const bin = join(__dirname, '..', 'bin', 'tessera.cjs');
let home: string;
let dir: string;
let schedule: Schedule;
const savedHome = process.env.TESSERA_HOME;
const lanesOk = async () => undefined;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'tessera-bundle-home-'));
  dir = mkdtempSync(join(tmpdir(), 'tessera-bundle-'));
  process.env.TESSERA_HOME = home;
  const profileFor: Record<string, string> = {};
  for (const [k, ch] of [['a', 4], ['b', 8]] as const) {
    const bytes = tinyCnn({ channels: ch, size: 16, name: `tiny_${k}` });
    writeFileSync(join(dir, `${k}.onnx`), bytes);
    const p = fakeProfile(`p-${k}`, `tiny_${k}`, ['cpu:1', 'cpu:2'], [[4, 2.5], [3, 2]]);
    p.model.sha256 = createHash('sha256').update(bytes).digest('hex');
    saveProfile(p);
    profileFor[k] = p.id;
  }
  const scenarioFile = join(dir, 'two.json');
  writeFileSync(scenarioFile, JSON.stringify({ schemaVersion: 1, name: 'two tiny', tenants: [
    { id: 'a', model: { kind: 'file', path: 'a.onnx' }, arrival: { type: 'periodic', fps: 30 }, priority: 9 },
    { id: 'b', model: { kind: 'file', path: 'b.onnx' }, arrival: { type: 'periodic', fps: 20 } },
  ] }));
  const problem = await buildTuneProblem(scenarioFile, { profileFor });
  const outcome = await runTune(problem.layouts, { objective: { kind: 'uxcost' }, space: { ...DEFAULT_SPACE, policies: ['edf', 'terastal'], granularities: ['model'], pinning: false, dropLate: [false] }, sim: { duration: 2, latencyNoise: 0.1, jobNoise: 0.1, window: 0.5 }, maxCandidates: 4, batch: 4, simSeeds: 2, seed: 1, workers: 0 });
  schedule = await makeSchedule(problem, outcome, { tesseraVersion: 'test', scenarioBaseDir: dir });
  writeSchedule(join(dir, 's.json'), schedule);
}, 120_000);

afterAll(() => {
  if (savedHome === undefined) delete process.env.TESSERA_HOME;
  else process.env.TESSERA_HOME = savedHome;
  rmSync(home, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('schedule bundles', () => {
  test('carry every model: after the originals are gone the bundle validates and replays through the CLI', async () => {
    const out = join(dir, 'bundle');
    const r = await writeBundle(schedule, out);
    expect(r.manifest.files.map((f) => f.path)).toEqual(['schedule.json', 'models/00-a-a.onnx', 'models/01-b-b.onnx']);
    for (const f of r.manifest.files) expect(createHash('sha256').update(readFileSync(join(out, f.path))).digest('hex')).toBe(f.sha256);
    // Another machine: the tuning machine's files are not there.
    const moved = join(dir, 'elsewhere');
    cpSync(out, moved, { recursive: true });
    unlinkSync(join(dir, 'a.onnx'));
    unlinkSync(join(dir, 'b.onnx'));
    const s = readSchedule(moved);
    expect(s.models.map((m) => m.path)).toEqual([join(moved, 'models/00-a-a.onnx'), join(moved, 'models/01-b-b.onnx')]);
    expect(s.models.map((m) => m.sha256)).toEqual(schedule.models.map((m) => m.sha256));
    const { check } = await loadSchedule(join(moved, 'manifest.json'), { laneProblem: lanesOk });
    expect(check.models.every((m) => m.ok)).toBe(true);
    const env = { ...process.env, TESSERA_HOME: mkdtempSync(join(tmpdir(), 'tessera-bundle-other-')) };
    const v = spawnSync(process.execPath, [bin, 'schedule', 'validate', moved, '--json'], { encoding: 'utf8', env, timeout: 60_000 });
    expect(v.status, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout).ok).toBe(true);
    const rp = spawnSync(process.execPath, [bin, 'replay', moved, '--duration', '1s', '--tolerance', 'miss=100%,p99=off', '--json'], { encoding: 'utf8', env, timeout: 120_000 });
    expect(rp.status, rp.stderr).toBe(0);
    const replay = JSON.parse(rp.stdout);
    expect(replay.rows.map((x: { tenant: string }) => x.tenant)).toEqual(['a', 'b']);
    expect(replay.rows.every((x: { measured: { released: number } }) => x.measured.released > 0)).toBe(true);
  }, 180_000);

  test('a missing file, a file outside the folder and a non-empty output folder are refused by name', async () => {
    const out = join(dir, 'bundle2');
    await writeBundle(readSchedule(join(dir, 'bundle')), out);
    await expect(writeBundle(schedule, out)).rejects.toThrow(/exists and is not an empty folder/);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    unlinkSync(join(out, manifest.files[2].path));
    const missing = (() => {
      try {
        readSchedule(out);
      } catch (e) {
        return e as ScheduleError;
      }
    })();
    expect(missing?.code).toBe('missing-model');
    expect(missing?.message).toContain(join(out, manifest.files[2].path));
    mkdirSync(join(dir, 'evil'), { recursive: true });
    writeFileSync(join(dir, 'evil', 'manifest.json'), JSON.stringify({ ...manifest, files: [{ path: '../s.json', sha256: '0'.repeat(64), bytes: 1 }] }));
    expect(() => readSchedule(join(dir, 'evil'))).toThrow(/outside the bundle folder/);
  });
});
