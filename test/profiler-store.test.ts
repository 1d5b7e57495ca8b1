// The profile store: atomic saves (also under a hard kill), schema checks, listing, diff against
// the noise, CSV/JSON export, resume keys, and the `tessera profiles` CLI.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { latencyStats } from '../profiler/stats';
import {
  diffProfiles,
  exportProfile,
  findResumable,
  listProfiles,
  loadProfile,
  machineFingerprint,
  newProfileId,
  profileToCsv,
  resumeKey,
  saveProfile,
  writeFileAtomic,
} from '../profiler/store';
import { PROFILE_SCHEMA_VERSION, type LaneMeasurement, type Profile } from '../profiler/types';

const root = mkdtempSync(join(tmpdir(), 'tessera-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A measurement with a given median and spread (synthetic samples: this tests the store's arithmetic, not a machine). */
function meas(lane: string, medianMs: number, spreadRel: number, baselineMs = 0): LaneMeasurement {
  const samples = Array.from({ length: 101 }, (_, i) => medianMs * (1 + spreadRel * ((i - 50) / 50)));
  const raw = latencyStats(samples);
  return { lane, raw, latencyMs: raw.median - baselineMs, energy: { joulesPerRun: medianMs * 0.005, watts: 5, source: { kind: 'estimated', meter: 'estimate:cpu-per-thread-v1', detail: 'ESTIMATE' } } };
}

function fakeProfile(id: string, layerMs: number[][], opts: { status?: Profile['status']; key?: string; machine?: string } = {}): Profile {
  const lanes = ['cpu:1', 'cpu:2'];
  return {
    schemaVersion: PROFILE_SCHEMA_VERSION,
    id,
    createdAt: new Date(Date.now() + layerMs.length).toISOString(),
    machine: { id: opts.machine ?? 'm1', hostname: 'h', cpu: 'Test CPU', cores: 2, memoryGiB: 8, os: 'linux', gpus: [] },
    ortVersion: '1.30.0',
    model: { name: 'toy', sha256: 'ab'.repeat(32), inputShapes: { x: [1, 3] }, opsets: { '': 13 } },
    granularity: 'group',
    lanes: lanes.map((l) => ({ id: l, ep: 'cpu', threads: Number(l.slice(4)), baselineMs: 0.01 })),
    layers: layerMs.map((ms, i) => ({
      index: i,
      name: i === 1 ? 'conv, "quoted"' : `layer${i}`,
      nodes: [`n${i}`],
      opTypes: ['Conv'],
      inputs: [],
      outputs: [],
      flops: 1e6,
      bytesMoved: 1e3,
      lanes: ms.map((m, k) => meas(lanes[k], m, 0.01)),
    })),
    wholeModel: lanes.map((l, k) => meas(l, layerMs.reduce((s, x) => s + x[k], 0), 0.01)),
    verification: { maxAbsError: 0, maxRelError: 0, passed: true, tolerance: { rel: 1e-5 } },
    settings: { budgetSec: 1, warmup: 3, ciTarget: 0.02 },
    status: opts.status ?? 'complete',
    warnings: [],
    resumeKey: opts.key,
  };
}

describe('atomic writes', () => {
  it('a failed write leaves the previous file intact and no temp file behind', () => {
    const dir = join(root, 'atomic');
    const file = join(dir, 'p.json');
    writeFileAtomic(file, '{"v":1}');
    expect(readFileSync(file, 'utf8')).toBe('{"v":1}');
    function* failing() {
      yield '{"v":2, "half": ';
      throw new Error('disk full (simulated)');
    }
    expect(() => writeFileAtomic(file, failing())).toThrow(/disk full/);
    expect(readFileSync(file, 'utf8')).toBe('{"v":1}');
    expect(readdirSync(dir)).toEqual(['p.json']);
  });

  it('a process killed while saving never leaves a half-written profile', async () => {
    const dir = join(root, 'killed');
    mkdirSync(dir, { recursive: true });
    const script = join(root, 'saver.cjs');
    // The real writeFileAtomic (what saveProfile uses), bundled for a child process that keeps
    // rewriting a ~4 MB profile in 64 KB chunks with a pause between chunks, so that a kill
    // almost always lands in the middle of a write. After each completed save it prints the
    // version it saved ("<round>:<i>"), so the test kills it only once it has replaced the file
    // (a fixed delay was not enough on a loaded machine, where starting node alone can take longer).
    buildSync({
      stdin: {
        contents: `import { writeSync } from 'node:fs';
          import { writeFileAtomic, profilePath } from ${JSON.stringify(join(__dirname, '..', 'profiler', 'store'))};
          const big = JSON.parse(process.argv[2]);
          big.warnings = [String(process.argv[3]).repeat(4_000_000)];
          function* chunks(text) {
            for (let i = 0; i < text.length; i += 65536) {
              const until = Date.now() + 1;
              while (Date.now() < until) {}
              yield text.slice(i, i + 65536);
            }
          }
          for (let i = 0; ; i++) {
            big.createdAt = process.argv[3] + ':' + i;
            writeFileAtomic(profilePath('big', process.argv[4]), chunks(JSON.stringify(big)));
            writeSync(1, big.createdAt + '\\n');
          }`,
        resolveDir: __dirname,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: script,
      external: ['systeminformation', 'onnxruntime-node', 'onnx-proto'],
      logLevel: 'silent',
    });
    const base = fakeProfile('big', [[1, 2]]);
    saveProfile(base, dir);
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, [script, JSON.stringify(base), String(round), dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NODE_PATH: join(__dirname, '..', 'node_modules') },
      });
      let stderr = '';
      let stdout = '';
      child.stderr!.on('data', (c) => (stderr += c));
      const exited = new Promise((r) => child.once('exit', r));
      const firstSave = new Promise<void>((resolve) =>
        child.stdout!.on('data', (c) => {
          stdout += c;
          if (stdout.includes('\n')) resolve();
        }),
      );
      await Promise.race([firstSave, exited]);
      expect(child.exitCode, stderr).toBeNull(); // saved once, and still saving
      await new Promise((r) => setTimeout(r, round * 37)); // kill at varying points of the next writes
      child.kill('SIGKILL');
      await exited;
      // Every version the child announced, and the one it may have renamed into place just before the kill.
      const done = stdout.split('\n').filter(Boolean).map((v) => Number(v.split(':')[1]));
      const allowed = [...done, Math.max(...done) + 1].map((i) => `${round}:${i}`);
      const p = loadProfile('big', dir); // parses: a complete version, never a partial one
      expect(p.id).toBe('big');
      expect(allowed).toContain(p.createdAt); // this round's child really replaced the file
      expect(listProfiles(dir).map((s) => s.id)).toEqual(['big']); // leftover temp files are not listed
    }
    // At least one kill hit a write in progress (a save spends nearly all its time writing chunks).
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-')).length).toBeGreaterThan(0);
  });
});

