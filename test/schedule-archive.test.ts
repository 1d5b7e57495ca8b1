// Bundle archives (scheduler/schedule/archive.ts) and a schedule tuned at a group granularity
// (scheduler/core/groups.ts). The schedule is tuned here on two tiny CNN files (4 layers each; latency
// table from hand-written profiles, test/support/fake-profile.ts) with granularity group:2 only; it is
// written as a .tgz and a .tar bundle, validated and replayed through the CLI from the archive after
// the original files are gone. Tampered, missing, unlisted, linked and escaping members are refused
// by name. The app's "Download bundle" reads a stored schedule's archive from the engine in chunks.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localClient } from '../engine/local';
import { saveProfile } from '../profiler/store';
import { DEFAULT_SPACE } from '../scheduler/core/tune';
import { openSchedule } from '../scheduler/embed';
import { readArchiveMembers } from '../scheduler/schedule/archive';
import { writeBundle } from '../scheduler/schedule/bundle';
import { loadSchedule, makeSchedule, parseSchedule, readSchedule, ScheduleError, writeSchedule } from '../scheduler/schedule/file';
import type { Schedule } from '../scheduler/schedule/format';
import { storeSchedule } from '../scheduler/schedule/store';
import { buildTuneProblem, runTune } from '../scheduler/tune-run';
import { fakeProfile } from './support/fake-profile';
import { tinyCnn } from './support/tiny-model';

const bin = join(__dirname, '..', 'bin', 'tessera.cjs');
let home: string;
let dir: string;
let schedule: Schedule;
const savedHome = process.env.TESSERA_HOME;
const lanesOk = async () => undefined;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'tessera-archive-home-'));
  dir = mkdtempSync(join(tmpdir(), 'tessera-archive-'));
  process.env.TESSERA_HOME = home;
  const profileFor: Record<string, string> = {};
  for (const [k, ch] of [['a', 4], ['b', 8]] as const) {
    const bytes = tinyCnn({ channels: ch, size: 16, name: `tiny_${k}` });
    writeFileSync(join(dir, `${k}.onnx`), bytes);
    // tinyCnn cuts into 4 groups (conv1, conv2, conv3 + residual, gap + fc): 4 profile layers.
    const p = fakeProfile(`g-${k}`, `tiny_${k}`, ['cpu:1', 'cpu:2'], [[2, 1.5], [2, 1.5], [1, 0.8], [0.5, 0.5]]);
    p.model.sha256 = sha(bytes);
    saveProfile(p);
    profileFor[k] = p.id;
  }
  const scenarioFile = join(dir, 'two.json');
  writeFileSync(scenarioFile, JSON.stringify({ schemaVersion: 1, name: 'two tiny', tenants: [
    { id: 'a', model: { kind: 'file', path: 'a.onnx' }, arrival: { type: 'periodic', fps: 30 }, priority: 9 },
    { id: 'b', model: { kind: 'file', path: 'b.onnx' }, arrival: { type: 'periodic', fps: 20 } },
  ] }));
  const problem = await buildTuneProblem(scenarioFile, { profileFor });
  const outcome = await runTune(problem.layouts, { objective: { kind: 'uxcost' }, space: { ...DEFAULT_SPACE, policies: ['edf', 'terastal'], granularities: ['group:2'], pinning: false, dropLate: [false] }, sim: { duration: 2, latencyNoise: 0.1, jobNoise: 0.1, window: 0.5 }, maxCandidates: 4, batch: 4, simSeeds: 2, seed: 1, workers: 0 });
  schedule = await makeSchedule(problem, outcome, { tesseraVersion: 'test', scenarioBaseDir: dir });
  writeSchedule(join(dir, 's.json'), schedule);
}, 120_000);