describe('store', () => {
  it('saves, lists (newest first), loads, and finds a resumable partial run', () => {
    const dir = join(root, 'store');
    const a = fakeProfile(newProfileId('toy model!'), [[1, 2]]);
    expect(a.id).toMatch(/^toy_model_-\d{8}T\d{6}-[0-9a-f]{6}$/);
    saveProfile(a, dir);
    const key = resumeKey({ sha256: a.model.sha256, lanes: a.lanes, granularity: 'group', inputShapes: { x: [1, 3] } });
    const b = fakeProfile('toy-partial', [[1, 2], [3, 4]], { status: 'partial', key });
    saveProfile(b, dir);
    expect(listProfiles(dir).map((s) => s.id)).toEqual(['toy-partial', a.id]);
    expect(loadProfile(a.id, dir)).toEqual(a);
    expect(findResumable(key, 'm1', dir)?.id).toBe('toy-partial');
    expect(findResumable(key, 'other-machine', dir)).toBeUndefined();
    // Different lanes, granularity or shapes: a different task.
    expect(resumeKey({ sha256: a.model.sha256, lanes: a.lanes.slice(0, 1), granularity: 'group', inputShapes: { x: [1, 3] } })).not.toBe(key);
    expect(resumeKey({ sha256: a.model.sha256, lanes: a.lanes, granularity: 'node', inputShapes: { x: [1, 3] } })).not.toBe(key);
    expect(resumeKey({ sha256: a.model.sha256, lanes: a.lanes, granularity: 'group', inputShapes: { x: [2, 3] } })).not.toBe(key);
  });

  it('checks the schema version with a clear error, and lists unreadable files with their error', () => {
    const dir = join(root, 'schema');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'future.json'), JSON.stringify({ ...fakeProfile('future', [[1, 1]]), schemaVersion: PROFILE_SCHEMA_VERSION + 1 }));
    writeFileSync(join(dir, 'junk.json'), '{"half": ');
    writeFileSync(join(dir, 'other.json'), '{"hello": 1}');
    expect(() => loadProfile('future', dir)).toThrow(/schema version 3 is not supported .*reads versions 1 to 2.*newer Tessera/);
    // Version 1 profiles (before layer variants) still load.
    writeFileSync(join(dir, 'old.json'), JSON.stringify({ ...fakeProfile('old', [[1, 1]]), schemaVersion: 1 }));
    expect(loadProfile('old', dir).schemaVersion).toBe(1);
    expect(() => loadProfile('junk', dir)).toThrow(/junk\.json: not valid JSON/);
    expect(() => loadProfile('other', dir)).toThrow(/not a Tessera profile \(no schemaVersion\)/);
    expect(() => loadProfile('absent', dir)).toThrow(/profile absent not found.*tessera profiles list/);
    expect(() => loadProfile('../etc/passwd', dir)).toThrow(/not found/);
    const list = listProfiles(dir);
    expect(list).toHaveLength(4);
    expect(list.filter((s) => s.error).map((s) => s.id).sort()).toEqual(['future', 'junk', 'other']);
  });

  it('diff flags only changes beyond both CIs, per layer and lane', () => {
    const a = fakeProfile('a', [[1, 2], [1, 2], [5, 5]]);
    const b = fakeProfile('b', [[1.001, 2], [1.5, 2], [4, 5]]);
    const d = diffProfiles(a, b);
    const row = (layer: number, lane: string) => d.rows.find((r) => r.layer === layer && r.lane === lane)!;
    expect(row(0, 'cpu:1').change).toBe('same'); // 0.1% < noise (about 1% CI each)
    expect(row(1, 'cpu:1')).toMatchObject({ change: 'slower' });
    expect(row(1, 'cpu:1').ratio).toBeCloseTo(1.5, 2);
    expect(row(2, 'cpu:1').change).toBe('faster');
    expect(row(2, 'cpu:2').change).toBe('same');
    expect(row(-1, 'cpu:1').name).toBe('whole model');
    expect(d.summary).toMatchObject({ slower: 1, faster: 1, same: 4, missing: 0 });
    expect(d.warnings).toEqual([]);
    const other = diffProfiles(a, fakeProfile('c', [[1, 2]], { machine: 'm2' }));
    expect(other.warnings.join(' ')).toMatch(/different machines/);
    expect(other.rows.filter((r) => r.change === 'missing').length).toBe(4);
  });

  it('exports CSV (one row per layer and lane plus the whole model, energy kind labelled) and JSON', () => {
    const p = fakeProfile('csv', [[1, 2], [3, 4]]);
    const csv = profileToCsv(p);
    const lines = csv.trim().split('\n');
    expect(lines).toHaveLength(1 + 2 + 4);
    const header = lines[0].split(',');
    expect(header).toContain('energy_kind');
    expect(header).toContain('ci_half_width_rel');
    expect(csv).toContain('"conv, ""quoted"""');
    const kind = header.indexOf('energy_kind');
    expect(lines.slice(1).every((l) => l.includes(',estimated,'))).toBe(true);
    expect(kind).toBeGreaterThan(0);
    expect(JSON.parse(exportProfile(p, 'json'))).toEqual(p);
  });

  it('fingerprints this machine with a stable id', async () => {
    const m = await machineFingerprint();
    expect(m.id).toMatch(/^[0-9a-f]{16}$/);
    expect(m.cores).toBeGreaterThan(0);
    expect(m.cpu.length).toBeGreaterThan(0);
    expect((await machineFingerprint()).id).toBe(m.id);
  });
});

describe('throughput of layers under the timer\'s resolution (issue 10, part 5)', () => {
  /** A profile as an older Tessera wrote it: a PP-OCR-cls-like layer 0.5 us above an 8.3 us baseline, shown at 2844 GFLOP/s, 2790% of peak. */
  function legacy(id: string): Profile {
    const p = fakeProfile(id, [[1, 2], [1, 2]]);
    p.lanes[0].baselineMs = 0.0083;
    p.lanes[0].peakGflops = 102;
    const tiny = meas('cpu:1', 0.0088, 0.1); // runs within ±10%: the median's 95% CI is about ±2%, 0.18 us
    Object.assign(tiny, { latencyMs: 0.0005, achievedGflops: 2844, peakFraction: 27.9 });
    p.layers[0].lanes[0] = tiny;
    p.layers[0].preferredLane = 'cpu:1';
    const big = meas('cpu:1', 2.0083, 0.01);
    Object.assign(big, { latencyMs: 2, achievedGflops: 0.5, peakFraction: 0.5 / 102 });
    p.layers[1].lanes[0] = big;
    p.layers[1].flops = 1e6;
    return p;
  }

  it('a stored profile shows no throughput for an unresolved layer, says why, and keeps it for a resolved one (load, CSV, CLI)', () => {
    const dir = join(root, 'legacy');
    saveProfile(legacy('old'), dir);
    const p = loadProfile('old', dir);
    const [tiny] = p.layers[0].lanes;
    expect(tiny.achievedGflops).toBeUndefined();
    expect(tiny.peakFraction).toBeUndefined();
    expect(tiny.unresolved).toMatch(/under 4x its 95% uncertainty/);
    const [big] = p.layers[1].lanes;
    expect(big.unresolved).toBeUndefined();
    expect(big.achievedGflops).toBeCloseTo(1e6 / 2e-3 / 1e9, 9);
    const lines = profileToCsv(p).trim().split('\n');
    const header = lines[0].split(',');
    const row = lines.find((l) => l.includes(',layer0,') && l.includes(',cpu:1,'))!;
    const cells = row.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, ''));
    expect(cells[header.indexOf('achieved_gflops')]).toBe('');
    expect(cells[header.indexOf('unresolved')]).toMatch(/under 4x/);
  });
});