afterAll(() => {
  if (savedHome === undefined) delete process.env.TESSERA_HOME;
  else process.env.TESSERA_HOME = savedHome;
  rmSync(home, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

/** The ScheduleError a call throws (undefined when it does not throw). */
function refusal(f: () => unknown): ScheduleError | undefined {
  try {
    f();
  } catch (e) {
    return e as ScheduleError;
  }
  return undefined;
}

describe('a schedule tuned at group granularity', () => {
  test('records group:2 in a version 2 file; a version 1 file cannot claim it; version 1 files still load', () => {
    expect(schedule.options.granularity).toBe('group:2');
    expect(schedule.schemaVersion).toBe(2);
    expect(schedule.predicted.source).toMatch(/group:2 granularity/);
    const text = readFileSync(join(dir, 's.json'), 'utf8');
    const v1 = JSON.parse(text);
    v1.schemaVersion = 1;
    expect(() => parseSchedule(JSON.stringify(v1), 'v1.json')).toThrow(/options\.granularity: granularity group:2 needs schemaVersion 2/);
    v1.options.granularity = 'layer';
    expect(parseSchedule(JSON.stringify(v1), 'v1.json').schemaVersion).toBe(1);
    const bad = JSON.parse(text);
    bad.options.granularity = 'group:0';
    expect(() => parseSchedule(JSON.stringify(bad), 'bad.json')).toThrow(/options\.granularity/);
  });
});

describe('bundle archives', () => {
  test('a .tgz and a .tar carry every model: after the originals are gone, both validate; the .tgz replays through the CLI at group:2 and opens in tessera/runtime', async () => {
    const tgz = join(dir, 'out', 's.tgz');
    const r = await writeBundle(schedule, tgz);
    expect(r.form).toBe('archive');
    expect(r.manifest.files.map((f) => f.path)).toEqual(['schedule.json', 'models/00-a-a.onnx', 'models/01-b-b.onnx']);
    const members = readArchiveMembers(tgz);
    expect([...members.keys()]).toEqual(['manifest.json', 'schedule.json', 'models/00-a-a.onnx', 'models/01-b-b.onnx']);
    for (const f of r.manifest.files) expect(sha(members.get(f.path)!)).toBe(f.sha256);
    expect(readFileSync(tgz).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip
    await expect(writeBundle(schedule, tgz)).rejects.toThrow(/exists; give a new file name/);
    const plain = join(dir, 'out', 's.tar');
    await writeBundle(schedule, plain);
    expect(readFileSync(plain).subarray(257, 262).toString()).toBe('ustar');
    // Another machine: the tuning machine's files are not there.
    unlinkSync(join(dir, 'a.onnx'));
    unlinkSync(join(dir, 'b.onnx'));
    for (const file of [tgz, plain]) {
      const s = readSchedule(file);
      expect(s.options.granularity).toBe('group:2');
      expect(s.models.map((m) => m.sha256)).toEqual(schedule.models.map((m) => m.sha256));
      const { check } = await loadSchedule(file, { laneProblem: lanesOk });
      expect(check.models.every((m) => m.ok)).toBe(true);
    }
    const rt = await openSchedule(tgz, { laneProblem: lanesOk });
    expect(rt.tenants).toEqual(['a', 'b']);
    expect(rt.schedule.options.granularity).toBe('group:2');
    const env = { ...process.env, TESSERA_HOME: mkdtempSync(join(tmpdir(), 'tessera-archive-other-')) };
    const v = spawnSync(process.execPath, [bin, 'schedule', 'validate', tgz, '--json'], { encoding: 'utf8', env, timeout: 60_000 });
    expect(v.status, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout).ok).toBe(true);
    const rp = spawnSync(process.execPath, [bin, 'replay', tgz, '--duration', '1s', '--tolerance', 'miss=100%,p99=off', '--json'], { encoding: 'utf8', env, timeout: 120_000 });
    expect(rp.status, rp.stderr).toBe(0);
    const replay = JSON.parse(rp.stdout);
    expect(replay.rows.map((x: { tenant: string }) => x.tenant)).toEqual(['a', 'b']);
    expect(replay.rows.every((x: { measured: { released: number } }) => x.measured.released > 0)).toBe(true);
    expect(replay.report.granularity).toBe('group:2');
  }, 240_000);

  test('a tampered, missing or unlisted member, a link and a path escaping the archive are refused by name', async () => {
    const good = join(dir, 'out', 's.tgz');
    const members = readArchiveMembers(good);
    const model = 'models/00-a-a.onnx';
    /** An archive of `files` (path -> bytes), written from a scratch folder. */
    const archive = (name: string, files: Map<string, Buffer>, extra: (cwd: string) => string[] = () => []) => {
      const cwd = mkdtempSync(join(tmpdir(), 'tessera-archive-src-'));
      for (const [p, b] of files) {
        mkdirSync(join(cwd, p, '..'), { recursive: true });
        writeFileSync(join(cwd, p), b);
      }
      const file = join(dir, 'out', name);
      tar.c({ file, cwd, sync: true, gzip: true, portable: true, preservePaths: true }, [...files.keys(), ...extra(cwd)]);
      return file;
    };
    const tampered = new Map(members);
    const bytes = Buffer.from(members.get(model)!);
    bytes[bytes.length - 1] ^= 1;
    tampered.set(model, bytes);
    let e = refusal(() => readSchedule(archive('tampered.tgz', tampered)));
    expect(e?.code).toBe('hash-mismatch');
    expect(e?.message).toContain(`member ${model}: sha256`);
    const missing = new Map(members);
    missing.delete(model);
    e = refusal(() => readSchedule(archive('missing.tgz', missing)));
    expect(e?.code).toBe('missing-model');
    expect(e?.message).toContain(`member ${model} is missing`);
    e = refusal(() => readSchedule(archive('unlisted.tgz', new Map([...members, ['models/extra.onnx', Buffer.from('x')]]))));
    expect(e?.message).toContain('member models/extra.onnx is not listed in manifest.json');
    e = refusal(() => readSchedule(archive('link.tgz', members, (cwd) => {
      symlinkSync('/etc/passwd', join(cwd, 'models', 'link.onnx'));
      return ['models/link.onnx'];
    })));
    expect(e?.message).toMatch(/member "models\/link.onnx" is a SymbolicLink, not a regular file/);
    e = refusal(() => readSchedule(archive('escape.tgz', members, (cwd) => {
      writeFileSync(join(cwd, '..', 'tessera-escape.txt'), 'x');
      return ['../tessera-escape.txt'];
    })));
    expect(e?.message).toMatch(/member "\.\.\/tessera-escape\.txt" has a path outside the archive/);
    writeFileSync(join(dir, 'out', 'junk.tgz'), 'not an archive at all');
    expect(() => readSchedule(join(dir, 'out', 'junk.tgz'))).toThrow(/junk\.tgz/);
  });
});

describe('the app\'s bundle download (schedule.exportBundle + exportBundleChunk)', () => {
  test('hands a stored schedule\'s archive over in chunks that join to the archive it names; bad ids and offsets are refused', async () => {
    // A model of ~2.7 MB of weights: its archive (~1.8 MB) spans two 1 MiB chunks.
    // The tests above removed the tuned files; tinyCnn makes the same bytes again.
    for (const [k, ch] of [['a', 4], ['b', 8]] as const) writeFileSync(join(dir, `${k}.onnx`), tinyCnn({ channels: ch, size: 16, name: `tiny_${k}` }));
    const big = tinyCnn({ channels: 160, size: 16, name: 'tiny_big' });
    const bigPath = join(dir, 'big.onnx');
    writeFileSync(bigPath, big);
    const s2 = structuredClone(schedule);
    s2.models[0] = { ...s2.models[0], ref: { kind: 'file', path: bigPath }, path: bigPath, sha256: sha(big) };
    const t = s2.scenario.definition.tenants.find((x) => x.id === s2.models[0].tenant)!;
    t.model = { kind: 'file', path: bigPath };
    const { id } = storeSchedule(s2, 'opened');
    const { client, close } = localClient();
    try {
      const b = await client.call('schedule.exportBundle', { id });
      expect(b).toMatchObject({ id, filename: `schedule-${id}.tgz`, files: 3 });
      expect(b.bytes).toBeGreaterThan(b.chunkBytes);
      const parts: Buffer[] = [];
      for (let offset = 0; ; ) {
        const c = await client.call('schedule.exportBundleChunk', { id, offset });
        expect(c.offset).toBe(offset);
        const bytes = Buffer.from(c.data, 'base64');
        parts.push(bytes);
        offset += bytes.length;
        if (c.done) break;
      }
      expect(parts.length).toBe(Math.ceil(b.bytes / b.chunkBytes));
      const archive = Buffer.concat(parts);
      expect(archive.length).toBe(b.bytes);
      expect(sha(archive)).toBe(b.sha256);
      const file = join(dir, 'downloaded.tgz');
      writeFileSync(file, archive);
      const members = readArchiveMembers(file);
      const model = [...members.keys()].find((k) => k.startsWith('models/00-'))!;
      expect(sha(members.get(model)!)).toBe(sha(big));
      expect(readSchedule(file).models[0].sha256).toBe(sha(big));
      await expect(client.call('schedule.exportBundleChunk', { id, offset: b.bytes + 1 })).rejects.toMatchObject({ code: 'bad-request', message: /past the end/ });
      await expect(client.call('schedule.exportBundle', { id: 'no-such-schedule' })).rejects.toMatchObject({ code: 'not-found' });
      // A model changed since it was tuned: no bundle, and the error names the file.
      writeFileSync(bigPath, tinyCnn({ channels: 160, size: 16, name: 'tiny_big2' }));
      await expect(client.call('schedule.exportBundle', { id })).rejects.toMatchObject({ message: /big\.onnx: sha256 .* does not match/ });
    } finally {
      close();
    }
  }, 120_000);
});