describe('tessera profiles CLI', () => {
  const bin = join(__dirname, '..', 'bin', 'tessera.cjs');
  const home = join(root, 'cli-home');
  const tessera = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, TESSERA_HOME: home }, timeout: 60_000 });

  it('list, show, diff, export', () => {
    const dir = join(home, 'profiles');
    saveProfile(fakeProfile('p-a', [[1, 2], [1, 2]]), dir);
    saveProfile(fakeProfile('p-b', [[1, 2], [2, 2]]), dir);
    const list = tessera('profiles', 'list', '--json');
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout).map((s: { id: string }) => s.id).sort()).toEqual(['p-a', 'p-b']);
    const show = tessera('profiles', 'show', 'p-a');
    expect(show.stdout).toMatch(/toy {2}\(complete, id p-a\)/);
    expect(show.stdout).toMatch(/ESTIMATED, not measured/);
    const diff = tessera('profiles', 'diff', 'p-a', 'p-b');
    expect(diff.status).toBe(0);
    expect(diff.stdout).toMatch(/1 slower/);
    const out = join(home, 'p-a.csv');
    const exp = tessera('profiles', 'export', 'p-a', '--format', 'csv', '--out', out);
    expect(exp.status).toBe(0);
    expect(existsSync(out) && readFileSync(out, 'utf8').split('\n')[0]).toMatch(/^profile_id,model,/);
    const res = JSON.parse(JSON.stringify(fakeProfile('p-res', [[0.0088, 2], [1, 2]]))) as Profile;
    res.lanes[0].baselineMs = 0.0083;
    res.layers[0].preferredLane = 'cpu:1';
    res.layers[0].lanes[0] = Object.assign(meas('cpu:1', 0.0088, 0.1), { latencyMs: 0.0005, achievedGflops: 2844, peakFraction: 27.9 });
    saveProfile(res, dir);
    const shown = tessera('profiles', 'show', 'p-res');
    expect(shown.stdout).not.toMatch(/2844/);
    expect(shown.stdout).toMatch(/unres\./);
    expect(shown.stdout).toMatch(/unres\. = latency not resolved .* 1 of 2 layers/);
    const missing = tessera('profiles', 'show', 'nope');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/profile nope not found/);
  });
});
